//! Corpus statistics: bounded vocabulary counting and the Zipf fit.

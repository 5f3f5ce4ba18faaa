//! Detectors: patterns, validators and the engines that run them.

//! Small helpers with no better home: ids, time formatting.

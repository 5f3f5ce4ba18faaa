//! Small helpers with no better home: ids, time formatting.
pub mod time;
pub mod ulid;

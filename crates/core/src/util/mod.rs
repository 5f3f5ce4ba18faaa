//! Small helpers with no better home: ids, time formatting, atomic writes.
pub mod atomic;
pub mod time;
pub mod ulid;

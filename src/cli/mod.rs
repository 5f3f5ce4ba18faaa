//! One module per command that outgrew `main.rs`.

pub mod mask;

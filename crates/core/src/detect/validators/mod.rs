//! Value checks shared by the detector rules: check digits, numbering plans,
//! registries and token formats. Each function looks at a value only;
//! boundaries and context are the rules' business (see [`super::rules`]).

pub mod checksum;
pub mod date;
pub mod email;
pub mod iban;
pub mod ids;
pub mod ip;
pub mod phone;
pub mod token;

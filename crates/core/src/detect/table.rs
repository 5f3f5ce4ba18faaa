//! The one built-in detector table: every rule group, concatenated in a
//! fixed order (general PII, national identifiers, then secrets).

use std::sync::LazyLock;

use super::rules::{ids, pii, secrets};
use super::Detector;

static TABLE: LazyLock<Vec<Detector>> = LazyLock::new(|| {
    [pii::DETECTORS, ids::DETECTORS, secrets::DETECTORS]
        .iter()
        .flat_map(|group| group.iter().copied())
        .collect()
});

pub fn builtin() -> &'static [Detector] {
    &TABLE
}

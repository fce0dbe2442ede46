//! The one validation error of the domain: which field, and why, in Japanese,
//! so that a page can show it beside the field and an API can report it precisely.

/// A value someone typed that the domain refuses.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {reason}")]
pub struct Invalid {
    /// The field's name as the form and the API know it (`title`, `kpi[2].value`).
    pub field: String,
    /// Why, in Japanese, for the person who typed it.
    pub reason: String,
}

impl Invalid {
    pub fn new(field: impl Into<String>, reason: impl Into<String>) -> Self {
        Invalid {
            field: field.into(),
            reason: reason.into(),
        }
    }
}

//! Errors of the core: invalid settings (caught before any work) and failed training.

use thiserror::Error;

/// What can go wrong in the core crate.
#[derive(Debug, Error)]
pub enum CoreError {
    /// A setting is out of range; the message names the field and what was expected.
    #[error("{field}: {message}")]
    InvalidSetting { field: String, message: String },
    /// Training diverged (the loss became NaN or infinite).
    #[error("training diverged: loss is {loss} at epoch {epoch}")]
    Diverged { epoch: usize, loss: f64 },
    /// The model does not fit the data shape.
    #[error("model `{model}` does not fit input shape {shape}: {message}")]
    ShapeMismatch {
        model: String,
        shape: String,
        message: String,
    },
    /// A tensor could not be read back from the backend.
    #[error("reading a tensor back from the backend failed: {0}")]
    TensorRead(String),
    /// Data-set errors bubbling up (augmentation settings, say).
    #[error(transparent)]
    Dataset(#[from] sieve_datasets::DatasetError),
}

impl CoreError {
    /// An invalid-setting error naming `field`.
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        CoreError::InvalidSetting {
            field: field.into(),
            message: message.into(),
        }
    }
}

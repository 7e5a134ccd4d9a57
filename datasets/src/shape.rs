//! The shape of one example.

use serde::{Deserialize, Serialize};

/// Shape of one example: channels x height x width (a flat vector is c=1, h=1, w=d).
///
/// Examples are stored row-major in this order, so an image's value at
/// `(c, y, x)` sits at `(c * height + y) * width + x`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExampleShape {
    /// Number of channels (1 for grey-scale and flat vectors, 3 for RGB).
    pub channels: usize,
    /// Image height in pixels (1 for flat vectors).
    pub height: usize,
    /// Image width in pixels (the vector length for flat vectors).
    pub width: usize,
}

impl ExampleShape {
    /// A `channels x height x width` shape.
    pub const fn new(channels: usize, height: usize, width: usize) -> Self {
        Self {
            channels,
            height,
            width,
        }
    }

    /// A flat vector of `dim` features (shape `1 x 1 x dim`).
    pub const fn flat(dim: usize) -> Self {
        Self::new(1, 1, dim)
    }

    /// Number of values in one example. Saturates instead of overflowing, so a
    /// nonsensical deserialized shape yields an error downstream, not a panic.
    pub fn len(&self) -> usize {
        self.channels
            .saturating_mul(self.height)
            .saturating_mul(self.width)
    }

    /// Whether an example holds no values at all (never true for a valid data set).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Whether this is a 2-D image (`height > 1`) rather than a flat vector.
    ///
    /// Flat vectors are `1 x 1 x d`, so the height is what tells them apart;
    /// spatial augmentations (crop, cutout) need an image.
    pub fn is_image(&self) -> bool {
        self.height > 1
    }

    /// Number of pixels in one channel (`height * width`).
    pub fn plane(&self) -> usize {
        self.height.saturating_mul(self.width)
    }
}

impl std::fmt::Display for ExampleShape {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}x{}x{}", self.channels, self.height, self.width)
    }
}

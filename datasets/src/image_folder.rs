//! Users' own images in class folders, as torchvision's `ImageFolder` reads them:
//! `root/<class>/<image>` with one subfolder per class (the classes are the sorted
//! folder names). When `root` holds `train/` and `test/` folders of that layout they are
//! the splits; otherwise `root` itself is the training set and the test split is drawn
//! with `test_fraction`.
//!
//! PNG and JPEG files (by extension, case-insensitive; other files are skipped), in
//! sorted order. Every image must have the first one's size (resize beforehand; the
//! error names the file); grey images give one channel, colour images three (the first
//! image decides, the others are converted). Pixels are scaled by 1/255.

use std::path::{Path, PathBuf};

use crate::error::DatasetError;
use crate::set::LabeledSet;
use crate::shape::ExampleShape;

fn io_error(path: &Path, source: std::io::Error) -> DatasetError {
    DatasetError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// Sorted entries of `dir` that satisfy `keep`.
fn sorted_entries(dir: &Path, keep: impl Fn(&Path) -> bool) -> Result<Vec<PathBuf>, DatasetError> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(|e| io_error(dir, e))? {
        let path = entry.map_err(|e| io_error(dir, e))?.path();
        if keep(&path) {
            out.push(path);
        }
    }
    out.sort();
    Ok(out)
}

fn is_image(path: &Path) -> bool {
    path.is_file()
        && path
            .extension()
            .and_then(|e| e.to_str())
            .is_some_and(|e| matches!(e.to_ascii_lowercase().as_str(), "png" | "jpg" | "jpeg"))
}

/// The class folders of `dir`, sorted by name.
fn class_folders(dir: &Path) -> Result<Vec<PathBuf>, DatasetError> {
    let folders = sorted_entries(dir, Path::is_dir)?;
    if folders.len() < 2 {
        return Err(DatasetError::Format {
            path: dir.to_path_buf(),
            message: format!(
                "expected one subfolder per class (at least 2), found {}",
                folders.len()
            ),
        });
    }
    Ok(folders)
}

/// Reads one split; `classes` are the class names in label order.
fn read_split(
    dir: &Path,
    classes: &[String],
    shape: &mut Option<ExampleShape>,
) -> Result<LabeledSet, DatasetError> {
    let mut features = Vec::new();
    let mut labels = Vec::new();
    for folder in class_folders(dir)? {
        let name = folder
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default()
            .to_string();
        let label =
            classes
                .iter()
                .position(|c| *c == name)
                .ok_or_else(|| DatasetError::Format {
                    path: folder.clone(),
                    message: format!(
                        "class `{name}` is not among the training classes ({})",
                        classes.join(", ")
                    ),
                })?;
        let images = sorted_entries(&folder, is_image)?;
        if images.is_empty() {
            return Err(DatasetError::Format {
                path: folder.clone(),
                message: "no PNG or JPEG images in this class folder".into(),
            });
        }
        for file in images {
            let image = image::open(&file).map_err(|e| DatasetError::Format {
                path: file.clone(),
                message: format!("cannot decode the image: {e}"),
            })?;
            let expected = *shape.get_or_insert_with(|| {
                let channels = if image.color().has_color() { 3 } else { 1 };
                ExampleShape::new(channels, image.height() as usize, image.width() as usize)
            });
            if (image.height() as usize, image.width() as usize)
                != (expected.height, expected.width)
            {
                return Err(DatasetError::Format {
                    path: file.clone(),
                    message: format!(
                        "{}x{} pixels, the first image was {}x{}: resize every image to one size",
                        image.width(),
                        image.height(),
                        expected.width,
                        expected.height
                    ),
                });
            }
            let (h, w) = (expected.height, expected.width);
            if expected.channels == 1 {
                features.extend(
                    image
                        .to_luma8()
                        .into_raw()
                        .iter()
                        .map(|&v| f32::from(v) / 255.0),
                );
            } else {
                // Channels first: all of R, then G, then B.
                let rgb = image.to_rgb8().into_raw();
                for c in 0..3 {
                    features.extend((0..h * w).map(|p| f32::from(rgb[p * 3 + c]) / 255.0));
                }
            }
            labels.push(label as u32);
        }
    }
    let shape = shape.unwrap_or(ExampleShape::new(1, 1, 1));
    LabeledSet::new(shape, classes.len(), features, labels)
}

/// Loads `root`: its `train/` and `test/` splits when both exist (the second value is
/// then the test set), else `root` as one set for the caller to split.
pub fn load_image_folder(root: &Path) -> Result<(LabeledSet, Option<LabeledSet>), DatasetError> {
    if !root.is_dir() {
        return Err(DatasetError::MissingFile {
            expected: vec![root.to_path_buf()],
        });
    }
    let (train_dir, test_dir) = (root.join("train"), root.join("test"));
    let split_layout = train_dir.is_dir() && test_dir.is_dir();
    let train_root = if split_layout {
        train_dir
    } else {
        root.to_path_buf()
    };
    let classes: Vec<String> = class_folders(&train_root)?
        .iter()
        .filter_map(|p| p.file_name().and_then(|n| n.to_str()).map(str::to_string))
        .collect();
    let mut shape = None;
    let train = read_split(&train_root, &classes, &mut shape)?;
    let test = if split_layout {
        Some(read_split(&test_dir, &classes, &mut shape)?)
    } else {
        None
    };
    Ok((train, test))
}

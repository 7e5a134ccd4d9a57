//! Image class folders: classes are the sorted folder names, pixels scaled by 1/255,
//! colour images channels first, train/ and test/ used as splits when present, and an
//! error naming the file or folder for every malformed layout.
#![allow(clippy::unwrap_used)]

use std::path::Path;

use image::{GrayImage, Luma, Rgb, RgbImage};
use sieve_datasets::{load_image_folder, DatasetSpec};

fn grey(path: &Path, side: u32, value: u8) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    GrayImage::from_pixel(side, side, Luma([value]))
        .save(path)
        .unwrap();
}

#[test]
fn grey_class_folders_load_in_sorted_order() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    // "cat" < "dog": cat = 0, dog = 1; a stray text file is skipped.
    grey(&root.join("dog/b.png"), 4, 255);
    grey(&root.join("dog/a.png"), 4, 51);
    grey(&root.join("cat/x.PNG"), 4, 0);
    std::fs::write(root.join("cat/notes.txt"), "not an image").unwrap();
    let (set, test) = load_image_folder(root).unwrap();
    assert!(test.is_none());
    assert_eq!(set.len(), 3);
    assert_eq!(
        (set.shape.channels, set.shape.height, set.shape.width),
        (1, 4, 4)
    );
    assert_eq!(set.labels, vec![0, 1, 1]);
    // dog/a.png (51) before dog/b.png (255).
    assert!((set.example(1)[0] - 0.2).abs() < 1e-6);
    assert!((set.example(2)[0] - 1.0).abs() < 1e-6);
}

#[test]
fn colour_images_are_channels_first_and_splits_come_from_train_and_test() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    for (split, n) in [("train", 2), ("test", 1)] {
        for class in ["a", "b"] {
            for i in 0..n {
                let path = root.join(format!("{split}/{class}/{i}.png"));
                std::fs::create_dir_all(path.parent().unwrap()).unwrap();
                RgbImage::from_pixel(2, 3, Rgb([255, 0, 51]))
                    .save(&path)
                    .unwrap();
            }
        }
    }
    let (train, test) = load_image_folder(root).unwrap();
    let test = test.unwrap();
    assert_eq!((train.len(), test.len()), (4, 2));
    assert_eq!(
        (train.shape.channels, train.shape.height, train.shape.width),
        (3, 3, 2)
    );
    // 6 red values of 1.0, then 6 green of 0, then 6 blue of 0.2.
    let x = train.example(0);
    assert!(x[..6].iter().all(|&v| (v - 1.0).abs() < 1e-6));
    assert!(x[6..12].iter().all(|&v| v.abs() < 1e-6));
    assert!(x[12..].iter().all(|&v| (v - 0.2).abs() < 1e-6));
    // As a data set block: the folder's splits; test_fraction refused there.
    let spec: DatasetSpec = serde_json::from_value(serde_json::json!({
        "name": "pics", "source": "image_folder", "path": root
    }))
    .unwrap();
    let splits = spec.load(1).unwrap();
    assert_eq!((splits.train.len(), splits.test.len()), (4, 2));
    let spec: DatasetSpec = serde_json::from_value(serde_json::json!({
        "name": "pics", "source": "image_folder", "path": root, "test_fraction": 0.5
    }))
    .unwrap();
    assert!(spec
        .load(1)
        .err()
        .unwrap()
        .to_string()
        .contains("test_fraction"));
}

#[test]
fn malformed_folders_are_errors_naming_the_file_or_folder() {
    // A second size.
    let tmp = tempfile::tempdir().unwrap();
    grey(&tmp.path().join("a/1.png"), 4, 0);
    grey(&tmp.path().join("b/2.png"), 5, 0);
    let err = load_image_folder(tmp.path()).err().unwrap().to_string();
    assert!(err.contains("2.png") && err.contains("resize"), "{err}");
    // An empty class folder.
    let tmp = tempfile::tempdir().unwrap();
    grey(&tmp.path().join("a/1.png"), 4, 0);
    std::fs::create_dir_all(tmp.path().join("b")).unwrap();
    let err = load_image_folder(tmp.path()).err().unwrap().to_string();
    assert!(err.contains("b") && err.contains("no PNG or JPEG"), "{err}");
    // One class only.
    let tmp = tempfile::tempdir().unwrap();
    grey(&tmp.path().join("a/1.png"), 4, 0);
    let err = load_image_folder(tmp.path()).err().unwrap().to_string();
    assert!(err.contains("at least 2"), "{err}");
    // A corrupt file.
    let tmp = tempfile::tempdir().unwrap();
    grey(&tmp.path().join("a/1.png"), 4, 0);
    std::fs::create_dir_all(tmp.path().join("b")).unwrap();
    std::fs::write(tmp.path().join("b/broken.png"), b"\x89PNG not really").unwrap();
    let err = load_image_folder(tmp.path()).err().unwrap().to_string();
    assert!(
        err.contains("broken.png") && err.contains("decode"),
        "{err}"
    );
    // A test class the training split lacks.
    let tmp = tempfile::tempdir().unwrap();
    grey(&tmp.path().join("train/a/1.png"), 4, 0);
    grey(&tmp.path().join("train/b/1.png"), 4, 0);
    grey(&tmp.path().join("test/a/1.png"), 4, 0);
    grey(&tmp.path().join("test/c/1.png"), 4, 0);
    let err = load_image_folder(tmp.path()).err().unwrap().to_string();
    assert!(err.contains("`c`"), "{err}");
    // A missing folder.
    let err = load_image_folder(&tmp.path().join("nowhere"))
        .err()
        .unwrap()
        .to_string();
    assert!(err.contains("nowhere"), "{err}");
}

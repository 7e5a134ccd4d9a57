//! The CSV loader: classes from the label column (numeric labels in numeric order, text
//! labels sorted), features as flat vectors, and errors that name the file, line and
//! column for every malformed input.
#![allow(clippy::unwrap_used)]

use std::path::Path;

use sieve_datasets::{load_csv, DatasetSpec};

fn write(dir: &Path, name: &str, text: &str) -> std::path::PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

#[test]
fn a_table_loads_with_its_label_column_anywhere() {
    let tmp = tempfile::tempdir().unwrap();
    let path = write(
        tmp.path(),
        "t.csv",
        "x,species,y\n1.5,setosa,2\n\n0.5, virginica ,-1\n3,setosa,4e-1\n",
    );
    let set = load_csv(&path, "species").unwrap();
    assert_eq!(set.len(), 3);
    assert_eq!(set.shape.len(), 2);
    assert_eq!(set.num_classes, 2);
    // Text labels sorted: setosa = 0, virginica = 1.
    assert_eq!(set.labels, vec![0, 1, 0]);
    assert_eq!(set.features, vec![1.5, 2.0, 0.5, -1.0, 3.0, 0.4]);
    // Whole-number labels in numeric order, not text order ("10" after "9").
    let path = write(tmp.path(), "n.csv", "label,a\n10,1\n9,2\n10,3\n");
    let set = load_csv(&path, "label").unwrap();
    assert_eq!(set.labels, vec![1, 0, 1]);
}

#[test]
fn malformed_tables_are_errors_naming_file_line_and_column() {
    let tmp = tempfile::tempdir().unwrap();
    let cases = [
        ("empty.csv", "", "line 1", "header"),
        (
            "nolabel.csv",
            "a,b\n1,2\n",
            "line 1",
            "no column named `label`",
        ),
        (
            "onlylabel.csv",
            "label\n1\n2\n",
            "line 1",
            "feature columns",
        ),
        (
            "short.csv",
            "label,a,b\n0,1,2\n1,3\n",
            "line 3",
            "expected 3",
        ),
        (
            "text.csv",
            "label,a,b\n0,1,2\n1,x,3\n",
            "line 3, column 2",
            "`a`: expected a number",
        ),
        (
            "nan.csv",
            "label,a\n0,NaN\n1,2\n",
            "line 2, column 2",
            "finite",
        ),
        (
            "nolabelvalue.csv",
            "label,a\n,1\n",
            "line 2, column 1",
            "empty label",
        ),
        ("noexamples.csv", "label,a\n", "line 2", "no examples"),
        (
            "oneclass.csv",
            "label,a\n3,1\n3,2\n",
            "",
            "at least 2 classes",
        ),
    ];
    for (name, text, at, what) in cases {
        let path = write(tmp.path(), name, text);
        let err = load_csv(&path, "label").err().unwrap().to_string();
        assert!(err.contains(name), "{name}: {err}");
        assert!(err.contains(at), "{name}: {err}");
        assert!(err.contains(what), "{name}: {err}");
    }
    let err = load_csv(&tmp.path().join("missing.csv"), "label")
        .err()
        .unwrap()
        .to_string();
    assert!(err.contains("missing.csv"), "{err}");
}

#[test]
fn a_csv_dataset_block_splits_and_refuses_fields_of_other_sources() {
    let tmp = tempfile::tempdir().unwrap();
    let mut text = String::from("a,b,target\n");
    for i in 0..60 {
        text.push_str(&format!("{},{},{}\n", i, i * 2, i % 3));
    }
    let path = write(tmp.path(), "d.csv", &text);
    let spec: DatasetSpec = serde_json::from_value(serde_json::json!({
        "name": "table", "source": "csv", "path": path, "label_column": "target",
        "test_fraction": 0.5
    }))
    .unwrap();
    let splits = spec.load(1).unwrap();
    assert_eq!(splits.train.len() + splits.test.len(), 60);
    assert_eq!(splits.test.len(), 30);
    assert_eq!(splits.train.num_classes, 3);
    // label_column on another source, or an empty one: refused with the field named.
    for bad in [
        serde_json::json!({"name": "d", "source": "digits", "label_column": "y"}),
        serde_json::json!({"name": "t", "source": "csv", "path": path, "label_column": " "}),
        serde_json::json!({"name": "t", "source": "csv"}),
    ] {
        let spec: DatasetSpec = serde_json::from_value(bad.clone()).unwrap();
        let err = spec.validate().err().unwrap().to_string();
        assert!(
            err.contains("label_column") || err.contains("path"),
            "{bad}: {err}"
        );
    }
}

#![allow(clippy::unwrap_used)] // tests may unwrap: a panic is the failure report

use sieve_datasets::{load_digits, parse_digits_csv, ExampleShape};

#[test]
fn builtin_digits_has_expected_shape_and_counts() {
    let set = load_digits().unwrap();
    assert_eq!(set.len(), 1797);
    assert_eq!(set.shape, ExampleShape::new(1, 8, 8));
    assert_eq!(set.num_classes, 10);
    let counts = set.class_counts();
    assert_eq!(counts.iter().sum::<usize>(), 1797);
    assert!(
        counts.iter().all(|&c| (170..=190).contains(&c)),
        "{counts:?}"
    );
    assert!(set.features.iter().all(|v| (0.0..=1.0).contains(v)));
    assert!(set.features.contains(&1.0));
    // First row of the file: 0,0,5,13,9,1,0,0,... label 0.
    assert_eq!(&set.example(0)[..4], &[0.0, 0.0, 5.0 / 16.0, 13.0 / 16.0]);
    assert_eq!(set.labels[0], 0);
}

fn row(pixels: usize, label: &str) -> String {
    let mut fields = vec!["3".to_string(); pixels];
    fields.push(label.to_string());
    fields.join(",")
}

#[test]
fn parses_small_csv_and_skips_blank_lines() {
    let text = format!("{}\n\n{}\n", row(64, "7"), row(64, "2"));
    let set = parse_digits_csv(text.as_bytes(), "t.csv").unwrap();
    assert_eq!(set.labels, vec![7, 2]);
    assert!(set.features.iter().all(|&v| v == 3.0 / 16.0));
}

#[test]
fn wrong_column_count_names_line() {
    let text = format!("{}\n{}\n", row(64, "1"), row(63, "1"));
    let msg = parse_digits_csv(text.as_bytes(), "digits.csv")
        .unwrap_err()
        .to_string();
    assert_eq!(msg, "digits.csv line 2: expected 65 columns, found 64");
}

#[test]
fn bad_values_name_line_and_column() {
    let text = format!("{}\n", row(64, "10"));
    let msg = parse_digits_csv(text.as_bytes(), "d.csv")
        .unwrap_err()
        .to_string();
    assert_eq!(
        msg,
        "d.csv line 1, column 65: expected a label 0..=9, found `10`"
    );

    let mut fields = vec!["0"; 65];
    fields[4] = "17";
    let msg = parse_digits_csv(fields.join(",").as_bytes(), "d.csv")
        .unwrap_err()
        .to_string();
    assert_eq!(
        msg,
        "d.csv line 1, column 5: expected a pixel 0..=16, found `17`"
    );

    fields[4] = "x";
    let msg = parse_digits_csv(fields.join(",").as_bytes(), "d.csv")
        .unwrap_err()
        .to_string();
    assert!(msg.contains("column 5") && msg.contains("`x`"), "{msg}");
}

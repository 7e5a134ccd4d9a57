//! `write_report` end to end on a real records file (5 strategies × 5 repeats ×
//! 7 rounds of active learning on digits, from `sieve run configs/quickstart`).

#![allow(clippy::unwrap_used)]

mod common;

use std::path::{Path, PathBuf};

use sieve_results::{write_report, IntervalMethod, ReportOptions};

/// A temporary results folder holding the fixture.
fn fixture() -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("run");
    std::fs::create_dir(&dir).unwrap();
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/qs1");
    for f in ["records.csv", "sweep.json", "config.toml"] {
        std::fs::copy(src.join(f), dir.join(f)).unwrap();
    }
    (tmp, dir)
}

#[test]
fn report_writes_every_file() {
    let (_tmp, dir) = fixture();
    let out = write_report(&dir, &ReportOptions::default()).unwrap();
    for f in ["summary.csv", "summary.json", "summary.md", "summary.tex"] {
        assert!(dir.join(f).is_file(), "{f}");
        assert!(out.written.contains(&dir.join(f)));
    }
    // summary.csv: header + one row per cell and metric.
    let csv = std::fs::read_to_string(dir.join("summary.csv")).unwrap();
    assert!(csv.starts_with(
        "kind,dataset,scenario,model,regularization,axis,axis_value,method,method_params"
    ));
    assert_eq!(csv.lines().count() - 1, out.rows.len());
    // 5 arms × 7 rounds × 3 metrics + 5 × AUBC × 3 + 5 × labels × 2.
    assert_eq!(out.rows.len(), 5 * 7 * 3 + 5 * 3 + 5 * 2);
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("summary.json")).unwrap()).unwrap();
    assert_eq!(json["rows"].as_array().unwrap().len(), out.rows.len());
    assert_eq!(json["sweep"]["sweep_id"], "d320770f0563db8d");
    let md = std::fs::read_to_string(dir.join("summary.md")).unwrap();
    assert!(md.contains("| method |") && md.contains("AUBC"));
    let tex = std::fs::read_to_string(dir.join("summary.tex")).unwrap();
    assert!(tex.contains("\\toprule") && tex.contains("\\textbf{"));
    assert!(tex.contains("\\bottomrule"));

    if sieve_results::plot::font::ensure_font().is_ok() {
        for kind in ["curves", "diff", "heatmap", "spread"] {
            let base = dir
                .join("plots")
                .join(format!("active-digits-none-mlp-none-i20-q20-n140-{kind}"));
            let svg = std::fs::read_to_string(base.with_extension("svg")).unwrap();
            assert!(svg.contains("<svg"), "{kind}");
            let png = std::fs::read(base.with_extension("png")).unwrap();
            assert!(png.starts_with(b"\x89PNG"), "{kind}");
        }
        let html = std::fs::read_to_string(dir.join("report.html")).unwrap();
        assert!(html.contains("<svg") && html.contains("<table>"));
        // Self-contained: nothing fetched from elsewhere.
        assert!(!html.contains("src=\"http") && !html.contains("href=\"http"));
    }
    // No temporary files left behind.
    for entry in std::fs::read_dir(&dir).unwrap() {
        let name = entry.unwrap().file_name().to_string_lossy().into_owned();
        assert!(!name.starts_with('.'), "{name}");
    }
}

#[test]
fn bootstrap_report_is_reproducible() {
    let options = ReportOptions {
        interval: IntervalMethod::Bootstrap {
            resamples: 1000,
            seed: 11,
        },
        plots: false,
        ..ReportOptions::default()
    };
    let (_a, dir_a) = fixture();
    let (_b, dir_b) = fixture();
    write_report(&dir_a, &options).unwrap();
    write_report(&dir_b, &options).unwrap();
    let a = std::fs::read(dir_a.join("summary.csv")).unwrap();
    let b = std::fs::read(dir_b.join("summary.csv")).unwrap();
    assert_eq!(a, b);
    assert!(String::from_utf8(a).unwrap().contains(",bootstrap,"));
}

#[test]
fn missing_records_is_a_clear_error() {
    let tmp = tempfile::tempdir().unwrap();
    let err = write_report(tmp.path(), &ReportOptions::default()).unwrap_err();
    assert!(err.to_string().contains("no records.csv"), "{err}");
    let bad = ReportOptions {
        confidence: 1.5,
        ..ReportOptions::default()
    };
    let err = write_report(tmp.path(), &bad).unwrap_err();
    assert!(err.to_string().contains("confidence"), "{err}");
}

#[test]
fn settings_whose_names_contain_dots_get_their_own_plots() {
    if sieve_results::plot::font::ensure_font().is_err() {
        return; // no font on this machine: no plots to name
    }
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("run");
    std::fs::create_dir(&dir).unwrap();
    let mut w =
        sieve_results::RecordWriter::open_append(&dir.join("records.csv"), &common::METRICS)
            .unwrap();
    for reg in ["lr0.01", "lr0.05"] {
        for strategy in ["random", "entropy"] {
            for repeat in 0..2 {
                for round in 0..2 {
                    let mut r =
                        common::record(strategy, repeat, round, 0.5 + 0.1 * f64::from(round));
                    r.regularization = reg.into();
                    r.trial_id = format!("{reg}/{strategy}/{repeat}");
                    w.append(&r).unwrap();
                }
            }
        }
    }
    drop(w);
    write_report(&dir, &ReportOptions::default()).unwrap();
    for reg in ["lr0.01", "lr0.05"] {
        let svg = dir
            .join("plots")
            .join(format!("active-digits-none-mlp-{reg}-small-curves.svg"));
        assert!(svg.is_file(), "{} missing", svg.display());
    }
}

#[test]
fn summary_tex_compiles_and_fits_a_landscape_page_when_pdflatex_is_installed() {
    let Ok(found) = std::process::Command::new("pdflatex")
        .arg("--version")
        .output()
    else {
        eprintln!("pdflatex not installed: skipped");
        return;
    };
    if !found.status.success() {
        return;
    }
    let (_tmp, dir) = fixture();
    write_report(&dir, &ReportOptions::default()).unwrap();
    let tables = std::fs::read_to_string(dir.join("summary.tex")).unwrap();
    let doc = format!(
        "\\documentclass{{article}}\n\\usepackage[landscape,margin=1cm]{{geometry}}\n\
         \\usepackage[T1]{{fontenc}}\n\\usepackage{{booktabs}}\n\\usepackage{{graphicx}}\n\
         \\begin{{document}}\n{tables}\n\\end{{document}}\n"
    );
    std::fs::write(dir.join("doc.tex"), doc).unwrap();
    let out = std::process::Command::new("pdflatex")
        .args(["-interaction=nonstopmode", "-halt-on-error", "doc.tex"])
        .current_dir(&dir)
        .output()
        .unwrap();
    let log = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{log}");
    assert!(
        !log.contains("Overfull \\hbox"),
        "a table is wider than the page: {log}"
    );
}

#[test]
fn the_spread_plot_stays_within_the_metrics_range_and_marks_a_clipped_interval() {
    if sieve_results::plot::font::ensure_font().is_err() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("run");
    std::fs::create_dir(&dir).unwrap();
    let mut w =
        sieve_results::RecordWriter::open_append(&dir.join("records.csv"), &common::METRICS)
            .unwrap();
    // Two repeats far apart: the t interval of the AUBC runs past 100%.
    for (repeat, level) in [(0u32, 0.5), (1, 0.97)] {
        for strategy in ["random", "entropy"] {
            for round in 0..2 {
                w.append(&common::record(strategy, repeat, round, level))
                    .unwrap();
            }
        }
    }
    drop(w);
    write_report(&dir, &ReportOptions::default()).unwrap();
    let svg = std::fs::read_to_string(
        dir.join("plots")
            .join("active-digits-none-mlp-none-small-spread.svg"),
    )
    .unwrap();
    assert!(svg.contains('▶'), "the clipped interval is marked");
    assert!(
        !svg.contains(">120<") && !svg.contains(">140<"),
        "axis beyond 100%"
    );
}

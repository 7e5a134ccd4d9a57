//! `sieve bench attack` trains a model, attacks real images and reports the time per
//! image; bad flags are usage errors.
#![allow(clippy::unwrap_used)]

mod common;

use common::sieve;

fn attack(args: &[&str]) -> serde_json::Value {
    let output = sieve()
        .args([
            "bench",
            "attack",
            "--source",
            "digits",
            "--model",
            "mlp",
            "--train-epochs",
            "2",
            "--examples",
            "40",
        ])
        .args(args)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    serde_json::from_str(stdout.lines().last().unwrap()).unwrap()
}

#[test]
fn both_attacks_report_their_time_and_norms() {
    for method in ["deepfool", "bim"] {
        let r = attack(&["--method", method]);
        assert_eq!(r["method"], method);
        assert_eq!(r["examples"], 40);
        let seconds = r["seconds"].as_f64().unwrap();
        assert!(seconds > 0.0, "{r}");
        // The extrapolation is the measured rate times the train split.
        let per = r["ms_per_example"].as_f64().unwrap() / 1000.0;
        let split = r["train_split_examples"].as_f64().unwrap();
        assert!((per * split - r["train_split_seconds"].as_f64().unwrap()).abs() < 1e-6);
        assert!(r["mean_norm"].as_f64().unwrap() > 0.0, "{method}: {r}");
        assert!(r["test_accuracy"].as_f64().unwrap() > 0.5, "{method}: {r}");
    }
    // One iteration bounds DeepFool's perturbation by the full run's.
    let full = attack(&["--method", "deepfool"])["mean_norm"]
        .as_f64()
        .unwrap();
    let one = attack(&["--method", "deepfool", "--max-iter", "1"])["mean_norm"]
        .as_f64()
        .unwrap();
    assert!(one <= full + 1e-9, "{one} vs {full}");
}

#[test]
fn bad_flags_are_usage_errors() {
    for args in [
        &["--method", "fgsm"][..],
        &["--examples", "0"][..],
        &["--max-iter", "0"][..],
        &["--epsilon", "-1"][..],
        &["--model", "resnet"][..],
    ] {
        let output = sieve()
            .args(["bench", "attack", "--source", "digits"])
            .args(args)
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(2), "{args:?}");
    }
}

//! `sieve bench step` times the phases of a training step and the inference pass, and
//! refuses bad flags as usage errors.
#![allow(clippy::unwrap_used)]

mod common;

use common::sieve;

fn step(args: &[&str]) -> serde_json::Value {
    let output = sieve()
        .args(["bench", "step", "--source", "digits", "--steps", "2"])
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
fn phases_add_up_to_the_step() {
    for args in [
        &["--model", "mlp"][..],
        &[
            "--model",
            "resnet18",
            "--resnet-stem",
            "imagenet",
            "--batch-size",
            "8",
        ][..],
    ] {
        let r = step(args);
        let ms = |k: &str| r[k].as_f64().unwrap();
        for k in ["forward_ms", "backward_ms", "inference_ms", "step_ms"] {
            assert!(ms(k) > 0.0, "{args:?}: {k} = {}", ms(k));
        }
        let sum = ms("batch_ms") + ms("forward_ms") + ms("backward_ms") + ms("optimizer_ms");
        assert!((sum - ms("step_ms")).abs() < 1e-6, "{args:?}: {r}");
        assert_eq!(r["steps"], 2);
    }
}

#[test]
fn bad_flags_are_usage_errors() {
    for args in [
        &["--model", "resnet"][..],
        &["--model", "resnet18", "--resnet-stem", "tiny"][..],
        &["--steps", "0"][..],
    ] {
        let output = sieve()
            .args(["bench", "step", "--source", "digits"])
            .args(args)
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(2), "{args:?}");
    }
}

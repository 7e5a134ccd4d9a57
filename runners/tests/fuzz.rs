//! Bounded fuzzing of the results-folder and config parsers: seeded truncations, bit
//! flips and byte runs applied to a real records.csv, sweep.json and config. Every case
//! returns (never a panic) and every error names the file it read.
#![allow(clippy::unwrap_used)]

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::Path;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use sieve_results::{read_records, SweepFile};
use sieve_runners::config::SweepConfig;

const CASES: usize = 200;

fn mutate(bytes: &[u8], rng: &mut ChaCha8Rng) -> Vec<u8> {
    let mut out = bytes.to_vec();
    match rng.random_range(0..3) {
        0 => out.truncate(rng.random_range(0..=bytes.len())),
        1 => {
            for _ in 0..rng.random_range(1..8) {
                if out.is_empty() {
                    break;
                }
                let i = rng.random_range(0..out.len());
                out[i] ^= 1 << rng.random_range(0..8);
            }
        }
        _ => {
            if !out.is_empty() {
                let start = rng.random_range(0..out.len());
                let end = (start + rng.random_range(1..24)).min(out.len());
                let value: u8 = rng.random();
                out[start..end].fill(value);
            }
        }
    }
    out
}

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../results/tests/data/qs1")
            .join(name),
    )
    .unwrap()
}

#[test]
fn records_csv_survives_corruption() {
    let valid = fixture("records.csv");
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("records.csv");
    let mut rng = ChaCha8Rng::seed_from_u64(11);
    for case in 0..CASES {
        std::fs::write(&path, mutate(&valid, &mut rng)).unwrap();
        match catch_unwind(AssertUnwindSafe(|| read_records(&path))) {
            Err(_) => panic!("case {case}: read_records panicked"),
            Ok(Err(e)) => assert!(e.to_string().contains("records.csv"), "case {case}: {e}"),
            Ok(Ok(_)) => {}
        }
    }
}

#[test]
fn sweep_json_survives_corruption() {
    let valid = fixture("sweep.json");
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("sweep.json");
    let mut rng = ChaCha8Rng::seed_from_u64(12);
    for case in 0..CASES {
        std::fs::write(&path, mutate(&valid, &mut rng)).unwrap();
        match catch_unwind(AssertUnwindSafe(|| SweepFile::read(tmp.path()))) {
            Err(_) => panic!("case {case}: SweepFile::read panicked"),
            Ok(Err(e)) => assert!(e.to_string().contains("sweep.json"), "case {case}: {e}"),
            Ok(Ok(_)) => {}
        }
    }
}

#[test]
fn configs_survive_corruption() {
    let valid =
        std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join("../configs/al-catalogue.toml"))
            .unwrap();
    let mut rng = ChaCha8Rng::seed_from_u64(13);
    for case in 0..CASES {
        let bytes = mutate(&valid, &mut rng);
        let text = String::from_utf8_lossy(&bytes).to_string();
        match catch_unwind(AssertUnwindSafe(|| {
            SweepConfig::from_toml(&text, "fuzzed.toml")
        })) {
            Err(_) => panic!("case {case}: the config parser panicked"),
            Ok(Err(e)) => assert!(e.to_string().contains("fuzzed.toml"), "case {case}: {e}"),
            Ok(Ok(_)) => {}
        }
    }
}

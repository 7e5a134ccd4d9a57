//! VAAL's training on a pool where the answer is known by construction: the labeled set
//! holds only "bright left half" images, the unlabeled pool both kinds, so a
//! discriminator that learns labeled from unlabeled latents must find the "bright right
//! half" images the least labeled-looking. Same seed, same scores; bad settings are
//! refused before any training.
#![allow(clippy::unwrap_used)]

mod common;

use burn::backend::{Autodiff, Flex};
use common::{bright_halves, rng_lock};
use sieve_bench_core::vaal::vaal_scores;
use sieve_bench_core::VaalConfig;

type B = Autodiff<Flex>;

fn small() -> VaalConfig {
    VaalConfig {
        latent_dim: 4,
        width: 4,
        epochs: 40,
        batch_size: 16,
        ..VaalConfig::default()
    }
}

#[test]
fn the_unlike_half_of_the_pool_looks_least_labeled() {
    let _lock = rng_lock();
    let pool = bright_halves(8);
    // Even indices are class 0 (bright left half): the labeled set is 8 of them.
    let labeled: Vec<usize> = (0..16).step_by(2).collect();
    let unlabeled: Vec<usize> = (0..64).filter(|i| !labeled.contains(i)).collect();
    let device = Default::default();
    let scores = vaal_scores::<B>(&pool, &labeled, &unlabeled, &small(), 7, 32, &device).unwrap();
    assert_eq!(scores.len(), unlabeled.len());
    let mean = |class: usize| {
        let of: Vec<f32> = unlabeled
            .iter()
            .zip(&scores)
            .filter(|(i, _)| **i % 2 == class)
            .map(|(_, s)| *s)
            .collect();
        of.iter().sum::<f32>() / of.len() as f32
    };
    assert!(
        mean(1) < mean(0),
        "unlike images should look less labeled: class 1 {:.3}, class 0 {:.3}",
        mean(1),
        mean(0)
    );
    // VAAL queries the lowest scores: most of the 16 lowest are of the unlike kind.
    let mut order: Vec<usize> = (0..unlabeled.len()).collect();
    order.sort_by(|&a, &b| scores[a].total_cmp(&scores[b]));
    let unlike = order[..16]
        .iter()
        .filter(|&&k| unlabeled[k] % 2 == 1)
        .count();
    assert!(
        unlike >= 12,
        "only {unlike} of the 16 lowest are bright-right images"
    );

    let again = vaal_scores::<B>(&pool, &labeled, &unlabeled, &small(), 7, 32, &device).unwrap();
    assert_eq!(scores, again, "same seed, same scores");
    let other = vaal_scores::<B>(&pool, &labeled, &unlabeled, &small(), 8, 32, &device).unwrap();
    assert_ne!(scores, other, "another seed, another training");
}

#[test]
fn bad_settings_and_empty_sets_are_refused() {
    let pool = bright_halves(8);
    let device = Default::default();
    let bad = VaalConfig {
        width: 0,
        ..small()
    };
    let err = vaal_scores::<B>(&pool, &[0], &[1], &bad, 0, 8, &device).unwrap_err();
    assert!(err.to_string().contains("width"), "{err}");
    let err = vaal_scores::<B>(&pool, &[], &[1], &small(), 0, 8, &device).unwrap_err();
    assert!(err.to_string().contains("labeled"), "{err}");
}

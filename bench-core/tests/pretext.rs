//! The rotation pretext task: quarter turns against hand-rotated images, the pretext
//! set's layout, and a trained rotation network that beats chance on real digits.
#![allow(clippy::unwrap_used)]

mod common;

use common::rng_lock;

use burn::backend::{flex::FlexDevice, Autodiff};
use sieve_bench_core::pretext::{rotatable, rotate_quarter, rotation_losses, rotation_set};
use sieve_bench_core::{ModelKind, ModelSpec, RotationPretext};
use sieve_datasets::{ExampleShape, LabeledSet};

type Cpu = Autodiff<burn::backend::Flex>;

#[test]
fn a_quarter_turn_is_numpy_rot90() {
    let shape = ExampleShape::new(1, 3, 3);
    let image: Vec<f32> = (1..=9).map(|v| v as f32).collect();
    // 1 2 3        3 6 9
    // 4 5 6   ->   2 5 8
    // 7 8 9        1 4 7
    assert_eq!(
        rotate_quarter(&image, shape, 1),
        vec![3.0, 6.0, 9.0, 2.0, 5.0, 8.0, 1.0, 4.0, 7.0]
    );
    assert_eq!(
        rotate_quarter(&image, shape, 2),
        vec![9.0, 8.0, 7.0, 6.0, 5.0, 4.0, 3.0, 2.0, 1.0]
    );
    assert_eq!(rotate_quarter(&image, shape, 4), image);
    // Channels turn independently.
    let two = ExampleShape::new(2, 2, 2);
    assert_eq!(
        rotate_quarter(&[1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0], two, 1),
        vec![2.0, 4.0, 1.0, 3.0, 6.0, 8.0, 5.0, 7.0]
    );
}

#[test]
fn the_pretext_set_holds_four_labeled_turns_of_each_row() {
    let shape = ExampleShape::new(1, 2, 2);
    let data = LabeledSet::new(
        shape,
        3,
        vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0],
        vec![2, 0],
    )
    .unwrap();
    let set = rotation_set(&data, &[1]).unwrap();
    assert_eq!(set.len(), 4);
    assert_eq!(set.num_classes, 4);
    assert_eq!(set.labels, vec![0, 1, 2, 3]);
    assert_eq!(set.example(0), &[5.0, 6.0, 7.0, 8.0]);
    assert_eq!(set.example(1), &[6.0, 8.0, 5.0, 7.0]);
    // Flat or non-square examples cannot turn.
    assert!(!rotatable(ExampleShape::flat(4)));
    assert!(!rotatable(ExampleShape::new(1, 2, 3)));
    let flat = LabeledSet::new(ExampleShape::flat(2), 2, vec![0.0, 1.0], vec![0]).unwrap();
    let err = rotation_set(&flat, &[0]).unwrap_err().to_string();
    assert!(err.contains("square"), "{err}");
}

#[test]
fn a_trained_rotation_network_beats_chance_and_is_reproducible() {
    let _rng = rng_lock();
    let digits = sieve_datasets::load_digits().unwrap();
    let rows: Vec<usize> = (0..300).collect();
    let pool = digits.subset(&rows);
    let spec = ModelSpec {
        hidden: Some(vec![64]),
        ..ModelSpec::of(ModelKind::Mlp)
    };
    let pretext = RotationPretext {
        epochs: 15,
        lr: 0.05,
        batch_size: 64,
    };
    let losses = rotation_losses::<Cpu>(&spec, &pool, &pretext, 5, 256, &FlexDevice).unwrap();
    assert_eq!(losses.len(), pool.len());
    let mean = losses.iter().map(|&v| f64::from(v)).sum::<f64>() / losses.len() as f64;
    // Chance is ln 4 = 1.386 per rotation.
    assert!(mean < 0.7, "mean rotation loss {mean}");
    let again = rotation_losses::<Cpu>(&spec, &pool, &pretext, 5, 256, &FlexDevice).unwrap();
    assert_eq!(losses, again);
    let other = rotation_losses::<Cpu>(&spec, &pool, &pretext, 6, 256, &FlexDevice).unwrap();
    assert_ne!(losses, other, "the seed must reach the pretext training");
    // One epoch learns less than fifteen.
    let short = RotationPretext {
        epochs: 1,
        ..pretext.clone()
    };
    let brief = rotation_losses::<Cpu>(&spec, &pool, &short, 5, 256, &FlexDevice).unwrap();
    let brief_mean = brief.iter().map(|&v| f64::from(v)).sum::<f64>() / brief.len() as f64;
    assert!(brief_mean > mean, "{brief_mean} vs {mean}");
}

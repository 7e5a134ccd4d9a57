//! Replay-buffer methods on streams and tasks whose right buffer is known by
//! construction.
#![allow(clippy::unwrap_used)]

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde_json::{json, Value};
use sieve_bench_core::Matrix;
use sieve_strategies::continual::{
    buffer_registry, build_buffer_method, class_quotas, condense_task_end,
    soft_nearest_neighbour_labels, BufferMethod, CondenseTask, CondensedImages, ReplayBuffer,
    TaskEnd,
};

fn method(name: &str) -> BufferMethod {
    build_buffer_method(name, &Value::Null).unwrap()
}

#[test]
fn reservoir_keeps_a_uniform_sample_of_the_whole_stream() {
    // Capacity 10 over a stream of 1,000: every row is kept with probability 1/100, so
    // over 400 seeds the first half of the stream holds about half the buffer.
    let reservoir = method("reservoir");
    let mut early = 0usize;
    for seed in 0..400 {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let mut buffer = ReplayBuffer::new(10);
        let stream: Vec<usize> = (0..1000).collect();
        for chunk in stream.chunks(32) {
            reservoir.on_stream(&mut buffer, chunk, &[], &mut rng);
        }
        assert_eq!(buffer.rows.len(), 10);
        assert_eq!(buffer.seen, 1000);
        early += buffer.rows.iter().filter(|&&r| r < 500).count();
    }
    // 4,000 kept rows: about 2,000 from the first half (std ~32).
    assert!((1850..=2150).contains(&early), "{early}");
    // Until it is full it keeps everything, in order.
    let mut buffer = ReplayBuffer::new(10);
    reservoir.on_stream(
        &mut buffer,
        &[7, 8, 9],
        &[],
        &mut ChaCha8Rng::seed_from_u64(0),
    );
    assert_eq!(buffer.rows, vec![7, 8, 9]);
}

fn end<'a>(
    task_rows: &'a [usize],
    labels: &'a [u32],
    task: usize,
    classes_seen: &'a [u32],
    embeddings: Option<&'a Matrix>,
) -> TaskEnd<'a> {
    TaskEnd {
        task_rows,
        labels,
        tasks: 2,
        task,
        classes_seen,
        embeddings,
    }
}

#[test]
fn ring_keeps_the_last_examples_of_each_task_in_its_slot() {
    // Capacity 4 over 2 tasks: 2 slots each, the last two distinct rows of each stream.
    let ring = method("ring");
    let mut rng = ChaCha8Rng::seed_from_u64(0);
    let mut buffer = ReplayBuffer::new(4);
    let labels = vec![0u32; 20];
    ring.on_stream(&mut buffer, &[1, 2, 3], &labels, &mut rng);
    ring.on_stream(&mut buffer, &[4, 5, 5], &labels, &mut rng);
    ring.end_task(
        &mut buffer,
        &end(&[1, 2, 3, 4, 5], &labels, 0, &[0], None),
        &mut rng,
    )
    .unwrap();
    assert_eq!(buffer.rows, vec![4, 5]);
    ring.on_stream(&mut buffer, &[10, 11, 12], &labels, &mut rng);
    ring.end_task(
        &mut buffer,
        &end(&[10, 11, 12], &labels, 1, &[0], None),
        &mut rng,
    )
    .unwrap();
    assert_eq!(buffer.rows, vec![4, 5, 11, 12]);
}

#[test]
fn class_balanced_methods_share_the_buffer_equally_between_classes() {
    assert_eq!(class_quotas(5, &[0, 1, 2]), vec![2, 2, 1]);
    assert_eq!(class_quotas(4, &[0, 1]), vec![2, 2]);
    // Task 0: classes 0 and 1 (rows 0-5 and 6-11); capacity 6 -> 3 each.
    let labels: Vec<u32> = (0..24).map(|r| (r / 6) as u32).collect();
    let random = method("random");
    let mut rng = ChaCha8Rng::seed_from_u64(1);
    let mut buffer = ReplayBuffer::new(6);
    let task0: Vec<usize> = (0..12).collect();
    random
        .end_task(
            &mut buffer,
            &end(&task0, &labels, 0, &[0, 1], None),
            &mut rng,
        )
        .unwrap();
    let count = |b: &ReplayBuffer, c: u32| b.rows.iter().filter(|&&r| labels[r] == c).count();
    assert_eq!((count(&buffer, 0), count(&buffer, 1)), (3, 3));
    let kept_class0: Vec<usize> = buffer
        .rows
        .iter()
        .copied()
        .filter(|&r| labels[r] == 0)
        .collect();
    // Task 1: classes 2 and 3; 4 classes share 6 slots: 2, 2, 1, 1. Old classes keep their
    // first-added rows.
    let task1: Vec<usize> = (12..24).collect();
    random
        .end_task(
            &mut buffer,
            &end(&task1, &labels, 1, &[0, 1, 2, 3], None),
            &mut rng,
        )
        .unwrap();
    assert_eq!(
        (0..4).map(|c| count(&buffer, c)).collect::<Vec<_>>(),
        vec![2, 2, 1, 1]
    );
    let now_class0: Vec<usize> = buffer
        .rows
        .iter()
        .copied()
        .filter(|&r| labels[r] == 0)
        .collect();
    assert_eq!(now_class0, kept_class0[..2].to_vec());
}

#[test]
fn herding_keeps_the_examples_whose_mean_is_the_class_mean() {
    // One class, 1-d embeddings 0, 10, 4, 6 (mean 5), 2 slots: herding first takes the
    // one nearest the mean (4 or 6: 4 comes first), then the one that brings the
    // running mean back to 5 (6). Random or reservoir would not know.
    let herding = method("herding");
    let labels = vec![0u32; 4];
    let embeddings = Matrix::new(4, 1, vec![0.0, 10.0, 4.0, 6.0]);
    let mut buffer = ReplayBuffer::new(2);
    let rows = [0, 1, 2, 3];
    herding
        .end_task(
            &mut buffer,
            &end(&rows, &labels, 0, &[0], Some(&embeddings)),
            &mut ChaCha8Rng::seed_from_u64(0),
        )
        .unwrap();
    assert_eq!(buffer.rows, vec![2, 3]);
    // Without embeddings it says what it needs.
    let mut buffer = ReplayBuffer::new(2);
    let e = herding
        .end_task(
            &mut buffer,
            &end(&rows, &labels, 0, &[0], None),
            &mut ChaCha8Rng::seed_from_u64(0),
        )
        .unwrap_err()
        .to_string();
    assert!(e.contains("embeddings"), "{e}");
}

#[test]
fn replay_draws_distinct_buffer_rows_and_the_registry_knows_its_methods() {
    let mut buffer = ReplayBuffer::new(5);
    buffer.rows = vec![3, 4, 5, 6, 7];
    let rows = method("reservoir").replay(&buffer, 3, &mut ChaCha8Rng::seed_from_u64(2));
    assert_eq!(rows.len(), 3);
    assert!(rows.iter().all(|r| buffer.rows.contains(r)));
    let mut sorted = rows.clone();
    sorted.sort_unstable();
    sorted.dedup();
    assert_eq!(sorted.len(), 3);
    assert_eq!(
        method("reservoir")
            .replay(&buffer, 9, &mut ChaCha8Rng::seed_from_u64(2))
            .len(),
        5
    );
    for info in buffer_registry() {
        let built = method(info.name);
        assert_eq!(built.name(), info.name);
        assert_eq!(
            built.needs_embeddings(),
            matches!(info.name, "herding" | "kcenter")
        );
        assert_eq!(
            built.streams(),
            matches!(info.name, "reservoir" | "ring" | "gdumb")
        );
        assert_eq!(built.uses_unlabeled(), info.name == "nn_pseudo_label");
        assert_eq!(
            built.semi_supervised_only(),
            matches!(info.name, "nn_pseudo_label" | "labeled_steps_matched")
        );
        // Parameterless methods keep the `{}` their trial ids always hashed.
        assert_eq!(built.params_json() == "{}", info.params.is_empty());
    }
    let e = build_buffer_method("resevoir", &Value::Null)
        .unwrap_err()
        .to_string();
    assert!(e.contains("did you mean `reservoir`"), "{e}");
    assert!(build_buffer_method("ring", &json!({ "slots": 2 })).is_err());
}

/// Replays rows 20 and 21 with every batch of class-0 rows and records what trains.
struct ReplayTwo {
    seen: Vec<Vec<usize>>,
    bad: bool,
}

impl sieve_bench_core::train::TrainObserver for ReplayTwo {
    fn on_batch(&mut self, outputs: &sieve_bench_core::train::BatchOutputs<'_>) {
        assert_eq!(outputs.losses.len(), outputs.rows.len());
        self.seen.push(outputs.rows.to_vec());
    }
    fn replay_rows(&mut self, _batch_rows: &[usize]) -> Vec<usize> {
        if self.bad {
            vec![999]
        } else {
            vec![20, 21]
        }
    }
}

#[test]
fn the_trainer_appends_the_replayed_rows_to_each_batch() {
    use burn::backend::{flex::FlexDevice, Autodiff, Flex};
    use sieve_bench_core::train::{train_model_observed, TrainRequest};
    use sieve_bench_core::{ModelKind, ModelSpec, Regularization};
    use sieve_datasets::{ExampleShape, LabeledSet};
    let shape = ExampleShape::new(1, 1, 3);
    let labels: Vec<u32> = (0..24).map(|i| u32::from(i >= 20)).collect();
    let data =
        LabeledSet::new(shape, 2, (0..72).map(|i| (i % 5) as f32).collect(), labels).unwrap();
    let rows: Vec<usize> = (0..20).collect();
    let reg = Regularization {
        epochs: 1,
        batch_size: 8,
        ..Regularization::preset("none").unwrap()
    };
    let spec = ModelSpec {
        hidden: Some(vec![4]),
        ..ModelSpec::of(ModelKind::Mlp)
    };
    let request = || TrainRequest::<Autodiff<Flex>> {
        spec: &spec,
        regularization: &reg,
        data: &data,
        indices: &rows,
        classes: 2,
        init_seed: 1,
        train_seed: 2,
        warm_start: None,
        example_weights: None,
        device: &FlexDevice,
        unlabeled: &[],
        learning_loss: None,
    };
    let mut observer = ReplayTwo {
        seen: Vec::new(),
        bad: false,
    };
    train_model_observed(request(), &mut |_, _| {}, &mut observer).unwrap();
    // 20 rows in batches of 8: 8, 8, 4, each followed by the two replayed rows.
    let sizes: Vec<usize> = observer.seen.iter().map(Vec::len).collect();
    assert_eq!(sizes, vec![10, 10, 6]);
    assert!(observer.seen.iter().all(|b| b.ends_with(&[20, 21])));
    let mut bad = ReplayTwo {
        seen: Vec::new(),
        bad: true,
    };
    let e = train_model_observed(request(), &mut |_, _| {}, &mut bad)
        .err()
        .unwrap()
        .to_string();
    assert!(e.contains("999"), "{e}");
}

#[test]
fn gdumb_balances_classes_greedily_and_offers_each_example_once() {
    // Capacity 4: rows 0-5 are class 0, rows 6-9 class 1. Class 0 fills the buffer (k_c =
    // 4 while it is the only class, so rows 4 and 5 are refused); row 6 (a new class)
    // evicts one class-0 row; row 7 (k_c = 2, class 1 holds 1) evicts another; rows 8 and
    // 9 are refused. Offering the stream again (a second epoch) changes nothing.
    let gdumb = method("gdumb");
    let labels: Vec<u32> = (0..10).map(|r| u32::from(r >= 6)).collect();
    let mut rng = ChaCha8Rng::seed_from_u64(3);
    let mut buffer = ReplayBuffer::new(4);
    let stream: Vec<usize> = (0..10).collect();
    gdumb.on_stream(&mut buffer, &stream[..6], &labels, &mut rng);
    assert_eq!(buffer.rows, vec![0, 1, 2, 3]);
    gdumb.on_stream(&mut buffer, &stream[6..], &labels, &mut rng);
    let class = |c: u32| -> Vec<usize> {
        buffer
            .rows
            .iter()
            .copied()
            .filter(|&r| labels[r] == c)
            .collect()
    };
    assert_eq!(class(1), vec![6, 7]);
    assert_eq!(class(0).len(), 2);
    assert!(class(0).iter().all(|&r| r < 4));
    let before = buffer.rows.clone();
    gdumb.on_stream(&mut buffer, &stream, &labels, &mut rng);
    assert_eq!(buffer.rows, before);
    assert_eq!(buffer.seen, 10);
}

#[test]
fn kcenter_covers_every_cluster_of_the_class() {
    // One class whose 1-d embeddings form three clusters (near 0, at 5, at 10); 3 slots:
    // k-center keeps one of each, wherever its random first centre falls. Herding keeps
    // the two nearest the mean instead.
    let kcenter = method("kcenter");
    let labels = vec![0u32; 5];
    let embeddings = Matrix::new(5, 1, vec![0.0, 0.1, 0.2, 10.0, 5.0]);
    let rows = [0, 1, 2, 3, 4];
    for seed in 0..20 {
        let mut buffer = ReplayBuffer::new(3);
        kcenter
            .end_task(
                &mut buffer,
                &end(&rows, &labels, 0, &[0], Some(&embeddings)),
                &mut ChaCha8Rng::seed_from_u64(seed),
            )
            .unwrap();
        let mut kept = buffer.rows.clone();
        kept.sort_unstable();
        assert_eq!(kept.len(), 3, "seed {seed}");
        assert!(
            kept.contains(&3) && kept.contains(&4),
            "seed {seed}: {kept:?}"
        );
        assert!(kept[0] <= 2, "seed {seed}: {kept:?}");
    }
    let mut buffer = ReplayBuffer::new(3);
    let e = kcenter
        .end_task(
            &mut buffer,
            &end(&rows, &labels, 0, &[0], None),
            &mut ChaCha8Rng::seed_from_u64(0),
        )
        .unwrap_err()
        .to_string();
    assert!(e.contains("embeddings"), "{e}");
}

#[test]
fn soft_nearest_neighbours_label_by_cosine_similarity() {
    // Support: class 0 at (1, 0), class 1 at (0, 1). A query at (9, 1) has cosines
    // 0.99388 and 0.11043; at temperature 0.1 class 0's probability is
    // 1 / (1 + exp(-(9.9388 - 1.1043))) = 0.999855. (1, 1) is equidistant: 0.5.
    let support = Matrix::new(2, 2, vec![1.0, 0.0, 0.0, 1.0]);
    let queries = Matrix::new(3, 2, vec![9.0, 1.0, 0.1, 0.9, 1.0, 1.0]);
    let labels = soft_nearest_neighbour_labels(&support, &[0, 1], &queries, 0.1);
    assert_eq!(labels[0].class, 0);
    assert!(
        (labels[0].confidence - 0.999_855).abs() < 1e-5,
        "{labels:?}"
    );
    assert_eq!(labels[1].class, 1);
    assert!((labels[2].confidence - 0.5).abs() < 1e-6, "{labels:?}");
    // A higher temperature softens it.
    let soft = soft_nearest_neighbour_labels(&support, &[0, 1], &queries, 1.0);
    let expected = 1.0 / (1.0 + (-(0.993_884_f32 - 0.110_432)).exp());
    assert!((soft[0].confidence - expected).abs() < 1e-5, "{soft:?}");
    // Several support examples of a class add up.
    let support = Matrix::new(3, 1, vec![1.0, 1.0, -1.0]);
    let one =
        soft_nearest_neighbour_labels(&support, &[2, 2, 0], &Matrix::new(1, 1, vec![0.0]), 0.1);
    assert_eq!(one[0].class, 2);
    assert!((one[0].confidence - 2.0 / 3.0).abs() < 1e-6);
    // Parameters are validated.
    assert!(build_buffer_method("nn_pseudo_label", &json!({ "temperature": 0.0 })).is_err());
    assert!(build_buffer_method("nn_pseudo_label", &json!({ "threshold": 1.5 })).is_err());
}

#[test]
fn a_condensed_buffer_learns_each_new_class_and_trims_old_ones_to_their_quota() {
    use burn::backend::{flex::FlexDevice, Autodiff, Flex};
    use sieve_bench_core::{ModelKind, ModelSpec};
    use sieve_datasets::{ExampleShape, LabeledSet};
    // Four classes of 2x2 images, 10 rows each: class c's pixels around c.
    let shape = ExampleShape::new(1, 2, 2);
    let labels: Vec<u32> = (0..40).map(|r| (r / 10) as u32).collect();
    let features: Vec<f32> = (0..40)
        .flat_map(|r| (0..4).map(move |p| (r / 10) as f32 + 0.1 * ((r * 7 + p * 3) % 5) as f32))
        .collect();
    let data = LabeledSet::new(shape, 4, features, labels.clone()).unwrap();
    let spec = ModelSpec {
        hidden: Some(vec![8]),
        ..ModelSpec::of(ModelKind::Mlp)
    };
    let params = match method("dm") {
        BufferMethod::Condensed(p) => sieve_strategies::condense::DmParams {
            iterations: 5,
            batch_real: 4,
            dsa: "none".into(),
            ..p
        },
        other => panic!("{other:?}"),
    };
    let task0: Vec<usize> = (0..20).collect();
    let mut rng = ChaCha8Rng::seed_from_u64(0);
    let mut iterations = 0;
    let held = condense_task_end::<Autodiff<Flex>>(
        &params,
        &CondensedImages::default(),
        &CondenseTask {
            data: &data,
            task_rows: &task0,
            classes_seen: &[0, 1],
            capacity: 4,
            spec: &spec,
            device: &FlexDevice,
        },
        &mut rng,
        &mut |_, _, _| iterations += 1,
    )
    .unwrap();
    // Two images per class, one 5-iteration DM run per class, images moved off the real
    // rows they started from.
    assert_eq!(held.labels, vec![0, 0, 1, 1]);
    assert_eq!(held.images.len(), 16);
    assert_eq!(iterations, 10);
    let is_real = |image: &[f32]| (0..40).any(|r| data.example(r) == image);
    assert!(held.images.chunks(4).all(|image| !is_real(image)));
    // Task 1 brings classes 2 and 3: 4 slots over 4 classes, one each; classes 0 and 1
    // keep their first image unchanged.
    let task1: Vec<usize> = (20..40).collect();
    let next = condense_task_end::<Autodiff<Flex>>(
        &params,
        &held,
        &CondenseTask {
            data: &data,
            task_rows: &task1,
            classes_seen: &[0, 1, 2, 3],
            capacity: 4,
            spec: &spec,
            device: &FlexDevice,
        },
        &mut rng,
        &mut |_, _, _| {},
    )
    .unwrap();
    assert_eq!(next.labels, vec![0, 1, 2, 3]);
    assert_eq!(&next.images[..4], &held.images[..4]);
    assert_eq!(&next.images[4..8], &held.images[8..12]);
    // A class with fewer rows than its quota gets as many images as it has rows.
    let few = condense_task_end::<Autodiff<Flex>>(
        &params,
        &CondensedImages::default(),
        &CondenseTask {
            data: &data,
            task_rows: &[0, 1, 10, 11, 12, 13, 14],
            classes_seen: &[0, 1],
            capacity: 8,
            spec: &spec,
            device: &FlexDevice,
        },
        &mut rng,
        &mut |_, _, _| {},
    )
    .unwrap();
    assert_eq!(few.labels, vec![0, 0, 1, 1, 1, 1]);
}

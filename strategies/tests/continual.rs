//! Replay-buffer methods on streams and tasks whose right buffer is known by
//! construction.
#![allow(clippy::unwrap_used)]

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde_json::{json, Value};
use sieve_bench_core::Matrix;
use sieve_strategies::continual::{
    buffer_registry, build_buffer_method, class_quotas, BufferMethod, ReplayBuffer, TaskEnd,
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
            reservoir.on_stream(&mut buffer, chunk, &mut rng);
        }
        assert_eq!(buffer.rows.len(), 10);
        assert_eq!(buffer.seen, 1000);
        early += buffer.rows.iter().filter(|&&r| r < 500).count();
    }
    // 4,000 kept rows: about 2,000 from the first half (std ~32).
    assert!((1850..=2150).contains(&early), "{early}");
    // Until it is full it keeps everything, in order.
    let mut buffer = ReplayBuffer::new(10);
    reservoir.on_stream(&mut buffer, &[7, 8, 9], &mut ChaCha8Rng::seed_from_u64(0));
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
    ring.on_stream(&mut buffer, &[1, 2, 3], &mut rng);
    ring.on_stream(&mut buffer, &[4, 5, 5], &mut rng);
    ring.end_task(
        &mut buffer,
        &end(&[1, 2, 3, 4, 5], &labels, 0, &[0], None),
        &mut rng,
    )
    .unwrap();
    assert_eq!(buffer.rows, vec![4, 5]);
    ring.on_stream(&mut buffer, &[10, 11, 12], &mut rng);
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
            &TaskEnd {
                task_rows: &rows,
                labels: &labels,
                tasks: 1,
                task: 0,
                classes_seen: &[0],
                embeddings: Some(&embeddings),
            },
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
        assert_eq!(info.method.name(), info.name);
        assert_eq!(info.method.needs_embeddings(), info.name == "herding");
        assert_eq!(
            info.method.streams(),
            matches!(info.name, "reservoir" | "ring")
        );
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

//! What bench-core's integration tests share: the lock around the backend's process-wide
//! random generator, a deterministic image batch and a two-class image problem.
#![allow(clippy::unwrap_used, dead_code)]

use burn::tensor::{backend::Backend, Tensor, TensorData};
use sieve_datasets::{ExampleShape, LabeledSet};

/// The backend's random generator is process-wide and tests run in parallel threads:
/// tests that seed it and build or train networks take turns.
pub fn rng_lock() -> std::sync::MutexGuard<'static, ()> {
    static LOCK: std::sync::Mutex<()> = std::sync::Mutex::new(());
    LOCK.lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// `n` deterministic images of `shape` with values in [-1, 1].
pub fn image_batch<B: Backend>(shape: ExampleShape, n: usize, device: &B::Device) -> Tensor<B, 4> {
    let values: Vec<f32> = (0..n * shape.len())
        .map(|i| ((i * 37) % 101) as f32 / 50.0 - 1.0)
        .collect();
    Tensor::from_data(
        TensorData::new(values, [n, shape.channels, shape.height, shape.width]),
        device,
    )
}

/// 64 grey `side` x `side` images of two classes, alternating: bright left half (class 0)
/// or bright right half (class 1), with deterministic noise.
pub fn bright_halves(side: usize) -> LabeledSet {
    let shape = ExampleShape::new(1, side, side);
    let mut features = Vec::new();
    let mut labels = Vec::new();
    for i in 0..64 {
        let class = i % 2;
        for r in 0..side {
            for c in 0..side {
                let bright = (c < side / 2) == (class == 0);
                let noise = ((i * 31 + r * 7 + c * 13) % 17) as f32 / 17.0 - 0.5;
                features.push(if bright { 1.0 } else { -1.0 } + 0.5 * noise);
            }
        }
        labels.push(class as u32);
    }
    LabeledSet::new(shape, 2, features, labels).unwrap()
}

/// Every float parameter of a network, in visiting order: what a changed setting must
/// move.
pub fn weights(model: &sieve_bench_core::Network<burn::backend::Flex>) -> Vec<f32> {
    use burn::module::Module;
    struct Collect(Vec<f32>);
    impl burn::module::ModuleVisitor<burn::backend::Flex> for Collect {
        fn visit_float<const D: usize>(
            &mut self,
            param: &burn::module::Param<Tensor<burn::backend::Flex, D>>,
        ) {
            self.0
                .extend(param.val().into_data().to_vec::<f32>().unwrap());
        }
    }
    let mut c = Collect(Vec::new());
    model.visit(&mut c);
    c.0
}

/// Element-wise equality within 1e-4 relative (kernels against burn's operations).
pub fn close(got: Vec<f32>, want: Vec<f32>, what: &str) {
    assert_eq!(got.len(), want.len(), "{what}");
    for (i, (g, w)) in got.iter().zip(&want).enumerate() {
        assert!(
            (g - w).abs() <= 1e-4 * (1.0 + w.abs()),
            "{what}[{i}]: {g} vs {w}"
        );
    }
}

/// A tensor's values.
pub fn data<B: Backend, const D: usize>(t: Tensor<B, D>) -> Vec<f32> {
    t.into_data().to_vec().unwrap()
}

//! Trained networks as bytes (burn's binary record, full precision): the form shared
//! work keeps in the results folder, backend-independent.

use burn::module::Module;
use burn::record::{BinBytesRecorder, FullPrecisionSettings, Recorder};
use burn::tensor::backend::Backend;
use sieve_bench_core::{ModelSpec, Network};
use sieve_datasets::ExampleShape;

/// The network's weights as bytes.
pub(crate) fn to_bytes<B: Backend>(model: Network<B>) -> Result<Vec<u8>, String> {
    BinBytesRecorder::<FullPrecisionSettings>::default()
        .record(model.into_record(), ())
        .map_err(|e| format!("cannot serialise a trained network: {e}"))
}

/// A network of `spec` for `shape` and `classes` with the weights of `bytes`.
pub(crate) fn from_bytes<B: Backend>(
    bytes: &[u8],
    spec: &ModelSpec,
    shape: ExampleShape,
    classes: usize,
    device: &B::Device,
) -> Result<Network<B>, String> {
    let record = BinBytesRecorder::<FullPrecisionSettings>::default()
        .load(bytes.to_vec(), device)
        .map_err(|e| format!("cannot read a cached network: {e}"))?;
    let network = Network::<B>::init(spec, shape, classes, device).map_err(|e| e.to_string())?;
    Ok(network.load_record(record))
}

//! Choosing the backend at run time: `cpu` (always), `cuda[:N]` and `wgpu` when compiled in.

use std::fmt;
use std::str::FromStr;

use burn::tensor::backend::AutodiffBackend;

/// The device a sweep runs on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DeviceChoice {
    Cpu,
    Cuda(usize),
    Wgpu,
}

impl FromStr for DeviceChoice {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "cpu" => Ok(DeviceChoice::Cpu),
            "cuda" => Ok(DeviceChoice::Cuda(0)),
            "wgpu" => Ok(DeviceChoice::Wgpu),
            other => match other.strip_prefix("cuda:") {
                Some(n) => n.parse().map(DeviceChoice::Cuda).map_err(|_| {
                    format!("bad CUDA device index in `{other}`: expected cuda:N with N a number")
                }),
                None => Err(format!(
                    "unknown device `{other}`: expected cpu, cuda, cuda:N or wgpu"
                )),
            },
        }
    }
}

impl fmt::Display for DeviceChoice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DeviceChoice::Cpu => write!(f, "cpu"),
            DeviceChoice::Cuda(n) => write!(f, "cuda:{n}"),
            DeviceChoice::Wgpu => write!(f, "wgpu"),
        }
    }
}

/// Work that runs on whichever backend was chosen.
pub trait BackendJob {
    type Output;
    fn run<B: AutodiffBackend>(self, device: B::Device) -> Self::Output;
}

/// The CPU backend: burn's pure-Rust Flex under autodiff.
pub type CpuBackend = burn::backend::Autodiff<burn::backend::Flex>;

/// Whether this binary can run on `choice`; the error names the cargo feature to build
/// with. Checked before a sweep touches its results folder.
pub fn ensure_compiled_in(choice: DeviceChoice) -> Result<(), String> {
    match choice {
        DeviceChoice::Cpu => Ok(()),
        DeviceChoice::Cuda(_) if cfg!(feature = "cuda") => Ok(()),
        DeviceChoice::Wgpu if cfg!(feature = "wgpu") => Ok(()),
        DeviceChoice::Cuda(_) => Err("this sieve was built without CUDA support: rebuild with `cargo build --release --features cuda`".into()),
        DeviceChoice::Wgpu => Err("this sieve was built without wgpu support: rebuild with `cargo build --release --features wgpu`".into()),
    }
}

/// Runs `job` on the chosen backend, or explains which cargo feature is missing.
pub fn dispatch<J: BackendJob>(choice: DeviceChoice, job: J) -> Result<J::Output, String> {
    match choice {
        DeviceChoice::Cpu => Ok(job.run::<CpuBackend>(burn::backend::flex::FlexDevice)),
        DeviceChoice::Cuda(index) => run_cuda(index, job),
        DeviceChoice::Wgpu => run_wgpu(job),
    }
}

#[cfg(feature = "cuda")]
fn run_cuda<J: BackendJob>(index: usize, job: J) -> Result<J::Output, String> {
    use burn::backend::cuda::{Cuda, CudaDevice};
    Ok(job.run::<burn::backend::Autodiff<Cuda>>(CudaDevice::new(index)))
}

#[cfg(not(feature = "cuda"))]
fn run_cuda<J: BackendJob>(index: usize, _job: J) -> Result<J::Output, String> {
    ensure_compiled_in(DeviceChoice::Cuda(index))?;
    Err("CUDA backend unavailable".into())
}

#[cfg(feature = "wgpu")]
fn run_wgpu<J: BackendJob>(job: J) -> Result<J::Output, String> {
    use burn::backend::wgpu::{Wgpu, WgpuDevice};
    Ok(job.run::<burn::backend::Autodiff<Wgpu>>(WgpuDevice::DefaultDevice))
}

#[cfg(not(feature = "wgpu"))]
fn run_wgpu<J: BackendJob>(_job: J) -> Result<J::Output, String> {
    ensure_compiled_in(DeviceChoice::Wgpu)?;
    Err("wgpu backend unavailable".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_device_names() {
        assert_eq!("cpu".parse(), Ok(DeviceChoice::Cpu));
        assert_eq!("cuda".parse(), Ok(DeviceChoice::Cuda(0)));
        assert_eq!("cuda:2".parse(), Ok(DeviceChoice::Cuda(2)));
        assert!("cuda:x".parse::<DeviceChoice>().is_err());
        assert!("tpu".parse::<DeviceChoice>().is_err());
        assert_eq!(DeviceChoice::Cuda(1).to_string(), "cuda:1");
    }
}

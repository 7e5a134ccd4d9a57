//! Stochastic weight averaging: a running mean of the weights over the last epochs,
//! kept on the inner backend.

use burn::module::{Module, ModuleMapper, ModuleVisitor, Param};
use burn::tensor::{backend::Backend, Tensor};

use crate::Network;

/// Running average of a network's float parameters (flattened, in visiting order).
pub(crate) struct SwaAverage<B: Backend> {
    sums: Vec<Tensor<B, 1>>,
    count: usize,
}

impl<B: Backend> SwaAverage<B> {
    pub fn new() -> Self {
        Self {
            sums: Vec::new(),
            count: 0,
        }
    }

    /// Adds one snapshot of the weights.
    pub fn add(&mut self, model: &Network<B>) {
        let mut collector = Collector {
            tensors: Vec::new(),
        };
        model.visit(&mut collector);
        if self.sums.is_empty() {
            self.sums = collector.tensors;
        } else {
            for (sum, t) in self.sums.iter_mut().zip(collector.tensors) {
                *sum = sum.clone() + t;
            }
        }
        self.count += 1;
    }

    /// The averaged weights written into `model` (unchanged when nothing was added).
    pub fn apply(&self, model: Network<B>) -> Network<B> {
        if self.count == 0 {
            return model;
        }
        let scale = 1.0 / self.count as f64;
        let mut writer = Writer {
            means: self.sums.iter().map(|s| s.clone() * scale).collect(),
            next: 0,
        };
        model.map(&mut writer)
    }
}

struct Collector<B: Backend> {
    tensors: Vec<Tensor<B, 1>>,
}

impl<B: Backend> ModuleVisitor<B> for Collector<B> {
    fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<B, D>>) {
        let t = param.val();
        let n = t.shape().num_elements();
        self.tensors.push(t.reshape([n]));
    }
}

struct Writer<B: Backend> {
    means: Vec<Tensor<B, 1>>,
    next: usize,
}

impl<B: Backend> ModuleMapper<B> for Writer<B> {
    fn map_float<const D: usize>(&mut self, param: Param<Tensor<B, D>>) -> Param<Tensor<B, D>> {
        let index = self.next;
        self.next += 1;
        param.map(|t| {
            let shape = t.shape();
            match self.means.get(index) {
                Some(mean) => mean.clone().reshape(shape),
                None => t,
            }
        })
    }
}

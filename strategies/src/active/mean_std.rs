//! Mean standard deviation (Kampffmeyer et al. 2016; Gal, Islam & Ghahramani 2017):
//! the per-class standard deviation of p_s(c|x) over the MC-dropout passes, averaged
//! over classes. Measures how much the sampled predictions move.

use rand_chacha::ChaCha8Rng;
use sieve_bench_core::{ModelView, SelectionRequest, Strategy, StrategyError};

use super::mc_dropout::{select_by_mc_score, McParams};

/// Mean over classes of the standard deviation over `samples` MC-dropout passes.
#[derive(Debug, Default)]
pub struct MeanStd {
    pub params: McParams,
}

/// mean_c sqrt(E_s[p_s(c)^2] - E_s[p_s(c)]^2) (population standard deviation).
pub fn mean_std_score(rows: &[&[f32]]) -> f64 {
    let classes = rows.first().map_or(0, |r| r.len());
    if rows.is_empty() || classes == 0 {
        return 0.0;
    }
    let k = rows.len() as f64;
    let total: f64 = (0..classes)
        .map(|c| {
            let mean = rows.iter().map(|r| f64::from(r[c])).sum::<f64>() / k;
            let var = rows
                .iter()
                .map(|r| (f64::from(r[c]) - mean).powi(2))
                .sum::<f64>()
                / k;
            var.sqrt()
        })
        .sum();
    total / classes as f64
}

impl Strategy for MeanStd {
    fn name(&self) -> &'static str {
        "mean_std"
    }

    fn params_json(&self) -> String {
        crate::params::to_json(&self.params)
    }

    fn select(
        &mut self,
        request: &SelectionRequest<'_>,
        model: &dyn ModelView,
        _rng: &mut ChaCha8Rng,
    ) -> Result<Vec<usize>, StrategyError> {
        select_by_mc_score(self.name(), &self.params, request, model, mean_std_score)
    }
}

//! TOD, temporal output discrepancy (Huang, Wang, Xiong, Huan & Dou, "Semi-Supervised
//! Active Learning with Temporal Output Discrepancy", ICCV 2021; reference
//! siyuhuang/TOD, `main_TOD.py`): the discrepancy between the outputs of the models of
//! consecutive active-learning cycles lower-bounds an example's accumulated loss, so
//! the examples whose prediction moved most are the most informative.
//!
//! Score (the reference's cyclic output discrepancy): `||softmax f_c(x) −
//! softmax f_{c−1}(x)||² / 2`, f_c the model just trained and f_{c−1} the previous
//! round's. The batch is the `count` highest scores. At the first selection no round
//! precedes: like the reference, which compares with its never-trained checkpoint model
//! then and takes the *lowest* scores at that cycle, sieve compares with an untrained
//! network of the same architecture and takes the lowest.

use rand_chacha::ChaCha8Rng;
use sieve_bench_core::{ModelView, SelectionRequest, Strategy, StrategyError};

use crate::linalg::check_shape;
use crate::ranking::rank;

/// Cyclic output discrepancy between consecutive rounds' models.
#[derive(Debug, Default)]
pub struct TemporalOutputDiscrepancy;

/// `||p − q||² / 2` for each pair of rows.
pub fn output_discrepancy(current: &[f32], previous: &[f32]) -> f64 {
    current
        .iter()
        .zip(previous)
        .map(|(&p, &q)| f64::from(p - q).powi(2))
        .sum::<f64>()
        / 2.0
}

impl Strategy for TemporalOutputDiscrepancy {
    fn name(&self) -> &'static str {
        "tod"
    }

    fn select(
        &mut self,
        request: &SelectionRequest<'_>,
        model: &dyn ModelView,
        _rng: &mut ChaCha8Rng,
    ) -> Result<Vec<usize>, StrategyError> {
        let n = request.unlabeled.len();
        if request.count.min(n) == 0 {
            return Ok(Vec::new());
        }
        let current = model.probabilities(request.unlabeled)?;
        let previous = model.previous_probabilities(request.unlabeled)?;
        let classes = current.cols;
        check_shape(self.name(), "probabilities", &current, n, Some(classes))?;
        check_shape(
            self.name(),
            "previous probabilities",
            &previous.probabilities,
            n,
            Some(classes),
        )?;
        let scores: Vec<f64> = (0..n)
            .map(|i| output_discrepancy(current.row(i), previous.probabilities.row(i)))
            .collect();
        // Highest discrepancy after a trained round; lowest against the untrained
        // stand-in of the first selection, as the reference does.
        let mut ranked = rank(request.unlabeled, &scores, previous.trained);
        ranked.truncate(request.count);
        Ok(ranked)
    }
}

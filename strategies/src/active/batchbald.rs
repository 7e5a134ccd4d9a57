//! BatchBALD (Kirsch, van Amersfoort & Gal, NeurIPS 2019): pick the batch that
//! maximises the *joint* mutual information I(y_1..y_b; w), greedily, so examples that
//! carry the same information (near duplicates) are not all taken, as top-b BALD does.
//!
//! With K MC-dropout samples p_s(y|x), the greedy gain of adding x to the selected set
//! S = {x_1..x_{n-1}} is H(y_1..y_{n-1}, y_x) - E_w H(y_x | w) (the conditional terms of
//! S are the same for every candidate). The joint is P(y_1..y_n) = 1/K sum_s prod_i
//! p_s(y_i), held as a table over configurations of S: row r stores, per sample s, the
//! normalised prod_i p_s(y_i^r) and ln P(r). For a candidate, P(y_x = c | r) = q_rc.
//!
//! Bound on the configurations: the table is exact (all C^|S| configurations with
//! non-zero probability) while it has at most `max_configurations` rows. Once
//! expanding it would exceed that, it is replaced by `max_configurations` sampled
//! configurations drawn from the joint (ancestral sampling with the strategy's rng);
//! each later pick extends every sampled configuration by one label drawn from its
//! conditional. The joint entropy is then the importance-sampling estimate of the
//! paper, H ≈ -1/M sum_m sum_c q_mc ln P(m, c). Per greedy step the cost is
//! O(candidates x max_configurations x K x C) time and O(max_configurations x K)
//! memory.
//!
//! To keep a step practical on large pools, the greedy search runs over the
//! `max_candidates` examples with the highest BALD score (0 = the whole pool); a common
//! shortcut, documented as a departure from the paper's whole-pool search.

use rand::Rng;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};
use sieve_bench_core::{ModelView, SelectionRequest, Strategy, StrategyError};

use super::mc_dropout::mc_probabilities;
use crate::params::{at_least, at_most, ValidateParams, MAX_MC_SAMPLES};
use crate::ranking::top_k;

/// Parameters of BatchBALD.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct BatchBaldParams {
    /// MC-dropout forward passes (K), >= 2.
    pub samples: usize,
    /// Most joint configurations held: exact below it, sampled (M = this) above it.
    pub max_configurations: usize,
    /// Greedy search over this many highest-BALD examples; 0 = the whole pool.
    pub max_candidates: usize,
}

impl Default for BatchBaldParams {
    fn default() -> Self {
        Self {
            samples: 20,
            max_configurations: 10_000,
            max_candidates: 1_000,
        }
    }
}

impl ValidateParams for BatchBaldParams {
    fn validate(&self, strategy: &str) -> Result<(), StrategyError> {
        at_least(strategy, "samples", self.samples, 2)?;
        at_most(strategy, "samples", self.samples, MAX_MC_SAMPLES)?;
        at_least(strategy, "max_configurations", self.max_configurations, 1)?;
        at_most(
            strategy,
            "max_configurations",
            self.max_configurations,
            10_000_000,
        )
    }
}

/// Greedy joint mutual information over MC-dropout samples.
#[derive(Debug, Default)]
pub struct BatchBald {
    pub params: BatchBaldParams,
}

fn entropy(q: &[f64]) -> f64 {
    q.iter().filter(|&&v| v > 0.0).map(|&v| -v * v.ln()).sum()
}

/// One index drawn with probability proportional to `weights` (all >= 0).
fn draw(weights: impl Iterator<Item = f64> + Clone, rng: &mut ChaCha8Rng) -> usize {
    let total: f64 = weights.clone().sum();
    let target = rng.random::<f64>() * total;
    let mut acc = 0.0;
    let mut last = 0;
    for (i, w) in weights.enumerate() {
        if w > 0.0 {
            acc += w;
            last = i;
            if acc > target {
                return i;
            }
        }
    }
    last
}

/// The joint distribution of the selected set's labels, as configuration rows.
pub struct JointTable {
    k: usize,
    c: usize,
    /// Row-major `rows x K`: prod_i p_s(y_i^r), normalised to sum 1 over s.
    weights: Vec<f64>,
    /// ln P(r) for each row.
    log_prob: Vec<f64>,
    /// Whether the rows are M samples from the joint (else all configurations).
    sampled: bool,
}

impl JointTable {
    /// The empty selection: one configuration with probability 1.
    pub fn new(k: usize, c: usize) -> Self {
        Self {
            k,
            c,
            weights: vec![1.0 / k as f64; k],
            log_prob: vec![0.0],
            sampled: false,
        }
    }

    /// Rows currently held.
    pub fn rows(&self) -> usize {
        self.log_prob.len()
    }

    /// Whether the table has switched to sampled configurations.
    pub fn is_sampled(&self) -> bool {
        self.sampled
    }

    /// Weight of row r in the entropy sum: P(r) when exact, 1/M when sampled.
    fn row_weights(&self) -> Vec<f64> {
        let m = self.rows() as f64;
        self.log_prob
            .iter()
            .map(|&lp| if self.sampled { 1.0 / m } else { lp.exp() })
            .collect()
    }

    /// q_r = P(y_x | r) into `q` for a candidate with probabilities `p` (K x C).
    fn conditional(&self, r: usize, p: &[f64], q: &mut [f64]) {
        q.fill(0.0);
        let row = &self.weights[r * self.k..(r + 1) * self.k];
        for (s, &t) in row.iter().enumerate() {
            if t != 0.0 {
                for (qc, &pc) in q.iter_mut().zip(&p[s * self.c..(s + 1) * self.c]) {
                    *qc += t * pc;
                }
            }
        }
    }

    /// H(y_S, y_x) for a candidate with probabilities `p` (K x C, row-major).
    pub fn joint_entropy(&self, p: &[f64]) -> f64 {
        let w = self.row_weights();
        let mut q = vec![0f64; self.c];
        let mut h = 0.0;
        for (r, &wr) in w.iter().enumerate() {
            if wr > 0.0 {
                self.conditional(r, p, &mut q);
                // -sum_c q_c ln(P(r) q_c) = -ln P(r) + H(q_r)
                h += wr * (entropy(&q) - self.log_prob[r]);
            }
        }
        h
    }

    /// Candidate-dependent part of the joint entropy: sum_r w_r H(q_r).
    fn conditional_entropy_sum(&self, w: &[f64], p: &[f64], q: &mut [f64]) -> f64 {
        let mut h = 0.0;
        for (r, &wr) in w.iter().enumerate() {
            if wr > 0.0 {
                self.conditional(r, p, q);
                h += wr * entropy(q);
            }
        }
        h
    }

    /// A row extended by label `c` of the newly selected example.
    fn extended(&self, r: usize, p: &[f64], c: usize, q_rc: f64, out_w: &mut Vec<f64>) -> f64 {
        let row = &self.weights[r * self.k..(r + 1) * self.k];
        for (s, &t) in row.iter().enumerate() {
            out_w.push(t * p[s * self.c + c] / q_rc);
        }
        self.log_prob[r] + q_rc.ln()
    }

    /// Adds the selected example with probabilities `p`: exact expansion while it fits
    /// in `max_rows`, otherwise (and from then on) sampled configurations.
    pub fn add(&mut self, p: &[f64], max_rows: usize, rng: &mut ChaCha8Rng) {
        let mut q = vec![0f64; self.c];
        let mut weights = Vec::new();
        let mut log_prob = Vec::new();
        if !self.sampled && self.rows() * self.c <= max_rows {
            for r in 0..self.rows() {
                self.conditional(r, p, &mut q);
                for (c, &q_rc) in q.iter().enumerate() {
                    if q_rc > 0.0 {
                        log_prob.push(self.extended(r, p, c, q_rc, &mut weights));
                    }
                }
            }
        } else {
            let sources: Vec<usize> = if self.sampled {
                (0..self.rows()).collect()
            } else {
                let probs: Vec<f64> = self.log_prob.iter().map(|lp| lp.exp()).collect();
                (0..max_rows)
                    .map(|_| draw(probs.iter().copied(), rng))
                    .collect()
            };
            for r in sources {
                self.conditional(r, p, &mut q);
                let c = draw(q.iter().copied(), rng);
                if q[c] > 0.0 {
                    log_prob.push(self.extended(r, p, c, q[c], &mut weights));
                }
            }
            self.sampled = true;
        }
        if !log_prob.is_empty() {
            self.weights = weights;
            self.log_prob = log_prob;
        }
    }
}

impl Strategy for BatchBald {
    fn name(&self) -> &'static str {
        "batchbald"
    }

    fn params_json(&self) -> String {
        crate::params::to_json(&self.params)
    }

    fn select(
        &mut self,
        request: &SelectionRequest<'_>,
        model: &dyn ModelView,
        rng: &mut ChaCha8Rng,
    ) -> Result<Vec<usize>, StrategyError> {
        self.params.validate(self.name())?;
        let n = request.unlabeled.len();
        let count = request.count.min(n);
        let draws = mc_probabilities(self.name(), model, request.unlabeled, self.params.samples)?;
        if count == n {
            // Nothing to choose; the MC passes were still drawn so a model without
            // dropout fails the same way whatever the batch size.
            return Ok(request.unlabeled.to_vec());
        }
        let (k, c) = (draws.len(), draws[0].cols);
        // Per-example K x C blocks, E_w H(y|w) and BALD.
        let block = |i: usize| -> Vec<f64> {
            draws
                .iter()
                .flat_map(|m| m.row(i).iter().map(|&v| f64::from(v)))
                .collect()
        };
        let mut expected = Vec::with_capacity(n);
        let mut bald = Vec::with_capacity(n);
        for i in 0..n {
            let p = block(i);
            let mut mean = vec![0f64; c];
            let mut cond = 0.0;
            for row in p.chunks(c.max(1)) {
                cond += entropy(row) / k as f64;
                for (m, &v) in mean.iter_mut().zip(row) {
                    *m += v / k as f64;
                }
            }
            expected.push(cond);
            bald.push(entropy(&mean) - cond);
        }
        let rows: Vec<usize> = (0..n).collect();
        let mut candidates = if self.params.max_candidates > 0 {
            top_k(&rows, &bald, self.params.max_candidates.max(count))
        } else {
            rows
        };
        candidates.sort_unstable();
        let blocks: Vec<Vec<f64>> = candidates.iter().map(|&i| block(i)).collect();
        drop(draws);
        let mut table = JointTable::new(k, c);
        let mut taken = vec![false; candidates.len()];
        let mut picks = Vec::with_capacity(count);
        let mut q = vec![0f64; c];
        while picks.len() < count {
            let w = table.row_weights();
            let mut best: Option<(usize, f64)> = None;
            for (j, p) in blocks.iter().enumerate() {
                if taken[j] {
                    continue;
                }
                let score = table.conditional_entropy_sum(&w, p, &mut q) - expected[candidates[j]];
                if best.is_none_or(|(_, b)| score > b) {
                    best = Some((j, score));
                }
            }
            let Some((j, _)) = best else { break };
            taken[j] = true;
            picks.push(request.unlabeled[candidates[j]]);
            if picks.len() < count {
                table.add(&blocks[j], self.params.max_configurations, rng);
            }
        }
        Ok(picks)
    }
}

//! `sieve compare BASE NEW`: cell by cell, did NEW improve, regress, or stay
//! within noise of BASE? The regression gate CI runs against a stored baseline.
//!
//! Rule (both configurable, defaults in [`CompareOptions`]): with the change
//! Δ = mean(NEW) - mean(BASE) read in the metric's good direction, a cell
//! *regressed* when Δ < -tolerance **and** the two-sided test is significant at
//! alpha; *improved* when Δ > +tolerance and significant; otherwise it is
//! *within noise*. A cell that cannot be tested (fewer than two repeats on a
//! side) is *untested*, never a regression; a cell whose evaluations all failed
//! in NEW but not in BASE regressed. Cells on one side only are listed.

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::fmt::Write as _;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::cells::{Arm, Setting};
use crate::error::ResultsError;
use crate::export::markdown::{md_escape, pval};
use crate::metric::Metric;
use crate::reader::read_records;
use crate::record::Record;
use crate::stats::mann_whitney::mann_whitney_u;
use crate::stats::paired::paired_difference;
use crate::stats::welch::welch_t;

/// The test behind a compare verdict.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CompareTest {
    /// Paired t on repeats when BASE and NEW ran every repeat with the same seeds
    /// (a rerun of the same config), Welch's t otherwise. The default.
    Auto,
    /// Welch's two-sample t test (unequal variances).
    Welch,
    /// Mann-Whitney U (rank-sum) test.
    MannWhitney,
}

/// Options of `sieve compare`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CompareOptions {
    /// Two-sided significance level. Default 0.05.
    pub alpha: f64,
    /// Smallest change that counts, in metric units (0.005 = half an accuracy
    /// point). Default 0.005.
    pub tolerance: f64,
    /// The metric compared. Default test_accuracy.
    pub metric: Metric,
    /// The test. Default [`CompareTest::Auto`].
    pub test: CompareTest,
    /// Whether a cell of BASE missing from NEW is allowed (default false: it fails the
    /// gate, so a run that stopped early or lost a setting cannot pass).
    pub allow_missing: bool,
}

impl Default for CompareOptions {
    fn default() -> Self {
        Self {
            alpha: 0.05,
            tolerance: 0.005,
            metric: Metric::TEST_ACCURACY,
            test: CompareTest::Auto,
            allow_missing: false,
        }
    }
}

impl CompareOptions {
    /// Checks the values a user could get wrong, naming the field.
    pub fn validate(&self) -> Result<(), String> {
        if !(self.alpha > 0.0 && self.alpha < 1.0) {
            return Err(format!("alpha must be in (0, 1), got {}", self.alpha));
        }
        if !(self.tolerance >= 0.0 && self.tolerance.is_finite()) {
            return Err(format!(
                "tolerance must be a finite number >= 0, got {}",
                self.tolerance
            ));
        }
        Ok(())
    }
}

/// What happened to a cell.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Change {
    /// Better beyond the tolerance, and significant.
    Improved,
    /// Worse beyond the tolerance, and significant.
    Regressed,
    /// Not both beyond the tolerance and significant.
    WithinNoise,
    /// Too few repeats on a side to test.
    Untested,
}

impl Change {
    /// Lower-case words for tables.
    pub fn as_str(self) -> &'static str {
        match self {
            Change::Improved => "improved",
            Change::Regressed => "REGRESSED",
            Change::WithinNoise => "within noise",
            Change::Untested => "untested",
        }
    }
}

/// Identity of a cell across two results folders.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct CellId {
    /// The setting.
    pub setting: Setting,
    /// Method name.
    pub method: String,
    /// Method parameters.
    pub method_params: String,
    /// Round.
    pub round: u32,
}

impl CellId {
    /// The arm's label (method with parameters if any).
    pub fn label(&self) -> String {
        Arm::new(&self.setting.kind, &self.method, &self.method_params).label()
    }
}

/// The comparison of one cell present on both sides.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CellChange {
    /// The cell.
    pub cell: CellId,
    /// Mean x of the cell (the labeled count for active learning; NEW's records).
    pub x: f64,
    /// Usable repeats in BASE.
    pub n_base: usize,
    /// Usable repeats in NEW.
    pub n_new: usize,
    /// Mean in BASE; `None` when every evaluation failed.
    pub base_mean: Option<f64>,
    /// Mean in NEW; `None` when every evaluation failed.
    pub new_mean: Option<f64>,
    /// new_mean - base_mean.
    pub diff: Option<f64>,
    /// Two-sided p-value; `None` when untested.
    pub p_value: Option<f64>,
    /// The test used: `paired t`, `welch t`, `mann-whitney`, or empty.
    pub test: String,
    /// The decision.
    pub change: Change,
    /// Why, when not obvious.
    pub note: String,
}

/// The result of `sieve compare`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Comparison {
    /// BASE folder (as given).
    pub base: String,
    /// NEW folder (as given).
    pub new: String,
    /// The options used.
    pub options: CompareOptions,
    /// Cells on both sides, ordered by setting, arm, round.
    pub cells: Vec<CellChange>,
    /// Cells only in BASE (dropped from NEW: the gate lists them).
    pub only_in_base: Vec<CellId>,
    /// Cells only in NEW.
    pub only_in_new: Vec<CellId>,
    /// Records skipped while reading either side.
    pub warnings: Vec<String>,
}

impl Comparison {
    /// Whether any cell regressed.
    pub fn any_regressed(&self) -> bool {
        self.cells.iter().any(|c| c.change == Change::Regressed)
    }

    /// Whether the gate fails (exit 1): a cell regressed, or a cell of BASE is missing
    /// from NEW (unless `allow_missing`).
    pub fn gate_fails(&self) -> bool {
        self.any_regressed() || (!self.options.allow_missing && !self.only_in_base.is_empty())
    }

    /// Number of cells with `change`.
    pub fn count(&self, change: Change) -> usize {
        self.cells.iter().filter(|c| c.change == change).count()
    }

    /// The Markdown report printed to stdout.
    pub fn to_markdown(&self) -> String {
        let o = &self.options;
        let scale = o.metric.display_scale();
        let d = if o.metric.higher_is_better() { 2 } else { 4 };
        let mut s = String::new();
        let _ =
            writeln!(
            s,
            "# sieve compare: {}\n\nBASE `{}` → NEW `{}`. Rule: regressed when NEW is worse than \
             BASE by more than {} {} and the two-sided test is significant at alpha = {}; \
             improved symmetrically; otherwise within noise.\n",
            o.metric.display_name(),
            self.base,
            self.new,
            o.tolerance * scale,
            if o.metric.higher_is_better() { "points" } else { "units" },
            o.alpha
        );
        let _ = writeln!(
            s,
            "**{}** regressed, {} improved, {} within noise, {} untested; {} only in BASE, {} only in NEW.\n",
            self.count(Change::Regressed),
            self.count(Change::Improved),
            self.count(Change::WithinNoise),
            self.count(Change::Untested),
            self.only_in_base.len(),
            self.only_in_new.len()
        );
        if !self.only_in_base.is_empty() && !o.allow_missing {
            let _ = writeln!(
                s,
                "**FAILED**: {} cell(s) of BASE are missing from NEW (a run that stopped early, a lost setting); `--allow-missing` accepts that.\n",
                self.only_in_base.len()
            );
        }
        s.push_str(
            "| setting | method | round | x | n base/new | base | new | Δ | p | test | status |\n",
        );
        s.push_str("|---|---|---:|---:|---:|---:|---:|---:|---:|---|---|\n");
        let f = |v: Option<f64>| v.map_or("–".into(), |x| format!("{:.*}", d, x * scale));
        for c in &self.cells {
            let status = if c.note.is_empty() {
                c.change.as_str().to_string()
            } else {
                format!("{} ({})", c.change.as_str(), c.note)
            };
            let _ = writeln!(
                s,
                "| {} | {} | {} | {:.0} | {}/{} | {} | {} | {} | {} | {} | {} |",
                md_escape(&c.cell.setting.title()),
                md_escape(&c.cell.label()),
                c.cell.round,
                c.x,
                c.n_base,
                c.n_new,
                f(c.base_mean),
                f(c.new_mean),
                c.diff
                    .map_or("–".into(), |x| format!("{:+.*}", d, x * scale)),
                pval(c.p_value),
                c.test,
                status
            );
        }
        for (title, list) in [
            ("Only in BASE", &self.only_in_base),
            ("Only in NEW", &self.only_in_new),
        ] {
            if list.is_empty() {
                continue;
            }
            let _ = writeln!(s, "\n{title} ({}):\n", list.len());
            for c in list {
                let _ = writeln!(
                    s,
                    "- {} · {} · round {}",
                    md_escape(&c.setting.title()),
                    md_escape(&c.label()),
                    c.round
                );
            }
        }
        s
    }
}

/// Reads BASE/records.csv and NEW/records.csv and compares them.
pub fn compare_dirs(
    base: &Path,
    new: &Path,
    options: &CompareOptions,
) -> Result<Comparison, ResultsError> {
    options
        .validate()
        .map_err(|message| ResultsError::Options { message })?;
    let read = |dir: &Path| {
        let path = dir.join("records.csv");
        if !path.is_file() {
            return Err(ResultsError::NotAResultsDir {
                dir: dir.display().to_string(),
            });
        }
        read_records(&path)
    };
    let b = read(base)?;
    let n = read(new)?;
    for (dir, side) in [(base, &b), (new, &n)] {
        if side.records.is_empty() {
            return Err(ResultsError::NoRecords {
                file: dir.join("records.csv").display().to_string(),
            });
        }
    }
    let mut cmp = compare_records(&b.records, &n.records, options);
    cmp.base = base.display().to_string();
    cmp.new = new.display().to_string();
    cmp.warnings = b.warnings.into_iter().chain(n.warnings).collect();
    Ok(cmp)
}

/// One side's cell: (repeat, seed, value) of usable evaluations, the number of
/// records, and the x values.
#[derive(Default)]
struct Side {
    values: Vec<(u32, u64, f64)>,
    records: usize,
    x: Vec<f64>,
}

fn cells(records: &[Record], metric: Metric) -> BTreeMap<CellId, Side> {
    let mut seen = HashSet::new();
    let mut out: BTreeMap<CellId, Side> = BTreeMap::new();
    for r in records {
        if !seen.insert((r.trial_id.as_str(), r.round, r.eval_index)) {
            continue;
        }
        let id = CellId {
            setting: Setting::of(r),
            method: r.method.clone(),
            method_params: r.method_params.clone(),
            round: r.round,
        };
        let side = out.entry(id).or_default();
        side.records += 1;
        side.x.push(r.x);
        if let Some(v) = r.metric(metric).filter(|v| r.is_ok() && v.is_finite()) {
            side.values.push((r.repeat, r.seed, v));
        }
    }
    // Several evaluation models of one repeat (condensation) are one sample: their mean.
    for side in out.values_mut() {
        let mut by_repeat: BTreeMap<(u32, u64), (f64, usize)> = BTreeMap::new();
        for &(repeat, seed, v) in &side.values {
            let e = by_repeat.entry((repeat, seed)).or_insert((0.0, 0));
            e.0 += v;
            e.1 += 1;
        }
        side.values = by_repeat
            .into_iter()
            .map(|((repeat, seed), (sum, n))| (repeat, seed, sum / n as f64))
            .collect();
    }
    out
}

/// Compares two sets of records (see the module docs for the rule).
pub fn compare_records(base: &[Record], new: &[Record], options: &CompareOptions) -> Comparison {
    let b = cells(base, options.metric);
    let n = cells(new, options.metric);
    let keys: BTreeSet<&CellId> = b.keys().chain(n.keys()).collect();
    let mut out = Comparison {
        base: String::new(),
        new: String::new(),
        options: options.clone(),
        cells: Vec::new(),
        only_in_base: Vec::new(),
        only_in_new: Vec::new(),
        warnings: Vec::new(),
    };
    for id in keys {
        match (b.get(id), n.get(id)) {
            (Some(bs), Some(ns)) => out.cells.push(decide(id, bs, ns, options)),
            (Some(_), None) => out.only_in_base.push(id.clone()),
            (None, Some(_)) => out.only_in_new.push(id.clone()),
            (None, None) => {}
        }
    }
    out
}

fn mean(v: &[f64]) -> Option<f64> {
    (!v.is_empty()).then(|| v.iter().sum::<f64>() / v.len() as f64)
}

/// The decision for one cell present on both sides.
fn decide(id: &CellId, b: &Side, n: &Side, o: &CompareOptions) -> CellChange {
    let bv: Vec<f64> = b.values.iter().map(|x| x.2).collect();
    let nv: Vec<f64> = n.values.iter().map(|x| x.2).collect();
    let (base_mean, new_mean) = (mean(&bv), mean(&nv));
    let diff = base_mean.zip(new_mean).map(|(x, y)| y - x);
    let mut c = CellChange {
        cell: id.clone(),
        x: mean(&n.x).unwrap_or(0.0),
        n_base: bv.len(),
        n_new: nv.len(),
        base_mean,
        new_mean,
        diff,
        p_value: None,
        test: String::new(),
        change: Change::Untested,
        note: String::new(),
    };
    match (bv.is_empty(), nv.is_empty()) {
        (false, true) => {
            c.change = Change::Regressed;
            c.note = format!("all {} evaluations failed in NEW", n.records);
            return c;
        }
        (true, false) => {
            c.change = Change::Improved;
            c.note = format!("all {} evaluations failed in BASE", b.records);
            return c;
        }
        (true, true) => {
            c.note = "every evaluation failed on both sides".into();
            return c;
        }
        (false, false) => {}
    }
    let (p, test) = match o.test {
        CompareTest::MannWhitney => (
            (bv.len() >= 2 && nv.len() >= 2)
                .then(|| mann_whitney_u(&bv, &nv).map(|m| m.p_value))
                .flatten(),
            "mann-whitney",
        ),
        CompareTest::Auto if same_seeds(b, n) => {
            let pairs = |s: &Side| s.values.iter().map(|x| (x.0, x.2)).collect::<Vec<_>>();
            (
                paired_difference(&pairs(n), &pairs(b), 0.95).and_then(|d| d.p_value),
                "paired t",
            )
        }
        _ => (welch_t(&bv, &nv).map(|w| w.p_value), "welch t"),
    };
    c.test = test.into();
    let Some(p) = p else {
        c.note = "fewer than 2 repeats on a side".into();
        return c;
    };
    c.p_value = Some(p);
    let signed = diff.unwrap_or(0.0);
    let good = if o.metric.higher_is_better() {
        signed
    } else {
        -signed
    };
    c.change = if p < o.alpha && good < -o.tolerance {
        Change::Regressed
    } else if p < o.alpha && good > o.tolerance {
        Change::Improved
    } else {
        Change::WithinNoise
    };
    c
}

/// Whether both sides ran the same repeats with the same seeds (at least two),
/// so their repeats pair like random and a method do within one sweep.
fn same_seeds(b: &Side, n: &Side) -> bool {
    let map = |s: &Side| {
        s.values
            .iter()
            .map(|x| (x.0, x.1))
            .collect::<BTreeMap<_, _>>()
    };
    let (mb, mn) = (map(b), map(n));
    mb.len() >= 2 && mb == mn && mb.len() == b.values.len() && mn.len() == n.values.len()
}

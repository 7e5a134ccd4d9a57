//! What the report needs to know about each run kind: its reference method, the name of
//! its setting axis and of the curve's x, and which whole-curve summaries apply. The
//! runner's protocols declare the same names when they write records.

/// A whole-curve summary a kind reports.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CurveSummary {
    /// Normalised area under the curve of the metric over x.
    Aubc,
    /// The x a method needs to reach the reference's mean at the reference x
    /// (label efficiency for active learning).
    LabelEfficiency,
    /// The ratio of the reference's x to the method's for that goal, per repeat
    /// (online selection's speed-up in steps).
    SpeedUp,
    /// Backward transfer and forgetting from the accuracy matrix `R[t][i]` (records
    /// with `round` = t and `eval_index` = i): continual learning.
    AccuracyMatrix,
}

/// One run kind as the report sees it.
#[derive(Debug)]
pub struct KindInfo {
    /// The `kind` column.
    pub name: &'static str,
    /// The reference method every other is compared with.
    pub reference: &'static str,
    /// The `axis` column: what varies between settings.
    pub axis: &'static str,
    /// The `x_name` column: what the curve's x counts, as plots label it.
    pub x_label: &'static str,
    /// Whole-curve summaries.
    pub summaries: &'static [CurveSummary],
}

static KINDS: &[KindInfo] = &[
    KindInfo {
        name: "active",
        reference: "random",
        axis: "budget",
        x_label: "labeled examples",
        summaries: &[CurveSummary::Aubc, CurveSummary::LabelEfficiency],
    },
    KindInfo {
        name: "coreset",
        reference: "uniform",
        axis: "fractions",
        x_label: "fraction of the training set",
        summaries: &[CurveSummary::Aubc, CurveSummary::LabelEfficiency],
    },
    KindInfo {
        name: "online",
        reference: "uniform",
        axis: "keep",
        x_label: "optimizer steps",
        summaries: &[
            CurveSummary::Aubc,
            CurveSummary::LabelEfficiency,
            CurveSummary::SpeedUp,
        ],
    },
    KindInfo {
        name: "continual",
        reference: "reservoir",
        axis: "buffer",
        x_label: "tasks learned",
        summaries: &[CurveSummary::AccuracyMatrix],
    },
    KindInfo {
        name: "condense",
        reference: "uniform",
        axis: "ipc",
        x_label: "images per class",
        summaries: &[],
    },
];

/// The kind named `name`; an unknown kind reads as `active`'s conventions with the
/// reference `random` (what every schema-1 file holds).
pub fn kind_info(name: &str) -> &'static KindInfo {
    KINDS.iter().find(|k| k.name == name).unwrap_or(&KINDS[0])
}

/// The reference method of `kind`.
pub fn reference_method(kind: &str) -> &'static str {
    kind_info(kind).reference
}

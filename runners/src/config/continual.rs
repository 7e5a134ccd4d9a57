//! `kind = "continual"`: a task sequence split from one data set, trained one task after
//! another with a replay buffer chosen by a method; the accuracy matrix in the records.

use super::{kind_file, KindConfig, MethodSpec};

/// What continual learning adds to the common block.
#[derive(Clone, Debug, PartialEq)]
pub struct ContinualConfig {
    /// Tasks: the classes in label order, split into this many equal groups (Split-MNIST:
    /// 5 tasks of 2 classes).
    pub tasks: usize,
    /// `class_incremental` (one head over every class, the hard setting) and/or
    /// `task_incremental` (the task is known at test time: its classes only).
    pub settings: Vec<String>,
    /// Replay buffer sizes, one setting each (200 / 500 / 5120 in the literature).
    pub buffer_size: Vec<usize>,
    /// Semi-supervised continual learning (NNCSL's setting): the fraction of each task's
    /// training rows that keep their labels, one setting each (0.008, 0.05, 0.25 in the
    /// paper); `None` (or 1) is the supervised setting.
    pub labeled_fraction: Option<Vec<f64>>,
    /// The buffer methods (`[[method]]`).
    pub methods: Vec<MethodSpec>,
}

impl From<ContinualConfig> for KindConfig {
    fn from(config: ContinualConfig) -> Self {
        KindConfig::Continual(config)
    }
}

fn default_tasks() -> usize {
    5
}

fn default_settings() -> Vec<String> {
    vec!["class_incremental".into()]
}

kind_file! {
    /// A `continual` config file.
    ContinualFile => ContinualConfig {
        #[serde(default = "default_tasks")]
        tasks: usize,
        #[serde(default = "default_settings")]
        settings: Vec<String>,
        buffer_size: Vec<usize>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        labeled_fraction: Option<Vec<f64>>,
        #[serde(rename = "method")]
        methods: Vec<MethodSpec>,
    }
}

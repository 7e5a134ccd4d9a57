//! `sweep.json`, the file that says which sweep a results folder belongs to: one type,
//! read by `sieve run` (to resume or refuse), `sieve report` (for the config's
//! `[report]` options) and the report itself (to name the sweep).

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::error::ResultsError;
use crate::options::ReportOptions;

/// The contents of `sweep.json`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SweepFile {
    /// Hash of the resolved config.
    pub sweep_id: String,
    /// The sieve that created the folder.
    pub sieve_version: String,
    /// The resolved config, in its file form (the runner parses it back).
    pub config: serde_json::Value,
    /// `K/N` when the folder holds one shard of the sweep (`sieve run --shard`); absent
    /// for a whole sweep (or a merged one).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shard: Option<String>,
}

/// The file name inside a results folder.
pub const SWEEP_FILE: &str = "sweep.json";

impl SweepFile {
    /// Reads `dir/sweep.json`; `Ok(None)` when the folder has none.
    pub fn read(dir: &Path) -> Result<Option<Self>, ResultsError> {
        let path = dir.join(SWEEP_FILE);
        if !path.exists() {
            return Ok(None);
        }
        let text = std::fs::read_to_string(&path).map_err(|e| ResultsError::io(&path, e))?;
        serde_json::from_str(&text)
            .map(Some)
            .map_err(|e| ResultsError::BadSweepFile {
                file: path.display().to_string(),
                message: e.to_string(),
            })
    }

    /// The config's `[report]` options (defaults when it has none).
    pub fn report_options(&self) -> Result<ReportOptions, String> {
        match self.config.get("report") {
            None | Some(serde_json::Value::Null) => Ok(ReportOptions::default()),
            Some(value) => serde_json::from_value(value.clone()).map_err(|e| e.to_string()),
        }
    }

    /// The config's run kind.
    pub fn kind(&self) -> Option<&str> {
        self.config.get("kind").and_then(serde_json::Value::as_str)
    }
}

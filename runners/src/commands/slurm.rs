//! `sieve slurm CONFIG --shards N`: a sweep larger than one machine as a Slurm job array
//! (sieve adds no scheduler of its own). Writes `<out>/slurm/array.sbatch` (task K runs
//! `sieve run CONFIG --shard K/N --out <out>/shards/K-of-N`) and `<out>/slurm/merge.sbatch`
//! (after every task, however it ended: `sieve merge` into `<out>`, then `sieve report`),
//! and prints the `sbatch` commands; `--submit` runs them.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{bail, Context};
use sieve_results::write_atomic;

use crate::backend::DeviceChoice;
use crate::commands::run::default_out_dir;
use crate::config::SweepConfig;
use crate::shard::MAX_SHARDS;
use crate::sweep::plan;

/// Options of `sieve slurm`.
#[derive(Clone, Debug)]
pub struct SlurmOptions {
    pub config: PathBuf,
    pub shards: usize,
    pub out: Option<PathBuf>,
    pub partition: Option<String>,
    /// Wall-clock limit per array task, in Slurm's format (`2:00:00`, `1-00:00:00`).
    pub time: Option<String>,
    pub cpus_per_task: usize,
    pub gpus: Option<usize>,
    /// Memory per task, in Slurm's format (`8G`).
    pub mem: Option<String>,
    pub device: DeviceChoice,
    /// Trials each task runs at once (`sieve run --jobs`); 1 by default.
    pub jobs: usize,
    /// The `sieve` binary the tasks run (default: this one).
    pub sieve: Option<PathBuf>,
    pub submit: bool,
}

/// What `sieve slurm` wrote (and submitted).
#[derive(Debug)]
pub struct SlurmScripts {
    pub out: PathBuf,
    pub array: PathBuf,
    pub merge: PathBuf,
    /// The commands that submit both, for the user to run.
    pub submit_command: String,
    /// Job ids when submitted: (array, merge).
    pub submitted: Option<(String, String)>,
}

/// Writes the scripts (and submits them with `submit`).
pub fn slurm(options: &SlurmOptions) -> anyhow::Result<SlurmScripts> {
    if options.shards == 0 || options.shards > MAX_SHARDS {
        bail!(
            "--shards: expected 1 to {MAX_SHARDS}, got {}",
            options.shards
        );
    }
    if options.cpus_per_task == 0 {
        bail!("--cpus-per-task: must be at least 1");
    }
    if options.jobs == 0 || options.jobs > options.cpus_per_task {
        bail!(
            "--jobs: each task's worker processes need their own CPUs: expected 1 to --cpus-per-task ({}), got {}",
            options.cpus_per_task,
            options.jobs
        );
    }
    for (flag, value) in [
        ("--partition", &options.partition),
        ("--time", &options.time),
        ("--mem", &options.mem),
    ] {
        if let Some(v) = value {
            if v.is_empty() || v.chars().any(|c| c.is_whitespace() || c.is_control()) {
                bail!("{flag}: `{v}` must be one word");
            }
        }
    }
    // The config is checked here, on the submitting machine, before anything is queued
    // (its data is loaded by the tasks, where it may only then be reachable).
    let config = SweepConfig::from_file(&options.config)?;
    let origin = options.config.display().to_string();
    let plan = plan(&config, &origin)?;
    if options.shards > plan.trials.len() {
        bail!(
            "--shards {}: the sweep has only {} trials",
            options.shards,
            plan.trials.len()
        );
    }
    let absolute = |p: &Path| -> anyhow::Result<PathBuf> {
        std::path::absolute(p).with_context(|| format!("cannot resolve {}", p.display()))
    };
    let config_path = std::fs::canonicalize(&options.config)
        .with_context(|| format!("cannot resolve {}", options.config.display()))?;
    let out = absolute(
        &options
            .out
            .clone()
            .unwrap_or_else(|| default_out_dir(&options.config)),
    )?;
    let sieve = match &options.sieve {
        Some(p) => absolute(p)?,
        None => std::env::current_exe().context("cannot find the sieve executable")?,
    };
    let scripts = out.join("slurm");
    let logs = scripts.join("logs");
    std::fs::create_dir_all(&logs).with_context(|| format!("cannot create {}", logs.display()))?;
    let stem = options
        .config
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "sweep".into());
    let job_name: String = stem
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let n = options.shards;

    let mut array = String::from("#!/bin/bash\n");
    array.push_str(&format!(
        "# sieve: shard K of {n} of sweep {} ({}), one per array task.\n",
        plan.sweep_id,
        config_path.display()
    ));
    array.push_str("# A re-submitted task continues its shard where it stopped.\n");
    array.push_str(&format!("#SBATCH --job-name=sieve-{job_name}\n"));
    array.push_str(&format!("#SBATCH --array=1-{n}\n"));
    array.push_str(&format!(
        "#SBATCH --output={}\n",
        logs.join("shard-%a-of-".to_string() + &n.to_string() + ".log")
            .display()
    ));
    array.push_str("#SBATCH --ntasks=1\n");
    array.push_str(&format!(
        "#SBATCH --cpus-per-task={}\n",
        options.cpus_per_task
    ));
    for (flag, value) in [
        ("partition", options.partition.clone()),
        ("time", options.time.clone()),
        ("mem", options.mem.clone()),
        ("gpus", options.gpus.map(|g| g.to_string())),
    ] {
        if let Some(v) = value {
            array.push_str(&format!("#SBATCH --{flag}={v}\n"));
        }
    }
    array.push_str("set -euo pipefail\n");
    let jobs = if options.jobs > 1 {
        format!(" --jobs {}", options.jobs)
    } else {
        String::new()
    };
    array.push_str(&format!(
        "exec {} run {} --shard \"${{SLURM_ARRAY_TASK_ID}}/{n}\" --out {}\"/${{SLURM_ARRAY_TASK_ID}}-of-{n}\" --device {}{jobs}\n",
        quote(&sieve),
        quote(&config_path),
        quote(&out.join("shards")),
        options.device
    ));

    let mut merge = String::from("#!/bin/bash\n");
    merge.push_str(&format!(
        "# sieve: merge the {n} shards of sweep {} into {}, then report.\n",
        plan.sweep_id,
        out.display()
    ));
    merge.push_str(&format!("#SBATCH --job-name=sieve-{job_name}-merge\n"));
    merge.push_str(&format!(
        "#SBATCH --output={}\n",
        logs.join("merge.log").display()
    ));
    merge.push_str("#SBATCH --ntasks=1\n#SBATCH --cpus-per-task=1\n");
    if let Some(p) = &options.partition {
        merge.push_str(&format!("#SBATCH --partition={p}\n"));
    }
    merge.push_str("set -euo pipefail\n");
    let shard_dirs: Vec<String> = (1..=n)
        .map(|k| quote(&out.join("shards").join(format!("{k}-of-{n}"))))
        .collect();
    merge.push_str(&format!(
        "{} merge {} --out {}\n",
        quote(&sieve),
        shard_dirs.join(" "),
        quote(&out)
    ));
    merge.push_str(&format!("exec {} report {}\n", quote(&sieve), quote(&out)));

    let array_path = scripts.join("array.sbatch");
    let merge_path = scripts.join("merge.sbatch");
    write_atomic(&array_path, array.as_bytes())?;
    write_atomic(&merge_path, merge.as_bytes())?;
    let submit_command = format!(
        "jobid=$(sbatch --parsable {}) && sbatch --dependency=afterany:${{jobid%%;*}} {}",
        quote(&array_path),
        quote(&merge_path)
    );
    let submitted = if options.submit {
        let array_id = sbatch(&[array_path.as_os_str()])?;
        let dependency = format!("--dependency=afterany:{array_id}");
        let merge_id = sbatch(&[dependency.as_ref(), merge_path.as_os_str()])?;
        Some((array_id, merge_id))
    } else {
        None
    };
    Ok(SlurmScripts {
        out,
        array: array_path,
        merge: merge_path,
        submit_command,
        submitted,
    })
}

/// Runs `sbatch --parsable ARGS` and returns the job id.
fn sbatch(args: &[&std::ffi::OsStr]) -> anyhow::Result<String> {
    let output = Command::new("sbatch")
        .arg("--parsable")
        .args(args)
        .output()
        .map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => anyhow::anyhow!(
                "sbatch not found: is this a Slurm login node? (the scripts are written; submit them where sbatch runs)"
            ),
            _ => anyhow::anyhow!("cannot run sbatch: {e}"),
        })?;
    if !output.status.success() {
        bail!(
            "sbatch failed ({}): {}",
            output.status,
            String::from_utf8_lossy(&output.stderr).trim()
        );
    }
    let text = String::from_utf8_lossy(&output.stdout);
    // `--parsable` prints `jobid` or `jobid;cluster`.
    let id = text.trim().split(';').next().unwrap_or("").to_string();
    if id.is_empty() || !id.chars().all(|c| c.is_ascii_digit()) {
        bail!("sbatch printed `{}`, not a job id", text.trim());
    }
    Ok(id)
}

/// A path as one single-quoted shell word.
fn quote(path: &Path) -> String {
    format!("'{}'", path.display().to_string().replace('\'', r"'\''"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_become_single_shell_words() {
        assert_eq!(quote(Path::new("/a b/c")), "'/a b/c'");
        assert_eq!(quote(Path::new("/it's")), r"'/it'\''s'");
    }
}

//! Running one trial of any kind: the protocol's body, each evaluation handed to `emit`
//! as soon as it is known. Errors inside the trial (divergence, a method returning bad
//! indices, a backend panic) end the trial with a failed row instead of the sweep.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::Path;

use burn::tensor::backend::AutodiffBackend;

use crate::protocols::{Evaluation, Position, TrialContext};
use crate::sweep::{Sweep, Trial};

/// What one evaluation produced: its metrics, or why the trial failed there.
#[derive(Clone, Debug)]
pub struct Outcome {
    pub round: u32,
    pub eval_index: u32,
    pub x: f64,
    pub result: Result<Evaluation, String>,
}

/// Called with each outcome; an `Err` (e.g. the records file cannot be written) stops
/// the trial and the sweep.
pub type EmitOutcome<'a> = dyn FnMut(Outcome) -> anyhow::Result<()> + 'a;

/// Runs `trial` to its last evaluation (or its first failure). `out` is the results
/// folder, where shared work is cached; `note` prints a progress line from inside a
/// long trial (condensation iterations).
pub fn run_trial<B: AutodiffBackend>(
    sweep: &Sweep,
    trial: &Trial,
    device: &B::Device,
    out: Option<&Path>,
    note: &dyn Fn(&str),
    emit: &mut EmitOutcome<'_>,
) -> anyhow::Result<()> {
    let mut io_error = None;
    let mut guarded_emit = |evaluation: Evaluation| -> bool {
        let outcome = Outcome {
            round: evaluation.round,
            eval_index: evaluation.eval_index,
            x: evaluation.x,
            result: Ok(evaluation),
        };
        match emit(outcome) {
            Ok(()) => true,
            Err(e) => {
                io_error = Some(e);
                false
            }
        }
    };
    let mut position = Position::default();
    let ctx = TrialContext::<B> {
        sweep,
        trial,
        device,
        out,
        note,
    };
    let result = catch_unwind(AssertUnwindSafe(|| {
        sweep.protocol.run(&ctx, &mut guarded_emit, &mut position)
    }));
    if let Some(e) = io_error {
        return Err(e);
    }
    let failure = match result {
        Ok(Ok(())) => return Ok(()),
        Ok(Err(reason)) => reason,
        Err(panic) => {
            let text = panic
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_else(|| "unknown panic".into());
            format!("backend panic: {text}")
        }
    };
    emit(Outcome {
        round: position.round,
        eval_index: 0,
        x: position.x,
        result: Err(failure),
    })
}

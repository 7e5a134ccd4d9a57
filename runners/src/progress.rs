//! Progress over evaluations (trials x rounds) with an estimate of the time left: a bar on
//! a terminal, one plain line per finished trial otherwise (logs, CI).

use std::io::IsTerminal;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};

/// Sweep progress.
pub struct SweepProgress {
    bar: ProgressBar,
    plain: bool,
    trials_done: usize,
    trials_total: usize,
}

impl SweepProgress {
    /// A progress display over `evaluations`, `already` of which were done before.
    pub fn new(evaluations: usize, already: usize, trials_total: usize, quiet: bool) -> Self {
        let terminal = std::io::stderr().is_terminal();
        let bar = if terminal && !quiet {
            ProgressBar::new(evaluations as u64)
        } else {
            ProgressBar::hidden()
        };
        bar.set_length(evaluations as u64);
        if let Ok(style) = ProgressStyle::with_template(
            "{elapsed_precise} [{bar:32.cyan/blue}] {pos}/{len} evaluations, {eta} left  {msg}",
        ) {
            bar.set_style(style.progress_chars("=> "));
        }
        bar.set_position(already as u64);
        bar.reset_eta();
        bar.enable_steady_tick(Duration::from_millis(500));
        Self {
            bar,
            plain: !terminal && !quiet,
            trials_done: 0,
            trials_total,
        }
    }

    /// The trial now running.
    pub fn start_trial(&self, label: &str) {
        self.bar.set_message(label.to_string());
    }

    /// One evaluation done.
    pub fn evaluation_done(&self) {
        self.bar.inc(1);
    }

    /// One trial done (or skipped as already complete).
    pub fn trial_done(&mut self, label: &str, skipped: bool) {
        self.trials_done += 1;
        if self.plain && !skipped {
            let eta = self.bar.eta();
            eprintln!(
                "[{}/{} trials] {label} done; {}/{} evaluations, about {}s left",
                self.trials_done,
                self.trials_total,
                self.bar.position(),
                self.bar.length().unwrap_or(0),
                eta.as_secs()
            );
        }
    }

    /// Prints a line without tearing the bar.
    pub fn println(&self, line: &str) {
        if self.bar.is_hidden() {
            eprintln!("{line}");
        } else {
            self.bar.println(line);
        }
    }

    /// Clears the bar.
    pub fn finish(&self) {
        self.bar.finish_and_clear();
    }
}

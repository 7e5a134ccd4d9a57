//! Progress over evaluations (trials x rounds) with an estimate of the time left: a bar on
//! a terminal, one plain line per finished trial otherwise (logs, CI).

use std::io::IsTerminal;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressStyle};

/// Sweep progress.
pub struct SweepProgress {
    bar: ProgressBar,
    plain: bool,
    trials_done: usize,
    trials_total: usize,
    started: Instant,
    already: usize,
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
            "{elapsed_precise} [{bar:32.cyan/blue}] {pos}/{len} evaluations  {msg}",
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
            started: Instant::now(),
            already,
        }
    }

    /// Progress over the `selected` trials of `sweep`, counting what `done` holds.
    pub(crate) fn for_trials(
        sweep: &crate::sweep::Sweep,
        selected: &[usize],
        done: &crate::commands::run::Recorded,
        quiet: bool,
    ) -> Self {
        let trials = selected.iter().map(|&t| &sweep.trials[t]);
        let evaluations = trials.clone().map(|t| sweep.evaluations(t)).sum();
        let already = trials.map(|t| done.rows(&t.id)).sum();
        Self::new(evaluations, already, selected.len(), quiet)
    }

    /// The trial now running.
    pub fn start_trial(&self, label: &str) {
        let eta = match self.time_left() {
            Some(left) => format!("about {} left  ", format_duration(left)),
            None => String::new(),
        };
        self.bar.set_message(format!("{eta}{label}"));
    }

    /// Time left, from the mean time per evaluation over everything done in this run.
    /// (indicatif's own estimate follows the last few steps, which swings by orders of
    /// magnitude when later rounds train on more labels.)
    fn time_left(&self) -> Option<Duration> {
        let done_here = (self.bar.position() as usize).checked_sub(self.already)?;
        let total = self.bar.length().unwrap_or(0) as usize;
        let remaining = total.saturating_sub(self.bar.position() as usize);
        estimate_left(self.started.elapsed(), done_here, remaining)
    }

    /// One evaluation done.
    pub fn evaluation_done(&self) {
        self.bar.inc(1);
    }

    /// One trial done (or skipped as already complete).
    pub fn trial_done(&mut self, label: &str, skipped: bool) {
        self.trials_done += 1;
        if self.plain && !skipped {
            let eta = match self.time_left() {
                Some(left) => format!(", about {} left", format_duration(left)),
                None => String::new(),
            };
            eprintln!(
                "[{}/{} trials] {label} done; {}/{} evaluations{eta}",
                self.trials_done,
                self.trials_total,
                self.bar.position(),
                self.bar.length().unwrap_or(0),
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

/// `elapsed / done * remaining`; none before the first evaluation of this run.
fn estimate_left(elapsed: Duration, done: usize, remaining: usize) -> Option<Duration> {
    if done == 0 {
        return None;
    }
    Some(elapsed.mul_f64(remaining as f64 / done as f64))
}

/// `1h 02m`, `5m 07s` or `42s`.
fn format_duration(duration: Duration) -> String {
    let seconds = duration.as_secs();
    let (hours, minutes, seconds) = (seconds / 3600, seconds / 60 % 60, seconds % 60);
    if hours > 0 {
        format!("{hours}h {minutes:02}m")
    } else if minutes > 0 {
        format!("{minutes}m {seconds:02}s")
    } else {
        format!("{seconds}s")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn time_left_is_the_mean_pace_times_what_remains() {
        assert_eq!(estimate_left(Duration::from_secs(100), 0, 10), None);
        assert_eq!(
            estimate_left(Duration::from_secs(100), 4, 10),
            Some(Duration::from_secs(250))
        );
        assert_eq!(
            estimate_left(Duration::from_secs(100), 4, 0),
            Some(Duration::ZERO)
        );
    }

    #[test]
    fn durations_read_like_a_clock() {
        assert_eq!(format_duration(Duration::from_secs(42)), "42s");
        assert_eq!(format_duration(Duration::from_secs(307)), "5m 07s");
        assert_eq!(format_duration(Duration::from_secs(3720)), "1h 02m");
    }
}

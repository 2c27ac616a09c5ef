//! The bench's progress bar on stderr: drawn only when stderr is a terminal, and only once
//! the work has taken more than a second (a quick bench prints nothing extra); never on
//! stdout, so `--json` output stays clean.

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal;
use std::time::{Duration, Instant};

/// How long the work runs before the bar appears.
const SHOW_AFTER: Duration = Duration::from_secs(1);

/// Counts steps (one per run of a graph); hidden until [`SHOW_AFTER`].
pub struct Progress {
    bar: ProgressBar,
    started: Instant,
    terminal: bool,
    shown: bool,
}

impl Progress {
    /// A bar over `steps` steps.
    pub fn new(steps: usize) -> Progress {
        let bar = ProgressBar::with_draw_target(Some(steps as u64), ProgressDrawTarget::hidden());
        if let Ok(style) = ProgressStyle::with_template("{elapsed:>4} [{bar:30}] {pos}/{len} {msg}")
        {
            bar.set_style(style.progress_chars("=> "));
        }
        Progress {
            bar,
            started: Instant::now(),
            terminal: std::io::stderr().is_terminal(),
            shown: false,
        }
    }

    /// Names what is being done now (a graph and its phase).
    pub fn doing(&mut self, what: &str) {
        self.bar.set_message(what.to_string());
        self.show_if_slow();
    }

    /// One step is done.
    pub fn step(&mut self) {
        self.bar.inc(1);
        self.show_if_slow();
    }

    /// Removes the bar (before the results are printed).
    pub fn finish(self) {
        self.bar.finish_and_clear();
    }

    fn show_if_slow(&mut self) {
        if self.terminal && !self.shown && self.started.elapsed() > SHOW_AFTER {
            self.shown = true;
            self.bar.set_draw_target(ProgressDrawTarget::stderr());
            // Keeps the clock moving through a long step.
            self.bar.enable_steady_tick(Duration::from_millis(250));
        }
    }
}

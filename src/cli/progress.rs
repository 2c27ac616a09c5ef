//! Progress on stderr for work that may take more than a second: the bench's bar over its
//! runs ([`Progress`]) and a spinner naming the current phase of `egpu run` ([`Phase`]).
//! Drawn only when stderr is a terminal, and only once the work has taken more than a second
//! (quick work prints nothing extra); never on stdout, so `--json` output stays clean.

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
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

/// A spinner naming the phase of a piece of work (`compiling`, `running on emu`); a
/// background timer shows it if the work is still going after [`SHOW_AFTER`], so one long
/// phase gets a spinner too.
pub struct Phase {
    bar: ProgressBar,
    done: Arc<AtomicBool>,
}

impl Phase {
    /// A hidden spinner for `what`.
    pub fn start(what: &str) -> Phase {
        let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::hidden());
        if let Ok(style) = ProgressStyle::with_template("{spinner} {elapsed:>4} {msg}") {
            bar.set_style(style);
        }
        bar.set_message(what.to_string());
        let done = Arc::new(AtomicBool::new(false));
        if std::io::stderr().is_terminal() {
            let (bar, done) = (bar.clone(), done.clone());
            std::thread::spawn(move || {
                std::thread::sleep(SHOW_AFTER);
                if !done.load(Ordering::Acquire) {
                    bar.set_draw_target(ProgressDrawTarget::stderr());
                    bar.enable_steady_tick(Duration::from_millis(120));
                }
            });
        }
        Phase { bar, done }
    }

    /// Names the next phase.
    pub fn next(&self, what: &str) {
        self.bar.set_message(what.to_string());
    }

    /// Removes the spinner (before the results are printed).
    pub fn finish(self) {
        self.done.store(true, Ordering::Release);
        self.bar.finish_and_clear();
    }
}

//! Running the rules on one region's e-graph within limits that count work, never time.
//!
//! egg's `Runner` checks its limits after searching and after applying each rule; when one
//! trips it still rebuilds the e-graph, so everything the run found up to that point is
//! kept and extraction chooses from it. The limits here are the number of rounds, the
//! number of e-nodes, and (through egg's `BackoffScheduler`, with fixed parameters) how
//! many matches of one rule a round may apply before that rule sits out a few rounds.
//! None of them depends on the machine or its load, so a run is reproducible exactly.
//! (egg's own time limit, 5 s unless set, is set to never trip.)

use super::SimplifyOptions;
use super::analysis::EG;
use super::rules::Rule;
use egg::{BackoffScheduler, Runner, StopReason};
use std::collections::BTreeMap;
use std::time::Duration;

/// What one run did.
pub struct Run {
    /// The e-graph, rebuilt (its classes canonical).
    pub egraph: EG,
    pub stop: String,
    pub iterations: usize,
    /// How often each rule changed the e-graph, by rule name.
    pub applied: BTreeMap<String, usize>,
}

/// Rounds a banned rule sits out the first time (doubling each time after).
const BAN_ROUNDS: usize = 5;

/// Rewrites `egraph` with `rules` until it saturates or a work limit stops it.
pub fn run(egraph: EG, rules: &[Rule], options: &SimplifyOptions) -> Run {
    let scheduler = BackoffScheduler::default()
        .with_initial_match_limit(options.match_limit)
        .with_ban_length(BAN_ROUNDS);
    let runner = Runner::default()
        .with_egraph(egraph)
        .with_scheduler(scheduler)
        .with_node_limit(options.node_limit)
        .with_iter_limit(options.iter_limit)
        .with_time_limit(Duration::MAX)
        .run(rules);
    let mut applied: BTreeMap<String, usize> = BTreeMap::new();
    for iteration in &runner.iterations {
        for (name, count) in &iteration.applied {
            // A rule's name is copied once, not once per round it fires in.
            match applied.get_mut(name.as_str()) {
                Some(total) => *total += count,
                None => {
                    applied.insert(name.to_string(), *count);
                }
            }
        }
    }
    let stop = describe(runner.stop_reason.as_ref(), options);
    let iterations = runner.iterations.len();
    let mut egraph = runner.egraph;
    egraph.rebuild();
    Run {
        egraph,
        stop,
        iterations,
        applied,
    }
}

/// The stop reason as a deterministic phrase: the kind of limit and its setting, never a
/// measured amount (so that reasons of many regions can be counted by kind).
fn describe(reason: Option<&StopReason>, options: &SimplifyOptions) -> String {
    match reason {
        Some(StopReason::Saturated) => "saturated".to_string(),
        Some(StopReason::IterationLimit(_)) => format!("iteration limit {}", options.iter_limit),
        Some(StopReason::NodeLimit(_)) => format!("node limit {}", options.node_limit),
        // Not reachable: the time limit is `Duration::MAX` and no hook is installed.
        Some(StopReason::TimeLimit(_)) => "time limit".to_string(),
        Some(StopReason::Other(why)) => why.clone(),
        None => "not run".to_string(),
    }
}

//! What simplification did, for `egpu compile -v` and tests. Everything but `elapsed` is
//! a count of work, so the printed report (which leaves `elapsed` out) is the same on
//! every run of the same graph.

use super::saturate::Run;
use std::collections::BTreeMap;
use std::fmt;
use std::time::Duration;

/// What the e-graph runs did.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SimplifyReport {
    /// Why rewriting stopped: the one reason of every region (`saturated`,
    /// `iteration limit 30`, `node limit 20000`), or each reason with the number of
    /// regions it stopped (`2 node limit 20000, 98 saturated`).
    pub stop_reason: String,
    /// How many regions stopped for each reason.
    pub stop_reasons: BTreeMap<String, usize>,
    /// The regions the graph was simplified in (1 unless it is larger than a region).
    pub regions: usize,
    /// The most rounds of rewriting any one region took.
    pub iterations: usize,
    /// E-nodes and classes of the largest region's e-graph.
    pub egraph_nodes: usize,
    pub egraph_classes: usize,
    /// Wall time of the whole pass: not part of the printed report.
    pub elapsed: Duration,
    /// Nodes of the graph before and after (inputs included).
    pub nodes_before: usize,
    pub nodes_after: usize,
    /// How often each rule changed an e-graph, by rule name (rules that never did are
    /// left out); `reassociate` counts the sums and products put in canonical order.
    pub rules_applied: BTreeMap<String, usize>,
}

impl SimplifyReport {
    /// A report of no region yet.
    pub fn new() -> SimplifyReport {
        SimplifyReport {
            stop_reason: summary(&BTreeMap::new()),
            ..SimplifyReport::default()
        }
    }

    /// Adds one region's run.
    pub fn add_region(&mut self, run: &Run) {
        self.regions += 1;
        *self.stop_reasons.entry(run.stop.clone()).or_insert(0) += 1;
        self.iterations = self.iterations.max(run.iterations);
        let nodes = run.egraph.total_number_of_nodes();
        if nodes > self.egraph_nodes {
            self.egraph_nodes = nodes;
            self.egraph_classes = run.egraph.number_of_classes();
        }
        for (name, count) in &run.applied {
            *self.rules_applied.entry(name.clone()).or_insert(0) += count;
        }
        self.stop_reason = summary(&self.stop_reasons);
    }
}

/// The one reason, or every reason with its count.
fn summary(reasons: &BTreeMap<String, usize>) -> String {
    match reasons.len() {
        0 => "nothing to simplify".to_string(),
        1 => reasons.keys().cloned().collect(),
        _ => {
            let counted: Vec<String> = reasons.iter().map(|(r, n)| format!("{n} {r}")).collect();
            counted.join(", ")
        }
    }
}

impl fmt::Display for SimplifyReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} -> {} nodes; {} region(s): {}; largest e-graph {} nodes in {} classes, at most {} iteration(s)",
            self.nodes_before,
            self.nodes_after,
            self.regions,
            self.stop_reason,
            self.egraph_nodes,
            self.egraph_classes,
            self.iterations,
        )
    }
}

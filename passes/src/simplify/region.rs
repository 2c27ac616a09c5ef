//! Simplifying a graph region by region, so that the work is bounded per region and
//! linear in the graph.
//!
//! The graph's nodes (inputs aside) are cut, in their topological order, into runs of at
//! most [`SimplifyOptions::region_nodes`] nodes of about equal size; a graph that small is
//! one region, simplified whole. Each region gets its own e-graph and its own limits; its
//! operands from earlier regions are leaves (see `convert`), and the values later regions
//! or the outputs need are its roots. Regions are simplified in order into one builder, so
//! the result depends on the graph and the options alone.

use super::SimplifyError;
use super::SimplifyOptions;
use super::analysis::GraphAnalysis;
use super::convert::{self, Stitched, Window, index};
use super::cost;
use super::report::SimplifyReport;
use super::rules::Rule;
use super::saturate;
use egpu_ir::{Graph, NodeId, Op};

/// Simplifies `graph` region by region; adds what each region's run did to `report`.
pub fn simplify_regions(
    graph: &Graph,
    options: &SimplifyOptions,
    analysis: GraphAnalysis,
    rules: &[Rule],
    report: &mut SimplifyReport,
) -> Result<Graph, SimplifyError> {
    let nodes: Vec<NodeId> = graph
        .nodes()
        .filter(|(_, n)| !matches!(n.op, Op::Input { .. }))
        .map(|(id, _)| id)
        .collect();
    let size = region_size(nodes.len(), options.region_nodes);
    let uses = uses(graph);
    let escapes = escapes(graph, &nodes, size);
    let mut st = Stitched::new(graph)?;
    for region in nodes.chunks(size) {
        let window = Window {
            graph,
            nodes: region,
            escapes: &escapes,
            uses: &uses,
        };
        let (egraph, loaded) = convert::load(&window, &st, analysis)?;
        if loaded.reassociated > 0 {
            *report
                .rules_applied
                .entry("reassociate".to_string())
                .or_insert(0) += loaded.reassociated;
        }
        let run = saturate::run(egraph, rules, options);
        report.add_region(&run);
        let roots: Vec<_> = loaded
            .roots
            .iter()
            .map(|&(_, r)| run.egraph.find(r))
            .collect();
        let choice = cost::choose(&run.egraph, &roots);
        convert::emit(&run.egraph, &loaded, &choice, &mut st)?;
    }
    st.finish(graph)
}

/// The size of `n` nodes cut into the fewest regions of at most `limit` nodes, as equal as
/// they can be (at least 1, so that `chunks` accepts it).
fn region_size(n: usize, limit: usize) -> usize {
    let limit = limit.max(1);
    let regions = n.div_ceil(limit).max(1);
    n.div_ceil(regions).max(1)
}

/// By node index: how many operand slots read each node.
fn uses(graph: &Graph) -> Vec<u32> {
    let mut uses = vec![0u32; graph.len()];
    for (_, node) in graph.nodes() {
        for x in node.op.operands() {
            if let Some(u) = uses.get_mut(index(x)) {
                *u = u.saturating_add(1);
            }
        }
    }
    uses
}

/// By node index: whether a node of `nodes` (cut into regions of `size`) is read by a
/// later region or is an output.
fn escapes(graph: &Graph, nodes: &[NodeId], size: usize) -> Vec<bool> {
    let mut region: Vec<usize> = vec![usize::MAX; graph.len()];
    for (i, &id) in nodes.iter().enumerate() {
        if let Some(r) = region.get_mut(index(id)) {
            *r = i / size;
        }
    }
    let mut escapes = vec![false; graph.len()];
    for (i, &id) in nodes.iter().enumerate() {
        for x in graph.node(id).op.operands() {
            let (Some(&from), Some(e)) = (region.get(index(x)), escapes.get_mut(index(x))) else {
                continue;
            };
            *e |= from != i / size;
        }
    }
    for o in graph.outputs() {
        if let Some(e) = escapes.get_mut(index(o.node)) {
            *e = true;
        }
    }
    escapes
}

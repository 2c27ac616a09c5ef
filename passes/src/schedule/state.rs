//! The fusion state a kernel group carries to `optimize` and `lower`: the reduction stage σ
//! its reductions share and each node's state in the kernel (plain, row(σ) or full(σ); see
//! the module doc of `schedule`). The realization decides these once; `lower` reads them
//! from the group instead of classifying the group's nodes again.

use super::realize::{Fusion, Realization};
use super::{KernelGroup, ScheduleError, index};

/// A reduction stage σ: a reduce's input shape and its axes (ascending, once each). Two
/// reductions can share a kernel's row loop only if their stages are equal.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ReductionStage {
    pub input: Vec<usize>,
    pub axes: Vec<usize>,
}

impl ReductionStage {
    /// The stage of a reduce of a value shaped `input` over `axes` (in any order).
    pub fn new(input: Vec<usize>, axes: &[usize]) -> ReductionStage {
        let mut axes = axes.to_vec();
        axes.sort_unstable();
        axes.dedup();
        ReductionStage { input, axes }
    }

    /// The reduce's result shape: the input with the reduced axes set to 1.
    pub fn output(&self) -> Vec<usize> {
        let mut dims = self.input.clone();
        for &a in &self.axes {
            if let Some(d) = dims.get_mut(a) {
                *d = 1;
            }
        }
        dims
    }
}

/// A node's state inside the kernel that computes it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FusionState {
    /// Computable at any index: loads, constants, iota and elementwise/movement of those.
    Plain,
    /// One value per row of the kernel's stage: computed once per row, after its pass.
    Row,
    /// Shaped like the stage's input: one value per (row, position in the row).
    Full,
}

/// What lowering needs to know of one node of a kernel.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NodeFusion {
    pub state: FusionState,
    /// How many of the kernel's reductions are chained before the node, itself included
    /// (0 for plain nodes): a reduce at level `l` runs in the kernel's `l`-th row pass.
    pub level: u32,
}

/// Records on `kernel` the stage and node states the realization `r` decided. A kernel whose
/// nodes name two stages breaks the schedule's invariant and is reported, not lowered.
pub(crate) fn hand_over(r: &Realization, kernel: &mut KernelGroup) -> Result<(), ScheduleError> {
    let mut stage: Option<usize> = None;
    let mut states = Vec::with_capacity(kernel.nodes.len());
    for &node in &kernel.nodes {
        let i = index(node);
        let (state, s) = match r.fusion.get(i) {
            Some(Fusion::Row(s)) => (FusionState::Row, Some(*s)),
            Some(Fusion::Full(s)) => (FusionState::Full, Some(*s)),
            Some(Fusion::Plain) | None => (FusionState::Plain, None),
        };
        match (stage, s) {
            (Some(a), Some(b)) if a != b => {
                return Err(ScheduleError::MixedStages {
                    kernel: kernel.name.clone(),
                });
            }
            (None, Some(b)) => stage = Some(b),
            _ => {}
        }
        let level = r.level.get(i).copied().unwrap_or(0);
        states.push(NodeFusion { state, level });
    }
    kernel.stage = stage.and_then(|s| r.stages.get(s)).cloned();
    kernel.states = states;
    Ok(())
}

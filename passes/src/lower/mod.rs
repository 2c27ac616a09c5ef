//! Lowering: each kernel group of a [`Schedule`] becomes an [`egpu_ir::kernel::Kernel`].
//!
//! # How a group is lowered
//! - **Elementwise** groups (no reduction, copies included) give each lane
//!   `elements_per_lane` consecutive output elements, `vector_width` at a time
//!   (`emit_elementwise.rs`).
//! - **Reduction** groups share one stage σ (the group's `stage`, with each node's fusion
//!   state in `states`, both decided by `schedule`): rows are σ's kept axes, the
//!   reductions run in passes over each row (a pass for the reductions that depend only on
//!   earlier passes: softmax's max, then its sum), row values are computed once per row and
//!   full values per position; the plan's strategy puts a row on a lane, a subgroup or a
//!   workgroup (`emit_reduce.rs`).
//! - **Contractions** (the group's `contraction`, recognized by `schedule`) with a `TilePlan`
//!   go to `contraction.rs` first and fall back to the reduction lowering when it declines.
//!
//! Every value is computed by [`emit::Emitter::eval`] at a symbolic index: movement ops
//! compose into index expressions (`view.rs`) that the simplifier in `index.rs` keeps
//! minimal, and index arithmetic is emitted as i32 whenever every intermediate value
//! provably fits, else i64 (division and remainder by powers of two as shifts and masks).
//! The loop-invariant part of each index inside a loop is computed once before the loop.
//! Lanes without work are masked with `if`, and so are padded elements (the operand is
//! computed only inside the pad's bounds, so no load leaves its buffer).
//!
//! # Plans ([`crate::plan`])
//! `workgroup_size` and `subgroup_size` shape every launch; `elements_per_lane` applies to
//! elementwise kernels; `vector_width` to elementwise kernels (along each lane's elements)
//! and to reduction kernels (along the row), where the access is contiguous and aligned;
//! `reduction` and `unroll` to reduction kernels; `tiling` to contractions.
//!
//! The result is deterministic: the same graph, schedule and plans give the same kernels.

mod analysis;
mod contraction;
mod emit;
mod emit_elementwise;
mod emit_launch;
mod emit_reduce;
mod holders;
pub mod index;
mod program;
pub mod view;

#[cfg(test)]
mod tests;

pub use program::program;

use crate::plan::{KernelPlan, ReductionStrategy};
use crate::schedule::{BufferId, KernelGroup, Schedule};
use analysis::{Bindings, GroupInfo};
use egpu_ir::Graph;
use egpu_ir::kernel::{Kernel, KernelError, MAX_WORKGROUP_SIZE};
use holders::Holders;

/// One lowered kernel and the buffers it binds.
#[derive(Clone, Debug)]
pub struct LoweredKernel {
    pub kernel: Kernel,
    /// One per `Param::Buffer` of the kernel, in parameter order.
    pub bindings: Vec<BufferId>,
}

/// Why a group could not be lowered. The message names no pass: whoever reports it (the
/// pipeline) says `lower: ` once.
#[derive(Debug, thiserror::Error)]
pub enum LowerError {
    /// A case lowering does not handle (with the kernel and the reason).
    #[error("{0}")]
    Unsupported(String),
    /// The kernel builder refused a statement: a bug in lowering. (Boxed: the builder's
    /// error is large, and this one travels through every emitting function.)
    #[error("{0}")]
    Build(#[from] Box<KernelError>),
    #[error("{plans} plans for {kernels} kernels")]
    PlanCount { kernels: usize, plans: usize },
    #[error("kernel {kernel}: invalid plan: {message}")]
    InvalidPlan { kernel: String, message: String },
}

impl From<KernelError> for LowerError {
    fn from(e: KernelError) -> Self {
        LowerError::Build(Box::new(e))
    }
}

/// Lowers every kernel of `schedule`, with `plans[i]` for `schedule.kernels[i]`.
pub fn lower(
    graph: &Graph,
    schedule: &Schedule,
    plans: &[KernelPlan],
) -> Result<Vec<LoweredKernel>, LowerError> {
    if plans.len() != schedule.kernels.len() {
        return Err(LowerError::PlanCount {
            kernels: schedule.kernels.len(),
            plans: plans.len(),
        });
    }
    let holders = Holders::new(schedule);
    schedule
        .kernels
        .iter()
        .zip(plans)
        .map(|(group, plan)| lower_group(graph, schedule, &holders, group, plan))
        .collect()
}

fn lower_group(
    graph: &Graph,
    schedule: &Schedule,
    holders: &Holders,
    group: &KernelGroup,
    plan: &KernelPlan,
) -> Result<LoweredKernel, LowerError> {
    check_plan(group, plan)?;
    let info = GroupInfo::new(graph, group)?;
    let bindings = Bindings::new(schedule, holders, group)?;
    if let Some(tiling) = &plan.tiling {
        match contraction::lower_contraction(&info, &bindings, plan, tiling) {
            // Declined: the generic lowering below is always correct.
            Err(LowerError::Unsupported(_)) => {}
            other => return other,
        }
    }
    let kernel = match info.stage {
        None => emit_elementwise::lower(&info, &bindings, plan)?,
        Some(stage) => emit_reduce::lower(&info, &bindings, plan, stage)?,
    };
    Ok(LoweredKernel {
        kernel,
        bindings: bindings.buffer_ids(),
    })
}

/// The plan's numbers must make a valid launch for its strategy.
fn check_plan(group: &KernelGroup, plan: &KernelPlan) -> Result<(), LowerError> {
    let bad = |message: String| {
        Err(LowerError::InvalidPlan {
            kernel: group.name.clone(),
            message,
        })
    };
    let (lanes, s) = (plan.workgroup_size, plan.subgroup_size);
    if lanes == 0 || u64::from(lanes) > MAX_WORKGROUP_SIZE {
        return bad(format!("{lanes} lanes per workgroup"));
    }
    if !s.is_power_of_two() || s > 64 {
        return bad(format!("subgroup size {s}"));
    }
    let shares_rows = plan.reduction != ReductionStrategy::PerLane;
    if shares_rows && !lanes.is_multiple_of(s) {
        return bad(format!("{lanes} lanes are not whole subgroups of {s}"));
    }
    if !matches!(plan.vector_width, 1 | 2 | 4 | 8) {
        return bad(format!("vector width {}", plan.vector_width));
    }
    if plan.elements_per_lane == 0 || plan.elements_per_lane > 64 {
        return bad(format!("{} elements per lane", plan.elements_per_lane));
    }
    Ok(())
}

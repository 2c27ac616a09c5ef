//! Target-driven optimization: for every kernel group of a schedule, a [`KernelPlan`] that
//! says how the lowering maps the group's work onto lanes. A plan never changes what a
//! kernel computes. Heuristics first (a measured search may replace them later); every
//! number comes from [`Target`], never from a code generator.
//!
//! # Heuristics, and why
//! - **Launch shape.** 256 lanes per workgroup (8 subgroups of 32: enough loads in flight
//!   to hide memory latency, small enough for several workgroups per CU/SM). Tiny kernels
//!   get fewer lanes, down to one subgroup, so that there are at least two workgroups per
//!   CU/SM when the work allows: an idle CU costs more than a narrow workgroup. Always a
//!   multiple of the subgroup size and never above `max_workgroup_size`.
//! - **Vector width.** 16-byte accesses (4 × f32, 8 × f16: the widest single access on
//!   every target, `max_vector_bytes`) in elementwise kernels whose every value has a last
//!   axis divisible by the width and whose views keep that axis contiguous; otherwise 1.
//!   One wide access moves the same bytes in a quarter of the instructions.
//! - **Per-lane work.** Elementwise kernels of at least 2^20 outputs give each lane four
//!   accesses (four elements, or four vectors: `elements_per_lane` = 4 × vector width):
//!   independent loads per lane hide latency and amortize index arithmetic once the GPU
//!   is full anyway. Small kernels keep one access (one element or one vector) per lane,
//!   as they need every lane they can get.
//! - **Reduction strategy**, by row length: a lane per row for rows of at most 32 (a
//!   subgroup would idle) or when rows alone fill the GPU twice over; a subgroup per row up
//!   to 1024 (a shuffle tree, no barrier); a workgroup per longer row (subgroup trees, then
//!   shared memory after a barrier). A one-row (or few-row) reduction gets up to the
//!   target's maximum workgroup, keeping at least 16 elements per lane. A short row's loop
//!   (at most 32 trips) and loops of at most 8 trips per lane are unrolled: fixed, short
//!   loops are where unrolling removes the most overhead for the least code.
//! - **Tiling of contractions** (matmul, and convolution as a matmul over C·KH·KW, as the
//!   schedule recognized them: [`KernelGroup::contraction`]): a workgroup computes a tile of the output from A and B tiles staged
//!   in shared memory, so each loaded element is reused tile-edge times. Edges start at the
//!   dimension rounded up to a power of two, at most 64, and are halved (down to 16) while
//!   the grid has fewer workgroups than CUs/SMs; `tile_k` is 16 (32 with the matrix tile
//!   when k allows) and shrinks until the A and B tiles, `tile_k·(tile_m + tile_n)`
//!   elements, plus the `tile_m·tile_n` output tile D (the epilogue reads the sums from
//!   it) fit `shared_bytes_default`: no opt-in needed. Not tiled when m, n or k is below 8:
//!   too little reuse to pay for staging. The workgroup has one lane per output up to 256
//!   lanes, then register blocks of up to 4×4 per lane.
//! - **Matrix tile** (tensor cores, WMMA) for f16/bf16 operands converted to f32, when the
//!   target's subgroup tile shapes make a 16×16×16 tile (gfx1100 WMMA 16×16×16, sm_80+
//!   `mma.sync` 16×8×16 twice) and m, n and k are multiples of 16. One subgroup per
//!   16×16 output tile, at most 4 subgroups per workgroup.

mod heuristics;
mod shape;
#[cfg(test)]
mod tests;

pub use heuristics::{
    supports_matrix_tile, tile_lanes, tile_shared_bytes, workgroups as tile_workgroups,
};

use crate::plan::{KernelPlan, TilePlan};
use crate::schedule::{Contraction, KernelGroup, Schedule};
use egpu_ir::kernel::WIDTHS;
use egpu_ir::{Graph, Target};
use shape::Work;

/// One plan per `schedule.kernels` entry, chosen from the target and the group's shape.
pub fn choose_plans(graph: &Graph, schedule: &Schedule, target: &Target) -> Vec<KernelPlan> {
    schedule
        .kernels
        .iter()
        .map(|group| plan_group(graph, group, target))
        .collect()
}

/// The plan of one group: tiled if it is a contraction worth tiling, else by its work.
fn plan_group(graph: &Graph, group: &KernelGroup, target: &Target) -> KernelPlan {
    let tile = group
        .contraction
        .as_ref()
        .and_then(|c| heuristics::tile_plan(c, target));
    if let Some(tile) = tile {
        return heuristics::tiled(tile, target);
    }
    match shape::work(graph, group) {
        Work::Elementwise { elements } => heuristics::elementwise(graph, group, elements, target),
        Work::Reduction { rows, row_len } => heuristics::reduction(rows, row_len, target),
    }
}

/// Checks that a plan can run on `target`: whole subgroups of the target's size, at most
/// the target's workgroup size, a kernel-IR vector width, and for a tiled plan, tiles whose
/// shared memory (staged in `accumulator`, the contraction's sum dtype) fits the default
/// budget and whose outputs divide evenly among the lanes. `Err` says what is wrong.
pub fn check(
    plan: &KernelPlan,
    target: &Target,
    accumulator: egpu_ir::DType,
) -> Result<(), String> {
    let lanes = plan.workgroup_size;
    let wave = target.subgroup_size;
    if plan.subgroup_size != wave {
        return Err(format!(
            "subgroup size {} on a {wave}-lane target",
            plan.subgroup_size
        ));
    }
    if lanes == 0 || !lanes.is_multiple_of(wave) || lanes > target.max_workgroup_size {
        let max = target.max_workgroup_size;
        return Err(format!(
            "{lanes} lanes: not a multiple of {wave} up to {max}"
        ));
    }
    if !WIDTHS.contains(&plan.vector_width) || plan.elements_per_lane == 0 {
        return Err(format!(
            "vector width {} with {} elements per lane",
            plan.vector_width, plan.elements_per_lane
        ));
    }
    match &plan.tiling {
        Some(tile) => check_tile(tile, lanes, target, accumulator),
        None => Ok(()),
    }
}

/// The tiled part of [`check`].
fn check_tile(
    tile: &TilePlan,
    lanes: u32,
    target: &Target,
    accumulator: egpu_ir::DType,
) -> Result<(), String> {
    let bytes = tile_shared_bytes(tile, accumulator);
    let budget = target.shared_bytes_default as usize;
    if bytes > budget {
        return Err(format!(
            "tiles need {bytes} bytes of shared memory; {budget} available"
        ));
    }
    let outputs = tile.tile_m.saturating_mul(tile.tile_n);
    if tile.tile_m == 0 || tile.tile_n == 0 || tile.tile_k == 0 || !outputs.is_multiple_of(lanes) {
        return Err(format!(
            "a {}×{} tile among {lanes} lanes",
            tile.tile_m, tile.tile_n
        ));
    }
    let sixteen = [tile.tile_m, tile.tile_n, tile.tile_k]
        .iter()
        .all(|d| d.is_multiple_of(16));
    if tile.matrix_tile && !sixteen {
        return Err("matrix tile edges must be multiples of 16".into());
    }
    Ok(())
}

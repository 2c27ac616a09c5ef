//! Elementwise kernels (no reduction): each lane computes `elements_per_lane` consecutive
//! output elements, `vector_width` at a time.
//!
//! ```text
//! c = global lane id                      (lanes past ⌈n / E⌉ do nothing)
//! for q in 0..E/w (unrolled):             base = E·c + w·q
//!   if base < n:                          (left out when E divides n)
//!     each write at flat index base + t, t ∈ [0, w)
//! ```
//! A chunk of `w` elements is all in or all out because `w` divides `n` (otherwise `w` is
//! 1). Writes of different sizes in one kernel (the schedule does not make them, but they
//! would be valid) are each guarded by their own size, element by element.

use super::LowerError;
use super::analysis::{Bindings, GroupInfo};
use super::emit::Emitter;
use super::emit_launch::{ceil_div, global_linear, grid};
use super::index::Ix;
use super::view::{extent, unravel};
use crate::plan::KernelPlan;
use egpu_ir::kernel::{Kernel, Launch};

pub fn lower(
    info: &GroupInfo<'_>,
    bindings: &Bindings,
    plan: &KernelPlan,
) -> Result<Kernel, LowerError> {
    let graph = info.graph;
    let sizes: Vec<i128> = info
        .group
        .writes
        .iter()
        .map(|&w| extent(graph.node(w).shape.numel()))
        .collect();
    let n = sizes.iter().copied().max().unwrap_or(0);
    let per_lane = i128::from(plan.elements_per_lane.max(1));
    let width = vector_width(plan, per_lane, n, sizes.iter().all(|&s| s == n));
    let chunks = ceil_div(n, per_lane);
    let lanes = plan.workgroup_size;
    let grid = grid(ceil_div(chunks, i128::from(lanes)))?;
    let launch = Launch {
        grid,
        workgroup: [lanes, 1, 1],
    };
    let mut em = Emitter::new(info, bindings, launch, plan.subgroup_size)?;
    let gid = global_linear(&mut em, grid, lanes);
    let gid_value = em.index(&gid)?;
    let inside = em.begin_if_less(&gid, &Ix::constant(chunks))?;
    let c = em.bind(chunks, gid_value);
    let c = em.sym.var(c);
    let t = em.set_lanes(width);
    let w = i128::from(width);
    for q in 0..per_lane / w {
        let base = em.sym.add_const(&em.sym.scale(&c, per_lane), w * q);
        let guarded = em.begin_if_less(&base, &Ix::constant(n))?;
        let flat = match t {
            Some(t) => em.sym.add(&base, &em.sym.var(t)),
            None => base,
        };
        for &write in &info.group.writes {
            store_write(&mut em, write, &flat, n)?;
        }
        if guarded {
            em.end_if()?;
        }
    }
    if inside {
        em.end_if()?;
    }
    em.finish()
}

/// The vector width to use: the plan's where it divides the elements per lane and the
/// element count (so a vector is all in or all out), 1 otherwise.
fn vector_width(plan: &KernelPlan, per_lane: i128, n: i128, same_sizes: bool) -> u32 {
    let w = plan.vector_width;
    let wi = i128::from(w);
    let ok = matches!(w, 2 | 4 | 8) && same_sizes && per_lane % wi == 0 && n % wi == 0;
    if ok { w } else { 1 }
}

/// Stores `write` at flat index `flat` (below `n`), guarded by its own size where that is
/// smaller (then the width is 1, so `flat` has no vector lane).
fn store_write(
    em: &mut Emitter<'_>,
    write: egpu_ir::NodeId,
    flat: &Ix,
    n: i128,
) -> Result<(), LowerError> {
    let dims = em.info.graph.node(write).shape.dims().to_vec();
    let numel = extent(dims.iter().product());
    let guarded = numel < n && em.begin_if_less(flat, &Ix::constant(numel))?;
    let index = unravel(&em.sym, flat, &dims);
    let value = em.eval(write, &index)?;
    em.store(write, &index, &value)?;
    if guarded {
        em.end_if()?;
    }
    Ok(())
}

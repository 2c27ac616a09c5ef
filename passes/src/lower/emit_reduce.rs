//! Reduction kernels: every reduction of the group shares the stage σ, whose kept axes
//! number the rows and whose reduced axes number the positions in a row.
//!
//! ```text
//! row, lane   = by strategy (below)
//! if row < rows:
//!   for each pass (reductions that depend only on earlier passes):
//!     acc_r = identity
//!     for m in lane..L/w step stride:  p = m·w + t;  acc_r ⊕= operand_r(row, p)
//!     combine the lanes' accumulators (strategy)  →  row value of r, in every lane
//!     row values that need only this pass's results
//!   row writes, by one lane:   out[row] = value
//!   full writes:  for m in lane..L/w step stride:  out[(row, p)] = value(row, p)
//! ```
//! - **PerLane**: a lane per row (`lane` = 0, stride 1); the accumulator is the result.
//! - **Subgroup**: a subgroup per row; its lanes stride over the row, then
//!   `subgroup_reduce` combines them.
//! - **Workgroup**: a workgroup per row; lanes stride over the row, each subgroup reduces,
//!   its first lane writes the partial result to a shared array, a barrier, then every lane
//!   combines the partials in subgroup order.
//!
//! **A row held in registers.** When every lane of a row has the same, small number of
//! positions (`L/w` a multiple of the lanes sharing the row, and at most
//! [`MAX_HELD_ELEMENTS`] elements per lane) and the row is traversed more than once (two
//! passes, or a pass and full writes), the position loops are written out: each lane's
//! positions are then computed once, in the row's block, and every later traversal reuses
//! those values (the emitter caches a value per node and index in the innermost block), so
//! the row is loaded once instead of once per traversal. Otherwise each traversal is a loop
//! that recomputes its operands from the loads; a row that would need more than two
//! traversals is realized to memory by `schedule` instead (at most two chained passes).
//! `w` is the plan's vector width where it divides L.

use super::LowerError;
use super::analysis::{Bindings, GroupInfo};
use super::emit::{Emitter, identity};
use super::emit_launch::{ceil_div, global_linear, grid, local_linear, workgroup_linear};
use super::index::Ix;
use super::view::unravel;
use crate::plan::{KernelPlan, ReductionStrategy};
use crate::schedule::{FusionState, ReductionStage};
use egpu_ir::kernel::{Kernel, Launch, Memory};
use egpu_ir::precision::accumulation_dtype;
use egpu_ir::{NodeId, Op, ReduceOp};

type Lowered<T> = Result<T, LowerError>;

/// Where a lane works: its row, its first position chunk and the distance to its next.
struct Lane {
    row: Ix,
    start: Ix,
    stride: u32,
    /// Lanes sharing the row (1, the subgroup or the workgroup).
    sharing: u32,
    /// With a row held in registers: how many positions each lane has (the position loops
    /// are then written out).
    held: Option<i128>,
}

/// The most elements of a row one lane holds in registers (each a register per value that
/// later traversals reuse); longer shares stay loops.
pub const MAX_HELD_ELEMENTS: i128 = 8;

/// How many positions each lane has when the row can be held in registers: `chunks` an
/// exact multiple of the lanes sharing the row, few enough elements per lane, and more
/// than one traversal to share them.
fn held_positions(chunks: i128, lane: &Lane, width: u32, traversals: usize) -> Option<i128> {
    let stride = i128::from(lane.stride.max(1));
    if traversals < 2 || chunks == 0 || chunks % stride != 0 {
        return None;
    }
    let per_lane = chunks / stride;
    (per_lane * i128::from(width) <= MAX_HELD_ELEMENTS).then_some(per_lane)
}

pub fn lower(
    info: &GroupInfo<'_>,
    bindings: &Bindings,
    plan: &KernelPlan,
    stage: &ReductionStage,
) -> Lowered<Kernel> {
    let rows = stage.rows();
    let length = stage.length();
    let w = plan.vector_width;
    let width = if matches!(w, 2 | 4 | 8) && length % i128::from(w) == 0 {
        w
    } else {
        1
    };
    let lanes = plan.workgroup_size;
    let groups = match plan.reduction {
        ReductionStrategy::PerLane => ceil_div(rows, i128::from(lanes)),
        ReductionStrategy::Subgroup => {
            ceil_div(rows * i128::from(plan.subgroup_size), i128::from(lanes))
        }
        ReductionStrategy::Workgroup => rows,
    };
    let grid = grid(groups)?;
    let launch = Launch {
        grid,
        workgroup: [lanes, 1, 1],
    };
    let mut em = Emitter::new(info, bindings, launch, plan.subgroup_size)?;
    let (mut lane, inside) = place(&mut em, plan, grid, rows)?;
    em.set_row(lane.row.clone());
    em.set_lanes(width);
    let chunks = length / i128::from(width);
    let passes = info.passes();
    let full_writes = writes_in(&em, FusionState::Full)?;
    let traversals = passes.len() + usize::from(!full_writes.is_empty());
    lane.held = held_positions(chunks, &lane, width, traversals);
    for (level, pass) in passes.iter().enumerate() {
        reduce_pass(&mut em, plan, stage, &lane, pass, chunks)?;
        em.compute_row_values(&info.row_values_at(level + 1))?;
    }
    store_rows(&mut em, &lane)?;
    store_full(&mut em, stage, &lane, chunks, &full_writes)?;
    if inside {
        em.end_if()?;
    }
    em.finish()
}

/// Computes the lane's row and start, and opens `if row < rows` where some lane has none.
fn place(
    em: &mut Emitter<'_>,
    plan: &KernelPlan,
    grid: [u32; 3],
    rows: i128,
) -> Lowered<(Lane, bool)> {
    let size = plan.workgroup_size;
    let s = plan.subgroup_size;
    let (row, start, stride, sharing) = match plan.reduction {
        ReductionStrategy::PerLane => (global_linear(em, grid, size), Ix::zero(), 1, 1),
        ReductionStrategy::Subgroup => {
            let gid = global_linear(em, grid, size);
            let row = em.sym.div(&gid, i128::from(s));
            (row, em.sym.rem(&gid, i128::from(s)), s, s)
        }
        ReductionStrategy::Workgroup => {
            let row = workgroup_linear(em, grid);
            (row, local_linear(em, size), size, size)
        }
    };
    let row_value = em.index(&row)?;
    let inside = em.begin_if_less(&row, &Ix::constant(rows))?;
    // Named variables for the row and the start keep later index expressions short.
    let row = em.bind(rows, row_value);
    let start = match (start.as_constant(), start.as_var()) {
        (None, None) => {
            let v = em.index(&start)?;
            let var = em.bind(i128::from(sharing), v);
            em.sym.var(var)
        }
        _ => start,
    };
    let lane = Lane {
        row: em.sym.var(row),
        start,
        stride,
        sharing,
        held: None,
    };
    Ok((lane, inside))
}

/// The lane's position chunks, `body` called with the row's input index at position
/// `m·w + t`: a loop over `m`, or for a row held in registers each `m` written out (index
/// arithmetic that only depends on the row is summed first, so that the `licm` pass can
/// move it out of the loop).
fn for_positions<'a, F>(
    em: &mut Emitter<'a>,
    stage: &ReductionStage,
    lane: &Lane,
    chunks: i128,
    unroll: bool,
    mut body: F,
) -> Lowered<()>
where
    F: FnMut(&mut Emitter<'a>, &[Ix]) -> Lowered<()>,
{
    if let Some(count) = lane.held {
        for j in 0..count {
            let m = em.sym.add_const(&lane.start, j * i128::from(lane.stride));
            let index = position_index(em, stage, lane, &m);
            body(em, &index)?;
        }
        return Ok(());
    }
    let end = Ix::constant(chunks);
    em.loop_over(&lane.start, &end, lane.stride, unroll, |em, m| {
        let m = em.sym.var(m);
        let index = position_index(em, stage, lane, &m);
        body(em, &index)
    })
}

/// The row's input index at position `m·w + t` (`t` the vector lane, if any).
fn position_index(em: &Emitter<'_>, stage: &ReductionStage, lane: &Lane, m: &Ix) -> Vec<Ix> {
    let (t, width) = em.lanes();
    let scaled = em.sym.scale(m, i128::from(width));
    let pos = match t {
        Some(t) => em.sym.add(&scaled, &em.sym.var(t)),
        None => scaled,
    };
    stage.index(&em.sym, &lane.row, &pos)
}

/// One pass over the row for the reductions in `pass`.
fn reduce_pass(
    em: &mut Emitter<'_>,
    plan: &KernelPlan,
    stage: &ReductionStage,
    lane: &Lane,
    pass: &[NodeId],
    chunks: i128,
) -> Lowered<()> {
    let mut accs = Vec::new();
    for &r in pass {
        let (op, x, dtype) = reduction(em, r)?;
        let acc_dtype = accumulation_dtype(op, dtype);
        let init = em.scalar(acc_dtype, identity(op, acc_dtype, chunks == 0))?;
        accs.push((r, op, x, acc_dtype, em.b.acc_init(init)?));
    }
    for_positions(em, stage, lane, chunks, plan.unroll, |em, index| {
        for &(_, op, x, acc_dtype, acc) in &accs {
            let v = em.eval(x, index)?;
            em.accumulate(acc, op, acc_dtype, &v)?;
        }
        Ok(())
    })?;
    let mut partials = Vec::new();
    for &(r, op, _, _, acc) in &accs {
        partials.push((r, op, em.b.acc_read(acc)?));
    }
    let totals = match plan.reduction {
        ReductionStrategy::PerLane => partials,
        ReductionStrategy::Subgroup => {
            let mut totals = Vec::new();
            for (r, op, v) in partials {
                totals.push((r, op, em.b.subgroup_reduce(op, v)?));
            }
            totals
        }
        ReductionStrategy::Workgroup => combine_workgroup(em, plan, lane, &partials)?,
    };
    // Rounded to the reduction's dtype once, after all combining (as the reference does).
    for (r, _, total) in totals {
        let dtype = em.info.graph.node(r).dtype;
        let total = em.convert(total, dtype)?;
        em.set_row_value(r, total);
    }
    Ok(())
}

/// The reduce's op, operand and dtype.
fn reduction(em: &Emitter<'_>, r: NodeId) -> Lowered<(ReduceOp, NodeId, egpu_ir::DType)> {
    let n = em.info.graph.node(r);
    match &n.op {
        Op::Reduce { op, x, .. } => Ok((*op, *x, n.dtype)),
        _ => Err(em.internal(format!("{r} is not a reduction"))),
    }
}

/// Subgroup results through shared memory: the first lane of each subgroup writes its
/// subgroup's value, a barrier, then every lane combines them in subgroup order (so all
/// lanes hold the same row value). Each reduction has its own array, so a later pass never
/// writes where an earlier one may still be read.
fn combine_workgroup(
    em: &mut Emitter<'_>,
    plan: &KernelPlan,
    lane: &Lane,
    partials: &[(NodeId, ReduceOp, egpu_ir::kernel::ValueId)],
) -> Lowered<Vec<(NodeId, ReduceOp, egpu_ir::kernel::ValueId)>> {
    let s = i128::from(plan.subgroup_size);
    let subgroups = i128::from(lane.sharing) / s;
    let mut arrays = Vec::new();
    for &(r, op, v) in partials {
        let dtype =
            em.b.value_type(v)
                .map_or(em.info.graph.node(r).dtype, |t| t.dtype);
        let name = format!("shared{}", em.b.kernel().shared_arrays().len());
        let len = usize::try_from(subgroups).unwrap_or(0);
        let array = em.b.shared(&name, dtype, len)?;
        let total = em.b.subgroup_reduce(op, v)?;
        arrays.push((r, op, dtype, array, total));
    }
    let first = em.sym.rem(&lane.start, s);
    let leader = em.begin_if_less(&first, &Ix::constant(1))?;
    let slot = em.sym.div(&lane.start, s);
    for &(_, _, _, array, total) in &arrays {
        let i = em.index(&slot)?;
        em.b.store(Memory::Shared(array), i, total, None)?;
    }
    if leader {
        em.end_if()?;
    }
    em.b.barrier();
    let mut totals = Vec::new();
    for (r, op, dtype, array, _) in arrays {
        let init = em.scalar(dtype, identity(op, dtype, false))?;
        let acc = em.b.acc_init(init)?;
        let k = em.begin_loop(&Ix::zero(), &Ix::constant(subgroups), 1, plan.unroll)?;
        let i = em.index(&em.sym.var(k))?;
        let v = em.b.load(Memory::Shared(array), i, 1, None)?;
        em.b.acc_update(acc, egpu_ir::kernel::AccUpdate::Combine(op), v)?;
        em.end_loop()?;
        totals.push((r, op, em.b.acc_read(acc)?));
    }
    Ok(totals)
}

/// The kernel's writes in the given state.
fn writes_in(em: &Emitter<'_>, state: FusionState) -> Lowered<Vec<NodeId>> {
    let mut out = Vec::new();
    for &w in &em.info.group.writes {
        match em.info.state(w) {
            s if s == state => out.push(w),
            FusionState::Plain => {
                return Err(LowerError::Unsupported(format!(
                    "kernel {}: {w} is stored but computed without the kernel's reduction",
                    em.info.group.name
                )));
            }
            _ => {}
        }
    }
    Ok(out)
}

/// Row values are stored once per row, by the row's first lane; a row value's flat index
/// is the row.
fn store_rows(em: &mut Emitter<'_>, lane: &Lane) -> Lowered<()> {
    let writes = writes_in(em, FusionState::Row)?;
    if writes.is_empty() {
        return Ok(());
    }
    let leader = lane.sharing > 1 && em.begin_if_less(&lane.start, &Ix::constant(1))?;
    for w in writes {
        let dims = em.info.graph.node(w).shape.dims().to_vec();
        let index = unravel(&em.sym, &lane.row, &dims);
        let value = em.eval(w, &index)?;
        em.store(w, &index, &value)?;
    }
    if leader {
        em.end_if()?;
    }
    Ok(())
}

/// Full values are stored for every position of the row, the lanes sharing the row taking
/// turns as in the passes.
fn store_full(
    em: &mut Emitter<'_>,
    stage: &ReductionStage,
    lane: &Lane,
    chunks: i128,
    writes: &[NodeId],
) -> Lowered<()> {
    if writes.is_empty() {
        return Ok(());
    }
    for_positions(em, stage, lane, chunks, false, |em, index| {
        for &w in writes {
            let value = em.eval(w, index)?;
            em.store(w, index, &value)?;
        }
        Ok(())
    })
}

//! Hook for the shared-memory tiled lowering of contraction (matmul-shaped) kernels.
//!
//! # Contract
//! [`super::lower`] calls [`lower_contraction`] for every group whose plan has
//! `tiling: Some(_)`, before the generic lowering. It receives:
//! - `info`: the analysed group ([`GroupInfo`]): `info.graph`, `info.group` (nodes, reads,
//!   writes, name), `info.stage` (the reduction stage σ: input shape and reduced axes; for
//!   a matmul `sum(mul(expand(a), expand(b)))` σ is `[.., m, k, n]` over `k`) and each
//!   node's fusion state (`info.state(node)`: plain, row or full);
//! - `bindings`: the buffer parameters in order ([`Bindings::params`]) and which one each
//!   loaded or stored value uses (`read_param`, `write_params`);
//! - `plan` and `tiling`: the launch and tile sizes chosen by `optimize`.
//!
//! It may build the kernel with [`Emitter::new`] (which declares exactly the parameters of
//! `bindings`, in order, and the group's constants) and use its API: `em.b` is the
//! `KernelBuilder`; `em.sym` builds simplified index expressions ([`super::index`]);
//! [`super::view`] maps indices through movement ops; `em.eval(node, &index)` computes a
//! prologue or epilogue value at a symbolic index (loads included), `em.store(node,
//! &index, &value)` stores a written value to each of its buffers.
//!
//! It must return a [`LoweredKernel`] whose `bindings` are `bindings.buffer_ids()` (one
//! buffer per `Param::Buffer`, in parameter order) and whose kernel computes every value
//! of `info.group.writes` exactly as the graph defines it (accumulation in the dtype is
//! fine, as in the generic lowering). It returns `LowerError::Unsupported` for a group it
//! cannot tile; the generic lowering then handles the group, so an unsupported case costs
//! speed, never correctness. Any other error is reported to the caller.
//!
//! # The tiled kernel
//! The group is a [`Contraction`] (recognized by `schedule`, [`crate::schedule::KernelGroup::contraction`]): `C[b, i, j] = Σ_k A[b, i, k]·B[b, k, j]`
//! over flattened batch, m, n and k axes, then an elementwise epilogue per output row. A
//! workgroup computes one `tile_m × tile_n` block of C:
//! ```text
//! (b, tm, tn) = workgroup id               m0 = tm·tile_m, n0 = tn·tile_n
//! plain: acc[rm][rn] = 0                   matrix tile: fragment_zero F_q (its tiles q)
//! for kt in 0..⌈K / tile_k⌉:
//!   A tile: shared_a[r][c] = A[b, m0 + r, kt·tile_k + c]   (0 outside m, k)
//!   B tile: shared_b[r][c] = B[b, kt·tile_k + r, n0 + c]   (0 outside k, n)
//!   barrier
//!   plain: acc[i][j] += shared_a[row_i][kk] · shared_b[kk][col_j] for kk in 0..tile_k
//!   matrix tile: each subgroup, for its 16×16 tiles q: fragment_mma F_q += A·B
//!   barrier
//! plain: D[row_i][col_j] = acc[i][j]; barrier     matrix tile: fragment_store D_q = F_q; barrier
//! for e in lane..tile_m·tile_n step lanes:   (i, j) = (m0 + e div tile_n, n0 + e mod tile_n)
//!   if i < M and j < N: the epilogue at the output row (b, i, j), from D[e]; store
//! ```
//! Each lane's register block is `rm × rn` outputs, strided by the lane grid (rows
//! `ty + i·(tile_m/rm)`, columns `tx + j·(tile_n/rn)`), so that neighbouring lanes read
//! neighbouring shared elements. The output tile goes through shared memory for both paths:
//! the epilogue then runs one output per loop iteration with consecutive lanes on
//! consecutive columns (coalesced stores), and every output's row values are computed in a
//! block of their own, as the emitter's per-block cache requires.
//!
//! The matrix tile stages A and B as f16/bf16: the operands are casts of f16/bf16 values
//! to f32, so the staged values are exactly the source's; where the view allows, they are
//! read before the cast, else cast back (exact). Shared memory is race-free: every tile
//! write is separated from its reads by a barrier, and each subgroup stores only the D tiles
//! it owns, before the barrier that precedes the epilogue. The matrix-tile accumulators are
//! fragments (registers) for the whole k loop: D is written once, after it.

use super::analysis::{Bindings, GroupInfo};
use super::emit::{Emitter, Val, identity};
use super::emit_launch::{ceil_div, grid, local_linear, workgroup_linear};
use super::index::Ix;
use super::view::{self, extent, flatten, unravel};
use super::{LowerError, LoweredKernel};
use crate::plan::{KernelPlan, TilePlan};
use crate::schedule::Contraction;
use egpu_ir::kernel::{AccUpdate, Launch, Memory, SharedId, TILE, TileRef, ValueId};
use egpu_ir::{BinaryOp, DType, NodeId, Op, ReduceOp, Scalar};

type Lowered<T> = Result<T, LowerError>;

/// The tiled lowering of a contraction group (see the module documentation).
pub(crate) fn lower_contraction(
    info: &GroupInfo<'_>,
    bindings: &Bindings,
    plan: &KernelPlan,
    tiling: &TilePlan,
) -> Result<LoweredKernel, LowerError> {
    let decline = |why: &str| {
        LowerError::Unsupported(format!(
            "kernel {}: not tiled ({}x{}x{} tiles): {why}",
            info.group.name, tiling.tile_m, tiling.tile_n, tiling.tile_k
        ))
    };
    let c = info
        .group
        .contraction
        .as_ref()
        .ok_or_else(|| decline("not a contraction"))?;
    let shape = TileGeometry::new(c, plan, tiling).map_err(|why| decline(&why))?;
    let groups = shape.workgroups(c);
    let grid = grid(groups)?;
    let launch = Launch {
        grid,
        workgroup: [plan.workgroup_size, 1, 1],
    };
    let mut em = Emitter::new(info, bindings, launch, plan.subgroup_size)?;
    let tiles = Tiles::declare(&mut em, c, &shape)?;
    let place = Place::new(&mut em, c, &shape, grid, groups)?;
    if shape.matrix_tile {
        matrix_tile_body(&mut em, c, &shape, &tiles, &place)?;
    } else {
        plain_body(&mut em, c, &shape, &tiles, &place)?;
    }
    epilogue(&mut em, c, &shape, &tiles, &place)?;
    if place.inside {
        em.end_if()?;
    }
    Ok(LoweredKernel {
        kernel: em.finish()?,
        bindings: bindings.buffer_ids(),
    })
}

/// The tile sizes and how the workgroup's lanes share the tile.
struct TileGeometry {
    tm: i128,
    tn: i128,
    tk: i128,
    lanes: i128,
    /// Rows and columns of each lane's register block (plain path).
    rm: i128,
    rn: i128,
    matrix_tile: bool,
    subgroup: i128,
}

impl TileGeometry {
    /// Checks the plan against the contraction; `Err` says why it cannot be tiled as asked.
    fn new(c: &Contraction, plan: &KernelPlan, t: &TilePlan) -> Result<TileGeometry, String> {
        let (tm, tn, tk) = (
            i128::from(t.tile_m),
            i128::from(t.tile_n),
            i128::from(t.tile_k),
        );
        let lanes = i128::from(plan.workgroup_size);
        if tm <= 0 || tn <= 0 || tk <= 0 || lanes <= 0 || (tm * tn) % lanes != 0 {
            return Err(format!("{tm}x{tn} outputs among {lanes} lanes"));
        }
        if [tm * tn, tm * tk, tk * tn]
            .iter()
            .any(|&e| e > MAX_TILE_ELEMENTS)
        {
            return Err("tiles larger than any shared memory".into());
        }
        let (rm, rn) = register_block((tm * tn) / lanes, tm, tn)
            .ok_or_else(|| format!("no register block for {tm}x{tn} among {lanes} lanes"))?;
        let subgroup = i128::from(plan.subgroup_size);
        if t.matrix_tile {
            check_matrix_tile(c, tm, tn, tk, lanes, subgroup)?;
        }
        Ok(TileGeometry {
            tm,
            tn,
            tk,
            lanes,
            rm,
            rn,
            matrix_tile: t.matrix_tile,
            subgroup,
        })
    }

    fn workgroups(&self, c: &Contraction) -> i128 {
        let tiles = ceil_div(extent(c.m), self.tm).saturating_mul(ceil_div(extent(c.n), self.tn));
        extent(c.batch).saturating_mul(tiles)
    }
}

/// The most elements of one shared tile: 256 KiB of f32, more than any target's shared
/// memory (227 KiB at most), so a larger plan is a mistake to decline, not a kernel to build.
const MAX_TILE_ELEMENTS: i128 = 1 << 16;

/// The most outputs one lane accumulates in registers.
const MAX_BLOCK: i128 = 64;

/// `rm × rn = per_lane` outputs per lane, as square as powers of two allow (`rn ≤ rm`),
/// each dividing its tile edge.
fn register_block(per_lane: i128, tm: i128, tn: i128) -> Option<(i128, i128)> {
    if per_lane <= 0 || per_lane > MAX_BLOCK || per_lane & (per_lane - 1) != 0 {
        return None;
    }
    let rn = 1i128 << (per_lane.trailing_zeros() / 2);
    let rm = per_lane / rn;
    (tm % rm == 0 && tn % rn == 0).then_some((rm, rn))
}

/// The matrix tile needs f16/bf16 operands cast exactly to an f32 sum, 16-multiple tiles,
/// and whole 32-lane subgroups that share the 16×16 output tiles evenly.
fn check_matrix_tile(
    c: &Contraction,
    tm: i128,
    tn: i128,
    tk: i128,
    lanes: i128,
    subgroup: i128,
) -> Result<(), String> {
    let half = c
        .operand_dtype()
        .is_some_and(|d| matches!(d, DType::F16 | DType::BF16));
    if !half || !c.a.cast || !c.b.cast || c.accumulator != DType::F32 {
        return Err("matrix tiles need f16/bf16 operands summed in f32".into());
    }
    let t = i128::from(TILE);
    if tm % t != 0 || tn % t != 0 || tk % t != 0 || subgroup != 32 || lanes % subgroup != 0 {
        return Err(format!("matrix tiles of {tm}x{tn}x{tk} with {lanes} lanes"));
    }
    let tiles = (tm / t) * (tn / t);
    if tiles % (lanes / subgroup) != 0 {
        return Err(format!(
            "{tiles} tiles among {} subgroups",
            lanes / subgroup
        ));
    }
    Ok(())
}

/// The shared arrays: the A and B staging tiles and the output tile D.
struct Tiles {
    a: SharedId,
    b: SharedId,
    d: SharedId,
    /// The dtype A and B are staged in: the operands' own f16/bf16 for the matrix tile,
    /// else the dtype of the products.
    staged: DType,
    /// The dtype of the products, the sum and D.
    sum: DType,
}

impl Tiles {
    fn declare(em: &mut Emitter<'_>, c: &Contraction, s: &TileGeometry) -> Lowered<Tiles> {
        let sum = c.accumulator;
        let staged = match c.operand_dtype() {
            Some(d) if s.matrix_tile => d,
            _ => sum,
        };
        let len = |n: i128| usize::try_from(n).unwrap_or(0);
        Ok(Tiles {
            a: em.b.shared("shared_a", staged, len(s.tm * s.tk))?,
            b: em.b.shared("shared_b", staged, len(s.tk * s.tn))?,
            d: em.b.shared("shared_d", sum, len(s.tm * s.tn))?,
            staged,
            sum,
        })
    }
}

/// Where a workgroup and a lane work: the batch, the tile's first row and column, the
/// lane's id, and whether an `if` (workgroups past the last tile) is open.
struct Place {
    batch: Ix,
    m0: Ix,
    n0: Ix,
    lane: Ix,
    inside: bool,
}

impl Place {
    /// Workgroups are numbered n tile fastest, then m tile, then batch, so neighbouring
    /// workgroups share their A rows.
    fn new(
        em: &mut Emitter<'_>,
        c: &Contraction,
        s: &TileGeometry,
        grid: [u32; 3],
        groups: i128,
    ) -> Lowered<Place> {
        let wg = workgroup_linear(em, grid);
        let wg_value = em.index(&wg)?;
        let inside = em.begin_if_less(&wg, &Ix::constant(groups))?;
        let wg = em.bind(groups, wg_value);
        let wg = em.sym.var(wg);
        let tiles_n = ceil_div(extent(c.n), s.tn);
        let tiles_m = ceil_div(extent(c.m), s.tm);
        let n_tile = em.sym.rem(&wg, tiles_n);
        let n_tile = named(em, &n_tile)?;
        let m_tile = em.sym.rem(&em.sym.div(&wg, tiles_n), tiles_m);
        let m_tile = named(em, &m_tile)?;
        let batch = em.sym.div(&wg, tiles_n.saturating_mul(tiles_m));
        let batch = named(em, &batch)?;
        let lanes = u32::try_from(s.lanes).unwrap_or(0);
        Ok(Place {
            batch,
            m0: em.sym.scale(&m_tile, s.tm),
            n0: em.sym.scale(&n_tile, s.tn),
            lane: local_linear(em, lanes),
            inside,
        })
    }
}

/// `ix` (never negative) as a variable of its own, computed once here: index expressions
/// inside the loops then use the variable instead of redoing its divisions.
fn named(em: &mut Emitter<'_>, ix: &Ix) -> Lowered<Ix> {
    let (lo, hi) = em.sym.bounds(ix);
    if ix.as_constant().is_some() || ix.as_var().is_some() || lo < 0 {
        return Ok(ix.clone());
    }
    let value = em.index(ix)?;
    let var = em.bind(hi.saturating_add(1), value);
    Ok(em.sym.var(var))
}

/// The index into the reduce's input (one expression per axis) of batch `b`, m position
/// `i`, n position `j` and k position `k`, each flattened over its axes; a missing
/// position is 0 (the operand that leaves it out is broadcast along those axes).
fn full_index(
    em: &Emitter<'_>,
    c: &Contraction,
    b: &Ix,
    i: Option<&Ix>,
    j: Option<&Ix>,
    k: Option<&Ix>,
) -> Vec<Ix> {
    let mut index = vec![Ix::zero(); c.dims.len()];
    let zero = Ix::zero();
    let roles = [
        (&c.batch_axes, Some(b)),
        (&c.m_axes, i),
        (&c.n_axes, j),
        (&c.k_axes, k),
    ];
    for (axes, position) in roles {
        let dims: Vec<usize> = axes.iter().map(|&a| dim(c, a)).collect();
        let parts = unravel(&em.sym, position.unwrap_or(&zero), &dims);
        for (&axis, part) in axes.iter().zip(parts) {
            if let Some(slot) = index.get_mut(axis) {
                *slot = part;
            }
        }
    }
    index
}

/// The length of axis `a` of the reduce's input (the roles only name its axes).
fn dim(c: &Contraction, a: usize) -> usize {
    c.dims.get(a).copied().unwrap_or(1)
}

/// The flat output row of batch `b`, m position `i` and n position `j`: the reduce's result
/// index, which is also every epilogue value's flat index.
fn output_row(em: &Emitter<'_>, c: &Contraction, b: &Ix, i: &Ix, j: &Ix) -> Ix {
    let index = full_index(em, c, b, Some(i), Some(j), None);
    let mut dims = c.dims.clone();
    for &a in &c.k_axes {
        if let Some(d) = dims.get_mut(a) {
            *d = 1;
        }
    }
    flatten(&em.sym, &index, &dims)
}

/// Which operand a staging step loads.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Side {
    A,
    B,
}

/// One element a lane stages per k tile: its position in the tile (`idx`, whether it
/// may be past the tile's end) and that position's row and column.
struct Slot {
    idx: Ix,
    guarded: bool,
    r: Ix,
    col: Ix,
}

/// The staging slots of a `rows × cols` tile, consecutive lanes on consecutive columns (k
/// for A, n for B: the contiguous axis of a row-major operand). Computed before the k
/// loop, since they do not depend on it.
fn slots(
    em: &mut Emitter<'_>,
    s: &TileGeometry,
    place: &Place,
    rows: i128,
    cols: i128,
) -> Lowered<Vec<Slot>> {
    let total = rows * cols;
    let mut slots = Vec::new();
    for q in 0..ceil_div(total, s.lanes) {
        let idx = em.sym.add_const(&place.lane, q * s.lanes);
        let guarded = em.sym.bounds(&idx).1 >= total;
        em.index(&idx)?;
        let r = named(em, &em.sym.div(&idx, cols))?;
        let col = named(em, &em.sym.rem(&idx, cols))?;
        slots.push(Slot {
            idx,
            guarded,
            r,
            col,
        });
    }
    Ok(slots)
}

/// What a lane stages of one operand per k tile: the shared array, its size and the
/// lane's slots in it.
struct Staged {
    side: Side,
    array: SharedId,
    total: i128,
    slots: Vec<Slot>,
}

/// The staging of both tiles.
struct Staging {
    a: Staged,
    b: Staged,
}

impl Staging {
    fn new(
        em: &mut Emitter<'_>,
        s: &TileGeometry,
        tiles: &Tiles,
        place: &Place,
    ) -> Lowered<Staging> {
        Ok(Staging {
            a: Staged {
                side: Side::A,
                array: tiles.a,
                total: s.tm * s.tk,
                slots: slots(em, s, place, s.tm, s.tk)?,
            },
            b: Staged {
                side: Side::B,
                array: tiles.b,
                total: s.tk * s.tn,
                slots: slots(em, s, place, s.tk, s.tn)?,
            },
        })
    }
}

/// All lanes load one `tile_m × tile_k` tile of A or `tile_k × tile_n` tile of B (from k
/// position `k0`) into shared memory; elements outside the operand are 0.
fn stage(
    em: &mut Emitter<'_>,
    c: &Contraction,
    staged_dtype: DType,
    place: &Place,
    staged: &Staged,
    k0: &Ix,
) -> Lowered<()> {
    for slot in &staged.slots {
        let guarded = slot.guarded && em.begin_if_less(&slot.idx, &Ix::constant(staged.total))?;
        let value = match staged.side {
            Side::A => {
                let i = em.sym.add(&place.m0, &slot.r);
                let k = em.sym.add(k0, &slot.col);
                let within = [(i.clone(), c.m), (k.clone(), c.k)];
                let index = full_index(em, c, &place.batch, Some(&i), None, Some(&k));
                operand_value(em, &c.a.node, staged_dtype, &index, &within)?
            }
            Side::B => {
                let k = em.sym.add(k0, &slot.r);
                let j = em.sym.add(&place.n0, &slot.col);
                let within = [(k.clone(), c.k), (j.clone(), c.n)];
                let index = full_index(em, c, &place.batch, None, Some(&j), Some(&k));
                operand_value(em, &c.b.node, staged_dtype, &index, &within)?
            }
        };
        let at = em.index(&slot.idx)?;
        em.b.store(Memory::Shared(staged.array), at, value, None)?;
        if guarded {
            em.end_if()?;
        }
    }
    Ok(())
}

/// The operand `node` at `index` as `dtype`, or 0 where a position is not below its
/// size (`within`: position, size); the operand is computed only where it exists.
fn operand_value(
    em: &mut Emitter<'_>,
    node: &NodeId,
    dtype: DType,
    index: &[Ix],
    within: &[(Ix, usize)],
) -> Lowered<ValueId> {
    let mut conds = Vec::new();
    for (position, size) in within {
        let (_, hi) = em.sym.bounds(position);
        if hi >= extent(*size) {
            conds.push(em.less(position, &Ix::constant(extent(*size)))?);
        }
    }
    let Some((&first, rest)) = conds.split_first() else {
        return staged_value(em, *node, dtype, index);
    };
    let mut cond = first;
    for &c in rest {
        cond = em.b.binary(BinaryOp::And, cond, c)?;
    }
    let zero = em.scalar(dtype, Scalar::zero(dtype))?;
    let acc = em.b.acc_init(zero)?;
    em.begin_if(cond)?;
    let v = staged_value(em, *node, dtype, index)?;
    em.b.acc_update(acc, AccUpdate::Assign, v)?;
    em.end_if()?;
    Ok(em.b.acc_read(acc)?)
}

/// The operand `node` at `index`, converted to `dtype`. When that undoes the view's cast
/// (f16 → f32 staged as f16), the value before the cast is read instead, so the kernel
/// converts nothing.
fn staged_value(
    em: &mut Emitter<'_>,
    node: NodeId,
    dtype: DType,
    index: &[Ix],
) -> Lowered<ValueId> {
    let (node, index) = match before_cast(em, node, index, dtype) {
        Some((x, at)) => (x, at),
        None => (node, index.to_vec()),
    };
    match em.eval(node, &index)? {
        Val::One(v) => em.cast(v, dtype),
        Val::Lanes(_) => Err(em.internal("a staged operand varies per vector lane")),
    }
}

/// Follows movement ops (all but pad, whose fill would need a condition) from `node` down
/// to a cast from `dtype`: that cast's operand and the index mapped onto it.
fn before_cast(
    em: &Emitter<'_>,
    node: NodeId,
    index: &[Ix],
    dtype: DType,
) -> Option<(NodeId, Vec<Ix>)> {
    let graph = em.info.graph;
    if !reaches_cast(em, node, dtype) {
        return None;
    }
    let (mut at, mut index) = (node, index.to_vec());
    // Each step moves to an operand, earlier in the graph: at most `graph.len()` steps.
    for _ in 0..graph.len() {
        if em.info.is_read(at) {
            return None;
        }
        let n = graph.node(at);
        let x = n.op.each_operand().next()?;
        match &n.op {
            Op::Cast { .. } if graph.node(x).dtype == dtype => return Some((x, index)),
            Op::Reshape { .. }
            | Op::Permute { .. }
            | Op::Expand { .. }
            | Op::Shrink { .. }
            | Op::Flip { .. } => {
                let from = graph.node(x).shape.dims();
                let src = view::source(&em.sym, &n.op, from, n.shape.dims(), &index).ok()?;
                if !src.valid.is_empty() {
                    return None;
                }
                (at, index) = (x, src.index);
            }
            _ => return None,
        }
    }
    None
}

/// Whether the walk of [`before_cast`] from `node` meets a cast from `dtype`, by the ops
/// alone: the index maps are worked out only then (most operands have no such cast, and
/// `eval` maps the same views again).
fn reaches_cast(em: &Emitter<'_>, node: NodeId, dtype: DType) -> bool {
    let graph = em.info.graph;
    let mut at = node;
    for _ in 0..graph.len() {
        if em.info.is_read(at) {
            return false;
        }
        let n = graph.node(at);
        let Some(x) = n.op.each_operand().next() else {
            return false;
        };
        match &n.op {
            Op::Cast { .. } => return graph.node(x).dtype == dtype,
            Op::Reshape { .. }
            | Op::Permute { .. }
            | Op::Expand { .. }
            | Op::Shrink { .. }
            | Op::Flip { .. } => at = x,
            _ => return false,
        }
    }
    false
}

/// The start of a sum: the generic lowering's (-0.0 for floats, so that a sum of -0.0s is
/// -0.0 as in the reference; 0.0 when k is empty).
fn sum_start(em: &mut Emitter<'_>, c: &Contraction, dtype: DType) -> Lowered<ValueId> {
    em.scalar(dtype, identity(ReduceOp::Sum, dtype, c.k == 0))
}

/// A value of a shared array at `ix`.
fn load_shared(em: &mut Emitter<'_>, array: SharedId, ix: &Ix) -> Lowered<ValueId> {
    let i = em.index(ix)?;
    Ok(em.b.load(Memory::Shared(array), i, 1, None)?)
}

/// The k loop: `body` runs once per k tile, after both tiles are staged and a barrier,
/// and before a closing barrier (the next staging overwrites the tiles).
fn k_loop(
    em: &mut Emitter<'_>,
    c: &Contraction,
    s: &TileGeometry,
    tiles: &Tiles,
    place: &Place,
    body: &mut dyn FnMut(&mut Emitter<'_>) -> Lowered<()>,
) -> Lowered<()> {
    let staging = Staging::new(em, s, tiles, place)?;
    let k_tiles = ceil_div(extent(c.k), s.tk);
    let kt = em.begin_loop(&Ix::zero(), &Ix::constant(k_tiles), 1, false)?;
    let k0 = em.sym.scale(&em.sym.var(kt), s.tk);
    stage(em, c, tiles.staged, place, &staging.a, &k0)?;
    stage(em, c, tiles.staged, place, &staging.b, &k0)?;
    em.b.barrier();
    body(em)?;
    em.b.barrier();
    em.end_loop()
}

/// The plain path: each lane accumulates its `rm × rn` register block from the staged
/// tiles, then writes it to D.
fn plain_body(
    em: &mut Emitter<'_>,
    c: &Contraction,
    s: &TileGeometry,
    tiles: &Tiles,
    place: &Place,
) -> Lowered<()> {
    let (lanes_m, lanes_n) = (s.tm / s.rm, s.tn / s.rn);
    let ty = named(em, &em.sym.div(&place.lane, lanes_n))?;
    let tx = named(em, &em.sym.rem(&place.lane, lanes_n))?;
    let rows: Vec<Ix> = (0..s.rm)
        .map(|i| em.sym.add_const(&ty, i * lanes_m))
        .collect();
    let cols: Vec<Ix> = (0..s.rn)
        .map(|j| em.sym.add_const(&tx, j * lanes_n))
        .collect();
    let zero = sum_start(em, c, tiles.sum)?;
    // accs[i][j]: the lane's output at (rows[i], cols[j]).
    let mut accs = Vec::new();
    for _ in &rows {
        let mut row = Vec::with_capacity(cols.len());
        for _ in &cols {
            row.push(em.b.acc_init(zero)?);
        }
        accs.push(row);
    }
    k_loop(em, c, s, tiles, place, &mut |em| {
        // A fixed trip count of tile_k: always worth unrolling.
        let kk = em.begin_loop(&Ix::zero(), &Ix::constant(s.tk), 1, true)?;
        let kk = em.sym.var(kk);
        let mut a = Vec::new();
        for row in &rows {
            let at = em.sym.add(&em.sym.scale(row, s.tk), &kk);
            a.push(load_shared(em, tiles.a, &at)?);
        }
        let mut b = Vec::new();
        for col in &cols {
            let at = em.sym.add(&em.sym.scale(&kk, s.tn), col);
            b.push(load_shared(em, tiles.b, &at)?);
        }
        for (row_accs, &a) in accs.iter().zip(&a) {
            for (&acc, &b) in row_accs.iter().zip(&b) {
                let product = em.b.binary(BinaryOp::Mul, a, b)?;
                em.b.acc_update(acc, AccUpdate::Combine(ReduceOp::Sum), product)?;
            }
        }
        em.end_loop()
    })?;
    for (row_accs, row) in accs.iter().zip(&rows) {
        for (&acc, col) in row_accs.iter().zip(&cols) {
            let at = em.sym.add(&em.sym.scale(row, s.tn), col);
            let at = em.index(&at)?;
            let v = em.b.acc_read(acc)?;
            em.b.store(Memory::Shared(tiles.d), at, v, None)?;
        }
    }
    em.b.barrier();
    Ok(())
}

/// The matrix-tile path: each subgroup owns `owned` 16×16 output tiles, each accumulated in
/// a matrix fragment (registers) across the whole k loop — zeroed before it, `fragment_mma`
/// once per 16-deep slice of each staged k tile, and written to D once after it, then a
/// barrier before the epilogue reads D. The accumulators never round-trip through shared
/// memory inside the loop.
fn matrix_tile_body(
    em: &mut Emitter<'_>,
    c: &Contraction,
    s: &TileGeometry,
    tiles: &Tiles,
    place: &Place,
) -> Lowered<()> {
    let t = i128::from(TILE);
    let subgroups = s.lanes / s.subgroup;
    let tiles_n = s.tn / t;
    let owned = (s.tm / t) * tiles_n / subgroups;
    let sg = named(em, &em.sym.div(&place.lane, s.subgroup))?;
    // The subgroup's tile operands do not depend on k: emitted once, before the loop.
    let mut outputs = Vec::new();
    let mut ops = Vec::new();
    for q in 0..owned {
        let frag = em.b.fragment(&format!("acc{q}"))?;
        em.b.fragment_zero(frag)?;
        let tile = em.sym.add_const(&sg, q * subgroups);
        let (ti, tj) = (em.sym.div(&tile, tiles_n), em.sym.rem(&tile, tiles_n));
        let d_at = em
            .sym
            .add(&em.sym.scale(&ti, t * s.tn), &em.sym.scale(&tj, t));
        outputs.push((frag, tile_ref(em, tiles.d, &d_at, s.tn)?));
        for kk in (0..s.tk).step_by(TILE as usize) {
            let a_at = em.sym.add_const(&em.sym.scale(&ti, t * s.tk), kk);
            let b_at = em.sym.add(&Ix::constant(kk * s.tn), &em.sym.scale(&tj, t));
            let a = tile_ref(em, tiles.a, &a_at, s.tk)?;
            let b = tile_ref(em, tiles.b, &b_at, s.tn)?;
            ops.push((frag, a, b));
        }
    }
    k_loop(em, c, s, tiles, place, &mut |em| {
        for &(frag, a, b) in &ops {
            em.b.fragment_mma(frag, a, b)?;
        }
        Ok(())
    })?;
    for (frag, d) in outputs {
        em.b.fragment_store(frag, d)?;
    }
    // The epilogue reads every element of D, written by other subgroups' fragments.
    em.b.barrier();
    Ok(())
}

fn tile_ref(em: &mut Emitter<'_>, array: SharedId, offset: &Ix, stride: i128) -> Lowered<TileRef> {
    let offset = em.index(offset)?;
    let stride = u32::try_from(stride).map_err(|_| em.internal("tile stride"))?;
    Ok(TileRef {
        array,
        offset,
        stride,
    })
}

/// Every output of the tile, one per loop iteration with consecutive lanes on consecutive
/// columns: its sum from D becomes the reduce's row value, and every written value is
/// computed from it at the output row and stored.
fn epilogue(
    em: &mut Emitter<'_>,
    c: &Contraction,
    s: &TileGeometry,
    tiles: &Tiles,
    place: &Place,
) -> Lowered<()> {
    let step = u32::try_from(s.lanes).map_err(|_| em.internal("lanes"))?;
    let e = em.begin_loop(&place.lane, &Ix::constant(s.tm * s.tn), step, true)?;
    let e = em.sym.var(e);
    let i = em.sym.add(&place.m0, &em.sym.div(&e, s.tn));
    let j = em.sym.add(&place.n0, &em.sym.rem(&e, s.tn));
    let inside_m = em.begin_if_less(&i, &Ix::constant(extent(c.m)))?;
    let inside_n = em.begin_if_less(&j, &Ix::constant(extent(c.n)))?;
    let sum = load_shared(em, tiles.d, &e)?;
    let row = output_row(em, c, &place.batch, &i, &j);
    em.set_row(row.clone());
    em.set_row_value(c.reduce, sum);
    for &w in &em.info.group.writes {
        let dims = em.info.graph.node(w).shape.dims().to_vec();
        let index = unravel(&em.sym, &row, &dims);
        let value = em.eval(w, &index)?;
        em.store(w, &index, &value)?;
    }
    if inside_n {
        em.end_if()?;
    }
    if inside_m {
        em.end_if()?;
    }
    em.end_loop()
}

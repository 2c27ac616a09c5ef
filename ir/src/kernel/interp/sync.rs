//! Taking turns: running lanes to their next synchronizing statement, then performing
//! subgroup operations and opening barriers, or reporting divergence.

use super::Env;
use super::lane::{self, Lane, State, combine_op, int_operand, operand};
use super::memory::{self, Who};
use crate::interp::{Data, elementwise};
use crate::kernel::KernelError;
use crate::kernel::builder::tile_alignment;
use crate::kernel::types::{Expr, Kernel, MatrixTile, Memory, Stmt, TILE, TileRef, ValueId};
use crate::{DType, ReduceOp, Scalar, round_float};
use cranelift_entity::EntityRef;

/// Runs the lanes of one workgroup to the end.
pub(super) fn run_lanes<'k>(
    env: &mut Env<'k, '_>,
    lanes: &mut [Lane<'k>],
) -> Result<(), KernelError> {
    loop {
        for l in lanes.iter_mut() {
            lane::run(env, l)?;
        }
        if lanes.iter().all(|l| matches!(l.state, State::Done)) {
            return Ok(());
        }
        if release_subgroups(env, lanes)? || release_barrier(lanes) {
            continue;
        }
        return Err(divergence(env, lanes));
    }
}

/// The statement every lane of `lanes` waits at, if they all wait at the same one.
fn common_wait<'k>(lanes: &[Lane<'k>]) -> Option<&'k Stmt> {
    let State::Waiting(first) = lanes.first()?.state else {
        return None;
    };
    let same = |l: &Lane| matches!(l.state, State::Waiting(s) if std::ptr::eq(s, first));
    lanes.iter().all(same).then_some(first)
}

/// Performs the operation of every subgroup whose lanes all wait at the same subgroup
/// operation; says whether any did.
fn release_subgroups<'k>(
    env: &mut Env<'k, '_>,
    lanes: &mut [Lane<'k>],
) -> Result<bool, KernelError> {
    let size = env.kernel.subgroup_size.max(1) as usize;
    let mut released = false;
    for group in lanes.chunks_mut(size) {
        let Some(stmt) = common_wait(group) else {
            continue;
        };
        match stmt {
            Stmt::Barrier => continue,
            Stmt::MatrixTile(tile) => matrix_tile(env, group, tile)?,
            Stmt::FragmentZero(_) | Stmt::FragmentMma { .. } | Stmt::FragmentStore { .. } => {
                fragment_op(env, group, stmt)?
            }
            Stmt::Let(v) => subgroup_reduce(env, group, *v)?,
            _ => return Err(env.internal("a lane waits at a statement that needs no other lanes")),
        }
        for l in group.iter_mut() {
            l.resume();
        }
        released = true;
    }
    Ok(released)
}

/// Opens the barrier if every lane of the workgroup waits at it.
fn release_barrier(lanes: &mut [Lane]) -> bool {
    if !matches!(common_wait(lanes), Some(Stmt::Barrier)) {
        return false;
    }
    for l in lanes.iter_mut() {
        l.clock.barriers += 1;
        l.resume();
    }
    true
}

/// `v = subgroup_reduce(op, x)` for one subgroup: lanes' values combined pairwise, lane
/// 2i with lane 2i+1, then those results pairwise, and so on (the order of a butterfly of
/// xor-shuffles with offsets 1, 2, 4, …), each step rounded like the binary op.
fn subgroup_reduce(env: &Env, group: &mut [Lane], v: ValueId) -> Result<(), KernelError> {
    let Some(Expr::SubgroupReduce { op, x }) = env.kernel.value(v).map(|value| &value.expr) else {
        return Err(env.internal(format!("{v} is not a subgroup reduction")));
    };
    let dtype = env
        .kernel
        .value(*x)
        .map_or(DType::Bool, |value| value.ty.dtype);
    let mut level = Vec::with_capacity(group.len());
    for l in group.iter() {
        level.push(operand(env, l, *x)?.clone());
    }
    let result = tree_reduce(*op, dtype, level).map_err(|m| env.internal(format!("{v}: {m}")))?;
    for l in group.iter_mut() {
        l.clock.syncs += 1;
        l.set(v, result.clone());
    }
    Ok(())
}

fn tree_reduce(op: ReduceOp, dtype: DType, mut level: Vec<Data>) -> Result<Data, String> {
    while level.len() > 1 {
        let mut next = Vec::with_capacity(level.len().div_ceil(2));
        for pair in level.chunks(2) {
            next.push(match pair {
                [a, b] => elementwise::binary(combine_op(op), dtype, a, b, "")
                    .map_err(|e| e.to_string())?,
                [a] => a.clone(),
                _ => return Err("an empty step".to_string()),
            });
        }
        level = next;
    }
    level.pop().ok_or_else(|| "an empty subgroup".to_string())
}

/// `D += A · B` for one subgroup. Its offsets must agree across the subgroup. It reads A,
/// B and D after the subgroup's earlier accesses and writes D before its later ones.
fn matrix_tile(env: &mut Env, group: &mut [Lane], tile: &MatrixTile) -> Result<(), KernelError> {
    let offsets = [
        uniform_offset(env, group, tile.a)?,
        uniform_offset(env, group, tile.b)?,
        uniform_offset(env, group, tile.d)?,
    ];
    for l in group.iter_mut() {
        l.clock.syncs += 1;
    }
    let Some(first) = group.first() else {
        return Ok(());
    };
    let who = first.who();
    let a = read_tile(env, who, tile.a, offsets[0])?;
    let b = read_tile(env, who, tile.b, offsets[1])?;
    let d = read_tile(env, who, tile.d, offsets[2])?;
    let n = TILE as usize;
    for i in 0..n {
        for j in 0..n {
            // f16 and bf16 products are exact in f64; the sum of 16 of them is rounded only
            // if their magnitudes differ widely; the result is rounded once to f32.
            let dot: f64 = (0..n).map(|k| a[i * n + k] * b[k * n + j]).sum();
            let value = Scalar::Float(round_float(d[i * n + j] + dot, DType::F32));
            let index = offsets[2] + tile_position(tile.d, i, j);
            memory::write(env, who, Memory::Shared(tile.d.array), index, value)?;
        }
    }
    for l in group.iter_mut() {
        l.clock.syncs += 1;
    }
    Ok(())
}

/// A fragment statement for one subgroup: offsets agree across it, the fragment must have
/// been zeroed before it is accumulated into or stored; tiles are accessed like
/// `matrix_tile`'s, ordered after the subgroup's earlier accesses and before its later ones.
fn fragment_op(env: &mut Env, group: &mut [Lane], stmt: &Stmt) -> Result<(), KernelError> {
    let Some(first) = group.first() else {
        return Ok(());
    };
    let (who, local) = (first.who(), first.local);
    let size = env.kernel.subgroup_size.max(1);
    let frag = match stmt {
        Stmt::FragmentZero(f) | Stmt::FragmentMma { frag: f, .. } => *f,
        Stmt::FragmentStore { frag, .. } => *frag,
        _ => return Err(env.internal("not a fragment statement")),
    };
    let slot = (who.clock.lane / size) as usize * env.kernel.fragments.len() + frag.index();
    if slot >= env.fragments.len() {
        return Err(env.internal(format!("{frag} has no storage")));
    }
    let offsets = match stmt {
        Stmt::FragmentMma { a, b, .. } => {
            vec![
                uniform_offset(env, group, *a)?,
                uniform_offset(env, group, *b)?,
            ]
        }
        Stmt::FragmentStore { d, .. } => vec![uniform_offset(env, group, *d)?],
        _ => vec![],
    };
    for l in group.iter_mut() {
        l.clock.syncs += 1;
    }
    let n = TILE as usize;
    let current = env.fragments[slot].clone();
    let unset = || KernelError::Uninitialized {
        kernel: env.kernel.name.clone(),
        memory: format!("fragment {}", env.kernel.fragment(frag).unwrap_or("?")),
        index: 0,
        lane: env.lane_id(local),
    };
    match stmt {
        Stmt::FragmentMma { a, b, .. } => {
            let d = current.ok_or_else(unset)?;
            let at = read_tile(env, who, *a, offsets[0])?;
            let bt = read_tile(env, who, *b, offsets[1])?;
            let mut out = vec![0.0; n * n];
            for i in 0..n {
                for j in 0..n {
                    let dot: f64 = (0..n).map(|k| at[i * n + k] * bt[k * n + j]).sum();
                    out[i * n + j] = round_float(d[i * n + j] + dot, DType::F32);
                }
            }
            env.fragments[slot] = Some(out);
        }
        Stmt::FragmentStore { d, .. } => {
            let values = current.ok_or_else(unset)?;
            for i in 0..n {
                for j in 0..n {
                    let index = offsets[0] + tile_position(*d, i, j);
                    let value = Scalar::Float(values[i * n + j]);
                    memory::write(env, who, Memory::Shared(d.array), index, value)?;
                }
            }
        }
        _ => env.fragments[slot] = Some(vec![0.0; n * n]),
    }
    for l in group.iter_mut() {
        l.clock.syncs += 1;
    }
    Ok(())
}

/// Element (row, col) of a tile, relative to its offset.
fn tile_position(tile: TileRef, row: usize, col: usize) -> i128 {
    (row * tile.stride as usize + col) as i128
}

/// The tile's offset, which every lane of the subgroup must give the same, and which must
/// keep rows 16-byte aligned.
fn uniform_offset(env: &Env, group: &[Lane], tile: TileRef) -> Result<i128, KernelError> {
    let Some(first) = group.first() else {
        return Ok(0);
    };
    let offset = int_operand(env, first, tile.offset)?;
    for l in group {
        let other = int_operand(env, l, tile.offset)?;
        if other != offset {
            return Err(KernelError::NonUniform {
                kernel: env.kernel.name.clone(),
                lane: env.lane_id(l.local),
                detail: format!(
                    "{} is {other} here but {offset} in lane {:?}",
                    tile.offset, first.local
                ),
            });
        }
    }
    let dtype = env
        .kernel
        .shared(tile.array)
        .map_or(DType::F32, |a| a.dtype);
    if offset.rem_euclid(i128::from(tile_alignment(dtype))) != 0 {
        return Err(KernelError::Misaligned {
            kernel: env.kernel.name.clone(),
            memory: memory::label(env, Memory::Shared(tile.array)),
            what: "a matrix_tile operand".to_string(),
            index: offset,
            lane: env.lane_id(first.local),
        });
    }
    Ok(offset)
}

/// The 16×16 elements of a tile, row-major, as f64.
fn read_tile(
    env: &mut Env,
    who: Who,
    tile: TileRef,
    offset: i128,
) -> Result<Vec<f64>, KernelError> {
    let n = TILE as usize;
    let mut values = Vec::with_capacity(n * n);
    for row in 0..n {
        for col in 0..n {
            let index = offset + tile_position(tile, row, col);
            values.push(memory::read(env, who, Memory::Shared(tile.array), index)?.to_f64());
        }
    }
    Ok(values)
}

/// The error for lanes that cannot go on: a subgroup split at a subgroup operation, or a
/// workgroup split at a barrier.
fn divergence(env: &Env, lanes: &[Lane]) -> KernelError {
    let kernel = env.kernel;
    let size = kernel.subgroup_size.max(1) as usize;
    for group in lanes.chunks(size) {
        let waits = |l: &&Lane| matches!(l.state, State::Waiting(s) if !matches!(s, Stmt::Barrier));
        if let Some(waiting) = group.iter().find(waits) {
            return diverged(env, group, waiting, "subgroup operation");
        }
    }
    let at_barrier = lanes.iter().find(|l| matches!(l.state, State::Waiting(_)));
    match at_barrier {
        Some(waiting) => diverged(env, lanes, waiting, "barrier"),
        None => env.internal("no lane can go on, yet none waits"),
    }
}

/// Names `waiting` and the first lane of `lanes` that is somewhere else.
fn diverged(env: &Env, lanes: &[Lane], waiting: &Lane, sync: &'static str) -> KernelError {
    let same = |l: &&Lane| match (l.state, waiting.state) {
        (State::Waiting(a), State::Waiting(b)) => std::ptr::eq(a, b),
        _ => false,
    };
    let Some(other) = lanes.iter().find(|l| !same(l)) else {
        return env.internal("lanes diverge, yet all wait at the same statement");
    };
    let describe = |l: &Lane| format!("lane {:?} {}", l.local, where_is(env.kernel, l.state));
    KernelError::Divergent {
        kernel: env.kernel.name.clone(),
        sync,
        workgroup: env.workgroup,
        detail: format!("{}, {}", describe(waiting), describe(other)),
    }
}

/// `waits at barrier 2` (counting barriers in program order from 1), `has finished`, …
fn where_is(kernel: &Kernel, state: State) -> String {
    match state {
        State::Running => "is running".to_string(),
        State::Done => "has finished".to_string(),
        State::Waiting(stmt @ Stmt::Barrier) => {
            let mut count = 0;
            let number = barrier_number(kernel.body(), stmt, &mut count).unwrap_or(0);
            format!("waits at barrier {number}")
        }
        State::Waiting(Stmt::MatrixTile(_)) => "waits at a matrix_tile".to_string(),
        State::Waiting(Stmt::Let(v)) => format!("waits at the subgroup reduction {v}"),
        State::Waiting(_) => "waits".to_string(),
    }
}

/// The position of `target` among the barriers of `stmts`, in program order from 1.
/// Recurses once per nested block (see `printer::block` for how deep blocks nest).
fn barrier_number(stmts: &[Stmt], target: &Stmt, count: &mut usize) -> Option<usize> {
    for stmt in stmts {
        let found = match stmt {
            Stmt::Barrier => {
                *count += 1;
                std::ptr::eq(stmt, target).then_some(*count)
            }
            Stmt::Loop(l) => barrier_number(&l.body, target, count),
            Stmt::If {
                then_body,
                else_body,
                ..
            } => barrier_number(then_body, target, count)
                .or_else(|| barrier_number(else_body, target, count)),
            _ => None,
        };
        if found.is_some() {
            return found;
        }
    }
    None
}

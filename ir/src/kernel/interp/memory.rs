//! Loads and stores: bounds, vector alignment, access rights, and the check that shared
//! memory is written before it is read and free of data races.
//!
//! A race is two accesses to one shared element, at least one a write, by different lanes,
//! with neither a barrier between them nor (for two lanes of one subgroup) a subgroup
//! operation. Lanes run one after another between synchronizations, which would hide such
//! races in the values, so each element remembers its last write and the reads since.
//! Global memory is not checked for races. Atomics never race with each other: each
//! element also remembers the atomics since its last plain write, which race with plain
//! accesses they are not ordered with.

use super::Env;
use crate::Scalar;
use crate::interp::Data;
use crate::kernel::KernelError;
use crate::kernel::types::{Atomic, AtomicOp, Memory, Param, ParamId, SharedId, ValueType};
use cranelift_entity::EntityRef;

/// When an access happened: the lane (local linear id), how many barriers the workgroup had
/// passed, and how many subgroup synchronizations the lane's subgroup had passed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Clock {
    pub lane: u32,
    pub barriers: u64,
    pub syncs: u64,
}

/// Who accesses memory: a lane's position (for messages) and its clock.
#[derive(Clone, Copy, Debug)]
pub(super) struct Who {
    pub local: [u32; 3],
    pub clock: Clock,
}

/// One element of a shared array: its value once written, the write, and the reads since
/// (at most one per lane: a lane's later read stands for its earlier ones).
#[derive(Clone, Debug, Default)]
pub(super) struct Cell {
    value: Option<Scalar>,
    write: Option<Clock>,
    reads: Vec<Clock>,
    atomics: Vec<Clock>,
}

impl Cell {
    /// The first plain access (a write, else a read) to this element that is not ordered
    /// before an access at `now`: what a plain write or an atomic races with.
    fn plain_conflict(&self, now: Clock, subgroup_size: u32) -> Option<(&'static str, Clock)> {
        let unordered = |clock: &Clock| !ordered(*clock, now, subgroup_size);
        match self.write.filter(unordered) {
            Some(w) => Some(("written", w)),
            None => self
                .reads
                .iter()
                .find(|r| unordered(r))
                .map(|r| ("read", *r)),
        }
    }
}

/// Whether an access at `earlier` happens before one at `later`. Clocks only grow, and all
/// lanes of a workgroup (of a subgroup) pass barriers (subgroup syncs) together.
fn ordered(earlier: Clock, later: Clock, subgroup_size: u32) -> bool {
    let s = subgroup_size.max(1);
    earlier.lane == later.lane
        || later.barriers > earlier.barriers
        || (earlier.lane / s == later.lane / s && later.syncs > earlier.syncs)
}

/// `ty.width` consecutive elements from `index`; masked-off elements are 0 and not read.
pub(super) fn load(
    env: &mut Env,
    who: Who,
    memory: Memory,
    index: i128,
    ty: ValueType,
    mask: Option<&Data>,
) -> Result<Data, KernelError> {
    let active = active_elements(env, mask, ty.width)?;
    check_alignment(env, who, memory, index, &active)?;
    let mut values = Vec::with_capacity(active.len());
    for (e, &on) in active.iter().enumerate() {
        values.push(if on {
            read(env, who, memory, index + e as i128)?
        } else {
            Scalar::zero(ty.dtype)
        });
    }
    Ok(Data::cast_from(ty.dtype, values.into_iter()))
}

/// Writes the elements of `value` from `index`; masked-off elements are not written.
pub(super) fn store(
    env: &mut Env,
    who: Who,
    memory: Memory,
    index: i128,
    value: &Data,
    mask: Option<&Data>,
) -> Result<(), KernelError> {
    let active = active_elements(env, mask, value.len() as u32)?;
    check_alignment(env, who, memory, index, &active)?;
    for (e, element) in value.scalars().enumerate() {
        if active.get(e).copied().unwrap_or(false) {
            write(env, who, memory, index + e as i128, element)?;
        }
    }
    Ok(())
}

/// Which elements a mask lets through: all without one; a scalar mask decides for all.
fn active_elements(env: &Env, mask: Option<&Data>, width: u32) -> Result<Vec<bool>, KernelError> {
    let width = width as usize;
    match mask {
        None => Ok(vec![true; width]),
        Some(Data::Bool(m)) if m.len() == 1 => Ok(vec![m[0]; width]),
        Some(Data::Bool(m)) if m.len() == width => Ok(m.clone()),
        Some(_) => Err(env.internal("a mask is not bool of the access width")),
    }
}

/// A vector access must start at a multiple of its width, as hardware vector loads need.
fn check_alignment(
    env: &Env,
    who: Who,
    memory: Memory,
    index: i128,
    active: &[bool],
) -> Result<(), KernelError> {
    let width = active.len() as i128;
    if width > 1 && active.contains(&true) && index.rem_euclid(width) != 0 {
        return Err(KernelError::Misaligned {
            kernel: env.kernel.name.clone(),
            memory: label(env, memory),
            what: format!("a {width}-element access"),
            index,
            lane: env.lane_id(who.local),
        });
    }
    Ok(())
}

/// `buffer a` or `shared t`, for messages.
pub(super) fn label(env: &Env, memory: Memory) -> String {
    let name = env.kernel.memory(memory).map_or("?", |(name, _)| name);
    match memory {
        Memory::Global(_) => format!("buffer {name}"),
        Memory::Shared(_) => format!("shared {name}"),
    }
}

/// `index` as a position in `memory`, or the out-of-bounds error.
fn position(env: &Env, who: Who, memory: Memory, index: i128) -> Result<usize, KernelError> {
    let len = memory_len(env, memory);
    match usize::try_from(index) {
        Ok(at) if at < len => Ok(at),
        _ => Err(KernelError::OutOfBounds {
            kernel: env.kernel.name.clone(),
            memory: label(env, memory),
            index,
            len,
            lane: env.lane_id(who.local),
        }),
    }
}

fn memory_len(env: &Env, memory: Memory) -> usize {
    match memory {
        Memory::Global(p) => match env.kernel.param(p) {
            Some(Param::Buffer { len, .. }) => *len,
            _ => 0,
        },
        Memory::Shared(s) => env.kernel.shared(s).map_or(0, |a| a.len),
    }
}

/// One element of `memory`.
pub(super) fn read(
    env: &mut Env,
    who: Who,
    memory: Memory,
    index: i128,
) -> Result<Scalar, KernelError> {
    let at = position(env, who, memory, index)?;
    match memory {
        Memory::Global(p) => {
            let slot = buffer_slot(env, who, p, false)?;
            let value = env.buffers.get(slot).and_then(|t| t.data.get(at));
            value.ok_or_else(|| env.internal(format!("buffer {p} is shorter than declared")))
        }
        Memory::Shared(s) => read_shared(env, who, s, at, index),
    }
}

/// Writes one element of `memory`.
pub(super) fn write(
    env: &mut Env,
    who: Who,
    memory: Memory,
    index: i128,
    value: Scalar,
) -> Result<(), KernelError> {
    let at = position(env, who, memory, index)?;
    match memory {
        Memory::Global(p) => {
            let slot = buffer_slot(env, who, p, true)?;
            let stored = env
                .buffers
                .get_mut(slot)
                .is_some_and(|t| put(&mut t.data, at, value));
            if stored {
                Ok(())
            } else {
                Err(env.internal(format!("cannot store {value} into {p}")))
            }
        }
        Memory::Shared(s) => write_shared(env, who, s, at, index, value),
    }
}

/// The position in `env.buffers` of buffer parameter `p`, if the access is allowed.
fn buffer_slot(env: &Env, who: Who, p: ParamId, write: bool) -> Result<usize, KernelError> {
    let Some(Param::Buffer { name, access, .. }) = env.kernel.param(p) else {
        return Err(env.internal(format!("{p} is not a buffer")));
    };
    if (write && !access.can_write()) || (!write && !access.can_read()) {
        let verb = if write { "store into" } else { "load from" };
        return Err(KernelError::Access {
            kernel: env.kernel.name.clone(),
            message: format!("{verb} buffer {name}, which is declared {}", access.name()),
            lane: env.lane_id(who.local),
        });
    }
    env.slots[p].ok_or_else(|| env.internal(format!("buffer {name} is not bound")))
}

/// Sets element `at` of `data`, if the value has the data's variant.
fn put(data: &mut Data, at: usize, value: Scalar) -> bool {
    match (data, value) {
        (Data::Bool(v), Scalar::Bool(b)) => v.get_mut(at).map(|x| *x = b).is_some(),
        (Data::Int(v), Scalar::Int(i)) => v.get_mut(at).map(|x| *x = i).is_some(),
        (Data::Float(v), Scalar::Float(f)) => v.get_mut(at).map(|x| *x = f).is_some(),
        _ => false,
    }
}

fn cell<'e>(env: &'e mut Env, s: SharedId, at: usize) -> Option<&'e mut Cell> {
    env.shared.get_mut(s.index()).and_then(|a| a.get_mut(at))
}

fn read_shared(
    env: &mut Env,
    who: Who,
    s: SharedId,
    at: usize,
    index: i128,
) -> Result<Scalar, KernelError> {
    let size = env.kernel.subgroup_size;
    let Some(c) = cell(env, s, at) else {
        return Err(env.internal(format!("{s} is shorter than declared")));
    };
    let (value, write) = (c.value, c.write);
    if let Some(value) = value
        && write.is_none_or(|w| ordered(w, who.clock, size))
    {
        if let Some(a) = c
            .atomics
            .iter()
            .find(|a| !ordered(**a, who.clock, size))
            .copied()
        {
            let memory = label(env, Memory::Shared(s));
            return Err(race(
                env,
                memory,
                index,
                ("updated atomically", a),
                ("read", who),
            ));
        }
        c.reads
            .retain(|r| r.lane != who.clock.lane && r.barriers == who.clock.barriers);
        c.reads.push(who.clock);
        return Ok(value);
    }
    let memory = label(env, Memory::Shared(s));
    match write {
        Some(w) if value.is_some() => Err(race(env, memory, index, ("written", w), ("read", who))),
        _ => Err(KernelError::Uninitialized {
            kernel: env.kernel.name.clone(),
            memory,
            index,
            lane: env.lane_id(who.local),
        }),
    }
}

fn write_shared(
    env: &mut Env,
    who: Who,
    s: SharedId,
    at: usize,
    index: i128,
    value: Scalar,
) -> Result<(), KernelError> {
    let size = env.kernel.subgroup_size;
    let Some(c) = cell(env, s, at) else {
        return Err(env.internal(format!("{s} is shorter than declared")));
    };
    let unordered = |clock: &Clock| !ordered(*clock, who.clock, size);
    let conflict = c.plain_conflict(who.clock, size).or_else(|| {
        let a = c.atomics.iter().find(|a| unordered(a));
        a.map(|a| ("updated atomically", *a))
    });
    if conflict.is_none() {
        c.value = Some(value);
        c.write = Some(who.clock);
        c.reads.clear();
        c.atomics.clear();
        return Ok(());
    }
    let memory = label(env, Memory::Shared(s));
    match conflict {
        Some(first) => Err(race(env, memory, index, first, ("written", who))),
        None => Ok(()),
    }
}

/// `a.target[index] = a.op(a.target[index], value)` in one step. On global memory the
/// access needs a `read_write` buffer; on shared memory the element must have been written,
/// and the atomic races with plain accesses it is not ordered with (never with atomics).
pub(super) fn atomic(
    env: &mut Env,
    who: Who,
    a: &Atomic,
    index: i128,
    value: Scalar,
) -> Result<(), KernelError> {
    let at = position(env, who, a.target, index)?;
    let dtype = env.kernel.memory(a.target).map(|(_, d)| d);
    let dtype = dtype.ok_or_else(|| env.internal("an atomic on missing memory"))?;
    match a.target {
        Memory::Global(p) => {
            buffer_slot(env, who, p, false)?;
            let old = read(env, who, a.target, index)?;
            let new = combine(env, a.op, dtype, old, value)?;
            write(env, who, a.target, index, new)
        }
        Memory::Shared(s) => {
            let size = env.kernel.subgroup_size;
            let Some(c) = cell(env, s, at) else {
                return Err(env.internal(format!("{s} is shorter than declared")));
            };
            let conflict = c.plain_conflict(who.clock, size);
            let old = c.value;
            if let Some(first) = conflict.filter(|_| old.is_some()) {
                let memory = label(env, a.target);
                return Err(race(env, memory, index, first, ("updated atomically", who)));
            }
            let Some(old) = old else {
                return Err(KernelError::Uninitialized {
                    kernel: env.kernel.name.clone(),
                    memory: label(env, a.target),
                    index,
                    lane: env.lane_id(who.local),
                });
            };
            let new = combine(env, a.op, dtype, old, value)?;
            if let Some(c) = cell(env, s, at) {
                c.value = Some(new);
                c.atomics.retain(|x| x.lane != who.clock.lane);
                c.atomics.push(who.clock);
            }
            Ok(())
        }
    }
}

/// `op(old, value)` rounded to `dtype` like the binary op (integers wrap).
fn combine(
    env: &Env,
    op: AtomicOp,
    dtype: crate::DType,
    old: Scalar,
    value: Scalar,
) -> Result<Scalar, KernelError> {
    let binary = match op {
        AtomicOp::Add => crate::BinaryOp::Add,
        AtomicOp::Max => crate::BinaryOp::Max,
        AtomicOp::Min => crate::BinaryOp::Min,
    };
    let data = |s| Data::cast_from(dtype, std::iter::once(s));
    let out = crate::interp::elementwise::binary(binary, dtype, &data(old), &data(value), "");
    out.ok()
        .and_then(|d| d.get(0))
        .ok_or_else(|| env.internal(format!("atomic {} on {dtype}", op.name())))
}

fn race(
    env: &Env,
    memory: String,
    index: i128,
    first: (&str, Clock),
    second: (&str, Who),
) -> KernelError {
    let first_lane = env.lane_id(env.local_of(first.1.lane));
    let second_lane = env.lane_id(second.1.local);
    KernelError::Race {
        kernel: env.kernel.name.clone(),
        memory,
        index,
        first: format!("{} by {first_lane}", first.0),
        second: format!("{} by {second_lane}", second.0),
    }
}

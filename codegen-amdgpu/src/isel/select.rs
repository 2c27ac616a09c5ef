//! The isel driver: the kernel's entry state, an iterative walk over its statements, and
//! the routing of each expression to its family (see the module docs of [`super`]).

use super::control::{IfState, LoopState, begin_else, begin_if, begin_loop, end_if, end_loop};
use super::emit::op;
use super::{IselError, Piece, Sel, Val};
use crate::isa::{Cache, Inst, Operand};
use crate::mir::{Mir, RegRef, Slot};
use crate::object::{Access, ArgKind, KernelArg, KernelResources};
use cranelift_entity::EntityRef;
use egpu_ir::DType;
use egpu_ir::Target;
use egpu_ir::kernel::{Expr, Kernel, Memory, Param, Stmt, Store, ValueId, ValueType};
use egpu_ir::{BinaryOp, UnaryOp};

/// The kernel's entry registers (pinned virtual registers, see [`Mir::pinned`]) and the
/// kernarg values loaded from them.
#[derive(Clone, Debug, Default)]
pub struct Entry {
    /// `s[0:1]`: the kernarg segment pointer.
    pub kernarg: Option<Piece>,
    /// The workgroup ids x, y, z, where the kernel uses them.
    pub workgroup_id: [Option<Piece>; 3],
    /// `v0`: work-item ids packed x [9:0], y [19:10], z [29:20].
    pub workitem: Option<Piece>,
    /// Per parameter (by `ParamId` index): a buffer's 64-bit base address (SGPR pair) or a
    /// scalar parameter's value (SGPR, or pair for i64).
    pub params: Vec<Option<Piece>>,
}

/// What the code object needs to know about a selected kernel besides its code.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KernelInfo {
    /// The kernarg layout, one entry per parameter in order.
    pub args: Vec<KernelArg>,
    pub kernarg_size: u32,
    pub kernarg_align: u32,
    /// LDS bytes: the shared arrays, each 16-byte aligned.
    pub lds_bytes: u32,
    /// Which workgroup ids the code reads (the descriptor enables exactly those).
    pub workgroup_id: [bool; 3],
    /// Work-item id dimensions packed in v0: 1, 2 or 3.
    pub workitem_id_dims: u8,
    /// Lanes per workgroup.
    pub max_flat_workgroup_size: u32,
}

/// Selects one kernel: machine IR over virtual registers plus its [`KernelInfo`].
pub fn select(kernel: &Kernel, target: &Target) -> Result<(Mir, KernelInfo), IselError> {
    let mut sel = Sel::new(kernel, target);
    sel.uniform = super::uniformity::analyze(kernel);
    sel.accs = vec![None; sel.uniform.accs.len()];
    let (offsets, lds_bytes) = super::lds::layout(kernel);
    sel.lds_offsets = offsets;
    let usage = Usage::scan(kernel);
    let (args, kernarg_size, kernarg_align) = kernarg_layout(kernel);
    entry(&mut sel, &usage, &args)?;
    walk(&mut sel)?;
    super::control::sopp(&mut sel, "s_endpgm");
    super::dce::run(&mut sel.mir);
    let info = KernelInfo {
        args,
        kernarg_size,
        kernarg_align,
        lds_bytes,
        workgroup_id: usage.workgroup_id,
        workitem_id_dims: usage.workitem_dims,
        max_flat_workgroup_size: u32::try_from(kernel.launch().workgroup_size())
            .unwrap_or(u32::MAX),
    };
    Ok((sel.mir, info))
}

/// Which launch registers the kernel reads.
struct Usage {
    workgroup_id: [bool; 3],
    /// 1, 2 or 3: up to the last axis whose local id is read (along an axis of more than
    /// one lane; a local id along an axis of one lane is the constant 0).
    workitem_dims: u8,
}

impl Usage {
    fn scan(kernel: &Kernel) -> Usage {
        let mut u = Usage {
            workgroup_id: [false; 3],
            workitem_dims: 1,
        };
        for (_, v) in kernel.values() {
            match v.expr {
                Expr::WorkgroupId(a) => u.workgroup_id[a.index()] = true,
                Expr::LocalId(a) if kernel.launch().workgroup[a.index()] > 1 => {
                    u.workitem_dims = u.workitem_dims.max(a.index() as u8 + 1);
                }
                _ => {}
            }
        }
        u
    }

    fn reads_local_id(kernel: &Kernel) -> bool {
        kernel.values().any(
            |(_, v)| matches!(v.expr, Expr::LocalId(a) if kernel.launch().workgroup[a.index()] > 1),
        )
    }
}

/// The kernarg segment: buffers as 8-byte addresses aligned 8, i32 4 bytes, i64 8
/// aligned 8, in parameter order. Returns the arguments, the size and the alignment.
fn kernarg_layout(kernel: &Kernel) -> (Vec<KernelArg>, u32, u32) {
    let mut at = 0u32;
    let mut align = 4u32;
    let mut args = Vec::new();
    for (_, p) in kernel.params() {
        let (size, kind) = match p {
            Param::Buffer { access, .. } => (8, ArgKind::GlobalBuffer(Some(access_of(*access)))),
            Param::Scalar { dtype, .. } => (dtype.size_bytes() as u32, ArgKind::ByValue),
        };
        at = at.div_ceil(size) * size;
        align = align.max(size);
        args.push(KernelArg {
            name: Some(p.name().to_string()),
            offset: at,
            size,
            kind,
        });
        at += size;
    }
    (args, at, align)
}

fn access_of(a: egpu_ir::kernel::Access) -> Access {
    match a {
        egpu_ir::kernel::Access::Read => Access::ReadOnly,
        egpu_ir::kernel::Access::Write => Access::WriteOnly,
        egpu_ir::kernel::Access::ReadWrite => Access::ReadWrite,
    }
}

/// The entry state: pinned launch registers, then one scalar load per parameter.
fn entry(sel: &mut Sel, usage: &Usage, args: &[KernelArg]) -> Result<(), IselError> {
    let kernarg = sel.new_s(2);
    sel.mir.pinned.push((kernarg.reg, 0));
    sel.entry.kernarg = Some(kernarg);
    // The system SGPRs follow the (padded) user SGPRs, enabled ids only, in x, y, z order.
    let resources = KernelResources {
        vgpr_count: 0,
        sgpr_count: 0,
        uses_vcc: false,
        lds_bytes: 0,
        scratch_bytes_per_lane: 0,
        kernarg_size: 0,
        kernarg_align: 0,
        workgroup_id: usage.workgroup_id,
        workitem_id_dims: usage.workitem_dims,
        max_flat_workgroup_size: 0,
    };
    let mut next = resources.user_sgpr_count();
    for axis in 0..3 {
        if usage.workgroup_id[axis] {
            let p = sel.new_s(1);
            sel.mir.pinned.push((p.reg, next as u8));
            sel.entry.workgroup_id[axis] = Some(p);
            next += 1;
        }
    }
    if Usage::reads_local_id(sel.kernel) {
        let v0 = sel.new_v(1);
        sel.mir.pinned.push((v0.reg, 0));
        sel.entry.workitem = Some(v0);
    }
    load_kernargs(sel, kernarg, args);
    Ok(())
}

/// Loads the kernarg segment with as few `s_load` as fit (16, 8, 4, 2, 1 dwords; each
/// chunk but the last even-sized, so 8-byte arguments stay in even SGPR pairs) and points
/// each parameter at its dwords.
fn load_kernargs(sel: &mut Sel, kernarg: Piece, args: &[KernelArg]) {
    let total = args
        .iter()
        .map(|a| (a.offset + a.size) / 4)
        .max()
        .unwrap_or(0);
    let mut chunks: Vec<(u32, Piece)> = Vec::new();
    let mut at = 0u32;
    while at < total {
        let n = [16u32, 8, 4, 2, 1]
            .into_iter()
            .find(|&n| n <= total - at)
            .unwrap_or(1);
        let d = sel.new_s(n as u8);
        let name = match n {
            16 => "s_load_b512",
            8 => "s_load_b256",
            4 => "s_load_b128",
            2 => "s_load_b64",
            _ => "s_load_b32",
        };
        let inst = Inst::Smem {
            op: op(name),
            sdata: Operand::Sgpr(0),
            sbase: Operand::Sgpr(0),
            soffset: Operand::Null,
            offset: (at * 4) as i32,
            cache: Cache::default(),
        };
        sel.push(
            inst,
            vec![
                RegRef::def(Slot::Dst, d.reg),
                RegRef::use_(Slot::Addr, kernarg.reg),
            ],
        );
        chunks.push((at, d));
        at += n;
    }
    sel.entry.params = args
        .iter()
        .map(|a| {
            let dword = a.offset / 4;
            chunks
                .iter()
                .rev()
                .find(|(start, _)| *start <= dword)
                .map(|&(start, d)| Piece {
                    offset: (dword - start) as u8,
                    ..d
                })
        })
        .collect();
}

/// What to do when a block's statements are done.
enum Exit<'k> {
    Body,
    Loop(LoopState),
    Then(IfState, &'k [Stmt]),
    Else(IfState),
}

/// Walks the body in program order with an explicit stack (no recursion over nesting);
/// `sel.line` is each statement's number in the verifier's order.
fn walk(sel: &mut Sel) -> Result<(), IselError> {
    let body: &[Stmt] = sel.kernel.body();
    let mut stack: Vec<(std::slice::Iter<Stmt>, Exit)> = vec![(body.iter(), Exit::Body)];
    let mut next_line = 0u32;
    loop {
        let Some((iter, _)) = stack.last_mut() else {
            return Ok(());
        };
        if let Some(s) = iter.next() {
            sel.line = next_line;
            next_line += 1;
            if let Some(frame) = statement(sel, s)? {
                stack.push(frame);
            }
            continue;
        }
        let Some((_, exit)) = stack.pop() else {
            return Ok(());
        };
        match exit {
            Exit::Body => {}
            Exit::Loop(st) => {
                sel.line = st.line;
                end_loop(sel, &st);
            }
            Exit::Then(st, else_body) => {
                sel.line = st.line;
                begin_else(sel, &st);
                stack.push((else_body.iter(), Exit::Else(st)));
            }
            Exit::Else(st) => {
                sel.line = st.line;
                end_if(sel, &st);
            }
        }
    }
}

type Frame<'k> = (std::slice::Iter<'k, Stmt>, Exit<'k>);

/// Selects one statement; a `for` or `if` returns the frame of its body.
fn statement<'k>(sel: &mut Sel<'k>, s: &'k Stmt) -> Result<Option<Frame<'k>>, IselError> {
    match s {
        Stmt::Let(v) => expr(sel, *v)?,
        Stmt::Loop(l) => {
            let st = begin_loop(sel, l)?;
            return Ok(Some((l.body.iter(), Exit::Loop(st))));
        }
        Stmt::If {
            cond,
            then_body,
            else_body,
        } => {
            let st = begin_if(sel, *cond, !else_body.is_empty())?;
            return Ok(Some((then_body.iter(), Exit::Then(st, else_body))));
        }
        Stmt::Store(st) => store(sel, st)?,
        Stmt::InitAcc { acc, init } => super::value::init_acc(sel, *acc, *init)?,
        Stmt::UpdateAcc { acc, update, value } => {
            super::value::update_acc(sel, *acc, *update, *value)?
        }
        Stmt::Barrier => super::lds::barrier(sel)?,
        Stmt::MatrixTile(t) => super::matrix::tile(sel, t)?,
        Stmt::Atomic(a) => {
            let (index, value) = (sel.piece(a.index)?, sel.piece(a.value)?);
            super::atomic::atomic(sel, a, index, value)?
        }
        Stmt::FragmentZero(f) => super::matrix::fragment_zero(sel, *f)?,
        Stmt::FragmentMma { frag, a, b } => super::matrix::fragment_mma(sel, *frag, a, b)?,
        Stmt::FragmentStore { frag, d } => super::matrix::fragment_store(sel, *frag, d)?,
    }
    Ok(None)
}

fn store(sel: &mut Sel, st: &Store) -> Result<(), IselError> {
    let index = sel.piece(st.index)?;
    let value = sel.val(st.value)?;
    let mask = st.mask.map(|m| sel.val(m)).transpose()?;
    match st.target {
        Memory::Global(p) => {
            let idt = dtype_of(sel, st.index)?;
            super::memory::store(sel, p, index, idt, &value, mask.as_ref())
        }
        Memory::Shared(a) => super::lds::store(sel, a, index, &value, mask.as_ref()),
    }
}

/// Selects the expression defining `v` and records its registers.
fn expr(sel: &mut Sel, v: ValueId) -> Result<(), IselError> {
    let value = sel
        .kernel
        .value(v)
        .ok_or_else(|| sel.malformed(format!("value {v:?} does not exist")))?;
    let ty = value.ty;
    let val = match &value.expr {
        Expr::WorkgroupId(a) => Val::scalar(
            sel.entry.workgroup_id[a.index()]
                .ok_or_else(|| sel.malformed("workgroup id register missing"))?,
        ),
        Expr::LocalId(a) => Val::scalar(super::value::local_id(sel, *a)?),
        Expr::Const(s) => Val::scalar(super::value::constant(sel, *s, ty.dtype)),
        Expr::Param(p) => Val::scalar(
            sel.entry
                .params
                .get(p.index())
                .copied()
                .flatten()
                .ok_or_else(|| sel.malformed(format!("{p:?} has no register")))?,
        ),
        Expr::LoopVar => return Err(sel.malformed(format!("{v:?} is a loop variable in a let"))),
        Expr::Load {
            source,
            index,
            mask,
        } => load(sel, *source, *index, *mask, ty)?,
        Expr::Unary { op, x } => {
            let (op, dt) = (*op, ty.dtype);
            map1(sel, *x, |sel, p| unary(sel, op, dt, p))?
        }
        Expr::Binary { op, a, b } => {
            let (op, dt) = (*op, dtype_of(sel, *a)?);
            map2(sel, *a, *b, |sel, x, y| binary(sel, op, dt, x, y))?
        }
        Expr::MulHi { a, b } => {
            let dt = ty.dtype;
            map2(sel, *a, *b, |sel, x, y| mulhi(sel, dt, x, y))?
        }
        Expr::Fma { a, b, c } => fma_vals(sel, ty.dtype, *a, *b, *c)?,
        Expr::Where { cond, a, b } => {
            let (c, x, y) = (sel.val(*cond)?, sel.val(*a)?, sel.val(*b)?);
            super::value::select_where(sel, ty.dtype, &c, &x, &y)?
        }
        Expr::Cast { x } => {
            let (from, to) = (dtype_of(sel, *x)?, ty.dtype);
            map1(sel, *x, |sel, p| super::convert::cast(sel, from, to, p))?
        }
        Expr::Bitcast { x } => {
            let (from, to) = (dtype_of(sel, *x)?, ty.dtype);
            map1(sel, *x, |sel, p| super::convert::bitcast(sel, from, to, p))?
        }
        Expr::Vector(items) => {
            let mut elems = Vec::with_capacity(items.len());
            for &i in items {
                elems.push(sel.piece(i)?);
            }
            Val { elems }
        }
        Expr::Extract { x, lane } => {
            let xv = sel.val(*x)?;
            let p = xv
                .elems
                .get(*lane as usize)
                .copied()
                .ok_or_else(|| sel.malformed(format!("extract of lane {lane}")))?;
            Val::scalar(p)
        }
        Expr::ReadAcc(a) => super::value::read_acc(sel, *a)?,
        Expr::SubgroupReduce { op, x } => {
            let (op, dt) = (*op, ty.dtype);
            map1(sel, *x, |sel, p| super::subgroup::reduce(sel, op, dt, p))?
        }
    };
    sel.set_val(v, val);
    Ok(())
}

fn load(
    sel: &mut Sel,
    source: Memory,
    index: ValueId,
    mask: Option<ValueId>,
    ty: ValueType,
) -> Result<Val, IselError> {
    let i = sel.piece(index)?;
    let m = mask.map(|m| sel.val(m)).transpose()?;
    match source {
        Memory::Global(p) => {
            let idt = dtype_of(sel, index)?;
            super::memory::load(sel, p, i, idt, ty, m.as_ref())
        }
        Memory::Shared(a) => super::lds::load(sel, a, i, ty, m.as_ref()),
    }
}

/// `f` on each element of `x`.
fn map1(
    sel: &mut Sel,
    x: ValueId,
    mut f: impl FnMut(&mut Sel, Piece) -> Result<Piece, IselError>,
) -> Result<Val, IselError> {
    let xv = sel.val(x)?;
    let mut elems = Vec::with_capacity(xv.elems.len());
    for p in xv.elems {
        elems.push(f(sel, p)?);
    }
    Ok(Val { elems })
}

/// `f` on each pair of elements of `a` and `b`.
fn map2(
    sel: &mut Sel,
    a: ValueId,
    b: ValueId,
    mut f: impl FnMut(&mut Sel, Piece, Piece) -> Result<Piece, IselError>,
) -> Result<Val, IselError> {
    let (av, bv) = (sel.val(a)?, sel.val(b)?);
    if av.elems.len() != bv.elems.len() {
        return Err(sel.malformed("operands of different widths"));
    }
    let mut elems = Vec::with_capacity(av.elems.len());
    for (x, y) in av.elems.into_iter().zip(bv.elems) {
        elems.push(f(sel, x, y)?);
    }
    Ok(Val { elems })
}

fn fma_vals(
    sel: &mut Sel,
    dt: DType,
    a: ValueId,
    b: ValueId,
    c: ValueId,
) -> Result<Val, IselError> {
    let (av, bv, cv) = (sel.val(a)?, sel.val(b)?, sel.val(c)?);
    let mut elems = Vec::with_capacity(av.elems.len());
    for ((x, y), z) in av.elems.into_iter().zip(bv.elems).zip(cv.elems) {
        elems.push(fma(sel, dt, x, y, z)?);
    }
    Ok(Val { elems })
}

/// The dtype of a value's elements.
pub(super) fn dtype_of(sel: &Sel, v: ValueId) -> Result<DType, IselError> {
    sel.kernel
        .value(v)
        .map(|x| x.ty.dtype)
        .ok_or_else(|| sel.malformed(format!("value {v:?} does not exist")))
}

/// One element of a binary op, routed by op and operand dtype.
pub(super) fn binary(
    sel: &mut Sel,
    op: BinaryOp,
    dt: DType,
    a: Piece,
    b: Piece,
) -> Result<Piece, IselError> {
    use DType::*;
    match (op, dt) {
        (BinaryOp::Div, _) => super::math::div(sel, dt, a, b),
        (BinaryOp::Idiv | BinaryOp::Mod, _) => super::divide::binary(sel, op, dt, a, b),
        (_, F32 | I32 | U32 | Bool) => super::alu32::binary(sel, op, dt, a, b),
        (_, F16 | BF16) => super::float16::binary(sel, op, dt, a, b),
        (_, F64) => super::float64::binary(sel, op, dt, a, b),
        (_, I8 | I16 | U8 | U16 | I64 | U64) => super::int::binary(sel, op, dt, a, b),
    }
}

/// One element of a unary op, routed by op and dtype.
pub(super) fn unary(sel: &mut Sel, op: UnaryOp, dt: DType, x: Piece) -> Result<Piece, IselError> {
    use DType::*;
    match (op, dt) {
        (UnaryOp::Exp2 | UnaryOp::Log2 | UnaryOp::Sin | UnaryOp::Sqrt | UnaryOp::Recip, _) => {
            super::math::unary(sel, op, dt, x)
        }
        (_, F32 | I32 | U32 | Bool) => super::alu32::unary(sel, op, dt, x),
        (_, F16 | BF16) => super::float16::unary(sel, op, dt, x),
        (_, F64) => super::float64::unary(sel, op, dt, x),
        (_, I8 | I16 | U8 | U16 | I64 | U64) => super::int::unary(sel, op, dt, x),
    }
}

/// One element of `fma a, b, c`.
pub(super) fn fma(
    sel: &mut Sel,
    dt: DType,
    a: Piece,
    b: Piece,
    c: Piece,
) -> Result<Piece, IselError> {
    match dt {
        DType::F32 => super::alu32::fma(sel, a, b, c),
        DType::F16 | DType::BF16 => super::float16::fma(sel, dt, a, b, c),
        DType::F64 => super::float64::fma(sel, a, b, c),
        _ => Err(sel.malformed(format!("fma on {dt:?}"))),
    }
}

/// One element of `mulhi a, b` (i32, u32, i64, u64).
pub(super) fn mulhi(sel: &mut Sel, dt: DType, a: Piece, b: Piece) -> Result<Piece, IselError> {
    match dt {
        DType::I32 | DType::U32 => super::alu32::mulhi(sel, dt, a, b),
        _ => super::int::mulhi(sel, dt, a, b),
    }
}

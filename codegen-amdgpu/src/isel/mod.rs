//! Instruction selection: kernel IR → machine IR ([`crate::mir`]) over virtual registers.
//!
//! One file per construct family (as in codegen-ptx's `emit/`):
//! - [`uniformity`]: which values are the same on every lane of a wave;
//! - [`select`]: the driver — walks statements iteratively, keeps the value map;
//! - [`control`]: `if`/`for` with EXEC-mask structured control flow, accumulators;
//! - [`value`]: ids, constants, parameters, vectors, `where`;
//! - [`dce`]: drops moves whose result nothing reads (constants used as operands);
//! - [`memory`]: global loads and stores (64-bit addresses, masks);
//! - [`alu32`]: f32, i32/u32 and bool arithmetic and compares;
//! - [`int`], [`divide`]: 8/16/64-bit integers, `idiv`/`mod`;
//! - [`convert`]: `cast` and `bitcast` between every pair of dtypes;
//! - [`float16`], [`float64`], [`math`]: f16/bf16, f64, division and transcendentals
//!   ([`math64`]: f64 division, sqrt, recip, exp2, log2; [`sin64`]: f64 sin;
//!   [`sin_small`]: f16/bf16 sin; [`fparts`]: their shared builders);
//! - [`lds`], [`atomic`], [`subgroup`], [`matrix`]: shared arrays, barriers, atomics,
//!   subgroup reductions, WMMA tiles and fragments.
//!
//! [`emit`] holds the instruction builders every family uses ([`Sel::valu`], [`Sel::sop2`],
//! …): they pick the 32-bit or VOP3 encoding and keep operands legal (at most one literal,
//! at most two scalar operands per VALU instruction, VGPRs where a slot needs one).
//!
//! **Value representation** (the contract between the families):
//! - a value is a list of elements ([`Val::elems`]), one per vector element;
//! - an element is a [`Piece`]: 1 register for dtypes up to 32 bits, a 2-register tuple
//!   (low dword first) for i64/u64/f64;
//! - 8- and 16-bit integers are kept in 32 bits sign-extended (i8, i16) or zero-extended
//!   (u8, u16); f16 and bf16 in the low 16 bits with the upper 16 bits zero; every
//!   family returns results in that form;
//! - bool is a lane mask in one SGPR (bit n = lane n; bits of inactive lanes are
//!   meaningless), also when uniform (then 0 or all ones);
//! - uniform integers (and indices) live in SGPRs where the scalar ALU can compute them;
//!   everything else in VGPRs. A family may take operands of either class and decides
//!   the result's class; [`Sel::to_vgpr`] moves a scalar into a VGPR when needed.

mod alu32;
mod atomic;
mod control;
mod convert;
#[cfg(test)]
mod coop_sim;
#[cfg(test)]
mod coop_tests;
mod dce;
mod divide;
pub mod emit;
mod float16;
mod float64;
#[cfg(test)]
mod float_eval;
#[cfg(test)]
mod float_tests;
mod fparts;
mod int;
mod lds;
mod math;
mod math64;
mod matrix;
mod memory;
mod select;
mod sin64;
mod sin_small;
mod subgroup;
pub mod uniformity;
mod value;

pub use select::{KernelInfo, select};

use crate::isa::Operand;
use crate::mir::{Mir, RegClass, VReg};
use cranelift_entity::EntityRef;
use egpu_ir::Target;
use egpu_ir::kernel::{Kernel, ValueId};

/// Why a kernel has no RDNA3 code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IselError {
    /// The kernel uses something the AMD backend does not support.
    #[error("kernel {kernel}: {what} is not supported on gfx1100")]
    Unsupported { kernel: String, what: String },
    /// The kernel breaks an invariant its builder guarantees: a bug upstream.
    #[error("kernel {kernel}: malformed kernel IR: {what}")]
    Malformed { kernel: String, what: String },
}

/// Registers `offset ..` of a virtual register: one element of a value.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Piece {
    pub reg: VReg,
    pub offset: u8,
    pub class: RegClass,
}

impl Piece {
    /// The next register of a tuple (the high dword of a 64-bit element).
    pub fn hi(self) -> Piece {
        Piece {
            offset: self.offset + 1,
            ..self
        }
    }

    pub fn is_sgpr(self) -> bool {
        self.class == RegClass::S
    }
}

/// A value's registers: one [`Piece`] per element.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Val {
    pub elems: Vec<Piece>,
}

impl Val {
    pub fn scalar(p: Piece) -> Val {
        Val { elems: vec![p] }
    }
}

/// A source operand: an element's register(s) or a constant (inline or literal; for a
/// 64-bit slot only an inline constant).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Src {
    Reg(Piece),
    Const(Operand),
}

impl From<Piece> for Src {
    fn from(p: Piece) -> Src {
        Src::Reg(p)
    }
}

/// The selection state of one kernel (see [`select`]).
pub struct Sel<'k> {
    pub kernel: &'k Kernel,
    pub target: &'k Target,
    pub mir: Mir,
    pub uniform: uniformity::Uniformity,
    /// The kernel-IR statement being selected (for [`crate::mir::MInst`]'s `line`).
    pub line: u32,
    /// Per kernel-IR value (by `ValueId` index), its registers once selected.
    pub(crate) vals: Vec<Option<Val>>,
    /// Per accumulator (by `AccId` index), its registers while in scope.
    pub(crate) accs: Vec<Option<Val>>,
    /// Per fragment (by `FragId` index), its 8-VGPR tuple once zeroed.
    pub(crate) frags: Vec<Option<VReg>>,
    /// Byte offset of each shared array in LDS (by `SharedId` index).
    pub(crate) lds_offsets: Vec<u32>,
    /// The kernel's entry registers once copied into virtual registers.
    pub(crate) entry: select::Entry,
    /// Values computed once per block and reused by later statements of the block or
    /// blocks nested in it (lane byte offsets of global accesses: index, shift, offset).
    pub(crate) offsets: Vec<(Piece, u32, Piece)>,
    /// `offsets.len()` at the start of each open block, innermost last.
    pub(crate) scopes: Vec<usize>,
    /// The 32-bit constants held by single-register values (`const` statements), so that
    /// families may use them as operands ([`Sel::src`]); the moves that materialize
    /// them are dropped when nothing reads the register ([`dce`]).
    pub(crate) consts: std::collections::HashMap<VReg, u32>,
}

impl<'k> Sel<'k> {
    /// Fresh selection state for `kernel` (uniformity computed by the driver).
    pub fn new(kernel: &'k Kernel, target: &'k Target) -> Sel<'k> {
        Sel {
            kernel,
            target,
            mir: Mir::new(),
            uniform: uniformity::Uniformity::default(),
            line: 0,
            vals: vec![None; kernel.values().len()],
            accs: Vec::new(),
            frags: vec![None; kernel.fragments().len()],
            lds_offsets: Vec::new(),
            entry: select::Entry::default(),
            offsets: Vec::new(),
            scopes: Vec::new(),
            consts: std::collections::HashMap::new(),
        }
    }

    /// A selected value's registers.
    pub fn val(&self, id: ValueId) -> Result<Val, IselError> {
        self.vals
            .get(id.index())
            .and_then(|v| v.clone())
            .ok_or_else(|| {
                self.malformed(format!("value v{} used before it is selected", id.index()))
            })
    }

    /// The single element of a scalar value.
    pub fn piece(&self, id: ValueId) -> Result<Piece, IselError> {
        let v = self.val(id)?;
        v.elems
            .first()
            .copied()
            .ok_or_else(|| self.malformed(format!("value v{} has no elements", id.index())))
    }

    pub fn set_val(&mut self, id: ValueId, v: Val) {
        if let Some(slot) = self.vals.get_mut(id.index()) {
            *slot = Some(v);
        }
    }

    pub fn unsupported(&self, what: impl Into<String>) -> IselError {
        IselError::Unsupported {
            kernel: self.kernel.name().to_string(),
            what: what.into(),
        }
    }

    pub fn malformed(&self, what: impl Into<String>) -> IselError {
        IselError::Malformed {
            kernel: self.kernel.name().to_string(),
            what: what.into(),
        }
    }

    /// A new element of `dwords` registers of `class`.
    pub fn new_piece(&mut self, class: RegClass, dwords: u8) -> Piece {
        Piece {
            reg: self.mir.vreg(class, dwords),
            offset: 0,
            class,
        }
    }

    /// An element as a source operand of a 32-bit slot: the constant itself (inline or
    /// literal) when the element is a 32-bit `const`, else its register.
    pub fn src(&self, p: Piece) -> Src {
        match self.consts.get(&p.reg) {
            Some(&bits) if p.offset == 0 && self.mir.info(p.reg).dwords == 1 => {
                Src::Const(Operand::constant(bits, crate::isa::Ty::B32))
            }
            _ => Src::Reg(p),
        }
    }

    /// Whether the value held by `p` is uniform: it is an SGPR (the scalar ALU computed
    /// it, or it is a launch register or a kernarg).
    pub fn uniform_piece(&self, p: Piece) -> bool {
        p.class == RegClass::S
    }

    /// A block opens: what it computes is forgotten when it closes.
    pub fn open_scope(&mut self) {
        self.scopes.push(self.offsets.len());
    }

    /// The innermost block closes (or, `reopen`, an else-body replaces a then-body).
    pub fn close_scope(&mut self, reopen: bool) {
        let at = self.scopes.last().copied().unwrap_or(0);
        self.offsets.truncate(at);
        if !reopen {
            self.scopes.pop();
        }
    }

    pub fn new_v(&mut self, dwords: u8) -> Piece {
        self.new_piece(RegClass::V, dwords)
    }

    pub fn new_s(&mut self, dwords: u8) -> Piece {
        self.new_piece(RegClass::S, dwords)
    }
}

/// Selects the machine IR of one kernel (the driver is [`select::select`]).
pub fn select_kernel(kernel: &Kernel, target: &Target) -> Result<(Mir, KernelInfo), IselError> {
    select(kernel, target)
}

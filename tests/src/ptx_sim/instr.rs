//! The decoded form of a PTX instruction: every operand resolved to a register number,
//! an immediate already converted to the instruction's type, or an address, so that
//! executing an instruction never looks at text again.

/// A PTX fundamental type as it appears in an instruction's modifiers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ty {
    B8,
    B16,
    B32,
    B64,
    U8,
    U16,
    U32,
    U64,
    S8,
    S16,
    S32,
    S64,
    F16,
    F16x2,
    BF16,
    BF16x2,
    F32,
    F64,
    Pred,
}

impl Ty {
    /// The type named by a modifier without its dot (`u32`), if it is one.
    pub fn from_name(name: &str) -> Option<Ty> {
        Some(match name {
            "b8" => Ty::B8,
            "b16" => Ty::B16,
            "b32" => Ty::B32,
            "b64" => Ty::B64,
            "u8" => Ty::U8,
            "u16" => Ty::U16,
            "u32" => Ty::U32,
            "u64" => Ty::U64,
            "s8" => Ty::S8,
            "s16" => Ty::S16,
            "s32" => Ty::S32,
            "s64" => Ty::S64,
            "f16" => Ty::F16,
            "f16x2" => Ty::F16x2,
            "bf16" => Ty::BF16,
            "bf16x2" => Ty::BF16x2,
            "f32" => Ty::F32,
            "f64" => Ty::F64,
            "pred" => Ty::Pred,
            _ => return None,
        })
    }

    /// Width in bits (a predicate counts as 1).
    pub fn bits(self) -> u32 {
        match self {
            Ty::Pred => 1,
            Ty::B8 | Ty::U8 | Ty::S8 => 8,
            Ty::B16 | Ty::U16 | Ty::S16 | Ty::F16 | Ty::BF16 => 16,
            Ty::B32 | Ty::U32 | Ty::S32 | Ty::F32 | Ty::F16x2 | Ty::BF16x2 => 32,
            Ty::B64 | Ty::U64 | Ty::S64 | Ty::F64 => 64,
        }
    }

    /// Width in bytes in memory.
    pub fn bytes(self) -> u32 {
        self.bits().div_ceil(8)
    }

    pub fn is_signed(self) -> bool {
        matches!(self, Ty::S8 | Ty::S16 | Ty::S32 | Ty::S64)
    }

    pub fn is_float(self) -> bool {
        matches!(
            self,
            Ty::F16 | Ty::F16x2 | Ty::BF16 | Ty::BF16x2 | Ty::F32 | Ty::F64
        )
    }

    /// Integer or untyped bits (not float, not predicate).
    pub fn is_int(self) -> bool {
        !self.is_float() && self != Ty::Pred
    }

    /// The all-ones mask of this type's width.
    pub fn mask(self) -> u64 {
        match self.bits() {
            64 => u64::MAX,
            b => (1u64 << b) - 1,
        }
    }

    /// `bits` (already masked to the width) widened to 64 bits the way a register holds
    /// it: sign-extended for signed types, zero-extended otherwise.
    pub fn extend(self, bits: u64) -> u64 {
        let b = self.bits();
        if self.is_signed() && b < 64 {
            let shift = 64 - b;
            (((bits << shift) as i64) >> shift) as u64
        } else {
            bits & self.mask()
        }
    }
}

/// A special register (read-only, per thread or per launch).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Special {
    Tid(usize),
    Ntid(usize),
    Ctaid(usize),
    Nctaid(usize),
    LaneId,
    WarpSize,
}

/// A source operand.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Src {
    Reg(u32),
    /// An immediate, already the bit pattern of the instruction's operand type.
    Imm(u64),
    Special(Special),
}

/// A destination operand: a register, or the sink `_`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dst {
    Reg(u32),
    Sink,
}

/// What an address's base is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Base {
    Reg(u32),
    /// A fixed offset into the state space: a `.shared` array's or a `.param`'s place.
    Fixed(u64),
}

/// `[base+offset]`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Addr {
    pub base: Base,
    pub offset: i64,
}

/// A state space of a memory instruction.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Space {
    Global,
    Shared,
    Param,
    /// No space given: the address says where (global or the shared window).
    Generic,
}

/// Float rounding of an arithmetic instruction or a conversion.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Rnd {
    /// `.rn`, or no modifier where the ISA's default is round-to-nearest-even.
    Rn,
    Rz,
    Rm,
    Rp,
}

/// Integer rounding of a float result (`cvt.rni` ...): round to an integral value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IRnd {
    Rni,
    Rzi,
    Rmi,
    Rpi,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IntOp {
    Add,
    AddSat,
    Sub,
    SubSat,
    MulLo,
    MulHi,
    Div,
    Rem,
    Min,
    Max,
    And,
    Or,
    Xor,
    Shl,
    Shr,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IntUnOp {
    Neg,
    Abs,
    Not,
    Cnot,
    Popc,
    Clz,
    Brev,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MadMode {
    Lo,
    Hi,
    Wide,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FloatOp {
    Add,
    Sub,
    Mul,
    Div,
    /// `div.approx` / `div.full`: within 2 ULP per the ISA.
    DivApprox,
    Min,
    Max,
    MinNaN,
    MaxNaN,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FloatUnOp {
    Neg,
    Abs,
    Sqrt,
    Rcp,
    Rsqrt,
    Ex2,
    Lg2,
    Sin,
    Cos,
    Tanh,
}

/// How an `.approx`-style or rounded float unary op rounds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FloatMode {
    /// `.approx` / `.full`: the sim computes accurately and rounds to nearest.
    Approx,
    Round(Rnd),
}

/// A comparison of `setp` / `set`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Cmp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    Lo,
    Ls,
    Hi,
    Hs,
    Equ,
    Neu,
    Ltu,
    Leu,
    Gtu,
    Geu,
    Num,
    Nan,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BoolOp {
    And,
    Or,
    Xor,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ShflMode {
    Up,
    Down,
    Bfly,
    Idx,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AtomOp {
    Add,
    Min,
    Max,
    And,
    Or,
    Xor,
    Exch,
    Cas,
    Inc,
    Dec,
}

/// One decoded instruction.
#[derive(Clone, Debug, PartialEq)]
pub enum Op {
    Mov {
        ty: Ty,
        dst: Dst,
        src: Src,
    },
    /// `mov.bN d, {a, b, ...}`: the parts packed low to high.
    Pack {
        part: Ty,
        dst: Dst,
        srcs: Vec<Src>,
    },
    /// `mov.bN {a, b, ...}, s`: `s` split low to high.
    Unpack {
        part: Ty,
        dsts: Vec<Dst>,
        src: Src,
    },
    Ld {
        space: Space,
        /// `.nc`: the data must stay read-only for the whole launch.
        nc: bool,
        ty: Ty,
        dsts: Vec<Dst>,
        addr: Addr,
    },
    St {
        space: Space,
        ty: Ty,
        srcs: Vec<Src>,
        addr: Addr,
    },
    /// `cvta{.to}.space.size d, a`.
    Cvta {
        to: bool,
        space: Space,
        ty: Ty,
        dst: Dst,
        src: Src,
    },
    Int {
        op: IntOp,
        ty: Ty,
        dst: Dst,
        a: Src,
        b: Src,
    },
    MulWide {
        ty: Ty,
        dst: Dst,
        a: Src,
        b: Src,
    },
    Mad {
        mode: MadMode,
        sat: bool,
        ty: Ty,
        dst: Dst,
        a: Src,
        b: Src,
        c: Src,
    },
    IntUn {
        op: IntUnOp,
        ty: Ty,
        dst: Dst,
        a: Src,
    },
    Float {
        op: FloatOp,
        rnd: Rnd,
        ftz: bool,
        sat: bool,
        ty: Ty,
        dst: Dst,
        a: Src,
        b: Src,
    },
    Fma {
        rnd: Rnd,
        ftz: bool,
        sat: bool,
        ty: Ty,
        dst: Dst,
        a: Src,
        b: Src,
        c: Src,
    },
    FloatUn {
        op: FloatUnOp,
        mode: FloatMode,
        ftz: bool,
        ty: Ty,
        dst: Dst,
        a: Src,
    },
    Setp {
        cmp: Cmp,
        ty: Ty,
        ftz: bool,
        dst: Dst,
        dst2: Option<Dst>,
        a: Src,
        b: Src,
        /// `.and/.or/.xor` with predicate `c` (negated when the bool is true).
        combine: Option<(BoolOp, Src, bool)>,
    },
    Selp {
        ty: Ty,
        dst: Dst,
        a: Src,
        b: Src,
        p: Src,
    },
    Cvt {
        dty: Ty,
        sty: Ty,
        rnd: Option<Rnd>,
        irnd: Option<IRnd>,
        sat: bool,
        ftz: bool,
        dst: Dst,
        src: Src,
    },
    Bra {
        target: usize,
    },
    Exit,
    BarSync {
        id: Src,
    },
    BarWarpSync {
        mask: Src,
    },
    Shfl {
        mode: ShflMode,
        dst: Dst,
        pdst: Option<Dst>,
        a: Src,
        b: Src,
        c: Src,
        mask: Src,
    },
    Atom {
        space: Space,
        op: AtomOp,
        ty: Ty,
        /// `None` for `red`.
        dst: Option<Dst>,
        addr: Addr,
        b: Src,
        c: Option<Src>,
    },
    Ldmatrix {
        trans: bool,
        dsts: Vec<Dst>,
        addr: Addr,
    },
    Mma {
        bf16: bool,
        d: [Dst; 4],
        a: [Src; 4],
        b: [Src; 2],
        c: [Src; 4],
    },
    /// `cp.async.{ca,cg}.shared.global [dst], [src], size{, src_size}`.
    CpAsync {
        size: u32,
        src_size: Option<Src>,
        dst: Addr,
        src: Addr,
    },
    CpAsyncCommit,
    /// `wait_group keep`, or `wait_all` (which also commits the open group).
    CpAsyncWait {
        keep: u32,
        all: bool,
    },
    /// Memory fences: every access is already in order in the sim.
    Nop,
}

impl Op {
    /// Whether a thread stops here until its warp or CTA arrives (the scheduler runs
    /// these, never the per-thread stepper).
    pub fn is_collective(&self) -> bool {
        matches!(
            self,
            Op::BarSync { .. }
                | Op::BarWarpSync { .. }
                | Op::Shfl { .. }
                | Op::Ldmatrix { .. }
                | Op::Mma { .. }
        )
    }
}

/// An instruction with its guard and the PTX line it came from.
#[derive(Clone, Debug, PartialEq)]
pub struct Instr {
    /// `@%p` (false) or `@!%p` (true).
    pub guard: Option<(u32, bool)>,
    pub op: Op,
    pub line: usize,
}

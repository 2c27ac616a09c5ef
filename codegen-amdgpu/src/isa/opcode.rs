//! The opcode table: every instruction form the ISA layer knows, with its encoding
//! format, opcode number and operand types. Opcode numbers were read off
//! `llvm-mc-19 -mcpu=gfx1100 -show-encoding` (tests/data/encodings.txt checks each one).

/// Encoding format of an instruction (the dword layout, see reference/rdna3.md).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Fmt {
    Sop2,
    Sop1,
    Sopc,
    Sopk,
    Sopp,
    Smem,
    Vop1,
    Vop2,
    Vopc,
    /// VOP3-only instructions (VOP3 and VOP3SD layouts; `Class::Sd*` picks VOP3SD).
    Vop3,
    Vop3p,
    /// FLAT segment 0.
    Flat,
    /// FLAT segment 1: per-lane private memory (spills), addressed by an optional
    /// VGPR offset plus an optional SGPR offset.
    Scratch,
    /// FLAT segment 2.
    Global,
    Ds,
    /// VOPD: two VALU operations in one instruction (`isa::vopd`). The code is the
    /// OPX/OPY field value; codes 16 and up exist only as the Y half.
    Vopd,
    /// MUBUF: only the operandless cache invalidates (`buffer_gl0_inv`, `buffer_gl1_inv`),
    /// held as `Inst::Sopp` with immediate 0 (they have no operands to model).
    Mubuf,
}

/// The type of one operand slot: how wide it is and which constants it takes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Ty {
    /// No operand in this slot.
    N,
    /// 16-bit float (or untyped) value in a 32-bit register; literals up to 0xffff.
    B16,
    /// 16-bit integer: like `B16`, but float inline constants are not accepted.
    I16,
    /// 32-bit value: register, inline constant or 32-bit literal.
    B32,
    /// 64-bit integer in a register pair, or an inline constant (no literal).
    B64,
    /// 64-bit float in a register pair, or an inline constant (no literal).
    F64,
    R1,
    R2,
    R3,
    R4,
    R8,
    R16,
}

impl Ty {
    /// Registers the operand spans (1 for 16/32-bit values).
    pub fn dwords(self) -> u8 {
        match self {
            Ty::N => 0,
            Ty::B16 | Ty::I16 | Ty::B32 | Ty::R1 => 1,
            Ty::B64 | Ty::F64 | Ty::R2 => 2,
            Ty::R3 => 3,
            Ty::R4 => 4,
            Ty::R8 => 8,
            Ty::R16 => 16,
        }
    }

    /// Whether inline constants and literals may stand in this slot.
    pub fn takes_constants(self) -> bool {
        matches!(self, Ty::B16 | Ty::I16 | Ty::B32 | Ty::B64 | Ty::F64)
    }

    /// Whether a 32-bit literal may stand in this slot (never for 64-bit operands:
    /// LLVM extends those in ways this layer does not model).
    pub fn is_16bit(self) -> bool {
        matches!(self, Ty::B16 | Ty::I16)
    }

    pub fn takes_literal(self) -> bool {
        matches!(self, Ty::B16 | Ty::I16 | Ty::B32)
    }
}

/// What sets an instruction apart from the plain form of its format: which modifiers
/// it takes, which implicit operands it has, how its immediate is printed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Class {
    Plain,
    /// Float VALU: neg/abs on sources, clamp and omod (in the VOP3 encoding).
    Float,
    /// Int to float conversion: clamp and omod, no source modifiers.
    FloatOut,
    /// Float to int conversion: neg/abs on the source only.
    FloatIn,
    /// Integer add/sub that takes `clamp`.
    Clamp,
    /// Float compares and v_pack_b32_f16: neg/abs and clamp, no omod.
    NoOmod,
    /// `v_cndmask_b32`: implicit vcc_lo in VOP2, an SGPR condition as src2 in VOP3.
    CndMask,
    /// Carry in and out through vcc_lo in VOP2, through SGPRs in VOP3SD.
    CoCi,
    /// A VOP2 that has no VOP3 form here (v_fmac_*).
    NoE64,
    /// Writes an SGPR (v_readfirstlane_b32, v_readlane_b32).
    ReadLane,
    /// VOP3SD integer (carry out / 64-bit multiply-add): clamp only.
    Sd,
    /// VOP3SD float (v_div_scale_*): neg and omod, clamp.
    SdFloat,
    /// VOP3P packed math: op_sel_hi defaults to all ones.
    Packed,
    /// v_fma_mix_*: op_sel_hi defaults to zero.
    Mix,
    /// WMMA: register tuples, no modifiers.
    Wmma,
    /// An FMA whose addend is K, a literal dword that is always present (`v_fmaak_*`,
    /// `v_dual_fmaak_f32`): sources S0, V1, K. VOP2 only (no VOP3 form).
    KLast,
    /// An FMA whose multiplier is K (`v_fmamk_*`, `v_dual_fmamk_f32`): S0, K, V1.
    KMid,
    /// VOPD half whose destination is also its accumulator (`v_dual_fmac_f32`,
    /// `v_dual_dot2acc_f32_f16`).
    DualAcc,
    // SOPP immediates
    NoImm,
    Imm,
    ImmOpt,
    Branch,
    Waitcnt,
    DelayAlu,
    Sendmsg,
    Hex,
    /// Any 16-bit immediate, printed in hex (`s_clause`, `s_set_inst_prefetch_distance`).
    HexAny,
    // memory
    Load,
    Store,
    Atomic,
    Load2,
    Store2,
    Rtn,
    Swizzle,
}

/// One row of the opcode table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OpInfo {
    pub name: &'static str,
    pub fmt: Fmt,
    pub code: u16,
    pub dst: Ty,
    pub src: [Ty; 3],
    pub class: Class,
}

impl OpInfo {
    /// Whether a VOP1/VOP2/VOPC opcode is modelled in the VOP3 encoding too. LLVM prints
    /// v_nop and v_readfirstlane_b32 without an encoding suffix, so their VOP3 forms
    /// would print like the 32-bit ones; they are left out.
    pub fn has_e64(&self) -> bool {
        matches!(self.fmt, Fmt::Vop1 | Fmt::Vop2 | Fmt::Vopc)
            && !matches!(self.class, Class::NoE64 | Class::KLast | Class::KMid)
            && !matches!(self.name, "v_nop" | "v_readfirstlane_b32")
    }

    /// A `v_cmpx_*`: a compare that writes only EXEC (it has no destination operand).
    pub fn is_cmpx(&self) -> bool {
        self.fmt == Fmt::Vopc && self.dst == Ty::N
    }

    /// Source operands the instruction has (trailing `Ty::N` slots excluded).
    pub fn num_src(&self) -> usize {
        self.src.iter().take_while(|t| **t != Ty::N).count()
    }
}

/// An instruction's opcode: an index into [`TABLE`]. Only the lookups below make
/// one, so it is always in range.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Op(u16);

impl Op {
    pub fn info(self) -> &'static OpInfo {
        &TABLE[usize::from(self.0)]
    }

    pub fn name(self) -> &'static str {
        self.info().name
    }

    /// The opcode with this mnemonic (no `_e32`/`_e64` suffix).
    /// (Instruction selection names an opcode for every instruction it emits, so this is
    /// a hash lookup, not a scan of the table.)
    pub fn by_name(name: &str) -> Option<Op> {
        indexes().by_name.get(name).copied()
    }

    /// The opcode with this format and opcode number.
    pub fn by_code(fmt: Fmt, code: u16) -> Option<Op> {
        indexes().by_code.get(&(fmt, code)).copied()
    }

    /// Every opcode, in table order.
    pub fn all() -> impl Iterator<Item = Op> {
        (0..TABLE.len()).filter_map(index_op)
    }
}

/// The table indexed by mnemonic and by (format, opcode number); the first row wins, as a
/// scan in table order would find it.
struct Indexes {
    by_name: std::collections::HashMap<&'static str, Op>,
    by_code: std::collections::HashMap<(Fmt, u16), Op>,
}

fn indexes() -> &'static Indexes {
    static INDEXES: std::sync::OnceLock<Indexes> = std::sync::OnceLock::new();
    INDEXES.get_or_init(|| {
        let mut ix = Indexes {
            by_name: Default::default(),
            by_code: Default::default(),
        };
        for op in Op::all() {
            let info = op.info();
            ix.by_name.entry(info.name).or_insert(op);
            ix.by_code.entry((info.fmt, info.code)).or_insert(op);
        }
        ix
    })
}

fn index_op(i: usize) -> Option<Op> {
    u16::try_from(i).ok().map(Op)
}

macro_rules! op {
    ($name:literal, $fmt:ident, $code:literal, $dst:ident, [$a:ident, $b:ident, $c:ident], $class:ident) => {
        OpInfo {
            name: $name,
            fmt: Fmt::$fmt,
            code: $code,
            dst: Ty::$dst,
            src: [Ty::$a, Ty::$b, Ty::$c],
            class: Class::$class,
        }
    };
}

/// The instruction forms, grouped by format.
#[rustfmt::skip]
pub static TABLE: &[OpInfo] = &[
    op!("s_add_u32", Sop2, 0x0, B32, [B32, B32, N], Plain),
    op!("s_sub_u32", Sop2, 0x1, B32, [B32, B32, N], Plain),
    op!("s_add_i32", Sop2, 0x2, B32, [B32, B32, N], Plain),
    op!("s_sub_i32", Sop2, 0x3, B32, [B32, B32, N], Plain),
    op!("s_addc_u32", Sop2, 0x4, B32, [B32, B32, N], Plain),
    op!("s_subb_u32", Sop2, 0x5, B32, [B32, B32, N], Plain),
    op!("s_min_i32", Sop2, 0x12, B32, [B32, B32, N], Plain),
    op!("s_min_u32", Sop2, 0x13, B32, [B32, B32, N], Plain),
    op!("s_max_i32", Sop2, 0x14, B32, [B32, B32, N], Plain),
    op!("s_max_u32", Sop2, 0x15, B32, [B32, B32, N], Plain),
    op!("s_cselect_b32", Sop2, 0x30, B32, [B32, B32, N], Plain),
    op!("s_cselect_b64", Sop2, 0x31, B64, [B64, B64, N], Plain),
    op!("s_and_b32", Sop2, 0x16, B32, [B32, B32, N], Plain),
    op!("s_and_b64", Sop2, 0x17, B64, [B64, B64, N], Plain),
    op!("s_or_b32", Sop2, 0x18, B32, [B32, B32, N], Plain),
    op!("s_or_b64", Sop2, 0x19, B64, [B64, B64, N], Plain),
    op!("s_xor_b32", Sop2, 0x1a, B32, [B32, B32, N], Plain),
    op!("s_xor_b64", Sop2, 0x1b, B64, [B64, B64, N], Plain),
    op!("s_and_not1_b32", Sop2, 0x22, B32, [B32, B32, N], Plain),
    op!("s_or_not1_b32", Sop2, 0x24, B32, [B32, B32, N], Plain),
    op!("s_lshl_b32", Sop2, 0x8, B32, [B32, B32, N], Plain),
    op!("s_lshl_b64", Sop2, 0x9, B64, [B64, B32, N], Plain),
    op!("s_lshr_b32", Sop2, 0xa, B32, [B32, B32, N], Plain),
    op!("s_lshr_b64", Sop2, 0xb, B64, [B64, B32, N], Plain),
    op!("s_ashr_i32", Sop2, 0xc, B32, [B32, B32, N], Plain),
    op!("s_ashr_i64", Sop2, 0xd, B64, [B64, B32, N], Plain),
    op!("s_mul_i32", Sop2, 0x2c, B32, [B32, B32, N], Plain),
    op!("s_mul_hi_u32", Sop2, 0x2d, B32, [B32, B32, N], Plain),
    op!("s_mul_hi_i32", Sop2, 0x2e, B32, [B32, B32, N], Plain),
    op!("s_bfe_u32", Sop2, 0x26, B32, [B32, B32, N], Plain),
    op!("s_bfe_i32", Sop2, 0x27, B32, [B32, B32, N], Plain),
    op!("s_lshl1_add_u32", Sop2, 0xe, B32, [B32, B32, N], Plain),
    op!("s_lshl2_add_u32", Sop2, 0xf, B32, [B32, B32, N], Plain),
    op!("s_lshl3_add_u32", Sop2, 0x10, B32, [B32, B32, N], Plain),
    op!("s_lshl4_add_u32", Sop2, 0x11, B32, [B32, B32, N], Plain),
    op!("s_pack_ll_b32_b16", Sop2, 0x32, B16, [B16, B16, N], Plain),
    op!("s_mov_b32", Sop1, 0x0, B32, [B32, N, N], Plain),
    op!("s_mov_b64", Sop1, 0x1, B64, [B64, N, N], Plain),
    op!("s_cmov_b32", Sop1, 0x2, B32, [B32, N, N], Plain),
    op!("s_not_b32", Sop1, 0x1e, B32, [B32, N, N], Plain),
    op!("s_brev_b32", Sop1, 0x4, B32, [B32, N, N], Plain),
    op!("s_ctz_i32_b32", Sop1, 0x8, B32, [B32, N, N], Plain),
    op!("s_clz_i32_u32", Sop1, 0xa, B32, [B32, N, N], Plain),
    op!("s_bcnt1_i32_b32", Sop1, 0x18, B32, [B32, N, N], Plain),
    op!("s_sext_i32_i8", Sop1, 0xe, B32, [B32, N, N], Plain),
    op!("s_sext_i32_i16", Sop1, 0xf, B16, [B16, N, N], Plain),
    op!("s_abs_i32", Sop1, 0x15, B32, [B32, N, N], Plain),
    op!("s_and_saveexec_b32", Sop1, 0x20, B32, [B32, N, N], Plain),
    op!("s_or_saveexec_b32", Sop1, 0x22, B32, [B32, N, N], Plain),
    op!("s_and_not1_saveexec_b32", Sop1, 0x30, B32, [B32, N, N], Plain),
    op!("s_getpc_b64", Sop1, 0x47, B64, [N, N, N], Plain),
    op!("s_setpc_b64", Sop1, 0x48, N, [B64, N, N], Plain),
    op!("s_cmp_eq_i32", Sopc, 0x0, N, [B32, B32, N], Plain),
    op!("s_cmp_lg_i32", Sopc, 0x1, N, [B32, B32, N], Plain),
    op!("s_cmp_gt_i32", Sopc, 0x2, N, [B32, B32, N], Plain),
    op!("s_cmp_ge_i32", Sopc, 0x3, N, [B32, B32, N], Plain),
    op!("s_cmp_lt_i32", Sopc, 0x4, N, [B32, B32, N], Plain),
    op!("s_cmp_le_i32", Sopc, 0x5, N, [B32, B32, N], Plain),
    op!("s_cmp_eq_u32", Sopc, 0x6, N, [B32, B32, N], Plain),
    op!("s_cmp_lg_u32", Sopc, 0x7, N, [B32, B32, N], Plain),
    op!("s_cmp_gt_u32", Sopc, 0x8, N, [B32, B32, N], Plain),
    op!("s_cmp_ge_u32", Sopc, 0x9, N, [B32, B32, N], Plain),
    op!("s_cmp_lt_u32", Sopc, 0xa, N, [B32, B32, N], Plain),
    op!("s_cmp_le_u32", Sopc, 0xb, N, [B32, B32, N], Plain),
    op!("s_bitcmp0_b32", Sopc, 0xc, N, [B32, B32, N], Plain),
    op!("s_bitcmp1_b32", Sopc, 0xd, N, [B32, B32, N], Plain),
    op!("s_cmp_eq_u64", Sopc, 0x10, N, [B64, B64, N], Plain),
    op!("s_cmp_lg_u64", Sopc, 0x11, N, [B64, B64, N], Plain),
    op!("s_movk_i32", Sopk, 0x0, B32, [N, N, N], Plain),
    op!("s_cmovk_i32", Sopk, 0x2, B32, [N, N, N], Plain),
    op!("s_cmpk_eq_u32", Sopk, 0x9, B32, [N, N, N], Plain),
    op!("s_cmpk_lg_i32", Sopk, 0x4, B32, [N, N, N], Plain),
    op!("s_addk_i32", Sopk, 0xf, B32, [N, N, N], Plain),
    op!("s_mulk_i32", Sopk, 0x10, B32, [N, N, N], Plain),
    op!("s_waitcnt_vscnt", Sopk, 0x18, B32, [N, N, N], Plain),
    op!("s_nop", Sopp, 0x0, N, [N, N, N], Imm),
    op!("s_endpgm", Sopp, 0x30, N, [N, N, N], ImmOpt),
    op!("s_branch", Sopp, 0x20, N, [N, N, N], Branch),
    op!("s_cbranch_scc0", Sopp, 0x21, N, [N, N, N], Branch),
    op!("s_cbranch_scc1", Sopp, 0x22, N, [N, N, N], Branch),
    op!("s_cbranch_vccz", Sopp, 0x23, N, [N, N, N], Branch),
    op!("s_cbranch_vccnz", Sopp, 0x24, N, [N, N, N], Branch),
    op!("s_cbranch_execz", Sopp, 0x25, N, [N, N, N], Branch),
    op!("s_cbranch_execnz", Sopp, 0x26, N, [N, N, N], Branch),
    op!("s_barrier", Sopp, 0x3d, N, [N, N, N], NoImm),
    op!("s_waitcnt", Sopp, 0x9, N, [N, N, N], Waitcnt),
    op!("s_waitcnt_depctr", Sopp, 0x8, N, [N, N, N], Hex),
    op!("s_delay_alu", Sopp, 0x7, N, [N, N, N], DelayAlu),
    op!("s_code_end", Sopp, 0x1f, N, [N, N, N], NoImm),
    op!("s_sendmsg", Sopp, 0x36, N, [N, N, N], Sendmsg),
    op!("s_sleep", Sopp, 0x3, N, [N, N, N], Imm),
    op!("s_load_b32", Smem, 0x0, R1, [R2, N, N], Plain),
    op!("s_load_b64", Smem, 0x1, R2, [R2, N, N], Plain),
    op!("s_load_b128", Smem, 0x2, R4, [R2, N, N], Plain),
    op!("s_load_b256", Smem, 0x3, R8, [R2, N, N], Plain),
    op!("s_load_b512", Smem, 0x4, R16, [R2, N, N], Plain),
    op!("v_nop", Vop1, 0x0, N, [N, N, N], Plain),
    op!("v_mov_b32", Vop1, 0x1, B32, [B32, N, N], Plain),
    op!("v_readfirstlane_b32", Vop1, 0x2, B32, [B32, N, N], ReadLane),
    op!("v_cvt_f32_i32", Vop1, 0x5, B32, [B32, N, N], FloatOut),
    op!("v_cvt_f32_u32", Vop1, 0x6, B32, [B32, N, N], FloatOut),
    op!("v_cvt_u32_f32", Vop1, 0x7, B32, [B32, N, N], FloatIn),
    op!("v_cvt_i32_f32", Vop1, 0x8, B32, [B32, N, N], FloatIn),
    op!("v_cvt_f16_f32", Vop1, 0xa, B16, [B32, N, N], Float),
    op!("v_cvt_f32_f16", Vop1, 0xb, B32, [B16, N, N], Float),
    op!("v_cvt_f64_f32", Vop1, 0x10, F64, [B32, N, N], Float),
    op!("v_cvt_f32_f64", Vop1, 0xf, B32, [F64, N, N], Float),
    op!("v_cvt_f64_i32", Vop1, 0x4, F64, [B32, N, N], FloatOut),
    op!("v_cvt_i32_f64", Vop1, 0x3, B32, [F64, N, N], FloatIn),
    op!("v_cvt_f64_u32", Vop1, 0x16, F64, [B32, N, N], FloatOut),
    op!("v_cvt_u32_f64", Vop1, 0x15, B32, [F64, N, N], FloatIn),
    op!("v_cvt_f32_ubyte0", Vop1, 0x11, B32, [B32, N, N], FloatOut),
    op!("v_cvt_f16_u16", Vop1, 0x50, B16, [I16, N, N], FloatOut),
    op!("v_cvt_f16_i16", Vop1, 0x51, B16, [I16, N, N], FloatOut),
    op!("v_cvt_u16_f16", Vop1, 0x52, I16, [B16, N, N], FloatIn),
    op!("v_cvt_i16_f16", Vop1, 0x53, I16, [B16, N, N], FloatIn),
    op!("v_fract_f32", Vop1, 0x20, B32, [B32, N, N], Float),
    op!("v_trunc_f32", Vop1, 0x21, B32, [B32, N, N], Float),
    op!("v_ceil_f32", Vop1, 0x22, B32, [B32, N, N], Float),
    op!("v_rndne_f32", Vop1, 0x23, B32, [B32, N, N], Float),
    op!("v_floor_f32", Vop1, 0x24, B32, [B32, N, N], Float),
    op!("v_exp_f32", Vop1, 0x25, B32, [B32, N, N], Float),
    op!("v_log_f32", Vop1, 0x27, B32, [B32, N, N], Float),
    op!("v_rcp_f32", Vop1, 0x2a, B32, [B32, N, N], Float),
    op!("v_rcp_iflag_f32", Vop1, 0x2b, B32, [B32, N, N], Float),
    op!("v_rsq_f32", Vop1, 0x2e, B32, [B32, N, N], Float),
    op!("v_sqrt_f32", Vop1, 0x33, B32, [B32, N, N], Float),
    op!("v_sin_f32", Vop1, 0x35, B32, [B32, N, N], Float),
    op!("v_cos_f32", Vop1, 0x36, B32, [B32, N, N], Float),
    op!("v_not_b32", Vop1, 0x37, B32, [B32, N, N], Plain),
    op!("v_bfrev_b32", Vop1, 0x38, B32, [B32, N, N], Plain),
    op!("v_clz_i32_u32", Vop1, 0x39, B32, [B32, N, N], Plain),
    op!("v_ctz_i32_b32", Vop1, 0x3a, B32, [B32, N, N], Plain),
    op!("v_rcp_f64", Vop1, 0x2f, F64, [F64, N, N], Float),
    op!("v_rsq_f64", Vop1, 0x31, F64, [F64, N, N], Float),
    op!("v_sqrt_f64", Vop1, 0x34, F64, [F64, N, N], Float),
    op!("v_exp_f16", Vop1, 0x58, B16, [B16, N, N], Float),
    op!("v_log_f16", Vop1, 0x57, B16, [B16, N, N], Float),
    op!("v_rcp_f16", Vop1, 0x54, B16, [B16, N, N], Float),
    op!("v_sqrt_f16", Vop1, 0x55, B16, [B16, N, N], Float),
    op!("v_rsq_f16", Vop1, 0x56, B16, [B16, N, N], Float),
    op!("v_sin_f16", Vop1, 0x60, B16, [B16, N, N], Float),
    op!("v_cos_f16", Vop1, 0x61, B16, [B16, N, N], Float),
    op!("v_floor_f16", Vop1, 0x5b, B16, [B16, N, N], Float),
    op!("v_cndmask_b32", Vop2, 0x1, B32, [B32, B32, B32], CndMask),
    op!("v_add_f32", Vop2, 0x3, B32, [B32, B32, N], Float),
    op!("v_sub_f32", Vop2, 0x4, B32, [B32, B32, N], Float),
    op!("v_subrev_f32", Vop2, 0x5, B32, [B32, B32, N], Float),
    op!("v_mul_f32", Vop2, 0x8, B32, [B32, B32, N], Float),
    op!("v_min_f32", Vop2, 0xf, B32, [B32, B32, N], Float),
    op!("v_max_f32", Vop2, 0x10, B32, [B32, B32, N], Float),
    op!("v_mul_i32_i24", Vop2, 0x9, B32, [B32, B32, N], Plain),
    op!("v_mul_u32_u24", Vop2, 0xb, B32, [B32, B32, N], Plain),
    op!("v_min_i32", Vop2, 0x11, B32, [B32, B32, N], Plain),
    op!("v_max_i32", Vop2, 0x12, B32, [B32, B32, N], Plain),
    op!("v_min_u32", Vop2, 0x13, B32, [B32, B32, N], Plain),
    op!("v_max_u32", Vop2, 0x14, B32, [B32, B32, N], Plain),
    op!("v_lshrrev_b32", Vop2, 0x19, B32, [B32, B32, N], Plain),
    op!("v_ashrrev_i32", Vop2, 0x1a, B32, [B32, B32, N], Plain),
    op!("v_lshlrev_b32", Vop2, 0x18, B32, [B32, B32, N], Plain),
    op!("v_and_b32", Vop2, 0x1b, B32, [B32, B32, N], Plain),
    op!("v_or_b32", Vop2, 0x1c, B32, [B32, B32, N], Plain),
    op!("v_xor_b32", Vop2, 0x1d, B32, [B32, B32, N], Plain),
    op!("v_xnor_b32", Vop2, 0x1e, B32, [B32, B32, N], Plain),
    op!("v_add_nc_u32", Vop2, 0x25, B32, [B32, B32, N], Clamp),
    op!("v_sub_nc_u32", Vop2, 0x26, B32, [B32, B32, N], Clamp),
    op!("v_subrev_nc_u32", Vop2, 0x27, B32, [B32, B32, N], Clamp),
    op!("v_add_co_ci_u32", Vop2, 0x20, B32, [B32, B32, B32], CoCi),
    op!("v_sub_co_ci_u32", Vop2, 0x21, B32, [B32, B32, B32], CoCi),
    op!("v_subrev_co_ci_u32", Vop2, 0x22, B32, [B32, B32, B32], CoCi),
    op!("v_fmac_f32", Vop2, 0x2b, B32, [B32, B32, N], NoE64),
    op!("v_add_f16", Vop2, 0x32, B16, [B16, B16, N], Float),
    op!("v_sub_f16", Vop2, 0x33, B16, [B16, B16, N], Float),
    op!("v_mul_f16", Vop2, 0x35, B16, [B16, B16, N], Float),
    op!("v_fmac_f16", Vop2, 0x36, B16, [B16, B16, N], NoE64),
    op!("v_max_f16", Vop2, 0x39, B16, [B16, B16, N], Float),
    op!("v_min_f16", Vop2, 0x3a, B16, [B16, B16, N], Float),
    op!("v_ldexp_f16", Vop2, 0x3b, B16, [B16, I16, N], Float),
    op!("v_cvt_pk_rtz_f16_f32", Vop2, 0x2f, B32, [B32, B32, N], Float),
    op!("v_fmamk_f32", Vop2, 0x2c, B32, [B32, B32, B32], KMid),
    op!("v_fmaak_f32", Vop2, 0x2d, B32, [B32, B32, B32], KLast),
    op!("v_fmamk_f16", Vop2, 0x37, B16, [B16, B16, B16], KMid),
    op!("v_fmaak_f16", Vop2, 0x38, B16, [B16, B16, B16], KLast),
    op!("v_cmp_lt_f32", Vopc, 0x11, B32, [B32, B32, N], NoOmod),
    op!("v_cmp_eq_f32", Vopc, 0x12, B32, [B32, B32, N], NoOmod),
    op!("v_cmp_le_f32", Vopc, 0x13, B32, [B32, B32, N], NoOmod),
    op!("v_cmp_gt_f32", Vopc, 0x14, B32, [B32, B32, N], NoOmod),
    op!("v_cmp_lg_f32", Vopc, 0x15, B32, [B32, B32, N], NoOmod),
    op!("v_cmp_ge_f32", Vopc, 0x16, B32, [B32, B32, N], NoOmod),
    op!("v_cmp_o_f32", Vopc, 0x17, B32, [B32, B32, N], NoOmod),
    op!("v_cmp_u_f32", Vopc, 0x18, B32, [B32, B32, N], NoOmod),
    op!("v_cmp_neq_f32", Vopc, 0x1d, B32, [B32, B32, N], NoOmod),
    op!("v_cmp_nlt_f32", Vopc, 0x1e, B32, [B32, B32, N], NoOmod),
    op!("v_cmp_lt_i32", Vopc, 0x41, B32, [B32, B32, N], Plain),
    op!("v_cmp_eq_i32", Vopc, 0x42, B32, [B32, B32, N], Plain),
    op!("v_cmp_le_i32", Vopc, 0x43, B32, [B32, B32, N], Plain),
    op!("v_cmp_gt_i32", Vopc, 0x44, B32, [B32, B32, N], Plain),
    op!("v_cmp_ne_i32", Vopc, 0x45, B32, [B32, B32, N], Plain),
    op!("v_cmp_ge_i32", Vopc, 0x46, B32, [B32, B32, N], Plain),
    op!("v_cmp_lt_u32", Vopc, 0x49, B32, [B32, B32, N], Plain),
    op!("v_cmp_eq_u32", Vopc, 0x4a, B32, [B32, B32, N], Plain),
    op!("v_cmp_le_u32", Vopc, 0x4b, B32, [B32, B32, N], Plain),
    op!("v_cmp_gt_u32", Vopc, 0x4c, B32, [B32, B32, N], Plain),
    op!("v_cmp_ne_u32", Vopc, 0x4d, B32, [B32, B32, N], Plain),
    op!("v_cmp_ge_u32", Vopc, 0x4e, B32, [B32, B32, N], Plain),
    op!("v_cmp_lt_f16", Vopc, 0x1, B32, [B16, B16, N], NoOmod),
    op!("v_cmp_eq_f16", Vopc, 0x2, B32, [B16, B16, N], NoOmod),
    op!("v_cmp_lt_f64", Vopc, 0x21, B32, [F64, F64, N], NoOmod),
    op!("v_cmp_eq_f64", Vopc, 0x22, B32, [F64, F64, N], NoOmod),
    op!("v_cmp_lt_i64", Vopc, 0x51, B32, [B64, B64, N], Plain),
    op!("v_cmp_eq_u64", Vopc, 0x5a, B32, [B64, B64, N], Plain),
    op!("v_cmp_class_f32", Vopc, 0x7e, B32, [B32, B32, N], NoOmod),
    op!("v_fma_f32", Vop3, 0x213, B32, [B32, B32, B32], Float),
    op!("v_fma_f16", Vop3, 0x248, B16, [B16, B16, B16], Float),
    op!("v_fma_f64", Vop3, 0x214, F64, [F64, F64, F64], Float),
    op!("v_add_f64", Vop3, 0x327, F64, [F64, F64, N], Float),
    op!("v_mul_f64", Vop3, 0x328, F64, [F64, F64, N], Float),
    op!("v_min_f64", Vop3, 0x329, F64, [F64, F64, N], Float),
    op!("v_max_f64", Vop3, 0x32a, F64, [F64, F64, N], Float),
    op!("v_ldexp_f64", Vop3, 0x32b, F64, [F64, B32, N], Float),
    op!("v_mul_hi_u32", Vop3, 0x32d, B32, [B32, B32, N], Plain),
    op!("v_mul_hi_i32", Vop3, 0x32e, B32, [B32, B32, N], Plain),
    op!("v_mul_lo_u32", Vop3, 0x32c, B32, [B32, B32, N], Plain),
    op!("v_mad_u32_u24", Vop3, 0x20b, B32, [B32, B32, B32], Plain),
    op!("v_mad_i32_i24", Vop3, 0x20a, B32, [B32, B32, B32], Plain),
    op!("v_bfe_u32", Vop3, 0x210, B32, [B32, B32, B32], Plain),
    op!("v_bfe_i32", Vop3, 0x211, B32, [B32, B32, B32], Plain),
    op!("v_bfi_b32", Vop3, 0x212, B32, [B32, B32, B32], Plain),
    op!("v_alignbit_b32", Vop3, 0x216, B32, [B32, B32, B32], Plain),
    op!("v_lshlrev_b64", Vop3, 0x33c, B64, [B32, B64, N], Plain),
    op!("v_lshrrev_b64", Vop3, 0x33d, B64, [B32, B64, N], Plain),
    op!("v_ashrrev_i64", Vop3, 0x33e, B64, [B32, B64, N], Plain),
    op!("v_add3_u32", Vop3, 0x255, B32, [B32, B32, B32], Plain),
    op!("v_lshl_add_u32", Vop3, 0x246, B32, [B32, B32, B32], Plain),
    op!("v_add_lshl_u32", Vop3, 0x247, B32, [B32, B32, B32], Plain),
    op!("v_and_or_b32", Vop3, 0x257, B32, [B32, B32, B32], Plain),
    op!("v_or3_b32", Vop3, 0x258, B32, [B32, B32, B32], Plain),
    op!("v_lshl_or_b32", Vop3, 0x256, B32, [B32, B32, B32], Plain),
    op!("v_xad_u32", Vop3, 0x245, B32, [B32, B32, B32], Plain),
    op!("v_max3_f32", Vop3, 0x21c, B32, [B32, B32, B32], Float),
    op!("v_min3_f32", Vop3, 0x219, B32, [B32, B32, B32], Float),
    op!("v_med3_f32", Vop3, 0x21f, B32, [B32, B32, B32], Float),
    op!("v_max3_i32", Vop3, 0x21d, B32, [B32, B32, B32], Plain),
    op!("v_min3_i32", Vop3, 0x21a, B32, [B32, B32, B32], Plain),
    op!("v_max3_u32", Vop3, 0x21e, B32, [B32, B32, B32], Plain),
    op!("v_min3_u32", Vop3, 0x21b, B32, [B32, B32, B32], Plain),
    op!("v_div_fixup_f32", Vop3, 0x227, B32, [B32, B32, B32], Float),
    op!("v_div_fmas_f32", Vop3, 0x237, B32, [B32, B32, B32], Float),
    op!("v_ldexp_f32", Vop3, 0x31c, B32, [B32, B32, N], Float),
    op!("v_perm_b32", Vop3, 0x244, B32, [B32, B32, B32], Plain),
    op!("v_readlane_b32", Vop3, 0x360, B32, [B32, B32, N], ReadLane),
    op!("v_writelane_b32", Vop3, 0x361, B32, [B32, B32, N], Plain),
    op!("v_cvt_pk_u16_u32", Vop3, 0x323, B32, [B32, B32, N], Plain),
    op!("v_pack_b32_f16", Vop3, 0x311, B32, [B16, B16, N], NoOmod),
    op!("v_add_co_u32", Vop3, 0x300, B32, [B32, B32, N], Sd),
    op!("v_sub_co_u32", Vop3, 0x301, B32, [B32, B32, N], Sd),
    op!("v_subrev_co_u32", Vop3, 0x302, B32, [B32, B32, N], Sd),
    op!("v_mad_u64_u32", Vop3, 0x2fe, B64, [B32, B32, B64], Sd),
    op!("v_mad_i64_i32", Vop3, 0x2ff, B64, [B32, B32, B64], Sd),
    op!("v_div_scale_f32", Vop3, 0x2fc, B32, [B32, B32, B32], SdFloat),
    op!("v_div_scale_f64", Vop3, 0x2fd, F64, [F64, F64, F64], SdFloat),
    op!("v_pk_add_f16", Vop3p, 0xf, B32, [B32, B32, N], Packed),
    op!("v_pk_mul_f16", Vop3p, 0x10, B32, [B32, B32, N], Packed),
    op!("v_pk_fma_f16", Vop3p, 0xe, B32, [B32, B32, B32], Packed),
    op!("v_pk_max_f16", Vop3p, 0x12, B32, [B32, B32, N], Packed),
    op!("v_pk_min_f16", Vop3p, 0x11, B32, [B32, B32, N], Packed),
    op!("v_pk_add_u16", Vop3p, 0xa, B32, [B32, B32, N], Packed),
    op!("v_pk_mul_lo_u16", Vop3p, 0x1, B32, [B32, B32, N], Packed),
    op!("v_dot2_f32_f16", Vop3p, 0x13, B32, [B32, B32, B32], Packed),
    op!("v_fma_mix_f32", Vop3p, 0x20, B32, [B32, B32, B32], Mix),
    op!("v_wmma_f32_16x16x16_f16", Vop3p, 0x40, R8, [R8, R8, R8], Wmma),
    op!("v_wmma_f32_16x16x16_bf16", Vop3p, 0x41, R8, [R8, R8, R8], Wmma),
    op!("v_wmma_f16_16x16x16_f16", Vop3p, 0x42, R8, [R8, R8, R8], Wmma),
    op!("global_load_b32", Global, 0x14, R1, [R1, N, N], Load),
    op!("global_load_b64", Global, 0x15, R2, [R1, N, N], Load),
    op!("global_load_b96", Global, 0x16, R3, [R1, N, N], Load),
    op!("global_load_b128", Global, 0x17, R4, [R1, N, N], Load),
    op!("global_load_u8", Global, 0x10, R1, [R1, N, N], Load),
    op!("global_load_i8", Global, 0x11, R1, [R1, N, N], Load),
    op!("global_load_u16", Global, 0x12, R1, [R1, N, N], Load),
    op!("global_load_i16", Global, 0x13, R1, [R1, N, N], Load),
    op!("global_store_b32", Global, 0x1a, N, [R1, R1, N], Store),
    op!("global_store_b64", Global, 0x1b, N, [R1, R2, N], Store),
    op!("global_store_b96", Global, 0x1c, N, [R1, R3, N], Store),
    op!("global_store_b128", Global, 0x1d, N, [R1, R4, N], Store),
    op!("global_store_b8", Global, 0x18, N, [R1, R1, N], Store),
    op!("global_store_b16", Global, 0x19, N, [R1, R1, N], Store),
    op!("global_atomic_add_u32", Global, 0x35, R1, [R1, R1, N], Atomic),
    op!("global_atomic_add_f32", Global, 0x56, R1, [R1, R1, N], Atomic),
    op!("global_atomic_max_i32", Global, 0x3a, R1, [R1, R1, N], Atomic),
    op!("global_atomic_min_i32", Global, 0x38, R1, [R1, R1, N], Atomic),
    op!("global_atomic_max_u32", Global, 0x3b, R1, [R1, R1, N], Atomic),
    op!("global_atomic_min_u32", Global, 0x39, R1, [R1, R1, N], Atomic),
    op!("global_atomic_swap_b32", Global, 0x33, R1, [R1, R1, N], Atomic),
    op!("global_atomic_cmpswap_b32", Global, 0x34, R1, [R1, R2, N], Atomic),
    op!("global_atomic_and_b32", Global, 0x3c, R1, [R1, R1, N], Atomic),
    op!("global_atomic_or_b32", Global, 0x3d, R1, [R1, R1, N], Atomic),
    op!("global_atomic_xor_b32", Global, 0x3e, R1, [R1, R1, N], Atomic),
    op!("global_atomic_add_u64", Global, 0x43, R2, [R1, R2, N], Atomic),
    op!("flat_load_b32", Flat, 0x14, R1, [R1, N, N], Load),
    op!("scratch_load_b32", Scratch, 0x14, R1, [R1, N, N], Load),
    op!("scratch_load_b64", Scratch, 0x15, R2, [R1, N, N], Load),
    op!("scratch_load_b128", Scratch, 0x17, R4, [R1, N, N], Load),
    op!("scratch_store_b32", Scratch, 0x1a, N, [R1, R1, N], Store),
    op!("scratch_store_b64", Scratch, 0x1b, N, [R1, R2, N], Store),
    op!("scratch_store_b128", Scratch, 0x1d, N, [R1, R4, N], Store),
    op!("flat_store_b32", Flat, 0x1a, N, [R1, R1, N], Store),
    op!("ds_load_b32", Ds, 0x36, R1, [R1, N, N], Load),
    op!("ds_load_b64", Ds, 0x76, R2, [R1, N, N], Load),
    op!("ds_load_b128", Ds, 0xff, R4, [R1, N, N], Load),
    op!("ds_load_u8", Ds, 0x3a, R1, [R1, N, N], Load),
    op!("ds_load_i8", Ds, 0x39, R1, [R1, N, N], Load),
    op!("ds_load_u16", Ds, 0x3c, R1, [R1, N, N], Load),
    op!("ds_load_i16", Ds, 0x3b, R1, [R1, N, N], Load),
    op!("ds_store_b32", Ds, 0xd, N, [R1, R1, N], Store),
    op!("ds_store_b64", Ds, 0x4d, N, [R1, R2, N], Store),
    op!("ds_store_b128", Ds, 0xdf, N, [R1, R4, N], Store),
    op!("ds_store_b8", Ds, 0x1e, N, [R1, R1, N], Store),
    op!("ds_store_b16", Ds, 0x1f, N, [R1, R1, N], Store),
    op!("ds_add_u32", Ds, 0x0, N, [R1, R1, N], Store),
    op!("ds_add_f32", Ds, 0x15, N, [R1, R1, N], Store),
    op!("ds_max_i32", Ds, 0x6, N, [R1, R1, N], Store),
    op!("ds_min_i32", Ds, 0x5, N, [R1, R1, N], Store),
    op!("ds_max_u32", Ds, 0x8, N, [R1, R1, N], Store),
    op!("ds_min_u32", Ds, 0x7, N, [R1, R1, N], Store),
    op!("ds_add_rtn_u32", Ds, 0x20, R1, [R1, R1, N], Rtn),
    op!("ds_add_rtn_f32", Ds, 0x79, R1, [R1, R1, N], Rtn),
    op!("ds_load_2addr_b32", Ds, 0x37, R2, [R1, N, N], Load2),
    op!("ds_store_2addr_b32", Ds, 0xe, N, [R1, R1, R1], Store2),
    op!("ds_swizzle_b32", Ds, 0x35, R1, [R1, N, N], Swizzle),
    op!("ds_bpermute_b32", Ds, 0xb3, R1, [R1, R1, N], Rtn),
    op!("ds_permute_b32", Ds, 0xb2, R1, [R1, R1, N], Rtn),
    // D: what clang-19's gfx1100 code holds that `egpu disasm` met (tests/tests/cli_amd.rs).
    op!("s_clause", Sopp, 0x5, N, [N, N, N], HexAny),
    op!("s_set_inst_prefetch_distance", Sopp, 0x4, N, [N, N, N], HexAny),
    // E: instructions clang-19 emits in the emulator's fidelity kernels (s_clause: D's row).
    // E: instructions clang-19 emits in the emulator's fidelity kernels.
    op!("v_cmp_ngt_f32", Vopc, 0x1b, B32, [B32, B32, N], NoOmod),
    // INT: integer widths, division and conversions (isel/int.rs, divide.rs, convert.rs)
    op!("v_cmp_lt_u64", Vopc, 0x59, B32, [B64, B64, N], Plain),
    op!("v_cmp_ne_u64", Vopc, 0x5d, B32, [B64, B64, N], Plain),
    op!("v_cmp_ge_u64", Vopc, 0x5e, B32, [B64, B64, N], Plain),
    op!("v_cmp_gt_f64", Vopc, 0x24, B32, [F64, F64, N], NoOmod),
    op!("v_cmp_lg_f64", Vopc, 0x25, B32, [F64, F64, N], NoOmod),
    op!("v_cmp_ge_f64", Vopc, 0x26, B32, [F64, F64, N], NoOmod),
    op!("v_med3_i32", Vop3, 0x220, B32, [B32, B32, B32], Plain),
    op!("v_med3_u32", Vop3, 0x221, B32, [B32, B32, B32], Plain),
    op!("v_trunc_f64", Vop1, 0x17, F64, [F64, N, N], Float),
    // FLOAT: f16/f64 rounding, compares, division and the f64 frexp split
    op!("v_trunc_f16", Vop1, 0x5d, B16, [B16, N, N], Float),
    op!("v_rndne_f64", Vop1, 0x19, F64, [F64, N, N], Float),
    op!("v_frexp_mant_f64", Vop1, 0x3d, F64, [F64, N, N], Float),
    op!("v_frexp_exp_i32_f64", Vop1, 0x3c, B32, [F64, N, N], FloatIn),
    op!("v_cmp_u_f16", Vopc, 0x8, B32, [B16, B16, N], NoOmod),
    op!("v_cmp_neq_f16", Vopc, 0xd, B32, [B16, B16, N], NoOmod),
    op!("v_cmp_u_f64", Vopc, 0x28, B32, [F64, F64, N], NoOmod),
    op!("v_cmp_neq_f64", Vopc, 0x2d, B32, [F64, F64, N], NoOmod),
    op!("v_cmp_class_f64", Vopc, 0x7f, B32, [F64, B32, N], NoOmod),
    op!("v_div_fixup_f64", Vop3, 0x228, F64, [F64, F64, F64], Float),
    op!("v_div_fmas_f64", Vop3, 0x238, F64, [F64, F64, F64], Float),
    // COOP: cache invalidates for barriers, d16 loads for WMMA B fragments, lane ids.
    op!("buffer_gl0_inv", Mubuf, 0x2b, N, [N, N, N], NoImm),
    op!("buffer_gl1_inv", Mubuf, 0x2c, N, [N, N, N], NoImm),
    op!("ds_load_u16_d16", Ds, 0xa6, R1, [R1, N, N], Load),
    op!("ds_load_u16_d16_hi", Ds, 0xa7, R1, [R1, N, N], Load),
    op!("v_mbcnt_lo_u32_b32", Vop3, 0x31f, B32, [B32, B32, N], Plain),
    // VOPD: the gfx11 dual-issue opcodes llvm-mc-19 accepts (X: 0-12, Y: 0-12 and 16-18).
    op!("v_dual_fmac_f32", Vopd, 0x0, B32, [B32, B32, N], DualAcc),
    op!("v_dual_fmaak_f32", Vopd, 0x1, B32, [B32, B32, B32], KLast),
    op!("v_dual_fmamk_f32", Vopd, 0x2, B32, [B32, B32, B32], KMid),
    op!("v_dual_mul_f32", Vopd, 0x3, B32, [B32, B32, N], Plain),
    op!("v_dual_add_f32", Vopd, 0x4, B32, [B32, B32, N], Plain),
    op!("v_dual_sub_f32", Vopd, 0x5, B32, [B32, B32, N], Plain),
    op!("v_dual_subrev_f32", Vopd, 0x6, B32, [B32, B32, N], Plain),
    op!("v_dual_mul_dx9_zero_f32", Vopd, 0x7, B32, [B32, B32, N], Plain),
    op!("v_dual_mov_b32", Vopd, 0x8, B32, [B32, N, N], Plain),
    op!("v_dual_cndmask_b32", Vopd, 0x9, B32, [B32, B32, N], CndMask),
    op!("v_dual_max_f32", Vopd, 0xa, B32, [B32, B32, N], Plain),
    op!("v_dual_min_f32", Vopd, 0xb, B32, [B32, B32, N], Plain),
    op!("v_dual_dot2acc_f32_f16", Vopd, 0xc, B32, [B32, B32, N], DualAcc),
    op!("v_dual_add_nc_u32", Vopd, 0x10, B32, [B32, B32, N], Plain),
    op!("v_dual_lshlrev_b32", Vopd, 0x11, B32, [B32, B32, N], Plain),
    op!("v_dual_and_b32", Vopd, 0x12, B32, [B32, B32, N], Plain),
    // v_cmpx_*: the compares that write EXEC only (VOPC opcode + 0x80; no destination
    // operand, the VOP3 form holds exec_lo in its vdst field).
    op!("v_cmpx_lt_f32", Vopc, 0x91, N, [B32, B32, N], NoOmod),
    op!("v_cmpx_eq_f32", Vopc, 0x92, N, [B32, B32, N], NoOmod),
    op!("v_cmpx_le_f32", Vopc, 0x93, N, [B32, B32, N], NoOmod),
    op!("v_cmpx_gt_f32", Vopc, 0x94, N, [B32, B32, N], NoOmod),
    op!("v_cmpx_lg_f32", Vopc, 0x95, N, [B32, B32, N], NoOmod),
    op!("v_cmpx_ge_f32", Vopc, 0x96, N, [B32, B32, N], NoOmod),
    op!("v_cmpx_o_f32", Vopc, 0x97, N, [B32, B32, N], NoOmod),
    op!("v_cmpx_u_f32", Vopc, 0x98, N, [B32, B32, N], NoOmod),
    op!("v_cmpx_neq_f32", Vopc, 0x9d, N, [B32, B32, N], NoOmod),
    op!("v_cmpx_nlt_f32", Vopc, 0x9e, N, [B32, B32, N], NoOmod),
    op!("v_cmpx_lt_i32", Vopc, 0xc1, N, [B32, B32, N], Plain),
    op!("v_cmpx_eq_i32", Vopc, 0xc2, N, [B32, B32, N], Plain),
    op!("v_cmpx_le_i32", Vopc, 0xc3, N, [B32, B32, N], Plain),
    op!("v_cmpx_gt_i32", Vopc, 0xc4, N, [B32, B32, N], Plain),
    op!("v_cmpx_ne_i32", Vopc, 0xc5, N, [B32, B32, N], Plain),
    op!("v_cmpx_ge_i32", Vopc, 0xc6, N, [B32, B32, N], Plain),
    op!("v_cmpx_lt_u32", Vopc, 0xc9, N, [B32, B32, N], Plain),
    op!("v_cmpx_eq_u32", Vopc, 0xca, N, [B32, B32, N], Plain),
    op!("v_cmpx_le_u32", Vopc, 0xcb, N, [B32, B32, N], Plain),
    op!("v_cmpx_gt_u32", Vopc, 0xcc, N, [B32, B32, N], Plain),
    op!("v_cmpx_ne_u32", Vopc, 0xcd, N, [B32, B32, N], Plain),
    op!("v_cmpx_ge_u32", Vopc, 0xce, N, [B32, B32, N], Plain),
    op!("v_cmpx_lt_f16", Vopc, 0x81, N, [B16, B16, N], NoOmod),
    op!("v_cmpx_eq_f16", Vopc, 0x82, N, [B16, B16, N], NoOmod),
    op!("v_cmpx_lt_f64", Vopc, 0xa1, N, [F64, F64, N], NoOmod),
    op!("v_cmpx_eq_f64", Vopc, 0xa2, N, [F64, F64, N], NoOmod),
    op!("v_cmpx_lt_i64", Vopc, 0xd1, N, [B64, B64, N], Plain),
    op!("v_cmpx_eq_u64", Vopc, 0xda, N, [B64, B64, N], Plain),
    op!("v_cmpx_class_f32", Vopc, 0xfe, N, [B32, B32, N], NoOmod),
    op!("v_cmpx_ngt_f32", Vopc, 0x9b, N, [B32, B32, N], NoOmod),
    op!("v_cmpx_lt_u64", Vopc, 0xd9, N, [B64, B64, N], Plain),
    op!("v_cmpx_ne_u64", Vopc, 0xdd, N, [B64, B64, N], Plain),
    op!("v_cmpx_ge_u64", Vopc, 0xde, N, [B64, B64, N], Plain),
    op!("v_cmpx_gt_f64", Vopc, 0xa4, N, [F64, F64, N], NoOmod),
    op!("v_cmpx_lg_f64", Vopc, 0xa5, N, [F64, F64, N], NoOmod),
    op!("v_cmpx_ge_f64", Vopc, 0xa6, N, [F64, F64, N], NoOmod),
    op!("v_cmpx_u_f16", Vopc, 0x88, N, [B16, B16, N], NoOmod),
    op!("v_cmpx_neq_f16", Vopc, 0x8d, N, [B16, B16, N], NoOmod),
    op!("v_cmpx_u_f64", Vopc, 0xa8, N, [F64, F64, N], NoOmod),
    op!("v_cmpx_neq_f64", Vopc, 0xad, N, [F64, F64, N], NoOmod),
    op!("v_cmpx_class_f64", Vopc, 0xff, N, [F64, B32, N], NoOmod),
    // v_fma_mix with an f16 result in the low or high half of the destination.
    op!("v_fma_mixlo_f16", Vop3p, 0x21, B32, [B32, B32, B32], Mix),
    op!("v_fma_mixhi_f16", Vop3p, 0x22, B32, [B32, B32, B32], Mix),
];

//! One wave32 wave: its registers (with which lanes of each have been written), the
//! program counter, and the execution of scalar and program-control instructions.
//! Vector ALU instructions are in `vector.rs`, memory instructions in `access.rs`.

use super::loader::{Cond, Exec, Ins, Program};
use super::memory::Memory;
use super::strict::{Counters, Hazards, LdsRaces};
use egpu_codegen_amdgpu::isa::{Inst, Operand, Ty, sopp};

/// Scalar register indices (the operand codes of the named registers).
pub const VCC_LO: usize = 106;
pub const NULL: usize = 124;
pub const M0: usize = 125;
pub const EXEC_LO: usize = 126;
pub const EXEC_HI: usize = 127;

/// The address the emulator pretends the code starts at (for `s_getpc_b64`).
pub const CODE_BASE: u64 = 0x7f00_0000_0000;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum State {
    Running,
    Barrier,
    Done,
}

/// Everything a wave touches outside itself while it runs.
pub struct Ctx<'a> {
    pub program: &'a Program,
    pub mem: &'a mut Memory,
    pub lds: &'a mut [u8],
    pub races: &'a mut LdsRaces,
}

#[derive(Clone, Debug)]
pub struct Wave {
    /// Wave index within its workgroup.
    pub id: u16,
    pub s: [u32; 128],
    /// Bit r: SGPR r (or named register r) has been written.
    pub s_written: u128,
    pub scc: bool,
    pub scc_written: bool,
    /// VGPR r lane l at `v[r * 32 + l]`.
    pub v: Vec<u32>,
    /// Per VGPR, the lanes written.
    pub v_written: Vec<u32>,
    pub vgprs: usize,
    /// Index of the next instruction in the program.
    pub ip: usize,
    pub state: State,
    pub counters: Counters,
    pub hazards: Hazards,
    pub scratch: Vec<u8>,
    pub scratch_per_lane: usize,
    /// The VALU operand buffer, kept between instructions so it is not cleared each time.
    pub(super) lanes: Option<Box<super::alu::Lanes>>,
    /// Per source slot of `lanes`, the constant it holds in every lane (unmodified), so
    /// an unused slot or a repeated constant is not refilled.
    pub(super) lane_consts: [Option<u64>; 3],
    /// The fast path's rows for constant and scalar sources (`fast.rs`).
    pub(super) spread: [[u32; 32]; 3],
}

/// A register read or written, for messages.
pub fn sreg_name(r: usize) -> String {
    match r {
        VCC_LO => "vcc_lo".into(),
        107 => "vcc_hi".into(),
        NULL => "null".into(),
        M0 => "m0".into(),
        EXEC_LO => "exec_lo".into(),
        EXEC_HI => "exec_hi".into(),
        _ => format!("s{r}"),
    }
}

/// The scalar register index an operand names.
pub fn sreg_index(op: Operand) -> Option<usize> {
    Some(match op {
        Operand::Sgpr(n) => usize::from(n),
        Operand::VccLo => VCC_LO,
        Operand::VccHi => 107,
        Operand::Null => NULL,
        Operand::M0 => M0,
        Operand::ExecLo => EXEC_LO,
        Operand::ExecHi => EXEC_HI,
        _ => return None,
    })
}

/// An inline constant or literal as an operand of type `ty` reads it.
pub fn constant(op: Operand, ty: Ty) -> Option<u64> {
    Some(match op {
        Operand::Int(n) => match ty {
            Ty::B64 | Ty::F64 => n as i64 as u64,
            Ty::B16 | Ty::I16 => u64::from(n as i16 as u16),
            _ => u64::from(n as i32 as u32),
        },
        Operand::Float(c) => match ty {
            Ty::B64 | Ty::F64 => f64::from(f32::from_bits(c.f32_bits())).to_bits(),
            Ty::B16 => u64::from(c.f16_bits()),
            _ => u64::from(c.f32_bits()),
        },
        Operand::Literal(v) => match ty {
            // A 64-bit float literal supplies the high dword.
            Ty::F64 => u64::from(v) << 32,
            _ => u64::from(v),
        },
        _ => return None,
    })
}

impl Wave {
    pub fn new(id: u16, vgprs: usize, scratch_per_lane: usize) -> Wave {
        let mut w = Wave {
            id,
            s: [0; 128],
            s_written: 0,
            scc: false,
            scc_written: false,
            v: vec![0; vgprs * 32],
            v_written: vec![0; vgprs],
            vgprs,
            ip: 0,
            state: State::Running,
            counters: Counters::new(vgprs),
            hazards: Hazards::new(vgprs),
            scratch: vec![0; scratch_per_lane * 32],
            scratch_per_lane,
            lanes: None,
            lane_consts: [None; 3],
            spread: [[0; 32]; 3],
        };
        // null reads as zero; exec_hi is zero in wave32 and M0 needs no setup for LDS.
        w.s_written |= (1u128 << NULL) | (1u128 << EXEC_HI);
        w
    }

    #[inline]
    pub fn exec(&self) -> u32 {
        self.s[EXEC_LO]
    }

    /// Sets a scalar register (writes to `null` vanish).
    pub fn set_s(&mut self, r: usize, v: u32) -> Result<(), String> {
        if r >= 128 || (106 < r && r != VCC_LO + 1 && r < NULL) {
            return Err(format!(
                "write to scalar register {r}, which does not exist"
            ));
        }
        if let Some(pc) = self.counters.sgpr_busy(r) {
            return Err(format!(
                "writes {} while the load at pc {pc:#x} into it is outstanding",
                sreg_name(r)
            ));
        }
        if r != NULL {
            self.s[r] = v;
            self.s_written |= 1u128 << r;
        }
        Ok(())
    }

    /// Reads scalar register `r` (strict: written, and no load outstanding).
    #[inline]
    pub fn get_s(&self, r: usize) -> Result<u32, String> {
        if r >= 128 || self.s_written >> r & 1 == 0 {
            return Err(format!(
                "reads {}, which nothing in this wave has written",
                sreg_name(r)
            ));
        }
        if let Some(pc) = self.counters.sgpr_busy(r) {
            return Err(format!(
                "reads {} before an s_waitcnt covers the load at pc {pc:#x} that writes it",
                sreg_name(r)
            ));
        }
        Ok(self.s[r])
    }

    pub fn get_scc(&self) -> Result<bool, String> {
        if !self.scc_written {
            return Err("reads scc, which nothing in this wave has written".into());
        }
        Ok(self.scc)
    }

    pub fn set_scc(&mut self, v: bool) {
        self.scc = v;
        self.scc_written = true;
    }

    /// A scalar source of type `ty` (1 or 2 dwords; SCC; a constant).
    pub fn read_scalar(&self, op: Operand, ty: Ty) -> Result<u64, String> {
        if let Some(c) = constant(op, ty) {
            return Ok(c);
        }
        if op == Operand::Scc {
            return self.get_scc().map(u64::from);
        }
        let r = sreg_index(op).ok_or_else(|| format!("operand {op:?} is not a scalar source"))?;
        let lo = u64::from(self.get_s(r)?);
        if ty.dwords() == 2 {
            Ok(lo | u64::from(self.get_s(r + 1)?) << 32)
        } else {
            Ok(lo)
        }
    }

    /// Writes a scalar destination of type `ty`.
    pub fn write_scalar(&mut self, op: Operand, ty: Ty, v: u64) -> Result<(), String> {
        let r =
            sreg_index(op).ok_or_else(|| format!("operand {op:?} is not a scalar destination"))?;
        self.set_s(r, v as u32)?;
        if ty.dwords() == 2 && r != NULL {
            self.set_s(r + 1, (v >> 32) as u32)?;
        }
        Ok(())
    }

    /// Checks VGPRs `r..r+n` may be read in the lanes of `lanes` and returns `r`.
    pub fn check_vgprs(&self, r: usize, n: usize, lanes: u32) -> Result<usize, String> {
        for k in r..r + n {
            if k >= self.vgprs {
                return Err(format!(
                    "reads v{k}, beyond the {} VGPRs the descriptor allocates",
                    self.vgprs
                ));
            }
            if let Some(pc) = self.counters.vgpr_busy(k) {
                return Err(format!(
                    "reads v{k} before an s_waitcnt covers the load at pc {pc:#x} that writes it"
                ));
            }
            let missing = lanes & !self.v_written[k];
            if missing != 0 {
                return Err(format!(
                    "reads v{k} in lane {}, which nothing in this wave has written",
                    missing.trailing_zeros()
                ));
            }
        }
        Ok(r)
    }

    /// Checks VGPRs `r..r+n` may be written now.
    pub fn check_vdst(&self, r: usize, n: usize) -> Result<(), String> {
        for k in r..r + n {
            if k >= self.vgprs {
                return Err(format!(
                    "writes v{k}, beyond the {} VGPRs the descriptor allocates",
                    self.vgprs
                ));
            }
            if let Some(pc) = self.counters.vgpr_busy(k) {
                return Err(format!(
                    "writes v{k} while the load at pc {pc:#x} into it is outstanding"
                ));
            }
        }
        Ok(())
    }

    /// `check_vdst` for a load of kind `vm` (vector memory) or LDS: an outstanding load
    /// of the same kind into the register is fine (they return in order).
    pub fn check_load_dst(&self, r: usize, n: usize, vm: bool) -> Result<(), String> {
        for k in r..r + n {
            if k < self.vgprs
                && self.counters.vgpr_busy(k).is_some()
                && self.counters.vgpr_pending_only_in(k, vm)
            {
                continue;
            }
            self.check_vdst(k, 1)?;
        }
        Ok(())
    }

    #[inline]
    pub fn set_v(&mut self, r: usize, lane: usize, v: u32) {
        self.v[r * 32 + lane] = v;
        self.v_written[r] |= 1 << lane;
    }

    #[inline]
    pub fn get_v(&self, r: usize, lane: usize) -> u32 {
        self.v[r * 32 + lane]
    }

    /// Executes one instruction.
    pub fn step(&mut self, ins: &Ins, ctx: &mut Ctx) -> Result<(), String> {
        self.ip += 1;
        match &ins.exec {
            Exec::Scalar { f, scc_in, dst_in } => self.scalar(ins, *f, *scc_in, *dst_in),
            Exec::ScalarK(f) => self.scalar_k(ins, *f),
            Exec::SaveExec(f) => self.save_exec(ins, *f),
            Exec::GetPc => self.get_pc(ins),
            Exec::SetPc => self.set_pc(ins, ctx.program),
            Exec::Branch(c) => self.branch(ins, *c, ctx.program),
            Exec::Waitcnt => {
                if let Inst::Sopp { imm, .. } = ins.inst {
                    let (vm, _exp, lgkm) = sopp::waitcnt_fields(imm);
                    self.counters.wait(usize::from(vm), usize::from(lgkm));
                }
                Ok(())
            }
            Exec::DepCtr => {
                if let Inst::Sopp { imm, .. } = ins.inst
                    && (imm >> 12) & 0xf == 0
                {
                    self.hazards.depctr();
                }
                Ok(())
            }
            Exec::Barrier => {
                if let Some(pc) = self.counters.lds_store_pending() {
                    return Err(format!(
                        "LDS race: s_barrier before an s_waitcnt lgkmcnt covers the LDS store at pc {pc:#x}, so other waves may not see it"
                    ));
                }
                self.state = State::Barrier;
                Ok(())
            }
            Exec::End => {
                self.state = State::Done;
                Ok(())
            }
            Exec::Nop => Ok(()),
            Exec::VNop => {
                self.hazards.issued(false, None, ins.pc);
                self.hazards.wmma_d = None;
                Ok(())
            }
            Exec::CodeEnd => {
                Err("reached s_code_end: the wave ran past the end of its program".into())
            }
            Exec::Smem => self.smem(ins, ctx.mem),
            Exec::Valu { f, cin, trans } => self.valu(ins, *f, *cin, *trans),
            Exec::DivScale(wide) => self.div_scale(ins, *wide),
            Exec::MbcntLo => self.mbcnt_lo(ins),
            Exec::ReadFirstLane | Exec::ReadLane | Exec::WriteLane => self.lane_op(ins),
            Exec::Packed(f) => self.packed(ins, *f),
            Exec::Dot2 | Exec::FmaMix => self.mix(ins),
            Exec::Dual(fx, fy) => self.dual(ins, *fx, *fy),
            Exec::Wmma => self.wmma(ins),
            Exec::Global => self.global(ins, ctx.mem),
            Exec::Scratch => self.scratch_op(ins),
            Exec::Ds => self.ds(ins, ctx),
            Exec::Bad(msg) => Err(msg.clone()),
        }
    }

    fn scalar(
        &mut self,
        ins: &Ins,
        f: super::alu::ScalarFn,
        scc_in: bool,
        dst_in: bool,
    ) -> Result<(), String> {
        if let Some(super::fast::Fast::Scalar { f, a, b, dst }) = ins.fast
            && self.scalar_fast(f, a, b, dst)
        {
            return Ok(());
        }
        let info = ins.inst.op().info();
        let (dst, a, b) = match ins.inst {
            Inst::Sop2 {
                sdst, src0, src1, ..
            } => (sdst, src0, src1),
            Inst::Sop1 { sdst, src0, .. } => (sdst, src0, Operand::None),
            Inst::Sopc { src0, src1, .. } => (Operand::None, src0, src1),
            _ => return Err("not a scalar ALU instruction".into()),
        };
        let x = self.read_scalar(a, info.src[0])?;
        let y = if dst_in {
            self.read_scalar(dst, info.dst)?
        } else if b == Operand::None {
            0
        } else {
            self.read_scalar(b, info.src[1])?
        };
        let scc = if scc_in { self.get_scc()? } else { false };
        let (r, new_scc) = f(x, y, scc);
        if dst != Operand::None && info.dst != Ty::N {
            self.write_scalar(dst, info.dst, r)?;
        }
        if let Some(c) = new_scc {
            self.set_scc(c);
        }
        Ok(())
    }

    fn scalar_k(&mut self, ins: &Ins, f: super::alu::ScalarFn) -> Result<(), String> {
        let Inst::Sopk { sdst, imm, .. } = ins.inst else {
            return Err("not a SOPK instruction".into());
        };
        let reads_dst = !matches!(ins.name, "s_movk_i32");
        let old = if reads_dst {
            self.read_scalar(sdst, Ty::B32)?
        } else {
            0
        };
        let scc = if ins.name == "s_cmovk_i32" {
            self.get_scc()?
        } else {
            false
        };
        let (r, new_scc) = f(old, u64::from(imm), scc);
        if !ins.name.starts_with("s_cmpk") {
            self.write_scalar(sdst, Ty::B32, r)?;
        }
        if let Some(c) = new_scc {
            self.set_scc(c);
        }
        Ok(())
    }

    fn save_exec(&mut self, ins: &Ins, f: fn(u32, u32) -> u32) -> Result<(), String> {
        let Inst::Sop1 { sdst, src0, .. } = ins.inst else {
            return Err("not a SOP1 instruction".into());
        };
        let exec = self.get_s(EXEC_LO)?;
        let src = self.read_scalar(src0, Ty::B32)? as u32;
        self.write_scalar(sdst, Ty::B32, u64::from(exec))?;
        let new = f(src, exec);
        self.set_s(EXEC_LO, new)?;
        self.set_scc(new != 0);
        Ok(())
    }

    fn pc_of(&self, ins: &Ins) -> u64 {
        CODE_BASE + u64::from(ins.pc)
    }

    fn get_pc(&mut self, ins: &Ins) -> Result<(), String> {
        let Inst::Sop1 { sdst, .. } = ins.inst else {
            return Err("not a SOP1 instruction".into());
        };
        let next = self.pc_of(ins) + u64::from(ins.len);
        self.write_scalar(sdst, Ty::B64, next)
    }

    fn jump(&mut self, target: u64, program: &Program) -> Result<(), String> {
        let rel = target.wrapping_sub(CODE_BASE);
        self.ip = program.index(rel).ok_or_else(|| {
            format!("jumps to {target:#x}, which is not the start of an instruction of this kernel")
        })?;
        Ok(())
    }

    fn set_pc(&mut self, ins: &Ins, program: &Program) -> Result<(), String> {
        let Inst::Sop1 { src0, .. } = ins.inst else {
            return Err("not a SOP1 instruction".into());
        };
        let target = self.read_scalar(src0, Ty::B64)?;
        self.jump(target, program)
    }

    fn branch(&mut self, ins: &Ins, cond: Cond, program: &Program) -> Result<(), String> {
        let Inst::Sopp { imm, .. } = ins.inst else {
            return Err("not a SOPP instruction".into());
        };
        let taken = match cond {
            Cond::Always => true,
            Cond::Scc0 => !self.get_scc()?,
            Cond::Scc1 => self.get_scc()?,
            Cond::Vccz => self.get_s(VCC_LO)? == 0,
            Cond::Vccnz => self.get_s(VCC_LO)? != 0,
            Cond::Execz => self.get_s(EXEC_LO)? == 0,
            Cond::Execnz => self.get_s(EXEC_LO)? != 0,
        };
        if taken {
            let next = self.pc_of(ins) + u64::from(ins.len);
            let target = next.wrapping_add_signed(i64::from(imm as i16) * 4);
            self.jump(target, program)?;
        }
        Ok(())
    }
}

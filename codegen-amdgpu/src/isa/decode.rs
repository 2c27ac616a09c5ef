//! Machine code → instruction value. Bytes decode only when every bit is accounted
//! for (reserved bits zero, unused fields zero, operands the opcode accepts), so
//! whatever decodes re-encodes to the same bytes.

use super::error::{DecodeError, hex_bytes};
use super::format::{Cache, Inst, Mods, PMods};
use super::opcode::{Class, Fmt, Op, OpInfo, Ty};
use super::operand::{LITERAL_CODE, Operand};
use super::rules::{check, fmt_name};
use super::vopd::FieldError;

/// Decodes the instruction at the start of `bytes`; returns it and its length.
pub fn decode(bytes: &[u8]) -> Result<(Inst, usize), DecodeError> {
    let mut d = Dec { bytes, len: 4 };
    let w0 = d.word(0)?;
    let inst = match w0 {
        _ if w0 >> 23 == 0x17D => d.sop1(w0)?,
        _ if w0 >> 23 == 0x17E => d.sopc(w0)?,
        _ if w0 >> 23 == 0x17F => d.sopp(w0)?,
        _ if w0 >> 28 == 0xB => d.sopk(w0)?,
        _ if w0 >> 30 == 0b10 => d.sop2(w0)?,
        _ if w0 >> 25 == 0x3F => d.vop1(w0)?,
        _ if w0 >> 25 == 0x3E => d.vopc(w0)?,
        _ if w0 >> 31 == 0 => d.vop2(w0)?,
        _ if w0 >> 26 == 0x3D => d.smem(w0)?,
        _ if w0 >> 26 == 0x35 => d.vop3(w0)?,
        _ if w0 >> 24 == 0xCC => d.vop3p(w0)?,
        _ if w0 >> 26 == 0x37 => d.flat(w0)?,
        _ if w0 >> 26 == 0x36 => d.ds(w0)?,
        _ if w0 >> 26 == 0x38 => d.mubuf(w0)?,
        _ if w0 >> 26 == super::vopd::ENCODING => d.vopd(w0)?,
        _ => return Err(DecodeError::UnknownFormat { bytes: d.hex() }),
    };
    check(&inst).map_err(|err| DecodeError::Invalid {
        op: inst.op().name(),
        err,
        bytes: d.hex(),
    })?;
    Ok((inst, d.len))
}

/// What LLVM writes in the vdst field of a v_cmpx's VOP3 form: exec_lo's code.
pub(super) const CMPX_VDST: u32 = 126;

struct Dec<'a> {
    bytes: &'a [u8],
    /// Bytes consumed so far (grows by 4 for the second dword and for a literal).
    len: usize,
}

fn bits(w: u32, lo: u32, n: u32) -> u32 {
    (w >> lo) & ((1 << n) - 1)
}

impl Dec<'_> {
    fn hex(&self) -> String {
        hex_bytes(&self.bytes[..self.len.min(self.bytes.len())])
    }

    fn word(&mut self, at: usize) -> Result<u32, DecodeError> {
        let end = at + 4;
        self.len = self.len.max(end);
        match self.bytes.get(at..end) {
            Some(b) => Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]])),
            None => Err(DecodeError::Truncated {
                needed: end,
                have: self.bytes.len(),
                bytes: hex_bytes(self.bytes),
            }),
        }
    }

    fn op(&self, fmt: Fmt, code: u32) -> Result<Op, DecodeError> {
        u16::try_from(code)
            .ok()
            .and_then(|c| Op::by_code(fmt, c))
            .ok_or_else(|| DecodeError::UnknownOpcode {
                fmt: fmt_name(fmt),
                code: code as u16,
                bytes: self.hex(),
            })
    }

    fn unsupported(&self, op: Op, field: &'static str) -> DecodeError {
        DecodeError::Unsupported {
            op: op.name(),
            field,
            bytes: self.hex(),
        }
    }

    fn require(&self, op: Op, field: &'static str, ok: bool) -> Result<(), DecodeError> {
        if ok {
            Ok(())
        } else {
            Err(self.unsupported(op, field))
        }
    }

    /// A source field: `Operand::None` (field must be 0) for an absent slot; a literal
    /// code reads the dword after the instruction words.
    fn src(&mut self, op: Op, code: u32, ty: Ty, words: usize) -> Result<Operand, DecodeError> {
        if ty == Ty::N {
            self.require(op, "unused operand field", code == 0)?;
            return Ok(Operand::None);
        }
        let code = code as u16;
        let lit = if code == LITERAL_CODE {
            self.word(words * 4)?
        } else {
            0
        };
        Operand::from_code(code, lit).ok_or_else(|| self.unsupported(op, "operand"))
    }

    /// An 8-bit destination field: a VGPR, or a scalar register for SGPR-file results.
    fn dst(&self, op: Op, field: u32, ty: Ty, scalar: bool) -> Result<Operand, DecodeError> {
        if scalar {
            return Operand::from_code(field as u16, 0)
                .filter(|o| o.is_sreg())
                .ok_or_else(|| self.unsupported(op, "sdst"));
        }
        if ty == Ty::N {
            self.require(op, "unused vdst field", field == 0)?;
            return Ok(Operand::None);
        }
        Ok(Operand::Vgpr(field as u8))
    }

    fn sop2(&mut self, w0: u32) -> Result<Inst, DecodeError> {
        let op = self.op(Fmt::Sop2, bits(w0, 23, 7))?;
        let i = op.info();
        Ok(Inst::Sop2 {
            op,
            sdst: self.src(op, bits(w0, 16, 7), i.dst, 1)?,
            src0: self.src(op, bits(w0, 0, 8), i.src[0], 1)?,
            src1: self.src(op, bits(w0, 8, 8), i.src[1], 1)?,
        })
    }

    fn sop1(&mut self, w0: u32) -> Result<Inst, DecodeError> {
        let op = self.op(Fmt::Sop1, bits(w0, 8, 8))?;
        let i = op.info();
        Ok(Inst::Sop1 {
            op,
            sdst: self.src(op, bits(w0, 16, 7), i.dst, 1)?,
            src0: self.src(op, bits(w0, 0, 8), i.src[0], 1)?,
        })
    }

    fn sopc(&mut self, w0: u32) -> Result<Inst, DecodeError> {
        let op = self.op(Fmt::Sopc, bits(w0, 16, 7))?;
        let i = op.info();
        Ok(Inst::Sopc {
            op,
            src0: self.src(op, bits(w0, 0, 8), i.src[0], 1)?,
            src1: self.src(op, bits(w0, 8, 8), i.src[1], 1)?,
        })
    }

    fn sopk(&mut self, w0: u32) -> Result<Inst, DecodeError> {
        let op = self.op(Fmt::Sopk, bits(w0, 23, 5))?;
        let sdst = self.src(op, bits(w0, 16, 7), op.info().dst, 1)?;
        Ok(Inst::Sopk {
            op,
            sdst,
            imm: w0 as u16,
        })
    }

    fn sopp(&mut self, w0: u32) -> Result<Inst, DecodeError> {
        let op = self.op(Fmt::Sopp, bits(w0, 16, 7))?;
        Ok(Inst::Sopp { op, imm: w0 as u16 })
    }

    /// MUBUF: only the operandless cache invalidates, every other field 0.
    fn mubuf(&mut self, w0: u32) -> Result<Inst, DecodeError> {
        let op = self.op(Fmt::Mubuf, bits(w0, 18, 8))?;
        let w1 = self.word(4)?;
        self.require(op, "operands", w0 & 0x3_ffff == 0 && w1 == 0)?;
        Ok(Inst::Sopp { op, imm: 0 })
    }

    fn smem(&mut self, w0: u32) -> Result<Inst, DecodeError> {
        let op = self.op(Fmt::Smem, bits(w0, 18, 8))?;
        let w1 = self.word(4)?;
        self.require(
            op,
            "reserved bits",
            bits(w0, 15, 3) == 0 && bits(w1, 21, 4) == 0,
        )?;
        let offset = ((w1 << 11) as i32) >> 11;
        let soffset = Operand::from_code(bits(w1, 25, 7) as u16, 0)
            .ok_or_else(|| self.unsupported(op, "soffset"))?;
        Ok(Inst::Smem {
            op,
            sdata: Operand::Sgpr(bits(w0, 6, 7) as u8),
            sbase: Operand::Sgpr((bits(w0, 0, 6) * 2) as u8),
            soffset,
            offset,
            cache: Cache {
                glc: bits(w0, 14, 1) == 1,
                slc: false,
                dlc: bits(w0, 13, 1) == 1,
            },
        })
    }

    fn vop1(&mut self, w0: u32) -> Result<Inst, DecodeError> {
        let op = self.op(Fmt::Vop1, bits(w0, 9, 8))?;
        let i = op.info();
        let vdst = self.dst(op, bits(w0, 17, 8), i.dst, i.class == Class::ReadLane)?;
        let src0 = self.src(op, bits(w0, 0, 9), i.src[0], 1)?;
        Ok(valu_e32(
            op,
            vdst,
            Operand::None,
            [src0, Operand::None, Operand::None],
        ))
    }

    fn vop2(&mut self, w0: u32) -> Result<Inst, DecodeError> {
        let op = self.op(Fmt::Vop2, bits(w0, 25, 6))?;
        let i = op.info();
        let vdst = self.dst(op, bits(w0, 17, 8), i.dst, false)?;
        let src0 = self.src(op, bits(w0, 0, 9), i.src[0], 1)?;
        let src1 = Operand::Vgpr(bits(w0, 9, 8) as u8);
        // v_fmaak/fmamk: K is the literal dword, always present (src0 may share it).
        if matches!(i.class, Class::KLast | Class::KMid) {
            let k = Operand::Literal(self.word(4)?);
            let src = if i.class == Class::KLast {
                [src0, src1, k]
            } else {
                [src0, k, src1]
            };
            return Ok(valu_e32(op, vdst, Operand::None, src));
        }
        let carry = matches!(i.class, Class::CndMask | Class::CoCi);
        let src2 = if carry { Operand::VccLo } else { Operand::None };
        let sdst = if i.class == Class::CoCi {
            Operand::VccLo
        } else {
            Operand::None
        };
        Ok(valu_e32(op, vdst, sdst, [src0, src1, src2]))
    }

    fn vopc(&mut self, w0: u32) -> Result<Inst, DecodeError> {
        let op = self.op(Fmt::Vopc, bits(w0, 17, 8))?;
        let src0 = self.src(op, bits(w0, 0, 9), op.info().src[0], 1)?;
        let src1 = Operand::Vgpr(bits(w0, 9, 8) as u8);
        // A v_cmpx writes EXEC, which no operand names; a v_cmp writes VCC_LO.
        let vdst = if op.info().is_cmpx() {
            Operand::None
        } else {
            Operand::VccLo
        };
        Ok(valu_e32(
            op,
            vdst,
            Operand::None,
            [src0, src1, Operand::None],
        ))
    }

    fn vop3_op(&self, code: u32) -> Result<Op, DecodeError> {
        if let Ok(op) = self.op(Fmt::Vop3, code) {
            return Ok(op);
        }
        match code {
            0x180..=0x1ff => self.op(Fmt::Vop1, code - 0x180),
            0x100..=0x17f => self.op(Fmt::Vop2, code - 0x100),
            0..=0xff => self.op(Fmt::Vopc, code),
            _ => self.op(Fmt::Vop3, code),
        }
    }

    fn vop3(&mut self, w0: u32) -> Result<Inst, DecodeError> {
        let op = self.vop3_op(bits(w0, 16, 10))?;
        let i = op.info();
        let w1 = self.word(4)?;
        let sd = matches!(i.class, Class::CoCi | Class::Sd | Class::SdFloat);
        let scalar_dst = (i.fmt == Fmt::Vopc && !i.is_cmpx()) || i.class == Class::ReadLane;
        let vdst = if i.is_cmpx() {
            // The VOP3 form of a v_cmpx holds exec_lo in its vdst field.
            self.require(op, "vdst field", bits(w0, 0, 8) == CMPX_VDST)?;
            Operand::None
        } else {
            self.dst(op, bits(w0, 0, 8), i.dst, scalar_dst)?
        };
        let (sdst, abs) = if sd {
            let s = Operand::from_code(bits(w0, 8, 7) as u16, 0)
                .ok_or_else(|| self.unsupported(op, "sdst"))?;
            (s, 0)
        } else {
            self.require(op, "op_sel", bits(w0, 11, 4) == 0)?;
            (Operand::None, bits(w0, 8, 3) as u8)
        };
        let src = self.srcs3(op, i, w1)?;
        Ok(Inst::Valu {
            op,
            e64: true,
            vdst,
            sdst,
            src,
            mods: Mods {
                neg: bits(w1, 29, 3) as u8,
                abs,
                clamp: bits(w0, 15, 1) == 1,
                omod: bits(w1, 27, 2) as u8,
            },
        })
    }

    fn srcs3(&mut self, op: Op, i: &OpInfo, w1: u32) -> Result<[Operand; 3], DecodeError> {
        Ok([
            self.src(op, bits(w1, 0, 9), i.src[0], 2)?,
            self.src(op, bits(w1, 9, 9), i.src[1], 2)?,
            self.src(op, bits(w1, 18, 9), i.src[2], 2)?,
        ])
    }

    fn vop3p(&mut self, w0: u32) -> Result<Inst, DecodeError> {
        let op = self.op(Fmt::Vop3p, bits(w0, 16, 8))?;
        let i = op.info();
        let w1 = self.word(4)?;
        let vdst = self.dst(op, bits(w0, 0, 8), i.dst, false)?;
        let src = self.srcs3(op, i, w1)?;
        Ok(Inst::Vop3p {
            op,
            vdst,
            src,
            mods: PMods {
                neg_lo: bits(w1, 29, 3) as u8,
                neg_hi: bits(w0, 8, 3) as u8,
                op_sel: bits(w0, 11, 3) as u8,
                op_sel_hi: (bits(w1, 27, 2) | (bits(w0, 14, 1) << 2)) as u8,
                clamp: bits(w0, 15, 1) == 1,
            },
        })
    }

    fn flat(&mut self, w0: u32) -> Result<Inst, DecodeError> {
        let fmt = match bits(w0, 16, 2) {
            0 => Fmt::Flat,
            1 => Fmt::Scratch,
            2 => Fmt::Global,
            _ => return Err(DecodeError::UnknownFormat { bytes: self.hex() }),
        };
        let op = self.op(fmt, bits(w0, 18, 7))?;
        let i = op.info();
        let w1 = self.word(4)?;
        let sve = bits(w1, 23, 1) == 1;
        let reserved_ok = bits(w0, 25, 1) == 0 && (fmt == Fmt::Scratch || !sve);
        self.require(op, "reserved bits", reserved_ok)?;
        // SCRATCH without SVE has no VGPR offset: the field must be 0 and prints `off`.
        let addr = if fmt == Fmt::Scratch && !sve {
            self.require(op, "unused vaddr field", bits(w1, 0, 8) == 0)?;
            Operand::None
        } else {
            Operand::Vgpr(bits(w1, 0, 8) as u8)
        };
        let glc = bits(w0, 14, 1) == 1;
        let returns = i.class == Class::Load || (i.class == Class::Atomic && glc);
        let vdst_ty = if returns { i.dst } else { Ty::N };
        Ok(Inst::Flat {
            op,
            vdst: self.dst(op, bits(w1, 24, 8), vdst_ty, false)?,
            addr,
            data: self.dst(op, bits(w1, 8, 8), i.src[1], false)?,
            saddr: Operand::from_code(bits(w1, 16, 7) as u16, 0)
                .ok_or_else(|| self.unsupported(op, "saddr"))?,
            offset: ((w0 << 19) as i32 >> 19) as i16,
            cache: Cache {
                glc,
                slc: bits(w0, 15, 1) == 1,
                dlc: bits(w0, 13, 1) == 1,
            },
        })
    }

    fn vopd(&mut self, w0: u32) -> Result<Inst, DecodeError> {
        let fields = super::vopd::Fields::new(w0, self.word(4)?);
        let lit = if fields.needs_literal() {
            self.word(8)?
        } else {
            0
        };
        fields.inst(lit).map_err(|e| match e {
            FieldError::Opcode(fmt, code) => DecodeError::UnknownOpcode {
                fmt,
                code,
                bytes: self.hex(),
            },
            FieldError::Field(op, field) => DecodeError::Unsupported {
                op,
                field,
                bytes: self.hex(),
            },
        })
    }

    fn ds(&mut self, w0: u32) -> Result<Inst, DecodeError> {
        let op = self.op(Fmt::Ds, bits(w0, 18, 8))?;
        let i = op.info();
        let w1 = self.word(4)?;
        self.require(op, "reserved bit", bits(w0, 16, 1) == 0)?;
        let offset = bits(w0, 0, 16) as u16;
        if i.class == Class::Swizzle {
            self.require(
                op,
                "swizzle pattern",
                super::swizzle::print(offset).is_some(),
            )?;
        }
        let dst_ty = match i.class {
            Class::Load | Class::Load2 | Class::Rtn | Class::Swizzle => i.dst,
            _ => Ty::N,
        };
        let (d0_ty, d1_ty) = match i.class {
            Class::Store | Class::Store2 | Class::Rtn => (i.src[1], i.src[2]),
            _ => (Ty::N, Ty::N),
        };
        Ok(Inst::Ds {
            op,
            vdst: self.dst(op, bits(w1, 24, 8), dst_ty, false)?,
            addr: Operand::Vgpr(bits(w1, 0, 8) as u8),
            data0: self.dst(op, bits(w1, 8, 8), d0_ty, false)?,
            data1: self.dst(op, bits(w1, 16, 8), d1_ty, false)?,
            offset0: bits(w0, 0, 8) as u8,
            offset1: bits(w0, 8, 8) as u8,
            gds: bits(w0, 17, 1) == 1,
        })
    }
}

fn valu_e32(op: Op, vdst: Operand, sdst: Operand, src: [Operand; 3]) -> Inst {
    Inst::Valu {
        op,
        e64: false,
        vdst,
        sdst,
        src,
        mods: Mods::default(),
    }
}

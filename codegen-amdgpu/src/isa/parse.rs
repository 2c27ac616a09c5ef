//! Assembly text → instruction value, for the syntax `print` writes (LLVM's). Used by
//! tests and tools to state instructions the way LLVM's documentation does.

use super::error::ParseError;
use super::format::{Cache, Inst, Mods, PMods};
use super::opcode::{Class, Fmt, Op, OpInfo, Ty};
use super::operand::Operand;
use super::parse_operand::{Src, bit_list, parse_int, split_top, src};
use super::rules::check;

/// Parses one instruction in LLVM's syntax.
pub fn parse(text: &str) -> Result<Inst, ParseError> {
    let text = text.trim();
    if text.contains("::") {
        return super::parse_vopd::parse(text);
    }
    let (mnemonic, rest) = text.split_once(' ').unwrap_or((text, ""));
    let (base, e64) = match mnemonic.rsplit_once('_') {
        Some((b, "e32")) => (b, Some(false)),
        Some((b, "e64")) => (b, Some(true)),
        _ => (mnemonic, None),
    };
    let op = Op::by_name(base).ok_or_else(|| ParseError::UnknownMnemonic(mnemonic.into()))?;
    let info = op.info();
    let p = Line::split(text, rest)?;
    let inst = match info.fmt {
        Fmt::Sopp | Fmt::Mubuf => {
            let imm = super::sopp::parse_imm(info, rest).ok_or_else(|| p.bad("bad immediate"))?;
            Inst::Sopp { op, imm }
        }
        Fmt::Sop2 | Fmt::Sop1 | Fmt::Sopc | Fmt::Sopk => p.salu(op, info)?,
        Fmt::Smem => p.smem(op, info)?,
        Fmt::Vop1 | Fmt::Vop2 | Fmt::Vopc | Fmt::Vop3 => {
            let e64 = e64.unwrap_or(info.fmt == Fmt::Vop3);
            p.valu(op, info, e64)?
        }
        Fmt::Vop3p => p.vop3p(op, info)?,
        Fmt::Flat | Fmt::Scratch | Fmt::Global => p.flat(op, info)?,
        Fmt::Ds => p.ds(op, info)?,
        Fmt::Vopd => return Err(p.bad("a VOPD half needs its partner (`X :: Y`)")),
    };
    check(&inst).map_err(|err| ParseError::Invalid {
        text: text.into(),
        err,
    })?;
    Ok(inst)
}

struct Line<'a> {
    text: &'a str,
    ops: Vec<&'a str>,
    mods: Vec<&'a str>,
}

impl<'a> Line<'a> {
    fn split(text: &'a str, rest: &'a str) -> Result<Line<'a>, ParseError> {
        let mut ops = split_top(rest);
        let mut mods = Vec::new();
        if let Some(last) = ops.pop() {
            let mut words = last.split_whitespace();
            if let Some(first) = words.next() {
                ops.push(first);
            }
            mods.extend(words);
        }
        ops.retain(|o| !o.is_empty());
        Ok(Line { text, ops, mods })
    }

    fn bad(&self, what: &'static str) -> ParseError {
        ParseError::Bad {
            text: self.text.into(),
            what,
        }
    }

    fn count(&self, n: usize) -> Result<(), ParseError> {
        if self.ops.len() == n {
            Ok(())
        } else {
            Err(self.bad("wrong number of operands"))
        }
    }

    /// Operand `i`, which must have type `ty` (its register count must match).
    fn src(&self, i: usize, ty: Ty) -> Result<Src, ParseError> {
        let s = self.ops.get(i).ok_or_else(|| self.bad("missing operand"))?;
        let x = src(s).ok_or_else(|| self.bad("unreadable operand"))?;
        let w = ty.dwords();
        let width_ok = match x.o {
            Operand::Sgpr(_) | Operand::Vgpr(_) => x.width == w,
            Operand::VccLo | Operand::ExecLo => x.width == w.clamp(1, 2),
            _ => true,
        };
        if width_ok {
            Ok(x)
        } else {
            Err(self.bad("register range of the wrong width"))
        }
    }

    fn opnd(&self, i: usize, ty: Ty) -> Result<Operand, ParseError> {
        let x = self.src(i, ty)?;
        if x.neg || x.abs {
            return Err(self.bad("modifier not allowed on this operand"));
        }
        Ok(x.o)
    }

    fn has(&self, m: &str) -> bool {
        self.mods.contains(&m)
    }

    fn modv(&self, key: &str) -> Option<&'a str> {
        self.mods
            .iter()
            .find_map(|m| m.strip_prefix(key)?.strip_prefix(':'))
    }

    fn known_mods(&self, allowed: &[&str]) -> Result<(), ParseError> {
        let ok = self.mods.iter().all(|m| {
            let key = m.split(':').next().unwrap_or(m);
            allowed.contains(&key)
        });
        if ok {
            Ok(())
        } else {
            Err(self.bad("unknown modifier"))
        }
    }

    fn cache(&self) -> Cache {
        Cache {
            glc: self.has("glc"),
            slc: self.has("slc"),
            dlc: self.has("dlc"),
        }
    }

    fn salu(&self, op: Op, info: &OpInfo) -> Result<Inst, ParseError> {
        self.known_mods(&[])?;
        let n = usize::from(info.dst != Ty::N) + info.num_src();
        Ok(match info.fmt {
            Fmt::Sop2 => {
                self.count(3)?;
                Inst::Sop2 {
                    op,
                    sdst: self.opnd(0, info.dst)?,
                    src0: self.opnd(1, info.src[0])?,
                    src1: self.opnd(2, info.src[1])?,
                }
            }
            Fmt::Sop1 => {
                self.count(n)?;
                let has_dst = info.dst != Ty::N;
                let sdst = if has_dst {
                    self.opnd(0, info.dst)?
                } else {
                    Operand::None
                };
                let src0 = if info.src[0] != Ty::N {
                    self.opnd(usize::from(has_dst), info.src[0])?
                } else {
                    Operand::None
                };
                Inst::Sop1 { op, sdst, src0 }
            }
            Fmt::Sopc => {
                self.count(2)?;
                Inst::Sopc {
                    op,
                    src0: self.opnd(0, info.src[0])?,
                    src1: self.opnd(1, info.src[1])?,
                }
            }
            _ => {
                self.count(2)?;
                let imm = self.ops.get(1).and_then(|s| parse_int(s));
                let imm = imm
                    .and_then(|v| u16::try_from(v).ok())
                    .ok_or_else(|| self.bad("bad simm16"))?;
                Inst::Sopk {
                    op,
                    sdst: self.opnd(0, info.dst)?,
                    imm,
                }
            }
        })
    }

    fn smem(&self, op: Op, info: &OpInfo) -> Result<Inst, ParseError> {
        self.known_mods(&["offset", "glc", "dlc"])?;
        self.count(3)?;
        let third = self.ops[2];
        let (soffset, offset) = match parse_int(third) {
            Some(v) => (Operand::Null, v),
            None => {
                let off = self.modv("offset").map_or(Some(0), parse_int);
                (
                    self.opnd(2, Ty::B32)?,
                    off.ok_or_else(|| self.bad("bad offset"))?,
                )
            }
        };
        Ok(Inst::Smem {
            op,
            sdata: self.opnd(0, info.dst)?,
            sbase: self.opnd(1, Ty::R2)?,
            soffset,
            offset: i32::try_from(offset).map_err(|_| self.bad("offset out of range"))?,
            cache: self.cache(),
        })
    }

    fn valu(&self, op: Op, info: &OpInfo, e64: bool) -> Result<Inst, ParseError> {
        self.known_mods(&["clamp", "mul", "div"])?;
        let scalar_dst =
            (info.fmt == Fmt::Vopc && !info.is_cmpx()) || info.class == Class::ReadLane;
        let dst_ty = if scalar_dst { Ty::B32 } else { info.dst };
        let has_dst = dst_ty != Ty::N;
        let has_sdst = matches!(info.class, Class::CoCi | Class::Sd | Class::SdFloat);
        let first = usize::from(has_dst) + usize::from(has_sdst);
        let n = info.num_src();
        self.count(first + n)?;
        let vdst = if has_dst {
            self.opnd(0, dst_ty)?
        } else {
            Operand::None
        };
        let sdst = if has_sdst {
            self.opnd(1, Ty::B32)?
        } else {
            Operand::None
        };
        let mut src = [Operand::None; 3];
        let mut mods = Mods::default();
        for (i, slot) in src.iter_mut().enumerate().take(n) {
            let x = self.src(first + i, info.src[i])?;
            *slot = x.o;
            mods.neg |= u8::from(x.neg) << i;
            mods.abs |= u8::from(x.abs) << i;
        }
        mods.clamp = self.has("clamp");
        mods.omod = match (self.modv("mul"), self.modv("div")) {
            (None, None) => 0,
            (Some("2"), None) => 1,
            (Some("4"), None) => 2,
            (None, Some("2")) => 3,
            _ => return Err(self.bad("bad output modifier")),
        };
        Ok(Inst::Valu {
            op,
            e64,
            vdst,
            sdst,
            src,
            mods,
        })
    }

    fn vop3p(&self, op: Op, info: &OpInfo) -> Result<Inst, ParseError> {
        self.known_mods(&["op_sel", "op_sel_hi", "neg_lo", "neg_hi", "clamp"])?;
        let n = info.num_src();
        self.count(1 + n)?;
        let mut src = [Operand::None; 3];
        for (i, slot) in src.iter_mut().enumerate().take(n) {
            *slot = self.opnd(1 + i, info.src[i])?;
        }
        let list = |key: &str| -> Result<Option<u8>, ParseError> {
            match self.modv(key) {
                None => Ok(None),
                Some(v) => bit_list(v)
                    .map(Some)
                    .ok_or_else(|| self.bad("bad bit list")),
            }
        };
        let default_hi = if info.class == Class::Mix { 0 } else { 0b111 };
        let used = ((1u16 << n) - 1) as u8;
        let op_sel_hi = match list("op_sel_hi")? {
            Some(v) => (default_hi & !used) | v,
            None => default_hi,
        };
        Ok(Inst::Vop3p {
            op,
            vdst: self.opnd(0, info.dst)?,
            src,
            mods: PMods {
                neg_lo: list("neg_lo")?.unwrap_or(0),
                neg_hi: list("neg_hi")?.unwrap_or(0),
                op_sel: list("op_sel")?.unwrap_or(0),
                op_sel_hi,
                clamp: self.has("clamp"),
            },
        })
    }

    fn offset(&self, key: &str) -> Result<i64, ParseError> {
        match self.modv(key) {
            None => Ok(0),
            Some(v) => parse_int(v).ok_or_else(|| self.bad("bad offset")),
        }
    }

    fn flat(&self, op: Op, info: &OpInfo) -> Result<Inst, ParseError> {
        self.known_mods(&["offset", "glc", "slc", "dlc"])?;
        let cache = self.cache();
        let returns = info.class == Class::Load || (info.class == Class::Atomic && cache.glc);
        let has_data = info.class != Class::Load;
        // GLOBAL and SCRATCH name their SGPR operand (or `off`); FLAT has none.
        let has_saddr = info.fmt != Fmt::Flat;
        let scratch = info.fmt == Fmt::Scratch;
        self.count(usize::from(returns) + 1 + usize::from(has_data) + usize::from(has_saddr))?;
        let mut i = 0;
        let mut next = || {
            i += 1;
            i - 1
        };
        let vdst = if returns {
            self.opnd(next(), info.dst)?
        } else {
            Operand::None
        };
        let addr_i = next();
        let data = if has_data {
            self.opnd(next(), info.src[1])?
        } else {
            Operand::None
        };
        let saddr_ty = if scratch { Ty::R1 } else { Ty::R2 };
        let saddr = if has_saddr {
            self.opnd(next(), saddr_ty)?
        } else {
            Operand::Null
        };
        let addr_ty = if saddr == Operand::Null && !scratch {
            Ty::R2
        } else {
            Ty::R1
        };
        // A SCRATCH access without a VGPR offset writes `off` there.
        let addr = match self.opnd(addr_i, addr_ty)? {
            Operand::Null if scratch => Operand::None,
            a => a,
        };
        let offset = self.offset("offset")?;
        Ok(Inst::Flat {
            op,
            vdst,
            addr,
            data,
            saddr,
            offset: i16::try_from(offset).map_err(|_| self.bad("offset out of range"))?,
            cache,
        })
    }

    fn ds(&self, op: Op, info: &OpInfo) -> Result<Inst, ParseError> {
        self.known_mods(&["offset", "offset0", "offset1", "gds"])?;
        let c = info.class;
        let has_dst = matches!(c, Class::Load | Class::Load2 | Class::Rtn | Class::Swizzle);
        let has_d0 = matches!(c, Class::Store | Class::Store2 | Class::Rtn);
        let has_d1 = c == Class::Store2;
        self.count(usize::from(has_dst) + 1 + usize::from(has_d0) + usize::from(has_d1))?;
        let mut i = 0;
        let mut take = |present: bool, ty: Ty| -> Result<Operand, ParseError> {
            if !present {
                return Ok(Operand::None);
            }
            i += 1;
            self.opnd(i - 1, ty)
        };
        let vdst = take(has_dst, info.dst)?;
        let addr = take(true, Ty::R1)?;
        let data0 = take(has_d0, info.src[1])?;
        let data1 = take(has_d1, info.src[2])?;
        let (offset0, offset1) = match c {
            Class::Load2 | Class::Store2 => (self.offset("offset0")?, self.offset("offset1")?),
            _ => {
                let off = match (c, self.modv("offset")) {
                    (_, None) => 0,
                    (Class::Swizzle, Some(v)) => {
                        i64::from(super::swizzle::parse(v).ok_or_else(|| self.bad("bad swizzle"))?)
                    }
                    (_, Some(v)) => parse_int(v).ok_or_else(|| self.bad("bad offset"))?,
                };
                (off & 0xff, off >> 8)
            }
        };
        let byte = |v: i64| u8::try_from(v).map_err(|_| self.bad("offset out of range"));
        Ok(Inst::Ds {
            op,
            vdst,
            addr,
            data0,
            data1,
            offset0: byte(offset0)?,
            offset1: byte(offset1)?,
            gds: self.has("gds"),
        })
    }
}

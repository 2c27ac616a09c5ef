//! Vector ALU execution: the generic per-lane loop every VOP1/VOP2/VOPC/VOP3 op runs
//! through (sources, modifiers, carry/condition masks, destinations, strict checks and
//! hazards), cross-lane moves, packed math and WMMA.

use super::alu::{HalfFn, Lanes, VectorFn};
use super::loader::{Cin, Ins};
use super::wave::{VCC_LO, Wave};
use egpu_codegen_amdgpu::isa::{Class, Fmt, Inst, Mods, Operand, Ty};
use half::{bf16, f16};

/// A source resolved for the lane loop.
#[derive(Clone, Copy, Debug)]
enum Src {
    Const(u64),
    V1(usize),
    V2(usize),
}

impl Src {
    /// Every lane's value (lanes outside `exec` may hold anything).
    #[inline]
    fn gather(self, w: &Wave, out: &mut [u64; 32]) {
        match self {
            Src::Const(c) => *out = [c; 32],
            Src::V1(r) => {
                for (o, &v) in out.iter_mut().zip(&w.v[r * 32..r * 32 + 32]) {
                    *o = u64::from(v);
                }
            }
            Src::V2(r) => {
                let (lo, hi) = (
                    &w.v[r * 32..r * 32 + 32],
                    &w.v[(r + 1) * 32..(r + 1) * 32 + 32],
                );
                for (o, (&a, &b)) in out.iter_mut().zip(lo.iter().zip(hi)) {
                    *o = u64::from(a) | u64::from(b) << 32;
                }
            }
        }
    }

    #[inline]
    fn lane(self, w: &Wave, l: usize) -> u64 {
        match self {
            Src::Const(c) => c,
            Src::V1(r) => u64::from(w.v[r * 32 + l]),
            Src::V2(r) => u64::from(w.v[r * 32 + l]) | u64::from(w.v[(r + 1) * 32 + l]) << 32,
        }
    }
}

fn sign_bit(ty: Ty) -> u64 {
    match ty.dwords() {
        2 => 1 << 63,
        _ if ty.is_16bit() => 1 << 15,
        _ => 1 << 31,
    }
}

/// Float output modifiers: omod scaling, then clamp to [0, 1].
fn out_mods(r: u64, ty: Ty, mods: &Mods) -> u64 {
    let scale = [1.0, 2.0, 4.0, 0.5][usize::from(mods.omod & 3)];
    let clamp = |x: f64| {
        if mods.clamp {
            if x.is_nan() { 0.0 } else { x.clamp(0.0, 1.0) }
        } else {
            x
        }
    };
    match ty.dwords() {
        2 => clamp(f64::from_bits(r) * scale).to_bits(),
        _ if ty.is_16bit() => {
            let x = f64::from(f16::from_bits(r as u16).to_f32());
            u64::from(f16::from_f64(clamp(x * scale)).to_bits())
        }
        _ => {
            let x = f64::from(f32::from_bits(r as u32)) * scale;
            u64::from((clamp(x) as f32).to_bits())
        }
    }
}

/// Runs `f` for each lane set in `mask`.
#[inline(always)]
fn each_lane(mask: u32, mut f: impl FnMut(usize)) {
    let mut m = mask;
    while m != 0 {
        f(m.trailing_zeros() as usize);
        m &= m - 1;
    }
}

fn is_float_class(c: Class) -> bool {
    matches!(
        c,
        Class::Float | Class::FloatOut | Class::NoOmod | Class::SdFloat | Class::NoE64
    )
}

impl Wave {
    /// A VALU source: VGPRs are checked in the active lanes, scalars read once.
    #[inline(always)]
    fn vsrc(&self, op: Operand, ty: Ty, exec: u32) -> Result<Src, String> {
        // The common case, one VGPR every active lane of which may be read, without
        // the generic checks' loops; anything else takes the full path below.
        if let Operand::Vgpr(r) = op {
            let r = usize::from(r);
            if ty.dwords() <= 1
                && r < self.vgprs
                && self.v_written[r] & exec == exec
                && self.counters.vgpr_busy(r).is_none()
                && self.hazards.trans_use(r).is_none()
            {
                return Ok(Src::V1(r));
            }
        }
        self.vsrc_checked(op, ty, exec)
    }

    /// `vsrc` with every check, in order, each failure a message.
    fn vsrc_checked(&self, op: Operand, ty: Ty, exec: u32) -> Result<Src, String> {
        if let Operand::Vgpr(r) = op {
            let n = usize::from(ty.dwords().max(1));
            let r = self.check_vgprs(usize::from(r), n, exec)?;
            for k in r..r + n {
                if let Some(pc) = self.hazards.trans_use(k) {
                    return Err(format!(
                        "hazard: reads v{k}, written by the transcendental op at pc {pc:#x}, without s_waitcnt_depctr in between"
                    ));
                }
            }
            return Ok(if n == 2 { Src::V2(r) } else { Src::V1(r) });
        }
        Ok(Src::Const(self.read_scalar(op, ty)?))
    }

    pub(super) fn valu(
        &mut self,
        ins: &Ins,
        f: VectorFn,
        cin: Cin,
        trans: bool,
    ) -> Result<(), String> {
        if let Some(plan @ super::fast::Fast::Valu { .. }) = &ins.fast
            && self.valu_fast(plan, ins.pc)
        {
            return Ok(());
        }
        if let Some(super::fast::Fast::Compare { compare, src, dst }) = &ins.fast
            && self.compare_fast(*compare, src, *dst, ins.pc)
        {
            return Ok(());
        }
        let Inst::Valu {
            op,
            vdst,
            sdst,
            src,
            mods,
            ..
        } = ins.inst
        else {
            return Err("not a VALU instruction".into());
        };
        let info = op.info();
        let exec = self.exec();
        let mut srcs = [Src::Const(0); 3];
        for i in 0..3 {
            if info.src[i] != Ty::N && src[i] != Operand::None && !(i == 2 && cin == Cin::Src2) {
                srcs[i] = self.vsrc(src[i], info.src[i], exec)?;
            }
        }
        if info.class == Class::NoE64 {
            // v_fmac: the destination is the accumulator.
            srcs[2] = self.vsrc(vdst, info.dst, exec)?;
        }
        let cmask = match cin {
            Cin::None => 0,
            Cin::Src2 => self.read_scalar(src[2], Ty::B32)? as u32,
            Cin::Vcc => self.get_s(VCC_LO)?,
        };
        let float = is_float_class(info.class);
        if mods.clamp && !float {
            return Err(format!(
                "{}: clamp on an integer op is not modelled",
                ins.name
            ));
        }
        let (neg, abs) = (mods.neg, mods.abs);
        let out_mod = float && (mods.clamp || mods.omod != 0);
        let bit_out =
            info.fmt == Fmt::Vopc || matches!(info.class, Class::Sd | Class::CoCi | Class::SdFloat);
        let vreg = match vdst {
            Operand::Vgpr(r) if info.fmt != Fmt::Vopc && info.dst != Ty::N => Some(usize::from(r)),
            _ => None,
        };
        let width = usize::from(info.dst.dwords().max(1));
        if let Some(r) = vreg {
            self.check_vdst(r, width)?;
            if matches!(ins.name, "v_mad_u64_u32" | "v_mad_i64_i32") {
                overlap_check(&src, r, ins.name)?;
            }
        }
        let mut lanes = self.lanes.take().unwrap_or_else(|| {
            Box::new(Lanes {
                src: [[0; 32]; 3],
                cin: 0,
                exec: 0,
                out: [0; 32],
                bits: 0,
            })
        });
        (lanes.cin, lanes.exec) = (cmask, exec);
        for (i, src) in srcs.iter().enumerate() {
            let (clear, flip) = (abs >> i & 1 == 1, neg >> i & 1 == 1);
            let plain = match *src {
                Src::Const(c) if !clear && !flip => Some(c),
                _ => None,
            };
            let held = plain.is_some() && self.lane_consts[i] == plain;
            self.lane_consts[i] = plain;
            if held {
                continue;
            }
            src.gather(self, &mut lanes.src[i]);
            let sb = sign_bit(info.src[i]);
            if clear || flip {
                for v in lanes.src[i].iter_mut() {
                    *v = if clear { *v & !sb } else { *v } ^ if flip { sb } else { 0 };
                }
            }
        }
        f(&mut lanes);
        let mask = lanes.bits;
        if let Some(d) = vreg {
            self.write_back(
                &lanes.out,
                d,
                width,
                exec,
                out_mod.then_some((info.dst, &mods)),
            );
        }
        self.lanes = Some(lanes);
        if bit_out {
            let target = if info.fmt == Fmt::Vopc { vdst } else { sdst };
            self.write_scalar(target, Ty::B32, u64::from(mask))?;
        }
        self.hazards.issued(trans, vreg.map(|r| (r, width)), ins.pc);
        self.hazards.wmma_d = None;
        Ok(())
    }

    /// Writes the active lanes of `out` to VGPR `d` (and `d + 1` when `width` is 2),
    /// applying float output modifiers when given. The common case (one dword, no
    /// modifiers) is its own loop, and a full EXEC a straight copy, because this runs
    /// once per VALU instruction.
    #[inline]
    fn write_back(
        &mut self,
        out: &[u64; 32],
        d: usize,
        width: usize,
        exec: u32,
        out_mod: Option<(Ty, &Mods)>,
    ) {
        let lo = &mut self.v[d * 32..d * 32 + 32];
        match (out_mod, width) {
            (None, 1) if exec == u32::MAX => {
                for (v, &r) in lo.iter_mut().zip(out) {
                    *v = r as u32;
                }
            }
            (None, 1) => each_lane(exec, |l| lo[l] = out[l] as u32),
            _ => {
                let mut m = exec;
                while m != 0 {
                    let l = m.trailing_zeros() as usize;
                    m &= m - 1;
                    let mut r = out[l];
                    if let Some((ty, mods)) = out_mod {
                        r = out_mods(r, ty, mods);
                    }
                    self.v[d * 32 + l] = r as u32;
                    if width == 2 {
                        self.v[(d + 1) * 32 + l] = (r >> 32) as u32;
                    }
                }
            }
        }
        for k in d..d + width {
            self.v_written[k] |= exec;
        }
    }

    /// v_div_scale_f32/f64: D to the VGPR, the VCC bits to the scalar destination.
    pub(super) fn div_scale(&mut self, ins: &Ins, wide: bool) -> Result<(), String> {
        let Inst::Valu {
            op,
            vdst,
            sdst,
            src,
            mods,
            ..
        } = ins.inst
        else {
            return Err("not a VALU instruction".into());
        };
        let info = op.info();
        let exec = self.exec();
        let mut srcs = [Src::Const(0); 3];
        for i in 0..3 {
            srcs[i] = self.vsrc(src[i], info.src[i], exec)?;
        }
        if mods.abs != 0 || mods.clamp || mods.omod != 0 {
            return Err(format!(
                "{}: modifiers other than neg are not modelled",
                ins.name
            ));
        }
        let Operand::Vgpr(d) = vdst else {
            return Err(format!("{} without a VGPR destination", ins.name));
        };
        let d = usize::from(d);
        let width = if wide { 2 } else { 1 };
        self.check_vdst(d, width)?;
        let mut mask = 0u32;
        let mut lanes = exec;
        while lanes != 0 {
            let l = lanes.trailing_zeros() as usize;
            lanes &= lanes - 1;
            let raw = |i: usize| {
                srcs[i].lane(self, l)
                    ^ if mods.neg >> i & 1 == 1 {
                        sign_bit(info.src[i])
                    } else {
                        0
                    }
            };
            if !wide {
                // The usual lane, where nothing is scaled: S0 as it is, VCC clear.
                let s0 = raw(0) as u32;
                if super::alu::div_scale32_plain(s0, raw(1) as u32, raw(2) as u32) {
                    self.set_v(d, l, s0);
                    continue;
                }
            }
            let val = |i: usize| {
                if wide {
                    f64::from_bits(raw(i))
                } else {
                    f64::from(f32::from_bits(raw(i) as u32))
                }
            };
            let (r, vcc) =
                super::alu::div_scale(val(0), val(1), val(2), wide).ok_or_else(|| {
                    format!(
                        "{}: lane {l}: operands that need VCC scaling are not modelled",
                        ins.name
                    )
                })?;
            mask |= u32::from(vcc) << l;
            if wide {
                self.set_v(d, l, r.to_bits() as u32);
                self.set_v(d + 1, l, (r.to_bits() >> 32) as u32);
            } else {
                self.set_v(d, l, (r as f32).to_bits());
            }
        }
        self.write_scalar(sdst, Ty::B32, u64::from(mask))?;
        self.hazards.issued(false, Some((d, width)), ins.pc);
        self.hazards.wmma_d = None;
        Ok(())
    }

    /// v_mbcnt_lo_u32_b32: D = popcount(S0 & lanes below this one) + S1.
    pub(super) fn mbcnt_lo(&mut self, ins: &Ins) -> Result<(), String> {
        let Inst::Valu {
            vdst, src, mods, ..
        } = ins.inst
        else {
            return Err("not a VALU instruction".into());
        };
        if mods.clamp {
            return Err(format!("{}: clamp is not modelled", ins.name));
        }
        let exec = self.exec();
        let (a, b) = (
            self.vsrc(src[0], Ty::B32, exec)?,
            self.vsrc(src[1], Ty::B32, exec)?,
        );
        let Operand::Vgpr(d) = vdst else {
            return Err(format!("{} without a VGPR destination", ins.name));
        };
        let d = usize::from(d);
        self.check_vdst(d, 1)?;
        let mut m = exec;
        while m != 0 {
            let l = m.trailing_zeros() as usize;
            m &= m - 1;
            let below = (a.lane(self, l) as u32) & ((1u32 << l) - 1);
            let r = below.count_ones().wrapping_add(b.lane(self, l) as u32);
            self.v[d * 32 + l] = r;
        }
        self.v_written[d] |= exec;
        self.hazards.issued(false, Some((d, 1)), ins.pc);
        self.hazards.wmma_d = None;
        Ok(())
    }

    /// v_readfirstlane_b32, v_readlane_b32, v_writelane_b32.
    pub(super) fn lane_op(&mut self, ins: &Ins) -> Result<(), String> {
        let Inst::Valu { vdst, src, .. } = ins.inst else {
            return Err("not a VALU instruction".into());
        };
        let exec = self.exec();
        match ins.name {
            "v_mbcnt_lo_u32_b32" => {
                // D = popcount(S0 & lanes below this one) + S1 (constants or SGPRs here).
                let mask = self.read_scalar(src[0], Ty::B32)? as u32;
                let add = self.read_scalar(src[1], Ty::B32)? as u32;
                let Operand::Vgpr(r) = vdst else {
                    return Err("v_mbcnt_lo_u32_b32 without a VGPR destination".into());
                };
                self.check_vdst(usize::from(r), 1)?;
                for lane in (0..32).filter(|l| exec >> l & 1 == 1) {
                    let below = (mask & ((1u64 << lane) - 1) as u32).count_ones();
                    self.set_v(usize::from(r), lane, below.wrapping_add(add));
                }
            }
            "v_writelane_b32" => {
                let v = self.read_scalar(src[0], Ty::B32)? as u32;
                let lane = (self.read_scalar(src[1], Ty::B32)? & 31) as usize;
                let Operand::Vgpr(r) = vdst else {
                    return Err("v_writelane_b32 without a VGPR destination".into());
                };
                self.check_vdst(usize::from(r), 1)?;
                self.set_v(usize::from(r), lane, v);
            }
            _ => {
                let lane = if ins.name == "v_readlane_b32" {
                    (self.read_scalar(src[1], Ty::B32)? & 31) as usize
                } else if exec == 0 {
                    0
                } else {
                    exec.trailing_zeros() as usize
                };
                let v = match self.vsrc(src[0], Ty::B32, 1 << lane)? {
                    Src::Const(c) => c as u32,
                    s => s.lane(self, lane) as u32,
                };
                self.write_scalar(vdst, Ty::B32, u64::from(v))?;
            }
        }
        self.hazards.issued(false, None, ins.pc);
        Ok(())
    }

    fn vop3p_parts(
        &self,
        ins: &Ins,
    ) -> Result<(usize, [Src; 3], egpu_codegen_amdgpu::isa::PMods, usize), String> {
        let Inst::Vop3p {
            op,
            vdst,
            src,
            mods,
        } = ins.inst
        else {
            return Err("not a VOP3P instruction".into());
        };
        let info = op.info();
        let exec = self.exec();
        let mut srcs = [Src::Const(0); 3];
        for i in 0..info.num_src() {
            srcs[i] = match src[i] {
                Operand::Int(_) | Operand::Float(_) => {
                    // Packed inline constants stand in both halves.
                    let c = self.read_scalar(src[i], Ty::B16)? & 0xffff;
                    Src::Const(c | c << 16)
                }
                s => self.vsrc(s, Ty::B32, exec)?,
            };
        }
        let Operand::Vgpr(d) = vdst else {
            return Err("VOP3P without a VGPR destination".into());
        };
        self.check_vdst(usize::from(d), 1)?;
        Ok((usize::from(d), srcs, mods, info.num_src()))
    }

    /// Packed 16-bit math: the op on the low halves and on the high halves.
    pub(super) fn packed(&mut self, ins: &Ins, f: HalfFn) -> Result<(), String> {
        let (d, srcs, m, n) = self.vop3p_parts(ins)?;
        if m.clamp {
            return Err(format!("{}: clamp is not modelled", ins.name));
        }
        let float = ins.name.ends_with("f16");
        let mut lanes = self.exec();
        while lanes != 0 {
            let l = lanes.trailing_zeros() as usize;
            lanes &= lanes - 1;
            let mut lo = [0u16; 3];
            let mut hi = [0u16; 3];
            for i in 0..n {
                let raw = srcs[i].lane(self, l) as u32;
                let half = |sel: u8| {
                    if sel >> i & 1 == 1 {
                        (raw >> 16) as u16
                    } else {
                        raw as u16
                    }
                };
                lo[i] = half(m.op_sel);
                hi[i] = half(m.op_sel_hi);
                if float {
                    lo[i] ^= u16::from(m.neg_lo >> i & 1) << 15;
                    hi[i] ^= u16::from(m.neg_hi >> i & 1) << 15;
                }
            }
            let r = u32::from(f(lo[0], lo[1], lo[2])) | u32::from(f(hi[0], hi[1], hi[2])) << 16;
            self.set_v(d, l, r);
        }
        self.hazards.issued(false, Some((d, 1)), ins.pc);
        self.hazards.wmma_d = None;
        Ok(())
    }

    /// v_dot2_f32_f16 and v_fma_mix_f32; v_fma_mixlo/mixhi_f16 write an f16 result to
    /// one half of the destination and keep the other.
    pub(super) fn mix(&mut self, ins: &Ins) -> Result<(), String> {
        let (d, srcs, m, _) = self.vop3p_parts(ins)?;
        if m.clamp {
            return Err(format!("{}: clamp is not modelled", ins.name));
        }
        let dot = ins.name == "v_dot2_f32_f16";
        let mut lanes = self.exec();
        while lanes != 0 {
            let l = lanes.trailing_zeros() as usize;
            lanes &= lanes - 1;
            let raw: Vec<u32> = srcs.iter().map(|s| s.lane(self, l) as u32).collect();
            let bits = match ins.name {
                "v_fma_mixlo_f16" => self.get_v(d, l) & 0xffff_0000 | fma_mix16(&raw, &m),
                "v_fma_mixhi_f16" => self.get_v(d, l) & 0xffff | fma_mix16(&raw, &m) << 16,
                _ if dot => dot2(&raw, &m).to_bits(),
                _ => fma_mix(&raw, &m).to_bits(),
            };
            self.set_v(d, l, bits);
        }
        self.hazards.issued(false, Some((d, 1)), ins.pc);
        self.hazards.wmma_d = None;
        Ok(())
    }

    /// WMMA 16x16x16 (wave32 layout of reference/rdna3.md): A row i / B column j in lane
    /// i (and i+16), 16 halves per lane; C/D row 2v + lane/16, column lane%16.
    /// The 16 f16 (or bf16) values of each of lanes 0..16 of VGPRs `r..r + 8`, as f32.
    fn wmma_halves(&self, r: usize, bf: bool) -> [[f32; 16]; 16] {
        let mut m = [[0f32; 16]; 16];
        for (lane, row) in m.iter_mut().enumerate() {
            for (k, x) in row.iter_mut().enumerate() {
                let bits = (self.get_v(r + k / 2, lane) >> (16 * (k % 2))) as u16;
                *x = if bf {
                    bf16::from_bits(bits).to_f32()
                } else {
                    f16::from_bits(bits).to_f32()
                };
            }
        }
        m
    }

    pub(super) fn wmma(&mut self, ins: &Ins) -> Result<(), String> {
        let Inst::Vop3p { vdst, src, .. } = ins.inst else {
            return Err("not a WMMA instruction".into());
        };
        let reg = |o: Operand| match o {
            Operand::Vgpr(r) => Ok(usize::from(r)),
            _ => Err(format!("{}: operands must be VGPRs", ins.name)),
        };
        let (dr, ar, br, cr) = (reg(vdst)?, reg(src[0])?, reg(src[1])?, reg(src[2])?);
        if self.exec() != u32::MAX {
            return Err(format!(
                "{} needs all 32 lanes active (exec is {:#x})",
                ins.name,
                self.exec()
            ));
        }
        if let Some((d, n, pc)) = self.hazards.wmma_d {
            let (d, n) = (usize::from(d), usize::from(n));
            for r in [ar, br] {
                if r < d + n && d < r + 8 {
                    return Err(format!(
                        "hazard: A/B overlap the result of the WMMA at pc {pc:#x} without a VALU in between"
                    ));
                }
            }
        }
        for r in [ar, br, cr] {
            self.check_vgprs(r, 8, u32::MAX)?;
        }
        self.check_vdst(dr, 8)?;
        let bf = ins.name.ends_with("bf16");
        let half_out = ins.name.starts_with("v_wmma_f16");
        // A's row i and B's column j are lane i / j's 16 halves; convert them once.
        let (a, b) = (self.wmma_halves(ar, bf), self.wmma_halves(br, bf));
        // C/D element (i, j) is VGPR base + i / 2, lane 16 * (i % 2) + j: the eight
        // registers hold the matrix row-major, 16 lanes a row.
        let mut acc = [[0f32; 16]; 16];
        let c = &self.v[cr * 32..cr * 32 + 256];
        for (x, &raw) in acc.iter_mut().flatten().zip(c) {
            *x = if half_out {
                f16::from_bits(raw as u16).to_f32()
            } else {
                f32::from_bits(raw)
            };
        }
        super::wmma::accumulate(&a, &b, &mut acc, !bf);
        let d = &mut self.v[dr * 32..dr * 32 + 256];
        for (slot, &x) in d.iter_mut().zip(acc.iter().flatten()) {
            *slot = if half_out {
                u32::from(f16::from_f32(x).to_bits())
            } else {
                x.to_bits()
            };
        }
        for w in &mut self.v_written[dr..dr + 8] {
            *w = u32::MAX;
        }
        self.hazards.issued(false, Some((dr, 8)), ins.pc);
        self.hazards.wmma_d = Some((dr as u8, 8, ins.pc));
        Ok(())
    }
}

fn overlap_check(src: &[Operand; 3], d: usize, name: &str) -> Result<(), String> {
    for (i, s) in src.iter().enumerate() {
        if let Operand::Vgpr(r) = *s {
            let n = if i == 2 { 2 } else { 1 };
            let r = usize::from(r);
            if r < d + 2 && d < r + n {
                return Err(format!(
                    "{name}: the destination overlaps source {i} (v{r})"
                ));
            }
        }
    }
    Ok(())
}

fn half_of(raw: u32, hi: bool) -> f32 {
    f16::from_bits(if hi { (raw >> 16) as u16 } else { raw as u16 }).to_f32()
}

fn dot2(raw: &[u32], m: &egpu_codegen_amdgpu::isa::PMods) -> f32 {
    let part = |i: usize, hi: bool| {
        let sel = if hi { m.op_sel_hi } else { m.op_sel };
        let x = f64::from(half_of(raw[i], sel >> i & 1 == 1));
        let neg = if hi { m.neg_hi } else { m.neg_lo } >> i & 1 == 1;
        if neg { -x } else { x }
    };
    let c = f64::from(f32::from_bits(raw[2]));
    let c = if m.neg_lo >> 2 & 1 == 1 { -c } else { c };
    (part(0, false) * part(1, false) + part(0, true) * part(1, true) + c) as f32
}

/// v_fma_mix's sum rounded once to f16: the product of two f32/f16 values is exact in
/// f64, so only the f64 sum and the final f16 rounding round.
fn fma_mix16(raw: &[u32], m: &egpu_codegen_amdgpu::isa::PMods) -> u32 {
    let arg = |i: usize| {
        let x = if m.op_sel_hi >> i & 1 == 1 {
            half_of(raw[i], m.op_sel >> i & 1 == 1)
        } else {
            f32::from_bits(raw[i])
        };
        f64::from(x)
    };
    u32::from(f16::from_f64(arg(0) * arg(1) + arg(2)).to_bits())
}

fn fma_mix(raw: &[u32], m: &egpu_codegen_amdgpu::isa::PMods) -> f32 {
    let arg = |i: usize| {
        let mut x = if m.op_sel_hi >> i & 1 == 1 {
            half_of(raw[i], m.op_sel >> i & 1 == 1)
        } else {
            f32::from_bits(raw[i])
        };
        if m.neg_hi >> i & 1 == 1 {
            x = x.abs();
        }
        if m.neg_lo >> i & 1 == 1 {
            x = -x;
        }
        x
    };
    arg(0).mul_add(arg(1), arg(2))
}

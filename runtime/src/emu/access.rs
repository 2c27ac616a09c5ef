//! Memory instructions: scalar loads, global/flat loads, stores and atomics, scratch,
//! and LDS (with its cross-lane ds_swizzle/ds_permute/ds_bpermute). Results reach
//! registers at once, but the registers stay "outstanding" (strict.rs) until the
//! `s_waitcnt` that covers them, so an early read is an error as on hardware it is garbage.

use super::memory::{Memory, Unmapped};
use super::strict::{Regs, Repeats};
use super::wave::{Ctx, Wave};
use egpu_codegen_amdgpu::isa::{Class, Inst, Operand, Ty};

/// A loaded 1- or 2-byte value widened as the op says.
#[inline]
fn widen(ins: &Ins, raw: u32) -> u32 {
    match (ins.sext, ins.bytes) {
        (true, 1) => raw as u8 as i8 as i32 as u32,
        (true, 2) => raw as u16 as i16 as i32 as u32,
        _ => raw,
    }
}

fn unmapped(e: Unmapped, lane: Option<usize>) -> String {
    let who = lane.map_or("the scalar unit".to_string(), |l| format!("lane {l}"));
    format!(
        "{who} accesses {} bytes at {:#x}, outside every allocated buffer",
        e.len, e.addr
    )
}

fn vreg(op: Operand) -> Result<usize, String> {
    match op {
        Operand::Vgpr(r) => Ok(usize::from(r)),
        other => Err(format!("expected a VGPR operand, found {other:?}")),
    }
}

/// The 32-bit atomic operations: new value from (old, data).
fn atomic32(name: &str, old: u32, data: u32) -> Option<u32> {
    let op = name
        .trim_start_matches("global_atomic_")
        .trim_start_matches("ds_");
    let op = op.replace("_rtn", "");
    Some(match op.as_str() {
        "add_u32" => old.wrapping_add(data),
        "add_f32" => (f32::from_bits(old) + f32::from_bits(data)).to_bits(),
        "max_i32" => (old as i32).max(data as i32) as u32,
        "min_i32" => (old as i32).min(data as i32) as u32,
        "max_u32" => old.max(data),
        "min_u32" => old.min(data),
        "swap_b32" => data,
        "and_b32" => old & data,
        "or_b32" => old | data,
        "xor_b32" => old ^ data,
        _ => return None,
    })
}

impl Wave {
    pub(super) fn smem(&mut self, ins: &Ins, mem: &Memory) -> Result<(), String> {
        let Inst::Smem {
            op,
            sdata,
            sbase,
            soffset,
            offset,
            ..
        } = ins.inst
        else {
            return Err("not an SMEM instruction".into());
        };
        let n = usize::from(op.info().dst.dwords());
        let base = self.read_scalar(sbase, Ty::B64)?;
        let extra = if soffset == Operand::Null {
            0
        } else {
            self.read_scalar(soffset, Ty::B32)?
        };
        let addr = base
            .wrapping_add_signed(i64::from(offset))
            .wrapping_add(extra)
            & !3;
        let Operand::Sgpr(d) = sdata else {
            return Err("SMEM destination is not an SGPR".into());
        };
        for k in 0..n {
            let v = mem
                .read_u32(addr + 4 * k as u64)
                .map_err(|e| unmapped(e, None))?;
            self.set_s(usize::from(d) + k, v)?;
        }
        self.counters
            .issue_lgkm(Regs::Sgpr(d, n as u8), ins.pc, true);
        Ok(())
    }

    /// The address of each active lane of a global/flat instruction.
    fn global_addrs(
        &self,
        addr: Operand,
        saddr: Operand,
        offset: i16,
    ) -> Result<[u64; 32], String> {
        let exec = self.exec();
        let a = vreg(addr)?;
        let mut out = [0u64; 32];
        if saddr == Operand::Null {
            self.check_vgprs(a, 2, exec)?;
            for (l, o) in out.iter_mut().enumerate() {
                let v = u64::from(self.get_v(a, l)) | u64::from(self.get_v(a + 1, l)) << 32;
                *o = v.wrapping_add_signed(i64::from(offset));
            }
        } else {
            self.check_vgprs(a, 1, exec)?;
            let base = self.read_scalar(saddr, Ty::B64)?;
            for (l, o) in out.iter_mut().enumerate() {
                let v = base + u64::from(self.get_v(a, l));
                *o = v.wrapping_add_signed(i64::from(offset));
            }
        }
        Ok(out)
    }

    pub(super) fn global(&mut self, ins: &Ins, mem: &mut Memory) -> Result<(), String> {
        let Inst::Flat {
            op,
            vdst,
            addr,
            data,
            saddr,
            offset,
            cache,
        } = ins.inst
        else {
            return Err("not a FLAT/GLOBAL instruction".into());
        };
        let info = op.info();
        let exec = self.exec();
        let addrs = self.global_addrs(addr, saddr, offset)?;
        let bytes = usize::from(ins.bytes);
        match info.class {
            Class::Load => {
                let d = vreg(vdst)?;
                let n = bytes.div_ceil(4);
                self.check_load_dst(d, n, true)?;
                if self.global_load_span(ins, mem, &addrs, d, n) {
                    self.counters.issue_vm(Regs::Vgpr(d as u8, n as u8), ins.pc);
                    return Ok(());
                }
                for_lanes(exec, |l| {
                    let mut buf = [0u8; 16];
                    mem.read(addrs[l], &mut buf[..bytes])
                        .map_err(|e| unmapped(e, Some(l)))?;
                    for k in 0..n {
                        let raw = u32::from_le_bytes([
                            buf[4 * k],
                            buf[4 * k + 1],
                            buf[4 * k + 2],
                            buf[4 * k + 3],
                        ]);
                        self.set_v(d + k, l, widen(ins, raw));
                    }
                    Ok(())
                })?;
                self.counters.issue_vm(Regs::Vgpr(d as u8, n as u8), ins.pc);
            }
            Class::Store => {
                let s = vreg(data)?;
                let n = bytes.div_ceil(4);
                self.check_vgprs(s, n, exec)?;
                if self.global_store_span(ins, mem, &addrs, s, n) {
                    return Ok(());
                }
                for_lanes(exec, |l| {
                    let mut buf = [0u8; 16];
                    for k in 0..n {
                        buf[4 * k..4 * k + 4].copy_from_slice(&self.get_v(s + k, l).to_le_bytes());
                    }
                    mem.write(addrs[l], &buf[..bytes])
                        .map_err(|e| unmapped(e, Some(l)))
                })?;
            }
            Class::Atomic => self.global_atomic(ins, mem, &addrs, vdst, data, cache.glc)?,
            _ => return Err(format!("{} is not modelled", info.name)),
        }
        Ok(())
    }

    /// The fast path of a global load whose active lanes all fall inside one
    /// allocation: one lookup for the instruction instead of one per lane. Returns
    /// false (having done nothing) otherwise, and the per-lane path finds the culprit.
    fn global_load_span(
        &mut self,
        ins: &Ins,
        mem: &mut Memory,
        addrs: &[u64; 32],
        d: usize,
        n: usize,
    ) -> bool {
        let bytes = usize::from(ins.bytes);
        let exec = self.exec();
        let Some((base, data)) =
            lane_span(exec, addrs, bytes).and_then(|(lo, end)| mem.span_mut(lo, end))
        else {
            return false;
        };
        let regs = &mut self.v[d * 32..(d + n) * 32];
        let run = lane_run(exec, addrs, bytes, base)
            .filter(|_| bytes == 4 * n && n <= 4)
            .and_then(|o| data.get(o..o + 32 * bytes));
        if let Some(run) = run {
            if n == 1 {
                // 32 consecutive dwords, lane l at dword l: one straight copy.
                for (r, b) in regs.iter_mut().zip(run.chunks_exact(4)) {
                    *r = le_u32(b);
                }
            } else {
                // Lane l's n dwords are consecutive; dword k goes to VGPR d + k. One
                // straight conversion, then a transpose whose index the mask keeps in
                // bounds (l * n + k < 32 * n <= 128) without a check per dword.
                let mut words = [0u32; 128];
                for (w, b) in words.iter_mut().zip(run.chunks_exact(4)) {
                    *w = le_u32(b);
                }
                for (k, row) in regs.chunks_exact_mut(32).enumerate() {
                    for (l, r) in row.iter_mut().enumerate() {
                        *r = words[(l * n + k) & 127];
                    }
                }
            }
            for w in &mut self.v_written[d..d + n] {
                *w = u32::MAX;
            }
            return true;
        }
        match (bytes, ins.sext) {
            (1, false) => gather_small::<1, false>(exec, addrs, base, data, regs),
            (1, true) => gather_small::<1, true>(exec, addrs, base, data, regs),
            (2, false) => gather_small::<2, false>(exec, addrs, base, data, regs),
            (2, true) => gather_small::<2, true>(exec, addrs, base, data, regs),
            _ => {
                let mut m = exec;
                while m != 0 {
                    let l = m.trailing_zeros() as usize;
                    m &= m - 1;
                    let off = (addrs[l] - base) as usize;
                    for k in 0..n {
                        regs[k * 32 + l] = le_u32(&data[off + 4 * k..]);
                    }
                }
            }
        }
        for w in &mut self.v_written[d..d + n] {
            *w |= exec;
        }
        true
    }

    /// The fast path of a global store, as [`Self::global_load_span`].
    fn global_store_span(
        &mut self,
        ins: &Ins,
        mem: &mut Memory,
        addrs: &[u64; 32],
        s: usize,
        n: usize,
    ) -> bool {
        let bytes = usize::from(ins.bytes);
        let exec = self.exec();
        let Some((base, data)) =
            lane_span(exec, addrs, bytes).and_then(|(lo, end)| mem.span_mut(lo, end))
        else {
            return false;
        };
        let run = lane_run(exec, addrs, bytes, base)
            .filter(|_| bytes == 4 * n && n <= 4)
            .and_then(|o| data.get_mut(o..o + 32 * bytes));
        if let Some(run) = run {
            let regs = &self.v[s * 32..(s + n) * 32];
            if n == 1 {
                // 32 consecutive dwords, lane l at dword l: one straight copy.
                for (b, &v) in run.chunks_exact_mut(4).zip(regs) {
                    b.copy_from_slice(&v.to_le_bytes());
                }
            } else {
                // Lane l's n dwords are consecutive; dword k comes from VGPR s + k.
                for (l, lane) in run.chunks_exact_mut(bytes).enumerate() {
                    for (k, b) in lane.chunks_exact_mut(4).enumerate() {
                        b.copy_from_slice(&regs[k * 32 + l].to_le_bytes());
                    }
                }
            }
            return true;
        }
        let mut m = exec;
        while m != 0 {
            let l = m.trailing_zeros() as usize;
            m &= m - 1;
            let off = (addrs[l] - base) as usize;
            if bytes >= 4 {
                for k in 0..n {
                    let at = off + 4 * k;
                    data[at..at + 4].copy_from_slice(&self.get_v(s + k, l).to_le_bytes());
                }
            } else {
                put_small(data, off, bytes, self.get_v(s, l));
            }
        }
        true
    }

    fn global_atomic(
        &mut self,
        ins: &Ins,
        mem: &mut Memory,
        addrs: &[u64; 32],
        vdst: Operand,
        data: Operand,
        returns: bool,
    ) -> Result<(), String> {
        let info = ins.inst.op().info();
        let exec = self.exec();
        let s = vreg(data)?;
        let wide = info.name.ends_with("u64");
        let cmpswap = info.name.contains("cmpswap");
        let n = usize::from(info.src[1].dwords());
        self.check_vgprs(s, n, exec)?;
        let d = if returns { Some(vreg(vdst)?) } else { None };
        if let Some(d) = d {
            self.check_vdst(d, usize::from(info.dst.dwords()))?;
        }
        for_lanes(exec, |l| {
            let at = addrs[l];
            let err = |e| unmapped(e, Some(l));
            let old = if wide {
                let mut b = [0u8; 8];
                mem.read(at, &mut b).map_err(err)?;
                let old = u64::from_le_bytes(b);
                let x = u64::from(self.get_v(s, l)) | u64::from(self.get_v(s + 1, l)) << 32;
                mem.write(at, &old.wrapping_add(x).to_le_bytes())
                    .map_err(err)?;
                old
            } else {
                let old = mem.read_u32(at).map_err(err)?;
                let x = self.get_v(s, l);
                let new = if cmpswap {
                    if old == self.get_v(s + 1, l) { x } else { old }
                } else {
                    atomic32(info.name, old, x)
                        .ok_or_else(|| format!("{} is not modelled", info.name))?
                };
                mem.write(at, &new.to_le_bytes()).map_err(err)?;
                u64::from(old)
            };
            if let Some(d) = d {
                self.set_v(d, l, old as u32);
                if wide {
                    self.set_v(d + 1, l, (old >> 32) as u32);
                }
            }
            Ok(())
        })?;
        if let Some(d) = d {
            self.counters
                .issue_vm(Regs::Vgpr(d as u8, info.dst.dwords()), ins.pc);
        }
        Ok(())
    }

    pub(super) fn scratch_op(&mut self, ins: &Ins) -> Result<(), String> {
        let Inst::Flat {
            op,
            vdst,
            addr,
            data,
            saddr,
            offset,
            ..
        } = ins.inst
        else {
            return Err("not a SCRATCH instruction".into());
        };
        let info = op.info();
        let exec = self.exec();
        let sbase = if saddr == Operand::Null {
            0
        } else {
            self.read_scalar(saddr, Ty::B32)? as u32
        };
        let va = match addr {
            Operand::Vgpr(r) => Some(self.check_vgprs(usize::from(r), 1, exec)?),
            _ => None,
        };
        let bytes = usize::from(ins.bytes);
        let n = bytes.div_ceil(4);
        let size = self.scratch_per_lane;
        let load = info.class == Class::Load;
        let reg = vreg(if load { vdst } else { data })?;
        if load {
            self.check_vdst(reg, n)?;
        } else {
            self.check_vgprs(reg, n, exec)?;
        }
        for_lanes(exec, |l| {
            let off = i64::from(va.map_or(0, |r| self.get_v(r, l)))
                + i64::from(sbase)
                + i64::from(offset);
            if off < 0 || off as usize + bytes > size {
                return Err(format!(
                    "lane {l} accesses scratch offset {off} ({bytes} bytes); the kernel has {size} bytes per lane"
                ));
            }
            let at = l * size + off as usize;
            for k in 0..n {
                let p = at + 4 * k;
                if load {
                    let b = &self.scratch[p..p + 4];
                    let v = u32::from_le_bytes([b[0], b[1], b[2], b[3]]);
                    self.set_v(reg + k, l, v);
                } else {
                    let v = self.get_v(reg + k, l).to_le_bytes();
                    self.scratch[p..p + 4].copy_from_slice(&v);
                }
            }
            Ok(())
        })?;
        if load {
            self.counters
                .issue_vm(Regs::Vgpr(reg as u8, n as u8), ins.pc);
        }
        Ok(())
    }

    /// One LDS access by lane `l`: bounds, then the race check.
    #[inline]
    fn lds_check(
        &self,
        ctx: &mut Ctx,
        l: usize,
        at: u64,
        len: usize,
        write: bool,
        atomic: bool,
    ) -> Result<usize, String> {
        let size = ctx.lds.len();
        if at + len as u64 > size as u64 {
            return Err(lds_bounds(l, at, len, size));
        }
        let at = at as usize;
        if !atomic && let Some(race) = ctx.races.access(self.id, at, len, write) {
            return Err(lds_race(l, at, write, race));
        }
        Ok(at)
    }

    /// Each lane's LDS byte address (`v[a] + offset`) when every active lane's access of
    /// `len` bytes is inside the `size` bytes of LDS; `None` sends the instruction to the
    /// per-lane path, which reports the first lane at fault in lane order.
    #[inline]
    fn lds_addrs(&self, a: usize, offset: u64, len: usize, size: usize) -> Option<[usize; 32]> {
        let row = self.v.get(a * 32..a * 32 + 32)?;
        let mut out = [0usize; 32];
        let mut outside = 0u32;
        for (l, (o, &v)) in out.iter_mut().zip(row).enumerate() {
            let at = u64::from(v) + offset;
            *o = at as usize;
            outside |= u32::from(at + len as u64 > size as u64) << l;
        }
        (outside & self.exec() == 0).then_some(out)
    }

    /// `ds_load_2addr_b32` when both addresses of every active lane are in bounds: per
    /// lane, in the order of the per-lane path, the race check and the dword of each
    /// address. `Ok(false)`: some address is outside the LDS, nothing was done, and the
    /// per-lane path reports it.
    fn ds_load2_fast(
        &mut self,
        ctx: &mut Ctx,
        a: usize,
        d: usize,
        offsets: [u8; 2],
    ) -> Result<bool, String> {
        let size = ctx.lds.len();
        let [o0, o1] = offsets.map(|o| 4 * u64::from(o));
        let (Some(first), Some(second)) = (
            self.lds_addrs(a, o0, 4, size),
            self.lds_addrs(a, o1, 4, size),
        ) else {
            return Ok(false);
        };
        let mut repeats = Repeats::default();
        let mut m = self.exec();
        while m != 0 {
            let l = m.trailing_zeros() as usize;
            m &= m - 1;
            for (k, at) in [first[l], second[l]].into_iter().enumerate() {
                if let Some(race) = ctx.races.access_lane(&mut repeats, self.id, at, 4, false) {
                    return Err(lds_race(l, at, false, race));
                }
                self.v[(d + k) * 32 + l] = lds_u32(ctx.lds, at);
            }
        }
        Ok(true)
    }

    /// Lane `l` of a DS load of `ins.bytes` bytes at LDS byte `at` (in bounds) into VGPR
    /// `d` on: a d16 load replaces the half `d16` says and keeps the other.
    #[inline(always)]
    fn lds_load_lane(
        &mut self,
        lds: &[u8],
        ins: &Ins,
        d: usize,
        l: usize,
        at: usize,
        d16: Option<u32>,
    ) {
        let bytes = usize::from(ins.bytes);
        if bytes < 4 {
            let value = widen(ins, le_small(lds, at, bytes));
            let slot = &mut self.v[d * 32 + l];
            *slot = match d16 {
                Some(shift) => (*slot & !(0xffff << shift)) | (value & 0xffff) << shift,
                None => value,
            };
        } else {
            for k in 0..bytes / 4 {
                self.v[(d + k) * 32 + l] = lds_u32(lds, at + 4 * k);
            }
        }
    }

    /// Lane `l` of a DS store of `bytes` bytes from VGPR `s` on to LDS byte `at` (in bounds).
    #[inline(always)]
    fn lds_store_lane(&self, lds: &mut [u8], s: usize, l: usize, at: usize, bytes: usize) {
        if bytes < 4 {
            put_small(lds, at, bytes, self.get_v(s, l));
        } else {
            for k in 0..bytes / 4 {
                lds[at + 4 * k..at + 4 * k + 4]
                    .copy_from_slice(&self.get_v(s + k, l).to_le_bytes());
            }
        }
    }

    pub(super) fn ds(&mut self, ins: &Ins, ctx: &mut Ctx) -> Result<(), String> {
        let Inst::Ds {
            op,
            vdst,
            addr,
            data0,
            data1,
            offset0,
            offset1,
            ..
        } = ins.inst
        else {
            return Err("not a DS instruction".into());
        };
        let info = op.info();
        let name = info.name;
        let exec = self.exec();
        let a = self.check_vgprs(vreg(addr)?, 1, exec)?;
        match name {
            "ds_swizzle_b32" | "ds_bpermute_b32" | "ds_permute_b32" => {
                return self.ds_cross_lane(ins, a, vdst, data0, Inst::ds_offset(offset0, offset1));
            }
            _ => {}
        }
        let offset = u64::from(Inst::ds_offset(offset0, offset1));
        let d0 = if data0 == Operand::None {
            None
        } else {
            Some(vreg(data0)?)
        };
        let dn = usize::from(info.src[1].dwords());
        if let Some(s) = d0 {
            self.check_vgprs(s, dn, exec)?;
        }
        match info.class {
            Class::Load | Class::Load2 => {
                let d = vreg(vdst)?;
                let n = usize::from(info.dst.dwords());
                self.check_load_dst(d, n, false)?;
                // d16 loads replace one half of the register and keep the other.
                let d16 = if name.ends_with("_d16_hi") {
                    Some(16)
                } else if name.ends_with("_d16") {
                    Some(0)
                } else {
                    None
                };
                let bytes = usize::from(ins.bytes);
                let two = info.class == Class::Load2;
                if two && self.ds_load2_fast(ctx, a, d, [offset0, offset1])? {
                    for k in 0..n {
                        self.v_written[d + k] |= exec;
                    }
                    self.counters
                        .issue_lgkm(Regs::Vgpr(d as u8, n as u8), ins.pc, false);
                    return Ok(());
                }
                let fast = if two {
                    None
                } else {
                    self.lds_addrs(a, offset, bytes, ctx.lds.len())
                };
                if let Some(addrs) = fast {
                    // Every active lane in bounds: only the race check per lane.
                    let mut repeats = Repeats::default();
                    let mut m = exec;
                    while m != 0 {
                        let l = m.trailing_zeros() as usize;
                        m &= m - 1;
                        let at = addrs[l];
                        let race = ctx
                            .races
                            .access_lane(&mut repeats, self.id, at, bytes, false);
                        if let Some(race) = race {
                            return Err(lds_race(l, at, false, race));
                        }
                        self.lds_load_lane(ctx.lds, ins, d, l, at, d16);
                    }
                } else {
                    for_lanes(exec, |l| {
                        let base = u64::from(self.v[a * 32 + l]);
                        if two {
                            for (k, off) in [(0, offset0), (1, offset1)] {
                                let at = self.lds_check(
                                    ctx,
                                    l,
                                    base + 4 * u64::from(off),
                                    4,
                                    false,
                                    false,
                                )?;
                                self.v[(d + k) * 32 + l] = lds_u32(ctx.lds, at);
                            }
                            return Ok(());
                        }
                        let at = self.lds_check(ctx, l, base + offset, bytes, false, false)?;
                        self.lds_load_lane(ctx.lds, ins, d, l, at, d16);
                        Ok(())
                    })?;
                }
                for k in 0..n {
                    self.v_written[d + k] |= exec;
                }
                self.counters
                    .issue_lgkm(Regs::Vgpr(d as u8, n as u8), ins.pc, false);
            }
            Class::Store | Class::Store2 => {
                let s = d0.ok_or("DS store without data")?;
                let atomic = !name.starts_with("ds_store");
                if info.class == Class::Store2 {
                    let s1 = vreg(data1)?;
                    self.check_vgprs(s1, 1, exec)?;
                    for_lanes(exec, |l| {
                        let base = u64::from(self.get_v(a, l));
                        for (off, r) in [(offset0, s), (offset1, s1)] {
                            let at =
                                self.lds_check(ctx, l, base + 4 * u64::from(off), 4, true, false)?;
                            ctx.lds[at..at + 4].copy_from_slice(&self.get_v(r, l).to_le_bytes());
                        }
                        Ok(())
                    })?;
                } else {
                    let bytes = usize::from(ins.bytes);
                    let fast = if atomic {
                        None
                    } else {
                        self.lds_addrs(a, offset, bytes, ctx.lds.len())
                    };
                    if let Some(addrs) = fast {
                        // Every active lane in bounds: only the race check per lane.
                        let mut repeats = Repeats::default();
                        let mut m = exec;
                        while m != 0 {
                            let l = m.trailing_zeros() as usize;
                            m &= m - 1;
                            let at = addrs[l];
                            let race =
                                ctx.races
                                    .access_lane(&mut repeats, self.id, at, bytes, true);
                            if let Some(race) = race {
                                return Err(lds_race(l, at, true, race));
                            }
                            self.lds_store_lane(ctx.lds, s, l, at, bytes);
                        }
                        self.counters.issue_lgkm(Regs::None, ins.pc, false);
                        return Ok(());
                    }
                    for_lanes(exec, |l| {
                        let at = u64::from(self.get_v(a, l)) + offset;
                        let at = self.lds_check(
                            ctx,
                            l,
                            at,
                            if atomic { 4 } else { bytes },
                            true,
                            atomic,
                        )?;
                        if atomic {
                            let old = u32::from_le_bytes(
                                ctx.lds[at..at + 4].try_into().unwrap_or([0; 4]),
                            );
                            let new = atomic32(name, old, self.get_v(s, l))
                                .ok_or_else(|| format!("{name} is not modelled"))?;
                            ctx.lds[at..at + 4].copy_from_slice(&new.to_le_bytes());
                        } else {
                            self.lds_store_lane(ctx.lds, s, l, at, bytes);
                        }
                        Ok(())
                    })?;
                }
                self.counters.issue_lgkm(Regs::None, ins.pc, false);
            }
            Class::Rtn => {
                let s = d0.ok_or("DS atomic without data")?;
                let d = vreg(vdst)?;
                self.check_vdst(d, 1)?;
                for_lanes(exec, |l| {
                    let at = u64::from(self.get_v(a, l)) + offset;
                    let at = self.lds_check(ctx, l, at, 4, true, true)?;
                    let old = u32::from_le_bytes(ctx.lds[at..at + 4].try_into().unwrap_or([0; 4]));
                    let new = atomic32(name, old, self.get_v(s, l))
                        .ok_or_else(|| format!("{name} is not modelled"))?;
                    ctx.lds[at..at + 4].copy_from_slice(&new.to_le_bytes());
                    self.set_v(d, l, old);
                    Ok(())
                })?;
                self.counters
                    .issue_lgkm(Regs::Vgpr(d as u8, 1), ins.pc, false);
            }
            _ => return Err(format!("{name} is not modelled")),
        }
        Ok(())
    }

    /// ds_swizzle_b32 / ds_bpermute_b32 / ds_permute_b32: lanes exchange values without
    /// touching LDS memory. A lane reading an inactive lane gets 0.
    fn ds_cross_lane(
        &mut self,
        ins: &Ins,
        a: usize,
        vdst: Operand,
        data0: Operand,
        offset: u16,
    ) -> Result<(), String> {
        let exec = self.exec();
        let d = vreg(vdst)?;
        self.check_vdst(d, 1)?;
        let name = ins.name;
        let src = if name == "ds_swizzle_b32" {
            a
        } else {
            vreg(data0)?
        };
        self.check_vgprs(src, 1, exec)?;
        let value = |w: &Wave, lane: usize| {
            if exec >> lane & 1 == 1 {
                w.get_v(src, lane)
            } else {
                0
            }
        };
        let mut out = [0u32; 32];
        let mut written = 0u32;
        for l in (0..32).filter(|l| exec >> l & 1 == 1) {
            match name {
                "ds_swizzle_b32" => {
                    let from = swizzle_source(offset, l);
                    out[l] = value(self, from);
                    written |= 1 << l;
                }
                "ds_bpermute_b32" => {
                    let from = ((self.get_v(a, l) as usize + usize::from(offset)) / 4) % 32;
                    out[l] = value(self, from);
                    written |= 1 << l;
                }
                _ => {
                    let to = ((self.get_v(a, l) as usize + usize::from(offset)) / 4) % 32;
                    out[to] = self.get_v(src, l);
                    written |= 1 << to;
                }
            }
        }
        for l in (0..32).filter(|l| exec >> l & 1 == 1) {
            let v = if written >> l & 1 == 1 { out[l] } else { 0 };
            self.set_v(d, l, v);
        }
        self.counters
            .issue_lgkm(Regs::Vgpr(d as u8, 1), ins.pc, false);
        Ok(())
    }
}

/// The lane `lane` reads under a ds_swizzle pattern: quad-permute mode (bit 15) or the
/// and/or/xor bit-mask mode on lane ids within 32.
fn swizzle_source(offset: u16, lane: usize) -> usize {
    if offset & 0x8000 != 0 {
        let sel = (usize::from(offset) >> (2 * (lane % 4))) & 3;
        (lane & !3) | sel
    } else {
        let and = usize::from(offset & 0x1f);
        let or = usize::from((offset >> 5) & 0x1f);
        let xor = usize::from((offset >> 10) & 0x1f);
        ((lane & and) | or) ^ xor
    }
}

#[cold]
fn lds_bounds(l: usize, at: u64, len: usize, size: usize) -> String {
    format!(
        "lane {l} accesses LDS bytes {at:#x}..{:#x}; the workgroup has {size} bytes of LDS",
        at + len as u64
    )
}

#[cold]
fn lds_race(l: usize, at: usize, write: bool, race: super::strict::Race) -> String {
    let what = if write { "writes" } else { "reads" };
    let other = if race.other_wrote { "written" } else { "read" };
    format!(
        "LDS race: lane {l} {what} LDS byte {at:#x}, {other} by wave {} of this workgroup with no s_barrier in between",
        race.other
    )
}

/// The dword at LDS byte `at` (in bounds: checked by `lds_check`).
#[inline]
fn lds_u32(lds: &[u8], at: usize) -> u32 {
    le_u32(&lds[at..at + 4])
}

/// The 1- or 2-byte value (`B`) of each active lane into its register, zero- or
/// sign-extended (`SEXT`) as `widen` does; the width fixed per instantiation so the
/// lane loop does not decide it per lane. The addresses lie inside `data` (checked by
/// `lane_span`).
fn gather_small<const B: usize, const SEXT: bool>(
    exec: u32,
    addrs: &[u64; 32],
    base: u64,
    data: &[u8],
    regs: &mut [u32],
) {
    let mut m = exec;
    while m != 0 {
        let l = m.trailing_zeros() as usize;
        m &= m - 1;
        let off = (addrs[l] - base) as usize;
        let v = if B == 1 {
            let b = data[off];
            if SEXT {
                b as i8 as i32 as u32
            } else {
                u32::from(b)
            }
        } else {
            let h = u16::from_le_bytes([data[off], data[off + 1]]);
            if SEXT {
                h as i16 as i32 as u32
            } else {
                u32::from(h)
            }
        };
        regs[l] = v;
    }
}

/// Where lane 0's data lies in an allocation starting at `base`, when every lane is
/// active and lane l accesses the `bytes` (a whole number of dwords) that start
/// `bytes * l` after it (the common coalesced access), so `32 * bytes` move as one.
#[inline]
fn lane_run(exec: u32, addrs: &[u64; 32], bytes: usize, base: u64) -> Option<usize> {
    let first = addrs[0];
    let stride = bytes as u64;
    let consecutive = addrs.iter().zip(0u64..).fold(true, |ok, (&a, l)| {
        ok & (a == first.wrapping_add(stride * l))
    });
    (exec == u32::MAX && bytes.is_multiple_of(4) && bytes > 0 && consecutive)
        .then(|| usize::try_from(first.checked_sub(base)?).ok())
        .flatten()
}

/// The byte range `[lowest, highest + bytes)` the active lanes of `addrs` touch.
#[inline]
fn lane_span(exec: u32, addrs: &[u64; 32], bytes: usize) -> Option<(u64, u64)> {
    let (mut lo, mut hi) = (u64::MAX, 0u64);
    let mut m = exec;
    while m != 0 {
        let a = addrs[m.trailing_zeros() as usize];
        m &= m - 1;
        lo = lo.min(a);
        hi = hi.max(a);
    }
    (lo <= hi).then_some(())?;
    Some((lo, hi.checked_add(bytes as u64)?))
}

/// The little-endian value of the 1, 2 or 4 bytes at `at` (fixed-size reads: a
/// variable-length copy here was a library call per lane).
#[inline(always)]
fn le_small(b: &[u8], at: usize, bytes: usize) -> u32 {
    match bytes {
        1 => u32::from(b[at]),
        2 => u32::from(u16::from_le_bytes([b[at], b[at + 1]])),
        _ => le_u32(&b[at..]),
    }
}

/// Writes the low 1, 2 or 4 bytes of `v` at `at`, little-endian.
#[inline(always)]
fn put_small(b: &mut [u8], at: usize, bytes: usize, v: u32) {
    match bytes {
        1 => b[at] = v as u8,
        2 => b[at..at + 2].copy_from_slice(&(v as u16).to_le_bytes()),
        _ => b[at..at + 4].copy_from_slice(&v.to_le_bytes()),
    }
}

/// A little-endian dword at the start of `b`.
#[inline]
fn le_u32(b: &[u8]) -> u32 {
    u32::from_le_bytes([b[0], b[1], b[2], b[3]])
}

/// Runs `f` for each lane set in `mask`, stopping at the first error.
fn for_lanes(mask: u32, mut f: impl FnMut(usize) -> Result<(), String>) -> Result<(), String> {
    let mut m = mask;
    while m != 0 {
        let l = m.trailing_zeros() as usize;
        m &= m - 1;
        f(l)?;
    }
    Ok(())
}

use super::loader::Ins;

#[cfg(test)]
mod tests {
    use super::gather_small;

    #[test]
    fn small_loads_extend_as_the_isa_says() {
        // Lane l reads at base + 3 * l (out of order for lanes 0 and 1), lane 2 inactive.
        let data: Vec<u8> = (0..96u32).map(|i| (i * 37 + 0x80) as u8).collect();
        let base = 0x1000u64;
        let mut addrs: [u64; 32] = std::array::from_fn(|l| base + 3 * l as u64);
        addrs.swap(0, 1);
        let exec = !(1u32 << 2);
        let run = |f: fn(u32, &[u64; 32], u64, &[u8], &mut [u32])| {
            let mut regs = [0xdead_beefu32; 32];
            f(exec, &addrs, base, &data, &mut regs);
            regs
        };
        let (u8s, i8s) = (run(gather_small::<1, false>), run(gather_small::<1, true>));
        let (u16s, i16s) = (run(gather_small::<2, false>), run(gather_small::<2, true>));
        // Lane 1 reads offset 0: byte 0x80, halfword 0x0080 | 0xa5 << 8 = 0xa580.
        assert_eq!((u8s[1], i8s[1]), (0x80, 0xffff_ff80));
        assert_eq!((u16s[1], i16s[1]), (0xa580, 0xffff_a580));
        // Lane 0 reads offset 3: byte 0x80 + 111 = 0xef, then 0x80 + 148 = 0x14 (mod 256).
        assert_eq!((u8s[0], i8s[0]), (0xef, 0xffff_ffef));
        assert_eq!((u16s[0], i16s[0]), (0x14ef, 0x14ef));
        // An inactive lane keeps its register.
        assert_eq!([u8s[2], i8s[2], u16s[2], i16s[2]], [0xdead_beef; 4]);
        // Every active lane: zero extension keeps the bits, sign extension copies bit 7/15.
        for l in (0..32).filter(|&l| exec >> l & 1 == 1) {
            let off = (addrs[l] - base) as usize;
            let (b, h) = (
                data[off],
                u16::from(data[off]) | u16::from(data[off + 1]) << 8,
            );
            assert_eq!(u8s[l], u32::from(b));
            assert_eq!(i8s[l] & 0xff, u32::from(b));
            assert_eq!(i8s[l] >> 8, if b >= 0x80 { 0xff_ffff } else { 0 });
            assert_eq!(u16s[l], u32::from(h));
            assert_eq!(i16s[l] >> 16, if h >= 0x8000 { 0xffff } else { 0 });
        }
    }
}

//! Test-only: one wave32 running machine IR over virtual registers, for the instructions
//! the LDS, atomic, subgroup and matrix families emit. Semantics are written from the RDNA3
//! ISA guide (DS address = VGPR + offset; `ds_swizzle_b32` bitmask mode; `v_mbcnt_lo`;
//! WMMA's wave32 operand layout), independently of the selection code, so the tests check
//! addresses, masks and lane mappings by running them. Registers are keyed by (virtual
//! register, dword); LDS is a byte array.

use crate::isa::{Inst, Operand};
use crate::mir::{MInst, Mir, RegClass, RegRef, Slot};
use std::collections::HashMap;

pub const LANES: usize = 32;

#[derive(Default)]
pub struct Wave {
    pub v: HashMap<(u32, u8), [u32; LANES]>,
    pub s: HashMap<(u32, u8), u32>,
    pub exec: u32,
    pub lds: Vec<u8>,
}

impl Wave {
    pub fn new(lds_bytes: usize) -> Wave {
        Wave {
            exec: u32::MAX,
            lds: vec![0; lds_bytes],
            ..Wave::default()
        }
    }

    pub fn vget(&self, reg: u32, dword: u8) -> [u32; LANES] {
        self.v.get(&(reg, dword)).copied().unwrap_or([0; LANES])
    }

    pub fn run(&mut self, mir: &Mir) {
        for m in &mir.insts {
            if let MInst::Inst { inst, regs, .. } = m {
                self.step(mir, inst, regs);
            }
        }
    }

    fn reg(regs: &[RegRef], slot: Slot) -> Option<RegRef> {
        regs.iter().copied().find(|r| r.slot == slot)
    }

    /// Source dword `k` of a slot on `lane`: its register, else the constant in the inst.
    fn read(&self, mir: &Mir, regs: &[RegRef], slot: Slot, o: Operand, k: u8, lane: usize) -> u32 {
        if let Some(r) = Self::reg(regs, slot) {
            return match mir.info(r.reg).class {
                RegClass::V => self.vget(r.reg.0, r.offset + k)[lane],
                RegClass::S => self.s.get(&(r.reg.0, r.offset + k)).copied().unwrap_or(0),
            };
        }
        match o {
            Operand::Int(n) => n as i32 as u32,
            Operand::Literal(x) => x,
            Operand::ExecLo => self.exec,
            other => panic!("simulator: operand {other:?}"),
        }
    }

    fn write_v(&mut self, r: RegRef, k: u8, lane: usize, x: u32) {
        self.v.entry((r.reg.0, r.offset + k)).or_insert([0; LANES])[lane] = x;
    }

    fn active(&self, lane: usize) -> bool {
        self.exec >> lane & 1 == 1
    }

    fn step(&mut self, mir: &Mir, inst: &Inst, regs: &[RegRef]) {
        let name = inst.op().name();
        match *inst {
            Inst::Valu { src, .. } => self.valu(mir, name, src, regs),
            Inst::Sop1 { sdst, src0, .. } => {
                let x = self.read(mir, regs, Slot::Src(0), src0, 0, 0);
                let d = Self::reg(regs, Slot::Dst);
                match (name, d) {
                    ("s_and_saveexec_b32", Some(d)) => {
                        self.s.insert((d.reg.0, d.offset), self.exec);
                        self.exec &= x;
                    }
                    ("s_mov_b32", None) if sdst == Operand::ExecLo => self.exec = x,
                    ("s_mov_b32", Some(d)) => {
                        self.s.insert((d.reg.0, d.offset), x);
                    }
                    _ => panic!("simulator: {name}"),
                }
            }
            Inst::Sopp { .. } | Inst::Sopk { .. } => {}
            Inst::Ds {
                offset0, offset1, ..
            } => {
                let off = u32::from(offset0) | u32::from(offset1) << 8;
                self.ds(mir, name, off, regs)
            }
            Inst::Vop3p { .. } => self.wmma(name, regs),
            _ => panic!("simulator: {name}"),
        }
    }

    fn valu(&mut self, mir: &Mir, name: &str, src: [Operand; 3], regs: &[RegRef]) {
        let d = Self::reg(regs, Slot::Dst).expect("dst");
        let mut mask = 0u32;
        for lane in 0..LANES {
            if !self.active(lane) {
                continue;
            }
            let [a, b, c] = [0u8, 1, 2].map(|i| {
                if src[i as usize] == Operand::None {
                    0
                } else {
                    self.read(mir, regs, Slot::Src(i), src[i as usize], 0, lane)
                }
            });
            let x = match name {
                "v_mov_b32" => a,
                "v_lshlrev_b32" => b << (a & 31),
                "v_lshrrev_b32" => b >> (a & 31),
                "v_and_b32" => a & b,
                "v_add_nc_u32" => a.wrapping_add(b),
                "v_mul_lo_u32" => a.wrapping_mul(b),
                "v_ashrrev_i32" => ((b as i32) >> (a & 31)) as u32,
                "v_bfe_u32" => (a >> (b & 31)) & ((1u64 << (c & 31)) - 1) as u32,
                "v_bfe_i32" => {
                    let w = c & 31;
                    (((a >> (b & 31)) << (32 - w)) as i32 >> (32 - w)) as u32
                }
                "v_perm_b32" => perm(a, b, c),
                "v_mad_u32_u24" => (a & 0xff_ffff).wrapping_mul(b & 0xff_ffff).wrapping_add(c),
                "v_mbcnt_lo_u32_b32" => (a & ((1u64 << lane) - 1) as u32).count_ones() + b,
                "v_cndmask_b32" => {
                    if c >> lane & 1 == 1 {
                        b
                    } else {
                        a
                    }
                }
                "v_cmp_ne_u32" => {
                    mask |= u32::from(a != b) << lane;
                    continue;
                }
                _ => panic!("simulator: {name}"),
            };
            self.write_v(d, 0, lane, x);
        }
        if name == "v_cmp_ne_u32" {
            self.s.insert((d.reg.0, d.offset), mask);
        }
    }

    fn lds_read(&self, at: u32, n: usize) -> u64 {
        let at = at as usize;
        let mut x = 0u64;
        for i in 0..n {
            x |= u64::from(self.lds[at + i]) << (8 * i);
        }
        x
    }

    fn lds_write(&mut self, at: u32, n: usize, x: u64) {
        for i in 0..n {
            self.lds[at as usize + i] = (x >> (8 * i)) as u8;
        }
    }

    fn ds(&mut self, mir: &Mir, name: &str, off: u32, regs: &[RegRef]) {
        let dst = Self::reg(regs, Slot::Dst);
        let addr = Self::reg(regs, Slot::Addr).expect("addr");
        let addrs = self.vget(addr.reg.0, addr.offset);
        if name == "ds_swizzle_b32" {
            let (and, or, xor) = (off & 0x1f, (off >> 5) & 0x1f, (off >> 10) & 0x1f);
            let src = addrs;
            let exec = self.exec;
            for lane in (0..LANES).filter(|l| exec >> l & 1 == 1) {
                let from = (((lane as u32 & and) | or) ^ xor) as usize;
                let x = if self.active(from) { src[from] } else { 0 };
                self.write_v(dst.expect("dst"), 0, lane, x);
            }
            return;
        }
        let exec = self.exec;
        let has_data = Self::reg(regs, Slot::Data0).is_some();
        for lane in (0..LANES).filter(|l| exec >> l & 1 == 1) {
            let at = addrs[lane].wrapping_add(off);
            let words: [u32; 4] = std::array::from_fn(|k| {
                if has_data {
                    self.read(mir, regs, Slot::Data0, Operand::None, k as u8, lane)
                } else {
                    0
                }
            });
            let data = |k: u8| words[k as usize];
            let store = |n: usize| -> u64 {
                (0..n.div_ceil(4) as u8).fold(0u64, |x, k| x | u64::from(data(k)) << (32 * k))
            };
            match name {
                "ds_store_b8" => self.lds_write(at, 1, store(1)),
                "ds_store_b16" => self.lds_write(at, 2, store(2)),
                "ds_store_b32" => self.lds_write(at, 4, store(4)),
                "ds_store_b64" => self.lds_write(at, 8, store(8)),
                "ds_store_b128" => {
                    let (lo, hi) = ((data(0), data(1)), (data(2), data(3)));
                    self.lds_write(at, 8, u64::from(lo.0) | u64::from(lo.1) << 32);
                    self.lds_write(at + 8, 8, u64::from(hi.0) | u64::from(hi.1) << 32);
                }
                "ds_add_u32" | "ds_add_f32" | "ds_max_i32" | "ds_min_i32" => {
                    let old = self.lds_read(at, 4) as u32;
                    let x = data(0);
                    let new = match name {
                        "ds_add_u32" => old.wrapping_add(x),
                        "ds_add_f32" => (f32::from_bits(old) + f32::from_bits(x)).to_bits(),
                        "ds_max_i32" => (old as i32).max(x as i32) as u32,
                        _ => (old as i32).min(x as i32) as u32,
                    };
                    self.lds_write(at, 4, u64::from(new));
                }
                _ => self.ds_load(name, at, dst.expect("dst"), lane),
            }
        }
    }

    fn ds_load(&mut self, name: &str, at: u32, d: RegRef, lane: usize) {
        let dwords = |w: &mut Wave, n: usize| {
            for k in 0..n {
                let x = w.lds_read(at + 4 * k as u32, 4) as u32;
                w.write_v(d, k as u8, lane, x);
            }
        };
        match name {
            "ds_load_b32" => dwords(self, 1),
            "ds_load_b64" => dwords(self, 2),
            "ds_load_b128" => dwords(self, 4),
            "ds_load_u8" => self.write_v(d, 0, lane, self.lds_read(at, 1) as u32),
            "ds_load_i8" => self.write_v(d, 0, lane, self.lds_read(at, 1) as u8 as i8 as u32),
            "ds_load_u16" => self.write_v(d, 0, lane, self.lds_read(at, 2) as u32),
            "ds_load_i16" => self.write_v(d, 0, lane, self.lds_read(at, 2) as u16 as i16 as u32),
            "ds_load_u16_d16_hi" => {
                let lo = self.vget(d.reg.0, d.offset)[lane] & 0xffff;
                let x = lo | (self.lds_read(at, 2) as u32) << 16;
                self.write_v(d, 0, lane, x);
            }
            _ => panic!("simulator: {name}"),
        }
    }

    /// D = A·B + C in the wave32 layout: A row r / B column c in lane r (and r + 16), K = 2v
    /// and 2v + 1 in the low and high halves of VGPR v; C/D VGPR v of lane l is element
    /// (2v + l / 16, l % 16). Products and sums in f64, rounded to f32 once.
    fn wmma(&mut self, name: &str, regs: &[RegRef]) {
        let get = |slot: u8| Self::reg(regs, Slot::Src(slot)).expect("src");
        let (a, b, c) = (get(0), get(1), get(2));
        let d = Self::reg(regs, Slot::Dst).expect("dst");
        let half = |r: RegRef, lane: usize, k: usize| -> f64 {
            let bits =
                (self.vget(r.reg.0, r.offset + (k / 2) as u8)[lane] >> (16 * (k % 2))) as u16;
            if name.ends_with("bf16") {
                f64::from(f32::from_bits(u32::from(bits) << 16))
            } else {
                half::f16::from_bits(bits).to_f64()
            }
        };
        let mut out = [[0u32; LANES]; 8];
        for (v, row_out) in out.iter_mut().enumerate() {
            for (lane, x) in row_out.iter_mut().enumerate() {
                let (row, col) = (2 * v + lane / 16, lane % 16);
                let acc = f64::from(f32::from_bits(self.vget(c.reg.0, c.offset + v as u8)[lane]));
                let dot: f64 = (0..16).map(|k| half(a, row, k) * half(b, col, k)).sum();
                *x = ((acc + dot) as f32).to_bits();
            }
        }
        for (v, row_out) in out.iter().enumerate() {
            for (lane, x) in row_out.iter().enumerate() {
                self.write_v(d, v as u8, lane, *x);
            }
        }
    }
}

/// `v_perm_b32`: result byte i is byte `sel_i` of the 8 bytes {src0 (high), src1 (low)};
/// selector 12 gives 0x00, 13 and above 0xff.
fn perm(a: u32, b: u32, sel: u32) -> u32 {
    let both = u64::from(a) << 32 | u64::from(b);
    (0..4).fold(0, |x, i| {
        let s = (sel >> (8 * i)) & 0xff;
        let byte = match s {
            0..=7 => (both >> (8 * s)) as u8,
            12 => 0,
            13.. => 0xff,
            _ => panic!("simulator: v_perm_b32 selector {s:#x}"),
        };
        x | u32::from(byte) << (8 * i)
    })
}

//! A small wave32 simulator for the instructions the core isel families emit, on the
//! allocated machine code of a `CompiledKernel` — test support until the RDNA3 emulator
//! (runtime/src/emu) lands. Semantics from the RDNA3 ISA reference guide: VALU results
//! only for lanes in EXEC, `v_cmp` writing 0 for inactive lanes, SALU independent of EXEC,
//! SCC as each SALU op defines it. Waves run one after another (no barriers, no LDS).
//! An instruction it does not know is an error (the test then fails), never a guess.

use egpu_codegen_amdgpu::CompiledKernel;
use egpu_codegen_amdgpu::isa::{Inst, Op, Operand, Ty};
use egpu_codegen_amdgpu::mir::MInst;
use std::collections::HashMap;

/// Flat memory: regions at fixed bases.
pub struct Mem {
    pub regions: Vec<(u64, Vec<u8>)>,
}

impl Mem {
    fn find(&mut self, addr: u64, n: usize) -> Result<&mut [u8], String> {
        for (base, bytes) in &mut self.regions {
            if addr >= *base && addr + n as u64 <= *base + bytes.len() as u64 {
                let at = (addr - *base) as usize;
                return Ok(&mut bytes[at..at + n]);
            }
        }
        Err(format!(
            "access of {n} bytes at {addr:#x} outside every buffer"
        ))
    }

    fn read(&mut self, addr: u64, n: usize) -> Result<Vec<u8>, String> {
        Ok(self.find(addr, n)?.to_vec())
    }

    fn write(&mut self, addr: u64, data: &[u8]) -> Result<(), String> {
        self.find(addr, data.len())?.copy_from_slice(data);
        Ok(())
    }
}

/// One wave's state.
pub struct Wave {
    pub s: [u32; 128],
    pub v: Vec<[u32; 32]>,
    pub exec: u32,
    pub scc: bool,
    pub vcc: u32,
}

impl Wave {
    pub fn new() -> Wave {
        Wave {
            s: [0; 128],
            v: vec![[0; 32]; 256],
            exec: 0,
            scc: false,
            vcc: 0,
        }
    }

    /// A scalar operand (32 bits).
    fn sread(&self, o: Operand) -> Result<u32, String> {
        Ok(match o {
            Operand::Sgpr(n) => self.s[n as usize],
            Operand::VccLo => self.vcc,
            Operand::VccHi | Operand::ExecHi | Operand::Null => 0,
            Operand::ExecLo => self.exec,
            Operand::Scc => u32::from(self.scc),
            Operand::Int(i) => i as i32 as u32,
            Operand::Float(f) => f.f32_bits(),
            Operand::Literal(x) => x,
            other => return Err(format!("scalar read of {other:?}")),
        })
    }

    fn swrite(&mut self, o: Operand, x: u32) -> Result<(), String> {
        match o {
            Operand::Sgpr(n) => self.s[n as usize] = x,
            Operand::VccLo => self.vcc = x,
            Operand::ExecLo => self.exec = x,
            Operand::Null => {}
            other => return Err(format!("scalar write of {other:?}")),
        }
        Ok(())
    }

    /// Lane `l` of a 32-bit VALU source.
    fn lane(&self, o: Operand, l: usize) -> Result<u32, String> {
        match o {
            Operand::Vgpr(n) => Ok(self.v[n as usize][l]),
            _ => self.sread(o),
        }
    }

    /// Lane `l` of a 64-bit VALU source (register pair or inline constant).
    fn lane64(&self, o: Operand, l: usize, float: bool) -> Result<u64, String> {
        Ok(match o {
            Operand::Vgpr(n) => {
                u64::from(self.v[n as usize][l]) | (u64::from(self.v[n as usize + 1][l]) << 32)
            }
            Operand::Sgpr(n) => {
                u64::from(self.s[n as usize]) | (u64::from(self.s[n as usize + 1]) << 32)
            }
            Operand::Int(i) => i as i64 as u64,
            Operand::Float(f) if float => f64::from(f32::from_bits(f.f32_bits())).to_bits(),
            other => return Err(format!("64-bit read of {other:?}")),
        })
    }
}

/// Runs `k` over its whole launch with `kernarg` at `KERNARG` in `mem`.
pub const KERNARG: u64 = 0x1000;

pub fn run(
    k: &CompiledKernel,
    launch: egpu_ir::kernel::Launch,
    mem: &mut Mem,
) -> Result<(), String> {
    let labels: HashMap<u32, usize> = k
        .insts
        .iter()
        .enumerate()
        .filter_map(|(i, m)| match m {
            MInst::Label(l) => Some((l.0, i)),
            _ => None,
        })
        .collect();
    let res = k.code().resources;
    let first_id = res.user_sgpr_count() as usize;
    let [wx, wy, wz] = launch.workgroup;
    let lanes = (wx * wy * wz) as usize;
    for gz in 0..launch.grid[2] {
        for gy in 0..launch.grid[1] {
            for gx in 0..launch.grid[0] {
                for wave in 0..lanes.div_ceil(32) {
                    let mut w = Wave::new();
                    w.s[0] = KERNARG as u32;
                    w.s[1] = (KERNARG >> 32) as u32;
                    let mut at = first_id;
                    for (axis, g) in [gx, gy, gz].into_iter().enumerate() {
                        if res.workgroup_id[axis] {
                            w.s[at] = g;
                            at += 1;
                        }
                    }
                    for l in 0..32 {
                        let id = wave * 32 + l;
                        if id >= lanes {
                            continue;
                        }
                        w.exec |= 1 << l;
                        let (x, y, z) =
                            (id as u32 % wx, id as u32 / wx % wy, id as u32 / (wx * wy));
                        let mut v0 = x;
                        if res.workitem_id_dims >= 2 {
                            v0 |= y << 10;
                        }
                        if res.workitem_id_dims >= 3 {
                            v0 |= z << 20;
                        }
                        w.v[0][l] = v0;
                    }
                    run_wave(k, &labels, &mut w, mem)?;
                }
            }
        }
    }
    Ok(())
}

fn run_wave(
    k: &CompiledKernel,
    labels: &HashMap<u32, usize>,
    w: &mut Wave,
    mem: &mut Mem,
) -> Result<(), String> {
    let mut pc = 0;
    let mut steps = 0u64;
    while pc < k.insts.len() {
        steps += 1;
        if steps > 10_000_000 {
            return Err("step limit".into());
        }
        match &k.insts[pc] {
            MInst::Label(_) => pc += 1,
            MInst::Branch { op, target, .. } => {
                let taken = match op.name() {
                    "s_branch" => true,
                    "s_cbranch_scc0" => !w.scc,
                    "s_cbranch_scc1" => w.scc,
                    "s_cbranch_execz" => w.exec == 0,
                    "s_cbranch_execnz" => w.exec != 0,
                    "s_cbranch_vccz" => w.vcc == 0,
                    "s_cbranch_vccnz" => w.vcc != 0,
                    other => return Err(format!("branch {other}")),
                };
                pc = if taken {
                    *labels.get(&target.0).ok_or("unplaced label")?
                } else {
                    pc + 1
                };
            }
            MInst::Inst { inst, .. } => {
                if let Inst::Sopp { op, .. } = inst
                    && op.name() == "s_endpgm"
                {
                    return Ok(());
                }
                step(w, inst, mem)
                    .map_err(|e| format!("instruction {pc} ({}): {e}", inst.op().name()))?;
                pc += 1;
            }
        }
    }
    Err("ran past the end without s_endpgm".into())
}

fn step(w: &mut Wave, inst: &Inst, mem: &mut Mem) -> Result<(), String> {
    match *inst {
        Inst::Sopp { op, .. } => match op.name() {
            "s_waitcnt" | "s_nop" | "s_delay_alu" | "s_waitcnt_depctr" | "s_code_end" => Ok(()),
            other => Err(format!("sopp {other}")),
        },
        Inst::Sopk { op, .. } if op.name() == "s_waitcnt_vscnt" => Ok(()),
        Inst::Smem {
            op,
            sdata,
            sbase,
            soffset,
            offset,
            ..
        } => {
            let Operand::Sgpr(b) = sbase else {
                return Err("sbase".into());
            };
            let base = u64::from(w.s[b as usize]) | (u64::from(w.s[b as usize + 1]) << 32);
            let extra = if soffset == Operand::Null {
                0
            } else {
                w.sread(soffset)?
            };
            let addr = base + offset as u64 + u64::from(extra);
            let n = op.info().dst.dwords() as usize;
            let bytes = mem.read(addr, 4 * n)?;
            let Operand::Sgpr(d) = sdata else {
                return Err("sdata".into());
            };
            for i in 0..n {
                w.s[d as usize + i] =
                    u32::from_le_bytes(bytes[4 * i..4 * i + 4].try_into().unwrap());
            }
            Ok(())
        }
        Inst::Sop1 { op, sdst, src0 } => sop1(w, op, sdst, src0),
        Inst::Sop2 {
            op,
            sdst,
            src0,
            src1,
        } => sop2(w, op, sdst, src0, src1),
        Inst::Sopc { op, src0, src1 } => {
            let (a, b) = (w.sread(src0)?, w.sread(src1)?);
            let (sa, sb) = (a as i32, b as i32);
            w.scc = match op.name() {
                "s_cmp_eq_u32" | "s_cmp_eq_i32" => a == b,
                "s_cmp_lg_u32" | "s_cmp_lg_i32" => a != b,
                "s_cmp_lt_i32" => sa < sb,
                "s_cmp_le_i32" => sa <= sb,
                "s_cmp_gt_i32" => sa > sb,
                "s_cmp_ge_i32" => sa >= sb,
                "s_cmp_lt_u32" => a < b,
                "s_cmp_le_u32" => a <= b,
                "s_cmp_gt_u32" => a > b,
                "s_cmp_ge_u32" => a >= b,
                other => return Err(format!("sopc {other}")),
            };
            Ok(())
        }
        Inst::Valu {
            op,
            e64,
            vdst,
            sdst,
            src,
            mods,
        } => {
            if mods != Default::default() {
                return Err("VOP3 modifiers".into());
            }
            valu(w, op, e64, vdst, sdst, src)
        }
        Inst::Flat {
            op,
            vdst,
            addr,
            data,
            saddr,
            offset,
            ..
        } => global(w, op, vdst, addr, data, saddr, offset, mem),
        _ => Err("format not simulated".into()),
    }
}

fn sop1(w: &mut Wave, op: Op, sdst: Operand, src0: Operand) -> Result<(), String> {
    let a = w.sread(src0)?;
    match op.name() {
        "s_mov_b32" => w.swrite(sdst, a),
        "s_not_b32" => {
            w.scc = !a != 0;
            w.swrite(sdst, !a)
        }
        "s_and_saveexec_b32" => {
            let old = w.exec;
            w.exec = a & old;
            w.scc = w.exec != 0;
            w.swrite(sdst, old)
        }
        other => Err(format!("sop1 {other}")),
    }
}

fn sop2(w: &mut Wave, op: Op, sdst: Operand, src0: Operand, src1: Operand) -> Result<(), String> {
    let (a, b) = (w.sread(src0)?, w.sread(src1)?);
    let (sa, sb) = (a as i32, b as i32);
    let (r, scc) = match op.name() {
        "s_add_u32" => {
            let (r, c) = a.overflowing_add(b);
            (r, Some(c))
        }
        "s_sub_u32" => {
            let (r, c) = a.overflowing_sub(b);
            (r, Some(c))
        }
        "s_mul_i32" => (a.wrapping_mul(b), None),
        "s_mul_hi_u32" => (((u64::from(a) * u64::from(b)) >> 32) as u32, None),
        "s_mul_hi_i32" => (((i64::from(sa) * i64::from(sb)) >> 32) as u32, None),
        "s_and_b32" => (a & b, Some(a & b != 0)),
        "s_or_b32" => (a | b, Some(a | b != 0)),
        "s_xor_b32" => (a ^ b, Some(a ^ b != 0)),
        "s_and_not1_b32" => (a & !b, Some(a & !b != 0)),
        "s_lshl_b32" => (a << (b & 31), Some(a << (b & 31) != 0)),
        "s_lshr_b32" => (a >> (b & 31), Some(a >> (b & 31) != 0)),
        "s_ashr_i32" => ((sa >> (b & 31)) as u32, Some(sa >> (b & 31) != 0)),
        "s_max_i32" => (sa.max(sb) as u32, Some(sa > sb)),
        "s_min_i32" => (sa.min(sb) as u32, Some(sa < sb)),
        "s_max_u32" => (a.max(b), Some(a > b)),
        "s_min_u32" => (a.min(b), Some(a < b)),
        other => return Err(format!("sop2 {other}")),
    };
    if let Some(c) = scc {
        w.scc = c;
    }
    w.swrite(sdst, r)
}

fn f(x: u32) -> f32 {
    f32::from_bits(x)
}

fn is_snan(x: u32) -> bool {
    f(x).is_nan() && x & 0x0040_0000 == 0
}

/// IEEE-mode `v_max_f32`/`v_min_f32`: a signalling NaN operand gives its quieted self,
/// a quiet NaN the other operand; equal operands (±0 too) give src0 — one of the answers
/// IEEE 754-2008 allows, which the isel fix-up must not rely on.
fn minmax(a: u32, b: u32, max: bool) -> u32 {
    if is_snan(a) {
        return a | 0x0040_0000;
    }
    if is_snan(b) {
        return b | 0x0040_0000;
    }
    if f(a).is_nan() {
        return b;
    }
    if f(b).is_nan() {
        return a;
    }
    let pick_b = if max { f(b) > f(a) } else { f(b) < f(a) };
    if pick_b { b } else { a }
}

/// A 32-bit lane op by name, or `None`.
fn lane_op(name: &str, a: u32, b: u32, c: u32) -> Option<u32> {
    let (sa, sb) = (a as i32, b as i32);
    Some(match name {
        "v_mov_b32" | "v_readfirstlane_b32" => a,
        "v_add_f32" => (f(a) + f(b)).to_bits(),
        "v_sub_f32" => (f(a) - f(b)).to_bits(),
        "v_mul_f32" => (f(a) * f(b)).to_bits(),
        "v_fma_f32" => f(a).mul_add(f(b), f(c)).to_bits(),
        "v_max_f32" => minmax(a, b, true),
        "v_min_f32" => minmax(a, b, false),
        "v_trunc_f32" => f(a).trunc().to_bits(),
        "v_and_b32" => a & b,
        "v_or_b32" => a | b,
        "v_xor_b32" => a ^ b,
        "v_not_b32" => !a,
        "v_add_nc_u32" => a.wrapping_add(b),
        "v_sub_nc_u32" => a.wrapping_sub(b),
        "v_mul_lo_u32" => a.wrapping_mul(b),
        "v_mul_hi_u32" => ((u64::from(a) * u64::from(b)) >> 32) as u32,
        "v_mul_hi_i32" => ((i64::from(sa) * i64::from(sb)) >> 32) as u32,
        "v_max_i32" => sa.max(sb) as u32,
        "v_min_i32" => sa.min(sb) as u32,
        "v_max_u32" => a.max(b),
        "v_min_u32" => a.min(b),
        "v_lshlrev_b32" => b << (a & 31),
        "v_lshrrev_b32" => b >> (a & 31),
        "v_ashrrev_i32" => (sb >> (a & 31)) as u32,
        "v_bfe_u32" => {
            let (off, width) = (b & 31, c & 31);
            if width == 0 {
                0
            } else {
                (a >> off) & ((1u64 << width) - 1) as u32
            }
        }
        _ => return None,
    })
}

/// A compare by name, or `None`.
fn cmp_op(name: &str, a: u32, b: u32) -> Option<bool> {
    let (sa, sb) = (a as i32, b as i32);
    Some(match name {
        "v_cmp_lt_f32" => f(a) < f(b),
        "v_cmp_eq_f32" => f(a) == f(b),
        "v_cmp_neq_f32" => f(a) != f(b),
        "v_cmp_u_f32" => f(a).is_nan() || f(b).is_nan(),
        "v_cmp_lt_i32" => sa < sb,
        "v_cmp_gt_i32" => sa > sb,
        "v_cmp_lt_u32" => a < b,
        "v_cmp_gt_u32" => a > b,
        "v_cmp_eq_u32" | "v_cmp_eq_i32" => a == b,
        "v_cmp_ne_u32" | "v_cmp_ne_i32" => a != b,
        _ => return None,
    })
}

fn valu(
    w: &mut Wave,
    op: Op,
    e64: bool,
    vdst: Operand,
    sdst: Operand,
    src: [Operand; 3],
) -> Result<(), String> {
    let name = op.name();
    let active = |l: usize| w.exec >> l & 1 == 1;
    if name == "v_readfirstlane_b32" {
        let l = (0..32).find(|&l| active(l)).unwrap_or(0);
        let x = w.lane(src[0], l)?;
        return w.swrite(vdst, x);
    }
    if name.starts_with("v_cmp_") {
        let mut mask = 0u32;
        for l in (0..32).filter(|&l| active(l)) {
            let r = if name == "v_cmp_lt_i64" {
                (w.lane64(src[0], l, false)? as i64) < (w.lane64(src[1], l, false)? as i64)
            } else {
                cmp_op(name, w.lane(src[0], l)?, w.lane(src[1], l)?)
                    .ok_or(format!("{name} not simulated"))?
            };
            mask |= u32::from(r) << l;
        }
        return if e64 {
            w.swrite(vdst, mask)
        } else {
            w.swrite(Operand::VccLo, mask)
        };
    }
    let Operand::Vgpr(d) = vdst else {
        return Err(format!("{name}: vdst {vdst:?}"));
    };
    let d = d as usize;
    match name {
        "v_cndmask_b32" => {
            let mask = if e64 { w.sread(src[2])? } else { w.vcc };
            for l in (0..32).filter(|&l| active(l)) {
                let pick = if mask >> l & 1 == 1 { src[1] } else { src[0] };
                w.v[d][l] = w.lane(pick, l)?;
            }
        }
        "v_add_co_u32" | "v_sub_co_u32" | "v_add_co_ci_u32" | "v_sub_co_ci_u32" => {
            let carry_in = if name.ends_with("ci_u32") {
                if e64 { w.sread(src[2])? } else { w.vcc }
            } else {
                0
            };
            let mut out = 0u32;
            for l in (0..32).filter(|&l| active(l)) {
                let (a, b) = (u64::from(w.lane(src[0], l)?), u64::from(w.lane(src[1], l)?));
                let c = u64::from(carry_in >> l & 1);
                let (r, carry) = if name.starts_with("v_add") {
                    let r = a + b + c;
                    (r as u32, r >> 32 != 0)
                } else {
                    (a.wrapping_sub(b).wrapping_sub(c) as u32, b + c > a)
                };
                w.v[d][l] = r;
                out |= u32::from(carry) << l;
            }
            if e64 {
                w.swrite(sdst, out)?
            } else {
                w.vcc = out
            }
        }
        "v_lshlrev_b64" => {
            for l in (0..32).filter(|&l| active(l)) {
                let sh = w.lane(src[0], l)? & 63;
                let x = w.lane64(src[1], l, false)? << sh;
                w.v[d][l] = x as u32;
                w.v[d + 1][l] = (x >> 32) as u32;
            }
        }
        _ => {
            let types = op.info().src;
            if types.iter().any(|t| matches!(t, Ty::B64 | Ty::F64)) {
                return Err(format!("{name}: 64-bit op not simulated"));
            }
            for l in (0..32).filter(|&l| active(l)) {
                let a = w.lane(src[0], l)?;
                let b = if src[1] == Operand::None {
                    0
                } else {
                    w.lane(src[1], l)?
                };
                let c = if src[2] == Operand::None {
                    0
                } else {
                    w.lane(src[2], l)?
                };
                w.v[d][l] = lane_op(name, a, b, c).ok_or(format!("{name} not simulated"))?;
            }
        }
    }
    Ok(())
}

#[allow(clippy::too_many_arguments)]
fn global(
    w: &mut Wave,
    op: Op,
    vdst: Operand,
    addr: Operand,
    data: Operand,
    saddr: Operand,
    offset: i16,
    mem: &mut Mem,
) -> Result<(), String> {
    let name = op.name();
    let Operand::Vgpr(a) = addr else {
        return Err("addr".into());
    };
    for l in (0..32).filter(|&l| w.exec >> l & 1 == 1) {
        let base = match saddr {
            Operand::Null => {
                u64::from(w.v[a as usize][l]) | (u64::from(w.v[a as usize + 1][l]) << 32)
            }
            Operand::Sgpr(s) => {
                let s = s as usize;
                (u64::from(w.s[s]) | (u64::from(w.s[s + 1]) << 32)) + u64::from(w.v[a as usize][l])
            }
            other => return Err(format!("saddr {other:?}")),
        };
        let at = base.wrapping_add(offset as i64 as u64);
        let (bytes, signed) = match name.rsplit('_').next().unwrap_or("") {
            "b8" | "u8" => (1, false),
            "i8" => (1, true),
            "b16" | "u16" => (2, false),
            "i16" => (2, true),
            "b32" => (4, false),
            "b64" => (8, false),
            "b96" => (12, false),
            "b128" => (16, false),
            other => return Err(format!("width {other}")),
        };
        if name.starts_with("global_load") {
            let Operand::Vgpr(d) = vdst else {
                return Err("vdst".into());
            };
            let raw = mem.read(at, bytes)?;
            if bytes < 4 {
                let mut x = 0u32;
                for (i, b) in raw.iter().enumerate() {
                    x |= u32::from(*b) << (8 * i);
                }
                if signed {
                    let sh = 32 - 8 * bytes as u32;
                    x = ((x << sh) as i32 >> sh) as u32;
                }
                w.v[d as usize][l] = x;
            } else {
                for i in 0..bytes / 4 {
                    w.v[d as usize + i][l] =
                        u32::from_le_bytes(raw[4 * i..4 * i + 4].try_into().unwrap());
                }
            }
        } else if name.starts_with("global_store") {
            let Operand::Vgpr(s) = data else {
                return Err("data".into());
            };
            let mut raw = Vec::new();
            for i in 0..bytes.div_ceil(4) {
                raw.extend_from_slice(&w.v[s as usize + i][l].to_le_bytes());
            }
            raw.truncate(bytes);
            mem.write(at, &raw)?;
        } else {
            return Err(format!("{name} not simulated"));
        }
    }
    Ok(())
}

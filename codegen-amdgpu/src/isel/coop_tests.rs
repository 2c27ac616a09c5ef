//! Tests of the LDS, barrier, atomic, subgroup and matrix families: selection state built by
//! hand (values given registers directly), the machine IR run on [`super::coop_sim`], and
//! the results compared with values computed here from the IR's meaning (docs/kir.md) and
//! the ISA facts (LLVM's encodings for the swizzle pattern).

use super::coop_sim::{LANES, Wave};
use super::{Piece, Sel, Val, atomic, lds, matrix, subgroup};
use crate::isa::{Inst, Operand};
use crate::mir::{MInst, RegClass, Slot};
use cranelift_entity::EntityRef;
use egpu_ir::kernel::{
    Atomic, AtomicOp, FragId, Kernel, MatrixTile, Memory, ParamId, SharedId, TileRef, ValueId,
    ValueType,
};
use egpu_ir::{DType, Target};

fn kernel(header: &str, body: &str) -> Kernel {
    let src =
        format!("kernel t({header}) grid [1, 1, 1] workgroup [32, 1, 1] subgroup 32\n{body}\n");
    egpu_ir::kernel::text::parse(&src).expect("test kernel parses")
}

fn sel<'k>(k: &'k Kernel) -> Sel<'k> {
    let mut s = Sel::new(k, &Target::GFX1100);
    s.lds_offsets = lds::layout(k).0;
    s
}

/// A VGPR holding `f(lane)` in the simulator.
fn vgpr(s: &mut Sel, w: &mut Wave, f: impl Fn(usize) -> u32) -> Piece {
    let p = s.new_v(1);
    w.v.insert((p.reg.0, 0), std::array::from_fn(f));
    p
}

fn sgpr(s: &mut Sel, w: &mut Wave, x: u32) -> Piece {
    let p = s.new_s(1);
    w.s.insert((p.reg.0, 0), x);
    p
}

fn lane_vals(w: &Wave, p: Piece) -> [u32; LANES] {
    w.vget(p.reg.0, p.offset)
}

fn ds_insts(s: &Sel) -> Vec<Inst> {
    s.mir
        .insts
        .iter()
        .filter_map(|m| match m {
            MInst::Inst {
                inst: i @ Inst::Ds { .. },
                ..
            } => Some(*i),
            _ => None,
        })
        .collect()
}

/// Header with a 3-byte array first, so the array under test sits at LDS offset 16.
const PAD: &str = "shared pad: u8[3]\n";

/// Stores `w` 4- or 8-byte elements per lane at index `lane·w`, loads them back from the
/// next lane's slot, and checks the values and the LDS bytes.
fn round_trip_wide(dt: DType, width: u32) {
    let name = format!("{dt:?}").to_lowercase();
    let k = kernel("", &format!("{PAD}shared s: {name}[512]\n{{\n}}"));
    let mut s = sel(&k);
    let mut w = Wave::new(16 + 512 * 8);
    let dwords = (dt.size_bytes() / 4) as u8;
    let word =
        |lane: usize, e: u32, d: u8| (lane as u32) << 16 | e << 4 | u32::from(d) | 0x8000_0000;
    let mut elems = Vec::new();
    for e in 0..width {
        let p = s.new_v(dwords);
        for d in 0..dwords {
            w.v.insert((p.reg.0, d), std::array::from_fn(|l| word(l, e, d)));
        }
        elems.push(p);
    }
    let arr = SharedId::new(1);
    let store_at = vgpr(&mut s, &mut w, |l| l as u32 * width);
    let load_at = vgpr(&mut s, &mut w, |l| ((l + 1) % LANES) as u32 * width);
    lds::store(&mut s, arr, store_at, &Val { elems }, None).unwrap();
    let ty = ValueType { dtype: dt, width };
    let got = lds::load(&mut s, arr, load_at, ty, None).unwrap();
    w.run(&s.mir);
    assert_eq!(got.elems.len(), width as usize);
    for (e, p) in got.elems.iter().enumerate() {
        for d in 0..dwords {
            let vals = w.vget(p.reg.0, p.offset + d);
            for (l, v) in vals.iter().enumerate() {
                assert_eq!(
                    *v,
                    word((l + 1) % LANES, e as u32, d),
                    "{dt:?}x{width} lane {l}"
                );
            }
        }
    }
    // Element e, dword d of lane l sits at 16 + ((l·w + e)·size + 4d).
    let size = dt.size_bytes() as u32;
    for l in [0usize, 7, 31] {
        for e in 0..width {
            let at = (16 + (l as u32 * width + e) * size) as usize;
            let b = &w.lds[at..at + 4];
            assert_eq!(u32::from_le_bytes(b.try_into().unwrap()), word(l, e, 0));
        }
    }
    // Accesses of 16 bytes where the vector allows it.
    let max = ds_insts(&s)
        .iter()
        .map(|i| i.op().info().dst.dwords())
        .max();
    assert_eq!(max, Some(((width * size).min(16) / 4) as u8));
}

#[test]
fn lds_round_trip_wide() {
    for (dt, w) in [
        (DType::F32, 1),
        (DType::F32, 4),
        (DType::I32, 8),
        (DType::F64, 1),
        (DType::F64, 2),
        (DType::U64, 8),
    ] {
        round_trip_wide(dt, w);
    }
}

/// 8- and 16-bit elements come back extended by their dtype's sign, for every width (one
/// element at a time, or packed: wide loads split with bfe/shifts, 16-bit pairs packed with
/// v_perm_b32 whatever their upper bits hold).
#[test]
fn lds_round_trip_narrow() {
    let cases = [
        (DType::I8, 0xf0u32, 0xffff_fff0u32),
        (DType::U8, 0xf0, 0xf0),
        (DType::I16, 0x8001, 0xffff_8001),
        (DType::U16, 0x8001, 0x8001),
        (DType::F16, 0xbc00, 0xbc00),
        (DType::BF16, 0xbf80, 0xbf80),
    ];
    for (dt, stored, loaded) in cases {
        for width in [1u32, 2, 4, 8] {
            narrow(dt, width, stored, loaded);
        }
    }
}

fn narrow(dt: DType, width: u32, stored: u32, loaded: u32) {
    let name = format!("{dt:?}").to_lowercase();
    let k = kernel("", &format!("{PAD}shared s: {name}[256]\n{{\n}}"));
    let mut s = sel(&k);
    let mut w = Wave::new(16 + 512);
    let arr = SharedId::new(1);
    let k_of = |l: usize, e: u32| e + 8 * (l as u32 % 2);
    // Registers hold the value representation (i8/i16 sign-extended).
    let x: Vec<Piece> = (0..width)
        .map(|e| vgpr(&mut s, &mut w, |l| loaded + k_of(l, e)))
        .collect();
    let at = vgpr(&mut s, &mut w, |l| width * l as u32);
    let next = vgpr(&mut s, &mut w, |l| width * ((l + 1) % LANES) as u32);
    lds::store(&mut s, arr, at, &Val { elems: x }, None).unwrap();
    let ty = ValueType { dtype: dt, width };
    let got = lds::load(&mut s, arr, next, ty, None).unwrap();
    let ds_before_masked = ds_insts(&s).len();
    let on = sgpr(&mut s, &mut w, 0x0f0f_3c3c);
    let masked = lds::load(&mut s, arr, next, ty, Some(&Val::scalar(on))).unwrap();
    w.run(&s.mir);
    for (e, p) in got.elems.iter().enumerate() {
        for (l, v) in lane_vals(&w, *p).iter().enumerate() {
            let want = loaded + k_of((l + 1) % LANES, e as u32);
            assert_eq!(*v, want, "{dt:?}x{width} lane {l} element {e}");
            let m = lane_vals(&w, masked.elems[e])[l];
            let want = if 0x0f0f_3c3cu32 >> l & 1 == 1 {
                want
            } else {
                0
            };
            assert_eq!(m, want, "{dt:?}x{width} masked lane {l} element {e}");
        }
    }
    let ds_masked = ds_insts(&s).len() - ds_before_masked;
    assert_eq!(
        ds_masked as u32,
        (width * dt.size_bytes() as u32).div_ceil(16)
    );
    // One load per 16 bytes (twice: unmasked and masked); 16-bit stores packed, 8-bit
    // ones a byte at a time.
    let bytes = width * dt.size_bytes() as u32;
    let stores = if dt.size_bytes() == 2 && width > 1 {
        bytes.div_ceil(16)
    } else {
        width
    };
    assert_eq!(
        ds_insts(&s).len() as u32,
        stores + 2 * bytes.div_ceil(16),
        "{dt:?}x{width}"
    );
    let e = width - 1;
    let at = 16 + (5 * width + e) as usize * dt.size_bytes();
    assert_eq!(
        w.lds[at],
        (stored + k_of(5, e)) as u8,
        "{dt:?}x{width} lane 5"
    );
}

/// Bools are stored as bytes 0/1 and load back as lane masks: scalars, a bool×4 vector
/// (one packed load), and a masked load (lanes off read false).
#[test]
fn lds_bool_round_trip() {
    let k = kernel("", "shared s: bool[256]\n{\n}");
    let mut s = sel(&k);
    let mut w = Wave::new(256);
    let patterns = [0xa5c3_0ff1u32, 0x1234_5678, 0xffff_0000, 0x8000_0001];
    let ms: Vec<Piece> = patterns.iter().map(|p| sgpr(&mut s, &mut w, *p)).collect();
    let at = vgpr(&mut s, &mut w, |l| l as u32);
    let at4 = vgpr(&mut s, &mut w, |l| 4 * l as u32 + 128);
    let arr = SharedId::new(0);
    lds::store(&mut s, arr, at, &Val::scalar(ms[0]), None).unwrap();
    lds::store(&mut s, arr, at4, &Val { elems: ms.clone() }, None).unwrap();
    let one = ValueType::scalar(DType::Bool);
    let four = ValueType {
        dtype: DType::Bool,
        width: 4,
    };
    let got = lds::load(&mut s, arr, at, one, None).unwrap();
    let got4 = lds::load(&mut s, arr, at4, four, None).unwrap();
    let masked = lds::load(&mut s, arr, at, one, Some(&Val::scalar(ms[1]))).unwrap();
    w.run(&s.mir);
    let mask_of = |p: &Piece| {
        assert_eq!(p.class, RegClass::S);
        w.s[&(p.reg.0, 0)]
    };
    assert_eq!(mask_of(&got.elems[0]), patterns[0]);
    let got4: Vec<u32> = got4.elems.iter().map(mask_of).collect();
    assert_eq!(got4, patterns);
    assert_eq!(mask_of(&masked.elems[0]), patterns[0] & patterns[1]);
    assert!(w.lds.iter().all(|b| *b <= 1));
    assert_eq!(
        w.lds[..32].iter().map(|b| u32::from(*b)).sum::<u32>(),
        patterns[0].count_ones()
    );
}

/// A whole-access mask and per-element masks: off lanes read 0, write nothing, and EXEC
/// is all ones again afterwards.
#[test]
fn lds_masked_access() {
    let k = kernel("", "shared s: f32[128]\n{\n}");
    let mut s = sel(&k);
    let mut w = Wave::new(512);
    for (i, b) in w.lds.iter_mut().enumerate() {
        *b = i as u8 | 0x80;
    }
    let before = w.lds.clone();
    let arr = SharedId::new(0);
    let at = vgpr(&mut s, &mut w, |l| 2 * l as u32);
    let odd = sgpr(&mut s, &mut w, 0xaaaa_aaaa);
    let low = sgpr(&mut s, &mut w, 0x0000_ffff);
    let ty = ValueType {
        dtype: DType::F32,
        width: 2,
    };
    let whole = lds::load(&mut s, arr, at, ty, Some(&Val::scalar(odd))).unwrap();
    let masks = Val {
        elems: vec![odd, low],
    };
    let per = lds::load(&mut s, arr, at, ty, Some(&masks)).unwrap();
    let x = vgpr(&mut s, &mut w, |l| 1000 + l as u32);
    let y = vgpr(&mut s, &mut w, |l| 2000 + l as u32);
    let xy = Val { elems: vec![x, y] };
    lds::store(&mut s, arr, at, &xy, Some(&masks)).unwrap();
    w.run(&s.mir);
    assert_eq!(w.exec, u32::MAX);
    let word = |m: &[u8], i: usize| u32::from_le_bytes(m[4 * i..4 * i + 4].try_into().unwrap());
    for l in 0..LANES {
        let on = |m: u32| m >> l & 1 == 1;
        let exp = |m: u32, e: usize| if on(m) { word(&before, 2 * l + e) } else { 0 };
        assert_eq!(lane_vals(&w, whole.elems[0])[l], exp(0xaaaa_aaaa, 0));
        assert_eq!(lane_vals(&w, whole.elems[1])[l], exp(0xaaaa_aaaa, 1));
        assert_eq!(lane_vals(&w, per.elems[0])[l], exp(0xaaaa_aaaa, 0));
        assert_eq!(lane_vals(&w, per.elems[1])[l], exp(0xffff, 1));
        let stored = |m: u32, e: usize, v: u32| if on(m) { v } else { word(&before, 2 * l + e) };
        assert_eq!(word(&w.lds, 2 * l), stored(0xaaaa_aaaa, 0, 1000 + l as u32));
        assert_eq!(word(&w.lds, 2 * l + 1), stored(0xffff, 1, 2000 + l as u32));
    }
}

/// A constant index goes into the DS offset field: array offset 16 + 5·4.
#[test]
fn lds_constant_index_in_offset_field() {
    let k = kernel(
        "",
        &format!("{PAD}shared s: f32[64]\n{{\n  v0: i32 = const 5\n}}"),
    );
    let mut s = sel(&k);
    let mut w = Wave::new(16 + 256);
    let c = sgpr(&mut s, &mut w, 5);
    s.set_val(ValueId::new(0), Val::scalar(c));
    w.lds[36..40].copy_from_slice(&7.5f32.to_bits().to_le_bytes());
    let got = lds::load(
        &mut s,
        SharedId::new(1),
        c,
        ValueType::scalar(DType::F32),
        None,
    )
    .unwrap();
    let ds = ds_insts(&s);
    assert_eq!(ds.len(), 1);
    let Inst::Ds {
        offset0, offset1, ..
    } = ds[0]
    else {
        unreachable!()
    };
    assert_eq!(Inst::ds_offset(offset0, offset1), 36);
    w.run(&s.mir);
    assert!(
        lane_vals(&w, got.elems[0])
            .iter()
            .all(|v| *v == 7.5f32.to_bits())
    );
}

fn op_names(s: &Sel) -> Vec<&'static str> {
    s.mir
        .insts
        .iter()
        .filter_map(|m| match m {
            MInst::Inst { inst, .. } => Some(inst.op().name()),
            _ => None,
        })
        .collect()
}

/// Without a `read_write` buffer only LDS needs ordering; with one, the global release
/// and acquire of the memory model (LLVM AMDGPUUsage, GFX11 workgroup fences).
#[test]
fn barrier_release_acquire() {
    let k = kernel(
        "x: global f32[4] read, y: global f32[4] write",
        "shared s: f32[4]\n{\n}",
    );
    let mut s = sel(&k);
    lds::barrier(&mut s).unwrap();
    assert_eq!(op_names(&s), ["s_waitcnt", "s_barrier"]);
    let print: Vec<String> = s.mir.insts.iter().map(print_inst).collect();
    assert_eq!(print[0], "s_waitcnt lgkmcnt(0)");

    let k = kernel("x: global f32[4] read_write", "{\n}");
    let mut s = sel(&k);
    lds::barrier(&mut s).unwrap();
    let print: Vec<String> = s.mir.insts.iter().map(print_inst).collect();
    assert_eq!(
        print,
        [
            "s_waitcnt vmcnt(0) lgkmcnt(0)",
            "s_waitcnt_vscnt null, 0x0",
            "s_barrier",
            "buffer_gl0_inv"
        ]
    );
}

fn print_inst(m: &MInst) -> String {
    match m {
        MInst::Inst { inst, .. } => crate::isa::print(inst),
        other => format!("{other:?}"),
    }
}

/// 32 lanes update one element: the sum (wrapping), max and min of every lane's value.
#[test]
fn lds_atomics_from_every_lane() {
    let k = kernel(
        "",
        "shared s: i32[8]\nshared f: f32[4]\n{\n  v0: i32 = const 0\n  v1: f32 = const 0\n}",
    );
    let cases = [
        (
            AtomicOp::Add,
            5u32,
            5 + (0..32).map(|l| l * 1000).sum::<u32>(),
        ),
        (AtomicOp::Max, 5, 31 * 1000 - 16_000),
        (AtomicOp::Min, 5, (-16_000i32) as u32),
    ];
    for (op, init, want) in cases {
        let mut s = sel(&k);
        let mut w = Wave::new(64);
        w.lds[12..16].copy_from_slice(&init.to_le_bytes());
        let at = vgpr(&mut s, &mut w, |_| 3);
        let bias = if op == AtomicOp::Add { 0 } else { 16_000 };
        let x = vgpr(&mut s, &mut w, |l| (l as u32 * 1000).wrapping_sub(bias));
        let a = Atomic {
            op,
            target: Memory::Shared(SharedId::new(0)),
            index: ValueId::new(0),
            value: ValueId::new(0),
        };
        atomic::atomic(&mut s, &a, at, x).unwrap();
        w.run(&s.mir);
        assert_eq!(
            u32::from_le_bytes(w.lds[12..16].try_into().unwrap()),
            want,
            "{op:?}"
        );
        assert_eq!(
            ds_insts(&s)[0].op().name(),
            format!(
                "ds_{}_{}",
                op.name(),
                if op == AtomicOp::Add { "u32" } else { "i32" }
            )
        );
    }
    // f32: small integers, so every order gives the same sum.
    let mut s = sel(&k);
    let mut w = Wave::new(64);
    let at = vgpr(&mut s, &mut w, |_| 1);
    let x = vgpr(&mut s, &mut w, |l| (l as f32).to_bits());
    let a = Atomic {
        op: AtomicOp::Add,
        target: Memory::Shared(SharedId::new(1)),
        index: ValueId::new(0),
        value: ValueId::new(1),
    };
    atomic::atomic(&mut s, &a, at, x).unwrap();
    w.run(&s.mir);
    let got = f32::from_le_bytes(w.lds[32 + 4..32 + 8].try_into().unwrap());
    assert_eq!(got, 496.0);
}

/// Global atomics: GLOBAL with the buffer's SGPR pair as saddr and `index << 2` as the
/// VGPR offset, no GLC (no return value, no vdst).
#[test]
fn global_atomic_form() {
    let k = kernel(
        "n: i32, x: global i32[64] read_write",
        "{\n  v0: i32 = const 0\n}",
    );
    let mut s = sel(&k);
    let base = s.new_s(2);
    s.entry.params = vec![None, Some(base)];
    let idx = s.new_v(1);
    let val = s.new_s(1);
    let a = Atomic {
        op: AtomicOp::Max,
        target: Memory::Global(ParamId::new(1)),
        index: ValueId::new(0),
        value: ValueId::new(0),
    };
    atomic::atomic(&mut s, &a, idx, val).unwrap();
    let MInst::Inst { inst, regs, .. } = s.mir.insts.last().unwrap() else {
        panic!("no instruction");
    };
    let Inst::Flat {
        op, vdst, cache, ..
    } = *inst
    else {
        panic!("not GLOBAL: {inst:?}");
    };
    assert_eq!(op.name(), "global_atomic_max_i32");
    assert_eq!(vdst, Operand::None);
    assert!(!cache.glc);
    let saddr = regs.iter().find(|r| r.slot == Slot::Saddr).unwrap();
    assert_eq!(saddr.reg, base.reg);
    let names = op_names(&s);
    assert!(names.contains(&"v_lshlrev_b32") && names.contains(&"v_mov_b32"));
}

/// `ds_swizzle_b32` with the xor pattern: lane i reads lane i ^ o, for 32- and 64-bit
/// values; the pattern for o = 16 is LLVM's `swizzle(SWAP,16)` (offset 0x401f).
#[test]
fn swizzle_butterfly_steps() {
    assert_eq!(subgroup::xor_pattern(16), 0x401f);
    let k = kernel("", "{\n}");
    for xor in subgroup::BUTTERFLY {
        let mut s = sel(&k);
        let mut w = Wave::new(0);
        let x = s.new_v(2);
        w.v.insert((x.reg.0, 0), std::array::from_fn(|l| l as u32));
        w.v.insert((x.reg.0, 1), std::array::from_fn(|l| 100 + l as u32));
        let y = subgroup::swap(&mut s, x, 2, xor);
        w.run(&s.mir);
        for l in 0..LANES {
            let from = l ^ usize::from(xor);
            assert_eq!(w.vget(y.reg.0, 0)[l], from as u32);
            assert_eq!(w.vget(y.reg.0, 1)[l], 100 + from as u32);
        }
    }
}

const TILES: &str = "shared pad: u8[4]
shared a: f16[1024]
shared b: f16[1024]
shared d: f32[1024]
fragment acc: f32[16, 16]
{
  v0: i32 = const 8
  v1: i32 = const 16
  v2: i32 = const 4
  v3: i32 = const 400
  v4: i32 = const 512
}";

/// A/B element (r, c) of test tile `t`: small integers, exact in f16, bf16 and sums.
fn elem(t: usize, r: usize, c: usize) -> f32 {
    ((r * 3 + c * 5 + t * 7) % 9) as f32 - 4.0
}

fn put_half(w: &mut Wave, at: usize, x: f32, dt: DType) {
    let bits = match dt {
        DType::BF16 => (x.to_bits() >> 16) as u16,
        _ => half::f16::from_f32(x).to_bits(),
    };
    w.lds[at..at + 2].copy_from_slice(&bits.to_le_bytes());
}

struct TileSetup<'k> {
    s: Sel<'k>,
    w: Wave,
    refs: [TileRef; 5],
}

/// Tiles: A at offset 8 stride 24, B at 16 stride 32, D at 4 stride 20, and a second A/B
/// pair at 400 / 512 (strides 24, 32).
fn tiles(k: &Kernel, dt: DType) -> TileSetup<'_> {
    let mut s = sel(k);
    let mut w = Wave::new(16 + 2048 * 2 + 4096);
    for (i, c) in [8u32, 16, 4, 400, 512].iter().enumerate() {
        let p = sgpr(&mut s, &mut w, *c);
        s.set_val(ValueId::new(i), Val::scalar(p));
    }
    let t = |arr: usize, v: usize, stride: u32| TileRef {
        array: SharedId::new(arr),
        offset: ValueId::new(v),
        stride,
    };
    let refs = [
        t(1, 0, 24),
        t(2, 1, 32),
        t(3, 2, 20),
        t(1, 3, 24),
        t(2, 4, 32),
    ];
    let off = s.lds_offsets.clone();
    for (n, r) in refs.iter().enumerate().filter(|(n, _)| *n != 2) {
        let base = [8, 16, 0, 400, 512][n];
        for i in 0..16 {
            for j in 0..16 {
                let at = off[r.array.index()] as usize + 2 * (base + i * r.stride as usize + j);
                put_half(&mut w, at, elem(n, i, j), dt);
            }
        }
    }
    for i in 0..16 {
        for j in 0..16 {
            let at = off[3] as usize + 4 * (4 + i * 20 + j);
            w.lds[at..at + 4].copy_from_slice(&((i as f32) - (j as f32) * 0.5).to_le_bytes());
        }
    }
    TileSetup { s, w, refs }
}

fn d_elem(w: &Wave, off: u32, i: usize, j: usize) -> f32 {
    let at = off as usize + 4 * (4 + i * 20 + j);
    f32::from_le_bytes(w.lds[at..at + 4].try_into().unwrap())
}

/// `matrix_tile` through LDS: D = D + A·B for f16 and bf16 (exact small integers).
#[test]
fn matrix_tile_f16_bf16() {
    for dt in [DType::F16, DType::BF16] {
        let tiles_kir = TILES.replace("f16", &format!("{dt:?}").to_lowercase());
        let k = kernel("", &tiles_kir);
        let TileSetup { mut s, mut w, refs } = tiles(&k, dt);
        let t = MatrixTile {
            a: refs[0],
            b: refs[1],
            d: refs[2],
        };
        matrix::tile(&mut s, &t).unwrap();
        let names = op_names(&s);
        assert_eq!(names.iter().filter(|n| n.contains("wmma_f32")).count(), 1);
        assert_eq!(names.iter().filter(|n| **n == "ds_load_b128").count(), 2);
        w.run(&s.mir);
        let d_off = s.lds_offsets[3];
        for i in 0..16 {
            for j in 0..16 {
                let dot: f32 = (0..16).map(|kk| elem(0, i, kk) * elem(1, kk, j)).sum();
                let want = (i as f32) - (j as f32) * 0.5 + dot;
                assert_eq!(d_elem(&w, d_off, i, j), want, "{dt:?} ({i}, {j})");
            }
        }
    }
}

/// A 3-step fragment k-loop (unrolled): zero, three multiplies from two tile pairs, store.
#[test]
fn fragment_k_loop() {
    let k = kernel("", TILES);
    let TileSetup { mut s, mut w, refs } = tiles(&k, DType::F16);
    let f = FragId::new(0);
    matrix::fragment_zero(&mut s, f).unwrap();
    let steps = [(0, 1), (3, 4), (0, 4)];
    for (a, b) in steps {
        matrix::fragment_mma(&mut s, f, &refs[a], &refs[b]).unwrap();
    }
    matrix::fragment_store(&mut s, f, &refs[2]).unwrap();
    // Every multiply reads and writes the one fragment tuple in place.
    let frag = s.frags[0].unwrap();
    for m in &s.mir.insts {
        if let MInst::Inst {
            inst: Inst::Vop3p { .. },
            regs,
            ..
        } = m
        {
            let d = regs.iter().find(|r| r.slot == Slot::Dst).unwrap();
            let c = regs.iter().find(|r| r.slot == Slot::Src(2)).unwrap();
            assert_eq!((d.reg, c.reg), (frag, frag));
            assert!(d.reads() && d.writes());
        }
    }
    w.run(&s.mir);
    let d_off = s.lds_offsets[3];
    for i in 0..16 {
        for j in 0..16 {
            let want: f32 = steps
                .iter()
                .map(|(a, b)| {
                    (0..16)
                        .map(|kk| elem(*a, i, kk) * elem(*b, kk, j))
                        .sum::<f32>()
                })
                .sum();
            let per: Vec<f32> = steps
                .iter()
                .map(|(a, b)| {
                    (0..16)
                        .map(|kk| elem(*a, i, kk) * elem(*b, kk, j))
                        .sum::<f32>()
                })
                .collect();
            assert_eq!(d_elem(&w, d_off, i, j), want, "({i}, {j}) {per:?}");
        }
    }
}

/// A tile whose B stride pushes row offsets past the 16-bit DS offset field still
/// addresses correctly (the excess goes into the address VGPR).
#[test]
fn tile_offsets_beyond_ds_field() {
    let k = kernel(
        "",
        "shared a: f16[16384]\nshared b: f16[32768]\nshared d: f32[256]\n{\n  v0: i32 = const 0\n}",
    );
    let mut s = sel(&k);
    let mut w = Wave::new(98304 + 1024);
    let z = sgpr(&mut s, &mut w, 0);
    s.set_val(ValueId::new(0), Val::scalar(z));
    let off = s.lds_offsets.clone();
    let t = |arr: usize, stride: u32| TileRef {
        array: SharedId::new(arr),
        offset: ValueId::new(0),
        stride,
    };
    let (ta, tb, td) = (t(0, 16), t(1, 2048), t(2, 16));
    for i in 0..16 {
        for j in 0..16 {
            put_half(
                &mut w,
                off[0] as usize + 2 * (i * 16 + j),
                elem(0, i, j),
                DType::F16,
            );
            put_half(
                &mut w,
                off[1] as usize + 2 * (i * 2048 + j),
                elem(1, i, j),
                DType::F16,
            );
        }
    }
    let mt = MatrixTile {
        a: ta,
        b: tb,
        d: td,
    };
    matrix::tile(&mut s, &mt).unwrap();
    w.run(&s.mir);
    for i in 0..16 {
        for j in 0..16 {
            let dot: f32 = (0..16).map(|kk| elem(0, i, kk) * elem(1, kk, j)).sum();
            let at = off[2] as usize + 4 * (i * 16 + j);
            let got = f32::from_le_bytes(w.lds[at..at + 4].try_into().unwrap());
            assert_eq!(got, dot, "({i}, {j})");
        }
    }
}

/// Bad input is an error naming the kernel, not a panic.
#[test]
fn errors_name_the_kernel() {
    let k = kernel("", "shared s: f32[4]\n{\n}");
    let mut s = sel(&k);
    s.lds_offsets.clear();
    let p = s.new_v(1);
    let e = lds::load(
        &mut s,
        SharedId::new(0),
        p,
        ValueType::scalar(DType::F32),
        None,
    );
    assert!(e.unwrap_err().to_string().starts_with("kernel t:"));
    let e = lds::load(
        &mut s,
        SharedId::new(5),
        p,
        ValueType::scalar(DType::F32),
        None,
    );
    assert!(e.is_err());

    // A constant index whose byte offset overflows: no panic, the register path.
    let k = kernel(
        "",
        "shared s: f64[4]\nshared h: f16[64]\nshared d: f32[64]\n{\n  v0: i64 = const 9223372036854775807\n}",
    );
    let mut s = sel(&k);
    let c = s.new_s(2);
    s.set_val(ValueId::new(0), Val::scalar(c));
    let ty = ValueType::scalar(DType::F64);
    assert!(lds::load(&mut s, SharedId::new(0), c, ty, None).is_ok());
    // A tile stride no LDS tile can have: an error, not an overflow.
    let t = |array: usize, stride: u32| TileRef {
        array: SharedId::new(array),
        offset: ValueId::new(0),
        stride,
    };
    let huge = MatrixTile {
        a: t(1, 1 << 30),
        b: t(1, 16),
        d: t(2, 16),
    };
    let e = matrix::tile(&mut s, &huge).unwrap_err();
    assert!(e.to_string().contains("stride"), "{e}");
}

/// The `.kir` kernels in tests/data/kir (prepared for the emulator against the interpreter)
/// parse, pass the verifier with the gfx1100 limits, and run on the interpreter without an
/// error (no race, no unwritten shared element, no misaligned access); the matrix kernels
/// give the product computed here.
#[test]
fn kir_kernels_run_on_the_interpreter() {
    use egpu_ir::interp::{Data, Tensor};
    use egpu_ir::kernel::Param;
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/kir");
    let names: Vec<_> = COOP_KIR.iter().map(|f| dir.join(f)).collect();
    for path in names {
        let text = std::fs::read_to_string(&path).unwrap();
        let kernels = egpu_ir::kernel::text::parse_all(&text)
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        for k in &kernels {
            egpu_ir::kernel::verify(k, Some(&Target::GFX1100))
                .unwrap_or_else(|e| panic!("{}: {e:?}", k.name()));
            let mut bufs: Vec<Tensor> = k
                .params()
                .filter_map(|(_, p)| match p {
                    Param::Buffer { dtype, len, .. } => {
                        let vals: Vec<f64> = (0..*len).map(|i| input(*dtype, i)).collect();
                        Some(Tensor::from_f64(*dtype, &[*len], &vals).unwrap())
                    }
                    Param::Scalar { .. } => None,
                })
                .collect();
            egpu_ir::kernel::run(k, &mut bufs, &[]).unwrap_or_else(|e| panic!("{}: {e}", k.name()));
            let out = |b: &Tensor| match &b.data {
                Data::Float(v) => v.clone(),
                _ => Vec::new(),
            };
            match k.name() {
                "tile_f16" | "tile_bf16" => {
                    let (a, b) = (
                        |r: usize, c: usize| input(DType::F16, r * 16 + c),
                        |r, c| input(DType::F16, r * 16 + c),
                    );
                    let y = out(&bufs[3]);
                    for (n, got) in y.iter().enumerate() {
                        let (r, c) = (n / 16, n % 16);
                        let dot: f64 = (0..16).map(|kk| a(r, kk) * b(kk, c)).sum();
                        assert_eq!(*got, input(DType::F32, n) + dot, "{} ({r}, {c})", k.name());
                    }
                }
                "fragment_kloop" => {
                    let y = out(&bufs[2]);
                    for (n, got) in y.iter().enumerate() {
                        let (r, c) = (n / 16, n % 16);
                        let dot: f64 = (0..48)
                            .map(|kk| {
                                input(DType::F16, r * 48 + kk) * input(DType::F16, kk * 16 + c)
                            })
                            .sum();
                        assert_eq!(*got, dot, "fragment_kloop ({r}, {c})");
                    }
                }
                _ => {}
            }
        }
    }
}

/// Test input element `i` of a buffer of `dt`: small integers (exact in every dtype and in
/// every sum here), non-negative for unsigned dtypes.
fn input(dt: DType, i: usize) -> f64 {
    let x = ((i * 7) % 11) as f64;
    match dt {
        DType::U8 | DType::U16 | DType::U32 | DType::U64 | DType::Bool => x,
        _ => x - 5.0,
    }
}

/// The butterfly combines in kir.md's pairwise-tree order on every lane: with the
/// commutative, pairing-sensitive `f(a, b) = a² + b²` (wrapping u32), every lane ends
/// with f applied to lanes (0,1), (2,3), … then to pairs of those, and so on.
#[test]
fn butterfly_is_the_pairwise_tree() {
    let k = kernel("", "{\n}");
    let mut s = sel(&k);
    let mut w = Wave::new(0);
    let x = vgpr(&mut s, &mut w, |l| (l as u32 + 1).wrapping_mul(0x9e37_79b9));
    let r = subgroup::butterfly(&mut s, x, 1, |sel, a, b| {
        let (a2, b2, d) = (sel.new_v(1), sel.new_v(1), sel.new_v(1));
        sel.valu(super::emit::op("v_mul_lo_u32"), a2, &[a.into(), a.into()]);
        sel.valu(super::emit::op("v_mul_lo_u32"), b2, &[b.into(), b.into()]);
        sel.valu(super::emit::op("v_add_nc_u32"), d, &[a2.into(), b2.into()]);
        Ok(d)
    })
    .unwrap();
    w.run(&s.mir);
    let f = |a: u32, b: u32| a.wrapping_mul(a).wrapping_add(b.wrapping_mul(b));
    let mut level: Vec<u32> = (0..32u32)
        .map(|l| (l + 1).wrapping_mul(0x9e37_79b9))
        .collect();
    while level.len() > 1 {
        level = level.chunks(2).map(|p| f(p[0], p[1])).collect();
    }
    assert!(lane_vals(&w, r).iter().all(|v| *v == level[0]));
    let swizzles = ds_insts(&s).len();
    assert_eq!(swizzles, 5);
}

/// This family's kernels in tests/data/kir (the other families keep theirs there too).
const COOP_KIR: [&str; 5] = [
    "subgroup_reduce.kir",
    "lds_round_trip.kir",
    "atomics.kir",
    "matrix_tile.kir",
    "fragment_kloop.kir",
];

/// `clang-19` then `llvm-objdump-19 -d` of an OpenCL file in tests/data/coop, or None
/// where the LLVM 19 tools are not installed.
fn clang_disasm(file: &str) -> Option<String> {
    use std::process::Command;
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/coop");
    let tmp = tempfile::tempdir().ok()?;
    let obj = tmp.path().join("k.o");
    let cl = Command::new("clang-19")
        .args(["-x", "cl", "-cl-std=CL2.0", "-target", "amdgcn-amd-amdhsa"])
        .args(["-mcpu=gfx1100", "-nogpulib", "-O3", "-c"])
        .arg(dir.join(file))
        .arg("-o")
        .arg(&obj)
        .status()
        .ok()?;
    assert!(cl.success(), "clang-19 failed on {file}");
    let out = Command::new("llvm-objdump-19")
        .args(["-d", "--mcpu=gfx1100"])
        .arg(&obj)
        .output()
        .ok()?;
    Some(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// The instruction text of a disassembly line (without the address comment).
fn asm_text(line: &str) -> &str {
    line.split("//").next().unwrap_or("").trim()
}

/// Our barrier for a kernel that may share global data has LLVM's workgroup
/// release/acquire around `s_barrier`: every wait LLVM emits (it omits `vmcnt(0)` only
/// where no load is in flight), the barrier, then `buffer_gl0_inv`.
#[test]
fn barrier_matches_llvm_fences() {
    let Some(dis) = clang_disasm("fence_barrier.cl") else {
        return;
    };
    let lines: Vec<&str> = dis.lines().map(asm_text).collect();
    let at = lines
        .iter()
        .position(|l| *l == "s_barrier")
        .expect("s_barrier");
    let before: Vec<&str> = lines[..at]
        .iter()
        .rev()
        .take_while(|l| l.starts_with("s_waitcnt") || l.starts_with('v'))
        .filter(|l| l.starts_with("s_waitcnt"))
        .copied()
        .collect();
    assert_eq!(lines[at + 1], "buffer_gl0_inv");
    let k = kernel("x: global f32[4] read_write", "{\n}");
    let mut s = sel(&k);
    lds::barrier(&mut s).unwrap();
    let ours: Vec<String> = s.mir.insts.iter().map(print_inst).collect();
    let b = ours.iter().position(|l| l == "s_barrier").unwrap();
    assert_eq!(ours[b + 1], "buffer_gl0_inv");
    for wait in before {
        let covered = match wait {
            "s_waitcnt lgkmcnt(0)" => ours.contains(&"s_waitcnt vmcnt(0) lgkmcnt(0)".to_string()),
            w => ours[..b].iter().any(|o| o == w),
        };
        assert!(
            covered,
            "LLVM waits with `{wait}` before the barrier; we do not: {ours:?}"
        );
    }
}

/// LLVM packs WMMA operand element k into VGPR k / 2 of the tuple, the low half for even k
/// and the high half (a `d16_hi` load, keeping the low one) for odd k — what the B loads
/// of the matrix family do (and what the simulator's WMMA assumes).
#[test]
fn wmma_operand_packing_matches_llvm() {
    let Some(dis) = clang_disasm("wmma_pack.cl") else {
        return;
    };
    let lines: Vec<&str> = dis.lines().map(asm_text).collect();
    let wmma = lines
        .iter()
        .find(|l| l.contains("wmma_f32"))
        .expect("a WMMA instruction");
    // v_wmma_f32_16x16x16_f16 vD, vA, v[B0:B7], vC: the B tuple is the third operand.
    let ops: Vec<&str> = wmma.split_whitespace().skip(1).collect();
    let b = ops[2].trim_end_matches(',');
    let b0: u32 = b[2..b.find(':').unwrap()].parse().unwrap();
    let mut seen = 0u32;
    for l in &lines {
        // LLVM spells the high-half load `global_load_d16_hi_b16` (not in our table).
        let hi = l.contains("load_d16_hi_b16");
        if !(hi || l.starts_with("global_load_u16")) {
            continue;
        }
        let reg: u32 = l
            .split_whitespace()
            .nth(1)
            .unwrap()
            .trim_start_matches('v')
            .trim_end_matches(',')
            .parse()
            .unwrap();
        let off: u32 = l
            .split("offset:")
            .nth(1)
            .map_or(0, |o| o.trim().parse().unwrap());
        // Element k of the column is at byte 14·k (stride 7 halves).
        let k = off / 14;
        assert_eq!(off % 14, 0);
        assert_eq!(reg, b0 + k / 2, "element {k}");
        assert_eq!(hi, k % 2 == 1, "element {k}");
        seen |= 1 << k;
    }
    assert_eq!(seen, 0xffff);
}

/// The selected code of each family allocates (stand-in allocator) and encodes, and where
/// llvm-mc-19 is installed, LLVM assembles our printed text to the same bytes.
#[test]
fn selected_code_encodes_like_llvm() {
    let mut programs: Vec<crate::mir::Mir> = Vec::new();
    // LDS: wide, narrow packed, masked, bool; barrier; atomics; swizzle; matrix.
    let k = kernel(
        "x: global i32[64] read_write",
        &format!("{PAD}shared s: f32[256]\nshared h: i16[256]\nshared m: bool[64]\n{{\n}}"),
    );
    let mut s = sel(&k);
    let mut w = Wave::new(0);
    let at = vgpr(&mut s, &mut w, |l| l as u32);
    let us = sgpr(&mut s, &mut w, 3);
    let mask = sgpr(&mut s, &mut w, 1);
    let v4 = lds::load(
        &mut s,
        SharedId::new(1),
        at,
        ValueType {
            dtype: DType::F32,
            width: 4,
        },
        Some(&Val::scalar(mask)),
    )
    .unwrap();
    lds::store(&mut s, SharedId::new(1), us, &v4, None).unwrap();
    let h8 = lds::load(
        &mut s,
        SharedId::new(2),
        at,
        ValueType {
            dtype: DType::I16,
            width: 8,
        },
        None,
    )
    .unwrap();
    lds::store(&mut s, SharedId::new(2), at, &h8, Some(&Val::scalar(mask))).unwrap();
    let b = lds::load(
        &mut s,
        SharedId::new(3),
        at,
        ValueType::scalar(DType::Bool),
        None,
    )
    .unwrap();
    lds::store(&mut s, SharedId::new(3), us, &b, None).unwrap();
    lds::barrier(&mut s).unwrap();
    subgroup::swap(&mut s, at, 1, 16);
    let k2 = kernel(
        "x: global i32[64] read_write",
        "shared s: i32[8]\n{\n  v0: i32 = const 1\n}",
    );
    let mut s2 = sel(&k2);
    let base = s2.new_s(2);
    s2.entry.params = vec![Some(base)];
    let (i2, x2) = (s2.new_v(1), s2.new_s(1));
    for target in [
        Memory::Global(ParamId::new(0)),
        Memory::Shared(SharedId::new(0)),
    ] {
        for op in AtomicOp::ALL {
            let a = Atomic {
                op,
                target,
                index: ValueId::new(0),
                value: ValueId::new(0),
            };
            atomic::atomic(&mut s2, &a, i2, x2).unwrap();
        }
    }
    programs.push(s.mir);
    programs.push(s2.mir);
    let kt = kernel("", TILES);
    let TileSetup { mut s, refs, .. } = tiles(&kt, DType::BF16);
    let t = MatrixTile {
        a: refs[0],
        b: refs[1],
        d: refs[2],
    };
    matrix::tile(&mut s, &t).unwrap();
    matrix::fragment_zero(&mut s, FragId::new(0)).unwrap();
    matrix::fragment_mma(&mut s, FragId::new(0), &refs[3], &refs[4]).unwrap();
    matrix::fragment_store(&mut s, FragId::new(0), &refs[2]).unwrap();
    programs.push(s.mir);
    for mut mir in programs {
        define_inputs(&mut mir);
        crate::regalloc::allocate(&mut mir).unwrap();
        let asm = crate::assemble::assemble(&mir.insts).unwrap();
        let text: Vec<String> = mir.insts.iter().map(print_inst).collect();
        if let Some(bytes) = llvm_mc(&text) {
            assert!(bytes.len() > 40, "llvm-mc-19 gave {} bytes", bytes.len());
            assert_eq!(
                bytes,
                asm.code,
                "llvm-mc-19 disagrees on:\n{}",
                text.join("\n")
            );
        }
    }
}

/// Makes a test program a whole one: prepends a definition (`v_mov_b32`/`s_mov_b32` 0 per
/// dword) of every virtual register it reads before writing (the tests give such inputs
/// values in the simulator; an allocator wants them defined) and appends `s_endpgm`.
fn define_inputs(mir: &mut crate::mir::Mir) {
    use crate::mir::{Access, RegRef};
    let mut seen = std::collections::HashSet::new();
    let mut inputs = Vec::new();
    for m in &mir.insts {
        if let MInst::Inst { regs, .. } = m {
            for r in regs {
                if seen.insert(r.reg) && r.access != Access::Def {
                    inputs.push(r.reg);
                }
            }
        }
    }
    let mut prologue = Vec::new();
    for reg in inputs {
        let info = mir.info(reg);
        for k in 0..info.dwords {
            let (inst, dst) = match info.class {
                RegClass::V => (
                    Inst::Valu {
                        op: super::emit::op("v_mov_b32"),
                        e64: false,
                        vdst: Operand::Vgpr(0),
                        sdst: Operand::None,
                        src: [Operand::Int(0), Operand::None, Operand::None],
                        mods: Default::default(),
                    },
                    Slot::Dst,
                ),
                RegClass::S => (
                    Inst::Sop1 {
                        op: super::emit::op("s_mov_b32"),
                        sdst: Operand::Sgpr(0),
                        src0: Operand::Int(0),
                    },
                    Slot::Dst,
                ),
            };
            let regs = vec![RegRef::def(dst, reg).at(k)];
            prologue.push(MInst::Inst {
                inst,
                regs,
                line: 0,
            });
        }
    }
    prologue.append(&mut mir.insts);
    mir.insts = prologue;
    let end = Inst::Sopp {
        op: super::emit::op("s_endpgm"),
        imm: 0,
    };
    mir.push(end, Vec::new(), 0);
}

/// The bytes llvm-mc-19 assembles `lines` to, or None where it is not installed.
fn llvm_mc(lines: &[String]) -> Option<Vec<u8>> {
    use std::io::Write;
    use std::process::{Command, Stdio};
    let mut child = Command::new("llvm-mc-19")
        .args([
            "-triple=amdgcn-amd-amdhsa",
            "-mcpu=gfx1100",
            "-show-encoding",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .ok()?;
    child
        .stdin
        .take()?
        .write_all(lines.join("\n").as_bytes())
        .ok()?;
    let out = child.wait_with_output().ok()?;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    let mut bytes = Vec::new();
    for l in text.lines() {
        let Some(enc) = l.split("encoding: [").nth(1) else {
            continue;
        };
        for b in enc.trim_end_matches(']').split(',') {
            bytes.push(u8::from_str_radix(b.trim().trim_start_matches("0x"), 16).ok()?);
        }
    }
    Some(bytes)
}

use super::*;
use crate::emu::alu::{self, Lanes};

/// Lane values that exercise integer edges and every float class: zeros of both signs,
/// subnormals, infinities, NaNs, and a pseudo-random stream.
fn values(seed: u32) -> [u32; 32] {
    const SPECIAL: [u32; 12] = [
        0,
        0x8000_0000,
        1,
        0x0000_0001,
        0x807f_ffff,
        0x7f80_0000,
        0xff80_0000,
        0x7fc0_0000,
        0xffc0_1234,
        0x7f7f_ffff,
        0xffff_ffff,
        31,
    ];
    let mut s = seed;
    std::array::from_fn(|l| {
        s = s.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
        if s >> 29 == 0 {
            SPECIAL[(s >> 8) as usize % SPECIAL.len()]
        } else {
            s.rotate_left(seed % 32) ^ (l as u32)
        }
    })
}

const OPS: [&str; 37] = [
    "v_mov_b32",
    "v_add_nc_u32",
    "v_sub_nc_u32",
    "v_subrev_nc_u32",
    "v_lshlrev_b32",
    "v_lshrrev_b32",
    "v_ashrrev_i32",
    "v_and_b32",
    "v_or_b32",
    "v_xor_b32",
    "v_mul_lo_u32",
    "v_mul_hi_u32",
    "v_mul_hi_i32",
    "v_mul_u32_u24",
    "v_min_i32",
    "v_max_i32",
    "v_min_u32",
    "v_max_u32",
    "v_add3_u32",
    "v_lshl_add_u32",
    "v_add_f32",
    "v_sub_f32",
    "v_subrev_f32",
    "v_mul_f32",
    "v_fma_f32",
    "v_fmac_f32",
    "v_max_f32",
    "v_min_f32",
    "v_cndmask_b32",
    "v_exp_f32",
    "v_log_f32",
    "v_rcp_f32",
    "v_rcp_iflag_f32",
    "v_rsq_f32",
    "v_sqrt_f32",
    "v_div_fixup_f32",
    "v_div_fmas_f32",
];

#[test]
fn every_kernel_computes_what_the_generic_lane_op_computes() {
    for name in OPS {
        let fast = kernel(name).unwrap_or_else(|| panic!("{name} has no kernel"));
        let generic = alu::vector(name).unwrap_or_else(|| panic!("{name} has no lane op"));
        for seed in 0..300u32 {
            let rows = [values(seed), values(seed + 7_000), values(seed + 13_000)];
            let mask = values(seed + 21_000)[0];
            let mut got = [0u32; 32];
            fast([&rows[0], &rows[1], &rows[2]], mask, &mut got);
            let mut lanes = Lanes {
                src: rows.map(|r| r.map(u64::from)),
                cin: mask,
                exec: u32::MAX,
                out: [0; 32],
                bits: 0,
            };
            generic(&mut lanes);
            for l in 0..32 {
                assert_eq!(
                    got[l], lanes.out[l] as u32,
                    "{name} lane {l} sources {:#x} {:#x} {:#x}",
                    rows[0][l], rows[1][l], rows[2][l]
                );
            }
        }
    }
}

const COMPARES: [&str; 23] = [
    "v_cmp_lt_f32",
    "v_cmp_eq_f32",
    "v_cmp_le_f32",
    "v_cmp_gt_f32",
    "v_cmp_ge_f32",
    "v_cmp_lg_f32",
    "v_cmp_o_f32",
    "v_cmp_u_f32",
    "v_cmp_neq_f32",
    "v_cmp_nlt_f32",
    "v_cmp_ngt_f32",
    "v_cmp_lt_i32",
    "v_cmp_le_i32",
    "v_cmp_gt_i32",
    "v_cmp_ge_i32",
    "v_cmp_eq_i32",
    "v_cmp_eq_u32",
    "v_cmp_ne_i32",
    "v_cmp_ne_u32",
    "v_cmp_lt_u32",
    "v_cmp_le_u32",
    "v_cmp_gt_u32",
    "v_cmp_ge_u32",
];

#[test]
fn every_compare_sets_the_bits_the_generic_lane_op_sets() {
    for name in COMPARES {
        let fast = compare(name).unwrap_or_else(|| panic!("{name} has no kernel"));
        let generic = alu::vector(name).unwrap_or_else(|| panic!("{name} has no lane op"));
        for seed in 0..300u32 {
            // Equal operands in some lanes, so equality is exercised too.
            let mut rows = [values(seed), values(seed + 7_000), [0; 32]];
            for l in (0..32).step_by(5) {
                rows[1][l] = rows[0][l];
            }
            let mut lanes = Lanes {
                src: rows.map(|r| r.map(u64::from)),
                cin: 0,
                exec: u32::MAX,
                out: [0; 32],
                bits: 0,
            };
            generic(&mut lanes);
            assert_eq!(
                fast([&rows[0], &rows[1], &rows[2]]),
                lanes.bits,
                "{name} seed {seed}"
            );
        }
    }
}

#[test]
fn planned_forms_are_the_plain_ones() {
    use egpu_codegen_amdgpu::isa::Op;
    let op = |n: &str| Op::by_name(n).unwrap_or_else(|| panic!("{n} is an opcode"));
    let valu = |name: &str, src: [Operand; 3], mods: Mods| Inst::Valu {
        op: op(name),
        e64: true,
        vdst: Operand::Vgpr(3),
        sdst: Operand::None,
        src,
        mods,
    };
    let plain = [Operand::Vgpr(1), Operand::Sgpr(4), Operand::None];
    let planned = plan(&valu("v_add_f32", plain, Mods::default()));
    assert!(matches!(
        planned,
        Some(Fast::Valu {
            src: [Src::Vgpr(1), Src::Sreg(4), Src::None],
            dst: 3,
            mask: None,
            ..
        })
    ));
    // Transcendental ops are planned and marked, so their results are hazard-tracked.
    assert!(matches!(
        plan(&valu("v_exp_f32", plain, Mods::default())),
        Some(Fast::Valu { trans: true, .. })
    ));
    assert!(matches!(planned, Some(Fast::Valu { trans: false, .. })));
    // v_div_fmas reads each lane's VCC bit.
    let fmas = [Operand::Vgpr(1), Operand::Vgpr(2), Operand::Vgpr(0)];
    assert!(matches!(
        plan(&valu("v_div_fmas_f32", fmas, Mods::default())),
        Some(Fast::Valu {
            mask: Some(106),
            trans: false,
            ..
        })
    ));
    // Sign modifiers on float ops are planned; on integer ops, and clamp or omod
    // anywhere, as well as 64-bit ops, keep the generic path.
    let negated = Mods {
        neg: 1,
        ..Mods::default()
    };
    assert!(matches!(
        plan(&valu("v_add_f32", plain, negated)),
        Some(Fast::Valu { neg: 1, abs: 0, .. })
    ));
    assert!(plan(&valu("v_add_nc_u32", plain, negated)).is_none());
    let clamped = Mods {
        clamp: true,
        ..Mods::default()
    };
    assert!(plan(&valu("v_add_f32", plain, clamped)).is_none());
    let halved = Mods {
        omod: 3,
        ..Mods::default()
    };
    assert!(plan(&valu("v_mul_f32", plain, halved)).is_none());
    // A modifier on a source the op does not have is left to the generic path.
    let third = Mods {
        abs: 4,
        ..Mods::default()
    };
    assert!(plan(&valu("v_add_f32", plain, third)).is_none());
    assert!(plan(&valu("v_add_f64", plain, Mods::default())).is_none());
    // Scalar ops reading SCC, or 64 bits wide, too.
    let sop2 = |name: &str| Inst::Sop2 {
        op: op(name),
        sdst: Operand::Sgpr(2),
        src0: Operand::Sgpr(0),
        src1: Operand::Int(3),
    };
    assert!(matches!(
        plan(&sop2("s_add_u32")),
        Some(Fast::Scalar {
            a: Src::Sreg(0),
            b: Src::Const(3),
            dst: Some(2),
            ..
        })
    ));
    assert!(plan(&sop2("s_addc_u32")).is_none());
    let cmp = Inst::Valu {
        op: op("v_cmp_gt_u32"),
        e64: true,
        vdst: Operand::Sgpr(6),
        sdst: Operand::None,
        src: [Operand::Vgpr(0), Operand::Int(7), Operand::None],
        mods: Mods::default(),
    };
    assert!(matches!(
        plan(&cmp),
        Some(Fast::Compare {
            src: [Src::Vgpr(0), Src::Const(7), Src::None],
            dst: 6,
            ..
        })
    ));
    assert!(plan(&sop2("s_lshl_b64")).is_none());
}

/// Runs `inst` on a copy of `wave` through the generic path (`fast: None`) and through
/// its plan, and checks both leave the same registers and TRANS hazard behind.
fn same_as_generic(wave: &Wave, inst: Inst) {
    use crate::emu::loader::{Exec, Ins, semantics_of};
    let Exec::Valu { f, cin, trans } = semantics_of(inst.op()) else {
        panic!("{inst:?} is not a plain VALU op");
    };
    let name = inst.op().name();
    let planned = Ins::new(0x40, 8, inst, name, semantics_of(inst.op()));
    assert!(planned.fast.is_some(), "{inst:?} has no plan");
    let generic = Ins {
        fast: None,
        ..planned.clone()
    };
    let (mut a, mut b) = (wave.clone(), wave.clone());
    let plan = planned.fast.expect("planned");
    // The fast path itself, not a decline that falls back to the generic one.
    assert!(a.valu_fast(&plan, planned.pc), "{inst:?} declined");
    b.valu(&generic, f, cin, trans)
        .unwrap_or_else(|e| panic!("{name}: {e}"));
    assert_eq!(a.v, b.v, "{inst:?}");
    assert_eq!(a.v_written, b.v_written, "{inst:?}");
    assert_eq!(a.hazards.trans_use(3), b.hazards.trans_use(3), "{inst:?}");
}

#[test]
fn sign_modifiers_vcc_and_trans_match_the_generic_path() {
    use egpu_codegen_amdgpu::isa::Op;
    const FLOAT_OPS: [&str; 9] = [
        "v_add_f32",
        "v_mul_f32",
        "v_max_f32",
        "v_fma_f32",
        "v_exp_f32",
        "v_rcp_f32",
        "v_sqrt_f32",
        "v_div_fixup_f32",
        "v_div_fmas_f32",
    ];
    for seed in 0..20u32 {
        let mut wave = Wave::new(0, 4, 0);
        for r in 0..3 {
            for (l, &x) in values(seed * 3 + r as u32).iter().enumerate() {
                wave.set_v(r, l, x);
            }
        }
        let exec = if seed % 2 == 0 {
            u32::MAX
        } else {
            values(seed)[1] | 1
        };
        wave.set_s(super::super::wave::EXEC_LO, exec).expect("exec");
        wave.set_s(VCC_LO, values(seed + 99)[2]).expect("vcc");
        for name in FLOAT_OPS {
            let op = Op::by_name(name).expect("an opcode");
            let n = op.info().src.iter().filter(|t| **t != Ty::N).count();
            let src: [Operand; 3] = std::array::from_fn(|i| {
                if i < n {
                    Operand::Vgpr(i as u8)
                } else {
                    Operand::None
                }
            });
            for signs in 0..(1u8 << (2 * n)) {
                let mods = Mods {
                    neg: signs & ((1 << n) - 1),
                    abs: signs >> n,
                    ..Mods::default()
                };
                let inst = Inst::Valu {
                    op,
                    e64: true,
                    vdst: Operand::Vgpr(3),
                    sdst: Operand::None,
                    src,
                    mods,
                };
                same_as_generic(&wave, inst);
            }
        }
    }
}

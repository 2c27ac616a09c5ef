//! Errors name what is wrong and where; nothing derived from input panics. Expected
//! constants come from IEEE arithmetic (Rust's f32, the `half` crate), not from the code
//! under test.

use egpu_codegen_amdgpu::isa::{
    Cache, DecodeError, EncodeError, FloatConst, Inst, Mods, Op, Operand, Ty, decode, encode, parse,
};

fn op(name: &str) -> Op {
    Op::by_name(name).unwrap_or_else(|| panic!("{name} is in the table"))
}

#[test]
fn decode_errors_name_the_bytes() {
    assert!(matches!(
        decode(&[]),
        Err(DecodeError::Truncated {
            needed: 4,
            have: 0,
            ..
        })
    ));
    // A VOP3 needs 8 bytes; a VOP2 with a literal source needs 8.
    let vop3 = [0x02, 0x00, 0x13, 0xd6];
    assert!(matches!(
        decode(&vop3),
        Err(DecodeError::Truncated { needed: 8, .. })
    ));
    let vop2_literal = [0xff, 0x04, 0x04, 0x10];
    assert!(matches!(
        decode(&vop2_literal),
        Err(DecodeError::Truncated { needed: 8, .. })
    ));
    // MTBUF (tbuffer_load_format_x v0, off, s[0:3], 0) is not modelled: the error quotes
    // the bytes as LLVM writes them.
    let mtbuf = [0x00, 0x00, 0x08, 0xe8, 0x00, 0x00, 0x00, 0x80];
    let e = decode(&mtbuf).expect_err("MTBUF is not modelled");
    assert!(matches!(e, DecodeError::UnknownFormat { .. }), "{e:?}");
    assert!(e.to_string().contains("0x00,0x00,0x08,0xe8"), "{e}");
    // VOPD opcode 13 (v_dual_dot2acc_f32_bf16) is not in LLVM 19's gfx1100 set.
    let e = decode(&[0x01, 0x05, 0x50, 0xcb, 0x06, 0x01, 0x02, 0x00]).expect_err("VOPD X 13");
    assert!(
        matches!(
            e,
            DecodeError::UnknownOpcode {
                fmt: "VOPD X",
                code: 13,
                ..
            }
        ),
        "{e:?}"
    );
    // OPY 19 is past the Y-only opcodes (16-18).
    let e = decode(&[0x01, 0x05, 0x26, 0xca, 0x06, 0x01, 0x02, 0x00]).expect_err("VOPD Y 19");
    assert!(
        matches!(
            e,
            DecodeError::UnknownOpcode {
                fmt: "VOPD Y",
                code: 19,
                ..
            }
        ),
        "{e:?}"
    );
    // SOP1 opcode 0xff is none of ours.
    let e = decode(&[0x00, 0xff, 0x80, 0xbe]).expect_err("unknown SOP1 opcode");
    assert!(
        matches!(
            e,
            DecodeError::UnknownOpcode {
                fmt: "SOP1",
                code: 0xff,
                ..
            }
        ),
        "{e:?}"
    );
    // s_waitcnt bit 3 is unused: LLVM drops it when printing, so we refuse it.
    assert!(decode(&[0x0f, 0x00, 0x89, 0xbf]).is_err());
}

#[test]
fn decode_never_panics_on_short_or_odd_input() {
    for len in 0..12 {
        for fill in [0x00u8, 0xff, 0xd6, 0xdc, 0xbf] {
            let _ = decode(&vec![fill; len]);
        }
    }
}

fn valu(name: &str, vdst: Operand, src: [Operand; 3], mods: Mods) -> Inst {
    Inst::Valu {
        op: op(name),
        e64: true,
        vdst,
        sdst: Operand::None,
        src,
        mods,
    }
}

#[test]
fn encode_refuses_what_has_no_encoding() {
    let v = Operand::Vgpr;
    // VOP2's src1 is a VGPR field.
    let e = encode(&Inst::Valu {
        op: op("v_add_f32"),
        e64: false,
        vdst: v(0),
        sdst: Operand::None,
        src: [v(1), Operand::Sgpr(2), Operand::None],
        mods: Mods::default(),
    });
    assert!(
        matches!(e, Err(EncodeError::BadOperand { slot: "src1", .. })),
        "{e:?}"
    );
    // One literal per instruction.
    let two = valu(
        "v_fma_f32",
        v(0),
        [Operand::Literal(0x1234), v(1), Operand::Literal(0x5678)],
        Mods::default(),
    );
    assert!(matches!(
        encode(&two),
        Err(EncodeError::TwoLiterals {
            a: 0x1234,
            b: 0x5678,
            ..
        })
    ));
    // Integer ops take no neg modifier.
    let neg = valu(
        "v_mul_lo_u32",
        v(0),
        [v(1), v(2), Operand::None],
        Mods {
            neg: 1,
            ..Mods::default()
        },
    );
    assert!(matches!(
        encode(&neg),
        Err(EncodeError::BadModifier { what: "neg", .. })
    ));
    // A literal that is an inline constant is not canonical (LLVM encodes it inline).
    let one = valu(
        "v_mul_f32",
        v(0),
        [Operand::Literal(1.0f32.to_bits()), v(1), Operand::None],
        Mods::default(),
    );
    assert!(matches!(encode(&one), Err(EncodeError::BadOperand { .. })));
    // s_load_b64 wants an even SGPR pair.
    let odd = Inst::Smem {
        op: op("s_load_b64"),
        sdata: Operand::Sgpr(3),
        sbase: Operand::Sgpr(0),
        soffset: Operand::Null,
        offset: 0,
        cache: Cache::default(),
    };
    assert!(matches!(
        encode(&odd),
        Err(EncodeError::BadOperand { slot: "sdata", .. })
    ));
    // GLOBAL offsets are 13-bit signed.
    let far = Inst::Flat {
        op: op("global_load_b32"),
        vdst: v(0),
        addr: v(1),
        data: Operand::None,
        saddr: Operand::Sgpr(2),
        offset: 4096,
        cache: Cache::default(),
    };
    assert!(matches!(
        encode(&far),
        Err(EncodeError::OutOfRange {
            what: "offset",
            value: 4096,
            ..
        })
    ));
    // An instruction value whose variant does not fit its opcode's format.
    let wrong = Inst::Sopp {
        op: op("s_mov_b32"),
        imm: 0,
    };
    assert!(matches!(
        encode(&wrong),
        Err(EncodeError::WrongFormat { .. })
    ));
}

#[test]
fn parse_errors() {
    assert!(parse("v_frobnicate v0, v1").is_err());
    assert!(parse("v_add_f32_e32 v0, v1").is_err(), "missing operand");
    assert!(
        parse("v_add_f32_e32 v[0:1], v1, v2").is_err(),
        "wrong register width"
    );
    assert!(
        parse("s_load_b64 s[3:4], s[0:1], 0x0").is_err(),
        "misaligned pair"
    );
    assert!(
        parse("v_add_f32_e32 v0, v1, v2 frob").is_err(),
        "unknown modifier"
    );
}

#[test]
fn inline_constants_have_ieee_values() {
    let values = [
        0.5f32,
        -0.5,
        1.0,
        -1.0,
        2.0,
        -2.0,
        4.0,
        -4.0,
        1.0 / (2.0 * std::f32::consts::PI),
    ];
    assert_eq!(FloatConst::all().len(), values.len());
    for (f, x) in FloatConst::all().iter().zip(values) {
        assert_eq!(f.f32_bits(), x.to_bits(), "{f:?}");
        assert_eq!(f.f16_bits(), half::f16::from_f32(x).to_bits(), "{f:?}");
        assert_eq!(Operand::constant(x.to_bits(), Ty::B32), Operand::Float(*f));
        let h = u32::from(half::f16::from_f32(x).to_bits());
        assert_eq!(Operand::constant(h, Ty::B16), Operand::Float(*f));
        // An integer 16-bit operand has no float constants.
        assert_eq!(Operand::constant(h, Ty::I16), Operand::Literal(h));
    }
    assert_eq!(
        Operand::constant((-16i32) as u32, Ty::B32),
        Operand::Int(-16)
    );
    assert_eq!(Operand::constant(65, Ty::B32), Operand::Literal(65));
}

//! How the loader decodes the forms it runs as others (v_cmpx, v_fmaak/fmamk), on bytes
//! `llvm-mc-19 -show-encoding` printed for them.

use super::*;

fn one(bytes: &[u8]) -> Ins {
    let ins = decode_all(bytes);
    assert_eq!(ins.len(), 1, "{ins:?}");
    ins.into_iter().next().unwrap_or_else(|| unreachable!())
}

#[test]
fn extra_encodings_decode() {
    // v_cmpx_lt_u32_e32 v1, v2
    let i = one(&[0x01, 0x05, 0x92, 0x7d]);
    assert_eq!(i.name, "v_cmpx_lt_u32");
    assert_eq!(super::super::trace::text(&i), "v_cmpx_lt_u32_e32 v1, v2");
    assert!(
        matches!(
            i.inst,
            Inst::Valu {
                vdst: Operand::ExecLo,
                ..
            }
        ),
        "{:?}",
        i.inst
    );
    // v_cmpx_lt_u32_e64 v1, v2
    let i = one(&[0x7e, 0x00, 0xc9, 0xd4, 0x01, 0x05, 0x02, 0x00]);
    assert_eq!((i.name, i.len), ("v_cmpx_lt_u32", 8));
    // v_fmamk_f32 v1, v2, 0x40400000, v3: D = S0 * K + V1.
    let i = one(&[0x02, 0x07, 0x02, 0x58, 0x00, 0x00, 0x40, 0x40]);
    assert_eq!(i.name, "v_fmamk_f32");
    let Inst::Valu { src, vdst, .. } = i.inst else {
        panic!("{:?}", i.inst)
    };
    assert_eq!(vdst, Operand::Vgpr(1));
    assert_eq!(
        src,
        [
            Operand::Vgpr(2),
            Operand::Literal(0x4040_0000),
            Operand::Vgpr(3)
        ]
    );
    // v_fmaak_f32 v1, s2, v3, 0x40400000: D = S0 * V1 + K.
    let i = one(&[0x02, 0x06, 0x02, 0x5a, 0x00, 0x00, 0x40, 0x40]);
    let Inst::Valu { src, .. } = i.inst else {
        panic!("{:?}", i.inst)
    };
    assert_eq!(
        src,
        [
            Operand::Sgpr(2),
            Operand::Vgpr(3),
            Operand::Literal(0x4040_0000)
        ]
    );
    // buffer_gl0_inv, buffer_gl1_inv
    assert_eq!(one(&[0, 0, 0xac, 0xe0, 0, 0, 0, 0]).name, "buffer_gl0_inv");
    assert_eq!(one(&[0, 0, 0xb0, 0xe0, 0, 0, 0, 0]).name, "buffer_gl1_inv");
}

#[test]
fn undecodable_bytes_become_errors_at_run_time() {
    // MTBUF tbuffer_load_format_x v0, off, s[0:3], 0: its first dword is an error, its
    // second happens to decode on its own (as an SOP2), then s_endpgm.
    let ins = decode_all(&[
        0x00, 0x00, 0x08, 0xe8, 0x00, 0x00, 0x00, 0x80, 0x00, 0x00, 0xb0, 0xbf,
    ]);
    assert!(
        matches!(&ins[0].exec, Exec::Bad(m) if m.contains("cannot decode")),
        "{:?}",
        ins[0]
    );
    assert!(matches!(ins.last().map(|i| &i.exec), Some(Exec::End)));
}

#[test]
fn every_opcode_in_the_table_has_semantics() {
    let missing: Vec<&str> = Op::all()
        .filter(|op| matches!(semantics_of(*op), Exec::Bad(_)))
        .map(|op| op.name())
        .collect();
    assert!(missing.is_empty(), "no semantics for {missing:?}");
}

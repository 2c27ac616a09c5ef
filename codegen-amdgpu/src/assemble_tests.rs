//! The assembler on hand-written programs: branch immediates and line offsets derived by
//! hand from instruction lengths (4 bytes, 8 with a literal or in VOP3), errors naming
//! the instruction. The LLVM round trip is tests/assemble_llvm.rs.

use super::{AssembleError, assemble, print};
use crate::isa::{Inst, Op, Operand};
use crate::mir::{Label, MInst, RegRef, Slot, VReg};
use crate::test_prog::prog;

#[test]
fn forward_branch_skips_to_the_label() {
    let a = assemble(&prog("s_branch L0\ns_nop 0\nL0:\ns_endpgm")).unwrap();
    // s_branch 1 = BFA00001, s_nop 0 = BF800000, s_endpgm = BFB00000.
    assert_eq!(
        a.code,
        [
            0x01, 0x00, 0xa0, 0xbf, 0x00, 0x00, 0x80, 0xbf, 0x00, 0x00, 0xb0, 0xbf
        ]
    );
    assert_eq!(a.lines, [(0, 0), (4, 1), (8, 3)]);
}

#[test]
fn backward_branch_is_negative_from_the_next_instruction() {
    // The label is at byte 0, the branch at 8: (0 - 12) / 4 = -3 = 0xfffd.
    let a = assemble(&prog("L0:\ns_nop 0\ns_nop 1\ns_cbranch_scc1 L0\ns_endpgm")).unwrap();
    assert_eq!(a.code[8..12], [0xfd, 0xff, 0xa2, 0xbf]);
    let text = print(
        &prog("L0:\ns_nop 0\ns_nop 1\ns_cbranch_scc1 L0\ns_endpgm"),
        false,
    );
    assert_eq!(
        text,
        "; .L0:\ns_nop 0\ns_nop 1\ns_cbranch_scc1 65533\ns_endpgm\n"
    );
}

#[test]
fn literals_count_in_branch_distances() {
    // v_add_f32 with a literal is 8 bytes: the branch skips 2 dwords.
    let p = prog("s_branch L0\nv_add_f32_e32 v0, 0x3f000001, v1\nL0:\ns_endpgm");
    let a = assemble(&p).unwrap();
    assert_eq!(a.code[0..4], [0x02, 0x00, 0xa0, 0xbf]);
    assert_eq!(a.lines, [(0, 0), (4, 1), (12, 3)]);
}

#[test]
fn comments_name_each_statement_once() {
    let p = prog("s_nop 0\ns_nop 1\nL0:\ns_nop 2\ns_endpgm");
    assert_eq!(
        print(&p, true),
        "; stmt 0\ns_nop 0\n; stmt 1\ns_nop 1\n; .L0:\n; stmt 3\ns_nop 2\n; stmt 4\ns_endpgm\n"
    );
}

#[test]
fn branch_out_of_16_bits_is_an_error() {
    let mut p = prog("L0:");
    p.extend(prog(&"s_nop 0\n".repeat(40_000)));
    p.extend(prog("s_branch L0\ns_endpgm"));
    assert_eq!(
        assemble(&p),
        Err(AssembleError::BranchRange {
            index: 40_001,
            distance: -40_001
        })
    );
}

#[test]
fn errors_name_the_instruction() {
    assert_eq!(
        assemble(&prog("s_branch L1\ns_endpgm")),
        Err(AssembleError::MissingLabel { index: 0 })
    );
    assert_eq!(assemble(&prog("s_nop 0")), Err(AssembleError::NoEndpgm));
    let mut p = prog("s_mov_b32 s1, 0\ns_endpgm");
    if let MInst::Inst { regs, .. } = &mut p[0] {
        regs.push(RegRef::def(Slot::Dst, VReg(0)));
    }
    assert_eq!(assemble(&p), Err(AssembleError::Unallocated { index: 0 }));
    let bad = Inst::Sop1 {
        op: Op::by_name("s_mov_b32").unwrap(),
        sdst: Operand::Vgpr(1),
        src0: Operand::Int(0),
    };
    let mut p = prog("s_nop 0\ns_endpgm");
    p[0] = MInst::Inst {
        inst: bad,
        regs: Vec::new(),
        line: 0,
    };
    let err = assemble(&p).unwrap_err();
    assert!(
        matches!(&err, AssembleError::Encode { index: 0, text, .. } if text == "s_mov_b32 v1, 0"),
        "{err}"
    );
    let not_branch = MInst::Branch {
        op: Op::by_name("s_nop").unwrap(),
        target: Label(0),
        line: 0,
    };
    assert_eq!(
        assemble(&[vec![MInst::Label(Label(0)), not_branch], prog("s_endpgm")].concat()),
        Err(AssembleError::NotABranch {
            index: 1,
            op: "s_nop"
        })
    );
    let twice = vec![MInst::Label(Label(0)), MInst::Label(Label(0))];
    assert_eq!(
        assemble(&[twice, prog("s_endpgm")].concat()),
        Err(AssembleError::DuplicateLabel { index: 1, label: 0 })
    );
}

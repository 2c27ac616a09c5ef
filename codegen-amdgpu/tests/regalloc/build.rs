//! Building machine IR by hand for the allocator tests: each helper makes an encodable
//! instruction with placeholders in the virtual registers' slots.

use super::checker::op;
use egpu_codegen_amdgpu::isa::{Cache, Inst, Mods, Operand, PMods};
use egpu_codegen_amdgpu::mir::{Label, Mir, RegClass, RegRef, Slot, VReg};

pub struct B {
    pub mir: Mir,
}

fn ph(mir: &Mir, v: VReg) -> Operand {
    match mir.info(v).class {
        RegClass::S => Operand::Sgpr(0),
        RegClass::V => Operand::Vgpr(0),
    }
}

/// A source: a register (optionally one dword of a tuple) or a constant.
#[derive(Clone, Copy)]
pub enum S {
    R(VReg),
    At(VReg, u8),
    K(Operand),
}

impl B {
    pub fn new() -> B {
        B { mir: Mir::new() }
    }

    pub fn v(&mut self, d: u8) -> VReg {
        self.mir.vreg(RegClass::V, d)
    }

    pub fn s(&mut self, d: u8) -> VReg {
        self.mir.vreg(RegClass::S, d)
    }

    fn src(&self, slot: Slot, s: S, regs: &mut Vec<RegRef>) -> Operand {
        match s {
            S::R(v) => {
                regs.push(RegRef::use_(slot, v));
                ph(&self.mir, v)
            }
            S::At(v, k) => {
                regs.push(RegRef::use_(slot, v).at(k));
                ph(&self.mir, v)
            }
            S::K(k) => k,
        }
    }

    /// A VOP3 (or VOP3SD with `sdst`) instruction writing `dst` (at dword `at`).
    pub fn vop3(&mut self, name: &str, dst: VReg, at: u8, sdst: Option<VReg>, srcs: &[S]) {
        let mut regs = vec![RegRef::def(Slot::Dst, dst).at(at)];
        let sd = match sdst {
            Some(s) => {
                regs.push(RegRef::def(Slot::Sdst, s));
                Operand::Sgpr(0)
            }
            None => Operand::None,
        };
        let mut src = [Operand::None; 3];
        for (i, s) in srcs.iter().enumerate() {
            src[i] = self.src(Slot::Src(i as u8), *s, &mut regs);
        }
        let inst = Inst::Valu {
            op: op(name),
            e64: true,
            vdst: ph(&self.mir, dst),
            sdst: sd,
            src,
            mods: Mods::default(),
        };
        self.mir.push(inst, regs, 0);
    }

    /// `v_fmac_f32 acc, a, b` (VOP2): the accumulator is read and written.
    pub fn fmac(&mut self, acc: VReg, a: VReg, b: VReg) {
        let regs = vec![
            RegRef::use_def(Slot::Dst, acc),
            RegRef::use_(Slot::Src(0), a),
            RegRef::use_(Slot::Src(1), b),
        ];
        let inst = Inst::Valu {
            op: op("v_fmac_f32"),
            e64: false,
            vdst: Operand::Vgpr(0),
            sdst: Operand::None,
            src: [Operand::Vgpr(0), Operand::Vgpr(0), Operand::None],
            mods: Mods::default(),
        };
        self.mir.push(inst, regs, 0);
    }

    /// WMMA `d = a * b + d` (C and D the same tuple).
    pub fn wmma(&mut self, d: VReg, a: VReg, b: VReg) {
        let regs = vec![
            RegRef::use_def(Slot::Dst, d),
            RegRef::use_(Slot::Src(0), a),
            RegRef::use_(Slot::Src(1), b),
            RegRef::use_(Slot::Src(2), d),
        ];
        let inst = Inst::Vop3p {
            op: op("v_wmma_f32_16x16x16_f16"),
            vdst: Operand::Vgpr(0),
            src: [Operand::Vgpr(0); 3],
            mods: PMods {
                op_sel_hi: 0b111,
                ..PMods::default()
            },
        };
        self.mir.push(inst, regs, 0);
    }

    /// A SOP2 (`s_add_u32`) or SOPC (`s_cmp_*`, `dst` None).
    pub fn sop2(&mut self, name: &str, dst: Option<VReg>, a: S, b: S) {
        let mut regs = Vec::new();
        let sdst = dst.map(|d| {
            regs.push(RegRef::def(Slot::Dst, d));
            Operand::Sgpr(0)
        });
        let src0 = self.src(Slot::Src(0), a, &mut regs);
        let src1 = self.src(Slot::Src(1), b, &mut regs);
        let inst = match sdst {
            Some(sdst) => Inst::Sop2 {
                op: op(name),
                sdst,
                src0,
                src1,
            },
            None => Inst::Sopc {
                op: op(name),
                src0,
                src1,
            },
        };
        self.mir.push(inst, regs, 0);
    }

    /// `s_mov_b32`/`s_mov_b64 dst, k`.
    pub fn smov(&mut self, dst: VReg, k: i8) {
        let name = if self.mir.info(dst).dwords == 2 {
            "s_mov_b64"
        } else {
            "s_mov_b32"
        };
        let inst = Inst::Sop1 {
            op: op(name),
            sdst: Operand::Sgpr(0),
            src0: Operand::Int(k),
        };
        self.mir.push(inst, vec![RegRef::def(Slot::Dst, dst)], 0);
    }

    /// `s_load_bN dst, base, offset`.
    pub fn sload(&mut self, dst: VReg, base: VReg, offset: i32) {
        let name = match self.mir.info(dst).dwords {
            1 => "s_load_b32",
            2 => "s_load_b64",
            _ => "s_load_b128",
        };
        let inst = Inst::Smem {
            op: op(name),
            sdata: Operand::Sgpr(0),
            sbase: Operand::Sgpr(0),
            soffset: Operand::Null,
            offset,
            cache: Cache::default(),
        };
        let regs = vec![RegRef::def(Slot::Dst, dst), RegRef::use_(Slot::Addr, base)];
        self.mir.push(inst, regs, 0);
    }

    /// `global_load_b128 dst, addr, off` (64-bit VGPR address).
    pub fn gload(&mut self, dst: VReg, addr: VReg) {
        let inst = Inst::Flat {
            op: op("global_load_b128"),
            vdst: Operand::Vgpr(0),
            addr: Operand::Vgpr(0),
            data: Operand::None,
            saddr: Operand::Null,
            offset: 0,
            cache: Cache::default(),
        };
        let regs = vec![RegRef::def(Slot::Dst, dst), RegRef::use_(Slot::Addr, addr)];
        self.mir.push(inst, regs, 0);
    }

    /// `global_store_b32 addr, data, off`.
    pub fn gstore(&mut self, addr: VReg, data: S) {
        let mut regs = vec![RegRef::use_(Slot::Addr, addr)];
        let d = self.src(Slot::Data0, data, &mut regs);
        let inst = Inst::Flat {
            op: op("global_store_b32"),
            vdst: Operand::None,
            addr: Operand::Vgpr(0),
            data: d,
            saddr: Operand::Null,
            offset: 0,
            cache: Cache::default(),
        };
        self.mir.push(inst, regs, 0);
    }

    pub fn label(&mut self) -> Label {
        let l = self.mir.label();
        self.mir.place(l);
        l
    }

    /// `s_cbranch_scc1 l` (a loop's back edge when `l` is earlier).
    pub fn back(&mut self, l: Label) {
        self.mir.branch(op("s_cbranch_scc1"), l, 0);
    }
}

pub fn k(v: i8) -> S {
    S::K(Operand::Int(v))
}

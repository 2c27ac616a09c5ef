//! A [`PtxSink`] that records instructions and declares registers, and the minimal kernel
//! around them that ptxas needs.

use egpu_ir::{BinaryOp, DType};

use crate::emit::sink::{PtxSink, RegClass};

/// Records what a lowering writes. Registers are numbered per class (`%r3`, `%f0`, …).
#[derive(Default)]
pub(crate) struct RecordingSink {
    /// Instructions as the lowering wrote them (no `;`), labels as `L1:`.
    pub lines: Vec<String>,
    decls: Vec<String>,
    counts: [u32; 6],
    labels: u32,
}

fn prefix(class: RegClass) -> (&'static str, usize) {
    match class {
        RegClass::Pred => ("%p", 0),
        RegClass::B16 => ("%h", 1),
        RegClass::B32 => ("%r", 2),
        RegClass::B64 => ("%rd", 3),
        RegClass::F32 => ("%f", 4),
        RegClass::F64 => ("%fd", 5),
    }
}

/// The PTX instruction type of an ALU op on `dtype` in the test sink.
fn alu_type(dtype: DType) -> &'static str {
    match dtype {
        DType::Bool => "pred",
        DType::I8 | DType::I16 => "s16",
        DType::U8 | DType::U16 => "u16",
        DType::I32 => "s32",
        DType::U32 => "u32",
        DType::I64 => "s64",
        DType::U64 => "u64",
        DType::F16 => "f16",
        DType::BF16 => "bf16",
        DType::F32 => "f32",
        DType::F64 => "f64",
    }
}

impl RecordingSink {
    /// The whole kernel `k(.param .u64 out)` for `sm`, with `smem_bytes` of shared memory
    /// named `smem` and the recorded lines as its body.
    pub(crate) fn kernel(&self, sm: u32, smem_bytes: u32) -> String {
        let mut text = format!(
            ".version 7.8\n.target sm_{sm}\n.address_size 64\n\n\
             .shared .align 16 .b8 smem[{smem_bytes}];\n\n\
             .visible .entry k(.param .u64 out)\n{{\n"
        );
        for decl in &self.decls {
            text += &format!("    {decl};\n");
        }
        for line in &self.lines {
            if line.ends_with(':') {
                text += &format!("{line}\n");
            } else {
                text += &format!("    {line};\n");
            }
        }
        text + "    ret;\n}\n"
    }

    /// Emits the address of this lane's `bytes`-sized slot of the `out` buffer.
    pub(crate) fn out_slot(&mut self, bytes: u32) -> String {
        let (p, lane, off) = (
            self.temp(RegClass::B64),
            self.temp(RegClass::B32),
            self.temp(RegClass::B64),
        );
        self.instr(&format!("ld.param.u64 {p}, [out]"));
        self.instr(&format!("cvta.to.global.u64 {p}, {p}"));
        self.instr(&format!("mov.u32 {lane}, %laneid"));
        self.instr(&format!("mul.wide.u32 {off}, {lane}, {bytes}"));
        self.instr(&format!("add.s64 {p}, {p}, {off}"));
        p
    }
}

impl PtxSink for RecordingSink {
    fn instr(&mut self, text: &str) {
        self.lines.push(text.to_string());
    }

    fn temp(&mut self, class: RegClass) -> String {
        let (p, slot) = prefix(class);
        let name = format!("{p}{}", self.counts[slot]);
        self.counts[slot] += 1;
        self.decls.push(format!(".reg {} {name}", class.ptx_type()));
        name
    }

    fn new_label(&mut self) -> String {
        self.labels += 1;
        format!("L{}", self.labels)
    }

    fn place_label(&mut self, label: &str) {
        self.lines.push(format!("{label}:"));
    }

    /// A stand-in for the real emitter's ALU ops: valid PTX for sm_80 with the usual
    /// semantics, enough for the lowerings to be assembled and simulated.
    fn binary(&mut self, op: BinaryOp, dtype: DType, dst: &str, a: &str, b: &str) {
        let ty = alu_type(dtype);
        let text = match (op, dtype) {
            (BinaryOp::Add, DType::Bool) => format!("xor.pred {dst}, {a}, {b}"),
            (BinaryOp::Mul | BinaryOp::Min, DType::Bool) => format!("and.pred {dst}, {a}, {b}"),
            (BinaryOp::Max, DType::Bool) => format!("or.pred {dst}, {a}, {b}"),
            // sm_80 has no add/mul.bf16: fma with 1.0 (0x3f80) or -0.0 (0x8000) does it.
            (BinaryOp::Add | BinaryOp::Mul, DType::BF16) => {
                let k = self.temp(RegClass::B16);
                let (bits, x, y, z) = if op == BinaryOp::Add {
                    ("0x3f80", a, k.as_str(), b)
                } else {
                    ("0x8000", a, b, k.as_str())
                };
                self.instr(&format!("mov.b16 {k}, {bits}"));
                format!("fma.rn.bf16 {dst}, {x}, {y}, {z}")
            }
            (BinaryOp::Add, _) if dtype.is_float() => format!("add.rn.{ty} {dst}, {a}, {b}"),
            (BinaryOp::Mul, _) if dtype.is_float() => format!("mul.rn.{ty} {dst}, {a}, {b}"),
            (BinaryOp::Add, _) => format!("add.{ty} {dst}, {a}, {b}"),
            (BinaryOp::Mul, _) => format!("mul.lo.{ty} {dst}, {a}, {b}"),
            (BinaryOp::Max, _) => format!("max.{ty} {dst}, {a}, {b}"),
            (BinaryOp::Min, _) => format!("min.{ty} {dst}, {a}, {b}"),
            (other, _) => panic!("test sink: no {other:?}"),
        };
        self.instr(&text);
    }
}

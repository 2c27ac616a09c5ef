//! The emitter's state: the instruction text written so far, the registers it declared,
//! labels, and the first error met. Each kernel-IR value `vN` lives in registers named
//! after it (`%f_v12`, `%r_v3_1` for element 1 of a vector), accumulators in `%f_acc0`,
//! fragments in `%f_frag0_5`, temporaries in `%f_t7`; the prefix is the register class.

use super::PtxError;
use super::sink::{PtxSink, RegClass, reg_class};
use egpu_ir::kernel::{AccId, Kernel, ValueId};
use egpu_ir::{BinaryOp, DType};
use std::fmt::Write;

/// The register-name prefix of a class (`%f_…` for `.f32`).
pub(crate) fn class_prefix(class: RegClass) -> &'static str {
    match class {
        RegClass::Pred => "p",
        RegClass::B16 => "h",
        RegClass::B32 => "r",
        RegClass::B64 => "rd",
        RegClass::F32 => "f",
        RegClass::F64 => "fd",
    }
}

pub(crate) struct Emitter<'k> {
    pub(crate) kernel: &'k Kernel,
    pub(crate) target: &'static str,
    /// The `.entry` body's instructions, one per line.
    pub(crate) body: String,
    /// Every register in declaration order (values first, then as created).
    regs: Vec<(RegClass, String)>,
    temps: u32,
    labels: u32,
    /// The first error met where an error cannot be returned (the [`PtxSink`] methods).
    pub(crate) deferred: Option<PtxError>,
}

impl<'k> Emitter<'k> {
    pub(crate) fn new(kernel: &'k Kernel, target: &'static str) -> Self {
        let mut e = Emitter {
            kernel,
            target,
            body: String::new(),
            regs: Vec::new(),
            temps: 0,
            labels: 0,
            deferred: None,
        };
        e.declare_named_registers();
        e
    }

    /// Registers for every value (one per element), accumulator and fragment, in id order.
    fn declare_named_registers(&mut self) {
        let kernel = self.kernel;
        for (v, value) in kernel.values() {
            let class = reg_class(value.ty.dtype);
            for e in 0..value.ty.width {
                let name = named(class, &v.to_string(), value.ty.width, e);
                self.regs.push((class, name));
            }
        }
        for a in (0u32..).map(AccId::from_u32) {
            let Some(ty) = kernel.acc_type(a) else { break };
            let class = reg_class(ty.dtype);
            for e in 0..ty.width {
                self.regs
                    .push((class, named(class, &a.to_string(), ty.width, e)));
            }
        }
        for (f, _) in kernel.fragments() {
            for k in 0..8 {
                self.regs.push((RegClass::F32, format!("%f_{f}_{k}")));
            }
        }
    }

    /// The error for a kernel that breaks its own invariants (an unknown id).
    pub(crate) fn malformed(&self, what: impl Into<String>) -> PtxError {
        PtxError::Malformed {
            kernel: self.kernel.name().to_string(),
            what: what.into(),
        }
    }

    /// Keeps the first error met where it cannot be returned.
    pub(crate) fn defer(&mut self, error: PtxError) {
        if self.deferred.is_none() {
            self.deferred = Some(error);
        }
    }

    /// One instruction line.
    pub(crate) fn ins(&mut self, text: impl AsRef<str>) {
        let _ = writeln!(self.body, "\t{};", text.as_ref());
    }

    /// A `// ` comment line.
    pub(crate) fn comment(&mut self, text: &str) {
        let _ = writeln!(self.body, "\t// {text}");
    }

    pub(crate) fn new_temp(&mut self, class: RegClass) -> String {
        let name = format!("%{}_t{}", class_prefix(class), self.temps);
        self.temps += 1;
        self.regs.push((class, name.clone()));
        name
    }

    /// Declares a register with a name of the caller's choosing.
    pub(crate) fn declare(&mut self, class: RegClass, name: &str) {
        self.regs.push((class, name.to_string()));
    }

    pub(crate) fn fresh_label(&mut self) -> String {
        let name = format!("L{}", self.labels);
        self.labels += 1;
        name
    }

    /// The dtype and width of a value.
    pub(crate) fn ty(&self, v: ValueId) -> Result<(DType, u32), PtxError> {
        match self.kernel.value(v) {
            Some(value) => Ok((value.ty.dtype, value.ty.width)),
            None => Err(self.malformed(format!("{v} does not exist"))),
        }
    }

    /// The register of element `e` of value `v` (element 0 of a scalar is the scalar;
    /// a scalar read at a vector position is the scalar itself, for scalar masks and
    /// conditions).
    pub(crate) fn reg(&self, v: ValueId, e: u32) -> Result<String, PtxError> {
        let (dtype, width) = self.ty(v)?;
        Ok(named(
            reg_class(dtype),
            &v.to_string(),
            width,
            e.min(width - 1),
        ))
    }

    /// The registers of every element of `v`.
    pub(crate) fn regs_of(&self, v: ValueId) -> Result<Vec<String>, PtxError> {
        let (_, width) = self.ty(v)?;
        (0..width).map(|e| self.reg(v, e)).collect()
    }

    /// The registers of an accumulator, one per element.
    pub(crate) fn acc_regs(&self, acc: AccId) -> Result<(DType, Vec<String>), PtxError> {
        let ty = self
            .kernel
            .acc_type(acc)
            .ok_or_else(|| self.malformed(format!("{acc} does not exist")))?;
        let class = reg_class(ty.dtype);
        let regs = (0..ty.width)
            .map(|e| named(class, &acc.to_string(), ty.width, e))
            .collect();
        Ok((ty.dtype, regs))
    }

    /// `.reg` declarations, one line per class and up to eight names per line.
    pub(crate) fn declarations(&self) -> String {
        let mut out = String::new();
        for class in [
            RegClass::Pred,
            RegClass::B16,
            RegClass::B32,
            RegClass::B64,
            RegClass::F32,
            RegClass::F64,
        ] {
            let names: Vec<&str> = self
                .regs
                .iter()
                .filter(|(c, _)| *c == class)
                .map(|(_, n)| n.as_str())
                .collect();
            for chunk in names.chunks(8) {
                let _ = writeln!(out, "\t.reg {} {};", class.ptx_type(), chunk.join(", "));
            }
        }
        out
    }

    /// `mov` of a whole register of `class`.
    pub(crate) fn mov(&mut self, class: RegClass, dst: &str, src: &str) {
        self.ins(format!("mov{} {dst}, {src}", class.ptx_type()));
    }
}

/// `%f_v12` (a scalar) or `%f_v12_3` (element 3 of a vector).
fn named(class: RegClass, base: &str, width: u32, e: u32) -> String {
    let prefix = class_prefix(class);
    if width == 1 {
        format!("%{prefix}_{base}")
    } else {
        format!("%{prefix}_{base}_{e}")
    }
}

impl PtxSink for Emitter<'_> {
    fn instr(&mut self, text: &str) {
        self.ins(text);
    }

    fn temp(&mut self, class: RegClass) -> String {
        self.new_temp(class)
    }

    fn new_label(&mut self) -> String {
        self.fresh_label()
    }

    fn place_label(&mut self, label: &str) {
        let _ = writeln!(self.body, "{label}:");
    }

    fn binary(&mut self, op: BinaryOp, dtype: DType, dst: &str, a: &str, b: &str) {
        if let Err(e) = self.binary_scalar(op, dtype, dst, a, b) {
            self.defer(e);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use egpu_ir::kernel::text;

    /// The sink's `binary` writes exactly what the kernel's own binary op writes, for every
    /// op on every dtype it applies to (so a subgroup `sum` rounds like `add`).
    #[test]
    fn sink_binary_is_the_kernel_binary() {
        let kernel =
            text::parse("kernel e()\n  grid [1, 1, 1] workgroup [32, 1, 1] subgroup 32\n{\n}\n")
                .unwrap();
        let numeric = DType::ALL.into_iter().filter(|d| d.is_numeric());
        for dtype in numeric {
            for op in [BinaryOp::Add, BinaryOp::Mul, BinaryOp::Max, BinaryOp::Min] {
                let mut via_sink = Emitter::new(&kernel, "sm_80");
                let sink: &mut dyn PtxSink = &mut via_sink;
                sink.binary(op, dtype, "%d", "%a", "%b");
                let mut direct = Emitter::new(&kernel, "sm_80");
                direct.binary_scalar(op, dtype, "%d", "%a", "%b").unwrap();
                assert_eq!(via_sink.body, direct.body, "{op:?} {dtype}");
                assert!(!direct.body.is_empty());
                assert!(via_sink.deferred.is_none());
            }
        }
    }
}

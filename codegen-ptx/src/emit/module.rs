//! The module around the kernel body: `.version`, `.target`, shared arrays, the `.entry`
//! with its parameters and `.reqntid`, the register declarations and the prologue that
//! loads each buffer's base address once.

use super::emitter::Emitter;
use super::memory::{base_reg, shared_symbol};
use super::sink::RegClass;
use egpu_ir::kernel::Param;
use std::fmt::Write;

impl Emitter<'_> {
    /// `ld.param` + `cvta.to.global` of every buffer's base, into `%rd_paramN`.
    pub(crate) fn prologue(&mut self) {
        let kernel = self.kernel;
        for (p, param) in kernel.params() {
            if let Param::Buffer { name, .. } = param {
                let base = base_reg(p);
                self.declare(RegClass::B64, &base);
                self.ins(format!("ld.param.u64 {base}, [param_{name}]"));
                self.ins(format!("cvta.to.global.u64 {base}, {base}"));
            }
        }
    }

    /// The whole module, once the body is written.
    pub(crate) fn module(&self) -> String {
        let kernel = self.kernel;
        let mut out = String::new();
        let _ = writeln!(out, ".version 7.8");
        let _ = writeln!(out, ".target {}", self.target);
        let _ = writeln!(out, ".address_size 64");
        let _ = writeln!(out);
        for (_, array) in kernel.shared_arrays() {
            let bytes = array.len.saturating_mul(array.dtype.size_bytes()).max(1);
            let symbol = shared_symbol(&array.name);
            let _ = writeln!(out, ".shared .align 16 .b8 {symbol}[{bytes}];");
        }
        if kernel.shared_arrays().len() > 0 {
            let _ = writeln!(out);
        }
        let params: Vec<String> = kernel
            .params()
            .map(|(_, p)| match p {
                Param::Buffer { name, .. } => format!("\t.param .u64 param_{name}"),
                Param::Scalar { name, dtype } => {
                    let ty = if dtype.bits() == 64 { "u64" } else { "u32" };
                    format!("\t.param .{ty} param_{name}")
                }
            })
            .collect();
        let _ = writeln!(out, ".visible .entry {}(", kernel.name());
        if !params.is_empty() {
            let _ = writeln!(out, "{}", params.join(",\n"));
        }
        let [x, y, z] = kernel.launch().workgroup;
        let _ = writeln!(out, ")");
        let _ = writeln!(out, ".reqntid {x}, {y}, {z}");
        let _ = writeln!(out, "{{");
        out.push_str(&self.declarations());
        out.push('\n');
        out.push_str(&self.body);
        let _ = writeln!(out, "\tret;");
        let _ = writeln!(out, "}}");
        out
    }
}

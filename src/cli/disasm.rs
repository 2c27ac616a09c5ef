//! `egpu disasm FILE.hsaco [--kernel NAME]`: any gfx1100 code object (ours, or one clang and
//! lld made) as each kernel's descriptor fields and its instructions, decoded and printed by
//! egpu's own decoder in LLVM's syntax.
//!
//! One instruction per line: the byte offset from the kernel's entry (hex), the text as
//! `llvm-objdump-19 -d` writes it, and the instruction's dwords as objdump lists them after
//! `//`. A dword the decoder does not know prints as `.long 0x…  ; unknown instruction`
//! with the decoder's reason, and decoding resumes at the next dword.

use super::CliError;
use super::error::{output, shown};
use crate::bounded::read_file;
use egpu_codegen_amdgpu::isa::{decode, print};
use egpu_codegen_amdgpu::object::{CodeObject, DescriptorFields, ReadKernel};
use std::io::Write;
use std::path::Path;

/// The largest code object `disasm` reads.
pub const CODE_OBJECT_LIMIT: u64 = 256 * 1024 * 1024;

/// Column of the `//` comment, as objdump aligns it.
const COMMENT_COLUMN: usize = 55;

pub fn run(file: &Path, kernel: Option<&str>, out: &mut dyn Write) -> Result<(), CliError> {
    let bytes = read_file(file, CODE_OBJECT_LIMIT, "the limit for a code object")?;
    let kernels = CodeObject::read(&bytes).map_err(|e| {
        CliError::User(format!(
            "{}: not a readable gfx1100 code object: {e}",
            file.display()
        ))
    })?;
    let chosen: Vec<&ReadKernel> = match kernel {
        None => kernels.iter().collect(),
        Some(name) => {
            let found: Vec<&ReadKernel> = kernels.iter().filter(|k| k.name == name).collect();
            if found.is_empty() {
                let names: Vec<&str> = kernels.iter().map(|k| k.name.as_str()).collect();
                return Err(CliError::User(format!(
                    "--kernel {}: {} has no such kernel (kernels: {})",
                    shown(name),
                    file.display(),
                    names.join(", ")
                )));
            }
            found
        }
    };
    let mut text = String::new();
    for (i, k) in chosen.iter().enumerate() {
        if i > 0 {
            text.push('\n');
        }
        text += &kernel_text(k);
    }
    out.write_all(text.as_bytes()).map_err(output)
}

/// A kernel: its name, descriptor fields, then its instructions.
fn kernel_text(k: &ReadKernel) -> String {
    let mut text = format!("{}:  ; descriptor {}.kd\n", k.name, k.name);
    text += &descriptor_text(&k.descriptor);
    text += &instructions(&k.code);
    text
}

/// The descriptor's fields, named as the `.amdhsa_*` assembler directives that set them.
fn descriptor_text(d: &DescriptorFields) -> String {
    let flag = |b: bool| u8::from(b);
    let fields: [(&str, String); 16] = [
        (
            "group_segment_fixed_size",
            d.group_segment_fixed_size.to_string(),
        ),
        (
            "private_segment_fixed_size",
            d.private_segment_fixed_size.to_string(),
        ),
        ("kernarg_size", d.kernarg_size.to_string()),
        (
            "next_free_vgpr",
            format!(
                "{}  ; {} granule(s) of 8",
                d.vgpr_granules * 8,
                d.vgpr_granules
            ),
        ),
        ("user_sgpr_count", d.user_sgpr_count.to_string()),
        (
            "user_sgpr_kernarg_segment_ptr",
            flag(d.kernarg_ptr).to_string(),
        ),
        ("wavefront_size32", flag(d.wavefront32).to_string()),
        (
            "enable_private_segment",
            flag(d.enable_private_segment).to_string(),
        ),
        (
            "system_sgpr_workgroup_id_x",
            flag(d.workgroup_id[0]).to_string(),
        ),
        (
            "system_sgpr_workgroup_id_y",
            flag(d.workgroup_id[1]).to_string(),
        ),
        (
            "system_sgpr_workgroup_id_z",
            flag(d.workgroup_id[2]).to_string(),
        ),
        (
            "system_vgpr_workitem_id",
            d.workitem_id_dims.saturating_sub(1).to_string(),
        ),
        ("float_denorm_mode_32", d.float_denorm_32.to_string()),
        ("float_denorm_mode_16_64", d.float_denorm_16_64.to_string()),
        ("ieee_mode", flag(d.ieee_mode).to_string()),
        ("dx10_clamp", flag(d.dx10_clamp).to_string()),
    ];
    let mut text = String::new();
    for (name, value) in fields {
        text += &format!("  .amdhsa_{name} {value}\n");
    }
    text += &format!("  ; entry: descriptor address {:+#x}\n", d.entry_offset);
    text
}

/// Every instruction of `code`, one per line.
fn instructions(code: &[u8]) -> String {
    let mut text = String::new();
    let mut at = 0;
    while at < code.len() {
        let (line, len) = match decode(&code[at..]) {
            Ok((inst, len)) if len > 0 => (print(&inst), len),
            Ok(_) => (unknown(&code[at..], "zero-length decode"), 4),
            Err(e) => (unknown(&code[at..], &e.to_string()), 4),
        };
        let len = len.min(code.len() - at);
        text += &format!(
            "  {at:06x}: {line:<width$} // {}\n",
            words(&code[at..at + len]),
            width = COMMENT_COLUMN
        );
        at += len;
    }
    text
}

/// `.long 0x…  ; unknown instruction (why)` for the dword at the start of `bytes` (a last,
/// partial dword is zero-padded).
fn unknown(bytes: &[u8], why: &str) -> String {
    let mut dword = [0u8; 4];
    let n = bytes.len().min(4);
    dword[..n].copy_from_slice(&bytes[..n]);
    format!(
        ".long {:#010x}  ; unknown instruction ({why})",
        u32::from_le_bytes(dword)
    )
}

/// The instruction's dwords as objdump writes them: 8 upper-case hex digits each.
fn words(bytes: &[u8]) -> String {
    let words: Vec<String> = bytes
        .chunks(4)
        .map(|c| {
            let mut w = [0u8; 4];
            w[..c.len()].copy_from_slice(c);
            format!("{:08X}", u32::from_le_bytes(w))
        })
        .collect();
    words.join(" ")
}

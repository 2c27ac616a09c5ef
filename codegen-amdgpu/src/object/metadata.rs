//! The NT_AMDGPU_METADATA note (AMDGPUUsage "Code Object V5 Metadata"): a msgpack map
//! written by hand. Map keys are emitted in byte order, as LLVM's writer does, so the note
//! is deterministic and each value uses the smallest msgpack form that holds it.

use super::{ArgKind, KernelCode, ObjectError};

/// ELF note type of the metadata note.
pub const NT_AMDGPU_METADATA: u32 = 32;
/// Note owner, with its terminating NUL (namesz = 7).
const OWNER: &[u8] = b"AMDGPU\0";
/// The code object target the note names; it must agree with e_flags (gfx1100).
pub const TARGET: &str = "amdgcn-amd-amdhsa--gfx1100";

/// A msgpack value; the tree is at most four levels deep (fixed by this file, not input).
enum Value {
    Uint(u64),
    Str(String),
    Bool(bool),
    Array(Vec<Value>),
    Map(Vec<(&'static str, Value)>),
}

fn str_header(out: &mut Vec<u8>, len: usize) {
    match len {
        0..=31 => out.push(0xA0 | len as u8),
        32..=0xFF => out.extend_from_slice(&[0xD9, len as u8]),
        0x100..=0xFFFF => {
            out.push(0xDA);
            out.extend_from_slice(&(len as u16).to_be_bytes());
        }
        _ => {
            out.push(0xDB);
            out.extend_from_slice(&(len as u32).to_be_bytes());
        }
    }
}

fn container_header(out: &mut Vec<u8>, len: usize, fix: u8, long16: u8) {
    if len < 16 {
        out.push(fix | len as u8);
    } else if len <= 0xFFFF {
        out.push(long16);
        out.extend_from_slice(&(len as u16).to_be_bytes());
    } else {
        out.push(long16 + 1);
        out.extend_from_slice(&(len as u32).to_be_bytes());
    }
}

fn put_uint(out: &mut Vec<u8>, v: u64) {
    if v < 0x80 {
        out.push(v as u8);
    } else if v <= 0xFF {
        out.extend_from_slice(&[0xCC, v as u8]);
    } else if v <= 0xFFFF {
        out.push(0xCD);
        out.extend_from_slice(&(v as u16).to_be_bytes());
    } else if v <= 0xFFFF_FFFF {
        out.push(0xCE);
        out.extend_from_slice(&(v as u32).to_be_bytes());
    } else {
        out.push(0xCF);
        out.extend_from_slice(&v.to_be_bytes());
    }
}

fn put_str(out: &mut Vec<u8>, s: &str) {
    str_header(out, s.len());
    out.extend_from_slice(s.as_bytes());
}

impl Value {
    fn encode(&self, out: &mut Vec<u8>) {
        match self {
            Value::Uint(v) => put_uint(out, *v),
            Value::Str(s) => put_str(out, s),
            Value::Bool(b) => out.push(if *b { 0xC3 } else { 0xC2 }),
            Value::Array(items) => {
                container_header(out, items.len(), 0x90, 0xDC);
                for item in items {
                    item.encode(out);
                }
            }
            Value::Map(entries) => {
                let mut sorted: Vec<&(&str, Value)> = entries.iter().collect();
                sorted.sort_by(|a, b| a.0.cmp(b.0));
                container_header(out, sorted.len(), 0x80, 0xDE);
                for (key, value) in sorted {
                    put_str(out, key);
                    value.encode(out);
                }
            }
        }
    }
}

fn uint(v: impl Into<u64>) -> Value {
    Value::Uint(v.into())
}

fn arg_map(arg: &super::KernelArg) -> Value {
    let mut entries = vec![(".offset", uint(arg.offset)), (".size", uint(arg.size))];
    if let Some(name) = &arg.name {
        entries.push((".name", Value::Str(name.clone())));
    }
    match arg.kind {
        ArgKind::GlobalBuffer(access) => {
            entries.push((".value_kind", Value::Str("global_buffer".into())));
            entries.push((".address_space", Value::Str("global".into())));
            if let Some(access) = access {
                entries.push((".actual_access", Value::Str(access.as_str().into())));
            }
        }
        ArgKind::ByValue => entries.push((".value_kind", Value::Str("by_value".into()))),
    }
    Value::Map(entries)
}

fn kernel_map(k: &KernelCode) -> Value {
    let r = &k.resources;
    // LLVM reports the SGPRs a wave is given: next free SGPR plus VCC's two when used.
    let sgprs = r.sgpr_count.saturating_add(if r.uses_vcc { 2 } else { 0 });
    Value::Map(vec![
        (".name", Value::Str(k.name.clone())),
        (".symbol", Value::Str(format!("{}.kd", k.name))),
        (".args", Value::Array(k.args.iter().map(arg_map).collect())),
        (".kernarg_segment_size", uint(r.kernarg_size)),
        (".kernarg_segment_align", uint(r.kernarg_align)),
        (".group_segment_fixed_size", uint(r.lds_bytes)),
        (
            ".private_segment_fixed_size",
            uint(r.scratch_bytes_per_lane),
        ),
        (".wavefront_size", uint(32u32)),
        (".sgpr_count", uint(sgprs)),
        (".vgpr_count", uint(r.vgpr_count)),
        (".max_flat_workgroup_size", uint(r.max_flat_workgroup_size)),
        (".sgpr_spill_count", uint(0u32)),
        (".vgpr_spill_count", uint(0u32)),
        (".uses_dynamic_stack", Value::Bool(false)),
        (".workgroup_processor_mode", uint(1u32)),
    ])
}

/// The msgpack document for these kernels.
pub fn document(kernels: &[KernelCode]) -> Vec<u8> {
    let doc = Value::Map(vec![
        ("amdhsa.version", Value::Array(vec![uint(1u32), uint(2u32)])),
        ("amdhsa.target", Value::Str(TARGET.into())),
        (
            "amdhsa.kernels",
            Value::Array(kernels.iter().map(kernel_map).collect()),
        ),
    ]);
    let mut out = Vec::new();
    doc.encode(&mut out);
    out
}

fn pad4(out: &mut Vec<u8>) {
    while !out.len().is_multiple_of(4) {
        out.push(0);
    }
}

/// The whole `.note` section: one ELF note, name and descriptor each padded to 4 bytes.
pub fn note(kernels: &[KernelCode]) -> Result<Vec<u8>, ObjectError> {
    let desc = document(kernels);
    let desc_len = u32::try_from(desc.len()).map_err(|_| ObjectError::TooLarge)?;
    let mut out = Vec::with_capacity(desc.len() + 24);
    out.extend_from_slice(&(OWNER.len() as u32).to_le_bytes());
    out.extend_from_slice(&desc_len.to_le_bytes());
    out.extend_from_slice(&NT_AMDGPU_METADATA.to_le_bytes());
    out.extend_from_slice(OWNER);
    pad4(&mut out);
    out.extend_from_slice(&desc);
    pad4(&mut out);
    Ok(out)
}

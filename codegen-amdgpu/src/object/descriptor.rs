//! The 64-byte kernel descriptor (AMDGPUUsage "Code Object V3 Kernel Descriptor", gfx11
//! columns): built from a kernel's resources and decoded back into the same fields.

use super::{KernelResources, ObjectError};

/// Size and alignment of one descriptor in `.rodata`.
pub const DESCRIPTOR_SIZE: usize = 64;

/// The SGPRs the gfx1100 wave32 hardware bug (LLVM's UserSGPRInit16Bug) needs initialized:
/// user plus system SGPRs must total at least this many, so the user count is padded.
const INIT16_MIN_SGPRS: u32 = 16;

/// The only user SGPR we enable is the 64-bit kernarg segment pointer, s[0:1].
const KERNARG_PTR_SGPRS: u32 = 2;

/// `kernel_code_properties` bits.
const KCP_KERNARG_PTR: u16 = 1 << 3;
const KCP_WAVE32: u16 = 1 << 10;

/// rsrc1 bits that are the same for every kernel we write, as clang-19 sets them for gfx1100:
/// WGP_MODE and MEM_ORDERED; round to nearest even; no FP16_OVFL, no FWD_PROGRESS. The
/// float modes, DX10_CLAMP and IEEE_MODE come from [`DescriptorFields`].
const RSRC1_FIXED: u32 = (1 << 29) | (1 << 30);

/// The fields a descriptor holds, decoded. VGPRs are stored in granules of 8 (wave32), so
/// `vgpr_granules` is what the hardware sees; the exact count lives in the metadata note.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DescriptorFields {
    pub group_segment_fixed_size: u32,
    pub private_segment_fixed_size: u32,
    pub kernarg_size: u32,
    /// Entry address minus descriptor address.
    pub entry_offset: i64,
    /// `ceil(vgprs / 8)`, at least 1.
    pub vgpr_granules: u32,
    pub user_sgpr_count: u32,
    pub enable_private_segment: bool,
    pub workgroup_id: [bool; 3],
    /// Work-item id dimensions delivered in v0 (1 = x, 2 = x,y, 3 = x,y,z).
    pub workitem_id_dims: u8,
    pub float_denorm_32: u8,
    pub float_denorm_16_64: u8,
    pub ieee_mode: bool,
    pub dx10_clamp: bool,
    pub wavefront32: bool,
    pub kernarg_ptr: bool,
}

impl KernelResources {
    /// USER_SGPR_COUNT: the kernarg pointer's two SGPRs, padded so user + system SGPRs reach
    /// 16 (gfx1100 wave32 UserSGPRInit16Bug). Decided here, once: the workgroup ids arrive
    /// in `s[count]`, `s[count+1]`, ... in x, y, z order of those enabled, so instruction
    /// selection must ask this method where they are.
    pub fn user_sgpr_count(&self) -> u32 {
        let system = self.workgroup_id.iter().filter(|&&on| on).count() as u32;
        KERNARG_PTR_SGPRS.max(INIT16_MIN_SGPRS.saturating_sub(system))
    }

    /// The descriptor fields these resources give, for a kernel whose entry is
    /// `entry_offset` bytes after its descriptor.
    pub fn descriptor_fields(&self, entry_offset: i64) -> DescriptorFields {
        DescriptorFields {
            group_segment_fixed_size: self.lds_bytes,
            private_segment_fixed_size: self.scratch_bytes_per_lane,
            kernarg_size: self.kernarg_size,
            entry_offset,
            vgpr_granules: self.vgpr_count.div_ceil(8).max(1),
            user_sgpr_count: self.user_sgpr_count(),
            enable_private_segment: self.scratch_bytes_per_lane > 0,
            workgroup_id: self.workgroup_id,
            workitem_id_dims: self.workitem_id_dims,
            float_denorm_32: 3,
            float_denorm_16_64: 3,
            ieee_mode: true,
            dx10_clamp: true,
            wavefront32: true,
            kernarg_ptr: true,
        }
    }
}

/// Hardware limits of gfx1100 (wave32) the descriptor and metadata rely on.
const MAX_VGPRS: u32 = 256;
const MAX_SGPRS: u32 = 106;
const MAX_LDS_BYTES: u32 = 64 * 1024;
const MAX_WORKGROUP: u32 = 1024;

impl KernelResources {
    /// Reject resources no gfx1100 kernel can have, naming the kernel.
    pub fn check(&self, kernel: &str) -> Result<(), ObjectError> {
        let bad = |what: &'static str| {
            Err(ObjectError::Resource {
                kernel: kernel.to_string(),
                what,
            })
        };
        if self.vgpr_count > MAX_VGPRS {
            return bad("more than 256 VGPRs");
        }
        if self.sgpr_count > MAX_SGPRS {
            return bad("more than 106 SGPRs");
        }
        if self.lds_bytes > MAX_LDS_BYTES {
            return bad("more than 64 KiB of LDS");
        }
        if !(1..=MAX_WORKGROUP).contains(&self.max_flat_workgroup_size) {
            return bad("max flat workgroup size outside 1..=1024");
        }
        if !self.kernarg_align.is_power_of_two() {
            return bad("kernarg alignment is not a power of two");
        }
        if !(1..=3).contains(&self.workitem_id_dims) {
            return bad("work-item id dimensions outside 1..=3");
        }
        Ok(())
    }
}

fn bit(on: bool, at: u32) -> u32 {
    u32::from(on) << at
}

/// Check the fields fit their bit ranges before packing them.
fn check(kernel: &str, f: &DescriptorFields) -> Result<(), ObjectError> {
    let bad = |what: &'static str| ObjectError::Resource {
        kernel: kernel.to_string(),
        what,
    };
    if !(1..=32).contains(&f.vgpr_granules) {
        return Err(bad("VGPR granules outside 1..=32"));
    }
    if f.user_sgpr_count > 31 {
        return Err(bad("more than 31 user SGPRs"));
    }
    if !(1..=3).contains(&f.workitem_id_dims) {
        return Err(bad("work-item id dimensions outside 1..=3"));
    }
    Ok(())
}

/// The 64 descriptor bytes.
pub fn encode(kernel: &str, f: &DescriptorFields) -> Result<[u8; DESCRIPTOR_SIZE], ObjectError> {
    check(kernel, f)?;
    // rsrc1 [5:0] VGPR granules - 1; [9:6] SGPR granules stay 0 (reserved on GFX10+).
    let rsrc1 = RSRC1_FIXED
        | (f.vgpr_granules - 1)
        | u32::from(f.float_denorm_32 & 3) << 16
        | u32::from(f.float_denorm_16_64 & 3) << 18
        | bit(f.dx10_clamp, 21)
        | bit(f.ieee_mode, 23);
    let rsrc2 = bit(f.enable_private_segment, 0)
        | f.user_sgpr_count << 1
        | bit(f.workgroup_id[0], 7)
        | bit(f.workgroup_id[1], 8)
        | bit(f.workgroup_id[2], 9)
        | u32::from(f.workitem_id_dims - 1) << 11;
    let properties = if f.kernarg_ptr { KCP_KERNARG_PTR } else { 0 }
        | if f.wavefront32 { KCP_WAVE32 } else { 0 };
    let mut out = [0u8; DESCRIPTOR_SIZE];
    out[0x00..0x04].copy_from_slice(&f.group_segment_fixed_size.to_le_bytes());
    out[0x04..0x08].copy_from_slice(&f.private_segment_fixed_size.to_le_bytes());
    out[0x08..0x0C].copy_from_slice(&f.kernarg_size.to_le_bytes());
    out[0x10..0x18].copy_from_slice(&f.entry_offset.to_le_bytes());
    // 0x2C rsrc3 stays 0: INST_PREF_SIZE 0, as clang-19 writes for gfx1100.
    out[0x30..0x34].copy_from_slice(&rsrc1.to_le_bytes());
    out[0x34..0x38].copy_from_slice(&rsrc2.to_le_bytes());
    out[0x38..0x3A].copy_from_slice(&properties.to_le_bytes());
    Ok(out)
}

fn word(bytes: &[u8; DESCRIPTOR_SIZE], at: usize) -> u32 {
    u32::from_le_bytes([bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]])
}

/// Decode descriptor bytes. Any valid bit pattern decodes; a work-item id field of 3
/// (reserved) is reported as an error.
pub fn decode(
    kernel: &str,
    bytes: &[u8; DESCRIPTOR_SIZE],
) -> Result<DescriptorFields, ObjectError> {
    let rsrc1 = word(bytes, 0x30);
    let rsrc2 = word(bytes, 0x34);
    let properties = u16::from_le_bytes([bytes[0x38], bytes[0x39]]);
    let mut entry = [0u8; 8];
    entry.copy_from_slice(&bytes[0x10..0x18]);
    let workitem = (rsrc2 >> 11) & 3;
    if workitem == 3 {
        return Err(ObjectError::Malformed {
            what: format!("kernel {kernel}: descriptor VGPR_WORKITEM_ID is the reserved value 3"),
        });
    }
    Ok(DescriptorFields {
        group_segment_fixed_size: word(bytes, 0x00),
        private_segment_fixed_size: word(bytes, 0x04),
        kernarg_size: word(bytes, 0x08),
        entry_offset: i64::from_le_bytes(entry),
        vgpr_granules: (rsrc1 & 0x3F) + 1,
        user_sgpr_count: (rsrc2 >> 1) & 0x1F,
        enable_private_segment: rsrc2 & 1 != 0,
        workgroup_id: [
            rsrc2 & (1 << 7) != 0,
            rsrc2 & (1 << 8) != 0,
            rsrc2 & (1 << 9) != 0,
        ],
        workitem_id_dims: workitem as u8 + 1,
        float_denorm_32: ((rsrc1 >> 16) & 3) as u8,
        float_denorm_16_64: ((rsrc1 >> 18) & 3) as u8,
        ieee_mode: rsrc1 & (1 << 23) != 0,
        dx10_clamp: rsrc1 & (1 << 21) != 0,
        wavefront32: properties & KCP_WAVE32 != 0,
        kernarg_ptr: properties & KCP_KERNARG_PTR != 0,
    })
}

//! Plain descriptions of the GPUs that passes tune for. Passes read only these numbers; the
//! code generators know the rest. Sources are named beside each number; where a number
//! depends on the card (compute units), the card is named.
//!
//! NVIDIA numbers: CUDA C++ Programming Guide, "Technical Specifications per Compute
//! Capability" (threads per block, warp size, shared memory per SM and per block) and the
//! PTX ISA (`mma`, `wgmma` shapes); SM counts from NVIDIA's product specifications.
//! AMD numbers: "RDNA3" Instruction Set Architecture Reference Guide (wave32, LDS, WMMA)
//! and AMD's Radeon RX 7900 XTX specifications.

use crate::DType;

/// One matrix multiply-accumulate shape of the tensor cores: `m×k` times `k×n` inputs of
/// `input`, accumulated in `accumulator`, by `lanes` lanes together (a warp or wave of 32;
/// 128 for an sm_90 warpgroup).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct TileShape {
    pub m: u32,
    pub n: u32,
    pub k: u32,
    pub input: DType,
    pub accumulator: DType,
    pub lanes: u32,
}

/// A GPU target: plain numbers, no behaviour beyond lookups.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Target {
    /// `gfx1100`, `sm_80`, …: the name used on the command line and in code objects.
    pub name: &'static str,
    /// The card the card-dependent numbers (compute units) are taken from.
    pub device: &'static str,
    /// Lanes per subgroup (warp or wave).
    pub subgroup_size: u32,
    /// Most lanes per workgroup.
    pub max_workgroup_size: u32,
    /// Most shared memory one workgroup may use, in bytes (on NVIDIA, with the opt-in
    /// attribute `cudaFuncAttributeMaxDynamicSharedMemorySize` and dynamic shared memory).
    pub shared_bytes: u32,
    /// Shared memory one workgroup may use without any opt-in (static allocations).
    pub shared_bytes_default: u32,
    /// Widest single global or shared access of one lane, in bytes.
    pub max_vector_bytes: u32,
    /// Tensor-core shapes; empty where there are none.
    pub tensor_tiles: &'static [TileShape],
    /// Compute units (AMD CUs) or streaming multiprocessors (NVIDIA SMs) of `device`.
    pub compute_units: u32,
}

const KIB: u32 = 1024;

const fn tile(m: u32, n: u32, k: u32, input: DType, lanes: u32) -> TileShape {
    TileShape {
        m,
        n,
        k,
        input,
        accumulator: DType::F32,
        lanes,
    }
}

/// RDNA3 WMMA: `v_wmma_f32_16x16x16_f16` and `_bf16`, one wave32 (RDNA3 ISA guide, "Wave
/// Matrix Multiply Accumulate").
const WMMA: &[TileShape] = &[
    tile(16, 16, 16, DType::F16, 32),
    tile(16, 16, 16, DType::BF16, 32),
];

/// `mma.sync.aligned.m16n8k16` with f32 accumulators, one warp, sm_80 and later (PTX ISA,
/// "Warp-level matrix multiply-accumulate instructions").
const MMA_SYNC: &[TileShape] = &[
    tile(16, 8, 16, DType::F16, 32),
    tile(16, 8, 16, DType::BF16, 32),
];

/// sm_90: `mma.sync` plus `wgmma.mma_async.m64nNk16` by a warpgroup of 128 lanes (PTX ISA,
/// "Asynchronous warpgroup level matrix multiply-accumulate"; needs the `sm_90a` target). wgmma takes any N that is a multiple of 8 up to
/// 256; listed are the N that tiling passes consider.
const SM90_TILES: &[TileShape] = &[
    tile(16, 8, 16, DType::F16, 32),
    tile(16, 8, 16, DType::BF16, 32),
    tile(64, 64, 16, DType::F16, 128),
    tile(64, 64, 16, DType::BF16, 128),
    tile(64, 128, 16, DType::F16, 128),
    tile(64, 128, 16, DType::BF16, 128),
    tile(64, 256, 16, DType::F16, 128),
    tile(64, 256, 16, DType::BF16, 128),
];

impl Target {
    /// AMD RDNA3, Radeon RX 7900 XTX. Wave32 (the hardware also runs wave64; egpu compiles
    /// for wave32). 1024 lanes per workgroup (HIP's maxThreadsPerBlock). 64 KiB of LDS per
    /// workgroup (a WGP has 128 KiB, a workgroup may allocate 64 KiB: RDNA3 ISA guide,
    /// "Local Data Share"). `global_load_b128` moves 16 bytes. 96 CUs = 48 WGPs; we count
    /// CUs, as rocminfo does (HIP reports 48 in WGP mode).
    pub const GFX1100: Target = Target {
        name: "gfx1100",
        device: "Radeon RX 7900 XTX",
        subgroup_size: 32,
        max_workgroup_size: 1024,
        shared_bytes: 64 * KIB,
        shared_bytes_default: 64 * KIB,
        max_vector_bytes: 16,
        tensor_tiles: WMMA,
        compute_units: 96,
    };

    /// NVIDIA Ampere, A100: 164 KiB of shared memory per SM, of which one block may use
    /// 163 KiB with the opt-in (48 KiB without). `ld.global.v4.b32` moves 16 bytes. 108 SMs.
    pub const SM_80: Target = Target {
        name: "sm_80",
        device: "A100",
        subgroup_size: 32,
        max_workgroup_size: 1024,
        shared_bytes: 163 * KIB,
        shared_bytes_default: 48 * KIB,
        max_vector_bytes: 16,
        tensor_tiles: MMA_SYNC,
        compute_units: 108,
    };

    /// NVIDIA Ampere consumer, GeForce RTX 3090: 100 KiB of shared memory per SM, 99 KiB
    /// per block with the opt-in. 82 SMs (the RTX 3090 Ti has 84).
    pub const SM_86: Target = Target {
        name: "sm_86",
        device: "GeForce RTX 3090",
        subgroup_size: 32,
        max_workgroup_size: 1024,
        shared_bytes: 99 * KIB,
        shared_bytes_default: 48 * KIB,
        max_vector_bytes: 16,
        tensor_tiles: MMA_SYNC,
        compute_units: 82,
    };

    /// NVIDIA Ada, GeForce RTX 4090: 100 KiB of shared memory per SM, 99 KiB per block with
    /// the opt-in. 128 SMs.
    pub const SM_89: Target = Target {
        name: "sm_89",
        device: "GeForce RTX 4090",
        subgroup_size: 32,
        max_workgroup_size: 1024,
        shared_bytes: 99 * KIB,
        shared_bytes_default: 48 * KIB,
        max_vector_bytes: 16,
        tensor_tiles: MMA_SYNC,
        compute_units: 128,
    };

    /// NVIDIA Hopper, H100 SXM5 (the H200 has the same SM count): 228 KiB of shared memory
    /// per SM, 227 KiB per block with the opt-in. 132 SMs (the H100 PCIe has 114).
    /// Checked on an H200 on 2026-11-26 (cudaGetDeviceProperties: 132 SMs,
    /// sharedMemPerBlockOptin 232448 = 227 KiB, sharedMemPerBlock 49152, 1024 threads, warp 32;
    /// see docs/gpu-results.md).
    pub const SM_90: Target = Target {
        name: "sm_90",
        device: "H100 SXM5 / H200",
        subgroup_size: 32,
        max_workgroup_size: 1024,
        shared_bytes: 227 * KIB,
        shared_bytes_default: 48 * KIB,
        max_vector_bytes: 16,
        tensor_tiles: SM90_TILES,
        compute_units: 132,
    };

    /// Every target, AMD first, then NVIDIA by compute capability.
    pub const ALL: [Target; 5] = [
        Target::GFX1100,
        Target::SM_80,
        Target::SM_86,
        Target::SM_89,
        Target::SM_90,
    ];

    /// The target called `name` (`gfx1100`, `sm_80`, `sm_86`, `sm_89`, `sm_90`).
    pub fn by_name(name: &str) -> Option<Target> {
        Target::ALL.into_iter().find(|t| t.name == name)
    }

    /// The names of all targets, in the order of [`Target::ALL`].
    pub fn names() -> [&'static str; 5] {
        Target::ALL.map(|t| t.name)
    }

    /// The tensor-core shapes for inputs of `input` (f32 accumulation) that one subgroup
    /// executes alone.
    pub fn subgroup_tiles(&self, input: DType) -> impl Iterator<Item = &'static TileShape> {
        let lanes = self.subgroup_size;
        self.tensor_tiles
            .iter()
            .filter(move |t| t.input == input && t.lanes == lanes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn by_name_finds_every_target_and_nothing_else() {
        for target in Target::ALL {
            assert_eq!(Target::by_name(target.name), Some(target));
        }
        assert_eq!(
            Target::names(),
            ["gfx1100", "sm_80", "sm_86", "sm_89", "sm_90"]
        );
        assert_eq!(Target::by_name("sm_70"), None);
        assert_eq!(Target::by_name("SM_80"), None);
        assert_eq!(Target::by_name(""), None);
    }

    #[test]
    fn numbers_match_the_vendor_documents() {
        let t = |name| {
            Target::by_name(name).map(|t| {
                (
                    t.subgroup_size,
                    t.max_workgroup_size,
                    t.shared_bytes / KIB,
                    t.compute_units,
                )
            })
        };
        assert_eq!(t("gfx1100"), Some((32, 1024, 64, 96)));
        assert_eq!(t("sm_80"), Some((32, 1024, 163, 108)));
        assert_eq!(t("sm_86"), Some((32, 1024, 99, 82)));
        assert_eq!(t("sm_89"), Some((32, 1024, 99, 128)));
        assert_eq!(t("sm_90"), Some((32, 1024, 227, 132)));
        for target in Target::ALL {
            assert_eq!(target.max_vector_bytes, 16, "{}", target.name);
            assert!(
                target.shared_bytes_default <= target.shared_bytes,
                "{}",
                target.name
            );
        }
    }

    #[test]
    fn tensor_tiles_per_target() {
        let shapes = |t: Target, d| {
            t.subgroup_tiles(d)
                .map(|s| (s.m, s.n, s.k))
                .collect::<Vec<_>>()
        };
        assert_eq!(shapes(Target::GFX1100, DType::F16), [(16, 16, 16)]);
        assert_eq!(shapes(Target::GFX1100, DType::BF16), [(16, 16, 16)]);
        assert_eq!(shapes(Target::SM_80, DType::F16), [(16, 8, 16)]);
        assert_eq!(shapes(Target::SM_90, DType::BF16), [(16, 8, 16)]);
        assert!(shapes(Target::SM_86, DType::F32).is_empty());
        let wgmma = Target::SM_90.tensor_tiles.iter().filter(|s| s.lanes == 128);
        assert!(
            wgmma
                .clone()
                .all(|s| s.m == 64 && s.k == 16 && s.n % 8 == 0 && s.n <= 256)
        );
        assert_eq!(wgmma.count(), 6);
        for target in Target::ALL {
            assert!(
                target
                    .tensor_tiles
                    .iter()
                    .all(|s| s.accumulator == DType::F32)
            );
        }
    }
}

//! The heuristics, one function each; the module documentation of `optimize` gives the
//! reasons in one place, the comments here the details.

use super::Contraction;
use super::shape::{contiguous, widest_access};
use crate::plan::{KernelPlan, ReductionStrategy, TilePlan};
use crate::schedule::KernelGroup;
use egpu_ir::{DType, Graph, Target};

/// Lanes per workgroup when nothing argues for fewer: 8 waves of 32 keep enough loads in
/// flight to hide memory latency while leaving room for several workgroups per CU/SM.
pub(crate) const DEFAULT_LANES: u32 = 256;

/// Workgroups wanted per CU/SM: with two, one can run while the other waits at a barrier
/// or on memory.
const GROUPS_PER_UNIT: u64 = 2;

/// Outputs at which an elementwise kernel gives each lane several (2^20): below it, every
/// lane with one element still does not fill the largest GPU's lanes many times over.
pub(crate) const LARGE_ELEMENTWISE: usize = 1 << 20;

/// Accesses (elements, or vectors of `vector_width`) per lane in a large elementwise
/// kernel: four independent loads per lane hide latency and amortize the index
/// arithmetic, without hurting the balance of the last workgroups.
const LARGE_ACCESSES_PER_LANE: u32 = 4;

/// Rows at most this long are reduced by one lane each: a subgroup would leave most of its
/// lanes idle, and the loop is short enough to unroll.
pub(crate) const SHORT_ROW: usize = 32;

/// Rows at most this long are reduced by one subgroup: 32 elements per lane at most, so a
/// workgroup's barrier and shared-memory combine would cost more than it saves.
pub(crate) const MEDIUM_ROW: usize = 1024;

/// Loops of at most this many iterations per lane are unrolled.
const UNROLL_TRIPS: usize = 8;

/// Elements each lane should at least sum before a one-row workgroup gets more lanes.
const ELEMENTS_PER_REDUCING_LANE: usize = 16;

/// The largest default workgroup the target allows, in whole subgroups.
fn default_lanes(target: &Target) -> u32 {
    let wave = target.subgroup_size.max(1);
    let lanes = DEFAULT_LANES.min(target.max_workgroup_size);
    (lanes / wave).max(1) * wave
}

/// Lanes per workgroup for `items` units of one-lane work: the default size, or fewer
/// (down to one subgroup) so that there are at least two workgroups per CU/SM when the work
/// allows it; always whole subgroups.
pub(crate) fn launch_lanes(items: u64, target: &Target) -> u32 {
    let wave = u64::from(target.subgroup_size.max(1));
    let wanted = GROUPS_PER_UNIT * u64::from(target.compute_units.max(1));
    let per_group = items / wanted;
    let rounded = (per_group / wave).max(1) * wave;
    let lanes = rounded.min(u64::from(default_lanes(target)));
    u32::try_from(lanes).unwrap_or(DEFAULT_LANES)
}

/// The widest vector access (16 bytes: 4 × f32, 8 × f16) whose aligned groups of elements
/// are contiguous in every buffer the elementwise group touches; 1 when unsure.
pub(crate) fn vector_width(graph: &Graph, group: &KernelGroup, target: &Target) -> u32 {
    let bytes = widest_access(graph, group).max(1);
    let mut width = (target.max_vector_bytes as usize / bytes).clamp(1, 8);
    width = 1 << width.ilog2();
    while width > 1 && !contiguous(graph, group, width) {
        width /= 2;
    }
    width as u32
}

/// The plan of a kernel without reductions.
pub(crate) fn elementwise(
    graph: &Graph,
    group: &KernelGroup,
    elements: usize,
    target: &Target,
) -> KernelPlan {
    let vector_width = vector_width(graph, group, target);
    // The lowering counts elements and vectorizes only when the width divides them.
    let elements_per_lane = if elements >= LARGE_ELEMENTWISE {
        LARGE_ACCESSES_PER_LANE * vector_width
    } else {
        vector_width
    };
    let items = elements.div_ceil(elements_per_lane as usize) as u64;
    KernelPlan {
        workgroup_size: launch_lanes(items, target),
        elements_per_lane,
        vector_width,
        reduction: ReductionStrategy::PerLane,
        subgroup_size: target.subgroup_size,
        unroll: elements_per_lane > vector_width,
        tiling: None,
    }
}

/// How rows of `row_len` are reduced: a lane per short row, or when there are so many rows
/// that one per lane fills the GPU several times over; a subgroup per medium row; a
/// workgroup per long row.
pub(crate) fn reduction_strategy(
    rows: usize,
    row_len: usize,
    target: &Target,
) -> ReductionStrategy {
    let lanes_on_gpu = u64::from(target.compute_units) * u64::from(target.max_workgroup_size);
    let many_rows = rows as u64 >= GROUPS_PER_UNIT * lanes_on_gpu;
    if row_len <= SHORT_ROW || (many_rows && row_len <= MEDIUM_ROW) {
        ReductionStrategy::PerLane
    } else if row_len <= MEDIUM_ROW {
        ReductionStrategy::Subgroup
    } else {
        ReductionStrategy::Workgroup
    }
}

/// The plan of a reduction kernel (or of a contraction left untiled).
pub(crate) fn reduction(rows: usize, row_len: usize, target: &Target) -> KernelPlan {
    let strategy = reduction_strategy(rows, row_len, target);
    let wave = target.subgroup_size.max(1) as usize;
    let (workgroup_size, trips) = match strategy {
        // A short row's whole loop is unrolled; a long one's is not.
        ReductionStrategy::PerLane => {
            let trips = if row_len <= SHORT_ROW { 1 } else { row_len };
            (launch_lanes(rows as u64, target), trips)
        }
        ReductionStrategy::Subgroup => {
            let lanes = launch_lanes((rows as u64).saturating_mul(wave as u64), target);
            (lanes, row_len.div_ceil(wave))
        }
        ReductionStrategy::Workgroup => {
            let lanes = row_lanes(rows, row_len, target);
            (lanes, row_len.div_ceil(lanes as usize))
        }
    };
    KernelPlan {
        workgroup_size,
        elements_per_lane: 1,
        vector_width: 1,
        reduction: strategy,
        subgroup_size: target.subgroup_size,
        unroll: trips <= UNROLL_TRIPS,
        tiling: None,
    }
}

/// Lanes of a workgroup that reduces one row: with fewer rows than two per CU/SM the GPU is
/// underused anyway, so each row gets as many lanes as keep at least 16 elements per lane
/// (up to the target's maximum); otherwise the default size.
fn row_lanes(rows: usize, row_len: usize, target: &Target) -> u32 {
    let default = default_lanes(target);
    let few_rows = (rows as u64) < GROUPS_PER_UNIT * u64::from(target.compute_units);
    if !few_rows {
        return default;
    }
    let wave = target.subgroup_size.max(1);
    let useful = (row_len / ELEMENTS_PER_REDUCING_LANE).max(1);
    let useful = u32::try_from(useful).unwrap_or(u32::MAX);
    let max = (target.max_workgroup_size / wave).max(1) * wave;
    let pow2 = 1u32 << useful.ilog2();
    pow2.clamp(default, max)
}

/// Whether the target runs the kernel IR's 16×16×16 matrix tile on `dtype` inputs: a
/// subgroup shape of 16×16×16, or of 16×n×16 with n dividing 16 (sm_80+ `mma.sync` is
/// 16×8×16; two of them make one tile), and 32-lane subgroups as the op requires.
pub fn supports_matrix_tile(target: &Target, dtype: DType) -> bool {
    target.subgroup_size == 32
        && target
            .subgroup_tiles(dtype)
            .any(|t| t.m == 16 && t.k == 16 && t.n > 0 && 16u32.is_multiple_of(t.n))
}

/// Whether a contraction may use the matrix tile op: both operands hold the same f16 or
/// bf16 dtype and are converted exactly to the f32 the products are summed in (so staging
/// them in shared memory as f16/bf16 loses nothing), and m, n and k are multiples of 16.
pub(crate) fn matrix_tile_fits(c: &Contraction, target: &Target) -> bool {
    let Some(dtype) = c.operand_dtype() else {
        return false;
    };
    let half = matches!(dtype, DType::F16 | DType::BF16);
    let exact = c.a.cast && c.b.cast && c.accumulator == DType::F32;
    let aligned = [c.m, c.n, c.k].iter().all(|d| d.is_multiple_of(16));
    half && exact && aligned && supports_matrix_tile(target, dtype)
}

/// Bytes of shared memory a tiled contraction uses: the A and B tiles (`tile_k` deep) in
/// the staging dtype (f16/bf16 for the matrix tile, else the accumulator's), plus the
/// output tile D in the accumulator's dtype (f32 for the matrix tile), which the matrix
/// tile op accumulates into and through which both paths run their epilogue.
pub fn tile_shared_bytes(tile: &TilePlan, accumulator: DType) -> usize {
    let (m, n, k) = (
        tile.tile_m as usize,
        tile.tile_n as usize,
        tile.tile_k as usize,
    );
    let (staged, sum) = if tile.matrix_tile {
        (2, 4)
    } else {
        (accumulator.size_bytes(), accumulator.size_bytes())
    };
    let staging = k.saturating_mul(m.saturating_add(n)).saturating_mul(staged);
    staging.saturating_add(m.saturating_mul(n).saturating_mul(sum))
}

/// Lanes of a tiled contraction's workgroup. Plain: one lane per output element up to 256
/// lanes, then each lane keeps a register block of up to 4×4 outputs (reuse of each loaded
/// value across the block is what makes tiling pay). Matrix tile: one subgroup per 16×16
/// output tile, at most 4 subgroups (each then owns several tiles).
pub fn tile_lanes(tile: &TilePlan, target: &Target) -> u32 {
    let outputs = tile.tile_m.saturating_mul(tile.tile_n);
    if tile.matrix_tile {
        let tiles = outputs / (16 * 16);
        return target.subgroup_size * tiles.clamp(1, 4);
    }
    let per_lane = (outputs / DEFAULT_LANES).clamp(1, 16);
    outputs / per_lane
}

/// Tile edges start at the dimension rounded up to a power of two, at most 64 (a 64×64
/// f32 block is 16 outputs per lane for 256 lanes, about what registers hold) and at least
/// 8 (16 for the matrix tile); shrinking for parallelism stops at 16.
const MAX_EDGE: u32 = 64;
const SHRINK_FLOOR: u32 = 16;

/// The shared-memory tiling of a contraction, or `None` when it would not pay: with m, n or
/// k below 8 a loaded value is reused too few times to be worth staging.
///
/// Start from the largest useful tile; while the grid has fewer workgroups than the target
/// has CUs/SMs, halve the longer edge (small problems need parallelism more than reuse);
/// then shrink `tile_k` (and if needed the edges) until the tiles fit the shared memory a
/// workgroup gets without opt-in (`shared_bytes_default`).
pub(crate) fn tile_plan(c: &Contraction, target: &Target) -> Option<TilePlan> {
    if c.m < 8 || c.n < 8 || c.k < 8 {
        return None;
    }
    let matrix_tile = matrix_tile_fits(c, target);
    let floor = if matrix_tile { 16 } else { 8 };
    let edge = |d: usize| (d.next_power_of_two().min(MAX_EDGE as usize) as u32).max(floor);
    // Two matrix tile steps per stage when k allows: half the barriers per k.
    let tile_k = if matrix_tile && c.k.is_multiple_of(32) {
        32
    } else {
        16
    };
    let mut tile = TilePlan {
        tile_m: edge(c.m),
        tile_n: edge(c.n),
        tile_k,
        matrix_tile,
    };
    while workgroups(c, &tile) < u64::from(target.compute_units) && halve_edge(&mut tile) {}
    let budget = target.shared_bytes_default as usize;
    while tile_shared_bytes(&tile, c.accumulator) > budget {
        let shrunk = if tile.tile_k > floor.min(16) {
            tile.tile_k /= 2;
            true
        } else {
            halve_edge(&mut tile)
        };
        if !shrunk {
            return None;
        }
    }
    // The lowering launches a one-dimensional grid of i32-indexed workgroups.
    (workgroups(c, &tile) <= i32::MAX as u64).then_some(tile)
}

/// Workgroups of a tiled contraction: one per (batch, m tile, n tile).
pub fn workgroups(c: &Contraction, tile: &TilePlan) -> u64 {
    let tiles = |d: usize, t: u32| d.div_ceil(t.max(1) as usize) as u64;
    (c.batch as u64)
        .saturating_mul(tiles(c.m, tile.tile_m))
        .saturating_mul(tiles(c.n, tile.tile_n))
}

/// Halves the longer tile edge (m on a tie) if it is above the shrink floor.
fn halve_edge(tile: &mut TilePlan) -> bool {
    let edge = if tile.tile_m >= tile.tile_n {
        &mut tile.tile_m
    } else {
        &mut tile.tile_n
    };
    if *edge <= SHRINK_FLOOR {
        return false;
    }
    *edge /= 2;
    true
}

/// The plan of a tiled contraction: the tile's launch shape, loops unrolled (the k step
/// and the register block are short fixed loops).
pub(crate) fn tiled(tile: TilePlan, target: &Target) -> KernelPlan {
    KernelPlan {
        workgroup_size: tile_lanes(&tile, target),
        elements_per_lane: 1,
        vector_width: 1,
        reduction: ReductionStrategy::PerLane,
        subgroup_size: target.subgroup_size,
        unroll: true,
        tiling: Some(tile),
    }
}

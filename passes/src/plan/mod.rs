//! The kernel plan: how one kernel group is to be lowered. [`crate::optimize`] chooses a
//! [`KernelPlan`] per group from the target (or the pipeline uses the plain plan when
//! `optimize` is disabled), and [`crate::lower`] obeys it. This module is the whole contract
//! between the two: neither pass imports the other. A plan never changes what a kernel
//! computes, only how the work maps onto lanes.

mod display;

/// How a kernel's reductions are spread over lanes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ReductionStrategy {
    /// One lane per row: the lane loops over the reduced elements.
    PerLane,
    /// One subgroup per row: lanes stride over the row, then a subgroup reduction.
    Subgroup,
    /// One workgroup per row: lanes stride over the row, subgroup reductions, then the
    /// subgroups' partial results combined through shared memory after a barrier.
    Workgroup,
}

/// Shared-memory tiling of a contraction (matmul-shaped) kernel.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct TilePlan {
    pub tile_m: u32,
    pub tile_n: u32,
    pub tile_k: u32,
    /// Use the 16×16×16 matrix tile op (tensor cores / WMMA) on f16/bf16 operands.
    pub matrix_tile: bool,
}

/// The lowering choices for one kernel group (printed as one line by its `Display`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct KernelPlan {
    /// Lanes per workgroup (a 1-D workgroup along x).
    pub workgroup_size: u32,
    /// Consecutive output elements one lane computes in an elementwise kernel.
    pub elements_per_lane: u32,
    /// Elements per load/store (1, 2, 4 or 8) where an access is contiguous and aligned;
    /// other accesses stay scalar.
    pub vector_width: u32,
    pub reduction: ReductionStrategy,
    /// The target's subgroup (warp/wave) size.
    pub subgroup_size: u32,
    /// Mark the innermost reduction loop for unrolling.
    pub unroll: bool,
    /// Tiling for contraction kernels; `None` lowers them like any other reduction.
    pub tiling: Option<TilePlan>,
}

impl Default for KernelPlan {
    /// The plain plan: scalar accesses, one element and one row per lane, 256-lane
    /// workgroups. Always valid; the reference point for every optimization.
    fn default() -> Self {
        KernelPlan {
            workgroup_size: 256,
            elements_per_lane: 1,
            vector_width: 1,
            reduction: ReductionStrategy::PerLane,
            subgroup_size: 32,
            unroll: false,
            tiling: None,
        }
    }
}

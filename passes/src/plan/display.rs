//! The stable, readable text of a [`KernelPlan`]: what `egpu compile -v` prints and what the
//! kernel snapshots record. One line of `field=value` pairs in a fixed order, named after the
//! fields, so a changed decision shows as one changed word in a diff (unlike `Debug`, whose
//! layout is not a contract).
//!
//! ```text
//! workgroup_size=256 elements_per_lane=4 vector_width=4 reduction=per_lane subgroup_size=32 unroll=false tiling=none
//! workgroup_size=256 ... tiling=64x64x16/matrix_tile
//! ```

use super::{KernelPlan, ReductionStrategy, TilePlan};
use std::fmt;

impl fmt::Display for ReductionStrategy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ReductionStrategy::PerLane => "per_lane",
            ReductionStrategy::Subgroup => "subgroup",
            ReductionStrategy::Workgroup => "workgroup",
        })
    }
}

impl fmt::Display for TilePlan {
    /// `MxNxK`, with `/matrix_tile` when the 16×16×16 matrix op is used.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}x{}x{}", self.tile_m, self.tile_n, self.tile_k)?;
        if self.matrix_tile {
            f.write_str("/matrix_tile")?;
        }
        Ok(())
    }
}

impl fmt::Display for KernelPlan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "workgroup_size={} elements_per_lane={} vector_width={} reduction={} \
             subgroup_size={} unroll={} tiling=",
            self.workgroup_size,
            self.elements_per_lane,
            self.vector_width,
            self.reduction,
            self.subgroup_size,
            self.unroll,
        )?;
        match &self.tiling {
            Some(tiling) => write!(f, "{tiling}"),
            None => f.write_str("none"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_plain_plan_prints_every_field_in_order() {
        assert_eq!(
            KernelPlan::default().to_string(),
            "workgroup_size=256 elements_per_lane=1 vector_width=1 reduction=per_lane \
             subgroup_size=32 unroll=false tiling=none"
        );
    }

    #[test]
    fn a_tiled_plan_prints_its_tile_and_strategy() {
        let plan = KernelPlan {
            workgroup_size: 128,
            elements_per_lane: 4,
            vector_width: 4,
            reduction: ReductionStrategy::Workgroup,
            subgroup_size: 64,
            unroll: true,
            tiling: Some(TilePlan {
                tile_m: 64,
                tile_n: 32,
                tile_k: 16,
                matrix_tile: true,
            }),
        };
        assert_eq!(
            plan.to_string(),
            "workgroup_size=128 elements_per_lane=4 vector_width=4 reduction=workgroup \
             subgroup_size=64 unroll=true tiling=64x32x16/matrix_tile"
        );
        let subgroup = KernelPlan {
            reduction: ReductionStrategy::Subgroup,
            tiling: None,
            ..plan
        };
        assert!(subgroup.to_string().contains(" reduction=subgroup "));
    }
}

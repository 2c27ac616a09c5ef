//! Launch shapes and the lane ids every kernel starts from.

use super::LowerError;
use super::emit::Emitter;
use super::index::Ix;
use egpu_ir::kernel::Axis;

/// The most workgroups along grid x (CUDA's limit; RDNA3 allows more), and along y and z.
const MAX_GRID_X: i128 = (1 << 31) - 1;
const MAX_GRID_YZ: i128 = 65535;

/// `⌈a / b⌉` for `b > 0` (0 for `b ≤ 0`, which no caller passes).
pub fn ceil_div(a: i128, b: i128) -> i128 {
    if b <= 0 { 0 } else { (a + b - 1).div_euclid(b) }
}

/// A grid of at least `groups` workgroups (and at least one): along x alone when it fits,
/// else spilling into y and z; workgroups past `groups` find no work (callers guard).
pub fn grid(groups: i128) -> Result<[u32; 3], LowerError> {
    let groups = groups.max(1);
    let gx = groups.min(MAX_GRID_X);
    let rest = ceil_div(groups, gx);
    let gy = rest.min(MAX_GRID_YZ);
    let gz = ceil_div(rest, gy);
    let fit = |g: i128| u32::try_from(g).ok();
    match (fit(gx), fit(gy), fit(gz)) {
        (Some(x), Some(y), Some(z)) if gz <= MAX_GRID_YZ => Ok([x, y, z]),
        _ => Err(LowerError::Unsupported(format!(
            "{groups} workgroups do not fit in a grid"
        ))),
    }
}

/// The workgroup's linear position in the grid, x fastest.
pub fn workgroup_linear(em: &mut Emitter<'_>, grid: [u32; 3]) -> Ix {
    let mut linear = Ix::zero();
    let mut stride: i128 = 1;
    for (axis, g) in Axis::ALL.into_iter().zip(grid) {
        let g = i128::from(g);
        if g > 1 {
            let id = em.b.workgroup_id(axis);
            let v = em.bind(g, id);
            let term = em.sym.scale(&em.sym.var(v), stride);
            linear = em.sym.add(&linear, &term);
        }
        stride = stride.saturating_mul(g);
    }
    linear
}

/// The lane's position in its (1-D) workgroup of `size` lanes.
pub fn local_linear(em: &mut Emitter<'_>, size: u32) -> Ix {
    if size <= 1 {
        return Ix::zero();
    }
    let id = em.b.local_id(Axis::X);
    let v = em.bind(i128::from(size), id);
    em.sym.var(v)
}

/// The lane's position in the whole launch: workgroup · size + local.
pub fn global_linear(em: &mut Emitter<'_>, grid: [u32; 3], size: u32) -> Ix {
    let wg = workgroup_linear(em, grid);
    let local = local_linear(em, size);
    let scaled = em.sym.scale(&wg, i128::from(size));
    em.sym.add(&scaled, &local)
}

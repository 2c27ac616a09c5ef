//! Comparing compiled programs field by field (`egpu::Program` has no `PartialEq`: kernels
//! are equal when they print the same).

use egpu::Program;
use egpu_ir::kernel;

/// The first difference between `a` and `b`, or `None` when they are the same program:
/// target, name, buffers, kernels (as printed .kir), launches, outputs and machine code.
pub fn program_difference(a: &Program, b: &Program) -> Option<String> {
    let (pa, pb) = (&a.plan, &b.plan);
    if a.target != b.target {
        return Some(format!("target {} vs {}", a.target.name, b.target.name));
    }
    if pa.name != pb.name {
        return Some(format!("name {} vs {}", pa.name, pb.name));
    }
    if pa.buffers != pb.buffers {
        return Some(format!("buffers {:?} vs {:?}", pa.buffers, pb.buffers));
    }
    let texts = |p: &kernel::Program| p.kernels.iter().map(kernel::print).collect::<Vec<_>>();
    if texts(pa) != texts(pb) {
        return Some("kernels print differently".to_string());
    }
    if pa.launches != pb.launches {
        return Some(format!("launches {:?} vs {:?}", pa.launches, pb.launches));
    }
    if pa.outputs != pb.outputs {
        return Some(format!("outputs {:?} vs {:?}", pa.outputs, pb.outputs));
    }
    (a.code != b.code).then(|| "machine code differs".to_string())
}

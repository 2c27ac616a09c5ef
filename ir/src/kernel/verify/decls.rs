//! The kernel-wide rules: declarations, the launch shape (and a target's limits), and the
//! placement of barriers once the whole body has been walked.

use super::uniform::Flow;
use super::{Rule, Site, Verifier};
use crate::DType;
use crate::kernel::MAX_WORKGROUP_SIZE;
use crate::kernel::builder::check_name;
use crate::kernel::types::Param;
use std::collections::HashSet;

impl Verifier<'_> {
    /// Names are identifiers, parameter, shared-array and fragment names unique together; scalar
    /// parameters are i32 or i64.
    pub(super) fn declarations(&mut self) {
        let kernel = self.kernel;
        if !check_name(&kernel.name) {
            self.fail_decl(
                Rule::Declaration,
                "kernel",
                "the name must be an identifier",
            );
        }
        let params = kernel.params.values().map(|p| p.name());
        let shared = kernel.shared.values().map(|s| s.name.as_str());
        let mut seen = HashSet::new();
        let fragments = kernel.fragments.values().map(String::as_str);
        // Described only for an error: a kernel is verified after every pass that changes it.
        let what = |name: &str| format!("declaration of '{name}'");
        for name in params.chain(shared).chain(fragments) {
            if !check_name(name) {
                self.fail_decl(Rule::Declaration, what(name), "not an identifier");
            }
            if !seen.insert(name) {
                self.fail_decl(Rule::Declaration, what(name), "the name is already used");
            }
        }
        for p in kernel.params.values() {
            if let Param::Scalar { name, dtype } = p
                && !matches!(dtype, DType::I32 | DType::I64)
            {
                let m = format!("must be i32 or i64, not {dtype}");
                self.fail_decl(Rule::Declaration, format!("param {name}"), m);
            }
        }
    }

    /// The launch shape; with a target, its limits (lanes per workgroup, shared bytes,
    /// subgroup size).
    pub(super) fn launch(&mut self) {
        let kernel = self.kernel;
        let launch = kernel.launch;
        let size = launch.workgroup_size();
        let s = kernel.subgroup_size;
        if launch.grid.contains(&0) || launch.workgroup.contains(&0) {
            let m = "every grid and workgroup dimension must be at least 1";
            self.fail_decl(Rule::Launch, "launch", m);
        }
        if size > MAX_WORKGROUP_SIZE {
            let m = format!("{size} lanes per workgroup; at most {MAX_WORKGROUP_SIZE}");
            self.fail_decl(Rule::Launch, "launch", m);
        }
        if !s.is_power_of_two() || s > 64 {
            let m = format!("size {s} is not a power of two up to 64");
            self.fail_decl(Rule::Launch, "subgroup", m);
        } else if self.uses_subgroups && !size.is_multiple_of(u64::from(s)) {
            let m = format!("subgroup operations need whole subgroups: {size} lanes, size {s}");
            self.fail_decl(Rule::Subgroup, "subgroup", m);
        }
        let Some(target) = self.target else { return };
        let t = target.name;
        if size > u64::from(target.max_workgroup_size) {
            let m = format!(
                "{size} lanes per workgroup; {t} allows {}",
                target.max_workgroup_size
            );
            self.fail_decl(Rule::Launch, "launch", m);
        }
        let bytes = kernel.shared_bytes();
        if bytes > target.shared_bytes as usize {
            let m = format!(
                "{bytes} bytes of shared memory; {t} allows {}",
                target.shared_bytes
            );
            self.fail_decl(Rule::Launch, "shared", m);
        }
        if s != target.subgroup_size {
            let m = format!(
                "size {s}, but {t} runs subgroups of {}",
                target.subgroup_size
            );
            self.fail_decl(Rule::Launch, "subgroup", m);
        }
    }

    /// A barrier in a block that lanes may enter differently (under an `if` on a
    /// lane-varying condition, or in a loop with lane-varying bounds) is refused.
    pub(super) fn barrier_placement(&mut self) {
        let varying = self.flow.varying();
        for (block, stmt) in std::mem::take(&mut self.barriers) {
            if Flow::is_varying(&varying, block) {
                self.stmt = stmt;
                let m = "it is inside an if or loop whose condition or bounds differ between \
                         lanes of the workgroup, so some lanes may not arrive";
                self.fail(Rule::Barrier, Site::Barrier, m);
            }
        }
    }
}

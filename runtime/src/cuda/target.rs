//! Which egpu target a CUDA device's compute capability gets.
//!
//! A cubin built for X.y runs on devices X.z with z ≥ y, and PTX JIT-compiles for any newer
//! device, so a capability with no target of its own takes the nearest lower one: its cubin
//! may load (same major), and where the driver refuses it the PTX is JIT-compiled.

/// The target chosen for a compute capability.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TargetChoice {
    /// An `ir::Target` name: `sm_80`, `sm_86`, `sm_89` or `sm_90`.
    pub name: &'static str,
    /// Whether the device is exactly that architecture (false: a newer one using it).
    pub exact: bool,
}

/// The capabilities egpu has targets for, oldest first.
const TARGETS: [((i32, i32), &str); 4] = [
    ((8, 0), "sm_80"),
    ((8, 6), "sm_86"),
    ((8, 9), "sm_89"),
    ((9, 0), "sm_90"),
];

/// The target for compute capability `major.minor`: the newest one not newer than it, or
/// `None` below 8.0 (egpu's PTX needs Ampere or newer).
pub fn target_for(major: i32, minor: i32) -> Option<TargetChoice> {
    let (capability, name) = TARGETS
        .iter()
        .rev()
        .find(|(capability, _)| *capability <= (major, minor))?;
    Some(TargetChoice {
        name,
        exact: *capability == (major, minor),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_capability_takes_the_nearest_lower_target() {
        let cases = [
            ((7, 5), None),
            ((8, 0), Some(("sm_80", true))),
            ((8, 6), Some(("sm_86", true))),
            ((8, 7), Some(("sm_86", false))),
            ((8, 9), Some(("sm_89", true))),
            ((9, 0), Some(("sm_90", true))),
            ((10, 0), Some(("sm_90", false))),
            ((12, 0), Some(("sm_90", false))),
        ];
        for ((major, minor), want) in cases {
            let got = target_for(major, minor).map(|t| (t.name, t.exact));
            assert_eq!(got, want, "{major}.{minor}");
            if let Some((name, _)) = want {
                assert!(
                    egpu_ir::Target::by_name(name).is_some(),
                    "{name} is an ir::Target"
                );
            }
        }
    }
}

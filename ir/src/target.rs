//! Plain descriptions of the GPUs that passes tune for.

/// A GPU target (to be filled in).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Target {
    pub name: &'static str,
}

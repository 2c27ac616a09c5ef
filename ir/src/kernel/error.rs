//! Why a kernel could not be built or run.

use std::fmt;

/// One lane of a launch: its workgroup's position in the grid and its position in the
/// workgroup.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct LaneId {
    pub workgroup: [u32; 3],
    pub local: [u32; 3],
}

impl fmt::Display for LaneId {
    /// `workgroup [1, 0, 0] lane [3, 0, 0]`, written like the launch shape.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "workgroup {:?} lane {:?}", self.workgroup, self.local)
    }
}

/// A kernel the builder refused, or a run of the interpreter that failed: what went wrong
/// and where (the kernel, the operation, the buffer and index, the lane).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum KernelError {
    /// The builder refused an operation; `what` names it (`v7 = add`, `store c`, `end_loop`).
    #[error("kernel {kernel}: {what}: {message}")]
    Build {
        kernel: String,
        what: String,
        message: String,
    },
    /// The buffers or scalars given to the interpreter do not match the parameters.
    #[error("kernel {kernel}: bad argument: {message}")]
    Argument { kernel: String, message: String },
    /// An access outside a buffer or shared array; `memory` is `buffer a` or `shared t`.
    #[error("kernel {kernel}: index {index} is outside {memory} ({len} elements) in {lane}")]
    OutOfBounds {
        kernel: String,
        memory: String,
        index: i128,
        len: usize,
        lane: LaneId,
    },
    /// A vector access whose first index is not a multiple of its width (or a matrix tile
    /// whose rows are not 16-byte aligned).
    #[error("kernel {kernel}: {what} at index {index} of {memory} is misaligned in {lane}")]
    Misaligned {
        kernel: String,
        memory: String,
        what: String,
        index: i128,
        lane: LaneId,
    },
    /// A load from a write-only buffer or a store into a read-only one.
    #[error("kernel {kernel}: {message} in {lane}")]
    Access {
        kernel: String,
        message: String,
        lane: LaneId,
    },
    /// An integer `idiv` or `mod` by zero; `value` is e.g. `v7 = idiv v5, v6`.
    #[error("kernel {kernel}: division by zero in {value} in {lane}")]
    DivisionByZero {
        kernel: String,
        value: String,
        lane: LaneId,
    },
    /// A read of a shared-memory element that no lane of the workgroup has written.
    #[error("kernel {kernel}: {memory}[{index}] is read before it is written in {lane}")]
    Uninitialized {
        kernel: String,
        memory: String,
        index: i128,
        lane: LaneId,
    },
    /// Two accesses to one shared-memory element, at least one a write, by lanes that no
    /// barrier (or, within a subgroup, no subgroup operation) orders.
    /// `first` and `second` say what each access was and who made it: `written by
    /// workgroup [0, 0, 0] lane [5, 0, 0]`.
    #[error(
        "kernel {kernel}: data race on {memory}[{index}]: {first}, then {second} with no \
         barrier between"
    )]
    Race {
        kernel: String,
        memory: String,
        index: i128,
        first: String,
        second: String,
    },
    /// Lanes that must meet at a barrier (the workgroup) or at a subgroup operation (the
    /// subgroup) went different ways; `detail` says where two of them are.
    #[error("kernel {kernel}: divergent {sync} in workgroup {workgroup:?}: {detail}")]
    Divergent {
        kernel: String,
        sync: &'static str,
        workgroup: [u32; 3],
        detail: String,
    },
    /// The lanes of a subgroup gave a matrix tile op different operands.
    #[error("kernel {kernel}: matrix_tile operands differ within a subgroup in {lane}: {detail}")]
    NonUniform {
        kernel: String,
        lane: LaneId,
        detail: String,
    },
    /// The run took more interpreter steps (statements executed, loop iterations, block
    /// ends, summed over every lane) than its limit allowed ([`super::run_limited`]).
    #[error("kernel {kernel}: stopped after {limit} interpreter steps, the limit of this run")]
    StepLimit { kernel: String, limit: u64 },
    /// A kernel breaking a rule the builder guarantees; only a bug in egpu can cause it.
    /// (The command adds the `internal error: ` prefix; the message does not repeat it.)
    #[error("kernel {kernel}: broken invariant: {message}")]
    Internal { kernel: String, message: String },
}

impl KernelError {
    /// Whether the failure comes from the values the kernel was given (an integer division
    /// by zero in the user's data) rather than from the kernel itself: a correct compiler
    /// can produce every other error only through a bug.
    pub fn caused_by_data(&self) -> bool {
        matches!(self, KernelError::DivisionByZero { .. })
    }
}

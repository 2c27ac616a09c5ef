//! The reference interpreter: evaluates any graph on the CPU in plain, obviously-correct code.
//!
//! Every value is held exactly: ints of every width as `i128`, floats of every width as the
//! `f64` they equal. Each float operation is computed in f64 on the exact operands and rounded
//! once to the node's dtype ([`crate::round_float`]); each integer operation is computed in
//! `i128` and wrapped to the node's dtype ([`crate::wrap_int`]). Reductions accumulate floats
//! in f64 and round once at the end. Nodes are evaluated in graph order and every node's
//! tensor is kept, so the code stays simple rather than fast.
//!
//! - [`evaluate`]: runs a graph on named input tensors.
//! - [`evaluate_with_bounds`]: the same values, each element with a bound on how far a
//!   correct kernel may be from it (running error bound + [`crate::precision`]), and
//!   [`compare`], the one comparison of a backend's result with that reference.
//! - [`Tensor`], [`Data`]: dense row-major values with their dtype and shape.
//! - [`random_inputs`], [`random_tensor`]: deterministic seeded inputs for tests.

mod bounds;
mod compare;
pub(crate) mod elementwise;
mod error;
mod eval;
mod index;
mod movement;
mod random;
mod reduce;
mod tensor;

pub use bounds::{Reference, evaluate_with_bounds};
pub use compare::{Mismatch, compare};
pub use error::EvalError;
pub use eval::{check_limits, evaluate};
pub use random::{SplitMix64, random_input, random_inputs, random_tensor};
pub use tensor::{Data, ELEMENT_LIMIT, Tensor};

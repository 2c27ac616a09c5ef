//! Test support for the warp-cooperative lowerings (`subgroup.rs`, `matrix.rs`): nothing here
//! runs on a GPU. [`sink`] records what a lowering writes and wraps it in a kernel, [`ptxas`]
//! assembles that kernel with NVIDIA's assembler (the oracle for "is it valid PTX" and "did it
//! become HMMA / LDSM / SHFL"), [`warp`] executes the recorded instructions on 32 simulated
//! lanes, using [`isa`]: `ldmatrix` and `mma.m16n8k16` modelled from the PTX ISA's own layout
//! formulas (the oracle for "does the lane/register/address choreography compute A·B").

pub(super) mod isa;
pub(super) mod ptxas;
pub(super) mod rng;
pub(super) mod sink;
pub(super) mod warp;

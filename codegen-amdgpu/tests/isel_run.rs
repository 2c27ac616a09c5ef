//! Kernels through the whole AMD pipeline (isel, register allocation, waitcnt, hazards),
//! run on a small wave32 simulator (`isel_run/sim.rs`), against the kernel-IR interpreter
//! (`egpu_ir::kernel::run`) as the oracle: every output buffer equal bit for bit (NaNs
//! by class). Inputs are seeded random values with NaN, ±0 and ±inf mixed into float
//! buffers, so that max/min and compares meet them.

#[path = "isel_run/inputs.rs"]
mod inputs;
#[path = "isel_run/random.rs"]
mod random;
#[path = "isel_run/sim.rs"]
mod sim;

use egpu_codegen_amdgpu::compile_kernel;
use egpu_codegen_amdgpu::object::ArgKind;
use egpu_ir::interp::Tensor;
use egpu_ir::kernel::text;
use egpu_ir::{DType, Scalar, Shape, Target};
use inputs::inputs;

fn to_bytes(t: &Tensor) -> Vec<u8> {
    let size = t.dtype.size_bytes();
    let mut out = Vec::with_capacity(t.numel() * size);
    for s in t.scalars() {
        let bits = s.to_bits(t.dtype);
        out.extend_from_slice(&bits.to_le_bytes()[..size]);
    }
    out
}

fn from_bytes(dtype: DType, bytes: &[u8]) -> Tensor {
    let size = dtype.size_bytes();
    let values: Vec<Scalar> = bytes
        .chunks(size)
        .map(|c| {
            let mut b = [0u8; 8];
            b[..size].copy_from_slice(c);
            Scalar::from_bits(u64::from_le_bytes(b), dtype)
        })
        .collect();
    let n = values.len();
    Tensor::from_scalars(dtype, Shape::new(vec![n]).expect("shape"), values).expect("tensor")
}

/// Runs `src` with `scalars` on both; panics with the first differing element.
fn check(src: &str, scalars: &[i64]) {
    let k = text::parse(src).unwrap_or_else(|e| panic!("{e}"));
    let target = Target::by_name("gfx1100").expect("target");
    let compiled = compile_kernel(&k, &target).unwrap_or_else(|e| panic!("{e}"));
    for seed in 0..3 {
        let mut expected = inputs(&k, seed);
        let start = expected.clone();
        egpu_ir::kernel::run(&k, &mut expected, scalars).unwrap_or_else(|e| panic!("{e}"));
        let mut regions = Vec::new();
        let mut kernarg = vec![0u8; compiled.info.kernarg_size.max(4) as usize];
        let (mut nb, mut ns) = (0, 0);
        for a in &compiled.info.args {
            let at = a.offset as usize;
            match a.kind {
                ArgKind::GlobalBuffer(_) => {
                    let base = 0x1_0000_0000u64 * (nb as u64 + 1);
                    kernarg[at..at + 8].copy_from_slice(&base.to_le_bytes());
                    regions.push((base, to_bytes(&start[nb])));
                    nb += 1;
                }
                ArgKind::ByValue => {
                    let v = scalars[ns];
                    kernarg[at..at + a.size as usize]
                        .copy_from_slice(&v.to_le_bytes()[..a.size as usize]);
                    ns += 1;
                }
            }
        }
        regions.push((sim::KERNARG, kernarg));
        let mut mem = sim::Mem { regions };
        sim::run(&compiled, k.launch(), &mut mem)
            .unwrap_or_else(|e| panic!("{}: {e}\n{}", k.name(), compiled.asm(true)));
        for (i, want) in expected.iter().enumerate() {
            let got = from_bytes(want.dtype, &mem.regions[i].1);
            if !got.same(want) {
                let at = (0..want.numel())
                    .find(|&j| !Scalar::same(&got.get(j), &want.get(j)))
                    .unwrap_or(0);
                panic!(
                    "{} (seed {seed}, scalars {scalars:?}): buffer {i} element {at}: got {}, want {}\n{src}\n{}",
                    k.name(),
                    got.get(at),
                    want.get(at),
                    compiled.asm(true)
                );
            }
        }
    }
}

#[test]
fn add_loop() {
    check(
        "kernel k0_add(a: global f32[4096] read, b: global f32[4096] read, y: global f32[4096] write)
  grid [4, 1, 1] workgroup [256, 1, 1] subgroup 32
{
  v0: i32 = workgroup_id.x
  v1: i32 = local_id.x
  v2: i32 = const 1024
  v3: i32 = mul v0, v2
  v4: i32 = const 0
  for v5: i32 in v4..v2 step 256 {
    v6: i32 = add v3, v5
    v7: i32 = add v6, v1
    v8: f32 = load a[v7]
    v9: f32 = load b[v7]
    v10: f32 = add v8, v9
    store y[v7] = v10
  }
}
",
        &[],
    );
}

macro_rules! run_tests {
    ($($name:ident: $file:literal, $scalars:expr;)*) => {
        $(
            #[test]
            fn $name() {
                for s in $scalars {
                    check(include_str!(concat!("data/isel/", $file)), s);
                }
            }
        )*
    };
}

run_tests! {
    add_file: "add.kir", [&[] as &[i64]];
    per_lane_if: "per_lane_if.kir", [&[] as &[i64]];
    uniform_if: "uniform_if.kir", [&[1i64] as &[i64], &[0], &[-7], &[2]];
    per_lane_loop: "per_lane_loop.kir", [&[] as &[i64]];
    wide_loop: "wide_loop.kir", [&[100i64] as &[i64], &[0], &[-3], &[1000]];
    masks: "masks.kir", [&[] as &[i64]];
    wide_vectors: "wide_vectors.kir", [&[] as &[i64]];
    int_ops: "int_ops.kir", [&[5i64] as &[i64], &[-1], &[33]];
    float_ops: "float_ops.kir", [&[] as &[i64]];
    nested: "nested.kir", [&[] as &[i64]];
    scopes: "scopes.kir", [&[] as &[i64]];
    ploop: "ploop.kir", [&[200i64] as &[i64], &[-5], &[0], &[992]];
    sload: "sload.kir", [&[7i64] as &[i64], &[0], &[255]];
    lid: "lid.kir", [&[] as &[i64]];
    one: "one.kir", [&[] as &[i64]];
    minmax: "minmax.kir", [&[] as &[i64]];
}

/// Random kernels over the core families (control flow nested three deep, accumulators,
/// masks), each with a few values of its loop-bound parameter.
#[test]
fn random_kernels() {
    let count: u64 = std::env::var("ISEL_RANDOM")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(40);
    for seed in 0..count {
        let src = random::kernel(seed);
        for n in [5i64, 0, 12] {
            check(&src, &[n, 3 * n + 1]);
        }
    }
}

/// The generator reaches what it is meant to: loops, ifs with and without else, masked
/// stores, per-lane loop starts, nesting.
#[test]
fn random_kernels_cover_control_flow() {
    let all: Vec<String> = (0..60).map(random::kernel).collect();
    for needle in [
        "for ",
        "if ",
        "} else {",
        " mask ",
        "and i, c7",
        "    for ",
        "      if ",
    ] {
        assert!(
            all.iter().any(|k| k.contains(needle)),
            "no kernel has {needle:?}"
        );
    }
    if std::env::var_os("ISEL_SHOW").is_some() {
        eprintln!("{}", all[3]);
    }
}

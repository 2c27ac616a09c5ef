//! The edge-value kernels of `tests/data/kir/` (written by `gen.py` there) for the
//! integer/conversion isel family: every 8/16/64-bit op, idiv/mod on every integer dtype,
//! and cast/bitcast between every pair of dtypes. Here they parse, verify and run on the
//! kernel-IR interpreter with the inputs of [`inputs`] (MIN, MAX, −1, 0, NaN, ±inf, ±0,
//! subnormals, 2^24+1, 2^53+1, …); once the AMD pipeline and the emulator can run a
//! kernel, the same inputs go through both and every output must match the interpreter's.

use egpu_ir::interp::Tensor;
use egpu_ir::kernel::{Access, Kernel, Param, run};
use egpu_ir::{DType, Scalar, Shape};
use std::path::PathBuf;

fn kir_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/kir")
}

/// Every kernel file, parsed.
fn kernels() -> Vec<(String, Kernel)> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(kir_dir())
        .expect("tests/data/kir")
        .map(|e| e.expect("dir entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "kir"))
        .collect();
    files.sort();
    files
        .into_iter()
        .map(|p| {
            let text = std::fs::read_to_string(&p).expect("read kir");
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            let k = egpu_ir::kernel::text::parse(&text).unwrap_or_else(|e| panic!("{name}: {e}"));
            (name, k)
        })
        .collect()
}

fn float_edges() -> Vec<f64> {
    let p = |e: i32| 2f64.powi(e);
    vec![
        0.0,
        -0.0,
        1.0,
        -1.0,
        0.5,
        -0.5,
        1.5,
        2.5,
        -2.5,
        f64::NAN,
        f64::INFINITY,
        f64::NEG_INFINITY,
        f64::MAX,
        f64::MIN_POSITIVE,
        5e-324,
        1e-40,
        1e-45,
        p(-24),
        p(-25),
        p(24) + 1.0,
        p(53) + 1.0,
        65504.0,
        65520.0,
        1e38,
        3.3963e38,
        127.5,
        -128.5,
        255.5,
        32767.5,
        -32768.9,
        65535.9,
        p(31),
        -p(31) - 1.0,
        p(32),
        p(63),
        -p(63),
        p(64),
        p(64) - 2048.0,
        1e30,
        -1e30,
        1.0 + p(-24),
        1.0 + p(-11) + p(-40),
        1.0 + p(-8),
        0.1,
        -0.3,
    ]
}

fn int_edges(dt: DType) -> Vec<i128> {
    let (lo, hi) = dt.int_range().expect("integer dtype");
    let mut v = vec![
        0,
        1,
        -1,
        2,
        3,
        7,
        -7,
        lo,
        hi,
        lo + 1,
        hi - 1,
        100,
        -100,
        hi / 2,
    ];
    v.extend([
        (1i128 << 24) + 1,
        (1 << 53) + 1,
        (1 << 62) + (1 << 38) + 1,
        2049,
        65519,
    ]);
    v.into_iter().map(|x| egpu_ir::wrap_int(x, dt)).collect()
}

/// 64 input values of `dt`: the edges, then a deterministic mix. A divisor (`nonzero`)
/// has its zeros replaced by −1, which also pairs MIN with −1.
fn values(dt: DType, nonzero: bool, salt: u64) -> Vec<Scalar> {
    let edges: Vec<Scalar> = match dt {
        DType::Bool => vec![Scalar::Bool(false), Scalar::Bool(true)],
        d if d.is_float() => float_edges()
            .into_iter()
            .map(|f| Scalar::Float(f).cast(d))
            .collect(),
        d => int_edges(d).into_iter().map(Scalar::Int).collect(),
    };
    let mut x = 0x9e37_79b9_7f4a_7c15u64 ^ salt;
    (0..64)
        .map(|i| {
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let s = if i < edges.len() {
                edges[i]
            } else {
                edges[(x >> 33) as usize % edges.len()]
            };
            match s {
                Scalar::Int(0) if nonzero => Scalar::Int(-1).cast(dt),
                s => s,
            }
        })
        .collect()
}

/// The buffers of a kernel: read buffers filled with edge values, written ones zeroed.
pub fn inputs(kernel: &Kernel) -> Vec<Tensor> {
    let divides = kernel.name().starts_with("div_");
    kernel
        .params()
        .filter_map(|(_, p)| match p {
            Param::Buffer {
                name,
                dtype,
                len,
                access,
            } => {
                let vals = match access {
                    Access::Read => values(*dtype, divides && name == "b", name.len() as u64),
                    _ => vec![Scalar::zero(*dtype); *len],
                };
                let shape = Shape::new(vec![*len]).expect("shape");
                Some(Tensor::from_scalars(*dtype, shape, vals).expect("tensor"))
            }
            Param::Scalar { .. } => None,
        })
        .collect()
}

#[test]
fn edge_value_kernels_run_on_the_interpreter() {
    let ks = kernels();
    // 6 integer-op kernels, 8 division kernels, 13 cast kernels.
    assert_eq!(ks.len(), 27, "tests/data/kir: rerun gen.py");
    for (name, k) in ks {
        egpu_ir::kernel::verify(&k, Some(&egpu_ir::Target::GFX1100))
            .unwrap_or_else(|e| panic!("{name}: {e:?}"));
        let mut bufs = inputs(&k);
        run(&k, &mut bufs, &[]).unwrap_or_else(|e| panic!("{name}: {e}"));
    }
}

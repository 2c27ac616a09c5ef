//! The edge-value kernels of the integer/conversion isel family
//! (`codegen-amdgpu/tests/data/kir-int/`, written by `gen.py` there): every 8/16/64-bit
//! op, idiv/mod on every integer dtype, and cast/bitcast between every pair of dtypes,
//! over MIN, MAX, −1, 0, NaN, ±inf, ±0, subnormals, 2^24+1, 2^53+1, rounding ties, … .
//! Each kernel goes through the AMD pipeline into a code object, runs on the `emu`
//! device, and every output element must be the kernel-IR interpreter's (bit for bit;
//! any NaN for a NaN).

use egpu_ir::interp::Tensor;
use egpu_ir::kernel::{Access, Kernel, Param, Program, run};
use egpu_ir::{DType, Scalar, Shape, Target};
use egpu_runtime::bytes::{from_bytes, to_bytes};
use egpu_runtime::{Arg, Binary, Device, EmuDevice};
use std::path::PathBuf;

fn kir_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../codegen-amdgpu/tests/data/kir-int")
}

/// Every kernel file, parsed.
fn kernels() -> Vec<(String, Kernel)> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(kir_dir())
        .expect("codegen-amdgpu/tests/data/kir-int")
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

/// `len` input values of `dt` so that the first operand (`second` false) and the second
/// one (`second` true) of a lane meet in every combination of edge values, row by row:
/// element i is edge i mod n, resp. edge ⌊i / n⌋ mod n. The edges include a few
/// deterministic random values. A divisor (`nonzero`) has its zeros replaced by −1
/// (so MIN / −1 is among the pairs).
fn values(dt: DType, len: usize, nonzero: bool, second: bool) -> Vec<Scalar> {
    let mut edges: Vec<Scalar> = match dt {
        DType::Bool => vec![Scalar::Bool(false), Scalar::Bool(true)],
        d if d.is_float() => float_edges()
            .into_iter()
            .map(|f| Scalar::Float(f).cast(d))
            .collect(),
        d => int_edges(d).into_iter().map(Scalar::Int).collect(),
    };
    let mut x = 0x9e37_79b9_7f4a_7c15u64;
    for _ in 0..6 {
        x = x
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let r = x >> (x % 64);
        edges.push(match dt {
            DType::Bool => Scalar::Bool(r & 1 == 1),
            d if d.is_float() => Scalar::Float(f64::from_bits(r)).cast(d),
            d => Scalar::Int(egpu_ir::wrap_int(i128::from(r), d)),
        });
    }
    let n = edges.len();
    (0..len)
        .map(|i| {
            let k = if second { (i / n) % n } else { i % n };
            match edges[k] {
                Scalar::Int(0) if nonzero => Scalar::Int(-1).cast(dt),
                s => s,
            }
        })
        .collect()
}

/// The buffers of a kernel: read buffers filled with edge values, written ones zeroed.
fn inputs(kernel: &Kernel) -> Vec<Tensor> {
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
                    Access::Read => values(*dtype, *len, divides && name == "b", name == "b"),
                    _ => vec![Scalar::zero(*dtype); *len],
                };
                let shape = Shape::new(vec![*len]).expect("shape");
                Some(Tensor::from_scalars(*dtype, shape, vals).expect("tensor"))
            }
            Param::Scalar { .. } => None,
        })
        .collect()
}

/// Equal as values of `dt`: the same bits, or both NaN.
fn same(dt: DType, a: Scalar, b: Scalar) -> bool {
    match (a, b) {
        (Scalar::Float(x), Scalar::Float(y)) if x.is_nan() || y.is_nan() => {
            x.is_nan() && y.is_nan()
        }
        _ => a.to_bits(dt) == b.to_bits(dt),
    }
}

/// Compiles `k` alone into a code object, runs it on the emulator with `init`, and gives
/// the buffers afterwards.
fn on_the_emulator(k: &Kernel, init: &[Tensor]) -> Result<Vec<Tensor>, String> {
    let program = Program {
        name: k.name().to_string(),
        buffers: Vec::new(),
        kernels: vec![k.clone()],
        launches: Vec::new(),
        outputs: Vec::new(),
    };
    let (object, _) = egpu_codegen_amdgpu::compile_program(&program, &Target::GFX1100)
        .map_err(|e| format!("compile: {e}"))?;
    let mut dev = EmuDevice::new();
    let handle = dev
        .load(&Binary::CodeObject(object), k.name())
        .map_err(|e| format!("load: {e}"))?;
    let mut ids = Vec::new();
    for t in init {
        let bytes = to_bytes(t);
        let id = dev.alloc(bytes.len()).map_err(|e| e.to_string())?;
        dev.upload(id, &bytes).map_err(|e| e.to_string())?;
        ids.push((id, bytes.len()));
    }
    let args: Vec<Arg> = ids.iter().map(|&(id, _)| Arg::Buffer(id)).collect();
    dev.launch(handle, k.launch(), &args)
        .map_err(|e| format!("launch: {e}"))?;
    ids.iter()
        .zip(init)
        .map(|(&(id, len), t)| {
            let mut bytes = vec![0; len];
            dev.download(id, &mut bytes).map_err(|e| e.to_string())?;
            from_bytes(t.dtype, t.shape.clone(), &bytes).map_err(|e| e.to_string())
        })
        .collect()
}

/// The first few elements where `got` differs from `want`, named.
fn mismatches(k: &Kernel, init: &[Tensor], got: &[Tensor], want: &[Tensor]) -> Vec<String> {
    let mut out = Vec::new();
    let names: Vec<String> = k.params().map(|(_, p)| p.name().to_string()).collect();
    for (b, (g, w)) in got.iter().zip(want).enumerate() {
        for i in 0..w.numel() {
            let (gi, wi) = (g.get(i), w.get(i));
            if !same(w.dtype, gi, wi) && out.len() < 8 {
                let x: Vec<String> = init
                    .iter()
                    .filter(|t| t.numel() == 256)
                    .map(|t| t.get(i % 256).to_string())
                    .collect();
                let what = format!("{}[{i}] ({})", names[b], w.dtype);
                out.push(format!("{what}: got {gi}, want {wi}; inputs {x:?}"));
            }
        }
    }
    out
}

#[test]
fn edge_value_kernels_match_the_interpreter_on_the_emulator() {
    let ks = kernels();
    // 6 integer-op kernels, 8 division kernels, 13 cast kernels.
    assert_eq!(
        ks.len(),
        27,
        "codegen-amdgpu/tests/data/kir-int: rerun gen.py"
    );
    let mut failures = Vec::new();
    for (name, k) in ks {
        egpu_ir::kernel::verify(&k, Some(&Target::GFX1100))
            .unwrap_or_else(|e| panic!("{name}: {e:?}"));
        let init = inputs(&k);
        let mut want = init.clone();
        run(&k, &mut want, &[]).unwrap_or_else(|e| panic!("{name}: {e}"));
        match on_the_emulator(&k, &init) {
            Ok(got) => {
                let bad = mismatches(&k, &init, &got, &want);
                failures.extend(bad.into_iter().map(|m| format!("{name}: {m}")));
            }
            Err(e) => failures.push(format!("{name}: {e}")),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

//! The kernel-IR test kernels of the AMD backend (`codegen-amdgpu/tests/data/kir/*.kir`:
//! every integer and float op per dtype, casts, division, LDS round trips, atomics,
//! subgroup reductions, WMMA tiles) compiled to gfx1100 code objects and run on the strict
//! `emu` device next to the `cpu` device (the kernel-IR interpreter) on the same input
//! bytes. Integer and bool outputs must be identical; floats agree to 2^-16 (f32; f16
//! 2^-8, bf16 2^-5, f64 2^-40) relative to max(|want|, 1): the AMD precision model allows
//! approximate transcendental sequences, and WMMA and atomics sum in another order. A
//! kernel the backend cannot compile, or one the interpreter rejects on these inputs
//! (division by zero), is reported and skipped.

use egpu_codegen_amdgpu::compile_kernel;
use egpu_codegen_amdgpu::object::CodeObject;
use egpu_ir::kernel::text::parse_all;
use egpu_ir::kernel::{Kernel, Param};
use egpu_ir::{DType, Target};
use egpu_runtime::{Arg, Binary, CpuDevice, Device, EmuDevice};
use half::{bf16, f16};
use std::path::Path;

/// Deterministic bytes for `len` elements of `dt`: floats in [-4, 4), integers anywhere.
fn input(dt: DType, len: usize, seed: u64) -> Vec<u8> {
    let mut x = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
    let mut next = || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    let mut out = Vec::new();
    for _ in 0..len {
        let r = next();
        let f = (r >> 11) as f64 / (1u64 << 53) as f64 * 8.0 - 4.0;
        match dt {
            DType::F16 => out.extend(f16::from_f64(f).to_le_bytes()),
            DType::BF16 => out.extend(bf16::from_f64(f).to_le_bytes()),
            DType::F32 => out.extend((f as f32).to_le_bytes()),
            DType::F64 => out.extend(f.to_le_bytes()),
            DType::Bool => out.push((r & 1) as u8),
            // 16-bit integers that kernels bitcast to f16 are kept off the signaling-NaN
            // patterns: the kernel-IR interpreter holds an f16 as an f64 and quiets such a
            // NaN (0x7d09 becomes 0x7f09) where a bitcast, load or store must move bits
            // unchanged, as the emulator and hardware do (a known interpreter limitation).
            DType::I16 | DType::U16 => out.extend(quiet_f16_bits(r as u16).to_le_bytes()),
            _ => out.extend(&r.to_le_bytes()[..dt.size_bytes()]),
        }
    }
    out
}

/// `bits` with the quiet bit set when it is an f16 signaling NaN.
fn quiet_f16_bits(bits: u16) -> u16 {
    let nan = bits & 0x7c00 == 0x7c00 && bits & 0x03ff != 0;
    if nan { bits | 0x0200 } else { bits }
}

/// Element `i` of a float buffer as f64.
fn float_at(dt: DType, b: &[u8], i: usize) -> f64 {
    match dt {
        DType::F16 => f16::from_le_bytes([b[2 * i], b[2 * i + 1]]).to_f64(),
        DType::BF16 => bf16::from_le_bytes([b[2 * i], b[2 * i + 1]]).to_f64(),
        DType::F32 => f64::from(f32::from_le_bytes(
            b[4 * i..4 * i + 4].try_into().unwrap_or([0; 4]),
        )),
        _ => f64::from_le_bytes(b[8 * i..8 * i + 8].try_into().unwrap_or([0; 8])),
    }
}

/// Whether `got` is close to `want` (see the module doc).
fn close(dt: DType, want: f64, got: f64) -> bool {
    if want.is_nan() || got.is_nan() {
        return want.is_nan() && got.is_nan();
    }
    if want.is_infinite() || got.is_infinite() {
        return want == got;
    }
    let tol = match dt {
        DType::F16 => 2f64.powi(-8),
        DType::BF16 => 2f64.powi(-5),
        DType::F32 => 2f64.powi(-16),
        _ => 2f64.powi(-40),
    };
    (want - got).abs() <= tol * want.abs().max(1.0)
}

/// Runs `kernel` on `dev` from `binary` with `inputs`; returns every buffer afterwards.
fn run(
    dev: &mut dyn Device,
    binary: &Binary,
    k: &Kernel,
    inputs: &[Vec<u8>],
) -> Result<Vec<Vec<u8>>, String> {
    let handle = dev.load(binary, k.name()).map_err(|e| e.to_string())?;
    let mut bufs = Vec::new();
    for bytes in inputs {
        let b = dev.alloc(bytes.len()).map_err(|e| e.to_string())?;
        dev.upload(b, bytes).map_err(|e| e.to_string())?;
        bufs.push(b);
    }
    let args: Vec<Arg> = bufs.iter().map(|&b| Arg::Buffer(b)).collect();
    dev.launch(handle, k.launch(), &args)
        .map_err(|e| e.to_string())?;
    let mut out = Vec::new();
    for (b, bytes) in bufs.iter().zip(inputs) {
        let mut back = vec![0; bytes.len()];
        dev.download(*b, &mut back).map_err(|e| e.to_string())?;
        out.push(back);
    }
    Ok(out)
}

/// Compares one kernel on both devices; `Ok(None)`: skipped, with why.
fn check(k: &Kernel) -> Result<Option<String>, String> {
    let k = k.clone();
    let compiled = match compile_kernel(&k, &Target::GFX1100) {
        Ok(c) => c,
        Err(e) => return Err(format!("does not compile: {e}")),
    };
    let code = CodeObject::write(&[compiled.code()]).map_err(|e| e.to_string())?;
    let mut inputs = Vec::new();
    let mut dtypes = Vec::new();
    for (i, (_, p)) in k.params().enumerate() {
        let Param::Buffer { dtype, len, .. } = p else {
            return Ok(Some("has a scalar parameter".into()));
        };
        inputs.push(input(*dtype, *len, i as u64 + 1));
        dtypes.push(*dtype);
    }
    let want = match run(&mut CpuDevice::new(), &Binary::Kir(k.clone()), &k, &inputs) {
        Ok(w) => w,
        Err(e) => return Ok(Some(format!("the interpreter rejects these inputs: {e}"))),
    };
    let got = run(
        &mut EmuDevice::new(),
        &Binary::CodeObject(code),
        &k,
        &inputs,
    )?;
    for (((dt, w), g), (_, p)) in dtypes.iter().zip(&want).zip(&got).zip(k.params()) {
        if !dt.is_float() {
            if w != g {
                let at = w.iter().zip(g).position(|(a, b)| a != b).unwrap_or(0) / dt.size_bytes();
                return Err(format!("{}: element {at} differs", p.name()));
            }
            continue;
        }
        for i in 0..w.len() / dt.size_bytes() {
            let (a, b) = (float_at(*dt, w, i), float_at(*dt, g, i));
            if !close(*dt, a, b) {
                return Err(format!(
                    "{}[{i}]: {b} on the emulator, {a} in the interpreter",
                    p.name()
                ));
            }
        }
    }
    Ok(None)
}

#[test]
fn backend_test_kernels_match_the_interpreter_on_the_emulator() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../codegen-amdgpu/tests/data/kir");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{dir:?}: {e}"))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "kir"))
        .collect();
    files.sort();
    let (mut ran, mut failures) = (0, Vec::new());
    for path in files {
        let name = path
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or("?")
            .to_string();
        let text = std::fs::read_to_string(&path).unwrap_or_default();
        let kernels = parse_all(&text).unwrap_or_else(|e| panic!("{}", e.render(&name, &text)));
        for k in &kernels {
            let name = format!("{name}/{}", k.name());
            match check(k) {
                Ok(None) => ran += 1,
                Ok(Some(why)) => println!("skipped {name}: {why}"),
                Err(e) => failures.push(format!("{name}: {e}")),
            }
        }
    }
    println!("{ran} kernels matched");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

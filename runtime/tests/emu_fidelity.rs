//! Fidelity of the `emu` device: OpenCL C kernels compiled by clang-19 for gfx1100 run on
//! the emulator and must match results computed here on the CPU (the oracle is plain
//! Rust arithmetic, never the emulator). Without clang-19/ld.lld-19 the tests skip.

mod emu;

use egpu_runtime::EmuDevice;
use egpu_runtime::ir::kernel::Launch;
use emu::*;
use half::f16;

const KERNELS: &str = r#"
#pragma OPENCL EXTENSION cl_khr_fp16 : enable
#define LID __builtin_amdgcn_workitem_id_x()
#define GID (__builtin_amdgcn_workgroup_id_x() * 64u + LID)
#define BAR() do { __builtin_amdgcn_fence(__ATOMIC_RELEASE, "workgroup"); \
  __builtin_amdgcn_s_barrier(); __builtin_amdgcn_fence(__ATOMIC_ACQUIRE, "workgroup"); } while (0)

kernel void vadd(global const float *a, global const float *b, global float *c, uint n) {
  uint i = GID; if (i < n) c[i] = a[i] + b[i];
}
kernel void saxpy_h(global const half *x, global half *y, float alpha, uint n) {
  uint i = GID; if (i < n) y[i] = (half)alpha * x[i] + y[i];
}
kernel void reduce(global const float *x, global float *out) {
  local float s[64];
  uint t = LID;
  s[t] = x[GID];
  BAR();
  for (uint w = 32; w > 0; w >>= 1) { if (t < w) s[t] += s[t + w]; BAR(); }
  if (t == 0) out[__builtin_amdgcn_workgroup_id_x()] = s[0];
}
kernel void scan(global const int *x, global int *out) {
  local int s[64];
  uint t = LID;
  s[t] = x[GID];
  BAR();
  for (uint d = 1; d < 64; d <<= 1) { int v = t >= d ? s[t - d] : 0; BAR(); s[t] += v; BAR(); }
  out[GID] = s[t];
}
kernel void matmul(global const float *a, global const float *b, global float *c, uint n) {
  local float ta[8][8]; local float tb[8][8];
  uint tx = LID % 8, ty = LID / 8;
  uint bx = __builtin_amdgcn_workgroup_id_x(), by = __builtin_amdgcn_workgroup_id_y();
  uint row = by * 8 + ty, col = bx * 8 + tx; float acc = 0.0f;
  for (uint k0 = 0; k0 < n; k0 += 8) {
    ta[ty][tx] = a[row * n + k0 + tx]; tb[ty][tx] = b[(k0 + ty) * n + col]; BAR();
    for (uint k = 0; k < 8; k++) acc += ta[ty][k] * tb[k][tx];
    BAR();
  }
  c[row * n + col] = acc;
}
kernel void transc(global const float *x, global float *out) {
  uint i = GID; float v = x[i];
  out[4*i] = __builtin_expf(v); out[4*i+1] = __builtin_logf(v);
  out[4*i+2] = __builtin_sqrtf(v); out[4*i+3] = __builtin_sinf(v);
}
kernel void idiv(global const int *a, global const int *b, global int *q, global uint *r) {
  uint i = GID; q[i] = a[i] / b[i]; r[i] = (uint)a[i] % (uint)b[i];
}
kernel void diverge(global const int *x, global int *out) {
  uint i = GID; int v = x[i]; int acc = 0;
  if (v & 1) { for (int k = 0; k < (v & 15); k++) acc += k * v; }
  else { while (v > 1) { v = v / 2; acc++; } }
  out[i] = acc;
}
"#;

fn code() -> Option<Vec<u8>> {
    tools().then(|| opencl(KERNELS))
}

/// A deterministic pseudo-random sequence (xorshift), so inputs need no crate.
fn rand(seed: u32, n: usize) -> Vec<u32> {
    let mut x = seed.max(1);
    (0..n)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            x
        })
        .collect()
}

fn unit(seed: u32, n: usize) -> Vec<f32> {
    rand(seed, n)
        .iter()
        .map(|&r| (r >> 8) as f32 / (1 << 24) as f32 * 2.0 - 1.0)
        .collect()
}

fn ulps(a: f32, b: f32) -> u32 {
    (a.to_bits() as i64 - b.to_bits() as i64).unsigned_abs() as u32
}

#[test]
fn vector_add_matches() {
    let Some(code) = code() else { return };
    let n = 200usize; // not a multiple of 64: the last group has idle lanes
    let (a, b) = (unit(1, 256), unit(2, 256));
    let out = launch(
        &code,
        "vadd",
        Launch::linear(4, 64),
        vec![
            A::Buf(f32s(&a)),
            A::Buf(f32s(&b)),
            A::Buf(f32s(&[-7.0; 256])),
            A::I32(n as i32),
        ],
    )
    .unwrap();
    let c = to_f32s(&out[2]);
    for i in 0..256 {
        let want = if i < n { a[i] + b[i] } else { -7.0 };
        assert_eq!(c[i].to_bits(), want.to_bits(), "c[{i}]");
    }
}

/// clang-19's normal gfx1100 code pairs VALU ops into VOPD; these kernels hold some, so
/// the tests here run them (decoded by the ISA layer, which tests/random.rs checks
/// against llvm-mc-19's disassembler).
#[test]
fn clang_code_holds_vopd() {
    let Some(code) = code() else { return };
    let mut per_kernel = Vec::new();
    for k in [
        "vadd", "saxpy_h", "reduce", "scan", "matmul", "transc", "idiv", "diverge",
    ] {
        let program = egpu_runtime::emu::loader::load(&code, k).unwrap();
        let duals: Vec<_> = program
            .ins
            .iter()
            .filter(|i| matches!(i.inst, egpu_codegen_amdgpu::isa::Inst::Vopd { .. }))
            .collect();
        for d in &duals {
            // Every pair clang makes keeps the pairing rules, so the emulator runs it.
            assert!(
                !matches!(d.exec, egpu_runtime::emu::loader::Exec::Bad(_)),
                "{k}: pc {:#x} {:?}",
                d.pc,
                d.exec
            );
        }
        per_kernel.push((k, duals.len()));
    }
    let total: usize = per_kernel.iter().map(|p| p.1).sum();
    // The tiled matmul (checked against the CPU below) is one of them.
    let matmul = per_kernel
        .iter()
        .find(|p| p.0 == "matmul")
        .map_or(0, |p| p.1);
    assert!(total >= 3 && matmul >= 1, "VOPD per kernel: {per_kernel:?}");
}

#[test]
fn arguments_are_checked_against_the_metadata() {
    let Some(code) = code() else { return };
    let three = vec![
        A::Buf(vec![0; 16]),
        A::Buf(vec![0; 16]),
        A::Buf(vec![0; 16]),
    ];
    let err = launch(&code, "vadd", Launch::linear(1, 64), three)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("kernel 'vadd': 4 parameters, 3 arguments"),
        "{err}"
    );
    let swapped = vec![
        A::Buf(vec![0; 16]),
        A::I32(1),
        A::Buf(vec![0; 16]),
        A::I32(1),
    ];
    let err = launch(&code, "vadd", Launch::linear(1, 64), swapped)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("parameter 1 (Buffer, 8 bytes) given I32(1)"),
        "{err}"
    );
}

#[test]
fn half_saxpy_matches() {
    let Some(code) = code() else { return };
    let x: Vec<f16> = unit(3, 128)
        .iter()
        .map(|&v| f16::from_f32(v * 4.0))
        .collect();
    let y: Vec<f16> = unit(4, 128).iter().map(|&v| f16::from_f32(v)).collect();
    let bytes = |v: &[f16]| -> Vec<u8> { v.iter().flat_map(|h| h.to_le_bytes()).collect() };
    let alpha = 1.5f32;
    let mut args = vec![A::Buf(bytes(&x)), A::Buf(bytes(&y))];
    args.push(A::I32(alpha.to_bits() as i32));
    args.push(A::I32(128));
    let out = launch(&code, "saxpy_h", Launch::linear(2, 64), args).unwrap();
    for i in 0..128 {
        let got = f16::from_le_bytes([out[1][2 * i], out[1][2 * i + 1]]);
        // (half)alpha * x + y with one rounding (clang contracts it into an f16 fma).
        let exact = f64::from(alpha) * f64::from(x[i].to_f32()) + f64::from(y[i].to_f32());
        let want = f16::from_f64(exact);
        assert_eq!(got.to_bits(), want.to_bits(), "y[{i}]: {got} vs {want}");
    }
}

#[test]
fn lds_reduction_with_barriers_matches() {
    let Some(code) = code() else { return };
    let x: Vec<f32> = rand(5, 256).iter().map(|&r| (r % 1000) as f32).collect();
    let out = launch(
        &code,
        "reduce",
        Launch::linear(4, 64),
        vec![A::Buf(f32s(&x)), A::Buf(f32s(&[0.0; 4]))],
    )
    .unwrap();
    let got = to_f32s(&out[1]);
    for g in 0..4 {
        // Integers below 2^24: every order of summation is exact.
        let want: f32 = x[64 * g..64 * g + 64].iter().sum();
        assert_eq!(got[g], want, "group {g}");
    }
}

#[test]
fn prefix_scan_matches() {
    let Some(code) = code() else { return };
    let x: Vec<i32> = rand(6, 128)
        .iter()
        .map(|&r| (r % 201) as i32 - 100)
        .collect();
    let out = launch(
        &code,
        "scan",
        Launch::linear(2, 64),
        vec![A::Buf(i32s(&x)), A::Buf(i32s(&[0; 128]))],
    )
    .unwrap();
    let got = to_i32s(&out[1]);
    for g in 0..2 {
        let mut acc = 0;
        for t in 0..64 {
            acc += x[64 * g + t];
            assert_eq!(got[64 * g + t], acc, "group {g} lane {t}");
        }
    }
}

#[test]
fn tiled_matmul_matches() {
    let Some(code) = code() else { return };
    let n = 16usize;
    let a: Vec<f32> = rand(7, n * n)
        .iter()
        .map(|&r| (r % 7) as f32 - 3.0)
        .collect();
    let b: Vec<f32> = rand(8, n * n)
        .iter()
        .map(|&r| (r % 5) as f32 - 2.0)
        .collect();
    let launch_shape = Launch {
        grid: [2, 2, 1],
        workgroup: [64, 1, 1],
    };
    let args = vec![
        A::Buf(f32s(&a)),
        A::Buf(f32s(&b)),
        A::Buf(f32s(&vec![0.0; n * n])),
        A::I32(n as i32),
    ];
    let out = launch(&code, "matmul", launch_shape, args).unwrap();
    let c = to_f32s(&out[2]);
    for i in 0..n {
        for j in 0..n {
            let want: f32 = (0..n).map(|k| a[i * n + k] * b[k * n + j]).sum();
            assert_eq!(c[i * n + j], want, "c[{i}][{j}]");
        }
    }
}

#[test]
fn transcendental_builtins_match() {
    let Some(code) = code() else { return };
    let x: Vec<f32> = rand(9, 128)
        .iter()
        .map(|&r| 0.01 + (r % 10_000) as f32 / 1000.0)
        .collect();
    let out = launch(
        &code,
        "transc",
        Launch::linear(2, 64),
        vec![A::Buf(f32s(&x)), A::Buf(f32s(&[0.0; 512]))],
    )
    .unwrap();
    let got = to_f32s(&out[1]);
    for (i, &v) in x.iter().enumerate() {
        let v64 = f64::from(v);
        let exp = v64.exp() as f32;
        let log = v64.ln() as f32;
        let sqrt = v64.sqrt() as f32;
        let sin = v64.sin();
        assert!(
            ulps(got[4 * i], exp) <= 2,
            "exp({v}) = {} vs {exp}",
            got[4 * i]
        );
        assert!(
            ulps(got[4 * i + 1], log) <= 2,
            "log({v}) = {} vs {log}",
            got[4 * i + 1]
        );
        assert!(
            ulps(got[4 * i + 2], sqrt) <= 1,
            "sqrt({v}) = {} vs {sqrt}",
            got[4 * i + 2]
        );
        // v_sin_f32 takes turns: clang scales by 1/(2 pi) in f32 first, which costs
        // accuracy growing with |x| (x < 10.01 here).
        assert!(
            (f64::from(got[4 * i + 3]) - sin).abs() < 1e-5,
            "sin({v}) = {} vs {sin}",
            got[4 * i + 3]
        );
    }
}

#[test]
fn integer_division_matches() {
    let Some(code) = code() else { return };
    let r = rand(10, 256);
    let a: Vec<i32> = r[..128].iter().map(|&v| v as i32).collect();
    let b: Vec<i32> = r[128..]
        .iter()
        .enumerate()
        .map(|(i, &v)| {
            let d = (v as i32) >> (i % 31);
            if d == 0 { 3 } else { d }
        })
        .collect();
    let args = vec![
        A::Buf(i32s(&a)),
        A::Buf(i32s(&b)),
        A::Buf(i32s(&[0; 128])),
        A::Buf(i32s(&[0; 128])),
    ];
    let out = launch(&code, "idiv", Launch::linear(2, 64), args).unwrap();
    let (q, rem) = (to_i32s(&out[2]), to_i32s(&out[3]));
    for i in 0..128 {
        assert_eq!(q[i], a[i].wrapping_div(b[i]), "{} / {}", a[i], b[i]);
        assert_eq!(
            rem[i] as u32,
            a[i] as u32 % b[i] as u32,
            "{} % {}",
            a[i] as u32,
            b[i] as u32
        );
    }
}

#[test]
fn divergent_branches_and_loops_match() {
    let Some(code) = code() else { return };
    let x: Vec<i32> = rand(11, 128)
        .iter()
        .map(|&r| (r % 100_000) as i32)
        .collect();
    let out = launch(
        &code,
        "diverge",
        Launch::linear(2, 64),
        vec![A::Buf(i32s(&x)), A::Buf(i32s(&[0; 128]))],
    )
    .unwrap();
    let got = to_i32s(&out[1]);
    for i in 0..128 {
        let mut v = x[i];
        let mut acc = 0i32;
        if v & 1 == 1 {
            for k in 0..(v & 15) {
                acc = acc.wrapping_add(k * v);
            }
        } else {
            while v > 1 {
                v /= 2;
                acc += 1;
            }
        }
        assert_eq!(got[i], acc, "x = {}", x[i]);
    }
}

#[test]
fn correctly_rounded_division_matches() {
    if !tools() {
        return;
    }
    // The IEEE division sequence: v_div_scale, v_rcp, FMA refinement, v_div_fmas,
    // v_div_fixup. Operands span many binades, zeros, denormals and infinities.
    let src = "kernel void fdiv(global const float *a, global const float *b, global float *c) {
      uint i = __builtin_amdgcn_workgroup_id_x() * 64u + __builtin_amdgcn_workitem_id_x();
      c[i] = a[i] / b[i]; }";
    let code = opencl_with(src, &["-cl-fp32-correctly-rounded-divide-sqrt"]);
    let r = rand(14, 256);
    let spread = |v: u32| f32::from_bits((v & 0x807f_ffff) | (((v >> 23) % 60 + 97) << 23));
    let mut a: Vec<f32> = r[..128].iter().map(|&v| spread(v)).collect();
    let mut b: Vec<f32> = r[128..].iter().map(|&v| spread(v)).collect();
    let special = [0.0, -0.0, f32::INFINITY, f32::NAN, 1e-40, 3.0, -7.5, 1e30];
    for (k, &x) in special.iter().enumerate() {
        a[k] = x;
        b[k + 8] = x;
        a[k + 16] = 1e-40 * (k as f32 + 1.0);
    }
    // The scaled paths: huge and tiny quotients, huge denominators (denormal reciprocal).
    let p = |e: i32| 2f32.powi(e) * 1.375;
    let pairs = [
        (p(100), p(-10)),
        (p(120), p(-20)),
        (p(-120), p(20)),
        (p(-100), p(40)),
        (p(-20), p(127)),
        (p(100), p(127)),
        (p(-149), p(3)),
        (-p(110), p(-15)),
    ];
    for (k, &(x, y)) in pairs.iter().enumerate() {
        a[24 + k] = x;
        b[24 + k] = y;
    }
    let args = vec![
        A::Buf(f32s(&a)),
        A::Buf(f32s(&b)),
        A::Buf(f32s(&[0.0; 128])),
    ];
    let out = launch(&code, "fdiv", Launch::linear(2, 64), args).unwrap();
    let c = to_f32s(&out[2]);
    for i in 0..128 {
        let want = a[i] / b[i];
        let same = c[i].to_bits() == want.to_bits() || (c[i].is_nan() && want.is_nan());
        assert!(same, "{} / {} = {} (want {})", a[i], b[i], c[i], want);
    }
}

/// Wave-instructions per second on two kernels: the LDS-bound tiled matmul and the
/// ALU-bound divergent loops (release builds: `cargo test --release -p egpu-runtime
/// --test emu_fidelity -- --ignored --nocapture speed`).
#[test]
#[ignore]
fn speed() {
    use egpu_runtime::{Arg, Binary, Device};
    let Some(code) = code() else { return };
    let n = 64usize;
    let mut dev = EmuDevice::new();
    let matmul = dev
        .load(&Binary::CodeObject(code.clone()), "matmul")
        .unwrap();
    let diverge = dev.load(&Binary::CodeObject(code), "diverge").unwrap();
    let bufs: Vec<_> = (0..3).map(|_| dev.alloc(4 * n * n).unwrap()).collect();
    dev.upload(bufs[0], &f32s(&unit(12, n * n))).unwrap();
    dev.upload(bufs[1], &f32s(&unit(13, n * n))).unwrap();
    let mut args: Vec<Arg> = bufs.iter().map(|&b| Arg::Buffer(b)).collect();
    args.push(Arg::I32(n as i32));
    let shape = Launch {
        grid: [8, 8, 1],
        workgroup: [64, 1, 1],
    };
    measure("matmul", &mut dev, || (matmul, shape, args.clone()));
    let x: Vec<i32> = rand(15, n * n)
        .iter()
        .map(|&r| (r % 100_000) as i32)
        .collect();
    dev.upload(bufs[0], &i32s(&x)).unwrap();
    let args = vec![Arg::Buffer(bufs[0]), Arg::Buffer(bufs[1])];
    measure("diverge", &mut dev, || {
        (diverge, Launch::linear(64, 64), args.clone())
    });
}

type Job = (egpu_runtime::KernelHandle, Launch, Vec<egpu_runtime::Arg>);

fn measure(name: &str, dev: &mut EmuDevice, job: impl Fn() -> Job) {
    use egpu_runtime::Device;
    let before = dev.executed();
    let (start, cpu) = (std::time::Instant::now(), thread_cpu_seconds());
    for _ in 0..10 {
        let (k, shape, args) = job();
        dev.launch(k, shape, &args).unwrap();
    }
    let secs = start.elapsed().as_secs_f64();
    let n = (dev.executed() - before) as f64;
    print!(
        "{name}: {n} wave-instructions in {secs:.3} s wall: {:.1} M/s",
        n / secs / 1e6
    );
    if let (Some(a), Some(b)) = (cpu, thread_cpu_seconds()) {
        println!("; {:.3} s on the CPU: {:.1} M/s", b - a, n / (b - a) / 1e6);
    }
}

/// Seconds this thread has run on a CPU (Linux `/proc/thread-self/schedstat`), so a
/// busy machine does not distort the measurement.
fn thread_cpu_seconds() -> Option<f64> {
    let text = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    let ns: f64 = text.split_whitespace().next()?.parse().ok()?;
    Some(ns / 1e9)
}

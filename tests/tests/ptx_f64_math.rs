//! f64 `exp2`, `log2` (codegen-ptx/src/emit/f64_math.rs) and `sin` (f64_sin.rs) written as inline PTX, run on the tests'
//! PTX interpreter over 131,072 inputs and checked against Rust's own `f64::exp2` / `f64::log2` / `f64::sin` (what the
//! kernel-IR interpreter computes) within the precision model's 1 ULP, exact on integers (exp2) and powers of two (log2);
//! and assembled by ptxas for sm_80 and sm_90 with no warning.

use egpu_codegen_ptx::{PtxOptions, emit_kernel};
use egpu_ir::Target;
use egpu_ir::kernel::text;
use egpu_tests::ptx_sim::{GlobalMemory, SimArg, run};

const GROUPS: usize = 512;
const N: usize = GROUPS * 256;

/// A kernel that applies `op` to each element of an f64 buffer.
fn kernel_text(op: &str) -> String {
    format!(
        "kernel f64_{op}(x: global f64[{N}] read, y: global f64[{N}] write)\n\
         \x20 grid [{GROUPS}, 1, 1] workgroup [256, 1, 1] subgroup 32\n{{\n\
         \x20 g: i32 = workgroup_id.x\n  l: i32 = local_id.x\n  w: i32 = const 256\n\
         \x20 b: i32 = mul g, w\n  i: i32 = add b, l\n\
         \x20 v: f64 = load x[i]\n  r: f64 = {op} v\n  store y[i] = r\n}}\n"
    )
}

fn ptx_for(op: &str, arch: &str) -> String {
    let kernel = text::parse(&kernel_text(op)).unwrap_or_else(|e| panic!("{op}: {e}"));
    let target = Target::by_name(arch).unwrap_or_else(|| panic!("no target {arch}"));
    emit_kernel(&kernel, &target, &PtxOptions { comments: false })
        .unwrap_or_else(|e| panic!("{op} on {arch}: {e}"))
}

/// Runs the op's PTX on `inputs` (at most N; the rest of the buffer is 0.0).
fn run_op(op: &str, inputs: &[f64]) -> Vec<f64> {
    assert!(inputs.len() <= N, "{} inputs, room for {N}", inputs.len());
    let ptx = ptx_for(op, "sm_80");
    let mut bytes = vec![0u8; N * 8];
    for (chunk, v) in bytes.chunks_exact_mut(8).zip(inputs) {
        chunk.copy_from_slice(&v.to_le_bytes());
    }
    let mut mem = GlobalMemory::new();
    let x = mem.alloc(bytes);
    let y = mem.alloc(vec![0u8; N * 8]);
    let entry = format!("f64_{op}");
    run(
        &ptx,
        &entry,
        [GROUPS as u32, 1, 1],
        [256, 1, 1],
        &[SimArg::U64(x), SimArg::U64(y)],
        &mut mem,
    )
    .unwrap_or_else(|e| panic!("{op}: {e}"));
    let out = mem
        .buffer(y)
        .unwrap_or_else(|| panic!("{op}: no output buffer"));
    out.chunks_exact(8)
        .take(inputs.len())
        .map(|c| f64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]))
        .collect()
}

/// The distance in ULPs between two finite or infinite f64 of the same sign (across zero,
/// the sum of both distances): the count of representable values between them.
fn ulps(a: f64, b: f64) -> u64 {
    // map the bits to a line where adjacent floats are adjacent integers
    let key = |v: f64| {
        let bits = v.to_bits() as i64;
        if bits < 0 { i64::MIN - bits } else { bits }
    };
    key(a).abs_diff(key(b))
}

/// A small deterministic generator (splitmix64), so the sweep is the same every run.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// Values every op must get right: zeros, infinities, NaN, subnormals, one and its
/// neighbours, the extremes.
fn special_values() -> Vec<f64> {
    let mut v = vec![
        0.0,
        -0.0,
        f64::INFINITY,
        f64::NEG_INFINITY,
        f64::NAN,
        -f64::NAN,
        f64::MIN_POSITIVE,
        -f64::MIN_POSITIVE,
        f64::from_bits(1),
        -f64::from_bits(1),
        f64::from_bits(0x000F_FFFF_FFFF_FFFF),
        f64::MAX,
        f64::MIN,
        f64::EPSILON,
        1.0,
        -1.0,
    ];
    for k in 1..2000u64 {
        v.push(f64::from_bits(1.0f64.to_bits() + k));
        v.push(f64::from_bits(1.0f64.to_bits() - k));
    }
    v
}

/// The `n` doubles on each side of `t`.
fn push_neighbours(v: &mut Vec<f64>, t: f64, n: usize) {
    let (mut up, mut down) = (t, t);
    for _ in 0..n {
        up = up.next_up();
        down = down.next_down();
        v.push(up);
        v.push(down);
    }
}

/// Inputs for exp2: the specials, every integer and half in [−1100, 1100], values either side
/// of the overflow (1024) and underflow (−1074, −1075, −1022) thresholds, tiny |x| (where
/// 2^x ≈ 1 + x·ln2), and a seeded sweep of [−1080, 1030] and of the exponent range.
fn exp2_inputs() -> Vec<f64> {
    let mut v = special_values();
    for k in -2200..=2200 {
        v.push(f64::from(k) * 0.5);
    }
    for t in [1024.0f64, -1022.0, -1074.0, -1075.0, -1076.0, 0.5, -0.5] {
        push_neighbours(&mut v, t, 300);
    }
    let mut rng = Rng(0x5EED_0E2F);
    for e in -1074..=10 {
        let m = 2f64.powi(e);
        for _ in 0..4 {
            v.push(m * (1.0 + rng.unit()));
            v.push(-m * (1.0 + rng.unit()));
        }
    }
    while v.len() < N {
        v.push(-1080.0 + 2110.0 * rng.unit());
    }
    v
}

/// Compares every result with Rust's `reference`: NaN for NaN, within `max_ulps`
/// otherwise; `exact(x)` marks inputs whose result must be bit-identical. Returns the
/// largest error seen and how many results were not bit-identical.
fn check(
    op: &str,
    inputs: &[f64],
    got: &[f64],
    reference: fn(f64) -> f64,
    exact: fn(f64) -> bool,
) -> (u64, usize) {
    let mut worst = 0;
    let mut off = 0;
    let mut failures = Vec::new();
    for (&x, &g) in inputs.iter().zip(got) {
        let want = reference(x);
        if want.is_nan() || g.is_nan() {
            if want.is_nan() != g.is_nan() {
                failures.push(format!("{op}({x:e}) = {g:e}, want {want:e}"));
            }
            continue;
        }
        let err = if want == g { 0 } else { ulps(want, g) };
        let limit = if exact(x) { 0 } else { 1 };
        if err > limit {
            failures.push(format!(
                "{op}({x:e} = {:#018x}) = {g:e}, want {want:e}: {err} ULP",
                x.to_bits()
            ));
        }
        worst = worst.max(err);
        off += usize::from(err != 0);
    }
    assert!(
        failures.is_empty(),
        "{} of {} wrong, first ones:\n{}",
        failures.len(),
        inputs.len(),
        failures[..failures.len().min(20)].join("\n")
    );
    (worst, off)
}

#[test]
fn exp2_is_within_one_ulp_of_rust() {
    let inputs = exp2_inputs();
    assert!(inputs.len() >= 100_000, "{} inputs", inputs.len());
    let got = run_op("exp2", &inputs);
    let (worst, off) = check("exp2", &inputs, &got, f64::exp2, |x| {
        x.is_infinite() || x == x.trunc()
    });
    println!(
        "exp2: {} inputs, worst error {worst} ULP, {off} not bit-identical to Rust",
        inputs.len()
    );
    // spot checks not tied to Rust's libm: thresholds the PTX must honour exactly
    let spot = [1024.0, 1023.0, -1074.0, -1075.5, f64::NEG_INFINITY, 0.5];
    let got = run_op("exp2", &spot);
    assert_eq!(got[0], f64::INFINITY);
    assert_eq!(got[1], 2f64.powi(1023));
    assert_eq!(got[2], f64::from_bits(1));
    assert_eq!(got[3].to_bits(), 0);
    assert_eq!(got[4].to_bits(), 0);
    assert_eq!(got[5], std::f64::consts::SQRT_2);
}

/// Inputs for log2: the specials, negative values, every power of two (normal and
/// subnormal), values near 1 and near √2 and √½ (where the reduction switches), and a
/// seeded sweep over the whole exponent range.
fn log2_inputs() -> Vec<f64> {
    let mut v = special_values();
    for e in -1074..=1023 {
        let p = 2f64.powi(e);
        v.push(p);
        v.push(-p);
        v.push(p.next_up());
        v.push(p.next_down());
    }
    for t in [
        std::f64::consts::SQRT_2,
        std::f64::consts::FRAC_1_SQRT_2,
        0.5,
        2.0,
    ] {
        push_neighbours(&mut v, t, 300);
    }
    let mut rng = Rng(0x1062_5EED);
    for _ in 0..10_000 {
        v.push(1.0 + (rng.unit() - 0.5) * 2f64.powi(-((rng.next() % 50) as i32)));
        v.push(0.5 + rng.unit() * 1.5);
    }
    while v.len() < N {
        // any positive finite bit pattern, subnormals included
        v.push(f64::from_bits(rng.next() % 0x7FF0_0000_0000_0000));
    }
    v
}

#[test]
fn log2_is_within_one_ulp_of_rust() {
    let inputs = log2_inputs();
    assert!(inputs.len() >= 100_000, "{} inputs", inputs.len());
    let got = run_op("log2", &inputs);
    let (worst, off) = check("log2", &inputs, &got, f64::log2, |x| {
        x > 0.0 && x.is_finite() && x.to_bits() & ((1 << 52) - 1) == 0 || x == f64::from_bits(1)
    });
    println!(
        "log2: {} inputs, worst error {worst} ULP, {off} not bit-identical to Rust",
        inputs.len()
    );
    // spot checks not tied to Rust's libm
    let spot = [1.0, 0.0, -0.0, -1.0, f64::INFINITY, f64::from_bits(1), 8.0];
    let got = run_op("log2", &spot);
    assert_eq!(got[0].to_bits(), 0);
    assert_eq!(got[1], f64::NEG_INFINITY);
    assert_eq!(got[2], f64::NEG_INFINITY);
    assert!(got[3].is_nan());
    assert_eq!(got[4], f64::INFINITY);
    assert_eq!(got[5], -1074.0);
    assert_eq!(got[6], 3.0);
}

/// Inputs for sin: the specials, tiny |x| either side of 2^-26, the doubles nearest
/// k·π/2 and their neighbours for k up to 2^40 and for powers-of-two k up to 2^1000 (the
/// hardest reductions), values around 2^19·π/2, every exponent up to 1023 with random
/// mantissas, and arbitrary finite bit patterns.
fn sin_inputs() -> Vec<f64> {
    let mut v = special_values();
    // the double closest to a multiple of π/2 (Muller, "Elementary Functions"): 2^-61 away
    let hardest = 6_381_956_970_095_103.0 * 2f64.powi(797);
    v.extend([hardest, -hardest, hardest.next_up(), hardest.next_down()]);
    let half_pi = std::f64::consts::FRAC_PI_2;
    let mut rng = Rng(0x51_5EED);
    for e in -40..=-10 {
        let p = 2f64.powi(e);
        v.extend([p, -p, p.next_up(), p.next_down()]);
    }
    for k in 1..=4000u64 {
        let x = k as f64 * half_pi;
        v.extend([x, -x, x.next_up(), x.next_down()]);
    }
    for _ in 0..20_000 {
        let k = (rng.next() >> (24 + rng.next() % 40)) as f64;
        let x = k * half_pi;
        v.extend([x, x.next_up(), x.next_down()]);
    }
    for e in 0..=1000 {
        let x = 2f64.powi(e) * half_pi;
        v.extend([x, x.next_up(), -x.next_down()]);
    }
    push_neighbours(&mut v, 2f64.powi(19) * half_pi, 500);
    for e in -1074..=1023 {
        for _ in 0..8 {
            let x = 2f64.powi(e) * (1.0 + rng.unit());
            v.push(if rng.next() & 1 == 0 { x } else { -x });
        }
    }
    while v.len() < N {
        v.push(f64::from_bits(rng.next()));
    }
    v.truncate(N);
    v
}

#[test]
fn sin_is_within_one_ulp_of_rust() {
    let inputs = sin_inputs();
    assert!(inputs.len() >= 100_000, "{} inputs", inputs.len());
    let got = run_op("sin", &inputs);
    let (worst, off) = check("sin", &inputs, &got, f64::sin, |x| {
        x.abs() < 1e-9 || x.is_infinite()
    });
    println!(
        "sin: {} inputs, worst error {worst} ULP, {off} not bit-identical to Rust",
        inputs.len()
    );
    // spot checks not tied to Rust's libm: signs of zero, tiny x, NaN for infinities
    let spot = [0.0, -0.0, 1e-300, f64::INFINITY, f64::NEG_INFINITY];
    let got = run_op("sin", &spot);
    assert_eq!(got[0].to_bits(), 0f64.to_bits());
    assert_eq!(got[1].to_bits(), (-0f64).to_bits());
    assert_eq!(got[2], 1e-300);
    assert!(got[3].is_nan() && got[4].is_nan());
}

#[test]
fn f64_math_assembles_without_warnings() {
    let Some(ptxas) = egpu_tests::ptxas::find() else {
        assert!(
            std::env::var_os("CI").is_none(),
            "ptxas is required under CI"
        );
        println!("skipped: no ptxas found");
        return;
    };
    for op in ["exp2", "log2", "sin"] {
        for arch in ["sm_80", "sm_90"] {
            let ptx = ptx_for(op, arch);
            if let Err(e) = egpu_tests::ptxas::assemble(&ptxas, &ptx, arch, &[]) {
                panic!("{op} on {arch}: {e}");
            }
        }
    }
}

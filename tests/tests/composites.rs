//! The composite operations checked against the reference interpreter: each graph is built
//! with the composite, evaluated by `egpu_ir::interp`, and compared with values computed
//! here independently, in f64, by the plain loops of each operation's definition.

use egpu_ir::interp::{self, Tensor};
use egpu_ir::{Conv2dParams, DType, GraphBuilder, NodeId, Pool2dParams, Scalar, round_float};
use std::collections::BTreeMap;

// ---------------------------------------------------------------------------------------
// Harness

/// A deterministic generator of test values (64-bit LCG, top bits), so every run sees the
/// same inputs and a failure reproduces.
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Rng {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    /// Uniform in [0, 1).
    fn unit(&mut self) -> f64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 11) as f64 / (1u64 << 53) as f64
    }

    /// `n` values uniform in [lo, hi), rounded to `dtype` so the reference sees exactly the
    /// values the graph gets.
    fn values(&mut self, n: usize, lo: f64, hi: f64, dtype: DType) -> Vec<f64> {
        (0..n)
            .map(|_| round_float(lo + (hi - lo) * self.unit(), dtype))
            .collect()
    }

    /// `n` multiples of 1/64 in [-1, 1]: exact in f16, and their products and sums of up to
    /// 64 products are exact in f32, whatever the order of summation.
    fn sixty_fourths(&mut self, n: usize) -> Vec<f64> {
        (0..n)
            .map(|_| ((self.unit() * 129.0).floor() - 64.0) / 64.0)
            .collect()
    }
}

/// A graph under construction with the values of its inputs.
struct Case {
    b: GraphBuilder,
    inputs: BTreeMap<String, Tensor>,
}

impl Case {
    fn new() -> Case {
        Case {
            b: GraphBuilder::new("case"),
            inputs: BTreeMap::new(),
        }
    }

    fn input(&mut self, name: &str, dtype: DType, dims: &[usize], values: &[f64]) -> NodeId {
        let tensor = Tensor::from_f64(dtype, dims, values).unwrap();
        self.inputs.insert(name.to_string(), tensor);
        self.b.input(name, dtype, dims).unwrap()
    }

    /// Evaluates the graph with `out` as its only output: (dtype, dims, values).
    fn eval(mut self, out: NodeId) -> (DType, Vec<usize>, Vec<f64>) {
        self.b.output("out", out).unwrap();
        let graph = self.b.finish().unwrap();
        let mut results = interp::evaluate(&graph, &self.inputs).unwrap();
        let (_, t) = results.pop().unwrap();
        (t.dtype, t.shape.to_vec(), t.to_f64_vec())
    }
}

/// Asserts |got − want| ≤ atol + rtol·|want| element by element.
fn assert_close(what: &str, got: &[f64], want: &[f64], rtol: f64, atol: f64) {
    assert_eq!(got.len(), want.len(), "{what}: element count");
    for (i, (&g, &w)) in got.iter().zip(want).enumerate() {
        let ok = (g - w).abs() <= atol + rtol * w.abs() || (g == w);
        assert!(
            ok,
            "{what}: element {i}: got {g}, want {w} (diff {:e})",
            (g - w).abs()
        );
    }
}

/// f32 results: relative 1e-5, plus a small absolute slack for results near 0 that come
/// from cancelling sums.
fn assert_f32(what: &str, got: &[f64], want: &[f64]) {
    assert_close(what, got, want, 1e-5, 1e-6);
}

/// Row-major flat index of `idx` in `dims`.
fn at(dims: &[usize], idx: &[usize]) -> usize {
    idx.iter().zip(dims).fold(0, |acc, (&i, &d)| acc * d + i)
}

// ---------------------------------------------------------------------------------------
// matmul

/// Naive [m, k] @ [k, n] in f64.
fn matmul_ref(a: &[f64], b: &[f64], m: usize, k: usize, n: usize) -> Vec<f64> {
    let mut c = vec![0.0; m * n];
    for i in 0..m {
        for j in 0..n {
            c[i * n + j] = (0..k).map(|p| a[i * k + p] * b[p * n + j]).sum();
        }
    }
    c
}

#[test]
fn matmul_2d_matches_triple_loop() {
    for (m, k, n) in [(5, 7, 3), (16, 33, 9), (1, 4, 1)] {
        let mut rng = Rng::new((m * 100 + k * 10 + n) as u64);
        let (av, bv) = (
            rng.values(m * k, -1.0, 1.0, DType::F32),
            rng.values(k * n, -1.0, 1.0, DType::F32),
        );
        let mut c = Case::new();
        let a = c.input("a", DType::F32, &[m, k], &av);
        let b = c.input("b", DType::F32, &[k, n], &bv);
        let y = c.b.matmul(a, b, None).unwrap();
        let (dtype, dims, got) = c.eval(y);
        assert_eq!((dtype, dims), (DType::F32, vec![m, n]));
        assert_f32(
            &format!("matmul {m}x{k}x{n}"),
            &got,
            &matmul_ref(&av, &bv, m, k, n),
        );
    }
}

#[test]
fn matmul_batched_with_broadcasting() {
    // a [2, 1, 3, 4] @ b [3, 4, 5] → [2, 3, 3, 5]: a's axis 1 and b's missing axis broadcast.
    let mut rng = Rng::new(7);
    let (av, bv) = (
        rng.values(24, -1.0, 1.0, DType::F32),
        rng.values(60, -1.0, 1.0, DType::F32),
    );
    let mut c = Case::new();
    let a = c.input("a", DType::F32, &[2, 1, 3, 4], &av);
    let b = c.input("b", DType::F32, &[3, 4, 5], &bv);
    let y = c.b.matmul(a, b, None).unwrap();
    let (_, dims, got) = c.eval(y);
    assert_eq!(dims, [2, 3, 3, 5]);
    let mut want = Vec::new();
    for i in 0..2 {
        for j in 0..3 {
            let ab = &av[i * 12..(i + 1) * 12];
            let bb = &bv[j * 20..(j + 1) * 20];
            want.extend(matmul_ref(ab, bb, 3, 4, 5));
        }
    }
    assert_f32("batched matmul", &got, &want);
}

#[test]
fn matmul_f16_accumulates_in_f32_then_rounds() {
    // Multiples of 1/64: every product and partial sum is exact in f32, so an f32
    // accumulation gives the exact sum and the f16 result is that sum rounded once. Products
    // or sums kept in f16 would round (a product needs up to 14 significant bits).
    let (m, k, n) = (8, 64, 6);
    let mut rng = Rng::new(16);
    let (av, bv) = (rng.sixty_fourths(m * k), rng.sixty_fourths(k * n));
    let exact = matmul_ref(&av, &bv, m, k, n);
    for (out, want_dtype) in [(None, DType::F16), (Some(DType::F32), DType::F32)] {
        let mut c = Case::new();
        let a = c.input("a", DType::F16, &[m, k], &av);
        let b = c.input("b", DType::F16, &[k, n], &bv);
        let y = c.b.matmul(a, b, out).unwrap();
        let (dtype, _, got) = c.eval(y);
        assert_eq!(dtype, want_dtype);
        let want: Vec<f64> = exact.iter().map(|&v| round_float(v, want_dtype)).collect();
        assert_eq!(got, want, "f16 matmul with output {want_dtype}");
    }
    let differs = exact.iter().any(|&v| round_float(v, DType::F16) != v);
    assert!(differs, "the test needs sums that f16 cannot hold exactly");
}

#[test]
fn matmul_int_is_exact() {
    let av: Vec<f64> = (0..6).map(|i| f64::from(i) - 2.0).collect();
    let bv: Vec<f64> = (0..12).map(|i| f64::from(i * 7 % 5) - 1.0).collect();
    let mut c = Case::new();
    let a = c.input("a", DType::I32, &[2, 3], &av);
    let b = c.input("b", DType::I32, &[3, 4], &bv);
    let y = c.b.matmul(a, b, None).unwrap();
    let (dtype, _, got) = c.eval(y);
    assert_eq!(dtype, DType::I32);
    assert_eq!(got, matmul_ref(&av, &bv, 2, 3, 4));
}

// ---------------------------------------------------------------------------------------
// conv2d and max_pool2d

/// Sizes of one convolution test.
struct ConvCase {
    x: [usize; 4],
    w: [usize; 4],
    p: Conv2dParams,
}

fn out_len(len: usize, k: usize, s: usize, p: usize, d: usize) -> usize {
    (len + 2 * p - d * (k - 1) - 1) / s + 1
}

/// Direct cross-correlation by nested loops, zero padding, in f64.
fn conv_ref(cc: &ConvCase, x: &[f64], w: &[f64], bias: Option<&[f64]>) -> (Vec<usize>, Vec<f64>) {
    let [n, c, h, wd] = cc.x;
    let [o, _, kh, kw] = cc.w;
    let ConvCase { p, .. } = cc;
    let oh = out_len(h, kh, p.stride[0], p.padding[0], p.dilation[0]);
    let ow = out_len(wd, kw, p.stride[1], p.padding[1], p.dilation[1]);
    let mut y = Vec::new();
    for (b, oc, r, q) in iter4([n, o, oh, ow]) {
        let mut acc = bias.map_or(0.0, |bv| bv[oc]);
        for (ci, i, j) in iter3([c, kh, kw]) {
            let hi = (r * p.stride[0] + i * p.dilation[0]) as isize - p.padding[0] as isize;
            let wi = (q * p.stride[1] + j * p.dilation[1]) as isize - p.padding[1] as isize;
            if (0..h as isize).contains(&hi) && (0..wd as isize).contains(&wi) {
                let xv = x[at(&cc.x, &[b, ci, hi as usize, wi as usize])];
                acc += xv * w[at(&cc.w, &[oc, ci, i, j])];
            }
        }
        y.push(acc);
    }
    (vec![n, o, oh, ow], y)
}

fn iter3(d: [usize; 3]) -> impl Iterator<Item = (usize, usize, usize)> {
    (0..d[0]).flat_map(move |a| (0..d[1]).flat_map(move |b| (0..d[2]).map(move |c| (a, b, c))))
}

fn iter4(d: [usize; 4]) -> impl Iterator<Item = (usize, usize, usize, usize)> {
    (0..d[0]).flat_map(move |a| iter3([d[1], d[2], d[3]]).map(move |(b, c, e)| (a, b, c, e)))
}

fn conv_cases() -> Vec<ConvCase> {
    let p = |s: [usize; 2], pad: [usize; 2], d: [usize; 2]| Conv2dParams {
        stride: s,
        padding: pad,
        dilation: d,
    };
    vec![
        ConvCase {
            x: [2, 3, 6, 6],
            w: [4, 3, 3, 3],
            p: p([1, 1], [0, 0], [1, 1]),
        },
        ConvCase {
            x: [1, 2, 8, 8],
            w: [3, 2, 3, 3],
            p: p([1, 1], [1, 1], [1, 1]),
        },
        ConvCase {
            x: [1, 2, 9, 8],
            w: [2, 2, 3, 3],
            p: p([2, 2], [1, 1], [1, 1]),
        },
        ConvCase {
            x: [1, 1, 9, 9],
            w: [2, 1, 3, 3],
            p: p([1, 1], [0, 0], [2, 2]),
        },
        ConvCase {
            x: [2, 2, 10, 11],
            w: [3, 2, 3, 3],
            p: p([2, 2], [1, 1], [2, 2]),
        },
        // Non-square everything: input, kernel, stride, padding and dilation per axis.
        ConvCase {
            x: [1, 3, 7, 12],
            w: [2, 3, 2, 4],
            p: p([2, 1], [0, 2], [1, 3]),
        },
        ConvCase {
            x: [1, 2, 5, 9],
            w: [2, 2, 3, 1],
            p: p([1, 3], [2, 0], [2, 1]),
        },
        // 1×1 kernel with a stride larger than the window.
        ConvCase {
            x: [1, 4, 7, 7],
            w: [3, 4, 1, 1],
            p: p([3, 3], [0, 0], [1, 1]),
        },
        // A window as large as the padded input: one output position.
        ConvCase {
            x: [1, 1, 4, 5],
            w: [1, 1, 6, 3],
            p: p([5, 5], [1, 0], [1, 2]),
        },
    ]
}

#[test]
fn conv2d_matches_direct_loops() {
    for (i, cc) in conv_cases().iter().enumerate() {
        for with_bias in [false, true] {
            let mut rng = Rng::new(100 + i as u64);
            let xv = rng.values(cc.x.iter().product(), -1.0, 1.0, DType::F32);
            let wv = rng.values(cc.w.iter().product(), -1.0, 1.0, DType::F32);
            let bv = rng.values(cc.w[0], -1.0, 1.0, DType::F32);
            let mut c = Case::new();
            let x = c.input("x", DType::F32, &cc.x, &xv);
            let w = c.input("w", DType::F32, &cc.w, &wv);
            let bias = with_bias.then(|| c.input("b", DType::F32, &[cc.w[0]], &bv));
            let y = c.b.conv2d(x, w, bias, &cc.p).unwrap();
            let (_, dims, got) = c.eval(y);
            let (want_dims, want) = conv_ref(cc, &xv, &wv, with_bias.then_some(&bv[..]));
            let what = format!("conv case {i} {:?} bias {with_bias}", cc.p);
            assert_eq!(dims, want_dims, "{what}");
            assert_f32(&what, &got, &want);
        }
    }
}

#[test]
fn conv2d_f16_accumulates_in_f32() {
    // Same exactness argument as the f16 matmul: 1/64 multiples, at most 2·3·3 = 18 taps.
    let cc = ConvCase {
        x: [1, 2, 6, 5],
        w: [3, 2, 3, 3],
        p: Conv2dParams {
            stride: [1, 2],
            padding: [1, 1],
            dilation: [1, 1],
        },
    };
    let mut rng = Rng::new(5);
    let (xv, wv, bv) = (
        rng.sixty_fourths(60),
        rng.sixty_fourths(54),
        rng.sixty_fourths(3),
    );
    let mut c = Case::new();
    let x = c.input("x", DType::F16, &cc.x, &xv);
    let w = c.input("w", DType::F16, &cc.w, &wv);
    let b = c.input("b", DType::F16, &[3], &bv);
    let y = c.b.conv2d(x, w, Some(b), &cc.p).unwrap();
    let (dtype, _, got) = c.eval(y);
    assert_eq!(dtype, DType::F16);
    let want: Vec<f64> = conv_ref(&cc, &xv, &wv, Some(&bv))
        .1
        .iter()
        .map(|&v| round_float(v, DType::F16))
        .collect();
    assert_eq!(got, want);
}

/// Direct max pooling; padded positions are skipped (they never win).
fn pool_ref(dims: [usize; 4], x: &[f64], p: &Pool2dParams) -> (Vec<usize>, Vec<f64>) {
    let [n, c, h, w] = dims;
    let oh = out_len(h, p.kernel[0], p.stride[0], p.padding[0], p.dilation[0]);
    let ow = out_len(w, p.kernel[1], p.stride[1], p.padding[1], p.dilation[1]);
    let mut y = Vec::new();
    for (b, ch, r, q) in iter4([n, c, oh, ow]) {
        let mut best = f64::NEG_INFINITY;
        for (_, i, j) in iter3([1, p.kernel[0], p.kernel[1]]) {
            let hi = (r * p.stride[0] + i * p.dilation[0]) as isize - p.padding[0] as isize;
            let wi = (q * p.stride[1] + j * p.dilation[1]) as isize - p.padding[1] as isize;
            if (0..h as isize).contains(&hi) && (0..w as isize).contains(&wi) {
                best = best.max(x[at(&dims, &[b, ch, hi as usize, wi as usize])]);
            }
        }
        y.push(best);
    }
    (vec![n, c, oh, ow], y)
}

#[test]
fn max_pool2d_matches_loops() {
    let p = |k: [usize; 2], s: [usize; 2], pad: [usize; 2], d: [usize; 2]| Pool2dParams {
        kernel: k,
        stride: s,
        padding: pad,
        dilation: d,
    };
    let cases = [
        ([2, 3, 8, 8], p([2, 2], [2, 2], [0, 0], [1, 1])),
        ([1, 2, 9, 7], p([3, 3], [2, 2], [1, 1], [1, 1])),
        ([1, 1, 9, 10], p([3, 2], [1, 3], [1, 1], [2, 3])),
        ([1, 2, 5, 5], p([1, 1], [2, 2], [0, 0], [1, 1])),
    ];
    for (i, (dims, pp)) in cases.iter().enumerate() {
        for dtype in [DType::F32, DType::I32] {
            let mut rng = Rng::new(200 + i as u64);
            let xv: Vec<f64> = rng
                .values(dims.iter().product(), -50.0, 50.0, DType::F32)
                .iter()
                .map(|v| v.round())
                .collect();
            let mut c = Case::new();
            let x = c.input("x", dtype, dims, &xv);
            let y = c.b.max_pool2d(x, pp).unwrap();
            let (got_dtype, got_dims, got) = c.eval(y);
            let (want_dims, want) = pool_ref(*dims, &xv, pp);
            assert_eq!(
                (got_dtype, got_dims),
                (dtype, want_dims),
                "pool case {i} {dtype}"
            );
            assert_eq!(got, want, "pool case {i} {dtype}");
        }
    }
}

// ---------------------------------------------------------------------------------------
// Elementwise activations

/// Evaluates `f` on an f32 vector of `xs` and compares with `want(x)` computed in f64.
fn check_unary(
    name: &str,
    xs: &[f64],
    f: fn(&mut GraphBuilder, NodeId) -> egpu_ir::BuildResult<NodeId>,
    want: fn(f64) -> f64,
) {
    let mut c = Case::new();
    let x = c.input("x", DType::F32, &[xs.len()], xs);
    let y = f(&mut c.b, x).unwrap();
    let (dtype, _, got) = c.eval(y);
    assert_eq!(dtype, DType::F32);
    let expected: Vec<f64> = xs.iter().map(|&v| want(v)).collect();
    assert_f32(name, &got, &expected);
}

fn spread(lo: f64, hi: f64, seed: u64) -> Vec<f64> {
    let mut v = Rng::new(seed).values(200, lo, hi, DType::F32);
    v.extend([0.0, lo, -0.5, 0.5, 1.0]);
    v
}

fn sigmoid(x: f64) -> f64 {
    1.0 / (1.0 + (-x).exp())
}

#[test]
fn exp_log_match_std() {
    check_unary("exp", &spread(-10.0, 10.0, 1), GraphBuilder::exp, f64::exp);
    let positive: Vec<f64> = spread(1e-3, 100.0, 2)
        .into_iter()
        .filter(|&v| v > 0.0)
        .collect();
    check_unary("log", &positive, GraphBuilder::log, f64::ln);
}

#[test]
fn sigmoid_tanh_match_std() {
    check_unary(
        "sigmoid",
        &spread(-12.0, 12.0, 3),
        GraphBuilder::sigmoid,
        sigmoid,
    );
    check_unary("tanh", &spread(-6.0, 6.0, 4), GraphBuilder::tanh, f64::tanh);
}

#[test]
fn relu_silu_match_definitions() {
    check_unary("relu", &spread(-3.0, 3.0, 5), GraphBuilder::relu, |x| {
        x.max(0.0)
    });
    check_unary("silu", &spread(-8.0, 8.0, 6), GraphBuilder::silu, |x| {
        x * sigmoid(x)
    });
}

#[test]
fn gelu_matches_tanh_formula() {
    let want = |x: f64| {
        0.5 * x * (1.0 + ((2.0 / std::f64::consts::PI).sqrt() * (x + 0.044715 * x * x * x)).tanh())
    };
    check_unary("gelu", &spread(-6.0, 6.0, 7), GraphBuilder::gelu, want);
}

// ---------------------------------------------------------------------------------------
// softmax, norms, mean, var

/// Applies `f` to each row (last axis, length `n`) of `x`.
fn rows(x: &[f64], n: usize, f: impl Fn(&[f64]) -> Vec<f64>) -> Vec<f64> {
    x.chunks(n).flat_map(f).collect()
}

fn softmax_ref(row: &[f64]) -> Vec<f64> {
    let m = row.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let s: f64 = row.iter().map(|v| (v - m).exp()).sum();
    row.iter().map(|v| (v - m).exp() / s).collect()
}

fn log_softmax_ref(row: &[f64]) -> Vec<f64> {
    let m = row.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let s: f64 = row.iter().map(|v| (v - m).exp()).sum();
    row.iter().map(|v| v - m - s.ln()).collect()
}

/// A softmax-like composite of f32[r, n] along `axis`, evaluated.
fn eval_rows(
    dims: [usize; 2],
    xv: &[f64],
    f: impl Fn(&mut GraphBuilder, NodeId) -> NodeId,
) -> Vec<f64> {
    let mut c = Case::new();
    let x = c.input("x", DType::F32, &dims, xv);
    let y = f(&mut c.b, x);
    let (_, got_dims, got) = c.eval(y);
    assert_eq!(got_dims, dims);
    got
}

#[test]
fn softmax_rows_sum_to_one_and_match() {
    let xv = Rng::new(8).values(6 * 50, -8.0, 8.0, DType::F32);
    let got = eval_rows([6, 50], &xv, |b, x| b.softmax(x, -1).unwrap());
    for row in got.chunks(50) {
        assert!(
            (row.iter().sum::<f64>() - 1.0).abs() <= 1e-6,
            "row sum {}",
            row.iter().sum::<f64>()
        );
    }
    assert_f32("softmax", &got, &rows(&xv, 50, softmax_ref));
}

#[test]
fn softmax_over_axis_0_and_large_values() {
    // Columns: axis 0 of [5, 3] is the rows of its transpose. Values near 1000 overflow exp
    // unless the maximum is subtracted first.
    let xv: Vec<f64> = Rng::new(9).values(15, 990.0, 1000.0, DType::F32);
    let got = eval_rows([5, 3], &xv, |b, x| b.softmax(x, 0).unwrap());
    let transposed: Vec<f64> = (0..15).map(|i| xv[(i % 5) * 3 + i / 5]).collect();
    let want_t = rows(&transposed, 5, softmax_ref);
    let want: Vec<f64> = (0..15).map(|i| want_t[(i % 3) * 5 + i / 3]).collect();
    assert_close("softmax axis 0", &got, &want, 1e-4, 1e-6);
}

#[test]
fn log_softmax_matches() {
    let xv = Rng::new(10).values(4 * 40, -5.0, 5.0, DType::F32);
    let got = eval_rows([4, 40], &xv, |b, x| b.log_softmax(x, 1).unwrap());
    assert_close(
        "log_softmax",
        &got,
        &rows(&xv, 40, log_softmax_ref),
        1e-5,
        1e-5,
    );
}

fn mean(v: &[f64]) -> f64 {
    v.iter().sum::<f64>() / v.len() as f64
}

fn pop_var(v: &[f64]) -> f64 {
    let m = mean(v);
    v.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / v.len() as f64
}

#[test]
fn layernorm_without_affine_normalises_rows() {
    let xv = Rng::new(11).values(5 * 64, -3.0, 5.0, DType::F32);
    let got = eval_rows([5, 64], &xv, |b, x| {
        b.layernorm(x, None, None, 1e-5).unwrap()
    });
    for row in got.chunks(64) {
        assert!(mean(row).abs() < 1e-5, "row mean {}", mean(row));
        assert!(
            (pop_var(row) - 1.0).abs() < 1e-4,
            "row variance {}",
            pop_var(row)
        );
    }
}

#[test]
fn layernorm_with_weight_and_bias_matches_formula() {
    let n = 48;
    let mut rng = Rng::new(12);
    let (xv, wv, bv) = (
        rng.values(3 * n, -2.0, 2.0, DType::F32),
        rng.values(n, 0.5, 1.5, DType::F32),
        rng.values(n, -1.0, 1.0, DType::F32),
    );
    let eps = 1e-5;
    let mut c = Case::new();
    let x = c.input("x", DType::F32, &[3, n], &xv);
    let w = c.input("w", DType::F32, &[n], &wv);
    let b = c.input("b", DType::F32, &[n], &bv);
    let y = c.b.layernorm(x, Some(w), Some(b), eps).unwrap();
    let (_, _, got) = c.eval(y);
    let want = rows(&xv, n, |r| {
        let (m, v) = (mean(r), pop_var(r));
        r.iter()
            .enumerate()
            .map(|(i, x)| (x - m) / (v + eps).sqrt() * wv[i] + bv[i])
            .collect()
    });
    assert_close("layernorm", &got, &want, 1e-5, 1e-5);
}

#[test]
fn rmsnorm_matches_formula() {
    let n = 32;
    let mut rng = Rng::new(13);
    let (xv, wv) = (
        rng.values(4 * n, -2.0, 2.0, DType::F32),
        rng.values(n, 0.5, 1.5, DType::F32),
    );
    let eps = 1e-6;
    for with_weight in [false, true] {
        let mut c = Case::new();
        let x = c.input("x", DType::F32, &[4, n], &xv);
        let w = with_weight.then(|| c.input("w", DType::F32, &[n], &wv));
        let y = c.b.rmsnorm(x, w, eps).unwrap();
        let (_, _, got) = c.eval(y);
        let want = rows(&xv, n, |r| {
            let ms = r.iter().map(|v| v * v).sum::<f64>() / n as f64;
            let scale = |i: usize| if with_weight { wv[i] } else { 1.0 };
            r.iter()
                .enumerate()
                .map(|(i, v)| v / (ms + eps).sqrt() * scale(i))
                .collect()
        });
        assert_close("rmsnorm", &got, &want, 1e-5, 1e-6);
    }
}

#[test]
fn mean_and_var_match_loops() {
    // x [3, 4, 5] reduced over axes (0, 2): one value per index of axis 1.
    let xv = Rng::new(14).values(60, -4.0, 4.0, DType::F32);
    let gather = |j: usize| -> Vec<f64> {
        iter3([3, 1, 5])
            .map(|(i, _, k)| xv[at(&[3, 4, 5], &[i, j, k])])
            .collect()
    };
    for correction in [0usize, 1] {
        let mut c = Case::new();
        let x = c.input("x", DType::F32, &[3, 4, 5], &xv);
        let v = c.b.var(x, &[2, 0], correction).unwrap();
        let (_, dims, got_v) = c.eval(v);
        assert_eq!(dims, [1, 4, 1]);
        let want_v: Vec<f64> = (0..4)
            .map(|j| {
                let g = gather(j);
                let mu = mean(&g);
                g.iter().map(|x| (x - mu) * (x - mu)).sum::<f64>() / (g.len() - correction) as f64
            })
            .collect();
        assert_close("var", &got_v, &want_v, 1e-5, 1e-6);
    }
    let mut c = Case::new();
    let x = c.input("x", DType::F32, &[3, 4, 5], &xv);
    let m = c.b.mean(x, &[0, 2]).unwrap();
    let (_, _, got_m) = c.eval(m);
    let want_m: Vec<f64> = (0..4).map(|j| mean(&gather(j))).collect();
    assert_close("mean", &got_m, &want_m, 1e-5, 1e-6);
}

// ---------------------------------------------------------------------------------------
// attention

/// softmax(q·kᵀ·scale, masked when causal)·v for one head: q [s, d], k [t, d], v [t, dv].
fn attention_ref(
    q: &[f64],
    k: &[f64],
    v: &[f64],
    dims: [usize; 4],
    causal: bool,
    scale: f64,
) -> Vec<f64> {
    let [s, t, d, dv] = dims;
    let mut out = Vec::with_capacity(s * dv);
    for i in 0..s {
        let scores: Vec<f64> = (0..t)
            .map(|j| {
                let dot: f64 = (0..d).map(|e| q[i * d + e] * k[j * d + e]).sum();
                if causal && j > i {
                    f64::NEG_INFINITY
                } else {
                    dot * scale
                }
            })
            .collect();
        let p = softmax_ref(&scores);
        out.extend((0..dv).map(|e| (0..t).map(|j| p[j] * v[j * dv + e]).sum::<f64>()));
    }
    out
}

#[test]
fn attention_matches_direct_computation() {
    let (batch, s, t, d, dv) = (3, 5, 7, 8, 4);
    let mut rng = Rng::new(15);
    let qv = rng.values(batch * s * d, -1.0, 1.0, DType::F32);
    let kv = rng.values(batch * t * d, -1.0, 1.0, DType::F32);
    let vv = rng.values(batch * t * dv, -1.0, 1.0, DType::F32);
    for (causal, scale) in [
        (false, None),
        (true, None),
        (true, Some(0.7)),
        (false, Some(2.0)),
    ] {
        let mut c = Case::new();
        let q = c.input("q", DType::F32, &[batch, s, d], &qv);
        let k = c.input("k", DType::F32, &[batch, t, d], &kv);
        let v = c.input("v", DType::F32, &[batch, t, dv], &vv);
        let y = c.b.attention(q, k, v, causal, scale).unwrap();
        let (_, dims, got) = c.eval(y);
        assert_eq!(dims, [batch, s, dv]);
        let sc = scale.unwrap_or(1.0 / (d as f64).sqrt());
        let want: Vec<f64> = (0..batch)
            .flat_map(|b| {
                let (qb, kb, vb) = (
                    &qv[b * s * d..][..s * d],
                    &kv[b * t * d..][..t * d],
                    &vv[b * t * dv..][..t * dv],
                );
                attention_ref(qb, kb, vb, [s, t, d, dv], causal, sc)
            })
            .collect();
        assert_close(
            &format!("attention causal {causal} scale {scale:?}"),
            &got,
            &want,
            2e-5,
            2e-6,
        );
    }
}

// ---------------------------------------------------------------------------------------
// f16 and bf16: computed in f32, rounded once (within 1 ULP of the exact math)

const HALVES: [DType; 2] = [DType::F16, DType::BF16];

/// The position of a 16-bit float among all values of its dtype, in increasing order (+0 and
/// −0 share 0), so that adjacent values differ by 1.
fn order16(v: f64, dtype: DType) -> i64 {
    let bits = Scalar::Float(v).to_bits(dtype) as i64;
    if bits & 0x8000 != 0 {
        -(bits & 0x7fff)
    } else {
        bits
    }
}

/// Asserts every element of `got` (of `dtype`) is within 1 ULP of `exact` rounded to
/// `dtype`; NaN only where the exact value is NaN.
fn assert_within_one_ulp(what: &str, dtype: DType, inputs: &[f64], got: &[f64], exact: &[f64]) {
    assert_eq!(got.len(), exact.len(), "{what}: element count");
    for (i, (&g, &e)) in got.iter().zip(exact).enumerate() {
        let want = round_float(e, dtype);
        let apart = if want.is_nan() || g.is_nan() {
            if want.is_nan() && g.is_nan() {
                0
            } else {
                i64::MAX
            }
        } else {
            (order16(g, dtype) - order16(want, dtype)).abs()
        };
        let input = inputs
            .get(i)
            .map_or(String::new(), |x| format!(" (input {x:e})"));
        assert!(
            apart <= 1,
            "{what} {dtype}: element {i}{input}: got {g:e}, exact {e:e} rounds to {want:e}"
        );
    }
}

/// Every finite value of a 16-bit float dtype.
fn every_finite(dtype: DType) -> Vec<f64> {
    (0..=u16::MAX)
        .map(|bits| Scalar::from_bits(u64::from(bits), dtype).to_f64())
        .filter(|v| v.is_finite())
        .collect()
}

/// 0.5·x·(1 + tanh(u)), u = √(2/π)·(x + 0.044715·x³). For u < 0, 1 + tanh(u) cancels in
/// f64 too (4% off at x = −6.9), so it is written 2·e^(2u)/(1 + e^(2u)), the same number.
fn gelu_exact(x: f64) -> f64 {
    let u = (2.0 / std::f64::consts::PI).sqrt() * (x + 0.044715 * x * x * x);
    let one_plus_tanh = if u < 0.0 {
        2.0 * (2.0 * u).exp() / (1.0 + (2.0 * u).exp())
    } else {
        1.0 + u.tanh()
    };
    0.5 * x * one_plus_tanh
}

/// Each activation on every finite f16 and bf16 value (x < −4 included, where f16 gelu used
/// to return 0), against the function computed in f64 on the same value.
#[test]
fn half_activations_are_within_one_ulp_on_every_value() {
    type Build = fn(&mut GraphBuilder, NodeId) -> egpu_ir::BuildResult<NodeId>;
    type Activation = (&'static str, Build, fn(f64) -> f64);
    let cases: [Activation; 7] = [
        ("exp", GraphBuilder::exp, f64::exp),
        ("log", GraphBuilder::log, f64::ln),
        ("sigmoid", GraphBuilder::sigmoid, sigmoid),
        ("tanh", GraphBuilder::tanh, f64::tanh),
        ("silu", GraphBuilder::silu, |x| x * sigmoid(x)),
        ("gelu", GraphBuilder::gelu, gelu_exact),
        ("relu", GraphBuilder::relu, |x| x.max(0.0)),
    ];
    for dtype in HALVES {
        let xs = every_finite(dtype);
        assert!(xs.iter().any(|&x| x < -4.0) && xs.len() > 60_000);
        for (name, build, exact) in cases {
            let mut c = Case::new();
            let x = c.input("x", dtype, &[xs.len()], &xs);
            let y = build(&mut c.b, x).unwrap();
            let (got_dtype, _, got) = c.eval(y);
            assert_eq!(got_dtype, dtype, "{name}");
            let want: Vec<f64> = xs.iter().map(|&x| exact(x)).collect();
            assert_within_one_ulp(name, dtype, &xs, &got, &want);
        }
    }
}

/// A row-wise composite of `dtype[rows, n]` on `xv`, evaluated.
fn eval_half_rows(
    dtype: DType,
    dims: [usize; 2],
    xv: &[f64],
    f: impl Fn(&mut Case, NodeId) -> NodeId,
) -> Vec<f64> {
    let mut c = Case::new();
    let x = c.input("x", dtype, &dims, xv);
    let y = f(&mut c, x);
    let (got_dtype, got_dims, got) = c.eval(y);
    assert_eq!((got_dtype, got_dims.as_slice()), (dtype, dims.as_slice()));
    got
}

#[test]
fn half_softmaxes_are_within_one_ulp() {
    let n = 33;
    for dtype in HALVES {
        let xv = Rng::new(20).values(64 * n, -8.0, 8.0, dtype);
        let got = eval_half_rows(dtype, [64, n], &xv, |c, x| c.b.softmax(x, -1).unwrap());
        assert_within_one_ulp("softmax", dtype, &[], &got, &rows(&xv, n, softmax_ref));
        let got = eval_half_rows(dtype, [64, n], &xv, |c, x| c.b.log_softmax(x, -1).unwrap());
        let want = rows(&xv, n, log_softmax_ref);
        assert_within_one_ulp("log_softmax", dtype, &[], &got, &want);
    }
}

#[test]
fn half_norms_are_within_one_ulp() {
    let (r, n, eps) = (32, 40, 1e-5);
    for dtype in HALVES {
        let mut rng = Rng::new(21);
        let xv = rng.values(r * n, -3.0, 5.0, dtype);
        let wv = rng.values(n, 0.5, 1.5, dtype);
        let bv = rng.values(n, -1.0, 1.0, dtype);
        let got = eval_half_rows(dtype, [r, n], &xv, |c, x| {
            let w = c.input("w", dtype, &[n], &wv);
            let b = c.input("b", dtype, &[n], &bv);
            c.b.layernorm(x, Some(w), Some(b), eps).unwrap()
        });
        let want = rows(&xv, n, |row| {
            let (m, v) = (mean(row), pop_var(row));
            let norm = |i: usize, x: f64| (x - m) / (v + eps).sqrt() * wv[i] + bv[i];
            row.iter().enumerate().map(|(i, &x)| norm(i, x)).collect()
        });
        assert_within_one_ulp("layernorm", dtype, &[], &got, &want);
        let got = eval_half_rows(dtype, [r, n], &xv, |c, x| {
            let w = c.input("w", dtype, &[n], &wv);
            c.b.rmsnorm(x, Some(w), eps).unwrap()
        });
        let want = rows(&xv, n, |row| {
            let ms = row.iter().map(|v| v * v).sum::<f64>() / n as f64;
            let scale = 1.0 / (ms + eps).sqrt();
            row.iter()
                .enumerate()
                .map(|(i, &x)| x * scale * wv[i])
                .collect()
        });
        assert_within_one_ulp("rmsnorm", dtype, &[], &got, &want);
    }
}

#[test]
fn half_mean_and_var_are_within_one_ulp() {
    let (r, n) = (16, 50);
    for dtype in HALVES {
        let xv = Rng::new(22).values(r * n, -4.0, 4.0, dtype);
        for correction in [None, Some(1)] {
            let mut c = Case::new();
            let x = c.input("x", dtype, &[r, n], &xv);
            let y = match correction {
                None => c.b.mean(x, &[1]).unwrap(),
                Some(k) => c.b.var(x, &[1], k).unwrap(),
            };
            let (got_dtype, _, got) = c.eval(y);
            assert_eq!(got_dtype, dtype);
            let want = rows(&xv, n, |row| match correction {
                None => vec![mean(row)],
                Some(k) => vec![pop_var(row) * n as f64 / (n - k) as f64],
            });
            assert_within_one_ulp("mean/var", dtype, &[], &got, &want);
        }
    }
}

#[test]
fn half_attention_is_within_one_ulp() {
    let (s, t, d, dv) = (6, 9, 8, 5);
    for dtype in HALVES {
        let mut rng = Rng::new(23);
        let qv = rng.values(s * d, -2.0, 2.0, dtype);
        let kv = rng.values(t * d, -2.0, 2.0, dtype);
        let vv = rng.values(t * dv, -2.0, 2.0, dtype);
        for causal in [false, true] {
            let mut c = Case::new();
            let q = c.input("q", dtype, &[s, d], &qv);
            let k = c.input("k", dtype, &[t, d], &kv);
            let v = c.input("v", dtype, &[t, dv], &vv);
            let y = c.b.attention(q, k, v, causal, None).unwrap();
            let (got_dtype, _, got) = c.eval(y);
            assert_eq!(got_dtype, dtype);
            let scale = 1.0 / (d as f64).sqrt();
            let want = attention_ref(&qv, &kv, &vv, [s, t, d, dv], causal, scale);
            assert_within_one_ulp("attention", dtype, &[], &got, &want);
        }
    }
}

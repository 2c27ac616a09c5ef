//! Hand-built kernels run through the kernel-IR interpreter and checked against plain Rust
//! loops written here (f32 arithmetic in Rust's own `f32`, wrapping integers in `i32`,
//! f16 through the `half` crate); the printer against text written by hand; and every
//! error the interpreter reports, each an `Err`, never a panic.

use egpu_ir::interp::{Data, Tensor};
use egpu_ir::kernel::{
    self, AccUpdate, Access, Axis, Kernel, KernelBuilder, KernelError, Launch, Memory, TileRef,
    ValueId,
};
use egpu_ir::{BinaryOp, DType, ReduceOp, Scalar};
use half::f16;

// ---------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------

fn bin(b: &mut KernelBuilder, op: BinaryOp, x: ValueId, y: ValueId) -> ValueId {
    b.binary(op, x, y).unwrap()
}

/// `workgroup_id.x * size + local_id.x`.
fn global_id(b: &mut KernelBuilder, size: i32) -> ValueId {
    let wg = b.workgroup_id(Axis::X);
    let lid = b.local_id(Axis::X);
    let size = b.const_i32(size);
    let base = bin(b, BinaryOp::Mul, wg, size);
    bin(b, BinaryOp::Add, base, lid)
}

fn tensor(dtype: DType, values: &[f64]) -> Tensor {
    Tensor::from_f64(dtype, &[values.len()], values).unwrap()
}

fn ints(values: &[i32]) -> Tensor {
    let data = Data::Int(values.iter().map(|&v| i128::from(v)).collect());
    Tensor::new(
        DType::I32,
        egpu_ir::Shape::new(vec![values.len()]).unwrap(),
        data,
    )
    .unwrap()
}

fn zeros(dtype: DType, len: usize) -> Tensor {
    tensor(dtype, &vec![0.0; len])
}

/// Deterministic values in [-8, 8) with a fractional part: not all sums are exact in f32.
fn values(n: usize, seed: u64) -> Vec<f64> {
    let mut state = seed
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    (0..n)
        .map(|_| {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let bits = (state >> 40) as f64 / (1u64 << 24) as f64;
            f64::from((bits * 16.0 - 8.0) as f32)
        })
        .collect()
}

fn as_f32(t: &Tensor) -> Vec<f32> {
    t.to_f64_vec().into_iter().map(|v| v as f32).collect()
}

fn as_i32(t: &Tensor) -> Vec<i32> {
    match &t.data {
        Data::Int(v) => v.iter().map(|&x| x as i32).collect(),
        other => panic!("not integers: {other:?}"),
    }
}

/// The vector add kernel: `c[i] = a[i] + b[i]` for `i < n`, with `n` a scalar parameter
/// and the grid rounded up to whole workgroups of 256; `masked: false` drops the mask.
fn vector_add(len: usize, groups: u32, masked: bool) -> Kernel {
    let mut b = KernelBuilder::new("add_0", Launch::linear(groups, 256), 32);
    let pa = b.buffer("a", DType::F32, len, Access::Read).unwrap();
    let pb = b.buffer("b", DType::F32, len, Access::Read).unwrap();
    let pc = b.buffer("c", DType::F32, len, Access::Write).unwrap();
    let pn = b.scalar_param("n", DType::I32).unwrap();
    let i = global_id(&mut b, 256);
    let n = b.param(pn).unwrap();
    let inside = bin(&mut b, BinaryOp::CmpLt, i, n);
    let mask = masked.then_some(inside);
    let x = b.load(Memory::Global(pa), i, 1, mask).unwrap();
    let y = b.load(Memory::Global(pb), i, 1, mask).unwrap();
    let sum = bin(&mut b, BinaryOp::Add, x, y);
    b.store(Memory::Global(pc), i, sum, mask).unwrap();
    b.finish().unwrap()
}

// ---------------------------------------------------------------------------------------
// Results
// ---------------------------------------------------------------------------------------

#[test]
fn vector_add_over_several_workgroups_with_a_bounds_mask() {
    let n = 1000; // not a multiple of 256: the last workgroup has 24 lanes with nothing to do
    let kernel = vector_add(n, 4, true);
    let (a, b) = (values(n, 1), values(n, 2));
    let mut buffers = [
        tensor(DType::F32, &a),
        tensor(DType::F32, &b),
        zeros(DType::F32, n),
    ];
    kernel::run(&kernel, &mut buffers, &[n as i64]).unwrap();
    let expected: Vec<f32> = (0..n).map(|i| a[i] as f32 + b[i] as f32).collect();
    assert_eq!(as_f32(&buffers[2]), expected);
}

#[test]
fn row_sum_with_a_loop_and_an_accumulator() {
    let (rows, cols) = (8usize, 37usize);
    let mut b = KernelBuilder::new("sum_rows", Launch::linear(2, 4), 4);
    let px = b
        .buffer("x", DType::F32, rows * cols, Access::Read)
        .unwrap();
    let py = b.buffer("y", DType::F32, rows, Access::Write).unwrap();
    let row = global_id(&mut b, 4);
    let width = b.const_i32(cols as i32);
    let start = bin(&mut b, BinaryOp::Mul, row, width);
    let zero = b.const_f32(0.0);
    let acc = b.acc_init(zero).unwrap();
    let first = b.const_i32(0);
    let j = b.begin_loop(first, width, 1, false).unwrap();
    let at = bin(&mut b, BinaryOp::Add, start, j);
    let x = b.load(Memory::Global(px), at, 1, None).unwrap();
    b.acc_update(acc, AccUpdate::Combine(ReduceOp::Sum), x)
        .unwrap();
    b.end_loop().unwrap();
    let total = b.acc_read(acc).unwrap();
    b.store(Memory::Global(py), row, total, None).unwrap();
    let kernel = b.finish().unwrap();

    let x = values(rows * cols, 3);
    let mut buffers = [tensor(DType::F32, &x), zeros(DType::F32, rows)];
    kernel::run(&kernel, &mut buffers, &[]).unwrap();
    let expected: Vec<f32> = (0..rows)
        .map(|r| (0..cols).fold(0f32, |s, c| s + x[r * cols + c] as f32))
        .collect();
    assert_eq!(as_f32(&buffers[1]), expected);
}

/// Per workgroup of 256 lanes: `sh[lid] = x[gid]`, then halving steps `sh[lid] +=
/// sh[lid + s]` for `lid < s`, each followed by a barrier; lane 0 stores `sh[0]`.
/// `barrier_in_loop: false` leaves out the barrier between steps (a race).
fn tree_reduction(groups: u32, barrier_in_loop: bool) -> Kernel {
    let mut b = KernelBuilder::new("tree_sum", Launch::linear(groups, 256), 32);
    let px = b
        .buffer("x", DType::I32, 256 * groups as usize, Access::Read)
        .unwrap();
    let py = b
        .buffer("y", DType::I32, groups as usize, Access::Write)
        .unwrap();
    let sh = Memory::Shared(b.shared("partial", DType::I32, 256).unwrap());
    let gid = global_id(&mut b, 256);
    let lid = b.local_id(Axis::X);
    let x = b.load(Memory::Global(px), gid, 1, None).unwrap();
    b.store(sh, lid, x, None).unwrap();
    b.barrier();
    let (zero, steps, half) = (b.const_i32(0), b.const_i32(8), b.const_i32(128));
    let k = b.begin_loop(zero, steps, 1, true).unwrap();
    let s = bin(&mut b, BinaryOp::Shr, half, k);
    let active = bin(&mut b, BinaryOp::CmpLt, lid, s);
    b.begin_if(active).unwrap();
    let other = bin(&mut b, BinaryOp::Add, lid, s);
    let mine = b.load(sh, lid, 1, None).unwrap();
    let theirs = b.load(sh, other, 1, None).unwrap();
    let sum = bin(&mut b, BinaryOp::Add, mine, theirs);
    b.store(sh, lid, sum, None).unwrap();
    b.end_if().unwrap();
    if barrier_in_loop {
        b.barrier();
    }
    b.end_loop().unwrap();
    let is_first = bin(&mut b, BinaryOp::CmpEq, lid, zero);
    b.begin_if(is_first).unwrap();
    let total = b.load(sh, zero, 1, None).unwrap();
    let wg = b.workgroup_id(Axis::X);
    b.store(Memory::Global(py), wg, total, None).unwrap();
    b.end_if().unwrap();
    b.finish().unwrap()
}

#[test]
fn workgroup_tree_reduction_in_shared_memory_with_barriers() {
    let groups = 3;
    let x: Vec<i32> = (0..256 * groups)
        .map(|i| (i as i32).wrapping_mul(2_654_435_761_u32 as i32) >> 3)
        .collect();
    let mut buffers = [ints(&x), ints(&vec![0; groups])];
    kernel::run(&tree_reduction(groups as u32, true), &mut buffers, &[]).unwrap();
    let expected: Vec<i32> = x
        .chunks(256)
        .map(|c| c.iter().fold(0i32, |s, &v| s.wrapping_add(v)))
        .collect();
    assert_eq!(as_i32(&buffers[1]), expected);
}

#[test]
fn a_missing_barrier_between_reduction_steps_is_a_data_race() {
    let x = vec![1; 256];
    let mut buffers = [ints(&x), ints(&[0])];
    let err = kernel::run(&tree_reduction(1, false), &mut buffers, &[]).unwrap_err();
    assert!(matches!(err, KernelError::Race { .. }), "{err}");
    assert!(err.to_string().contains("shared partial["), "{err}");
}

/// Pairwise sums in the order the kernel IR defines: halves summed, then added.
fn pairwise_sum(v: &[f32]) -> f32 {
    if v.len() == 1 {
        v[0]
    } else {
        let (left, right) = v.split_at(v.len() / 2);
        pairwise_sum(left) + pairwise_sum(right)
    }
}

#[test]
fn subgroup_reductions_sum_and_max() {
    let n = 128;
    let mut b = KernelBuilder::new("subgroup", Launch::linear(2, 64), 32);
    let px = b.buffer("x", DType::F32, n, Access::Read).unwrap();
    let pk = b.buffer("k", DType::I32, n, Access::Read).unwrap();
    let ps = b.buffer("sums", DType::F32, n / 32, Access::Write).unwrap();
    let pm = b
        .buffer("maxes", DType::I32, n / 32, Access::Write)
        .unwrap();
    let gid = global_id(&mut b, 64);
    let x = b.load(Memory::Global(px), gid, 1, None).unwrap();
    let k = b.load(Memory::Global(pk), gid, 1, None).unwrap();
    let sum = b.subgroup_reduce(ReduceOp::Sum, x).unwrap();
    let max = b.subgroup_reduce(ReduceOp::Max, k).unwrap();
    let (c31, c5) = (b.const_i32(31), b.const_i32(5));
    let lane = bin(&mut b, BinaryOp::And, gid, c31);
    let zero = b.const_i32(0);
    let first = bin(&mut b, BinaryOp::CmpEq, lane, zero);
    let group = bin(&mut b, BinaryOp::Shr, gid, c5);
    b.begin_if(first).unwrap();
    b.store(Memory::Global(ps), group, sum, None).unwrap();
    b.store(Memory::Global(pm), group, max, None).unwrap();
    b.end_if().unwrap();
    let kernel = b.finish().unwrap();

    let x = values(n, 4);
    let k: Vec<i32> = (0..n as i32).map(|i| (i * 37) % 101 - 50).collect();
    let mut buffers = [
        tensor(DType::F32, &x),
        ints(&k),
        zeros(DType::F32, n / 32),
        ints(&[0; 4]),
    ];
    kernel::run(&kernel, &mut buffers, &[]).unwrap();
    let x32: Vec<f32> = x.iter().map(|&v| v as f32).collect();
    let sums: Vec<f32> = x32.chunks(32).map(pairwise_sum).collect();
    let maxes: Vec<i32> = k
        .chunks(32)
        .map(|c| c.iter().copied().fold(i32::MIN, i32::max))
        .collect();
    assert_eq!(as_f32(&buffers[2]), sums);
    assert_eq!(as_i32(&buffers[3]), maxes);
}

#[test]
fn vectorized_copy_of_width_4_with_a_vector_multiply() {
    let n = 256;
    let mut b = KernelBuilder::new("copy4", Launch::linear(2, 32), 32);
    let pa = b.buffer("a", DType::F32, n, Access::Read).unwrap();
    let pb = b.buffer("b", DType::F32, n, Access::Write).unwrap();
    let gid = global_id(&mut b, 32);
    let four = b.const_i32(4);
    let at = bin(&mut b, BinaryOp::Mul, gid, four);
    let v = b.load(Memory::Global(pa), at, 4, None).unwrap();
    let two = b.const_f32(2.0);
    let twos = b.splat(two, 4).unwrap();
    let doubled = bin(&mut b, BinaryOp::Mul, v, twos);
    b.store(Memory::Global(pb), at, doubled, None).unwrap();
    let kernel = b.finish().unwrap();

    let a = values(n, 5);
    let mut buffers = [tensor(DType::F32, &a), zeros(DType::F32, n)];
    kernel::run(&kernel, &mut buffers, &[]).unwrap();
    let expected: Vec<f32> = a.iter().map(|&v| v as f32 * 2.0).collect();
    assert_eq!(as_f32(&buffers[1]), expected);
}

/// `C = A · B` for 32×32 f32 matrices: 8×8 tiles of A and B staged in shared memory by
/// 8×8 workgroups, a barrier after staging and after use.
fn tiled_matmul() -> Kernel {
    const N: i32 = 32;
    const T: i32 = 8;
    let launch = Launch {
        grid: [4, 4, 1],
        workgroup: [8, 8, 1],
    };
    let mut b = KernelBuilder::new("matmul", launch, 32);
    let len = (N * N) as usize;
    let pa = b.buffer("a", DType::F32, len, Access::Read).unwrap();
    let pb = b.buffer("b", DType::F32, len, Access::Read).unwrap();
    let pc = b.buffer("c", DType::F32, len, Access::Write).unwrap();
    let sa = Memory::Shared(b.shared("a_tile", DType::F32, 64).unwrap());
    let sb = Memory::Shared(b.shared("b_tile", DType::F32, 64).unwrap());
    let (lx, ly) = (b.local_id(Axis::X), b.local_id(Axis::Y));
    let (wx, wy) = (b.workgroup_id(Axis::X), b.workgroup_id(Axis::Y));
    let (t, n, zero) = (b.const_i32(T), b.const_i32(N), b.const_i32(0));
    let wy_t = bin(&mut b, BinaryOp::Mul, wy, t);
    let row = bin(&mut b, BinaryOp::Add, wy_t, ly);
    let wx_t = bin(&mut b, BinaryOp::Mul, wx, t);
    let col = bin(&mut b, BinaryOp::Add, wx_t, lx);
    let ly_t = bin(&mut b, BinaryOp::Mul, ly, t);
    let mine = bin(&mut b, BinaryOp::Add, ly_t, lx);
    let row_n = bin(&mut b, BinaryOp::Mul, row, n);
    let zero_f = b.const_f32(0.0);
    let acc = b.acc_init(zero_f).unwrap();
    let tiles = b.const_i32(N / T);
    let tile = b.begin_loop(zero, tiles, 1, false).unwrap();
    let k0 = bin(&mut b, BinaryOp::Mul, tile, t);
    let a_col = bin(&mut b, BinaryOp::Add, k0, lx);
    let a_at = bin(&mut b, BinaryOp::Add, row_n, a_col);
    let a = b.load(Memory::Global(pa), a_at, 1, None).unwrap();
    b.store(sa, mine, a, None).unwrap();
    let b_row = bin(&mut b, BinaryOp::Add, k0, ly);
    let b_row_n = bin(&mut b, BinaryOp::Mul, b_row, n);
    let b_at = bin(&mut b, BinaryOp::Add, b_row_n, col);
    let bv = b.load(Memory::Global(pb), b_at, 1, None).unwrap();
    b.store(sb, mine, bv, None).unwrap();
    b.barrier();
    let k = b.begin_loop(zero, t, 1, true).unwrap();
    let sa_at = bin(&mut b, BinaryOp::Add, ly_t, k);
    let k_t = bin(&mut b, BinaryOp::Mul, k, t);
    let sb_at = bin(&mut b, BinaryOp::Add, k_t, lx);
    let x = b.load(sa, sa_at, 1, None).unwrap();
    let y = b.load(sb, sb_at, 1, None).unwrap();
    let p = bin(&mut b, BinaryOp::Mul, x, y);
    b.acc_update(acc, AccUpdate::Combine(ReduceOp::Sum), p)
        .unwrap();
    b.end_loop().unwrap();
    b.barrier();
    b.end_loop().unwrap();
    let c_at = bin(&mut b, BinaryOp::Add, row_n, col);
    let c = b.acc_read(acc).unwrap();
    b.store(Memory::Global(pc), c_at, c, None).unwrap();
    b.finish().unwrap()
}

#[test]
fn tiled_matmul_with_shared_tiles_and_barriers() {
    let n = 32;
    let (a, b) = (values(n * n, 6), values(n * n, 7));
    let mut buffers = [
        tensor(DType::F32, &a),
        tensor(DType::F32, &b),
        zeros(DType::F32, n * n),
    ];
    kernel::run(&tiled_matmul(), &mut buffers, &[]).unwrap();
    let mut expected = vec![0f32; n * n];
    for i in 0..n {
        for j in 0..n {
            let mut s = 0f32;
            for k in 0..n {
                s += a[i * n + k] as f32 * b[k * n + j] as f32;
            }
            expected[i * n + j] = s;
        }
    }
    assert_eq!(as_f32(&buffers[2]), expected);
}

/// One subgroup of 32 lanes: stages A (row stride 24), B and D (stride 16) in shared
/// memory, 8 elements per lane, runs `D += A · B`, and writes D back.
fn matrix_tile_kernel() -> Kernel {
    let mut b = KernelBuilder::new("mma", Launch::linear(1, 32), 32);
    let pa = b.buffer("a", DType::F16, 256, Access::Read).unwrap();
    let pb = b.buffer("b", DType::F16, 256, Access::Read).unwrap();
    let pd = b.buffer("d", DType::F32, 256, Access::ReadWrite).unwrap();
    let sa = b.shared("sa", DType::F16, 16 * 24).unwrap();
    let sb = b.shared("sb", DType::F16, 256).unwrap();
    let sd = b.shared("sd", DType::F32, 256).unwrap();
    let lid = b.local_id(Axis::X);
    let (zero, eight, c4, c15, c24) = (
        b.const_i32(0),
        b.const_i32(8),
        b.const_i32(4),
        b.const_i32(15),
        b.const_i32(24),
    );
    let base = bin(&mut b, BinaryOp::Mul, lid, eight);
    let i = b.begin_loop(zero, eight, 1, true).unwrap();
    let e = bin(&mut b, BinaryOp::Add, base, i);
    let row = bin(&mut b, BinaryOp::Shr, e, c4);
    let col = bin(&mut b, BinaryOp::And, e, c15);
    let row24 = bin(&mut b, BinaryOp::Mul, row, c24);
    let a_at = bin(&mut b, BinaryOp::Add, row24, col);
    for (global, shared, at) in [(pa, sa, a_at), (pb, sb, e), (pd, sd, e)] {
        let v = b.load(Memory::Global(global), e, 1, None).unwrap();
        b.store(Memory::Shared(shared), at, v, None).unwrap();
    }
    b.end_loop().unwrap();
    b.barrier();
    let tile = |array, stride| TileRef {
        array,
        offset: zero,
        stride,
    };
    b.matrix_tile(tile(sa, 24), tile(sb, 16), tile(sd, 16))
        .unwrap();
    b.barrier();
    let i = b.begin_loop(zero, eight, 1, true).unwrap();
    let e = bin(&mut b, BinaryOp::Add, base, i);
    let v = b.load(Memory::Shared(sd), e, 1, None).unwrap();
    b.store(Memory::Global(pd), e, v, None).unwrap();
    b.end_loop().unwrap();
    b.finish().unwrap()
}

/// `d + a · b` for 16×16 row-major matrices, f16 inputs widened to f32, summed in f32.
fn naive_f16_product(a: &[f64], b: &[f64], d: &[f64]) -> Vec<f32> {
    let mut out = vec![0f32; 256];
    for i in 0..16 {
        for j in 0..16 {
            let mut s = d[i * 16 + j] as f32;
            for k in 0..16 {
                let x = f16::from_f64(a[i * 16 + k]).to_f32();
                let y = f16::from_f64(b[k * 16 + j]).to_f32();
                s += x * y;
            }
            out[i * 16 + j] = s;
        }
    }
    out
}

#[test]
fn matrix_tile_on_f16_matches_a_naive_product() {
    // Multiples of 1/4 below 4 in magnitude: every product and sum is exact in f32, so the
    // result is exact whatever the order of accumulation.
    let a: Vec<f64> = (0..256)
        .map(|i| f64::from((i * 7 % 29) - 14) / 4.0)
        .collect();
    let b: Vec<f64> = (0..256)
        .map(|i| f64::from((i * 5 % 23) - 11) / 4.0)
        .collect();
    let d: Vec<f64> = (0..256).map(|i| f64::from(i % 9) - 4.0).collect();
    let mut buffers = [
        tensor(DType::F16, &a),
        tensor(DType::F16, &b),
        tensor(DType::F32, &d),
    ];
    kernel::run(&matrix_tile_kernel(), &mut buffers, &[]).unwrap();
    assert_eq!(as_f32(&buffers[2]), naive_f16_product(&a, &b, &d));

    // Arbitrary f16 values: the op sums in f64 and rounds once, the loop rounds every step.
    let (a, b, d) = (values(256, 8), values(256, 9), values(256, 10));
    let mut buffers = [
        tensor(DType::F16, &a),
        tensor(DType::F16, &b),
        tensor(DType::F32, &d),
    ];
    kernel::run(&matrix_tile_kernel(), &mut buffers, &[]).unwrap();
    let got = as_f32(&buffers[2]);
    for (g, e) in got.iter().zip(naive_f16_product(&a, &b, &d)) {
        assert!((g - e).abs() <= 1e-4 * (1.0 + e.abs()), "{g} vs {e}");
    }
}

// ---------------------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------------------

#[test]
fn out_of_bounds_load_names_buffer_index_and_lane() {
    let n = 1000;
    let mut buffers = [
        zeros(DType::F32, n),
        zeros(DType::F32, n),
        zeros(DType::F32, n),
    ];
    let err = kernel::run(&vector_add(n, 4, false), &mut buffers, &[n as i64]).unwrap_err();
    assert!(
        matches!(err, KernelError::OutOfBounds { index: 1000, .. }),
        "{err:?}"
    );
    let text = err.to_string();
    for part in [
        "kernel add_0",
        "buffer a",
        "index 1000",
        "workgroup [3, 0, 0] lane [232, 0, 0]",
    ] {
        assert!(text.contains(part), "{part} missing in: {text}");
    }
}

#[test]
fn out_of_bounds_store_names_buffer_index_and_lane() {
    let mut b = KernelBuilder::new("shifted", Launch::linear(1, 64), 32);
    let pa = b.buffer("a", DType::I32, 64, Access::Read).unwrap();
    let pc = b.buffer("c", DType::I32, 64, Access::Write).unwrap();
    let lid = b.local_id(Axis::X);
    let x = b.load(Memory::Global(pa), lid, 1, None).unwrap();
    let one = b.const_i32(1);
    let next = bin(&mut b, BinaryOp::Add, lid, one);
    b.store(Memory::Global(pc), next, x, None).unwrap();
    let kernel = b.finish().unwrap();
    let mut buffers = [ints(&[5; 64]), ints(&[0; 64])];
    let err = kernel::run(&kernel, &mut buffers, &[]).unwrap_err();
    let text = err.to_string();
    assert!(
        matches!(
            err,
            KernelError::OutOfBounds {
                index: 64,
                len: 64,
                ..
            }
        ),
        "{text}"
    );
    assert!(
        text.contains("buffer c") && text.contains("lane [63, 0, 0]"),
        "{text}"
    );
    // Lanes before the faulting one have stored.
    assert_eq!(as_i32(&buffers[1])[1..], [5; 63]);
}

#[test]
fn out_of_bounds_shared_access_is_an_error() {
    let mut b = KernelBuilder::new("shared_oob", Launch::linear(1, 32), 32);
    let sh = Memory::Shared(b.shared("tile", DType::F32, 16).unwrap());
    let lid = b.local_id(Axis::X);
    let v = b.const_f32(1.0);
    b.store(sh, lid, v, None).unwrap();
    let kernel = b.finish().unwrap();
    let err = kernel::run(&kernel, &mut [], &[]).unwrap_err();
    assert!(
        matches!(err, KernelError::OutOfBounds { index: 16, .. }),
        "{err}"
    );
    assert!(err.to_string().contains("shared tile"), "{err}");
}

#[test]
fn a_store_into_a_read_only_buffer_is_refused() {
    // The builder refuses it, so no kernel that does it can reach the interpreter.
    let mut b = KernelBuilder::new("bad_store", Launch::linear(1, 32), 32);
    let pa = b.buffer("a", DType::F32, 32, Access::Read).unwrap();
    let lid = b.local_id(Axis::X);
    let v = b.const_f32(1.0);
    let err = b.store(Memory::Global(pa), lid, v, None).unwrap_err();
    assert!(matches!(err, KernelError::Build { .. }), "{err}");
    assert!(
        err.to_string().contains("buffer a is declared read"),
        "{err}"
    );
    // So is a load from a write-only buffer.
    let pc = b.buffer("c", DType::F32, 32, Access::Write).unwrap();
    let err = b.load(Memory::Global(pc), lid, 1, None).unwrap_err();
    assert!(
        err.to_string().contains("buffer c is declared write"),
        "{err}"
    );
}

#[test]
fn a_barrier_reached_by_only_some_lanes_is_divergent() {
    let mut b = KernelBuilder::new("divergent", Launch::linear(2, 64), 32);
    let lid = b.local_id(Axis::X);
    let half = b.const_i32(16);
    let low = bin(&mut b, BinaryOp::CmpLt, lid, half);
    b.begin_if(low).unwrap();
    b.barrier();
    b.end_if().unwrap();
    let kernel = b.finish().unwrap();
    let err = kernel::run(&kernel, &mut [], &[]).unwrap_err();
    let text = err.to_string();
    assert!(
        matches!(
            err,
            KernelError::Divergent {
                sync: "barrier",
                ..
            }
        ),
        "{text}"
    );
    assert!(text.contains("lane [0, 0, 0] waits at barrier 1"), "{text}");
    assert!(text.contains("lane [16, 0, 0] has finished"), "{text}");
}

#[test]
fn a_subgroup_reduction_reached_by_part_of_a_subgroup_is_divergent() {
    let mut b = KernelBuilder::new("divergent_subgroup", Launch::linear(1, 32), 32);
    let lid = b.local_id(Axis::X);
    let c = b.const_i32(3);
    let low = bin(&mut b, BinaryOp::CmpLt, lid, c);
    b.begin_if(low).unwrap();
    b.subgroup_reduce(ReduceOp::Sum, lid).unwrap();
    b.end_if().unwrap();
    let kernel = b.finish().unwrap();
    let err = kernel::run(&kernel, &mut [], &[]).unwrap_err();
    assert!(
        matches!(
            err,
            KernelError::Divergent {
                sync: "subgroup operation",
                ..
            }
        ),
        "{err}"
    );
}

#[test]
fn integer_division_by_zero_names_the_value_and_lane() {
    let mut b = KernelBuilder::new("divide", Launch::linear(1, 8), 8);
    let pa = b.buffer("a", DType::I32, 8, Access::Read).unwrap();
    let pc = b.buffer("c", DType::I32, 8, Access::Write).unwrap();
    let lid = b.local_id(Axis::X);
    let x = b.load(Memory::Global(pa), lid, 1, None).unwrap();
    let hundred = b.const_i32(100);
    let q = bin(&mut b, BinaryOp::Idiv, hundred, x);
    b.store(Memory::Global(pc), lid, q, None).unwrap();
    let kernel = b.finish().unwrap();
    let mut buffers = [ints(&[1, 2, 3, 0, 5, 6, 7, 8]), ints(&[0; 8])];
    let err = kernel::run(&kernel, &mut buffers, &[]).unwrap_err();
    let text = err.to_string();
    assert!(matches!(err, KernelError::DivisionByZero { .. }), "{text}");
    assert!(
        text.contains(&format!("{q} = idiv")) && text.contains("lane [3, 0, 0]"),
        "{text}"
    );
}

#[test]
fn reading_unwritten_shared_memory_is_an_error() {
    let mut b = KernelBuilder::new("uninit", Launch::linear(1, 32), 32);
    let pc = b.buffer("c", DType::F32, 32, Access::Write).unwrap();
    let sh = Memory::Shared(b.shared("tile", DType::F32, 32).unwrap());
    let lid = b.local_id(Axis::X);
    let v = b.load(sh, lid, 1, None).unwrap();
    b.store(Memory::Global(pc), lid, v, None).unwrap();
    let kernel = b.finish().unwrap();
    let err = kernel::run(&kernel, &mut [zeros(DType::F32, 32)], &[]).unwrap_err();
    assert!(
        matches!(err, KernelError::Uninitialized { index: 0, .. }),
        "{err}"
    );
}

#[test]
fn arguments_must_match_the_parameters() {
    let kernel = vector_add(16, 1, true);
    let f32s = |lens: [usize; 3]| lens.map(|n| zeros(DType::F32, n)).to_vec();
    let mut wrong_dtype = f32s([16, 16, 16]);
    wrong_dtype[0] = zeros(DType::F16, 16);
    let cases: Vec<(Vec<Tensor>, Vec<i64>)> = vec![
        (wrong_dtype, vec![16]),
        (f32s([15, 16, 16]), vec![16]),
        (f32s([16, 16, 16])[..2].to_vec(), vec![16]),
        (f32s([16, 16, 16]), vec![]),
        (f32s([16, 16, 16]), vec![1 << 40]),
    ];
    for (mut buffers, scalars) in cases {
        let err = kernel::run(&kernel, &mut buffers, &scalars).unwrap_err();
        assert!(matches!(err, KernelError::Argument { .. }), "{err}");
    }
}

// ---------------------------------------------------------------------------------------
// Printer
// ---------------------------------------------------------------------------------------

#[test]
fn printer_writes_the_expected_text() {
    let expected = "\
kernel add_0(a: global f32[1000] read, b: global f32[1000] read, c: global f32[1000] write, n: i32)
  grid [4, 1, 1] workgroup [256, 1, 1] subgroup 32
{
  v0: i32 = workgroup_id.x
  v1: i32 = local_id.x
  v2: i32 = const 256
  v3: i32 = mul v0, v2
  v4: i32 = add v3, v1
  v5: i32 = param n
  v6: bool = cmplt v4, v5
  v7: f32 = load a[v4] mask v6
  v8: f32 = load b[v4] mask v6
  v9: f32 = add v7, v8
  store c[v4] = v9 mask v6
}
";
    assert_eq!(kernel::print(&vector_add(1000, 4, true)), expected);
}

#[test]
fn printer_writes_loops_ifs_accumulators_and_tiles() {
    let expected = "\
kernel mma(a: global f16[256] read, b: global f16[256] read, d: global f32[256] read_write)
  grid [1, 1, 1] workgroup [32, 1, 1] subgroup 32
  shared sa: f16[384]
  shared sb: f16[256]
  shared sd: f32[256]
{
  v0: i32 = local_id.x
  v1: i32 = const 0
  v2: i32 = const 8
  v3: i32 = const 4
  v4: i32 = const 15
  v5: i32 = const 24
  v6: i32 = mul v0, v2
  for v7: i32 in v1..v2 unroll {
    v8: i32 = add v6, v7
    v9: i32 = shr v8, v3
    v10: i32 = and v8, v4
    v11: i32 = mul v9, v5
    v12: i32 = add v11, v10
    v13: f16 = load a[v8]
    store sa[v12] = v13
    v14: f16 = load b[v8]
    store sb[v8] = v14
    v15: f32 = load d[v8]
    store sd[v8] = v15
  }
  barrier
  matrix_tile sd[v1, stride 16] += sa[v1, stride 24] * sb[v1, stride 16]
  barrier
  for v16: i32 in v1..v2 unroll {
    v17: i32 = add v6, v16
    v18: f32 = load sd[v17]
    store d[v17] = v18
  }
}
";
    assert_eq!(kernel::print(&matrix_tile_kernel()), expected);

    let mut b = KernelBuilder::new("misc", Launch::linear(1, 4), 4);
    let lid = b.local_id(Axis::Y);
    let zero = b.const_i32(0);
    let big = b.constant(DType::I64, Scalar::Int(1 << 40)).unwrap();
    let wide = b.cast(lid, DType::I64).unwrap();
    let acc = b.acc_init(wide).unwrap();
    let is_zero = bin(&mut b, BinaryOp::CmpEq, lid, zero);
    b.begin_if(is_zero).unwrap();
    b.acc_update(acc, AccUpdate::Assign, big).unwrap();
    b.begin_else().unwrap();
    b.acc_update(acc, AccUpdate::Combine(ReduceOp::Max), big)
        .unwrap();
    b.end_if().unwrap();
    let four = b.const_i32(4);
    b.begin_loop(zero, four, 2, false).unwrap();
    let r = b.acc_read(acc).unwrap();
    let v = b.vector(&[r, r]).unwrap();
    b.extract(v, 1).unwrap();
    b.end_loop().unwrap();
    let expected = "\
kernel misc()
  grid [1, 1, 1] workgroup [4, 1, 1] subgroup 4
{
  v0: i32 = local_id.y
  v1: i32 = const 0
  v2: i64 = const 1099511627776
  v3: i64 = cast v0
  acc0: i64 = init v3
  v4: bool = cmpeq v0, v1
  if v4 {
    acc0 = v2
  } else {
    acc0 = max acc0, v2
  }
  v5: i32 = const 4
  for v6: i32 in v1..v5 step 2 {
    v7: i64 = read acc0
    v8: i64x2 = vec v7, v7
    v9: i64 = extract v8, 1
  }
}
";
    let kernel = b.finish().unwrap();
    assert_eq!(kernel.to_string(), expected);
}

#[test]
fn printing_is_byte_stable() {
    for kernel in [
        vector_add(100, 1, true),
        tiled_matmul(),
        tree_reduction(2, true),
    ] {
        let first = kernel::print(&kernel);
        assert_eq!(first, kernel::print(&kernel));
        assert_eq!(first, kernel::print(&kernel.clone()));
        assert_eq!(first, kernel.to_string());
    }
}

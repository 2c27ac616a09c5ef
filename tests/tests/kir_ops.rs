//! The kernel-IR constructs for backends (`fma`, atomics, matrix fragments, ids and use
//! lists): each written as `.kir` text, which must print back to the same bytes, and run on
//! the interpreter against results computed by hand (exact powers of two, so the expected
//! values are independent of the code under test).

use egpu_ir::DType;
use egpu_ir::interp::Tensor;
use egpu_ir::kernel::text::parse;
use egpu_ir::kernel::{Kernel, print, run};

/// Parses `text`, checks it prints back to the same bytes, and returns the kernel.
#[track_caller]
fn round_trip(text: &str) -> Kernel {
    let kernel = parse(text).unwrap_or_else(|e| panic!("{}", e.render("case.kir", text)));
    assert_eq!(print(&kernel), text, "printed differently");
    kernel
}

fn floats(dtype: DType, values: &[f64]) -> Tensor {
    Tensor::from_f64(dtype, &[values.len()], values).unwrap_or_else(|e| panic!("{e}"))
}

const FMA: &str = "\
kernel fma_f32(a: global f32[4] read, b: global f32[4] read, c: global f32[4] read, out: global f32[4] write)
  grid [1, 1, 1] workgroup [4, 1, 1] subgroup 32
{
  v0: i32 = local_id.x
  v1: f32 = load a[v0]
  v2: f32 = load b[v0]
  v3: f32 = load c[v0]
  v4: f32 = fma v1, v2, v3
  store out[v0] = v4
  v5: f32 = mul v1, v2
  v6: f32 = add v5, v3
  store out[v0] = v6
}
";

#[test]
fn fma_rounds_once_where_mul_then_add_rounds_twice() {
    let fused = FMA.replace(
        "  v5: f32 = mul v1, v2\n  v6: f32 = add v5, v3\n  store out[v0] = v6\n",
        "",
    );
    let unfused = FMA.replace("  store out[v0] = v4\n", "");
    let p = |e: i32| 2f64.powi(e);
    // Lane 0: (1 + 2^-12)^2 - 1 = 2^-11 + 2^-24: the product rounded to f32 loses 2^-24.
    // Lane 1: (1 + 2^-12)^2 + 2^-30 = 1 + 2^-11 + 2^-24 + 2^-30 rounds up to 1 + 2^-11 + 2^-23
    //         fused; unfused the product ties to even (1 + 2^-11) and 2^-30 is lost.
    // Lanes 2, 3: exact results (3 · 4 + 0.5, and a negative one).
    let a = [1.0 + p(-12), 1.0 + p(-12), 3.0, -2.0];
    let c = [-1.0, p(-30), 0.5, 1.0];
    let fused_want = [p(-11) + p(-24), 1.0 + p(-11) + p(-23), 12.5, -7.0];
    let unfused_want = [p(-11), 1.0 + p(-11), 12.5, -7.0];
    let b = [1.0 + p(-12), 1.0 + p(-12), 4.0, 4.0];
    for (text, want) in [(fused, fused_want), (unfused, unfused_want)] {
        let kernel = round_trip(&text);
        let mut buffers = [
            floats(DType::F32, &a),
            floats(DType::F32, &b),
            floats(DType::F32, &c),
            floats(DType::F32, &[0.0; 4]),
        ];
        run(&kernel, &mut buffers, &[]).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(buffers[3].to_f64_vec(), want, "{text}");
    }
}

#[test]
fn fma_needs_three_floats_of_one_type() {
    let bad = FMA.replace("v4: f32 = fma v1, v2, v3", "v4: f32 = fma v1, v2, v0");
    let e = parse(&bad).err().map(|e| e.message);
    assert_eq!(
        e.as_deref(),
        Some("v4 = fma: operands v1: f32 and v0: i32 differ in type")
    );
    let ints = "\
kernel k(a: global i32[4] read_write)
  grid [1, 1, 1] workgroup [4, 1, 1] subgroup 32
{
  v0: i32 = local_id.x
  v1: i32 = fma v0, v0, v0
}
";
    let e = parse(ints).err().map(|e| (e.line, e.message));
    assert_eq!(
        e,
        Some((5, "v1 = fma: needs float operands, got i32".into()))
    );
}

const NESTED: &str = "\
kernel ids(a: global i32[8] read_write)
  grid [1, 1, 1] workgroup [4, 1, 1] subgroup 32
{
  v0: i32 = local_id.x
  v1: i32 = const 0
  v2: i32 = const 2
  for v3: i32 in v1..v2 {
    v4: i32 = add v0, v3
    v5: bool = cmplt v4, v2
    if v5 {
      store a[v4] = v4
    } else {
      store a[v0] = v3
    }
  }
  for v6: i32 in v1..v0 {
  }
}
";

#[test]
fn statements_loops_and_blocks_are_numbered_in_program_order() {
    use egpu_ir::kernel::{BlockId, BlockKind, LoopId, StmtId};
    let kernel = round_trip(NESTED);
    let index = kernel.index();
    let s = StmtId::from_u32;
    let b = BlockId::from_u32;
    // The block of each statement, counted by hand from the text above.
    let blocks: Vec<u32> = index.stmts().map(|(_, i)| i.block.as_u32()).collect();
    assert_eq!(blocks, [0, 0, 0, 0, 1, 1, 1, 2, 3, 0]);
    let loops: Vec<(LoopId, StmtId)> = index.loops().collect();
    assert_eq!(
        loops,
        [(LoopId::from_u32(0), s(3)), (LoopId::from_u32(1), s(9))]
    );
    let shape: Vec<(BlockKind, Option<StmtId>, Option<BlockId>, usize)> = index
        .blocks()
        .map(|(_, i)| (i.kind, i.opened_by, i.parent, i.stmts.len()))
        .collect();
    assert_eq!(
        shape,
        [
            (BlockKind::Kernel, None, None, 5),
            (
                BlockKind::Loop(LoopId::from_u32(0)),
                Some(s(3)),
                Some(b(0)),
                3
            ),
            (BlockKind::Then, Some(s(6)), Some(b(1)), 1),
            (BlockKind::Else, Some(s(6)), Some(b(1)), 1),
            (
                BlockKind::Loop(LoopId::from_u32(1)),
                Some(s(9)),
                Some(b(0)),
                0
            ),
        ]
    );
}

#[test]
fn use_lists_name_every_reader_in_program_order() {
    use egpu_ir::kernel::{StmtId, User, ValueId};
    let kernel = round_trip(NESTED);
    let index = kernel.index();
    let (v, s) = (ValueId::from_u32, StmtId::from_u32);
    let (val, st) = (|i| User::Value(v(i)), |i| User::Stmt(s(i)));
    let want: [&[User]; 7] = [
        &[val(4), st(8), st(9)], // v0: the add, the else-store's index, the second loop's end
        &[st(3), st(9)],         // v1: both loops' starts
        &[st(3), val(5)],        // v2: the first loop's end, the compare
        &[val(4), st(8)],        // v3: the add, the else-store's value
        &[val(5), st(7), st(7)], // v4: the compare, the store's index and value
        &[st(6)],                // v5: the if
        &[],                     // v6: unused
    ];
    for (i, users) in want.iter().enumerate() {
        assert_eq!(index.uses(v(i as u32)), *users, "uses of v{i}");
    }
    let defs: Vec<Option<StmtId>> = (0..7).map(|i| index.def(v(i))).collect();
    let want_defs = [0, 1, 2, 3, 4, 5, 9].map(|i| Some(s(i)));
    assert_eq!(defs, want_defs);
}

fn ints(dtype: DType, values: &[i128]) -> Tensor {
    let shape = egpu_ir::Shape::new(vec![values.len()]).unwrap_or_else(|e| panic!("{e}"));
    let data = egpu_ir::interp::Data::Int(values.to_vec());
    Tensor::new(dtype, shape, data).unwrap_or_else(|e| panic!("{e}"))
}

const GRID_REDUCE: &str = "\
kernel reduce(x: global f32[32] read, y: global i32[32] read, sum: global f32[1] read_write, big: global i32[2] read_write)
  grid [4, 1, 1] workgroup [8, 1, 1] subgroup 32
{
  v0: i32 = workgroup_id.x
  v1: i32 = const 8
  v2: i32 = mul v0, v1
  v3: i32 = local_id.x
  v4: i32 = add v2, v3
  v5: f32 = load x[v4]
  v6: i32 = const 0
  atomic_add sum[v6], v5
  v7: i32 = load y[v4]
  atomic_max big[v6], v7
  v8: i32 = const 1
  atomic_min big[v8], v7
}
";

/// Runs GRID_REDUCE on `x` with y[i] = (7i mod 32) - 16, sum = 0.5, big = [-100, 100].
fn grid_reduce(x: &[f64]) -> (Vec<f64>, Vec<f64>) {
    let kernel = round_trip(GRID_REDUCE);
    let y: Vec<i128> = (0..32).map(|i| (7 * i) % 32 - 16).collect();
    let mut buffers = [
        floats(DType::F32, x),
        ints(DType::I32, &y),
        floats(DType::F32, &[0.5]),
        ints(DType::I32, &[-100, 100]),
    ];
    run(&kernel, &mut buffers, &[]).unwrap_or_else(|e| panic!("{e}"));
    (buffers[2].to_f64_vec(), buffers[3].to_f64_vec())
}

#[test]
fn global_atomics_combine_every_lane_of_every_workgroup() {
    let x: Vec<f64> = (0..32).map(f64::from).collect();
    let (sum, big) = grid_reduce(&x);
    // 0.5 + (0 + 1 + … + 31) = 496.5; 7i mod 32 takes every value 0..31 once.
    assert_eq!(sum, [496.5]);
    assert_eq!(big, [15.0, -16.0]);
}

#[test]
fn float_atomic_add_takes_the_interpreters_fixed_order() {
    // Workgroups in order, lanes in order: 2^24 first, then 31 ones, each of which is a tie
    // (2^24 + 1 between two f32 values) that goes to even, so every one is lost. The exact
    // sum (2^24 + 31.5) would round to 2^24 + 32: a hardware order may give any result in
    // between, which is why float atomics are compared with a tolerance.
    let mut x = vec![1.0; 32];
    x[0] = 2f64.powi(24);
    let (sum, _) = grid_reduce(&x);
    assert_eq!(sum, [2f64.powi(24)]);
    // Big one last: 0.5 and the ones sum exactly to 31.5 first, then one rounding: 2^24 + 32.
    x.swap(0, 31);
    let (sum, _) = grid_reduce(&x);
    assert_eq!(sum, [2f64.powi(24) + 32.0]);
}

const SHARED_COUNT: &str = "\
kernel count(out: global i32[1] write)
  grid [1, 1, 1] workgroup [8, 1, 1] subgroup 32
  shared c: i32[1]
{
  v0: i32 = local_id.x
  v1: i32 = const 0
  v2: bool = cmpeq v0, v1
  if v2 {
    store c[v1] = v1
  }
  barrier
  atomic_add c[v1], v0
  barrier
  if v2 {
    v3: i32 = load c[v1]
    store out[v1] = v3
  }
}
";

#[test]
fn shared_atomics_do_not_race_with_each_other_but_with_plain_accesses() {
    let kernel = round_trip(SHARED_COUNT);
    let mut out = [ints(DType::I32, &[0])];
    run(&kernel, &mut out, &[]).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(out[0].to_f64_vec(), [28.0]); // 0 + 1 + … + 7
    // Without the second barrier lane 0 reads while lanes 1..7 update: a race.
    let racy = SHARED_COUNT.replacen("  barrier\n  if v2 {\n    v3", "  if v2 {\n    v3", 1);
    let kernel = round_trip(&racy);
    let e = run(&kernel, &mut out, &[]).err().map(|e| e.to_string());
    let e = e.unwrap_or_default();
    assert!(
        e.contains("race") && e.contains("updated atomically"),
        "{e}"
    );
    // Without the first store and barrier the element is read before it is written.
    let unwritten =
        SHARED_COUNT.replacen("  if v2 {\n    store c[v1] = v1\n  }\n  barrier\n", "", 1);
    let kernel = round_trip(&unwritten);
    let e = run(&kernel, &mut out, &[]).err().map(|e| e.to_string());
    assert!(e.unwrap_or_default().contains("shared c"));
}

#[test]
fn atomics_need_scalars_of_an_allowed_dtype_in_read_write_memory() {
    let cases = [
        (
            "atomic_add sum[v6], v5",
            "atomic_max sum[v6], v5",
            "needs i32 memory, not f32",
        ),
        (
            "atomic_add sum[v6], v5",
            "atomic_add sum[v6], v4",
            "the value v4 is i32; sum holds f32",
        ),
        (
            "atomic_add sum[v6], v5",
            "atomic_add x[v6], v5",
            "buffer x is declared read",
        ),
    ];
    for (from, to, part) in cases {
        let text = GRID_REDUCE.replace(from, to);
        let e = parse(&text).err().map(|e| e.message).unwrap_or_default();
        assert!(e.contains(part), "{to}: {e}");
    }
}

/// A and B copied to shared memory once, then a k-loop of 3 steps accumulating A·B into a
/// fragment held across the loop, stored to shared memory once and copied out.
const FRAGMENT: &str = "\
kernel frag(x: global f16[256] read, y: global f16[256] read, out: global f32[256] write)
  grid [1, 1, 1] workgroup [32, 1, 1] subgroup 32
  shared a: f16[256]
  shared b: f16[256]
  shared d: f32[256]
  fragment acc: f32[16, 16]
{
  v0: i32 = local_id.x
  v1: i32 = const 0
  v2: i32 = const 8
  v3: i32 = mul v0, v2
  for v4: i32 in v1..v2 {
    v5: i32 = add v3, v4
    v6: f16 = load x[v5]
    store a[v5] = v6
    v7: f16 = load y[v5]
    store b[v5] = v7
  }
  barrier
  fragment_zero acc
  v8: i32 = const 3
  for v9: i32 in v1..v8 {
    fragment_mma acc += a[v1, stride 16] * b[v1, stride 16]
  }
  fragment_store d[v1, stride 16] = acc
  barrier
  for v10: i32 in v1..v2 {
    v11: i32 = add v3, v10
    v12: f32 = load d[v11]
    store out[v11] = v12
  }
}
";

#[test]
fn a_fragment_accumulates_across_the_k_loop_in_registers() {
    let kernel = round_trip(FRAGMENT);
    // Small integers: every product and sum is exact, so the oracle is plain arithmetic.
    let a: Vec<f64> = (0..256).map(|e| f64::from((e / 16 + e % 16) % 3)).collect();
    let b: Vec<f64> = (0..256)
        .map(|e| f64::from((e / 16) * (e % 16) % 5) - 2.0)
        .collect();
    let mut want = vec![0.0; 256];
    for i in 0..16 {
        for j in 0..16 {
            let dot: f64 = (0..16).map(|k| a[i * 16 + k] * b[k * 16 + j]).sum();
            want[i * 16 + j] = 3.0 * dot;
        }
    }
    let mut buffers = [
        floats(DType::F16, &a),
        floats(DType::F16, &b),
        floats(DType::F32, &[0.0; 256]),
    ];
    run(&kernel, &mut buffers, &[]).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(buffers[2].to_f64_vec(), want);
    // Without fragment_zero the fragment is read before it is set.
    let unset = round_trip(&FRAGMENT.replace("  fragment_zero acc\n", ""));
    let e = run(&unset, &mut buffers, &[]).err().map(|e| e.to_string());
    assert!(e.unwrap_or_default().contains("fragment acc"));
}

#[test]
fn fragments_need_f16_inputs_an_f32_destination_and_subgroups_of_32() {
    let cases = [
        (
            "fragment_store d[v1, stride 16] = acc",
            "fragment_store a[v1, stride 16] = acc",
            "D must be f32, not f16",
        ),
        (
            "a[v1, stride 16] * b",
            "d[v1, stride 16] * b",
            "A and B must both be f16 or both bf16, not f32 and f16",
        ),
        (
            "subgroup 32",
            "subgroup 16",
            "needs subgroups of 32 lanes, not 16",
        ),
        (
            "fragment_zero acc",
            "fragment_zero ac",
            "no fragment named 'ac'",
        ),
        (
            "fragment acc: f32[16, 16]",
            "fragment acc: f16[16, 16]",
            "a fragment is f32[16, 16]",
        ),
    ];
    for (from, to, part) in cases {
        let text = FRAGMENT.replace(from, to);
        let e = parse(&text).err().map(|e| e.message).unwrap_or_default();
        assert!(e.contains(part), "{to}: {e}");
    }
}

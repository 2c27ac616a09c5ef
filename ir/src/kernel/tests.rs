//! The builder's checks (each refusal names the kernel, the operation and the problem) and
//! interpreter rules that the end-to-end tests in tests/tests/kernel_interp.rs do not reach.

use super::*;
use crate::interp::{Data, Tensor};
use crate::{BinaryOp, DType, ReduceOp, Scalar, Shape, UnaryOp};
use cranelift_entity::EntityRef;

fn builder() -> KernelBuilder {
    KernelBuilder::new("k", Launch::linear(1, 32), 32)
}

/// The message of a refused operation (or a note that it was accepted).
fn refusal<T: std::fmt::Debug>(result: Result<T, KernelError>) -> String {
    match result {
        Ok(v) => format!("unexpected success: {v:?}"),
        Err(KernelError::Build {
            what,
            message,
            kernel,
        }) => format!("{kernel}: {what}: {message}"),
        Err(other) => format!("not a build error: {other}"),
    }
}

fn assert_refused<T: std::fmt::Debug>(result: Result<T, KernelError>, parts: &[&str]) {
    let text = refusal(result);
    assert!(text.starts_with("k: "), "{text}");
    for part in parts {
        assert!(text.contains(part), "'{part}' missing in: {text}");
    }
}

fn ints(dtype: DType, values: &[i128]) -> Tensor {
    let shape = Shape::new(vec![values.len()]).unwrap_or_default();
    Tensor::new(dtype, shape, Data::Int(values.to_vec())).unwrap_or_else(|e| panic!("{e}"))
}

fn int_data(t: &Tensor) -> Vec<i128> {
    match &t.data {
        Data::Int(v) => v.clone(),
        other => panic!("not ints: {other:?}"),
    }
}

// ----- builder -----

/// Every kind of label a refusal names (formatted only when the refusal is reported):
/// the value a definition would create, with a prefixed op, an accumulator, a store.
#[test]
fn refusals_name_what_was_being_defined() {
    let mut b = builder();
    let t = b.const_bool(true);
    assert_refused(
        b.subgroup_reduce(ReduceOp::Sum, t),
        &["v1 = subgroup_sum", "needs numbers, not bool"],
    );
    assert_refused(
        b.acc_init(ValueId::new(9)),
        &["acc0 = init", "v9 does not exist"],
    );
    assert_refused(
        b.unary(UnaryOp::Exp2, ValueId::new(9)),
        &["v1 = exp2", "v9 does not exist"],
    );
}

#[test]
fn binary_operands_must_agree_and_suit_the_op() {
    let mut b = builder();
    let i = b.const_i32(1);
    let f = b.const_f32(1.0);
    assert_refused(
        b.binary(BinaryOp::Add, i, f),
        &["v2 = add", "v0: i32 and v1: f32 differ"],
    );
    assert_refused(
        b.binary(BinaryOp::Div, i, i),
        &["div", "needs float operands, got i32"],
    );
    assert_refused(
        b.binary(BinaryOp::Idiv, f, f),
        &["needs integer operands, got f32"],
    );
    let t = b.const_bool(true);
    assert_refused(
        b.binary(BinaryOp::Add, t, t),
        &["needs numeric operands, got bool"],
    );
    assert!(b.binary(BinaryOp::Xor, t, t).is_ok());
    let lt = b
        .binary(BinaryOp::CmpLt, f, f)
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(b.value_type(lt), Some(ValueType::scalar(DType::Bool)));
    assert_refused(
        b.unary(UnaryOp::Sqrt, i),
        &["sqrt", "does not apply to i32"],
    );
    assert_refused(b.unary(UnaryOp::Neg, t), &["neg", "does not apply to bool"]);
}

#[test]
fn indices_must_be_integers_and_masks_bool() {
    let mut b = builder();
    let p = b.buffer("a", DType::F32, 64, Access::ReadWrite).unwrap();
    let f = b.const_f32(0.0);
    let i = b.const_i32(0);
    let wide = b.const_i64(0);
    let a = Memory::Global(p);
    assert_refused(
        b.load(a, f, 1, None),
        &["load", "index v0 is f32, not i32 or i64"],
    );
    assert!(b.load(a, wide, 1, None).is_ok());
    assert_refused(b.load(a, i, 1, Some(i)), &["mask v1 is i32"]);
    assert_refused(b.load(a, i, 3, None), &["width 3 is not one of 1, 2, 4, 8"]);
    let t = b.const_bool(true);
    let t2 = b.vector(&[t, t]).unwrap();
    assert_refused(b.load(a, i, 4, Some(t2)), &["bool vector of width 4"]);
    assert!(b.load(a, i, 2, Some(t2)).is_ok());
    assert!(b.load(a, i, 4, Some(t)).is_ok());
    assert_refused(
        b.store(a, i, i, None),
        &["store a", "v1 is i32; a holds f32"],
    );
    assert_refused(b.store(a, f, f, None), &["store a", "index v0 is f32"]);
}

#[test]
fn parameters_and_shared_arrays_are_checked() {
    let mut b = builder();
    let a = b.buffer("a", DType::F32, 8, Access::Read).unwrap();
    assert_refused(
        b.buffer("a", DType::F32, 8, Access::Read),
        &["'a'", "already used"],
    );
    assert_refused(b.shared("a", DType::F32, 8), &["already used"]);
    assert_refused(
        b.buffer("2x", DType::F32, 8, Access::Read),
        &["not an identifier"],
    );
    assert_refused(
        b.scalar_param("n", DType::F32),
        &["param n", "must be i32 or i64"],
    );
    assert_refused(b.param(a), &["a is a buffer"]);
    let n = b.scalar_param("n", DType::I64).unwrap();
    let i = b.const_i32(0);
    assert_refused(b.load(Memory::Global(n), i, 1, None), &["n is a scalar"]);
    let missing = Memory::Shared(SharedId::new(7));
    assert_refused(b.load(missing, i, 1, None), &["shared7 does not exist"]);
}

#[test]
fn values_are_usable_only_in_their_scope() {
    let mut b = builder();
    let (zero, four) = (b.const_i32(0), b.const_i32(4));
    let var = b.begin_loop(zero, four, 1, false).unwrap();
    let inner = b.binary(BinaryOp::Add, var, four).unwrap();
    b.end_loop().unwrap();
    assert_refused(
        b.binary(BinaryOp::Add, inner, zero),
        &["v3 is not defined here"],
    );
    assert_refused(
        b.binary(BinaryOp::Add, var, zero),
        &["v2 is not defined here"],
    );
    let t = b.const_bool(true);
    b.begin_if(t).unwrap();
    let then_value = b.const_i32(1);
    b.begin_else().unwrap();
    assert_refused(b.unary(UnaryOp::Neg, then_value), &["not defined here"]);
    b.end_if().unwrap();
    assert_refused(
        b.unary(UnaryOp::Neg, ValueId::new(99)),
        &["v99 does not exist"],
    );
    assert!(b.finish().is_ok());
}

#[test]
fn blocks_must_nest() {
    let mut b = builder();
    assert_refused(b.end_loop(), &["end_loop", "not a loop"]);
    assert_refused(b.end_if(), &["end_if", "not an if"]);
    assert_refused(b.begin_else(), &["begin_else", "not an if"]);
    let i = b.const_i32(0);
    let wide = b.const_i64(4);
    assert_refused(
        b.begin_loop(i, wide, 1, false),
        &["start is i32 but end is i64"],
    );
    assert_refused(b.begin_loop(i, i, 0, false), &["step must be positive"]);
    assert_refused(b.begin_if(i), &["condition v0 is i32, not bool"]);
    let t = b.const_bool(true);
    b.begin_if(t).unwrap();
    assert_refused(b.end_loop(), &["not a loop"]);
    b.begin_loop(i, i, 1, false).unwrap();
    assert_refused(b.end_if(), &["not an if"]);
    assert_refused(b.clone().finish(), &["finish", "still open"]);
    b.end_loop().unwrap();
    b.end_if().unwrap();
    assert!(b.finish().is_ok());
}

#[test]
fn launch_and_subgroup_size_are_checked_at_finish() {
    let finish = |launch, subgroup| KernelBuilder::new("k", launch, subgroup).finish();
    assert_refused(finish(Launch::linear(0, 32), 32), &["launch", "at least 1"]);
    assert_refused(
        finish(Launch::linear(1, 2048), 32),
        &["2048 lanes", "at most 1024"],
    );
    assert_refused(
        finish(Launch::linear(1, 32), 24),
        &["size 24 is not a power of two"],
    );
    assert!(finish(Launch::linear(1, 48), 32).is_ok());
    let mut b = KernelBuilder::new("k", Launch::linear(1, 48), 32);
    let x = b.const_f32(1.0);
    b.subgroup_reduce(ReduceOp::Sum, x).unwrap();
    assert_refused(b.finish(), &["whole subgroups: 48 lanes, size 32"]);
    let text = refusal(KernelBuilder::new("1k", Launch::linear(1, 1), 1).finish());
    assert_eq!(text, "1k: kernel: the name must be an identifier");
}

#[test]
fn constants_vectors_casts_and_accumulators_are_checked() {
    let mut b = builder();
    assert_refused(
        b.constant(DType::I8, Scalar::Int(300)),
        &["v0 = const", "300 is not a value of i8"],
    );
    let h = b.constant(DType::F16, Scalar::Float(0.1)).unwrap();
    assert_eq!(
        b.kernel().constant(h).map(|s| s.to_f64()),
        Some(half::f16::from_f64(0.1).to_f64())
    );
    let i = b.const_i32(1);
    let f = b.const_f32(1.0);
    assert_refused(
        b.vector(&[i, f]),
        &["vec", "v2 is f32; elements must be i32 scalars"],
    );
    assert_refused(b.vector(&[i, i, i]), &["3 elements"]);
    let v = b.vector(&[i, i]).unwrap();
    assert_refused(b.vector(&[v, v]), &["elements must be i32 scalars"]);
    assert_refused(b.extract(v, 2), &["no element 2"]);
    assert_refused(b.bitcast(i, DType::F16), &["cannot reinterpret i32 as f16"]);
    assert_eq!(
        b.bitcast(v, DType::F32).ok().and_then(|x| b.value_type(x)),
        Some(ValueType::vector(DType::F32, 2))
    );
    let t = b.const_bool(false);
    assert_refused(b.select(t, v, v), &["where", "condition v"]);
    let acc = b.acc_init(i).unwrap();
    assert_refused(
        b.acc_update(acc, AccUpdate::Assign, f),
        &["update acc0", "v2 is f32; acc0 is i32"],
    );
    let flag = b.acc_init(t).unwrap();
    assert_refused(
        b.acc_update(flag, AccUpdate::Combine(ReduceOp::Sum), t),
        &["sum needs numbers"],
    );
    assert_refused(b.acc_read(AccId::new(5)), &["acc5 does not exist"]);
    assert_refused(
        b.subgroup_reduce(ReduceOp::Max, t),
        &["subgroup_max", "needs numbers"],
    );
}

#[test]
fn accumulators_go_out_of_scope_with_their_block() {
    let mut b = builder();
    let t = b.const_bool(true);
    b.begin_if(t).unwrap();
    let acc = b.acc_init(t).unwrap();
    b.end_if().unwrap();
    assert_refused(b.acc_read(acc), &["acc0 is not in scope"]);
}

#[test]
fn matrix_tile_operands_are_checked() {
    let mut b = builder();
    let a = b.shared("a", DType::F16, 256).unwrap();
    let c = b.shared("c", DType::F32, 256).unwrap();
    let x = b.shared("x", DType::F32, 256).unwrap();
    let zero = b.const_i32(0);
    let f = b.const_f32(0.0);
    let tile = |array, stride| TileRef {
        array,
        offset: zero,
        stride,
    };
    assert!(b.matrix_tile(tile(a, 16), tile(a, 16), tile(c, 16)).is_ok());
    assert_refused(
        b.matrix_tile(tile(x, 16), tile(x, 16), tile(c, 16)),
        &["must both be f16 or both bf16, not f32 and f32"],
    );
    assert_refused(
        b.matrix_tile(tile(a, 16), tile(a, 16), tile(a, 16)),
        &["D must be f32"],
    );
    assert_refused(
        b.matrix_tile(tile(a, 12), tile(a, 16), tile(c, 16)),
        &["A: the stride 12"],
    );
    assert_refused(
        b.matrix_tile(tile(a, 20), tile(a, 16), tile(c, 16)),
        &["multiple of 8"],
    );
    assert_refused(
        b.matrix_tile(tile(a, 16), tile(a, 16), tile(c, 18)),
        &["D: the stride 18", "multiple of 4"],
    );
    let bad = TileRef {
        array: a,
        offset: f,
        stride: 16,
    };
    assert_refused(
        b.matrix_tile(bad, tile(a, 16), tile(c, 16)),
        &["A offset v1 is f32"],
    );
    let mut wave64 = KernelBuilder::new("k", Launch::linear(1, 64), 64);
    let s = wave64.shared("s", DType::F16, 256).unwrap();
    let d = wave64.shared("d", DType::F32, 256).unwrap();
    let zero = wave64.const_i32(0);
    let t = |array| TileRef {
        array,
        offset: zero,
        stride: 16,
    };
    assert_refused(
        wave64.matrix_tile(t(s), t(s), t(d)),
        &["subgroups of 32 lanes, not 64"],
    );
}

// ----- interpreter -----

/// A kernel of 4 lanes storing `lane * 10` into `c[f(lane)]`, built by `body`.
fn run_small(
    body: impl Fn(&mut KernelBuilder, ParamId, ValueId),
) -> Result<Vec<i128>, KernelError> {
    let mut b = KernelBuilder::new("k", Launch::linear(1, 4), 4);
    let c = b.buffer("c", DType::I32, 16, Access::ReadWrite).unwrap();
    let lid = b.local_id(Axis::X);
    body(&mut b, c, lid);
    let kernel = b.finish()?;
    let mut buffers = [ints(DType::I32, &[0; 16])];
    run(&kernel, &mut buffers, &[])?;
    Ok(int_data(&buffers[0]))
}

#[test]
fn loops_run_from_start_below_end_by_step() {
    let out = run_small(|b, c, lid| {
        let (start, end) = (b.const_i32(3), b.const_i32(16));
        let i = b.begin_loop(start, end, 5, false).unwrap();
        b.store(Memory::Global(c), i, lid, None).unwrap();
        b.end_loop().unwrap();
        let none = b.begin_loop(end, start, 1, false).unwrap();
        b.store(Memory::Global(c), none, lid, None).unwrap();
        b.end_loop().unwrap();
    });
    let mut expected = vec![0; 16];
    for i in [3, 8, 13] {
        expected[i] = 3; // the last lane stores last
    }
    assert_eq!(out, Ok(expected));
}

#[test]
fn vector_masks_apply_per_element_and_misaligned_vectors_are_errors() {
    let out = run_small(|b, c, lid| {
        let (four, two) = (b.const_i32(4), b.const_i32(2));
        let at = b.binary(BinaryOp::Mul, lid, four).unwrap();
        let lanes: Vec<ValueId> = (0..4).map(|e| b.const_i32(e)).collect();
        let values = b.vector(&lanes).unwrap();
        let limit = b.splat(two, 4).unwrap();
        let mask = b.binary(BinaryOp::CmpLt, values, limit).unwrap();
        b.store(Memory::Global(c), at, values, Some(mask)).unwrap();
    });
    assert_eq!(out, Ok([0, 1, 0, 0].repeat(4)));
    let err = run_small(|b, c, lid| {
        let one = b.const_i32(1);
        let at = b.binary(BinaryOp::Add, lid, one).unwrap();
        let v = b.load(Memory::Global(c), at, 2, None).unwrap();
        b.store(Memory::Global(c), lid, v, None).unwrap_or(());
    });
    assert!(
        matches!(err, Err(KernelError::Misaligned { index: 1, .. })),
        "{err:?}"
    );
}

#[test]
fn masked_off_loads_give_zero_and_skip_the_bounds_check() {
    let out = run_small(|b, c, lid| {
        let (big, f) = (b.const_i32(1000), b.const_bool(false));
        let v = b.load(Memory::Global(c), big, 1, Some(f)).unwrap();
        let x = b.binary(BinaryOp::Add, v, lid).unwrap();
        b.store(Memory::Global(c), lid, x, None).unwrap();
    });
    assert_eq!(out.map(|v| v[..4].to_vec()), Ok(vec![0, 1, 2, 3]));
}

#[test]
fn two_lanes_writing_one_shared_element_race() {
    let err = run_small(|b, _, lid| {
        let s = b.shared("s", DType::I32, 4).unwrap();
        let zero = b.const_i32(0);
        b.store(Memory::Shared(s), zero, lid, None).unwrap();
    });
    let text = err.map_err(|e| e.to_string()).unwrap_err();
    assert!(
        text.contains("data race on shared s[0]: written by workgroup [0, 0, 0] lane [0, 0, 0]"),
        "{text}"
    );
}

#[test]
fn a_subgroup_operation_orders_shared_accesses_within_its_subgroup() {
    // Lane l writes s[l], the subgroup reduces, then lane l reads s[3 - l]: ordered.
    let out = run_small(|b, c, lid| {
        let s = Memory::Shared(b.shared("s", DType::I32, 4).unwrap());
        b.store(s, lid, lid, None).unwrap();
        b.subgroup_reduce(ReduceOp::Sum, lid).unwrap();
        let three = b.const_i32(3);
        let other = b.binary(BinaryOp::Sub, three, lid).unwrap();
        let v = b.load(s, other, 1, None).unwrap();
        b.store(Memory::Global(c), lid, v, None).unwrap();
    });
    assert_eq!(out.map(|v| v[..4].to_vec()), Ok(vec![3, 2, 1, 0]));
}

#[test]
fn barriers_inside_uniform_loops_and_ifs_are_fine() {
    let out = run_small(|b, c, lid| {
        let s = Memory::Shared(b.shared("s", DType::I32, 4).unwrap());
        let (zero, two, t) = (b.const_i32(0), b.const_i32(2), b.const_bool(true));
        let i = b.begin_loop(zero, two, 1, false).unwrap();
        b.begin_if(t).unwrap();
        let v = b.binary(BinaryOp::Add, lid, i).unwrap();
        b.store(s, lid, v, None).unwrap();
        b.barrier();
        let three = b.const_i32(3);
        let other = b.binary(BinaryOp::Sub, three, lid).unwrap();
        let w = b.load(s, other, 1, None).unwrap();
        b.store(Memory::Global(c), lid, w, None).unwrap();
        b.barrier();
        b.end_if().unwrap();
        b.end_loop().unwrap();
    });
    assert_eq!(out.map(|v| v[..4].to_vec()), Ok(vec![4, 3, 2, 1]));
}

#[test]
fn matrix_tile_offsets_must_agree_within_the_subgroup() {
    let mut b = builder();
    let a = b.shared("a", DType::F16, 512).unwrap();
    let d = b.shared("d", DType::F32, 512).unwrap();
    let lid = b.local_id(Axis::X);
    let (eight, zero) = (b.const_i32(8), b.const_i32(0));
    let offset = b.binary(BinaryOp::Mul, lid, eight).unwrap();
    let t = |array, offset| TileRef {
        array,
        offset,
        stride: 16,
    };
    b.matrix_tile(t(a, offset), t(a, zero), t(d, zero))
        .unwrap_or_else(|e| panic!("{e}"));
    let kernel = b.finish().unwrap_or_else(|e| panic!("{e}"));
    let err = run(&kernel, &mut [], &[]);
    assert!(
        matches!(err, Err(KernelError::NonUniform { .. })),
        "{err:?}"
    );
}

#[test]
fn integer_arithmetic_wraps_like_the_reference() {
    let out = run_small(|b, c, lid| {
        let max = b.const_i32(i32::MAX);
        let x = b.binary(BinaryOp::Add, max, lid).unwrap();
        b.store(Memory::Global(c), lid, x, None).unwrap();
    });
    let expected: Vec<i128> = (0..4)
        .map(|l| i128::from(i32::MAX.wrapping_add(l)))
        .collect();
    assert_eq!(out.map(|v| v[..4].to_vec()), Ok(expected));
}

#[test]
fn mulhi_needs_one_32_or_64_bit_integer_type() {
    let mut b = builder();
    let f = b.const_f32(1.0);
    let i = b.const_i32(1);
    let l = b.const_i64(1);
    assert_refused(b.mulhi(f, f), &["mulhi", "i32, i64, u32 or u64", "f32"]);
    assert_refused(b.mulhi(i, l), &["mulhi", "differ in type"]);
    assert!(b.mulhi(l, l).is_ok());
}

#[test]
fn mulhi_runs_per_element_and_round_trips_as_text() {
    // out[lane] = mulhi(in[lane], 0x80000001) on u32: the exact high half of each product.
    let source = "kernel k(a: global u32[4] read, out: global u32[4] write)\n  grid [1, 1, 1] workgroup [4, 1, 1] subgroup 32\n{\n  v0: i32 = local_id.x\n  v1: u32 = load a[v0]\n  v2: u32 = const 2147483649\n  v3: u32 = mulhi v1, v2\n  store out[v0] = v3\n}\n";
    let kernel = text::parse(source).unwrap();
    assert_eq!(print(&kernel), source);
    let values = [0u32, 1, 0xFFFF_FFFF, 0x1234_5678];
    let input = values.iter().map(|&x| i128::from(x)).collect();
    let shape = Shape::new(vec![4]).unwrap();
    let a = Tensor::new(DType::U32, shape.clone(), Data::Int(input)).unwrap();
    let out = Tensor::new(DType::U32, shape, Data::Int(vec![0; 4])).unwrap();
    let mut buffers = vec![a, out];
    run(&kernel, &mut buffers, &[]).unwrap();
    let want: Vec<i128> = values
        .iter()
        .map(|&x| i128::from((u64::from(x) * 0x8000_0001) >> 32))
        .collect();
    assert_eq!(buffers[1].data, Data::Int(want));
}

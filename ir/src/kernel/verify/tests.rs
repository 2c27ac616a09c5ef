//! One test per rule: a kernel that breaks it (made by the builder, then edited directly,
//! since the builder refuses most of these) and the error the verifier must report.

use super::{Rule, VerifyError, verify, verify_structure};
use crate::kernel::types::{AccUpdate, Expr, Kernel, Loop, Memory, Stmt, Store, TileRef, Value};
use crate::kernel::{Access, Axis, KernelBuilder, Launch, SharedArray, ValueId, ValueType};
use crate::{BinaryOp, DType, ReduceOp, Scalar, Target};

/// A builder for a kernel `k` of 64 lanes with `a: global f32[64] read_write`,
/// `r: global f32[64] read`, `w: global f32[64] write` and `shared t: f32[64]`.
fn builder() -> KernelBuilder {
    let mut b = KernelBuilder::new("k", Launch::linear(1, 64), 32);
    b.buffer("a", DType::F32, 64, Access::ReadWrite).unwrap();
    b.buffer("r", DType::F32, 64, Access::Read).unwrap();
    b.buffer("w", DType::F32, 64, Access::Write).unwrap();
    b.shared("t", DType::F32, 64).unwrap();
    b
}

fn global(i: u32) -> Memory {
    Memory::Global(crate::kernel::ParamId::from_u32(i))
}

/// `v0 = local_id.x; v1 = load a[v0]; store a[v0] = v1`: valid.
fn copy_kernel() -> Kernel {
    let mut b = builder();
    let i = b.local_id(Axis::X);
    let x = b.load(global(0), i, 1, None).unwrap();
    b.store(global(0), i, x, None).unwrap();
    b.finish().unwrap()
}

/// The errors of `kernel` under every rule; fails the test if it passes.
#[track_caller]
fn errors(kernel: &Kernel, target: Option<&Target>) -> Vec<VerifyError> {
    match verify(kernel, target) {
        Ok(()) => panic!("the verifier accepts:\n{kernel}"),
        Err(errors) => errors,
    }
}

/// The verifier reports `rule` with a message containing `part` (at statement `stmt`).
#[track_caller]
fn assert_broken(kernel: &Kernel, rule: Rule, stmt: Option<usize>, part: &str) {
    let errors = errors(kernel, None);
    let found = errors
        .iter()
        .any(|e| e.rule == rule && e.stmt == stmt && e.message.contains(part));
    assert!(
        found,
        "wanted {rule:?} at {stmt:?} with '{part}', got {errors:#?}\n{kernel}"
    );
}

fn value(kernel: &mut Kernel, ty: ValueType, expr: Expr) -> ValueId {
    kernel.values.push(Value { ty, expr })
}

#[test]
fn valid_kernels_pass_both_rule_sets() {
    let k = copy_kernel();
    assert_eq!(verify(&k, Some(&Target::GFX1100)), Ok(()));
    assert_eq!(verify_structure(&k), Ok(()));
}

#[test]
fn declarations_names_and_scalar_params() {
    let mut k = copy_kernel();
    k.shared[crate::kernel::SharedId::from_u32(0)].name = "a".into();
    assert_broken(&k, Rule::Declaration, None, "the name is already used");
    let mut k = copy_kernel();
    k.params.push(crate::kernel::Param::Scalar {
        name: "n".into(),
        dtype: DType::F32,
    });
    assert_broken(&k, Rule::Declaration, None, "must be i32 or i64, not f32");
}

#[test]
fn launch_shape_and_target_limits() {
    let mut k = copy_kernel();
    k.launch.grid[1] = 0;
    assert_broken(&k, Rule::Launch, None, "at least 1");
    // Against a target: its subgroup size and shared memory.
    let mut k = copy_kernel();
    k.subgroup_size = 64;
    assert_eq!(verify(&k, None), Ok(()));
    let e = errors(&k, Some(&Target::GFX1100));
    assert!(
        e.iter()
            .any(|e| e.rule == Rule::Launch && e.message.contains("gfx1100 runs subgroups of 32")),
        "{e:?}"
    );
    let mut k = copy_kernel();
    k.shared.push(SharedArray {
        name: "big".into(),
        dtype: DType::F32,
        len: 20_000,
    });
    assert_eq!(verify(&k, None), Ok(()));
    let e = errors(&k, Some(&Target::GFX1100));
    assert!(
        e.iter().any(|e| e.rule == Rule::Launch
            && e.message
                .contains("80256 bytes of shared memory; gfx1100 allows 65536")),
        "{e:?}"
    );
}

#[test]
fn a_value_whose_type_is_not_what_its_expression_gives() {
    let mut k = copy_kernel();
    let v1 = ValueId::from_u32(1);
    k.values[v1].ty = ValueType::scalar(DType::I32);
    assert_broken(
        &k,
        Rule::Type,
        Some(1),
        "its type is i32 but the expression gives f32",
    );
    // Operands of different types.
    let mut k = copy_kernel();
    let add = value(
        &mut k,
        ValueType::scalar(DType::F32),
        Expr::Binary {
            op: BinaryOp::Add,
            a: ValueId::from_u32(0),
            b: v1,
        },
    );
    k.body.push(Stmt::Let(add));
    assert_broken(&k, Rule::Type, Some(3), "differ in type");
}

#[test]
fn a_value_used_before_its_definition_or_after_its_block() {
    // Used before it is defined: swap the load and the store.
    let mut k = copy_kernel();
    k.body.swap(1, 2);
    assert_broken(
        &k,
        Rule::Scope,
        Some(1),
        "v1 is used where it is not defined: it is not defined before this point",
    );
    // Defined in a loop, used after it.
    let mut b = builder();
    let zero = b.const_i32(0);
    let var = b.begin_loop(zero, zero, 1, false).unwrap();
    let inner = b.binary(BinaryOp::Add, var, var).unwrap();
    b.end_loop().unwrap();
    let mut k = b.finish().unwrap();
    let after = value(
        &mut k,
        ValueType::scalar(DType::I32),
        Expr::Binary {
            op: BinaryOp::Add,
            a: inner,
            b: inner,
        },
    );
    k.body.push(Stmt::Let(after));
    assert_broken(&k, Rule::Scope, Some(3), "its block has ended");
    // Defined twice.
    let mut k = copy_kernel();
    k.body.push(Stmt::Let(ValueId::from_u32(0)));
    assert_broken(&k, Rule::Scope, Some(3), "is defined twice");
}

#[test]
fn loops_need_a_loop_variable_matching_bounds_and_a_positive_step() {
    let mut b = builder();
    let zero = b.const_i32(0);
    let var = b.begin_loop(zero, zero, 1, false).unwrap();
    b.end_loop().unwrap();
    let k = b.finish().unwrap();
    let edit = |f: &dyn Fn(&mut Loop, &mut Kernel)| {
        let mut k = k.clone();
        let mut body = std::mem::take(&mut k.body);
        if let Some(Stmt::Loop(l)) = body.get_mut(1) {
            f(l, &mut k);
        }
        k.body = body;
        k
    };
    assert_broken(
        &edit(&|l, _| l.step = 0),
        Rule::Loop,
        Some(1),
        "the step must be positive",
    );
    let k64 = edit(&|l, k| {
        l.end = value(
            k,
            ValueType::scalar(DType::I64),
            Expr::Const(Scalar::Int(4)),
        );
    });
    // (The new end is never defined either; both are reported.)
    assert_broken(&k64, Rule::Scope, Some(1), "not defined");
    let not_var = edit(&|_, k| k.values[var].expr = Expr::Const(Scalar::Int(0)));
    assert_broken(&not_var, Rule::Loop, Some(1), "is not a loop variable");
    // A loop variable defined by a let.
    let mut k = k.clone();
    k.body.push(Stmt::Let(var));
    assert_broken(&k, Rule::Scope, Some(2), "is defined twice");
}

#[test]
fn widths_are_1_2_4_8_and_extracts_stay_inside() {
    let mut k = copy_kernel();
    k.values[ValueId::from_u32(1)].ty.width = 3;
    assert_broken(&k, Rule::Width, Some(1), "width 3 is not one of 1, 2, 4, 8");
    let mut b = builder();
    let i = b.const_i32(0);
    let x = b.load(global(0), i, 4, None).unwrap();
    let mut k = b.finish().unwrap();
    let e = value(
        &mut k,
        ValueType::scalar(DType::F32),
        Expr::Extract { x, lane: 4 },
    );
    k.body.push(Stmt::Let(e));
    assert_broken(&k, Rule::Width, Some(2), "no element 4 in v1: f32x4");
}

#[test]
fn masks_are_bool_of_the_access_width() {
    let mut k = copy_kernel();
    let i = ValueId::from_u32(0);
    k.values[ValueId::from_u32(1)].expr = Expr::Load {
        source: global(0),
        index: i,
        mask: Some(i),
    };
    assert_broken(&k, Rule::Mask, Some(1), "the mask v0 is i32");
}

#[test]
fn buffers_are_read_and_written_only_as_declared() {
    let mut k = copy_kernel();
    let i = ValueId::from_u32(0);
    k.values[ValueId::from_u32(1)].expr = Expr::Load {
        source: global(2),
        index: i,
        mask: None,
    };
    assert_broken(
        &k,
        Rule::Access,
        Some(1),
        "buffer w is declared write: it cannot be read",
    );
    let mut k = copy_kernel();
    k.body[2] = Stmt::Store(Store {
        target: global(1),
        index: i,
        value: ValueId::from_u32(1),
        mask: None,
    });
    assert_broken(
        &k,
        Rule::Access,
        Some(2),
        "buffer r is declared read: it cannot be written",
    );
}

#[test]
fn constant_indices_are_aligned_and_inside() {
    let mut b = builder();
    let two = b.const_i32(2);
    b.load(global(0), two, 4, None).unwrap();
    let k = b.finish().unwrap();
    assert_broken(
        &k,
        Rule::Alignment,
        Some(1),
        "the constant index 2 is not a multiple of the width 4",
    );
    // The structure rules leave it to run time (the builder accepts it).
    assert_eq!(verify_structure(&k), Ok(()));
    let mut b = builder();
    let end = b.const_i32(62);
    let x = b.load(global(0), end, 2, None).unwrap();
    let past = b.const_i32(64);
    b.store(global(0), past, x, None).unwrap();
    let k = b.finish().unwrap();
    assert_broken(
        &k,
        Rule::Bounds,
        Some(3),
        "elements 64..66 are outside the 64 elements",
    );
    // Masked accesses may be off entirely: no static rule applies.
    let mut b = builder();
    let two = b.const_i32(2);
    let off = b.const_bool(false);
    b.load(global(0), two, 4, Some(off)).unwrap();
    assert_eq!(verify(&b.finish().unwrap(), None), Ok(()));
}

/// `v0 = local_id.x; v1 = const 64; v2 = const 2; <open>; v = load a[v1]; load a[v2] x4;
/// <close>`: an access past the end and a misaligned one inside what `open` opens.
fn bad_accesses_in(
    open: impl Fn(&mut KernelBuilder, ValueId),
    close: impl Fn(&mut KernelBuilder),
) -> Kernel {
    let mut b = builder();
    let lane = b.local_id(Axis::X);
    let past = b.const_i32(64);
    let two = b.const_i32(2);
    open(&mut b, lane);
    b.load(global(0), past, 1, None).unwrap();
    b.load(global(0), two, 4, None).unwrap();
    close(&mut b);
    b.finish().unwrap()
}

#[test]
fn constant_indices_are_checked_only_where_the_access_surely_runs() {
    // Under an if (then or else branch), or in a loop that may run zero times, the access
    // may never run (lowering guards a pad's padding this way): left to the interpreter.
    let then_branch = bad_accesses_in(
        |b, lane| {
            let one = b.const_i32(1);
            let c = b.binary(BinaryOp::CmpLt, lane, one).unwrap();
            b.begin_if(c).unwrap();
        },
        |b| b.end_if().unwrap(),
    );
    assert_eq!(verify(&then_branch, None), Ok(()));
    let else_branch = bad_accesses_in(
        |b, _| {
            let t = b.const_bool(true);
            b.begin_if(t).unwrap();
            b.begin_else().unwrap();
        },
        |b| b.end_if().unwrap(),
    );
    assert_eq!(verify(&else_branch, None), Ok(()));
    let maybe_empty_loop = bad_accesses_in(
        |b, lane| {
            let zero = b.const_i32(0);
            b.begin_loop(zero, lane, 1, false).unwrap();
        },
        |b| b.end_loop().unwrap(),
    );
    assert_eq!(verify(&maybe_empty_loop, None), Ok(()));
    let empty_loop = bad_accesses_in(
        |b, _| {
            let five = b.const_i32(5);
            b.begin_loop(five, five, 1, false).unwrap();
        },
        |b| b.end_loop().unwrap(),
    );
    assert_eq!(verify(&empty_loop, None), Ok(()));
    // A loop with constant bounds start < end surely runs its body: refused there.
    let loop_runs = bad_accesses_in(
        |b, _| {
            let zero = b.const_i32(0);
            let one = b.const_i32(1);
            b.begin_loop(zero, one, 1, false).unwrap();
        },
        |b| b.end_loop().unwrap(),
    );
    assert_broken(
        &loop_runs,
        Rule::Bounds,
        Some(6),
        "elements 64..65 are outside",
    );
    assert_broken(&loop_runs, Rule::Alignment, Some(7), "the constant index 2");
    // After the if ends, accesses surely run again.
    let mut b = builder();
    let t = b.const_bool(true);
    b.begin_if(t).unwrap();
    b.end_if().unwrap();
    let past = b.const_i32(64);
    b.load(global(1), past, 1, None).unwrap();
    assert_broken(
        &b.finish().unwrap(),
        Rule::Bounds,
        Some(3),
        "elements 64..65",
    );
}

#[test]
fn accumulators_are_declared_before_use_in_scope_with_their_type() {
    let mut b = builder();
    let x = b.const_f32(1.0);
    let acc = b.acc_init(x).unwrap();
    b.acc_update(acc, AccUpdate::Combine(ReduceOp::Sum), x)
        .unwrap();
    let k = b.finish().unwrap();
    // Update before the declaration.
    let mut swapped = k.clone();
    swapped.body.swap(1, 2);
    assert_broken(
        &swapped,
        Rule::Accumulator,
        Some(1),
        "acc0 is used where it is not declared",
    );
    // Declared twice.
    let mut twice = k.clone();
    twice.body.push(Stmt::InitAcc { acc, init: x });
    assert_broken(&twice, Rule::Accumulator, Some(3), "acc0 is declared twice");
    // An update of another type.
    let mut other = k.clone();
    let i = value(
        &mut other,
        ValueType::scalar(DType::I32),
        Expr::Const(Scalar::Int(1)),
    );
    other.body.push(Stmt::Let(i));
    other.body.push(Stmt::UpdateAcc {
        acc,
        update: AccUpdate::Assign,
        value: i,
    });
    assert_broken(&other, Rule::Accumulator, Some(4), "v1 is i32; acc0 is f32");
}

/// `if COND { barrier }` where COND is `cmplt SOURCE, 1` for a builder-made SOURCE.
fn barrier_under(source: impl Fn(&mut KernelBuilder) -> ValueId) -> Kernel {
    let mut b = builder();
    let s = source(&mut b);
    let one = b.const_i32(1);
    let c = b.binary(BinaryOp::CmpLt, s, one).unwrap();
    b.begin_if(c).unwrap();
    b.barrier();
    b.end_if().unwrap();
    b.finish().unwrap()
}

#[test]
fn barriers_under_lane_varying_control_are_refused() {
    let k = barrier_under(|b| b.local_id(Axis::X));
    assert_broken(&k, Rule::Barrier, Some(4), "differ between lanes");
    // Varying through a load at a lane-varying index, and through an accumulator.
    let k = barrier_under(|b| {
        let i = b.local_id(Axis::X);
        let x = b.load(global(0), i, 1, None).unwrap();
        let z = b.const_f32(0.0);
        let acc = b.acc_init(z).unwrap();
        b.acc_update(acc, AccUpdate::Assign, x).unwrap();
        let r = b.acc_read(acc).unwrap();
        b.cast(r, DType::I32).unwrap()
    });
    assert_broken(&k, Rule::Barrier, Some(10), "differ between lanes");
    // A loop whose bound depends on the lane.
    let mut b = builder();
    let zero = b.const_i32(0);
    let i = b.local_id(Axis::X);
    b.begin_loop(zero, i, 1, false).unwrap();
    b.barrier();
    b.end_loop().unwrap();
    let k = b.finish().unwrap();
    assert_broken(&k, Rule::Barrier, Some(3), "differ between lanes");
    // A subgroup result differs between the subgroups of a workgroup of 64 lanes.
    let k = barrier_under(|b| {
        let one = b.const_i32(1);
        b.subgroup_reduce(ReduceOp::Sum, one).unwrap()
    });
    assert_broken(&k, Rule::Barrier, Some(5), "differ between lanes");
    // Uniform conditions are fine: the workgroup id, a load at a uniform index, a lane id
    // along an axis of one lane, a subgroup result in a workgroup of one subgroup.
    let k = barrier_under(|b| b.local_id(Axis::Y));
    assert_eq!(verify(&k, None), Ok(()));
    let mut k = barrier_under(|b| {
        let one = b.const_i32(1);
        b.subgroup_reduce(ReduceOp::Sum, one).unwrap()
    });
    k.launch.workgroup[0] = 32;
    assert_eq!(verify(&k, None), Ok(()));
    let k = barrier_under(|b| b.workgroup_id(Axis::X));
    assert_eq!(verify(&k, None), Ok(()));
    let k = barrier_under(|b| {
        let i = b.workgroup_id(Axis::X);
        let x = b.load(global(0), i, 1, None).unwrap();
        b.cast(x, DType::I32).unwrap()
    });
    assert_eq!(verify(&k, None), Ok(()));
}

#[test]
fn subgroup_operations_need_whole_subgroups() {
    let mut b = KernelBuilder::new("k", Launch::linear(1, 32), 32);
    let x = b.const_f32(1.0);
    b.subgroup_reduce(ReduceOp::Sum, x).unwrap();
    let mut k = b.finish().unwrap();
    k.launch.workgroup[0] = 48;
    assert_broken(
        &k,
        Rule::Subgroup,
        None,
        "whole subgroups: 48 lanes, size 32",
    );
}

/// A kernel with `matrix_tile d[v0, stride 16] += h[v0, stride 16] * h[v0, stride 16]`
/// over `shared h: f16[256]` and `shared d: f32[256]`.
fn tile_kernel() -> Kernel {
    let mut b = KernelBuilder::new("k", Launch::linear(1, 32), 32);
    let h = b.shared("h", DType::F16, 256).unwrap();
    let d = b.shared("d", DType::F32, 256).unwrap();
    let zero = b.const_i32(0);
    let tile = |array| TileRef {
        array,
        offset: zero,
        stride: 16,
    };
    b.matrix_tile(tile(h), tile(h), tile(d)).unwrap();
    b.finish().unwrap()
}

fn edit_tile(f: impl Fn(&mut crate::kernel::MatrixTile)) -> Kernel {
    let mut k = tile_kernel();
    if let Some(Stmt::MatrixTile(t)) = k.body.get_mut(1) {
        f(t);
    }
    k
}

#[test]
fn matrix_tiles_need_f16_or_bf16_inputs_f32_output_and_aligned_strides() {
    assert_eq!(verify(&tile_kernel(), Some(&Target::SM_80)), Ok(()));
    let k = edit_tile(|t| t.d = t.a);
    assert_broken(&k, Rule::MatrixTile, Some(1), "D must be f32, not f16");
    let k = edit_tile(|t| t.b = t.d);
    assert_broken(
        &k,
        Rule::MatrixTile,
        Some(1),
        "A and B must both be f16 or both bf16, not f16 and f32",
    );
    let k = edit_tile(|t| t.a.stride = 12);
    assert_broken(
        &k,
        Rule::MatrixTile,
        Some(1),
        "A: the stride 12 must be at least 16 and a multiple of 8",
    );
    let mut k = tile_kernel();
    k.subgroup_size = 16;
    assert_broken(
        &k,
        Rule::Subgroup,
        Some(1),
        "needs subgroups of 32 lanes, not 16",
    );
}

#[test]
fn matrix_tiles_with_constant_offsets_keep_rows_aligned_and_inside() {
    let mut k = tile_kernel();
    k.values[ValueId::from_u32(0)].expr = Expr::Const(Scalar::Int(4));
    assert_broken(
        &k,
        Rule::Alignment,
        Some(1),
        "the offset 4 is not a multiple of 8",
    );
    let mut k = tile_kernel();
    k.values[ValueId::from_u32(0)].expr = Expr::Const(Scalar::Int(8));
    assert_broken(
        &k,
        Rule::Bounds,
        Some(1),
        "elements 8..264 are outside the 256 elements",
    );
    // The same tile under an if may never run: left to the interpreter.
    let mut k = tile_kernel();
    k.values[ValueId::from_u32(0)].expr = Expr::Const(Scalar::Int(8));
    let tile = k.body.pop().unwrap();
    let cond = value(
        &mut k,
        ValueType::scalar(DType::Bool),
        Expr::Const(Scalar::Bool(false)),
    );
    k.body.push(Stmt::Let(cond));
    k.body.push(Stmt::If {
        cond,
        then_body: vec![tile],
        else_body: Vec::new(),
    });
    assert_eq!(verify(&k, None), Ok(()));
}

#[test]
fn structure_rules_accept_what_only_static_rules_refuse() {
    // The divergent barrier of the interpreter's tests is built fine and refused by verify.
    let k = barrier_under(|b| b.local_id(Axis::X));
    assert_eq!(verify_structure(&k), Ok(()));
    assert!(verify(&k, None).is_err());
}

#[test]
fn fma_needs_three_float_operands_of_one_type() {
    let mut k = copy_kernel();
    let (i, x) = (ValueId::from_u32(0), ValueId::from_u32(1));
    let f32 = ValueType::scalar(DType::F32);
    let mixed = value(&mut k, f32, Expr::Fma { a: x, b: x, c: i });
    k.body.push(Stmt::Let(mixed));
    assert_broken(&k, Rule::Type, Some(3), "got f32, f32 and i32");
    let mut k = copy_kernel();
    let i32 = ValueType::scalar(DType::I32);
    let ints = value(&mut k, i32, Expr::Fma { a: i, b: i, c: i });
    k.body.push(Stmt::Let(ints));
    assert_broken(&k, Rule::Type, Some(3), "fma needs three float operands");
}

/// `atomic_add a[v0], v1` after the copy kernel's statements (valid), edited by `edit`.
fn atomic_kernel(edit: impl Fn(&mut crate::kernel::Atomic, &mut Kernel)) -> Kernel {
    let mut b = builder();
    let i = b.local_id(Axis::X);
    let x = b.load(global(0), i, 1, None).unwrap();
    b.atomic(crate::kernel::AtomicOp::Add, global(0), i, x)
        .unwrap();
    let mut k = b.finish().unwrap();
    assert_eq!(verify(&k, None), Ok(()));
    let mut stmt = k.body.pop();
    if let Some(Stmt::Atomic(a)) = &mut stmt {
        edit(a, &mut k);
    }
    k.body.extend(stmt);
    k
}

#[test]
fn atomics_need_read_write_memory_a_scalar_of_its_dtype_and_an_allowed_op() {
    use crate::kernel::AtomicOp;
    let k = atomic_kernel(|a, _| a.target = global(1));
    assert_broken(&k, Rule::Access, Some(2), "buffer r is declared read");
    let k = atomic_kernel(|a, _| a.target = global(2));
    assert_broken(&k, Rule::Access, Some(2), "buffer w is declared write");
    let k = atomic_kernel(|a, _| a.op = AtomicOp::Max);
    assert_broken(
        &k,
        Rule::Type,
        Some(2),
        "atomic_max needs i32 memory, not f32",
    );
    let k = atomic_kernel(|a, k| {
        let v = value(
            k,
            ValueType::vector(DType::F32, 2),
            Expr::Vector(vec![a.value; 2]),
        );
        k.body.push(Stmt::Let(v));
        a.value = v;
    });
    assert_broken(&k, Rule::Type, Some(3), "an atomic takes one f32");
    let k = atomic_kernel(|a, k| {
        let c = value(
            k,
            ValueType::scalar(DType::I32),
            Expr::Const(Scalar::Int(64)),
        );
        k.body.push(Stmt::Let(c));
        a.index = c;
    });
    assert_broken(&k, Rule::Bounds, Some(3), "outside the 64 elements");
}

/// `fragment_zero f; fragment_mma f += h * h; fragment_store d = f` on 32 lanes (valid).
fn fragment_kernel() -> Kernel {
    let mut b = KernelBuilder::new("k", Launch::linear(1, 32), 32);
    let h = b.shared("h", DType::F16, 256).unwrap();
    let d = b.shared("d", DType::F32, 256).unwrap();
    let f = b.fragment("f").unwrap();
    let zero = b.const_i32(0);
    let tile = |array| TileRef {
        array,
        offset: zero,
        stride: 16,
    };
    b.fragment_zero(f).unwrap();
    b.fragment_mma(f, tile(h), tile(h)).unwrap();
    b.fragment_store(f, tile(d)).unwrap();
    let k = b.finish().unwrap();
    assert_eq!(verify(&k, None), Ok(()));
    k
}

#[test]
fn fragments_exist_need_subgroups_of_32_and_f16_in_f32_out() {
    let mut k = fragment_kernel();
    k.subgroup_size = 16;
    assert_broken(&k, Rule::Subgroup, Some(1), "needs subgroups of 32 lanes");
    let mut k = fragment_kernel();
    k.body[1] = Stmt::FragmentZero(crate::kernel::FragId::from_u32(1));
    assert_broken(&k, Rule::Access, Some(1), "frag1 does not exist");
    let mut k = fragment_kernel();
    if let Some(Stmt::FragmentStore { d, .. }) = k.body.get_mut(3) {
        d.array = crate::kernel::SharedId::from_u32(0);
    }
    assert_broken(&k, Rule::MatrixTile, Some(3), "D must be f32, not f16");
    let mut k = fragment_kernel();
    if let Some(Stmt::FragmentMma { a, .. }) = k.body.get_mut(2) {
        a.array = crate::kernel::SharedId::from_u32(1);
    }
    assert_broken(&k, Rule::MatrixTile, Some(2), "not f32 and f16");
    let mut k = fragment_kernel();
    k.fragments.push("h".into());
    assert_broken(&k, Rule::Declaration, None, "the name is already used");
}

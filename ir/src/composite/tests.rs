//! Structural tests of the composites: result shapes and dtypes, the primitive forms later
//! passes rely on, and the errors for bad operands. Values are checked against the reference
//! interpreter in tests/tests/composites.rs.

use crate::{BinaryOp, Conv2dParams, DType, GraphBuilder, NodeId, Op, Pool2dParams, ReduceOp};

fn builder() -> GraphBuilder {
    GraphBuilder::new("t")
}

/// The message of a failed build, or a description of the unexpected success.
fn message<T: std::fmt::Debug>(result: crate::BuildResult<T>) -> String {
    match result {
        Ok(v) => format!("unexpected success: {v:?}"),
        Err(e) => e.to_string(),
    }
}

fn dims(b: &GraphBuilder, x: NodeId) -> Vec<usize> {
    b.shape(x).to_vec()
}

/// Every node reachable from `root`, root first.
fn reachable(b: &GraphBuilder, root: NodeId) -> Vec<NodeId> {
    let mut seen = vec![root];
    let mut i = 0;
    while i < seen.len() {
        for o in b.node(seen[i]).op.operands() {
            if !seen.contains(&o) {
                seen.push(o);
            }
        }
        i += 1;
    }
    seen
}

/// Whether `id` is a Sum reduce of a Mul whose operands are both Expands.
fn is_reduce_mul_expand(b: &GraphBuilder, id: NodeId) -> bool {
    let Op::Reduce {
        op: ReduceOp::Sum,
        x,
        ..
    } = b.node(id).op
    else {
        return false;
    };
    let Op::Binary {
        op: BinaryOp::Mul,
        a,
        b: rhs,
    } = b.node(x).op
    else {
        return false;
    };
    matches!(b.node(a).op, Op::Expand { .. }) && matches!(b.node(rhs).op, Op::Expand { .. })
}

fn count_reduces(b: &GraphBuilder, root: NodeId) -> usize {
    reachable(b, root)
        .into_iter()
        .filter(|&n| matches!(b.node(n).op, Op::Reduce { .. }))
        .count()
}

#[test]
fn matmul_2d_shape_and_form() {
    let mut b = builder();
    let x = b.input("a", DType::F32, &[4, 8]).unwrap();
    let y = b.input("b", DType::F32, &[8, 3]).unwrap();
    let z = b.matmul(x, y, None).unwrap();
    assert_eq!(dims(&b, z), [4, 3]);
    assert_eq!(b.dtype(z), DType::F32);
    let found: Vec<NodeId> = reachable(&b, z)
        .into_iter()
        .filter(|&n| is_reduce_mul_expand(&b, n))
        .collect();
    assert_eq!(found.len(), 1);
    assert_eq!(dims(&b, found[0]), [4, 1, 3]);
    assert!(matches!(b.node(found[0]).op, Op::Reduce { ref axes, .. } if axes == &[1]));
}

#[test]
fn matmul_batch_broadcast() {
    let mut b = builder();
    let x = b.input("a", DType::F32, &[2, 1, 4, 8]).unwrap();
    let y = b.input("b", DType::F32, &[3, 8, 5]).unwrap();
    let z = b.matmul(x, y, None).unwrap();
    assert_eq!(dims(&b, z), [2, 3, 4, 5]);
    let w = b.input("w", DType::F32, &[8, 5]).unwrap();
    let z = b.matmul(x, w, None).unwrap();
    assert_eq!(dims(&b, z), [2, 1, 4, 5]);
}

#[test]
fn matmul_f16_accumulates_in_f32() {
    let mut b = builder();
    let x = b.input("a", DType::F16, &[4, 8]).unwrap();
    let y = b.input("b", DType::F16, &[8, 3]).unwrap();
    let z = b.matmul(x, y, None).unwrap();
    assert_eq!(b.dtype(z), DType::F16);
    let Op::Cast { x: inner } = b.node(z).op else {
        panic!("f16 result is not a cast")
    };
    assert_eq!(b.dtype(inner), DType::F32);
    let sums: Vec<NodeId> = reachable(&b, z)
        .into_iter()
        .filter(|&n| is_reduce_mul_expand(&b, n))
        .collect();
    assert_eq!(sums.len(), 1);
    assert_eq!(b.dtype(sums[0]), DType::F32);
    let z32 = b.matmul(x, y, Some(DType::F32)).unwrap();
    assert_eq!(b.dtype(z32), DType::F32);
    assert!(
        matches!(b.node(z32).op, Op::Reshape { .. }),
        "f32 output needs no final cast"
    );
    let zb = b.matmul(x, y, Some(DType::BF16)).unwrap();
    assert_eq!(b.dtype(zb), DType::BF16);
}

#[test]
fn matmul_int_has_no_casts() {
    let mut b = builder();
    let x = b.input("a", DType::I32, &[2, 3]).unwrap();
    let y = b.input("b", DType::I32, &[3, 2]).unwrap();
    let z = b.matmul(x, y, None).unwrap();
    assert_eq!(b.dtype(z), DType::I32);
    assert!(
        !reachable(&b, z)
            .iter()
            .any(|&n| matches!(b.node(n).op, Op::Cast { .. }))
    );
}

#[test]
fn matmul_errors() {
    let mut b = builder();
    let x = b.input("a", DType::F32, &[4, 8]).unwrap();
    let y = b.input("b", DType::F32, &[6, 3]).unwrap();
    assert_eq!(
        message(b.matmul(x, y, None)),
        "matmul: inner dimensions differ: [4, 8] @ [6, 3]"
    );
    let v = b.input("v", DType::F32, &[8]).unwrap();
    assert!(message(b.matmul(x, v, None)).contains("rank at least 2"));
    let h = b.input("h", DType::F16, &[8, 3]).unwrap();
    assert!(message(b.matmul(x, h, None)).contains("dtypes differ"));
    let p = b.input("p", DType::Bool, &[4, 8]).unwrap();
    let q = b.input("q", DType::Bool, &[8, 4]).unwrap();
    assert!(message(b.matmul(p, q, None)).contains("numeric"));
    let big = b.input("big", DType::F32, &[1 << 24, 1 << 24]).unwrap();
    let e = message(b.matmul(big, big, None));
    assert!(
        e.starts_with("matmul: shape [16777216, 16777216, 16777216] has too many elements"),
        "{e}"
    );
    let bx = b.input("bx", DType::F32, &[2, 4, 8]).unwrap();
    let by = b.input("by", DType::F32, &[3, 8, 4]).unwrap();
    assert!(message(b.matmul(bx, by, None)).contains("batch dimensions"));
}

#[test]
fn elementwise_shapes_dtypes_and_errors() {
    type Unary = fn(&mut GraphBuilder, NodeId) -> crate::BuildResult<NodeId>;
    let ops: [(&str, Unary); 8] = [
        ("exp", GraphBuilder::exp),
        ("log", GraphBuilder::log),
        ("sigmoid", GraphBuilder::sigmoid),
        ("tanh", GraphBuilder::tanh),
        ("relu", GraphBuilder::relu),
        ("silu", GraphBuilder::silu),
        ("gelu", GraphBuilder::gelu),
        ("exp", GraphBuilder::exp),
    ];
    for (name, f) in ops {
        let mut b = builder();
        for dt in [DType::F16, DType::BF16, DType::F32, DType::F64] {
            let x = b.input(&format!("x{dt}"), dt, &[3, 5]).unwrap();
            let y = f(&mut b, x).unwrap();
            assert_eq!((b.dtype(y), dims(&b, y)), (dt, vec![3, 5]), "{name} {dt}");
        }
        let i = b.input("i", DType::I32, &[3]).unwrap();
        assert_eq!(
            message(f(&mut b, i)),
            format!("{name}: needs a float operand, got i32")
        );
    }
}

#[test]
fn softmax_shapes_and_axes() {
    let mut b = builder();
    let x = b.input("x", DType::F32, &[2, 3, 4]).unwrap();
    for axis in [-1, 0, 1, 2, -3] {
        let y = b.softmax(x, axis).unwrap();
        assert_eq!(dims(&b, y), [2, 3, 4]);
        let y = b.log_softmax(x, axis).unwrap();
        assert_eq!(dims(&b, y), [2, 3, 4]);
    }
    assert!(message(b.softmax(x, 3)).starts_with("softmax: axis 3 is out of range"));
    assert!(message(b.log_softmax(x, -4)).starts_with("log_softmax: axis -4 is out of range"));
    let i = b.input("i", DType::I32, &[3]).unwrap();
    assert!(message(b.softmax(i, 0)).contains("float"));
}

#[test]
fn mean_and_var() {
    let mut b = builder();
    let x = b.input("x", DType::F32, &[2, 3, 4]).unwrap();
    let m = b.mean(x, &[0, 2]).unwrap();
    assert_eq!(dims(&b, m), [1, 3, 1]);
    let v = b.var(x, &[1], 1).unwrap();
    assert_eq!(dims(&b, v), [2, 1, 4]);
    assert_eq!(
        message(b.mean(x, &[5])),
        "mean: axis 5 is out of range for [2, 3, 4] (rank 3)"
    );
    assert!(message(b.mean(x, &[])).starts_with("mean: needs at least one axis"));
    assert!(
        message(b.var(x, &[1], 3)).starts_with("var: correction 3 leaves no degrees of freedom")
    );
    let i = b.input("i", DType::I32, &[3]).unwrap();
    assert!(message(b.mean(i, &[0])).contains("float"));
}

#[test]
fn norms() {
    let mut b = builder();
    let x = b.input("x", DType::F32, &[4, 8]).unwrap();
    let w = b.input("w", DType::F32, &[8]).unwrap();
    let bias = b.input("bias", DType::F32, &[8]).unwrap();
    for (wt, bs) in [(None, None), (Some(w), None), (Some(w), Some(bias))] {
        let y = b.layernorm(x, wt, bs, 1e-5).unwrap();
        assert_eq!(dims(&b, y), [4, 8]);
    }
    let y = b.rmsnorm(x, Some(w), 1e-6).unwrap();
    assert_eq!(dims(&b, y), [4, 8]);
    let bad = b.input("bad", DType::F32, &[4]).unwrap();
    assert!(
        message(b.layernorm(x, Some(bad), None, 1e-5))
            .starts_with("layernorm: weight and bias must be f32[8]")
    );
    let half = b.input("half", DType::F16, &[8]).unwrap();
    assert!(message(b.rmsnorm(x, Some(half), 1e-5)).starts_with("rmsnorm: weight"));
    assert!(message(b.layernorm(x, None, None, -1.0)).contains("eps"));
    let s = b.input("s", DType::F32, &[]).unwrap();
    assert!(message(b.layernorm(s, None, None, 1e-5)).contains("at least 1 axes"));
}

/// conv2d of fresh f32 inputs in a graph of their own.
fn conv(x: &[usize], w: &[usize], p: Conv2dParams) -> crate::BuildResult<(GraphBuilder, NodeId)> {
    let mut b = builder();
    let x = b.input("x", DType::F32, x)?;
    let w = b.input("w", DType::F32, w)?;
    let y = b.conv2d(x, w, None, &p)?;
    Ok((b, y))
}

fn conv_dims(x: &[usize], w: &[usize], p: Conv2dParams) -> Vec<usize> {
    let (b, y) = conv(x, w, p).unwrap();
    dims(&b, y)
}

#[test]
fn conv2d_output_shapes() {
    let p = |s: usize, pad: usize, d: usize| Conv2dParams {
        stride: [s, s],
        padding: [pad, pad],
        dilation: [d, d],
    };
    assert_eq!(
        conv_dims(&[2, 3, 16, 16], &[8, 3, 3, 3], p(1, 1, 1)),
        [2, 8, 16, 16]
    );
    // H: (7 + 2 − 2·2 − 1)/2 + 1 = 3; W: (9 + 2 − 2·1 − 1)/2 + 1 = 5
    assert_eq!(
        conv_dims(&[1, 2, 7, 9], &[4, 2, 3, 2], p(2, 1, 2)),
        [1, 4, 3, 5]
    );
    assert_eq!(
        conv_dims(&[1, 1, 5, 5], &[1, 1, 1, 1], p(7, 0, 1)),
        [1, 1, 1, 1]
    );
    assert_eq!(
        conv_dims(&[1, 1, 5, 5], &[1, 1, 1, 1], p(2, 0, 1)),
        [1, 1, 3, 3]
    );
}

#[test]
fn conv2d_is_one_multiply_and_one_sum_over_movement_ops() {
    let mut b = builder();
    let x = b.input("x", DType::F16, &[2, 3, 9, 8]).unwrap();
    let w = b.input("w", DType::F16, &[4, 3, 3, 2]).unwrap();
    let bias = b.input("bias", DType::F16, &[4]).unwrap();
    let p = Conv2dParams {
        stride: [2, 1],
        padding: [1, 0],
        dilation: [2, 3],
    };
    let y = b.conv2d(x, w, Some(bias), &p).unwrap();
    assert_eq!(b.dtype(y), DType::F16);
    assert_eq!(count_reduces(&b, y), 1);
    let nodes = reachable(&b, y);
    let sum = nodes
        .iter()
        .copied()
        .find(|&n| matches!(b.node(n).op, Op::Reduce { .. }))
        .unwrap();
    assert!(is_reduce_mul_expand(&b, sum));
    assert_eq!(b.dtype(sum), DType::F32);
    assert!(matches!(b.node(sum).op, Op::Reduce { ref axes, .. } if axes == &[2, 5, 6]));
    // Below the multiply only movement ops, casts and the inputs: the window is a view.
    let below = reachable(&b, sum).into_iter().skip(2);
    for n in below {
        let movement = matches!(
            b.node(n).op,
            Op::Reshape { .. }
                | Op::Permute { .. }
                | Op::Expand { .. }
                | Op::Pad { .. }
                | Op::Shrink { .. }
        );
        assert!(
            movement || matches!(b.node(n).op, Op::Cast { .. } | Op::Input { .. }),
            "{:?}",
            b.node(n).op
        );
    }
}

#[test]
fn conv2d_errors() {
    let message = |r: crate::BuildResult<(GraphBuilder, NodeId)>| message(r.map(|(_, y)| y));
    let d = Conv2dParams::default();
    let e = message(conv(&[1, 3, 8, 8], &[4, 2, 3, 3], d));
    assert_eq!(
        e,
        "conv2d: the input has 3 channels but the weight expects 2: input [1, 3, 8, 8], weight [4, 2, 3, 3]"
    );
    assert!(message(conv(&[3, 8, 8], &[4, 3, 3, 3], d)).contains("needs input [N, C, H, W]"));
    assert!(
        message(conv(&[1, 1, 2, 8], &[1, 1, 3, 3], d))
            .contains("padded input has 2 on the height axis")
    );
    let zero_stride = Conv2dParams {
        stride: [1, 0],
        ..d
    };
    assert!(message(conv(&[1, 1, 8, 8], &[1, 1, 3, 3], zero_stride)).contains("at least 1"));
    let zero_dil = Conv2dParams {
        dilation: [0, 1],
        ..d
    };
    assert!(message(conv(&[1, 1, 8, 8], &[1, 1, 3, 3], zero_dil)).contains("at least 1"));
    let huge = Conv2dParams {
        padding: [usize::MAX / 2, 0],
        ..d
    };
    assert!(message(conv(&[1, 1, 8, 8], &[1, 1, 3, 3], huge)).contains("too large"));
    let huge_dil = Conv2dParams {
        dilation: [usize::MAX, 1],
        ..d
    };
    assert!(message(conv(&[1, 1, 8, 8], &[1, 1, 3, 3], huge_dil)).contains("too large"));
    let mut b = builder();
    let message = |r: crate::BuildResult<NodeId>| super::tests::message(r);
    let x = b.input("bx", DType::F32, &[1, 2, 8, 8]).unwrap();
    let w = b.input("bw", DType::F32, &[4, 2, 3, 3]).unwrap();
    let bias = b.input("bb", DType::F32, &[3]).unwrap();
    assert!(message(b.conv2d(x, w, Some(bias), &d)).contains("bias must be [4]"));
    let wi = b.input("wi", DType::I32, &[4, 2, 3, 3]).unwrap();
    assert!(message(b.conv2d(x, wi, None, &d)).contains("one dtype"));
}

#[test]
fn max_pool2d_shapes_and_errors() {
    let mut b = builder();
    let x = b.input("x", DType::F32, &[2, 3, 8, 7]).unwrap();
    let p = Pool2dParams {
        kernel: [2, 2],
        stride: [2, 2],
        padding: [0, 0],
        dilation: [1, 1],
    };
    let y = b.max_pool2d(x, &p).unwrap();
    assert_eq!(dims(&b, y), [2, 3, 4, 3]);
    assert_eq!(count_reduces(&b, y), 1);
    let i = b.input("i", DType::I8, &[1, 1, 4, 4]).unwrap();
    let p3 = Pool2dParams {
        kernel: [3, 3],
        stride: [1, 1],
        padding: [1, 1],
        dilation: [1, 1],
    };
    let y = b.max_pool2d(i, &p3).unwrap();
    assert_eq!((b.dtype(y), dims(&b, y)), (DType::I8, vec![1, 1, 4, 4]));
    let pad = reachable(&b, y)
        .into_iter()
        .find_map(|n| match &b.node(n).op {
            Op::Pad { value, .. } => Some(*value),
            _ => None,
        });
    assert!(pad.is_some_and(|v| v.same(&crate::Scalar::Int(-128))));
    let big = Pool2dParams {
        kernel: [9, 2],
        ..p
    };
    assert!(message(b.max_pool2d(x, &big)).starts_with("max_pool2d: the window spans 9"));
    let bl = b.input("bl", DType::Bool, &[1, 1, 4, 4]).unwrap();
    assert!(message(b.max_pool2d(bl, &p)).contains("numeric"));
}

#[test]
fn attention_shapes_and_errors() {
    let mut b = builder();
    let q = b.input("q", DType::F32, &[2, 4, 5, 8]).unwrap();
    let k = b.input("k", DType::F32, &[2, 4, 7, 8]).unwrap();
    let v = b.input("v", DType::F32, &[2, 4, 7, 3]).unwrap();
    for causal in [false, true] {
        let y = b.attention(q, k, v, causal, None).unwrap();
        assert_eq!(dims(&b, y), [2, 4, 5, 3]);
    }
    let has_iota = |b: &GraphBuilder, y| {
        reachable(b, y)
            .iter()
            .any(|&n| matches!(b.node(n).op, Op::Iota { .. }))
    };
    let y = b.attention(q, k, v, true, Some(0.5)).unwrap();
    assert!(has_iota(&b, y));
    let y = b.attention(q, k, v, false, Some(0.5)).unwrap();
    assert!(!has_iota(&b, y));
    assert!(message(b.attention(q, v, k, false, None)).contains("head sizes differ"));
    let v2 = b.input("v2", DType::F32, &[2, 4, 6, 3]).unwrap();
    assert!(message(b.attention(q, k, v2, false, None)).contains("lengths differ"));
    let h = b.input("h", DType::F16, &[2, 4, 5, 8]).unwrap();
    assert!(message(b.attention(h, k, v, false, None)).contains("one dtype"));
    assert!(message(b.attention(q, k, v, false, Some(f64::NAN))).contains("finite"));
}

#[test]
fn attention_f16_keeps_scores_in_f32() {
    let mut b = builder();
    let q = b.input("q", DType::F16, &[5, 8]).unwrap();
    let k = b.input("k", DType::F16, &[7, 8]).unwrap();
    let v = b.input("v", DType::F16, &[7, 3]).unwrap();
    let y = b.attention(q, k, v, true, None).unwrap();
    assert_eq!(b.dtype(y), DType::F16);
    let exps: Vec<NodeId> = reachable(&b, y)
        .into_iter()
        .filter(|&n| {
            matches!(
                b.node(n).op,
                Op::Unary {
                    op: crate::UnaryOp::Exp2,
                    ..
                }
            )
        })
        .collect();
    assert_eq!(exps.len(), 1);
    assert_eq!(b.dtype(exps[0]), DType::F32);
}

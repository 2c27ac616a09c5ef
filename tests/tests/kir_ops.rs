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

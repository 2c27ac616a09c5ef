//! Register allocation's spill code, run: kernels with more live values than the register
//! files hold go through the whole AMD pipeline and run on the `emu` device; the results
//! must equal the same sums computed here in plain Rust, in the same order (f32 addition,
//! so the comparison is exact).

mod emu;

use egpu_codegen_amdgpu::compile_program;
use egpu_runtime::ir::Target;
use egpu_runtime::ir::kernel::{Launch, Program, text};
use emu::*;

const N: usize = 400;

/// `y[i] = ((x[i] + x[i + 64·399]) + x[i + 64]) + … + x[i + 64·398]` for lanes `i < 40`
/// (all 400 loads live at once: VGPR spills, inside a per-lane `if`, so under a partial
/// EXEC in the second wave), and `y[i] = -x[i]` for the others.
fn source() -> String {
    let mut src = format!(
        "kernel wide(x: global f32[{}] read, y: global f32[64] write)
  grid [1, 1, 1] workgroup [64, 1, 1] subgroup 32
{{
  i: i32 = local_id.x
  h: i32 = const 40
  p: bool = cmplt i, h
  z: f32 = const 0.0
  acc: f32 = init z
  a0: f32 = load x[i]
  if p {{
",
        64 * N
    );
    for k in 1..N {
        src += &format!(
            "    c{k}: i32 = const {}\n    j{k}: i32 = add i, c{k}\n    a{k}: f32 = load x[j{k}]\n",
            64 * k
        );
    }
    src += &format!("    s0: f32 = add a0, a{}\n", N - 1);
    for k in 1..N - 1 {
        src += &format!("    s{k}: f32 = add s{}, a{k}\n", k - 1);
    }
    src += &format!(
        "    acc = s{}\n  }} else {{\n    n: f32 = neg a0\n    acc = n\n  }}\n  r: f32 = read acc\n  store y[i] = r\n}}\n",
        N - 2
    );
    src
}

fn expected(x: &[f32]) -> Vec<f32> {
    (0..64)
        .map(|i| {
            if i >= 40 {
                return -x[i];
            }
            let mut s = x[i] + x[i + 64 * (N - 1)];
            for k in 1..N - 1 {
                s += x[i + 64 * k];
            }
            s
        })
        .collect()
}

#[test]
fn spilled_values_survive_on_the_emulator() {
    let kernel = text::parse(&source()).unwrap_or_else(|e| panic!("{e}"));
    let program = Program {
        name: "wide".into(),
        buffers: Vec::new(),
        kernels: vec![kernel],
        launches: Vec::new(),
        outputs: Vec::new(),
    };
    let target = Target::by_name("gfx1100").expect("gfx1100");
    let (object, kernels) = compile_program(&program, &target).unwrap_or_else(|e| panic!("{e}"));
    let scratch = kernels[0].allocation.scratch_bytes_per_lane;
    assert!(scratch > 0, "the kernel must spill");
    // Distinct values, exact in f32 sums of 400 terms.
    let x: Vec<f32> = (0..64 * N)
        .map(|k| ((k * 7919) % 1000) as f32 * 0.25)
        .collect();
    let out = launch(
        &object,
        "wide",
        Launch {
            grid: [1, 1, 1],
            workgroup: [64, 1, 1],
        },
        vec![A::Buf(f32s(&x)), A::Buf(f32s(&[0.0; 64]))],
    )
    .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(to_f32s(&out[1]), expected(&x));
}

const P: usize = 130;

/// `y[i] = i + (p0 + p129) + p1 + … + p128` with all 130 uniform parameters live at once:
/// more than the SGPRs hold, so some go to VGPR lanes.
fn uniform_source() -> String {
    let params: Vec<String> = (0..P).map(|k| format!("n{k}: i32")).collect();
    let mut src = format!(
        "kernel uni(y: global i32[64] write, {})
  grid [1, 1, 1] workgroup [64, 1, 1] subgroup 32
{{
  i: i32 = local_id.x
",
        params.join(", ")
    );
    for k in 0..P {
        src += &format!("  q{k}: i32 = param n{k}\n");
    }
    src += &format!("  s0: i32 = add q0, q{}\n", P - 1);
    for k in 1..P - 1 {
        src += &format!("  s{k}: i32 = add s{}, q{k}\n", k - 1);
    }
    src += &format!("  r: i32 = add s{}, i\n  store y[i] = r\n}}\n", P - 2);
    src
}

#[test]
fn spilled_uniform_values_survive_on_the_emulator() {
    let kernel = text::parse(&uniform_source()).unwrap_or_else(|e| panic!("{e}"));
    let program = Program {
        name: "uni".into(),
        buffers: Vec::new(),
        kernels: vec![kernel],
        launches: Vec::new(),
        outputs: Vec::new(),
    };
    let target = Target::by_name("gfx1100").expect("gfx1100");
    let (object, kernels) = compile_program(&program, &target).unwrap_or_else(|e| panic!("{e}"));
    let asm = kernels[0].asm(false);
    assert!(
        asm.contains("v_writelane_b32"),
        "the kernel must spill SGPRs"
    );
    let p: Vec<i32> = (0..P as i32).map(|k| k * 1000 + 7).collect();
    let mut args = vec![A::Buf(vec![0; 256])];
    args.extend(p.iter().map(|&v| A::I32(v)));
    let out = launch(
        &object,
        "uni",
        Launch {
            grid: [1, 1, 1],
            workgroup: [64, 1, 1],
        },
        args,
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let sum: i32 = p.iter().sum();
    let want: Vec<i32> = (0..64).map(|i| sum + i).collect();
    assert_eq!(to_i32s(&out[0]), want);
}

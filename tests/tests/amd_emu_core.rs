//! The AMD backend's core families (driver, uniformity, control flow, values, global
//! memory, 32-bit ALU) run on the RDNA3 emulator (`emu` device) against the kernel-IR
//! interpreter: the hand-written kernels of codegen-amdgpu's isel tests and random kernels
//! from the same generator (nested per-lane and uniform control flow, accumulators, masks,
//! vectors, i64 loops), every output buffer equal bit for bit (NaNs by class). Float
//! inputs mix in NaN, ±0 and ±inf.

#[path = "../../codegen-amdgpu/tests/isel_run/inputs.rs"]
mod inputs;
#[path = "../../codegen-amdgpu/tests/isel_run/random.rs"]
mod random;

use egpu_codegen_amdgpu::compile_program;
use egpu_ir::kernel::{Param, Program, text};
use egpu_ir::{DType, Scalar, Target};
use egpu_runtime::bytes::{from_bytes, to_bytes};
use egpu_runtime::{Arg, Binary, Device, EmuDevice};
use inputs::inputs;

/// Runs `src` with `scalars` on the emulator and the interpreter; panics on a difference.
fn check(src: &str, scalars: &[i64]) {
    let k = text::parse(src).unwrap_or_else(|e| panic!("{e}\n{src}"));
    let target = Target::by_name("gfx1100").expect("target");
    let program = Program {
        name: k.name().to_string(),
        buffers: Vec::new(),
        kernels: vec![k.clone()],
        launches: Vec::new(),
        outputs: Vec::new(),
    };
    let (object, compiled) =
        compile_program(&program, &target).unwrap_or_else(|e| panic!("{e}\n{src}"));
    let binary = Binary::CodeObject(object);
    for seed in 0..2 {
        let mut expected = inputs(&k, seed);
        let start = expected.clone();
        egpu_ir::kernel::run(&k, &mut expected, scalars).unwrap_or_else(|e| panic!("{e}"));
        let mut dev = EmuDevice::new();
        let handle = dev.load(&binary, k.name()).expect("load");
        let mut ids = Vec::new();
        let mut args = Vec::new();
        let (mut nb, mut ns) = (0, 0);
        for (_, p) in k.params() {
            match p {
                Param::Buffer { .. } => {
                    let bytes = to_bytes(&start[nb]);
                    let id = dev.alloc(bytes.len()).expect("alloc");
                    dev.upload(id, &bytes).expect("upload");
                    ids.push(id);
                    args.push(Arg::Buffer(id));
                    nb += 1;
                }
                Param::Scalar { dtype, .. } => {
                    let v = scalars[ns];
                    args.push(if *dtype == DType::I64 {
                        Arg::I64(v)
                    } else {
                        Arg::I32(v as i32)
                    });
                    ns += 1;
                }
            }
        }
        if let Err(e) = dev
            .launch(handle, k.launch(), &args)
            .and_then(|_| dev.synchronize())
        {
            panic!("{}: {e}\n{src}\n{}", k.name(), compiled[0].asm(true));
        }
        for (i, want) in expected.iter().enumerate() {
            let mut bytes = vec![0u8; want.numel() * want.dtype.size_bytes()];
            dev.download(ids[i], &mut bytes).expect("download");
            let got =
                from_bytes(want.dtype, want.shape.clone(), &bytes).expect("the buffer's bytes");
            if !got.same(want) {
                let at = (0..want.numel())
                    .find(|&j| !Scalar::same(&got.get(j), &want.get(j)))
                    .unwrap_or(0);
                panic!(
                    "{} (seed {seed}, scalars {scalars:?}): buffer {i} element {at}: got {}, want {}\n{src}\n{}",
                    k.name(),
                    got.get(at),
                    want.get(at),
                    compiled[0].asm(true)
                );
            }
        }
    }
}

fn kir(name: &str) -> String {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../codegen-amdgpu/tests/data/isel")
        .join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[test]
fn hand_written_kernels() {
    let cases: &[(&str, &[&[i64]])] = &[
        ("add.kir", &[&[]]),
        ("per_lane_if.kir", &[&[]]),
        ("uniform_if.kir", &[&[1], &[0], &[-7], &[2]]),
        ("per_lane_loop.kir", &[&[]]),
        ("wide_loop.kir", &[&[100], &[0], &[-3], &[1000]]),
        ("masks.kir", &[&[]]),
        ("wide_vectors.kir", &[&[]]),
        ("int_ops.kir", &[&[5], &[-1], &[33]]),
        ("float_ops.kir", &[&[]]),
        ("minmax.kir", &[&[]]),
        ("nested.kir", &[&[]]),
        ("scopes.kir", &[&[]]),
        ("ploop.kir", &[&[200], &[-5], &[0], &[992]]),
        ("sload.kir", &[&[7], &[0], &[255]]),
        ("lid.kir", &[&[]]),
        ("one.kir", &[&[]]),
    ];
    for (file, runs) in cases {
        let src = kir(file);
        for scalars in *runs {
            check(&src, scalars);
        }
    }
}

#[test]
fn random_core_kernels() {
    let count: u64 = std::env::var("ISEL_RANDOM")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(40);
    for seed in 0..count {
        let src = random::kernel(seed);
        for n in [5i64, 0, 12] {
            check(&src, &[n, 3 * n + 1]);
        }
    }
}

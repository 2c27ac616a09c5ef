//! The shared-memory, barrier, atomic, subgroup and matrix kernels of
//! codegen-amdgpu/tests/data/kir (the isel "coop" families) compiled by the AMD backend, run
//! on the emulator and compared with the kernel-IR interpreter on the same inputs. The
//! interpreter is the oracle; every output buffer must match bit for bit (the float atomic
//! sums here add small multiples of 1/4, exact in any order).

use egpu_codegen_amdgpu::compile_kernel;
use egpu_codegen_amdgpu::object::CodeObject;
use egpu_runtime::bytes::{from_bytes, to_bytes};
use egpu_runtime::ir::interp::Tensor;
use egpu_runtime::ir::kernel::{Kernel, Param, run, text};
use egpu_runtime::ir::{DType, Target};
use egpu_runtime::{Arg, Binary, Device, EmuDevice};

const FILES: [&str; 5] = [
    "subgroup_reduce.kir",
    "lds_round_trip.kir",
    "atomics.kir",
    "matrix_tile.kir",
    "fragment_kloop.kir",
];

/// Input element `i` of a buffer: small values, exact in every dtype and every sum here.
fn input(dt: DType, i: usize) -> f64 {
    let x = ((i * 7) % 11) as f64;
    match dt {
        DType::U8 | DType::U16 | DType::U32 | DType::U64 | DType::Bool => x,
        DType::F16 | DType::BF16 | DType::F32 | DType::F64 => (x - 5.0) / 4.0,
        _ => x - 5.0,
    }
}

fn inputs(k: &Kernel) -> Vec<Tensor> {
    k.params()
        .filter_map(|(_, p)| match p {
            Param::Buffer { dtype, len, .. } => {
                let v: Vec<f64> = (0..*len).map(|i| input(*dtype, i)).collect();
                Some(Tensor::from_f64(*dtype, &[*len], &v).expect("input tensor"))
            }
            Param::Scalar { .. } => None,
        })
        .collect()
}

/// Runs `k` on the emulator; returns every buffer afterwards.
fn on_emu(k: &Kernel, bufs: &[Tensor]) -> Result<Vec<Tensor>, String> {
    let compiled = compile_kernel(k, &Target::GFX1100).map_err(|e| e.to_string())?;
    let object = CodeObject::write(&[compiled.code()]).map_err(|e| e.to_string())?;
    let mut dev = EmuDevice::new();
    let h = dev
        .load(&Binary::CodeObject(object), k.name())
        .map_err(|e| e.to_string())?;
    let mut ids = Vec::new();
    for t in bufs {
        let bytes = to_bytes(t);
        let b = dev.alloc(bytes.len()).map_err(|e| e.to_string())?;
        dev.upload(b, &bytes).map_err(|e| e.to_string())?;
        ids.push((b, bytes.len()));
    }
    let args: Vec<Arg> = ids.iter().map(|(b, _)| Arg::Buffer(*b)).collect();
    dev.launch(h, k.launch(), &args)
        .map_err(|e| format!("{e}\n{}", compiled.asm(true)))?;
    ids.iter()
        .zip(bufs)
        .map(|((b, len), t)| {
            let mut got = vec![0; *len];
            dev.download(*b, &mut got).map_err(|e| e.to_string())?;
            from_bytes(t.dtype, t.shape.clone(), &got).map_err(|e| e.to_string())
        })
        .collect()
}

#[test]
fn coop_kernels_on_the_emulator_match_the_interpreter() {
    let dir =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../codegen-amdgpu/tests/data/kir");
    let mut ran = 0;
    for file in FILES {
        let src = std::fs::read_to_string(dir.join(file)).expect("kir file");
        for k in text::parse_all(&src).expect("kir parses") {
            let start = inputs(&k);
            let mut want = start.clone();
            run(&k, &mut want, &[]).unwrap_or_else(|e| panic!("{}: interpreter: {e}", k.name()));
            let got = on_emu(&k, &start).unwrap_or_else(|e| panic!("{}: {e}", k.name()));
            for (n, (g, w)) in got.iter().zip(&want).enumerate() {
                assert_eq!(
                    to_bytes(g),
                    to_bytes(w),
                    "{}: buffer {n}\n got {:?}\nwant {:?}",
                    k.name(),
                    g.data,
                    w.data
                );
            }
            ran += 1;
        }
    }
    assert_eq!(ran, 12 + 6);
}

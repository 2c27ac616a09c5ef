//! The cuda device against a stand-in driver (tests/mock_cuda/libcuda.c, built here with
//! `cc`): the device's own logic — loading the driver, the cubin → PTX fallback and its
//! notice, JIT logs in errors, arguments marshalled in order and checked against the
//! parameter sizes, faults reported at the next synchronization, run_program — runs without
//! a GPU. The real driver is exercised by scripts/gpu/check on the GPU machine.
//!
//! The driver library is found through LD_LIBRARY_PATH, which the loader reads at process
//! start, so each scenario runs in a child process: this test binary again, running one
//! `#[ignore]`d test with the mock's directory on the path.

use egpu_ir::interp::Tensor;
use egpu_ir::kernel::{BufferRole, KernelLaunch, Launch, Program, ProgramBuffer, text};
use egpu_ir::{DType, Shape};
use egpu_runtime::device::Filled;
use egpu_runtime::program::{RunOptions, run_program};
use egpu_runtime::{Arg, Binary, CudaDevice, Device, DeviceError};
use std::collections::BTreeMap;
use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

mod mock_lib;

/// The mock driver's directory, built once for all the tests of this process (they run in
/// parallel, and a half-written library must not be loaded).
fn mock_driver() -> Option<PathBuf> {
    static BUILT: OnceLock<Option<PathBuf>> = OnceLock::new();
    BUILT.get_or_init(build_mock_driver).clone()
}

/// Builds the mock driver; `None` (after saying why) without a C compiler outside CI.
fn build_mock_driver() -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("mock_cuda");
    let source = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/mock_cuda/libcuda.c");
    mock_lib::build_c_library(&source, &dir, "libcuda.so", &[])
}

/// Runs the ignored test `name` in a child with the mock driver, and `major` as its
/// compute capability's major version.
fn in_child(name: &str, major: &str) {
    let Some(dir) = mock_driver() else {
        return;
    };
    let env = [
        ("MOCK_CUDA_CC_MAJOR", OsStr::new(major)),
        ("EGPU_MOCK_CUDA", OsStr::new("1")),
    ];
    mock_lib::run_ignored_in_child(name, &dir, &env);
}

/// The child's device; refuses to run outside `in_child` (the real driver could be there).
fn open() -> CudaDevice {
    assert!(
        std::env::var_os("EGPU_MOCK_CUDA").is_some(),
        "run through in_child"
    );
    CudaDevice::open(0).unwrap()
}

/// A minimal 64-bit ELF header with no tables: passes the device's cubin check.
fn cubin() -> Vec<u8> {
    let mut image = vec![0u8; 64];
    image[..6].copy_from_slice(b"\x7fELF\x02\x01");
    image
}

fn i32_bytes(values: &[i32]) -> Vec<u8> {
    values.iter().flat_map(|v| v.to_le_bytes()).collect()
}

#[test]
fn loading_and_launching() {
    in_child("child_loading_and_launching", "12");
}

#[test]
#[ignore = "runs in a child process with the mock driver (see in_child)"]
fn child_loading_and_launching() {
    let mut device = open();
    let described = device.describe();
    assert!(
        described.starts_with(
            "cuda:0 Mock GPU (compute capability 12.0, 16 GiB), target sm_90 (the nearest"
        ),
        "{described}"
    );

    // The mock refuses every cubin: the PTX beside it is JIT-compiled, once, with a notice.
    let binary = Binary::Cubin {
        image: cubin(),
        ptx: Some("//mock ptx".into()),
    };
    let scale = device.load(&binary, "scale").unwrap();
    let notices = device.take_notices();
    assert_eq!(notices.len(), 1, "{notices:?}");
    assert!(
        notices[0].contains("refused the cubin of kernel 'scale' (CUDA_ERROR_NO_BINARY_FOR_GPU)"),
        "{notices:?}"
    );
    device.load(&binary, "copy_double").unwrap();
    assert_eq!(
        device.take_notices(),
        Vec::<String>::new(),
        "the module is cached"
    );

    let alone = Binary::Cubin {
        image: cubin(),
        ptx: None,
    };
    let err = device.load(&alone, "scale").unwrap_err().to_string();
    assert_eq!(
        err,
        "cuda:0: loading kernel 'scale': the cubin was refused: CUDA_ERROR_NO_BINARY_FOR_GPU"
    );
    let err = device
        .load(&Binary::Ptx("garbage".into()), "scale")
        .unwrap_err()
        .to_string();
    assert_eq!(
        err,
        "cuda:0: loading kernel 'scale': PTX JIT compilation failed: CUDA_ERROR_INVALID_PTX: mock ptxas: line 1; error   : not mock PTX; mock ptxas fatal   : aborted"
    );
    let truncated = Binary::Cubin {
        image: cubin()[..63].to_vec(),
        ptx: None,
    };
    let err = device.load(&truncated, "scale").unwrap_err().to_string();
    assert!(
        err.ends_with("the cubin was refused: not a cubin: no ELF header"),
        "{err}"
    );
    let err = device
        .load(&Binary::Ptx("//mock ptx".into()), "nothing")
        .unwrap_err()
        .to_string();
    assert_eq!(
        err,
        "cuda:0: finding kernel 'nothing' in the module failed: CUDA_ERROR_NOT_FOUND"
    );

    // Arguments reach the kernel in order, with their sizes.
    let x = device.alloc(16).unwrap();
    device.upload(x, &i32_bytes(&[1, -2, 3, 40])).unwrap();
    device
        .launch(scale, Launch::linear(2, 2), &[Arg::Buffer(x), Arg::I32(3)])
        .unwrap();
    let ms = device
        .timed_launch(scale, Launch::linear(1, 2), &[Arg::Buffer(x), Arg::I32(-1)])
        .unwrap();
    assert_eq!(ms, 1.5);
    let mut out = vec![0; 16];
    device.download(x, &mut out).unwrap();
    assert_eq!(out, i32_bytes(&[-3, 6, 9, 120]));

    // What the kernel's parameters cannot take never reaches the driver.
    let err = device
        .launch(scale, Launch::linear(1, 4), &[Arg::Buffer(x)])
        .unwrap_err()
        .to_string();
    assert_eq!(err, "cuda:0: kernel 'scale': 2 parameters, 1 arguments");
    let err = device
        .launch(scale, Launch::linear(1, 4), &[Arg::Buffer(x), Arg::I64(2)])
        .unwrap_err()
        .to_string();
    assert_eq!(
        err,
        "cuda:0: kernel 'scale': parameter 1 takes 4 bytes, I64(2) has 8"
    );
    let err = device.upload(x, &[0; 4]).unwrap_err().to_string();
    assert_eq!(err, "cuda:0: buffer #0 holds 16 bytes, the upload has 4");
    device.free(x).unwrap();
    let err = device
        .launch(scale, Launch::linear(1, 4), &[Arg::Buffer(x), Arg::I32(1)])
        .unwrap_err();
    assert_eq!(
        err,
        DeviceError::NoSuchBuffer {
            device: "cuda:0".into(),
            buffer: 0
        }
    );

    // A zero-byte buffer needs no allocation.
    let empty = device.alloc(0).unwrap();
    device.upload(empty, &[]).unwrap();
    device.free(empty).unwrap();
}

#[test]
fn a_fault_is_reported_at_the_next_synchronization() {
    in_child("child_a_fault_is_reported_at_the_next_synchronization", "9");
}

#[test]
#[ignore = "runs in a child process with the mock driver (see in_child)"]
fn child_a_fault_is_reported_at_the_next_synchronization() {
    let mut device = open();
    assert!(
        device.describe().ends_with("target sm_90"),
        "{}",
        device.describe()
    );
    let fault = device
        .load(&Binary::Ptx("//mock ptx".into()), "fault")
        .unwrap();
    let x = device.alloc(4).unwrap();
    device
        .launch(fault, Launch::linear(1, 1), &[Arg::Buffer(x)])
        .unwrap();
    let err = device.synchronize().unwrap_err().to_string();
    assert_eq!(
        err,
        "cuda:0: synchronizing after kernel 'fault' failed: CUDA_ERROR_ILLEGAL_ADDRESS"
    );
    let err = device.download(x, &mut [0; 4]).unwrap_err().to_string();
    assert_eq!(
        err,
        "cuda:0: downloading buffer #0 (after kernel 'fault') failed: CUDA_ERROR_ILLEGAL_ADDRESS"
    );
}

#[test]
fn a_program_runs_like_program_run() {
    in_child("child_a_program_runs_like_program_run", "8");
}

#[test]
#[ignore = "runs in a child process with the mock driver (see in_child)"]
fn child_a_program_runs_like_program_run() {
    // The kernel IR of what the mock's copy_double does, run by Program::run as the oracle.
    let kernel = text::parse(
        "kernel copy_double(x: global i32[6] read, y: global i32[6] write)
           grid [2, 1, 1] workgroup [3, 1, 1] subgroup 32
         {
           v0: i32 = workgroup_id.x
           v1: i32 = const 3
           v2: i32 = mul v0, v1
           v3: i32 = local_id.x
           v4: i32 = add v2, v3
           v5: i32 = load x[v4]
           v6: i32 = const 2
           v7: i32 = mul v5, v6
           store y[v4] = v7
         }",
    )
    .unwrap();
    let buffer = |role| ProgramBuffer {
        dtype: DType::I32,
        elements: 6,
        role,
    };
    let program = Program {
        name: "double".into(),
        buffers: vec![
            buffer(BufferRole::Input("x".into())),
            buffer(BufferRole::Output("y".into())),
        ],
        kernels: vec![kernel],
        launches: vec![KernelLaunch {
            kernel: 0,
            bindings: vec![0, 1],
        }],
        outputs: vec![("y".into(), 1, Shape::new(vec![2, 3]).unwrap())],
    };
    let x = Tensor::from_f64(DType::I32, &[6], &[1.0, -7.0, 0.0, 1e9, -1e9, 12.0]).unwrap();
    let inputs = BTreeMap::from([("x".to_string(), x)]);
    let mut device = open();
    assert_eq!(device.target_name(), Some("sm_80"));
    let binaries = [Binary::Ptx("//mock ptx".into())];
    let options = RunOptions {
        time_launches: true,
        ..RunOptions::default()
    };
    let run = run_program(&mut device, &program, &binaries, &inputs, options).unwrap();
    assert_eq!(run.launch_ms, [1.5]);
    let want = program.run(&inputs).unwrap();
    assert!(
        want[0].1.same(&run.outputs[0].1),
        "{want:?} vs {:?}",
        run.outputs
    );
}

#[test]
fn an_old_gpu_is_refused() {
    in_child("child_an_old_gpu_is_refused", "7");
}

#[test]
#[ignore = "runs in a child process with the mock driver (see in_child)"]
fn child_an_old_gpu_is_refused() {
    assert!(
        std::env::var_os("EGPU_MOCK_CUDA").is_some(),
        "run through in_child"
    );
    let err = CudaDevice::open(0).err().map(|e| e.to_string());
    let want = "cuda:0 (Mock GPU) is compute capability 7.0; egpu needs 8.0 (sm_80) or newer";
    assert_eq!(err.as_deref(), Some(want));
    let err = CudaDevice::open(3).err().map(|e| e.to_string());
    assert_eq!(
        err.as_deref(),
        Some("cuda:3: opening the device failed: CUDA_ERROR_INVALID_DEVICE")
    );
}

#[test]
fn fills_are_memsets_on_the_device() {
    in_child("child_fills_are_memsets_on_the_device", "9");
}

/// Every pattern width a dtype has (1, 2, 4, 8 bytes) fills the whole buffer with the
/// pattern repeated (the oracle: the repeat done here), on the device; a pattern that does
/// not divide the buffer is refused before the driver is called.
#[test]
#[ignore = "runs in a child process with the mock driver"]
fn child_fills_are_memsets_on_the_device() {
    let mut device = open();
    let patterns: [&[u8]; 4] = [
        &[0xa5],
        &[0x00, 0x7e],
        &[0x00, 0x00, 0xc0, 0x7f],
        &[0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0xf8, 0x7f],
    ];
    for pattern in patterns {
        let buffer = device.alloc(64).unwrap();
        device.upload(buffer, &[0x11; 64]).unwrap();
        assert_eq!(device.fill(buffer, pattern).unwrap(), Filled::OnDevice);
        let mut back = vec![0; 64];
        device.download(buffer, &mut back).unwrap();
        assert_eq!(back, pattern.repeat(64 / pattern.len()), "{pattern:?}");
        device.free(buffer).unwrap();
    }
    let odd = device.alloc(6).unwrap();
    let err = device.fill(odd, &[0; 4]).unwrap_err().to_string();
    let want = format!(
        "cuda:0: buffer #{} holds 6 bytes, which a 4-byte fill pattern cannot fill",
        odd.0
    );
    assert_eq!(err, want);
}

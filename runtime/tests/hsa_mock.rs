//! The hsa device against a stand-in HSA runtime (tests/mock_hsa/libhsa.c, built here
//! with `cc`): the device's own logic — agent choice, memory pools, loading code objects,
//! the AQL packet and kernarg segment it writes, completion and queue errors, freeing
//! everything — runs without an AMD GPU. What the mock logs is checked against values
//! computed here: sizes from the code object's descriptor (codegen-amdgpu's reader), the
//! kernarg layout by hand from the parameter list, grid sizes from the launch shape.
//!
//! The runtime library is found through LD_LIBRARY_PATH, which the loader reads at process
//! start, so each scenario runs in a child process: this test binary again, running one
//! `#[ignore]`d test with the mock's directory on the path.

use egpu_codegen_amdgpu::object::CodeObject;
use egpu_ir::interp::Tensor;
use egpu_ir::kernel::{BufferRole, KernelLaunch, Launch, Program, ProgramBuffer, text};
use egpu_ir::{DType, Shape, Target};
use egpu_runtime::program::{RunOptions, run_program};
use egpu_runtime::{Arg, Binary, Device, DeviceError, HsaDevice, open_device};
use std::collections::BTreeMap;
use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

mod mock_lib;
use std::time::Duration;

/// The mock runtime's directory, built once for all the tests of this process (they run
/// in parallel, and a half-written library must not be loaded).
fn mock_runtime() -> Option<PathBuf> {
    static BUILT: OnceLock<Option<PathBuf>> = OnceLock::new();
    BUILT
        .get_or_init(|| build_mock_runtime("mock_hsa", &[]))
        .clone()
}

/// The mock runtime without `hsa_executable_freeze`: a runtime too old for the device.
fn old_mock_runtime() -> Option<PathBuf> {
    static BUILT: OnceLock<Option<PathBuf>> = OnceLock::new();
    BUILT
        .get_or_init(|| build_mock_runtime("mock_hsa_old", &["-DMOCK_HSA_WITHOUT_FREEZE"]))
        .clone()
}

/// Builds the mock runtime into `dir` with `flags`; `None` (after saying why) without a
/// C compiler outside CI.
fn build_mock_runtime(dir: &str, flags: &[&str]) -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(dir);
    let source = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/mock_hsa/libhsa.c");
    mock_lib::build_c_library(&source, &dir, "libhsa-runtime64.so.1", flags)
}

/// Runs the ignored test `name` in a child with the mock runtime offering GPU agents
/// `agents`, logging to a fresh file.
fn in_child(name: &str, agents: &str) {
    if let Some(dir) = mock_runtime() {
        in_child_with(&dir, name, agents);
    }
}

/// [`in_child`] with the runtime in `dir`.
fn in_child_with(dir: &Path, name: &str, agents: &str) {
    let log = dir.join(format!("{name}.log"));
    let _ = std::fs::remove_file(&log);
    let env = [
        ("MOCK_HSA_AGENTS", OsStr::new(agents)),
        ("MOCK_HSA_LOG", log.as_os_str()),
        ("EGPU_MOCK_HSA", OsStr::new("1")),
    ];
    mock_lib::run_ignored_in_child(name, dir, &env);
}

/// The child's guard: refuses to run outside `in_child` (a real runtime could be there).
fn in_mock() {
    assert!(
        std::env::var_os("EGPU_MOCK_HSA").is_some(),
        "run through in_child"
    );
}

/// The mock's log so far, one event per line.
fn log() -> Vec<String> {
    let path = std::env::var_os("MOCK_HSA_LOG").expect("MOCK_HSA_LOG");
    let text = std::fs::read_to_string(path).unwrap_or_default();
    text.lines().map(String::from).collect()
}

/// The value of `key=` in a log line.
fn field<'a>(line: &'a str, key: &str) -> &'a str {
    let start = line
        .find(&format!(" {key}="))
        .unwrap_or_else(|| panic!("no {key} in {line}"));
    let rest = &line[start + key.len() + 2..];
    rest.split(' ').next().unwrap()
}

fn hex(v: &str) -> u64 {
    u64::from_str_radix(v.trim_start_matches("0x"), 16).unwrap()
}

/// The pointers of the mock's allocations from pool `pool`, in order.
fn allocations(lines: &[String], pool: u64) -> Vec<(u64, usize)> {
    lines
        .iter()
        .filter(|l| l.starts_with("alloc ") && field(l, "pool") == pool.to_string())
        .map(|l| (hex(field(l, "ptr")), field(l, "size").parse().unwrap()))
        .collect()
}

/// A code object with the kernels of `source` (kernel IR text, one or more kernels).
fn code_object(sources: &[&str]) -> Vec<u8> {
    let kernels = sources.iter().map(|s| text::parse(s).unwrap()).collect();
    let program = Program {
        name: "mock".into(),
        buffers: Vec::new(),
        kernels,
        launches: Vec::new(),
        outputs: Vec::new(),
    };
    egpu_codegen_amdgpu::compile_program(&program, &Target::GFX1100)
        .unwrap()
        .0
}

/// Buffers, a 32-bit and a 64-bit scalar, and shared memory: every kernarg kind, and a
/// group segment that is not zero.
const MIXED: &str = "kernel mixed(x: global f32[64] read, s: i32, t: i64, y: global f32[64] write)
  grid [2, 1, 1] workgroup [32, 1, 1] subgroup 32
  shared tile: f32[32]
{
  lid: i32 = local_id.x
  v: f32 = load x[lid]
  store tile[lid] = v
  barrier
  w: f32 = load tile[lid]
  store y[lid] = w
}";

/// y = 2 * x over 6 elements in 2 workgroups of 3: what the mock's `copy_double` does.
const COPY_DOUBLE: &str = "kernel copy_double(x: global i32[6] read, y: global i32[6] write)
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
}";

fn single(name: &str) -> String {
    format!(
        "kernel {name}(x: global i32[1] write)
           grid [1, 1, 1] workgroup [1, 1, 1] subgroup 32
         {{
           v0: i32 = const 0
           store x[v0] = v0
         }}"
    )
}

/// The device pool (the GPU agent's first) and the kernarg pool (the CPU agent's).
const DEVICE_POOL: u64 = 200;
const KERNARG_POOL: u64 = 100;

#[test]
fn without_rocm_the_device_says_what_is_missing() {
    // SAFETY: only probes whether the library loads, as the device does.
    let present = unsafe { libloading::Library::new("libhsa-runtime64.so.1") }.is_ok();
    let opened = open_device("hsa").map(|d| d.describe());
    if present {
        println!("libhsa-runtime64.so.1 is present here: open_device(\"hsa\") = {opened:?}");
        assert!(!matches!(opened, Err(DeviceError::NoHsaRuntime { .. })));
        return;
    }
    let err = opened.unwrap_err();
    assert!(matches!(err, DeviceError::NoHsaRuntime { .. }), "{err:?}");
    let text = err.to_string();
    assert!(
        text.starts_with("no HSA runtime: libhsa-runtime64.so.1 could not be loaded ("),
        "{text}"
    );
    assert!(
        text.ends_with("); ROCm is needed for --device hsa"),
        "{text}"
    );
    // The reason is the loader's own, not libloading's bare "dlopen failed".
    assert!(
        text.contains("libhsa-runtime64.so.1: cannot open shared object file"),
        "{text}"
    );
    // `hsa:N` reaches the same check.
    assert_eq!(open_device("hsa:3").err(), Some(err));
}

#[test]
fn a_runtime_missing_an_entry_point_is_named() {
    if let Some(dir) = old_mock_runtime() {
        in_child_with(
            &dir,
            "child_a_runtime_missing_an_entry_point_is_named",
            "gfx1100",
        );
    }
}

#[test]
#[ignore = "runs in a child process with the mock runtime (see in_child)"]
fn child_a_runtime_missing_an_entry_point_is_named() {
    in_mock();
    let err = open_device("hsa").err().map(|e| e.to_string());
    assert_eq!(
        err.as_deref(),
        Some(
            "no HSA runtime: libhsa-runtime64.so.1 could not be loaded (it has no hsa_executable_freeze: a ROCm too old, or not ROCm's); ROCm is needed for --device hsa"
        )
    );
    // Nothing was initialised, so nothing is shut down.
    assert_eq!(log(), Vec::<String>::new());
}

#[test]
fn packets_kernargs_copies_and_freeing() {
    in_child("child_packets_kernargs_copies_and_freeing", "gfx1100");
}

#[test]
#[ignore = "runs in a child process with the mock runtime (see in_child)"]
fn child_packets_kernargs_copies_and_freeing() {
    in_mock();
    let mut device = HsaDevice::open(0).unwrap();
    assert_eq!(
        device.describe(),
        "hsa:0 Mock Radeon (gfx1100, 16 GiB), target gfx1100 (untested on AMD hardware)"
    );
    assert_eq!(device.target_name(), Some("gfx1100"));

    let image = code_object(&[MIXED]);
    let read = CodeObject::read(&image).unwrap();
    let descriptor = read.iter().find(|k| k.name == "mixed").unwrap().descriptor;
    assert!(descriptor.group_segment_fixed_size >= 128, "{descriptor:?}");
    let mixed = device
        .load(&Binary::CodeObject(image.clone()), "mixed")
        .unwrap();

    // Copies round-trip, through runtime memory on both sides.
    let data: Vec<u8> = (0..256u32).map(|i| (i * 7 + 3) as u8).collect();
    let x = device.alloc(256).unwrap();
    let y = device.alloc(256).unwrap();
    device.upload(x, &data).unwrap();
    let mut back = vec![0u8; 256];
    device.download(x, &mut back).unwrap();
    assert_eq!(back, data);

    let launch = Launch {
        grid: [3, 2, 1],
        workgroup: [32, 2, 1],
    };
    let args = [
        Arg::Buffer(x),
        Arg::I32(-5),
        Arg::I64(0x0123_4567_89AB_CDEF),
        Arg::Buffer(y),
    ];
    device.launch(mixed, launch, &args).unwrap();
    device.synchronize().unwrap();

    let lines = log();
    let symbol = lines
        .iter()
        .find(|l| l.starts_with("symbol mixed.kd "))
        .unwrap();
    let object = hex(field(symbol, "object"));
    let device_buffers = allocations(&lines, DEVICE_POOL);
    assert_eq!(device_buffers.len(), 2, "{lines:#?}");
    let (xa, ya) = (device_buffers[0].0, device_buffers[1].0);
    let dispatches: Vec<&String> = lines
        .iter()
        .filter(|l| l.starts_with("dispatch "))
        .collect();
    assert_eq!(dispatches.len(), 1, "{lines:#?}");
    let d = dispatches[0];
    // Kernel dispatch (2), barrier (bit 8), system acquire and release fences (2 << 9,
    // 2 << 11); two dimensions; grid in work-items (workgroups times their size).
    assert_eq!(field(d, "header"), "0x1502");
    assert_eq!(field(d, "setup"), "2");
    assert_eq!(field(d, "workgroup"), "32,2,1");
    assert_eq!(field(d, "grid"), "96,4,1");
    assert_eq!(
        field(d, "private"),
        descriptor.private_segment_fixed_size.to_string()
    );
    assert_eq!(
        field(d, "group"),
        descriptor.group_segment_fixed_size.to_string()
    );
    assert_eq!(hex(field(d, "object")), object);
    // The kernarg segment by hand: x at 0, s at 8, t at 16 (8-aligned), y at 24.
    let mut want = Vec::new();
    want.extend_from_slice(&xa.to_le_bytes());
    want.extend_from_slice(&(-5i32).to_le_bytes());
    want.extend_from_slice(&[0; 4]);
    want.extend_from_slice(&0x0123_4567_89AB_CDEFi64.to_le_bytes());
    want.extend_from_slice(&ya.to_le_bytes());
    assert_eq!(descriptor.kernarg_size as usize, want.len());
    let want_hex: String = want.iter().map(|b| format!("{b:02x}")).collect();
    assert_eq!(field(d, "kernarg_bytes"), want_hex);
    // The kernarg segment came from the kernarg pool, opened to the GPU (agent 2).
    let kernarg = hex(field(d, "kernarg"));
    assert!(
        allocations(&lines, KERNARG_POOL)
            .iter()
            .any(|&(p, _)| p == kernarg)
    );
    assert!(lines.contains(&format!("allow ptr={kernarg:#x} agent=2")));
    // Completed dispatches give their kernarg segment back.
    assert!(
        lines.contains(&format!("free ptr={kernarg:#x}")),
        "{lines:#?}"
    );

    // What the kernel cannot take never reaches the queue.
    let err = device
        .launch(mixed, launch, &args[..3])
        .unwrap_err()
        .to_string();
    assert_eq!(err, "hsa:0: kernel 'mixed': 4 parameters, 3 arguments");
    let wrong = [Arg::Buffer(x), Arg::I64(1), Arg::I64(2), Arg::Buffer(y)];
    let err = device
        .launch(mixed, launch, &wrong)
        .unwrap_err()
        .to_string();
    assert_eq!(
        err,
        "hsa:0: kernel 'mixed': parameter 1 (Value, 4 bytes) given I64(1)"
    );
    let huge = Launch {
        grid: [1, 1, 1],
        workgroup: [1 << 16, 1, 1],
    };
    let err = device.launch(mixed, huge, &args).unwrap_err().to_string();
    assert!(err.contains("exceeds AQL's 16-bit sizes"), "{err}");
    assert_eq!(
        log().iter().filter(|l| l.starts_with("dispatch ")).count(),
        1
    );

    // Loading errors name the kernel and what the runtime said.
    let err = device
        .load(&Binary::CodeObject(b"not an elf".to_vec()), "mixed")
        .unwrap_err()
        .to_string();
    assert_eq!(
        err,
        "hsa:0: loading kernel 'mixed': loading the code object for the GPU: HSA_STATUS_ERROR_INVALID_CODE_OBJECT: mock runtime status 0x1010"
    );
    let err = device
        .load(&Binary::CodeObject(image.clone()), "nothing")
        .unwrap_err()
        .to_string();
    assert_eq!(
        err,
        "hsa:0: loading kernel 'nothing': finding symbol 'nothing.kd': HSA_STATUS_ERROR_INVALID_SYMBOL_NAME: mock runtime status 0x1013"
    );
    let err = device
        .load(&Binary::Ptx("//".into()), "mixed")
        .unwrap_err()
        .to_string();
    assert_eq!(
        err,
        "hsa:0: cannot load a PTX binary (the hsa device runs RDNA3 code objects only)"
    );
    // The executable is cached: a second load of the same bytes finds the symbol again.
    device.load(&Binary::CodeObject(image), "mixed").unwrap();
    assert_eq!(
        log()
            .iter()
            .filter(|l| l.starts_with("symbol mixed.kd "))
            .count(),
        2
    );

    let err = device.upload(x, &[0; 4]).unwrap_err().to_string();
    assert_eq!(err, "hsa:0: buffer #0 holds 256 bytes, the upload has 4");
    let empty = device.alloc(0).unwrap();
    device.upload(empty, &[]).unwrap();
    device.free(empty).unwrap();

    // Freeing: a buffer at once; everything else when the device is dropped.
    device.free(y).unwrap();
    assert!(log().contains(&format!("free ptr={ya:#x}")));
    assert_eq!(
        device.free(y),
        Err(DeviceError::NoSuchBuffer {
            device: "hsa:0".into(),
            buffer: 1
        })
    );
    drop(device);
    let lines = log();
    for line in lines.iter().filter(|l| l.starts_with("alloc ")) {
        let pointer = field(line, "ptr");
        assert!(
            lines.contains(&format!("free ptr={pointer}")),
            "{pointer} was never freed:\n{lines:#?}"
        );
    }
    for event in ["queue_destroy", "executable_destroy 1", "reader_destroy 1"] {
        assert!(lines.iter().any(|l| l == event), "no {event}:\n{lines:#?}");
    }
    assert_eq!(lines.iter().filter(|l| *l == "init").count(), 1);
    assert_eq!(lines.last().map(String::as_str), Some("shut_down"));
}

#[test]
fn queue_errors_and_hangs_are_reported() {
    in_child("child_queue_errors_and_hangs_are_reported", "gfx1100");
}

#[test]
#[ignore = "runs in a child process with the mock runtime (see in_child)"]
fn child_queue_errors_and_hangs_are_reported() {
    in_mock();
    let image = code_object(&[&single("fault"), &single("hang")]);
    let binary = Binary::CodeObject(image);

    let mut device = HsaDevice::open(0).unwrap();
    let fault = device.load(&binary, "fault").unwrap();
    let x = device.alloc(4).unwrap();
    device
        .launch(fault, Launch::linear(1, 1), &[Arg::Buffer(x)])
        .unwrap();
    let want = "hsa:0: running kernel 'fault' failed: the queue reported HSA_STATUS_ERROR_EXCEPTION: mock runtime status 0x1016";
    let err = device.synchronize().unwrap_err().to_string();
    assert_eq!(err, want);
    // The error stays: the queue is broken.
    let err = device.download(x, &mut [0; 4]).unwrap_err().to_string();
    assert_eq!(err, want);
    drop(device);

    let mut device = HsaDevice::open(0).unwrap();
    device.set_timeout(Duration::from_millis(100));
    let hang = device.load(&binary, "hang").unwrap();
    let x = device.alloc(4).unwrap();
    device
        .launch(hang, Launch::linear(1, 1), &[Arg::Buffer(x)])
        .unwrap();
    let err = device.synchronize().unwrap_err().to_string();
    assert_eq!(
        err,
        "hsa:0: running kernel 'hang' failed: not finished after 0.1 s (a hang? HsaDevice::set_timeout sets the limit)"
    );
    drop(device);
    let lines = log();
    assert_eq!(lines.iter().filter(|l| *l == "queue_destroy").count(), 2);
    assert_eq!(lines.iter().filter(|l| *l == "shut_down").count(), 2);
}

#[test]
fn only_gfx1100_agents_are_opened() {
    in_child(
        "child_only_gfx1100_agents_are_opened",
        "gfx90a,gfx1101,gfx1100",
    );
}

#[test]
#[ignore = "runs in a child process with the mock runtime (see in_child)"]
fn child_only_gfx1100_agents_are_opened() {
    in_mock();
    // gfx11 agents in order: gfx1101 (hsa:0), gfx1100 (hsa:1).
    let err = HsaDevice::open(0).err().map(|e| e.to_string());
    assert_eq!(
        err.as_deref(),
        Some("hsa:0 is gfx1101; egpu compiles for gfx1100 only")
    );
    let device = open_device("hsa:1").unwrap();
    assert_eq!(device.name(), "hsa");
    drop(device);
    let err = open_device("hsa:2").err().map(|e| e.to_string());
    assert_eq!(
        err.as_deref(),
        Some(
            "hsa:2: no such gfx11 GPU agent (the HSA runtime lists GPU agents: gfx90a, gfx1101, gfx1100)"
        )
    );
    // Every open, failed or not, shut the runtime down again.
    let lines = log();
    let inits = lines.iter().filter(|l| *l == "init").count();
    assert_eq!(inits, 3);
    assert_eq!(lines.iter().filter(|l| *l == "shut_down").count(), inits);
}

#[test]
fn no_gpu_agent_at_all() {
    in_child("child_no_gpu_agent_at_all", "");
}

#[test]
#[ignore = "runs in a child process with the mock runtime (see in_child)"]
fn child_no_gpu_agent_at_all() {
    in_mock();
    let err = open_device("hsa").err().map(|e| e.to_string());
    assert_eq!(
        err.as_deref(),
        Some("hsa:0: no such gfx11 GPU agent (the HSA runtime lists GPU agents: none)")
    );
}

#[test]
fn a_program_runs_like_program_run() {
    in_child("child_a_program_runs_like_program_run", "gfx1100");
}

#[test]
#[ignore = "runs in a child process with the mock runtime (see in_child)"]
fn child_a_program_runs_like_program_run() {
    in_mock();
    let kernel = text::parse(COPY_DOUBLE).unwrap();
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
    let mut device = open_device("hsa").unwrap();
    let (object, _) = egpu_codegen_amdgpu::compile_program(&program, &Target::GFX1100).unwrap();
    let binaries = [Binary::CodeObject(object)];
    let options = RunOptions {
        time_launches: true,
        ..RunOptions::default()
    };
    let run = run_program(device.as_mut(), &program, &binaries, &inputs, options).unwrap();
    assert_eq!(run.launch_ms.len(), 1);
    let want = program.run(&inputs).unwrap();
    assert!(
        want[0].1.same(&run.outputs[0].1),
        "{want:?} vs {:?}",
        run.outputs
    );
}

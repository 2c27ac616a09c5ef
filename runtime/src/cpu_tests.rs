use super::*;
use egpu_ir::DType;
use egpu_ir::interp::Data;
use egpu_ir::kernel::{BufferRole, KernelLaunch, ProgramBuffer, text};

fn square() -> Kernel {
    text::parse(
        "kernel square(x: global f32[8] read, t: global f32[8] write)
           grid [1, 1, 1] workgroup [8, 1, 1] subgroup 32
         {
           v0: i32 = local_id.x
           v1: f32 = load x[v0]
           v2: f32 = mul v1, v1
           v3: f32 = const 1.0
           v4: f32 = add v2, v3
           store t[v0] = v4
         }",
    )
    .unwrap()
}

/// `y[i] = x[i] + n` for the first `n` elements, and element 8 when `n` > 8 (out of bounds).
fn add_n() -> Kernel {
    text::parse(
        "kernel add_n(x: global i64[8] read_write, n: i32)
           grid [1, 1, 1] workgroup [1, 1, 1] subgroup 32
         {
           v0: i32 = param n
           v1: i32 = const 0
           for v2: i32 in v1..v0 step 1 {
             v3: i64 = load x[v2]
             v4: i64 = cast v0
             v5: i64 = add v3, v4
             store x[v2] = v5
           }
         }",
    )
    .unwrap()
}

/// `y[i] = x[i] * x[i] + 1` over 8 elements, then `z[i] = y[i] - x[i]`: two launches, so
/// the second reads what the first wrote to a temporary.
fn program() -> Program {
    let minus = text::parse(
        "kernel minus(t: global f32[8] read, x: global f32[8] read, z: global f32[8] write)
           grid [1, 1, 1] workgroup [8, 1, 1] subgroup 32
         {
           v0: i32 = local_id.x
           v1: f32 = load t[v0]
           v2: f32 = load x[v0]
           v3: f32 = sub v1, v2
           store z[v0] = v3
         }",
    )
    .unwrap();
    let buffer = |role| ProgramBuffer {
        dtype: DType::F32,
        elements: 8,
        role,
    };
    Program {
        name: "p".into(),
        buffers: vec![
            buffer(BufferRole::Input("x".into())),
            buffer(BufferRole::Output("z".into())),
            buffer(BufferRole::Temporary),
        ],
        kernels: vec![square(), minus],
        launches: vec![
            KernelLaunch {
                kernel: 0,
                bindings: vec![0, 2],
            },
            KernelLaunch {
                kernel: 1,
                bindings: vec![2, 0, 1],
            },
        ],
        outputs: vec![("z".into(), 1, Shape::new(vec![2, 4]).unwrap())],
    }
}

fn xs() -> Vec<f32> {
    (0..8).map(|i| i as f32 * 0.5 - 1.0).collect()
}

fn x() -> Tensor {
    let values: Vec<f64> = xs().into_iter().map(f64::from).collect();
    let shape = Shape::new(vec![8]).unwrap();
    Tensor::new(DType::F32, shape, Data::Float(values)).unwrap()
}

fn f32_bytes(values: &[f32]) -> Vec<u8> {
    values.iter().flat_map(|v| v.to_le_bytes()).collect()
}

#[test]
fn runs_every_launch_in_order_and_returns_the_outputs() {
    let inputs = BTreeMap::from([("x".to_string(), x())]);
    let outputs = CpuDevice::new().run(&program(), &inputs).unwrap();
    let [(name, z)] = outputs.as_slice() else {
        panic!("{outputs:?}");
    };
    assert_eq!(name, "z");
    assert_eq!(z.shape.dims(), [2, 4]);
    // x = -1, -0.5, ..., 2.5: x² + 1 - x, all exact in f32.
    let want: Vec<f64> = (0..8)
        .map(|i| f64::from(i) * 0.5 - 1.0)
        .map(|x| x * x + 1.0 - x)
        .collect();
    assert_eq!(z.data, Data::Float(want));
}

#[test]
fn a_missing_input_is_an_error_naming_it() {
    let e = CpuDevice::new()
        .run(&program(), &BTreeMap::new())
        .unwrap_err();
    assert_eq!(e.to_string(), "input 'x': not given");
}

#[test]
fn a_launch_reads_and_writes_device_bytes() {
    let mut device = CpuDevice::new();
    let k = device.load(&Binary::Kir(square()), "square").unwrap();
    let (x, t) = (device.alloc(32).unwrap(), device.alloc(32).unwrap());
    device.upload(x, &f32_bytes(&xs())).unwrap();
    let launch = square().launch();
    device
        .launch(k, launch, &[Arg::Buffer(x), Arg::Buffer(t)])
        .unwrap();
    device.synchronize().unwrap();
    let mut out = vec![0; 32];
    device.download(t, &mut out).unwrap();
    let want: Vec<f32> = xs().iter().map(|v| v * v + 1.0).collect();
    assert_eq!(out, f32_bytes(&want));
    let ms = device
        .timed_launch(k, launch, &[Arg::Buffer(x), Arg::Buffer(t)])
        .unwrap();
    assert!(ms >= 0.0);
}

#[test]
fn scalar_arguments_reach_the_kernel() {
    let mut device = CpuDevice::new();
    let k = device.load(&Binary::Kir(add_n()), "add_n").unwrap();
    let b = device.alloc(64).unwrap();
    let values: Vec<i64> = vec![i64::MIN + 5, -1, 7, 0, 0, 0, 0, 9];
    let bytes: Vec<u8> = values.iter().flat_map(|v| v.to_le_bytes()).collect();
    device.upload(b, &bytes).unwrap();
    device
        .launch(k, add_n().launch(), &[Arg::Buffer(b), Arg::I32(3)])
        .unwrap();
    let mut out = vec![0; 64];
    device.download(b, &mut out).unwrap();
    let want: Vec<u8> = [i64::MIN + 8, 2, 10, 0, 0, 0, 0, 9]
        .iter()
        .flat_map(|v| v.to_le_bytes())
        .collect();
    assert_eq!(out, want);
}

#[test]
fn an_interpreter_error_is_reported_and_earlier_stores_stay() {
    let mut device = CpuDevice::new();
    let k = device.load(&Binary::Kir(add_n()), "add_n").unwrap();
    let b = device.alloc(64).unwrap();
    device.upload(b, &[0; 64]).unwrap();
    let err = device
        .launch(k, add_n().launch(), &[Arg::Buffer(b), Arg::I32(9)])
        .unwrap_err();
    let DeviceError::Interpreter { error, .. } = &err else {
        panic!("{err}");
    };
    assert!(
        matches!(
            **error,
            egpu_ir::kernel::KernelError::OutOfBounds { index: 8, .. }
        ),
        "{err}"
    );
    let mut out = vec![0; 64];
    device.download(b, &mut out).unwrap();
    assert_eq!(out[..8], 9i64.to_le_bytes());
}

#[test]
fn bad_arguments_are_refused_before_running() {
    let mut device = CpuDevice::new();
    let k = device.load(&Binary::Kir(square()), "square").unwrap();
    let (a, small) = (device.alloc(32).unwrap(), device.alloc(16).unwrap());
    let launch = square().launch();
    let cases: [(&[Arg], &str); 4] = [
        (&[Arg::Buffer(a)], "2 parameters, 1 arguments"),
        (
            &[Arg::Buffer(a), Arg::Buffer(a)],
            "buffer #0 is bound twice",
        ),
        (
            &[Arg::Buffer(a), Arg::Buffer(small)],
            "parameter t: f32[8] needs 32 bytes, got 16",
        ),
        (
            &[Arg::Buffer(a), Arg::I32(1)],
            "parameter t (f32) given I32(1)",
        ),
    ];
    for (args, want) in cases {
        let err = device.launch(k, launch, args).unwrap_err();
        assert_eq!(err.to_string(), format!("cpu: kernel 'square': {want}"));
    }
    let other = Launch::linear(2, 8);
    let err = device
        .launch(k, other, &[Arg::Buffer(a), Arg::Buffer(small)])
        .unwrap_err();
    assert!(err.to_string().contains("but the kernel declares"), "{err}");
}

#[test]
fn stale_ids_wrong_sizes_and_foreign_binaries_are_errors() {
    let mut device = CpuDevice::new();
    let b = device.alloc(4).unwrap();
    assert_eq!(device.size(b).unwrap(), 4);
    let err = device.upload(b, &[0; 5]).unwrap_err();
    assert_eq!(
        err.to_string(),
        "cpu: buffer #0 holds 4 bytes, the upload has 5"
    );
    device.free(b).unwrap();
    let err = device.download(b, &mut [0; 4]).unwrap_err();
    assert_eq!(
        err,
        DeviceError::NoSuchBuffer {
            device: "cpu".into(),
            buffer: 0
        }
    );
    assert!(device.free(b).is_err());
    let err = device.load(&Binary::Ptx(String::new()), "k").unwrap_err();
    assert_eq!(
        err.to_string(),
        "cpu: cannot load a PTX binary (the cpu device runs kernel IR only)"
    );
    let err = device.load(&Binary::Kir(square()), "cube").unwrap_err();
    assert_eq!(
        err.to_string(),
        "cpu: loading kernel 'cube': the kernel IR holds kernel 'square'"
    );
    let err = device
        .launch(KernelHandle(7), square().launch(), &[])
        .unwrap_err();
    assert_eq!(err.to_string(), "cpu: kernel handle #7 does not exist");
}

use super::*;
use crate::CpuDevice;
use egpu_ir::Shape;
use egpu_ir::interp::Data;
use egpu_ir::kernel::{Kernel, KernelLaunch, Launch, ProgramBuffer, text};

/// Writes only the first 4 of 8 elements of its two outputs: `y = 3x` and `neg = x < 0`.
fn half_writer() -> Kernel {
    text::parse(
        "kernel half(x: global i32[8] read, y: global i32[8] write, neg: global bool[8] write)
           grid [1, 1, 1] workgroup [4, 1, 1] subgroup 32
         {
           v0: i32 = local_id.x
           v1: i32 = load x[v0]
           v2: i32 = const 3
           v3: i32 = mul v1, v2
           store y[v0] = v3
           v4: i32 = const 0
           v5: bool = cmplt v1, v4
           store neg[v0] = v5
         }",
    )
    .unwrap()
}

fn program(kernel: Kernel) -> Program {
    let buffer = |dtype, role| ProgramBuffer {
        dtype,
        elements: 8,
        role,
    };
    let shape = Shape::new(vec![8]).unwrap();
    Program {
        name: "half".into(),
        buffers: vec![
            buffer(DType::I32, BufferRole::Input("x".into())),
            buffer(DType::I32, BufferRole::Output("y".into())),
            buffer(DType::Bool, BufferRole::Output("neg".into())),
        ],
        kernels: vec![kernel],
        launches: vec![KernelLaunch {
            kernel: 0,
            bindings: vec![0, 1, 2],
        }],
        outputs: vec![("y".into(), 1, shape.clone()), ("neg".into(), 2, shape)],
    }
}

fn inputs() -> BTreeMap<String, Tensor> {
    let x = vec![-5, 7, i128::from(i32::MAX), -1, 2, 3, 4, 5];
    let x = Tensor::new(DType::I32, Shape::new(vec![8]).unwrap(), Data::Int(x)).unwrap();
    BTreeMap::from([("x".to_string(), x)])
}

fn run_on_cpu(
    program: &Program,
    inputs: &BTreeMap<String, Tensor>,
) -> Result<ProgramRun, RunError> {
    let binaries: Vec<Binary> = program.kernels.iter().cloned().map(Binary::Kir).collect();
    let options = RunOptions {
        time_launches: true,
        ..RunOptions::default()
    };
    run_program(&mut CpuDevice::new(), program, &binaries, inputs, options)
}

#[test]
fn unwritten_elements_keep_the_poison_program_run_uses() {
    let program = program(half_writer());
    let run = run_on_cpu(&program, &inputs()).unwrap();
    assert_eq!(run.launch_ms.len(), 1);
    let [(_, y), (_, neg)] = run.outputs.as_slice() else {
        panic!("{:?}", run.outputs);
    };
    // 3·i32::MAX wraps to i32::MAX - 2 (two's complement); the last four are i32::MIN.
    let min = i128::from(i32::MIN);
    let wrapped = i128::from(i32::MAX.wrapping_mul(3));
    assert_eq!(
        y.data,
        Data::Int(vec![-15, 21, wrapped, -3, min, min, min, min])
    );
    let want = vec![true, false, false, true, true, true, true, true];
    assert_eq!(neg.data, Data::Bool(want));
    let reference = program.run(&inputs()).unwrap();
    for ((name, want), (_, got)) in reference.iter().zip(&run.outputs) {
        assert!(want.same(got), "{name}: {want:?} vs {got:?}");
    }
}

#[test]
fn inputs_and_binaries_are_checked_like_program_run() {
    let program = program(half_writer());
    let err = run_on_cpu(&program, &BTreeMap::new()).unwrap_err();
    assert_eq!(err.to_string(), "input 'x': not given");
    let wrong = Tensor::from_f64(DType::F32, &[8], &[0.0; 8]).unwrap();
    let err = run_on_cpu(&program, &BTreeMap::from([("x".into(), wrong)])).unwrap_err();
    assert_eq!(err.to_string(), "input 'x': expected i32 x 8, got f32[8]");
    let err = run_program(
        &mut CpuDevice::new(),
        &program,
        &[],
        &inputs(),
        RunOptions::default(),
    );
    assert_eq!(
        err.unwrap_err().to_string(),
        "program half: 0 binaries for 1 kernels"
    );
    let ptx = [Binary::Ptx(String::new())];
    let err = run_program(
        &mut CpuDevice::new(),
        &program,
        &ptx,
        &inputs(),
        RunOptions::default(),
    );
    assert!(matches!(
        err,
        Err(RunError::Device(DeviceError::UnsupportedBinary { .. }))
    ));
}

#[test]
fn bad_bindings_and_scalar_parameters_are_refused() {
    let mut twice = program(half_writer());
    twice.launches[0].bindings = vec![0, 1, 1];
    let err = run_on_cpu(&twice, &inputs()).unwrap_err();
    assert_eq!(
        err.to_string(),
        "launch 0 (half): parameter neg is bool x 8, buffer 1 is i32 x 8"
    );
    twice.launches[0].bindings = vec![1, 1, 2];
    let err = run_on_cpu(&twice, &inputs()).unwrap_err();
    assert_eq!(err.to_string(), "launch 0 (half): buffer 1 is bound twice");
    let scalar = text::parse(
        "kernel s(x: global i32[8] read, n: i32)
           grid [1, 1, 1] workgroup [1, 1, 1] subgroup 32 { }",
    )
    .unwrap();
    let mut with_scalar = program(scalar);
    with_scalar.launches[0].bindings = vec![0, 1];
    let err = run_on_cpu(&with_scalar, &inputs()).unwrap_err();
    assert_eq!(
        err.to_string(),
        "launch 0 (s): scalar parameter n has no value in a program"
    );
}

/// A device that fails its n-th launch, to show the buffers are freed on errors too.
struct Failing {
    inner: CpuDevice,
    allocated: usize,
    freed: usize,
}

impl Device for Failing {
    fn name(&self) -> &str {
        "failing"
    }
    fn describe(&self) -> String {
        "fails every launch".into()
    }
    fn alloc(&mut self, bytes: usize) -> Result<BufferId, DeviceError> {
        self.allocated += 1;
        self.inner.alloc(bytes)
    }
    fn free(&mut self, buffer: BufferId) -> Result<(), DeviceError> {
        self.freed += 1;
        self.inner.free(buffer)
    }
    fn size(&self, buffer: BufferId) -> Result<usize, DeviceError> {
        self.inner.size(buffer)
    }
    fn upload(&mut self, buffer: BufferId, data: &[u8]) -> Result<(), DeviceError> {
        self.inner.upload(buffer, data)
    }
    fn download(&mut self, buffer: BufferId, out: &mut [u8]) -> Result<(), DeviceError> {
        self.inner.download(buffer, out)
    }
    fn load(&mut self, binary: &Binary, kernel: &str) -> Result<KernelHandle, DeviceError> {
        self.inner.load(binary, kernel)
    }
    fn launch(
        &mut self,
        _: KernelHandle,
        _: egpu_ir::kernel::Launch,
        _: &[Arg],
    ) -> Result<(), DeviceError> {
        Err(DeviceError::NoDriver)
    }
    fn synchronize(&mut self) -> Result<(), DeviceError> {
        Ok(())
    }
    fn timed_launch(
        &mut self,
        k: KernelHandle,
        l: egpu_ir::kernel::Launch,
        a: &[Arg],
    ) -> Result<f64, DeviceError> {
        self.launch(k, l, a).map(|()| 0.0)
    }
}

#[test]
fn a_failed_launch_still_frees_every_buffer() {
    let program = program(half_writer());
    let mut device = Failing {
        inner: CpuDevice::new(),
        allocated: 0,
        freed: 0,
    };
    let binaries = [Binary::Kir(half_writer())];
    let err = run_program(
        &mut device,
        &program,
        &binaries,
        &inputs(),
        RunOptions::default(),
    );
    assert_eq!(err.unwrap_err(), RunError::Device(DeviceError::NoDriver));
    assert_eq!((device.allocated, device.freed), (3, 3));
}

#[test]
fn poison_is_nan_integer_minimum_and_true() {
    assert_eq!(poison_pattern(DType::F32), [0, 0, 0xc0, 0x7f]);
    assert_eq!(poison_pattern(DType::F16), 0x7e00u16.to_le_bytes());
    assert_eq!(poison_pattern(DType::I16), i16::MIN.to_le_bytes());
    assert_eq!(poison_pattern(DType::U32), [0; 4]);
    assert_eq!(poison_pattern(DType::Bool), [1]);
}

/// A device with host buffers and no kernels: what a device that cannot fill its own memory
/// gets from [`Device::fill`]'s default.
#[derive(Default)]
struct UploadOnly {
    buffers: Vec<Vec<u8>>,
}

impl Device for UploadOnly {
    fn name(&self) -> &str {
        "upload-only"
    }
    fn describe(&self) -> String {
        "a test device".into()
    }
    fn alloc(&mut self, bytes: usize) -> Result<BufferId, DeviceError> {
        self.buffers.push(vec![0; bytes]);
        Ok(BufferId(self.buffers.len() as u32 - 1))
    }
    fn free(&mut self, _: BufferId) -> Result<(), DeviceError> {
        Ok(())
    }
    fn size(&self, b: BufferId) -> Result<usize, DeviceError> {
        Ok(self.buffers[b.0 as usize].len())
    }
    fn upload(&mut self, b: BufferId, data: &[u8]) -> Result<(), DeviceError> {
        self.buffers[b.0 as usize].copy_from_slice(data);
        Ok(())
    }
    fn download(&mut self, b: BufferId, out: &mut [u8]) -> Result<(), DeviceError> {
        out.copy_from_slice(&self.buffers[b.0 as usize]);
        Ok(())
    }
    fn load(&mut self, _: &Binary, kernel: &str) -> Result<KernelHandle, DeviceError> {
        Err(DeviceError::Load {
            device: "upload-only".into(),
            kernel: kernel.into(),
            message: "no kernels here".into(),
        })
    }
    fn launch(&mut self, _: KernelHandle, _: Launch, _: &[Arg]) -> Result<(), DeviceError> {
        unreachable!("nothing loads")
    }
    fn synchronize(&mut self) -> Result<(), DeviceError> {
        Ok(())
    }
    fn timed_launch(&mut self, _: KernelHandle, _: Launch, _: &[Arg]) -> Result<f64, DeviceError> {
        unreachable!("nothing loads")
    }
}

/// The default fill uploads the repeated pattern (over the link); the cpu device fills its
/// own memory; both give the repeated pattern (the oracle: `repeat` here), and both refuse a
/// pattern that is not an element width or does not divide the buffer.
#[test]
fn fills_repeat_the_pattern_on_the_device_or_over_the_link() {
    let mut cpu = CpuDevice::new();
    let mut link = UploadOnly::default();
    let devices: [(&mut dyn Device, Filled); 2] =
        [(&mut cpu, Filled::OnDevice), (&mut link, Filled::OverLink)];
    for (device, route) in devices {
        for pattern in [
            &[7u8][..],
            &[1, 2],
            &[0, 0, 0xc0, 0x7f],
            &[1, 2, 3, 4, 5, 6, 7, 8],
        ] {
            let b = device.alloc(48).unwrap();
            assert_eq!(device.fill(b, pattern), Ok(route), "{}", device.name());
            let mut back = vec![0; 48];
            device.download(b, &mut back).unwrap();
            assert_eq!(
                back,
                pattern.repeat(48 / pattern.len()),
                "{}",
                device.name()
            );
        }
        let b = device.alloc(6).unwrap();
        for bad in [&[0u8; 4][..], &[0; 3], &[]] {
            let err = device.fill(b, bad).unwrap_err();
            assert!(matches!(err, DeviceError::FillPattern { .. }), "{err}");
        }
    }
}

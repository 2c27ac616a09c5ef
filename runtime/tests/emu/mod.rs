//! Shared by the emulator tests: building code objects with the LLVM 19 tools (clang-19
//! for OpenCL C, llvm-mc-19 for assembly, ld.lld-19 to link) and running kernels on the
//! `emu` device. Tools missing: `tools()` is false and the tests print why and pass.

#![allow(dead_code)]

use egpu_runtime::ir::kernel::Launch;
use egpu_runtime::{Arg, Binary, Device, DeviceError, EmuDevice};
use std::path::Path;
use std::process::Command;

pub fn tools() -> bool {
    for t in ["clang-19", "llvm-mc-19", "ld.lld-19"] {
        if Command::new(t).arg("--version").output().is_err() {
            eprintln!("skipping: {t} not found (install clang-19 llvm-19 lld-19)");
            return false;
        }
    }
    true
}

fn run(cmd: &str, args: &[&str], dir: &Path) {
    let out = Command::new(cmd)
        .args(args)
        .current_dir(dir)
        .output()
        .expect(cmd);
    assert!(
        out.status.success(),
        "{cmd} {args:?} failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// OpenCL C → gfx1100 code object, as clang-19 compiles it by default (with VOPD).
pub fn opencl(src: &str) -> Vec<u8> {
    opencl_with(src, &[])
}

/// [`opencl`] with extra clang flags.
pub fn opencl_with(src: &str, flags: &[&str]) -> Vec<u8> {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("k.cl"), src).expect("write k.cl");
    let mut args = vec![
        "-x",
        "cl",
        "-cl-std=CL2.0",
        "-target",
        "amdgcn-amd-amdhsa",
        "-mcpu=gfx1100",
        "-nogpulib",
        "-O3",
        "-c",
        "k.cl",
        "-o",
        "k.o",
    ];
    args.extend_from_slice(flags);
    run("clang-19", &args, dir.path());
    run(
        "ld.lld-19",
        &["-shared", "k.o", "-o", "k.hsaco"],
        dir.path(),
    );
    std::fs::read(dir.path().join("k.hsaco")).expect("read k.hsaco")
}

/// Assembly → code object. `body` is the kernel's instructions; `vgprs`, `lds` and the
/// rest of the descriptor come from `directives` (`.amdhsa_*` lines).
pub fn assembly(name: &str, body: &str, directives: &str) -> Vec<u8> {
    let src = format!(
        r#".amdgcn_target "amdgcn-amd-amdhsa--gfx1100"
.text
.globl {name}
.p2align 8
.type {name},@function
{name}:
{body}
.Lend:
.size {name}, .Lend-{name}
.rodata
.p2align 6
.amdhsa_kernel {name}
  .amdhsa_next_free_vgpr 40
  .amdhsa_next_free_sgpr 32
  .amdhsa_user_sgpr_kernarg_segment_ptr 1
  .amdhsa_user_sgpr_count 15
  .amdhsa_system_sgpr_workgroup_id_x 1
  .amdhsa_wavefront_size32 1
  .amdhsa_kernarg_size 32
{directives}
.end_amdhsa_kernel
"#
    );
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("k.s"), src).expect("write k.s");
    run(
        "llvm-mc-19",
        &[
            "-triple=amdgcn-amd-amdhsa",
            "-mcpu=gfx1100",
            "-filetype=obj",
            "k.s",
            "-o",
            "k.o",
        ],
        dir.path(),
    );
    run(
        "ld.lld-19",
        &["-shared", "k.o", "-o", "k.hsaco"],
        dir.path(),
    );
    std::fs::read(dir.path().join("k.hsaco")).expect("read k.hsaco")
}

/// One argument of a test launch.
pub enum A {
    /// A buffer with these initial bytes; read back after the launch.
    Buf(Vec<u8>),
    I32(i32),
}

pub fn f32s(v: &[f32]) -> Vec<u8> {
    v.iter().flat_map(|x| x.to_le_bytes()).collect()
}
pub fn i32s(v: &[i32]) -> Vec<u8> {
    v.iter().flat_map(|x| x.to_le_bytes()).collect()
}
pub fn to_f32s(b: &[u8]) -> Vec<f32> {
    b.chunks(4)
        .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
        .collect()
}
pub fn to_i32s(b: &[u8]) -> Vec<i32> {
    b.chunks(4)
        .map(|c| i32::from_le_bytes([c[0], c[1], c[2], c[3]]))
        .collect()
}

/// Runs `kernel` of `code` over `launch`; returns every buffer's bytes afterwards.
pub fn launch_on(
    dev: &mut EmuDevice,
    code: &[u8],
    kernel: &str,
    launch: Launch,
    args: Vec<A>,
) -> Result<Vec<Vec<u8>>, DeviceError> {
    let k = dev.load(&Binary::CodeObject(code.to_vec()), kernel)?;
    let mut bound = Vec::new();
    let mut bufs = Vec::new();
    for a in &args {
        match a {
            A::Buf(bytes) => {
                let b = dev.alloc(bytes.len())?;
                dev.upload(b, bytes)?;
                bufs.push((b, bytes.len()));
                bound.push(Arg::Buffer(b));
            }
            A::I32(v) => bound.push(Arg::I32(*v)),
        }
    }
    dev.launch(k, launch, &bound)?;
    let mut out = Vec::new();
    for (b, len) in bufs {
        let mut bytes = vec![0; len];
        dev.download(b, &mut bytes)?;
        dev.free(b)?;
        out.push(bytes);
    }
    Ok(out)
}

pub fn launch(
    code: &[u8],
    kernel: &str,
    launch: Launch,
    args: Vec<A>,
) -> Result<Vec<Vec<u8>>, DeviceError> {
    launch_on(&mut EmuDevice::new(), code, kernel, launch, args)
}

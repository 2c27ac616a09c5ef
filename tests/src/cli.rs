//! Running the `egpu` command in-process and writing its input files: shared by the CLI tests
//! of graphs (`tests/cli.rs`) and of kernels (`tests/kir_text.rs`).

use std::path::{Path, PathBuf};

/// Runs `egpu ARGS…` through `egpu::cli::run`; returns (exit code, stdout, stderr).
pub fn egpu(args: &[&str]) -> (i32, String, String) {
    let mut out = Vec::new();
    let mut err = Vec::new();
    let argv = std::iter::once("egpu").chain(args.iter().copied());
    let code = egpu::cli::run(argv, &mut out, &mut err);
    (
        code,
        String::from_utf8_lossy(&out).into_owned(),
        String::from_utf8_lossy(&err).into_owned(),
    )
}

/// Writes `contents` to `dir/name`; returns the path. Panics if the file cannot be written
/// (a broken test setup, not a finding).
pub fn write(dir: &Path, name: &str, contents: impl AsRef<[u8]>) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, contents).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    path
}

/// A 1-D .npy file written here with the format's own layout (independent of the code under
/// test): magic, version 1.0, header length, header dict padded to 64 bytes, then `data`
/// (`len` items of NumPy type `descr`).
pub fn npy_raw(dir: &Path, name: &str, descr: &str, len: usize, data: &[u8]) -> PathBuf {
    let dict = format!("{{'descr': '{descr}', 'fortran_order': False, 'shape': ({len},), }}");
    let mut header = dict.into_bytes();
    while (10 + header.len() + 1) % 64 != 0 {
        header.push(b' ');
    }
    header.push(b'\n');
    let mut bytes = b"\x93NUMPY\x01\x00".to_vec();
    bytes.extend_from_slice(&(header.len() as u16).to_le_bytes());
    bytes.extend_from_slice(&header);
    bytes.extend_from_slice(data);
    write(dir, name, &bytes)
}

/// f32 values as a .npy file.
pub fn npy_f32(dir: &Path, name: &str, values: &[f32]) -> PathBuf {
    let data: Vec<u8> = values.iter().flat_map(|v| v.to_le_bytes()).collect();
    npy_raw(dir, name, "<f4", values.len(), &data)
}

/// i32 values as a .npy file.
pub fn npy_i32(dir: &Path, name: &str, values: &[i32]) -> PathBuf {
    let data: Vec<u8> = values.iter().flat_map(|v| v.to_le_bytes()).collect();
    npy_raw(dir, name, "<i4", values.len(), &data)
}

//! What the toolchain tests share: small hand-written PTX modules, stand-in tools written
//! as shell scripts, finding the real ptxas, and skipping (or failing under `CI`) when a
//! tool is missing. Also compiled into tests/tests/ptx_container.rs.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

/// The smallest valid kernel (reference/ptx.md).
pub const SMALLEST: &str = "\
.version 7.8
.target sm_80
.address_size 64
.visible .entry k(.param .u64 p){.reg .b64 %a;.reg .b32 %r;ld.param.u64 %a,[p];cvta.to.global.u64 %a,%a;mov.u32 %r,42;st.global.u32 [%a],%r;ret;}
";

/// Two kernels in one module; `pair_b` has 64 bytes of shared memory and one barrier.
pub const TWO_KERNELS: &str = "\
.version 7.8
.target sm_80
.address_size 64
.visible .entry pair_a(.param .u64 p){.reg .b64 %a;.reg .b32 %r;ld.param.u64 %a,[p];cvta.to.global.u64 %a,%a;mov.u32 %r,7;st.global.u32 [%a],%r;ret;}
.visible .entry pair_b(.param .u64 p){
.reg .b64 %a;
.reg .b32 %r;
.shared .align 4 .b8 s[64];
ld.param.u64 %a,[p];
cvta.to.global.u64 %a,%a;
mov.u32 %r,42;
st.shared.u32 [s],%r;
bar.sync 0;
ld.shared.u32 %r,[s+4];
st.global.u32 [%a],%r;
ret;
}
";

/// `.maxnreg 16` is below what ptxas allows, so it warns (and compiles).
pub const WARNS: &str = "\
.version 7.8
.target sm_80
.address_size 64
.visible .entry warns(.param .u64 p) .maxnreg 16 {
.reg .b64 %a;
.reg .b32 %r;
ld.param.u64 %a,[p];
cvta.to.global.u64 %a,%a;
mov.u32 %r,42;
st.global.u32 [%a],%r;
ret;
}
";

/// Line 8 uses a register that was never declared.
pub const BAD: &str = "\
.version 7.8
.target sm_80
.address_size 64
.visible .entry bad(.param .u64 p){
.reg .b64 %a;
.reg .b32 %r;
ld.param.u64 %a,[p];
mov.u32 %q,42;
ret;
}
";
/// BAD's line 8, as ptxas should point at it.
pub const BAD_LINE: (usize, &str) = (8, "mov.u32 %q,42;");

/// `heavy`: 64 volatile loads then 64 volatile stores in reverse order, so all 64 values are
/// live at once; with `.maxnreg 32` ptxas must spill.
pub fn heavy() -> String {
    let n = 64;
    let mut s = String::from(
        ".version 7.8\n.target sm_80\n.address_size 64\n\
         .visible .entry heavy(.param .u64 p) .maxnreg 32 {\n\
         .reg .b64 %a;\n.reg .f32 %f<64>;\n\
         ld.param.u64 %a,[p];\ncvta.to.global.u64 %a,%a;\n",
    );
    for i in 0..n {
        s += &format!("ld.volatile.global.f32 %f{i},[%a+{}];\n", 4 * i);
    }
    for i in 0..n {
        s += &format!(
            "st.volatile.global.f32 [%a+{}],%f{};\n",
            4 * (n + i),
            n - 1 - i
        );
    }
    s + "ret;\n}\n"
}

/// The good modules with the kernel names each holds.
pub fn good_modules() -> Vec<(&'static str, String, Vec<&'static str>)> {
    vec![
        ("smallest", SMALLEST.to_string(), vec!["k"]),
        (
            "two_kernels",
            TWO_KERNELS.to_string(),
            vec!["pair_a", "pair_b"],
        ),
        ("warns", WARNS.to_string(), vec!["warns"]),
        ("heavy", heavy(), vec!["heavy"]),
    ]
}

/// Prints why a test does not run, or fails it when `CI` is set (CI must have the tools).
pub fn skip(reason: &str) {
    assert!(
        std::env::var_os("CI").is_none(),
        "{reason}, and CI is set: the CI run must have it"
    );
    eprintln!("skipped: {reason}");
}

/// The installed ptxas: `EGPU_PTXAS`, else where scripts/test installs it.
pub fn real_ptxas() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("EGPU_PTXAS").filter(|p| !p.is_empty()) {
        return Some(PathBuf::from(p));
    }
    let home = std::env::var_os("HOME")?;
    let p = Path::new(&home).join(".cache/egpu-tools/cu13/nvidia/cu13/bin/ptxas");
    p.is_file().then_some(p)
}

/// Writes an executable `/bin/sh` script `dir/name` running `body`.
pub fn script(dir: &Path, name: &str, body: &str) -> PathBuf {
    use std::os::unix::fs::PermissionsExt;
    let path = dir.join(name);
    std::fs::write(&path, format!("#!/bin/sh\n{body}\n")).expect("write a test script");
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755))
        .expect("make a test script executable");
    path
}

/// A fake ptxas whose `--version` says 13.5 (V13.5.37).
pub fn fake_ptxas(dir: &Path) -> PathBuf {
    std::fs::create_dir_all(dir).expect("make a folder for a fake ptxas");
    script(
        dir,
        "ptxas",
        "echo 'ptxas: NVIDIA (R) Ptx optimizing assembler'\n\
         echo 'Cuda compilation tools, release 13.5, V13.5.37'",
    )
}

/// A stand-in container engine `dir/name`: each `(subcommand, shell body)` pair answers that
/// subcommand (`info`, `image`, `run`, `exec`, `rm`); others exit 0. Every call appends its
/// arguments to `dir/NAME.log`.
pub fn fake_engine(dir: &Path, name: &str, arms: &[(&str, &str)]) -> PathBuf {
    let log = dir.join(format!("{name}.log"));
    let mut body = format!("echo \"$*\" >> '{}'\ncase \"$1\" in\n", log.display());
    for (sub, arm) in arms {
        body += &format!("  {sub})\n{arm}\n  ;;\n");
    }
    body += "  *) exit 0 ;;\nesac";
    script(dir, name, &body)
}

/// What a fake engine was asked, one call per line.
pub fn engine_log(dir: &Path, name: &str) -> String {
    std::fs::read_to_string(dir.join(format!("{name}.log"))).unwrap_or_default()
}

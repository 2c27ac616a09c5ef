//! The real ptxas (installed by scripts/test from PyPI): hand-written modules assemble for
//! every supported target, and a broken one is rejected at the right line. Skips with a
//! reason when ptxas is missing; fails then if `CI` is set.

mod toolchain_common;

use std::time::{Duration, Instant};

use egpu_codegen_ptx::toolchain::{
    Assembler, HowFound, Limits, Toolchain, ToolchainError, parse_info,
};
use toolchain_common::{BAD, BAD_LINE, TWO_KERNELS, WARNS, good_modules, real_ptxas, skip};

const ARCHS: [&str; 4] = ["sm_80", "sm_86", "sm_89", "sm_90"];

fn toolchain() -> Option<Toolchain> {
    let Some(path) = real_ptxas() else {
        skip("no ptxas (set EGPU_PTXAS or run scripts/test to install it)");
        return None;
    };
    Some(Toolchain::local(path, HowFound::EnvVar))
}

#[test]
fn version_is_read_from_the_real_ptxas() {
    let Some(t) = toolchain() else { return };
    let Assembler::Local { version, .. } = &t.assembler else {
        panic!("local toolchain expected");
    };
    let v = version.as_ref().expect("ptxas --version parsed");
    assert!(v.build.starts_with(&format!("V{}.", v.release)), "{v:?}");
    assert!(
        t.describe()
            .starts_with(&format!("ptxas {} ({})", v.release, v.build))
    );
}

#[test]
fn every_module_assembles_for_every_target_with_a_report_per_kernel() {
    let Some(t) = toolchain() else { return };
    for arch in ARCHS {
        for (what, ptx, kernels) in good_modules() {
            let out = t
                .assemble(&ptx, arch)
                .unwrap_or_else(|e| panic!("{what} for {arch}: {e}"));
            assert!(out.cubin.starts_with(b"\x7fELF"), "{what} {arch}: not ELF");
            assert_eq!(out.info.kernels.len(), kernels.len(), "{what} {arch}");
            for name in kernels {
                let k = out
                    .info
                    .kernel(name)
                    .unwrap_or_else(|| panic!("{what} {arch}: no report for {name}"));
                assert_eq!(k.arch, arch, "{what} {name}");
                assert!(k.registers > 0, "{what} {arch} {name}: {k:?}");
            }
            // The report is what ptxas printed, parsed again the same way.
            assert_eq!(parse_info(&out.info.log).kernels, out.info.kernels);
        }
    }
}

#[test]
fn report_matches_what_the_ptx_declares() {
    let Some(t) = toolchain() else { return };
    let out = t.assemble(TWO_KERNELS, "sm_80").expect("assembles");
    let b = out.info.kernel("pair_b").expect("pair_b");
    // `.shared .b8 s[64]` and one `bar.sync 0` in the PTX.
    assert_eq!((b.shared_bytes, b.barriers), (64, 1));
    let a = out.info.kernel("pair_a").expect("pair_a");
    assert_eq!((a.shared_bytes, a.barriers), (0, 0));
    assert!(
        out.info
            .log
            .contains(&format!("Used {} registers", b.registers)),
        "{}",
        out.info.log
    );
}

#[test]
fn heavy_kernel_spills_within_its_register_cap() {
    let Some(t) = toolchain() else { return };
    let out = t
        .assemble(&toolchain_common::heavy(), "sm_89")
        .expect("assembles");
    let h = out.info.kernel("heavy").expect("heavy");
    // 64 values live at once cannot fit in `.maxnreg 32`.
    assert!(h.registers <= 32, "{h:?}");
    assert!(h.spill_store_bytes > 0 && h.spill_load_bytes > 0, "{h:?}");
    assert!(h.stack_frame_bytes >= h.spill_store_bytes, "{h:?}");
}

#[test]
fn warnings_are_kept() {
    let Some(t) = toolchain() else { return };
    let out = t
        .assemble(WARNS, "sm_80")
        .expect("a warning is not an error");
    assert!(
        out.info
            .warnings
            .iter()
            .any(|w| w.contains("register count")),
        "{:?}",
        out.info.warnings
    );
}

#[test]
fn rejected_ptx_names_the_line_and_its_text() {
    let Some(t) = toolchain() else { return };
    let err = t.assemble(BAD, "sm_80").expect_err("BAD must be rejected");
    let ToolchainError::Rejected {
        arch,
        message,
        line,
        ptx_line,
    } = &err
    else {
        panic!("expected Rejected, got {err:?}");
    };
    assert_eq!(arch, "sm_80");
    assert_eq!(
        (*line, ptx_line.as_deref()),
        (Some(BAD_LINE.0), Some(BAD_LINE.1))
    );
    assert!(message.contains("%q"), "{message}");
    let shown = err.to_string();
    assert!(
        shown.contains("line 8") && shown.contains(BAD_LINE.1),
        "{shown}"
    );
    assert!(!shown.contains('\n'), "one line: {shown}");
}

#[test]
fn target_this_ptxas_does_not_know() {
    let Some(t) = toolchain() else { return };
    // CUDA 13's ptxas starts at sm_75.
    let err = t.assemble(toolchain_common::SMALLEST, "sm_70");
    assert!(
        matches!(&err, Err(ToolchainError::UnsupportedArch { arch, .. }) if arch == "sm_70"),
        "{err:?}"
    );
}

#[test]
fn malformed_targets_never_reach_ptxas() {
    // A ptxas that does not exist shows that nothing was started.
    let t = Toolchain::local("/nonexistent/ptxas", HowFound::EnvVar);
    for arch in [
        "",
        "sm80",
        "sm_",
        "sm_80 -v",
        "-arch=sm_80",
        "sm_90ab",
        "compute_80",
    ] {
        let err = t.assemble(toolchain_common::SMALLEST, arch);
        assert!(
            matches!(&err, Err(ToolchainError::BadArch { arch: a }) if a == arch),
            "{arch:?}: {err:?}"
        );
    }
    let err = t.assemble(toolchain_common::SMALLEST, "sm_90a");
    assert!(matches!(err, Err(ToolchainError::Spawn { .. })), "{err:?}");
}

#[test]
fn a_hanging_ptxas_is_stopped_at_the_deadline() {
    let dir = tempfile::tempdir().expect("temp");
    let slow = toolchain_common::script(
        dir.path(),
        "ptxas",
        "if [ \"$1\" = --version ]; then exit 0; fi\nsleep 30",
    );
    let t = Toolchain::local(slow, HowFound::EnvVar).with_limits(Limits {
        probe: Duration::from_millis(300),
        assemble: Duration::from_millis(500),
    });
    let start = Instant::now();
    let err = t.assemble(toolchain_common::SMALLEST, "sm_80");
    assert!(
        matches!(err, Err(ToolchainError::Timeout { .. })),
        "{err:?}"
    );
    assert!(
        start.elapsed() < Duration::from_secs(5),
        "{:?}",
        start.elapsed()
    );
}

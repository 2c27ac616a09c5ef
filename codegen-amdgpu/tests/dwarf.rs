//! The DWARF line table against llvm-dwarfdump-19: a code object with two hand-built kernels
//! and hand-chosen rows; dwarfdump must list exactly those rows at the addresses
//! llvm-readelf-19 gives the kernels' symbols, name each kernel's `.kir` file, and find
//! nothing wrong with `--verify`. The object must still be read by our reader and
//! disassembled by llvm-objdump-19, and llvm-symbolizer-19 must resolve addresses to the
//! same lines. The statement → `.kir` line mapping is checked against
//! line numbers counted by hand in a printed kernel.

mod common;

use egpu_codegen_amdgpu::dwarf::{KernelLines, kernel_lines};
use egpu_codegen_amdgpu::object::{CodeObject, KernelCode, KernelResources};
use std::path::Path;
use std::process::Command;

const S_NOP_0: u32 = 0xBF80_0000;
const S_ENDPGM: u32 = 0xBFB0_0000;

fn kernel(name: &str, dwords: usize) -> KernelCode {
    let mut words = vec![S_NOP_0; dwords - 1];
    words.push(S_ENDPGM);
    KernelCode {
        name: name.into(),
        code: words.iter().flat_map(|w| w.to_le_bytes()).collect(),
        resources: KernelResources {
            vgpr_count: 1,
            sgpr_count: 2,
            uses_vcc: false,
            lds_bytes: 0,
            scratch_bytes_per_lane: 0,
            kernarg_size: 0,
            kernarg_align: 8,
            workgroup_id: [true, false, false],
            workitem_id_dims: 1,
            max_flat_workgroup_size: 64,
        },
        args: vec![],
    }
}

fn tool(test: &str, name: &str, args: &[&str], file: &Path) -> Option<String> {
    let path = common::llvm_tool(test, name)?;
    let out = Command::new(path)
        .args(args)
        .arg(file)
        .output()
        .expect("run tool");
    assert!(
        out.status.success(),
        "{name} {args:?} failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    Some(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// `NAME -> address` from llvm-readelf-19's symbol table (FUNC symbols).
fn function_address(readelf: &str, name: &str) -> u64 {
    readelf
        .lines()
        .find_map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            (f.len() >= 8 && f[3] == "FUNC" && f[7] == name)
                .then(|| u64::from_str_radix(f[1], 16).expect("hex address"))
        })
        .unwrap_or_else(|| panic!("no FUNC symbol {name} in\n{readelf}"))
}

/// dwarfdump's rows as (address, line, file index, end_sequence).
fn rows(dump: &str) -> Vec<(u64, u64, u64, bool)> {
    dump.lines()
        .filter(|l| l.starts_with("0x0000"))
        .map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            let hex = u64::from_str_radix(f[0].trim_start_matches("0x"), 16).expect("address");
            let line = f[1].parse().expect("line");
            let file = f[3].parse().expect("file");
            (hex, line, file, l.contains("end_sequence"))
        })
        .collect()
}

#[test]
fn dwarfdump_shows_our_rows_at_the_kernels_addresses() {
    let test = "dwarfdump_shows_our_rows_at_the_kernels_addresses";
    let kernels = [kernel("first", 4), kernel("second", 3)];
    let lines = [
        KernelLines {
            kernel: "first".into(),
            rows: vec![(0, 6), (8, 7), (12, 9)],
        },
        KernelLines {
            kernel: "second".into(),
            rows: vec![(0, 3), (4, 12)],
        },
    ];
    let bytes = CodeObject::write_with_debug(&kernels, &lines).expect("write");
    let read = CodeObject::read(&bytes).expect("our reader still reads it");
    assert_eq!(read.len(), 2);
    assert_eq!(read[1].code, kernels[1].code);
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("k.hsaco");
    std::fs::write(&file, &bytes).expect("write file");

    let Some(readelf) = tool(test, "llvm-readelf-19", &["-s"], &file) else {
        return;
    };
    let Some(dump) = tool(test, "llvm-dwarfdump-19", &["--debug-line"], &file) else {
        return;
    };
    let (a, b) = (
        function_address(&readelf, "first"),
        function_address(&readelf, "second"),
    );
    let expected = vec![
        (a, 6, 0, false),
        (a + 8, 7, 0, false),
        (a + 12, 9, 0, false),
        (a + 16, 9, 0, true),
        (b, 3, 0, false),
        (b + 4, 12, 0, false),
        (b + 12, 12, 0, true),
    ];
    assert_eq!(rows(&dump), expected, "{dump}");
    assert!(dump.contains("\"first.kir\"") && dump.contains("\"second.kir\""));
    assert!(dump.contains("version: 5"), "{dump}");

    // llvm-symbolizer-19 reads the same tables as a debugger does: an address inside a
    // run of instructions resolves to that run's line, in the kernel's function.
    let obj = format!("--obj={}", file.display());
    let addrs = [a + 4, a + 8, a + 12, b + 8].map(|x| format!("{x:#x}"));
    let mut args = vec![obj.as_str()];
    args.extend(addrs.iter().map(String::as_str));
    let Some(path) = common::llvm_tool(test, "llvm-symbolizer-19") else {
        return;
    };
    let out = Command::new(path)
        .args(&args)
        .output()
        .expect("run llvm-symbolizer-19");
    let text = String::from_utf8_lossy(&out.stdout);
    let resolved: Vec<&str> = text.lines().filter(|l| !l.is_empty()).collect();
    assert_eq!(
        resolved,
        [
            "first",
            "./first.kir:6:0",
            "first",
            "./first.kir:7:0",
            "first",
            "./first.kir:9:0",
            "second",
            "./second.kir:12:0"
        ],
        "{text}"
    );

    let info = tool(test, "llvm-dwarfdump-19", &["--debug-info"], &file).expect("found above");
    assert_eq!(info.matches("DW_TAG_compile_unit").count(), 2, "{info}");
    assert!(
        info.contains(&format!("DW_AT_low_pc\t({a:#018x})")),
        "{info}"
    );
    let verify = tool(test, "llvm-dwarfdump-19", &["--verify"], &file).expect("found above");
    assert!(verify.contains("No errors."), "{verify}");
    let Some(disasm) = tool(test, "llvm-objdump-19", &["-d", "--mcpu=gfx1100"], &file) else {
        return;
    };
    assert_eq!(disasm.matches("s_endpgm").count(), 2, "{disasm}");
}

#[test]
fn bad_rows_are_errors_naming_the_kernel() {
    let kernels = [kernel("k", 2)];
    let backwards = [KernelLines {
        kernel: "k".into(),
        rows: vec![(4, 1), (0, 2)],
    }];
    let e = CodeObject::write_with_debug(&kernels, &backwards).unwrap_err();
    assert!(e.to_string().contains("kernel k"), "{e}");
    let outside = [KernelLines {
        kernel: "k".into(),
        rows: vec![(8, 1)],
    }];
    let e = CodeObject::write_with_debug(&kernels, &outside).unwrap_err();
    assert!(e.to_string().contains("past the code"), "{e}");
    let e = CodeObject::write_with_debug(&kernels, &[]).unwrap_err();
    assert!(e.to_string().contains("0 line tables"), "{e}");
}

/// Lines counted by hand in the text below (1-based): statement 0 (`v0`) is on line 4,
/// the `for` (statement 4) on line 8, the `if` (6) on line 10, the else-body's store (8)
/// on line 13, and the last store (9) on line 16.
const KIR: &str = "\
kernel k(a: global f32[64] read_write)
  grid [1, 1, 1] workgroup [64, 1, 1] subgroup 32
{
  v0: i32 = local_id.x
  v1: f32 = load a[v0]
  v2: i32 = const 0
  v3: i32 = const 4
  for v4: i32 in v2..v3 {
    v5: bool = cmpeq v4, v0
    if v5 {
      store a[v0] = v1
    } else {
      store a[v4] = v1
    }
  }
  store a[v0] = v1
}
";

#[test]
fn statements_map_to_their_printed_lines() {
    let kernel = egpu_codegen_amdgpu::ir::kernel::text::parse(KIR).expect("parses");
    assert_eq!(egpu_codegen_amdgpu::ir::kernel::print(&kernel), KIR);
    let stmts = [
        (0, 0),
        (4, 0),
        (8, 1),
        (12, 4),
        (16, 6),
        (20, 8),
        (24, 9),
        (28, 99),
    ];
    let lines = kernel_lines(&kernel, &stmts);
    assert_eq!(lines.kernel, "k");
    // Runs on one line collapse to their first row; an unknown statement is line 0.
    assert_eq!(
        lines.rows,
        [
            (0, 4),
            (8, 5),
            (12, 8),
            (16, 10),
            (20, 13),
            (24, 16),
            (28, 0)
        ]
    );
}

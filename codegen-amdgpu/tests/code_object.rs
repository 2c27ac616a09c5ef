//! The HSA code object writer against LLVM 19: our object for a kernel beside the one
//! ld.lld-19 links for the same kernel (hand-written assembly, and clang-19's OpenCL),
//! compared through llvm-readelf-19 and llvm-objdump-19. Tools missing: the test prints
//! why and passes, unless `CI` is set.

use std::path::{Path, PathBuf};
use std::process::Command;

use ::object::{Object, ObjectSection};
use egpu_codegen_amdgpu::object::{
    Access, ArgKind, CodeObject, KernelArg, KernelCode, KernelResources,
};

const TOOLS: [&str; 4] = [
    "llvm-mc-19",
    "ld.lld-19",
    "llvm-readelf-19",
    "llvm-objdump-19",
];

/// Whether every named tool runs; if not, say so, and fail under CI.
fn tools_present(names: &[&str]) -> bool {
    for name in names {
        let ok = Command::new(name)
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success());
        if !ok {
            assert!(
                std::env::var_os("CI").is_none(),
                "{name} is required under CI"
            );
            eprintln!("skipping: {name} not found (install llvm-19 lld-19 clang-19)");
            return false;
        }
    }
    true
}

fn run(cmd: &str, args: &[&str]) -> String {
    let out = Command::new(cmd).args(args).output().expect("tool runs");
    assert!(
        out.status.success(),
        "{cmd} {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn path_str(p: &Path) -> &str {
    p.to_str().expect("temp paths are UTF-8")
}

/// Assemble and link with LLVM: the reference code object, and the relocatable object.
fn lld_object(dir: &Path, asm_name: &str, asm: &str) -> (PathBuf, PathBuf) {
    let src = dir.join(asm_name);
    std::fs::write(&src, asm).expect("write source");
    let obj = dir.join("ref.o");
    let so = dir.join("ref.hsaco");
    run(
        "llvm-mc-19",
        &[
            "-triple=amdgcn-amd-amdhsa",
            "-mcpu=gfx1100",
            "-filetype=obj",
            path_str(&src),
            "-o",
            path_str(&obj),
        ],
    );
    run(
        "ld.lld-19",
        &["-shared", path_str(&obj), "-o", path_str(&so)],
    );
    (obj, so)
}

/// readelf's section table as (name, type, flags, entsize, align, link target name, info,
/// and address minus file offset: which page shift lld's segment rule gave the section),
/// without what only a linker adds (`.comment`, `.relro_padding`).
fn sections(file: &Path) -> Vec<String> {
    let text = run("llvm-readelf-19", &["-S", "-W", path_str(file)]);
    let rows: Vec<Vec<String>> = text
        .lines()
        .filter_map(|l| l.trim_start().strip_prefix('['))
        .filter(|l| !l.starts_with("Nr]"))
        .map(|l| {
            let l = l.split_once(']').map_or(l, |(_, rest)| rest);
            l.split_whitespace().map(str::to_string).collect()
        })
        .collect();
    let name_of = |index: &str| -> String {
        let i: usize = index.parse().expect("link is a number");
        rows.get(i)
            .and_then(|r| r.first().cloned())
            .unwrap_or_default()
    };
    rows.iter()
        .filter(|r| r.len() >= 9 && r[0] != ".comment" && r[0] != ".relro_padding")
        .map(|r| {
            // name type addr off size es [flg] lk inf al: the flags column is empty for
            // non-allocated sections.
            let flags = if r.len() == 10 { r[6].as_str() } else { "" };
            let tail = &r[r.len() - 3..];
            // A symbol table's sh_info counts its local symbols; clang's has one more
            // (__oclc_ABI_version), so that count is left to the symbol comparison.
            let info = if r[1] == "SYMTAB" {
                "-"
            } else {
                tail[1].as_str()
            };
            let hex = |f: &str| u64::from_str_radix(f, 16).expect("hex column");
            let (addr, off) = (hex(&r[2]), hex(&r[3]));
            let shift = if addr == 0 {
                "-".to_string()
            } else {
                format!("{:#x}", addr.wrapping_sub(off))
            };
            format!(
                "{} {} es={} flags={flags} link={} info={} align={} shift={shift}",
                r[0],
                r[1],
                r[5],
                name_of(&tail[0]),
                info,
                tail[2]
            )
        })
        .collect()
}

/// readelf's symbols as "table: type bind vis section size name", sorted; the section is
/// named through the section table so indices need not agree. Local linker symbols apart
/// from `_DYNAMIC` (clang's `__oclc_ABI_version`) are left out.
fn symbols(file: &Path) -> Vec<String> {
    let section_names: Vec<String> = {
        let text = run("llvm-readelf-19", &["-S", "-W", path_str(file)]);
        text.lines()
            .filter_map(|l| l.trim_start().strip_prefix('['))
            .filter(|l| !l.starts_with("Nr]"))
            .map(|l| {
                l.split_once(']')
                    .map_or("", |(_, r)| r)
                    .split_whitespace()
                    .next()
                    .unwrap_or("NULL")
                    .to_string()
            })
            .collect()
    };
    let text = run("llvm-readelf-19", &["-s", "-W", path_str(file)]);
    let mut table = String::new();
    let mut out = Vec::new();
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("Symbol table '") {
            table = rest.split('\'').next().unwrap_or("").to_string();
            continue;
        }
        let f: Vec<&str> = line.split_whitespace().collect();
        if f.len() != 8 || f[0] == "Num:" || !f[0].ends_with(':') || f[7] == "__oclc_ABI_version" {
            continue;
        }
        let section = f[6]
            .parse::<usize>()
            .map_or(f[6].to_string(), |i| section_names[i].clone());
        out.push(format!(
            "{table}: {} {} {} {} {} {}",
            f[3], f[4], f[5], section, f[2], f[7]
        ));
    }
    out.sort();
    out
}

/// The decoded metadata note (YAML), less keys only a source language gives
/// (`.language`, `.language_version`, `.is_const`, `.type_name`) and the assembler's
/// `.agpr_count` (gfx11 has no AGPRs; clang omits it).
fn note_yaml(file: &Path) -> Vec<String> {
    let text = run("llvm-readelf-19", &["--notes", path_str(file)]);
    let mut lines = text.lines().skip_while(|l| l.trim() != "---").peekable();
    let mut out = Vec::new();
    while let Some(line) = lines.next() {
        let key = line
            .trim_start()
            .trim_start_matches("- ")
            .split(':')
            .next()
            .unwrap_or("");
        let dropped = [
            ".language",
            ".language_version",
            ".is_const",
            ".type_name",
            ".agpr_count",
        ];
        if dropped.contains(&key) {
            // A list value continues on the following, more indented "- " lines.
            while lines
                .peek()
                .is_some_and(|l| l.trim_start().starts_with("- ") && !l.contains(':'))
            {
                lines.next();
            }
            // A dropped key that opened a list item hands the "- " on to the next key.
            if line.trim_start().starts_with("- ")
                && let Some(next) = lines.next()
            {
                let indent = line.len() - line.trim_start().len();
                out.push(format!("{}- {}", " ".repeat(indent), next.trim_start()));
            }
            continue;
        }
        out.push(line.to_string());
    }
    out
}

/// The `.amdhsa_*` lines llvm-objdump decodes from a descriptor.
fn descriptor_dump(file: &Path, kd: &str) -> Vec<String> {
    let text = run(
        "llvm-objdump-19",
        &[
            "-D",
            &format!("--disassemble-symbols={kd}"),
            "--mcpu=gfx1100",
            path_str(file),
        ],
    );
    assert!(
        !text.contains("error decoding"),
        "{kd} did not decode:\n{text}"
    );
    let lines: Vec<String> = text
        .lines()
        .skip_while(|l| !l.starts_with(".amdhsa_kernel"))
        .take_while(|l| !l.starts_with(".end_amdhsa_kernel"))
        .map(str::to_string)
        .collect();
    assert!(lines.len() > 30, "no descriptor decoded for {kd}:\n{text}");
    lines
}

/// Disassembly of `.text`, instruction by instruction with the encoding, less addresses.
fn disassembly(file: &Path) -> Vec<String> {
    let text = run("llvm-objdump-19", &["-d", "--mcpu=gfx1100", path_str(file)]);
    assert!(!text.contains("<unknown>"), "undecodable code:\n{text}");
    text.lines()
        .filter(|l| l.starts_with('\t') || l.ends_with(">:"))
        .map(|l| {
            if l.ends_with(">:") {
                return l.split_once(' ').map_or(l, |(_, name)| name).to_string();
            }
            let (asm, enc) = l.split_once("//").unwrap_or((l, ""));
            let enc = enc.split_once(':').map_or(enc, |(_, bytes)| bytes);
            let enc = enc.split('<').next().unwrap_or("");
            format!("{} | {}", asm.trim(), enc.trim())
        })
        .collect()
}

/// ELF header facts that must agree (offsets and counts may not).
fn header(file: &Path) -> Vec<String> {
    let text = run("llvm-readelf-19", &["-h", path_str(file)]);
    let keys = [
        "Class:",
        "Data:",
        "OS/ABI:",
        "ABI Version:",
        "Type:",
        "Machine:",
        "Entry point",
        "Flags:",
        "Magic:",
    ];
    text.lines()
        .map(str::trim)
        .filter(|l| keys.iter().any(|k| l.starts_with(k)))
        .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
        .collect()
}

/// Program header types and flags, less the ones lld adds that the loader ignores.
fn segments(file: &Path) -> Vec<String> {
    let text = run("llvm-readelf-19", &["-l", "-W", path_str(file)]);
    text.lines()
        .map(str::split_whitespace)
        .map(Iterator::collect::<Vec<_>>)
        .filter(|f| f.len() >= 8 && ["LOAD", "DYNAMIC", "NOTE"].contains(&f[0]))
        .map(|f| format!("{} {}", f[0], f[7..f.len() - 1].join("")))
        .collect()
}

/// `trim_tail`: the hand-written kernel has no trailing `s_code_end` run (clang's code
/// generator emits it, not the linker), so for it the comparison stops where lld's ends and
/// ours is checked to carry the 384-byte tail.
fn compare(ours: &Path, theirs: &Path, kds: &[&str], trim_tail: bool) {
    // Each listing must be non-trivial, so an unparsed tool output cannot pass as equal.
    type Listing = fn(&Path) -> Vec<String>;
    let listings: [(&str, Listing, usize); 5] = [
        ("ELF header", header, 9),
        ("sections", sections, 11),
        ("program headers", segments, 5),
        ("symbols", symbols, 1 + 4 * kds.len()),
        ("metadata note", note_yaml, 25 * kds.len()),
    ];
    for (what, listing, at_least) in listings {
        let (a, b) = (listing(ours), listing(theirs));
        assert!(
            b.len() >= at_least,
            "{what}: only {} lines parsed from LLVM's object",
            b.len()
        );
        assert_eq!(a, b, "{what}");
    }
    for kd in kds {
        assert_eq!(
            descriptor_dump(ours, kd),
            descriptor_dump(theirs, kd),
            "descriptor {kd}"
        );
    }
    let mut ours = disassembly(ours);
    assert!(
        ours.len() > 10 * kds.len(),
        "too little disassembly: {ours:?}"
    );
    if trim_tail {
        let code_end = "s_code_end | BF9F0000";
        let tail = ours.iter().rev().take_while(|l| *l == code_end).count();
        assert!(
            tail >= 96,
            "ours ends in {tail} s_code_end, want at least 384 bytes"
        );
        ours.truncate(ours.len() - tail);
    }
    assert_eq!(ours, disassembly(theirs), "disassembly");
}

fn global(name: &str, offset: u32, access: Access) -> KernelArg {
    KernelArg {
        name: Some(name.into()),
        offset,
        size: 8,
        kind: ArgKind::GlobalBuffer(Some(access)),
    }
}

/// `rdna3_vadd.s`'s kernel, described as its directives and metadata say.
fn vadd_kernel(code: Vec<u8>) -> KernelCode {
    KernelCode {
        name: "vadd".into(),
        code,
        resources: KernelResources {
            vgpr_count: 4,
            sgpr_count: 16,
            uses_vcc: true,
            lds_bytes: 0,
            scratch_bytes_per_lane: 0,
            kernarg_size: 28,
            kernarg_align: 8,
            workgroup_id: [true, false, false],
            workitem_id_dims: 1,
            max_flat_workgroup_size: 256,
        },
        args: vec![
            global("a", 0, Access::ReadOnly),
            global("b", 8, Access::ReadOnly),
            global("c", 16, Access::WriteOnly),
            KernelArg {
                name: Some("count".into()),
                offset: 24,
                size: 4,
                kind: ArgKind::ByValue,
            },
        ],
    }
}

/// The `.text` bytes llvm-mc assembled, read from the relocatable object.
fn text_of(obj: &Path) -> Vec<u8> {
    let data = std::fs::read(obj).expect("read object");
    let file = ::object::File::parse(&*data).expect("llvm-mc's object parses");
    let text = file.section_by_name(".text").expect(".text");
    text.data().expect(".text data").to_vec()
}

#[test]
fn hand_written_kernel_matches_lld() {
    if !tools_present(&TOOLS) {
        return;
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let asm = include_str!("data/rdna3_vadd.s");
    let (obj, theirs) = lld_object(dir.path(), "vadd.s", asm);
    let code = text_of(&obj);
    let bytes = CodeObject::write(&[vadd_kernel(code.clone())]).expect("write");
    let ours = dir.path().join("ours.hsaco");
    std::fs::write(&ours, &bytes).expect("write ours");
    compare(&ours, &theirs, &["vadd.kd"], true);
    // The reference's descriptor words (rdna3.md): rsrc1, rsrc2, kernel_code_properties.
    let read = CodeObject::read(&bytes).expect("read ours");
    let kd = read[0].descriptor_bytes;
    assert_eq!(kd[0x30..0x34], 0x60AF_0000u32.to_le_bytes());
    assert_eq!(kd[0x34..0x38], 0x9Eu32.to_le_bytes());
    assert_eq!(kd[0x38..0x3A], 0x0408u16.to_le_bytes());
    assert_eq!(read[0].code, code);
}

#[test]
fn writing_is_deterministic() {
    let k = vadd_kernel(vec![0x00, 0x00, 0xB0, 0xBF]);
    let mut other = k.clone();
    other.name = "other".into();
    let first = CodeObject::write(&[k.clone(), other.clone()]).expect("write");
    let second = CodeObject::write(&[k, other]).expect("write");
    assert_eq!(first, second);
}

/// Kernel-level values of the decoded metadata note, as (kernel name, key, value).
fn note_values(file: &Path) -> Vec<(String, String, String)> {
    let mut out = Vec::new();
    let mut kernel_lines: Vec<(String, String)> = Vec::new();
    let flush = |lines: &mut Vec<(String, String)>, out: &mut Vec<(String, String, String)>| {
        let name = lines
            .iter()
            .find(|(k, _)| k == ".name")
            .map(|(_, v)| v.clone())
            .unwrap_or_default();
        out.extend(lines.drain(..).map(|(k, v)| (name.clone(), k, v)));
    };
    for line in note_yaml(file) {
        let body = if let Some(rest) = line.strip_prefix("  - ") {
            flush(&mut kernel_lines, &mut out);
            rest
        } else if let Some(rest) = line.strip_prefix("    ") {
            rest
        } else {
            continue;
        };
        if body.starts_with(' ') || body.starts_with('-') {
            continue;
        }
        if let Some((k, v)) = body.split_once(':') {
            kernel_lines.push((k.to_string(), v.trim().to_string()));
        }
    }
    flush(&mut kernel_lines, &mut out);
    out
}

fn note_u32(values: &[(String, String, String)], kernel: &str, key: &str) -> u32 {
    values
        .iter()
        .find(|(k, name, _)| k == kernel && name == key)
        .and_then(|(_, _, v)| v.parse().ok())
        .unwrap_or_else(|| panic!("note has no numeric {key} for {kernel}"))
}

/// The arguments of `data/clang_kernels.cl` as clang describes them (no names or access
/// qualifiers without `-cl-kernel-arg-info`).
fn cl_args(kernel: &str) -> Vec<KernelArg> {
    let buffer = |offset| KernelArg {
        name: None,
        offset,
        size: 8,
        kind: ArgKind::GlobalBuffer(None),
    };
    let scalar = |offset| KernelArg {
        name: None,
        offset,
        size: 4,
        kind: ArgKind::ByValue,
    };
    match kernel {
        "vadd" => vec![buffer(0), buffer(8), buffer(16), scalar(24)],
        "row_sum" => vec![buffer(0), buffer(8), scalar(16)],
        "scratch" => vec![buffer(0), scalar(8)],
        other => panic!("unexpected kernel {other}"),
    }
}

/// A copy of lld's object with rsrc1 bits [9:6] (GRANULATED_WAVEFRONT_SGPR_COUNT) cleared:
/// clang-19 fills them although AMDGPUUsage reserves them (must be 0) on GFX10+, and
/// llvm-objdump-19 then refuses to decode its own compiler's descriptors.
fn clear_sgpr_granules(from: &Path, to: &Path, kds: &[&str]) {
    use ::object::ObjectSymbol;
    let mut data = std::fs::read(from).expect("read lld object");
    let mut patches = Vec::new();
    {
        let file = ::object::File::parse(&*data).expect("lld object parses");
        for kd in kds {
            let sym = file
                .symbols()
                .find(|s| s.name() == Ok(*kd))
                .expect("descriptor symbol");
            let section = file
                .section_by_index(sym.section_index().expect("in a section"))
                .expect("section");
            let (offset, _) = section.file_range().expect("in the file");
            patches.push((offset + sym.address() - section.address()) as usize + 0x30);
        }
    }
    for at in patches {
        data[at] &= !0xC0;
        data[at + 1] &= !0x03;
    }
    std::fs::write(to, data).expect("write patched copy");
}

#[test]
fn clang_kernels_rewritten_match_lld() {
    if !tools_present(&[
        "clang-19",
        "ld.lld-19",
        "llvm-readelf-19",
        "llvm-objdump-19",
    ]) {
        return;
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let src = dir.path().join("k.cl");
    std::fs::write(&src, include_str!("data/clang_kernels.cl")).expect("write source");
    let obj = dir.path().join("k.o");
    let theirs = dir.path().join("clang.hsaco");
    run(
        "clang-19",
        &[
            "-x",
            "cl",
            "-cl-std=CL2.0",
            "-target",
            "amdgcn-amd-amdhsa",
            "-mcpu=gfx1100",
            "-nogpulib",
            "-O3",
            "-c",
            path_str(&src),
            "-o",
            path_str(&obj),
        ],
    );
    run(
        "ld.lld-19",
        &["-shared", path_str(&obj), "-o", path_str(&theirs)],
    );
    let found = CodeObject::read(&std::fs::read(&theirs).expect("read"))
        .expect("our reader reads lld's object");
    let names: Vec<&str> = found.iter().map(|k| k.name.as_str()).collect();
    assert_eq!(names, ["vadd", "row_sum", "scratch"]);
    let note = note_values(&theirs);
    let kernels: Vec<KernelCode> = found
        .iter()
        .map(|k| {
            let d = &k.descriptor;
            let resources = KernelResources {
                vgpr_count: note_u32(&note, &k.name, ".vgpr_count"),
                sgpr_count: note_u32(&note, &k.name, ".sgpr_count"),
                uses_vcc: false,
                lds_bytes: d.group_segment_fixed_size,
                scratch_bytes_per_lane: d.private_segment_fixed_size,
                kernarg_size: d.kernarg_size,
                kernarg_align: note_u32(&note, &k.name, ".kernarg_segment_align"),
                workgroup_id: d.workgroup_id,
                workitem_id_dims: d.workitem_id_dims,
                max_flat_workgroup_size: note_u32(&note, &k.name, ".max_flat_workgroup_size"),
            };
            // The UserSGPRInit16Bug padding we compute is the one clang chose.
            assert_eq!(resources.user_sgpr_count(), d.user_sgpr_count, "{}", k.name);
            KernelCode {
                name: k.name.clone(),
                code: k.code.clone(),
                resources,
                args: cl_args(&k.name),
            }
        })
        .collect();
    let bytes = CodeObject::write(&kernels).expect("write");
    let ours = dir.path().join("ours.hsaco");
    std::fs::write(&ours, &bytes).expect("write ours");

    // Descriptor bytes equal clang's but for the entry offset (layouts differ) and the
    // SGPR granules clang sets in reserved bits.
    let mask = |mut kd: [u8; 64]| {
        kd[0x10..0x18].fill(0);
        kd[0x30] &= !0xC0;
        kd[0x31] &= !0x03;
        kd
    };
    let ours_read = CodeObject::read(&bytes).expect("read ours");
    for (a, b) in ours_read.iter().zip(&found) {
        assert_eq!(
            mask(a.descriptor_bytes),
            mask(b.descriptor_bytes),
            "descriptor {}",
            a.name
        );
        assert_eq!(a.code, b.code, "code of {}", a.name);
    }
    let kds = ["vadd.kd", "row_sum.kd", "scratch.kd"];
    let patched = dir.path().join("clang-patched.hsaco");
    clear_sgpr_granules(&theirs, &patched, &kds);
    compare(&ours, &patched, &kds, false);
}

#[test]
fn stripped_object_reads_through_dynsym() {
    if !tools_present(&["llvm-strip-19", "llvm-readelf-19"]) {
        return;
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let code: Vec<u8> = [0xBF80_0000u32, 0xBFB0_0000]
        .iter()
        .flat_map(|w| w.to_le_bytes())
        .collect();
    let bytes = CodeObject::write(&[vadd_kernel(code.clone())]).expect("write");
    let path = dir.path().join("stripped.hsaco");
    std::fs::write(&path, &bytes).expect("write");
    run("llvm-strip-19", &["--strip-all", path_str(&path)]);
    let stripped = std::fs::read(&path).expect("read back");
    assert!(!run("llvm-readelf-19", &["-S", path_str(&path)]).contains(".symtab"));
    let read = CodeObject::read(&stripped).expect("reads through .dynsym");
    assert_eq!(read.len(), 1);
    assert_eq!(read[0].code, code);
    assert_eq!(
        read[0].descriptor,
        CodeObject::read(&bytes).expect("read")[0].descriptor
    );
}

//! The AMD path end to end against LLVM 19 (issue "AMD path"): every example and ≥ 200
//! random graphs compile to gfx1100 code objects that `llvm-objdump-19` disassembles with no
//! `<unknown>`, whose instruction text equals our printer's line by line, whose printed
//! assembly `llvm-mc-19` reassembles to the same bytes, whose metadata note
//! `llvm-readelf-19` decodes with every required key, and whose descriptors
//! `llvm-objdump-19` decodes to the values we meant; our object beside clang-19's for an
//! equivalent OpenCL kernel; snapshots of the assembly of every example and suite graph.

use egpu_codegen_amdgpu::{CompiledKernel, compile_program};
use egpu_ir::kernel::Program;
use egpu_ir::{Graph, Target};
use egpu_passes::pipeline::{PipelineOptions, compile};
use egpu_passes::simplify::SimplifyOptions;
use egpu_tests::llvm::{self, normalize};
use egpu_tests::{examples, random_graph, suite_sources};
use std::collections::BTreeMap;

const TOOLS: [&str; 3] = ["llvm-objdump-19", "llvm-mc-19", "llvm-readelf-19"];

fn program(graph: &Graph) -> Program {
    let options = PipelineOptions {
        target: Target::by_name("gfx1100").expect("gfx1100 is a target"),
        disabled: Vec::new(),
        simplify: SimplifyOptions::default(),
    };
    compile(graph, &options)
        .unwrap_or_else(|e| panic!("{}: {e}", graph.name()))
        .program
}

fn build(graph: &Graph) -> (Vec<u8>, Vec<CompiledKernel>) {
    let target = Target::by_name("gfx1100").expect("gfx1100 is a target");
    compile_program(&program(graph), &target).unwrap_or_else(|e| panic!("{}: {e}", graph.name()))
}

/// The instruction lines of our assembly text (comments and blank lines dropped).
fn asm_lines(k: &CompiledKernel) -> Vec<String> {
    k.asm(false)
        .lines()
        .map(normalize)
        .filter(|l| !l.is_empty() && !l.starts_with(';'))
        .collect()
}

/// objdump's lines for each kernel equal our printer's, byte for byte and text for text;
/// what follows a kernel is padding: `s_nop 0` up to the next kernel's 256-byte aligned
/// entry, `s_code_end` after the last.
fn check_disassembly(label: &str, object: &[u8], kernels: &[CompiledKernel]) {
    let listing = llvm::disassemble(object).unwrap_or_else(|e| panic!("{label}: {e}"));
    for k in kernels {
        let theirs = listing
            .get(&k.name)
            .unwrap_or_else(|| panic!("{label}: objdump shows no symbol {}", k.name));
        let ours = asm_lines(k);
        assert!(
            theirs.len() >= ours.len(),
            "{label}: {}: objdump lists {} instructions, we printed {}",
            k.name,
            theirs.len(),
            ours.len()
        );
        for (i, (o, t)) in ours.iter().zip(theirs).enumerate() {
            assert_eq!(o, &t.text, "{label}: {} instruction {i}", k.name);
        }
        let bytes: Vec<u8> = theirs[..ours.len()]
            .iter()
            .flat_map(|l| l.bytes.clone())
            .collect();
        assert_eq!(bytes, k.assembled.code, "{label}: {}: code bytes", k.name);
        assert!(
            theirs[ours.len()..]
                .iter()
                .all(|l| l.text == "s_code_end" || l.text == "s_nop 0"),
            "{label}: {}: after the kernel objdump shows {:?}",
            k.name,
            &theirs[ours.len()..]
        );
    }
}

#[test]
fn every_example_disassembles_as_we_print_it() {
    if !llvm::present("every_example_disassembles_as_we_print_it", &TOOLS) {
        return;
    }
    for (name, graph) in examples() {
        let (object, kernels) = build(&graph);
        check_disassembly(&name, &object, &kernels);
    }
}

#[test]
fn every_suite_graph_disassembles_as_we_print_it() {
    if !llvm::present("every_suite_graph_disassembles_as_we_print_it", &TOOLS) {
        return;
    }
    for (name, source) in suite_sources() {
        let graph = egpu_ir::text::parse(&source).unwrap_or_else(|e| panic!("{name}: {e}"));
        let (object, kernels) = build(&graph);
        check_disassembly(&format!("suite {name}"), &object, &kernels);
    }
}

#[test]
fn printed_assembly_reassembles_to_the_same_bytes() {
    if !llvm::present("printed_assembly_reassembles_to_the_same_bytes", &TOOLS) {
        return;
    }
    for (name, graph) in examples() {
        for k in build(&graph).1 {
            let bytes = llvm::assemble(&k.asm(true))
                .unwrap_or_else(|e| panic!("{name}: {}: llvm-mc refused our text: {e}", k.name));
            assert_eq!(bytes, k.assembled.code, "{name}: {}", k.name);
        }
    }
}

/// The metadata keys HIP and the ROCm loader read (reference/rdna3.md "Code object").
const KERNEL_KEYS: [&str; 11] = [
    ".name",
    ".symbol",
    ".kernarg_segment_size",
    ".kernarg_segment_align",
    ".group_segment_fixed_size",
    ".private_segment_fixed_size",
    ".wavefront_size",
    ".sgpr_count",
    ".vgpr_count",
    ".max_flat_workgroup_size",
    ".args",
];

#[test]
fn metadata_notes_have_every_required_key() {
    if !llvm::present("metadata_notes_have_every_required_key", &TOOLS) {
        return;
    }
    for (name, graph) in examples() {
        let (object, kernels) = build(&graph);
        let notes = llvm::notes(&object).unwrap_or_else(|e| panic!("{name}: {e}"));
        for key in ["amdhsa.version", "amdhsa.target", "amdhsa.kernels"] {
            assert!(
                notes.contains(key),
                "{name}: the note lacks {key}:\n{notes}"
            );
        }
        assert!(notes.contains("amdgcn-amd-amdhsa--gfx1100"), "{name}");
        for k in &kernels {
            let has = |key: &str, value: &str| {
                notes
                    .lines()
                    .any(|l| normalize(l) == format!("{key} {value}"))
            };
            assert!(
                has(".name:", &k.name) && has(".symbol:", &format!("{}.kd", k.name)),
                "{name}: no metadata for {}",
                k.name
            );
        }
        for key in KERNEL_KEYS {
            let count = notes.matches(&format!("{key}:")).count();
            assert!(
                count >= kernels.len(),
                "{name}: {key} appears {count} times for {} kernels",
                kernels.len()
            );
        }
        for key in [".offset:", ".size:", ".value_kind:"] {
            assert!(notes.contains(key), "{name}: no argument has {key}");
        }
    }
}

fn field(fields: &BTreeMap<String, String>, key: &str) -> u64 {
    fields
        .get(key)
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("descriptor lacks {key}: {fields:?}"))
}

#[test]
fn descriptors_decode_to_what_we_meant() {
    if !llvm::present("descriptors_decode_to_what_we_meant", &TOOLS) {
        return;
    }
    for (name, graph) in examples() {
        let (object, kernels) = build(&graph);
        for k in &kernels {
            let f = llvm::descriptor(&object, &format!("{}.kd", k.name))
                .unwrap_or_else(|e| panic!("{name}: {e}"));
            let code = k.code();
            let r = &code.resources;
            let at = format!("{name}: {}", k.name);
            let granules = u64::from(r.vgpr_count.div_ceil(8).max(1));
            assert_eq!(field(&f, ".amdhsa_next_free_vgpr"), granules * 8, "{at}");
            assert_eq!(field(&f, ".amdhsa_wavefront_size32"), 1, "{at}");
            assert_eq!(
                field(&f, ".amdhsa_user_sgpr_kernarg_segment_ptr"),
                1,
                "{at}"
            );
            assert_eq!(
                field(&f, ".amdhsa_group_segment_fixed_size"),
                u64::from(r.lds_bytes),
                "{at}"
            );
            assert_eq!(
                field(&f, ".amdhsa_kernarg_size"),
                u64::from(r.kernarg_size),
                "{at}"
            );
            assert_eq!(
                field(&f, ".amdhsa_private_segment_fixed_size"),
                u64::from(r.scratch_bytes_per_lane),
                "{at}"
            );
            for (axis, on) in ["x", "y", "z"].iter().zip(r.workgroup_id) {
                let key = format!(".amdhsa_system_sgpr_workgroup_id_{axis}");
                assert_eq!(field(&f, &key), u64::from(on), "{at}: {key}");
            }
            assert_eq!(
                field(&f, ".amdhsa_system_vgpr_workitem_id"),
                u64::from(r.workitem_id_dims.max(1) - 1),
                "{at}"
            );
            assert_eq!(field(&f, ".amdhsa_float_denorm_mode_32"), 3, "{at}");
            assert_eq!(field(&f, ".amdhsa_float_denorm_mode_16_64"), 3, "{at}");
            assert_eq!(
                u64::from(r.lds_bytes),
                u64::from(k.info.lds_bytes),
                "{at}: LDS bytes"
            );
        }
    }
}

#[test]
fn the_code_objects_are_deterministic() {
    for (name, graph) in examples() {
        assert_eq!(build(&graph).0, build(&graph).0, "{name}");
    }
}

#[test]
fn random_graphs_disassemble_with_no_unknown_instruction() {
    if !llvm::present(
        "random_graphs_disassemble_with_no_unknown_instruction",
        &TOOLS,
    ) {
        return;
    }
    let graphs = random_graph::sample(200, 9);
    let mut kernels = 0;
    for (i, graph) in graphs.iter().enumerate() {
        let (object, compiled) = build(graph);
        kernels += compiled.len();
        check_disassembly(&format!("random graph {i}"), &object, &compiled);
    }
    println!("200 random graphs, {kernels} kernels, all disassembled as printed");
}

fn snapshot_text(kernels: &[CompiledKernel]) -> String {
    kernels
        .iter()
        .map(|k| {
            let r = k.code().resources;
            format!(
                "; kernel {}: {} VGPRs, {} SGPRs, {} LDS bytes, {} scratch bytes per lane\n{}",
                k.name,
                r.vgpr_count,
                r.sgpr_count,
                r.lds_bytes,
                r.scratch_bytes_per_lane,
                k.asm(true)
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn every_example_assembly_is_snapshotted() {
    for (name, graph) in examples() {
        let (_, kernels) = build(&graph);
        insta::assert_snapshot!(format!("amd_{name}"), snapshot_text(&kernels));
    }
}

#[test]
fn every_suite_graph_assembly_is_snapshotted() {
    for (name, source) in suite_sources() {
        let graph = egpu_ir::text::parse(&source).unwrap_or_else(|e| panic!("{name}: {e}"));
        let (_, kernels) = build(&graph);
        insta::assert_snapshot!(format!("amd_suite_{name}"), snapshot_text(&kernels));
    }
}

/// OpenCL C for clang-19 with our `add` kernel's name and parameters (three f32 buffers,
/// 4 elements per lane).
fn clang_add(name: &str) -> String {
    format!(
        "kernel void {name}(global const float4* restrict a, global const float4* restrict b,
    global float4* restrict c) {{
  uint i = __builtin_amdgcn_workgroup_id_x() * 32 + __builtin_amdgcn_workitem_id_x();
  c[i] = a[i] + b[i];
}}
"
    )
}

/// Section names from `llvm-readelf-19 -S`, less what only the toolchain adds (`.comment`,
/// lld's `.relro_padding`) or only we add (DWARF).
fn section_names(object: &[u8]) -> Vec<String> {
    let out = llvm::run_on("llvm-readelf-19", &["-S", "-W"], object).expect("readelf -S");
    let mut names: Vec<String> = out
        .lines()
        .filter_map(|l| l.split_once("] ").map(|(_, rest)| rest))
        .filter_map(|rest| rest.split_whitespace().next())
        .filter(|n| n.starts_with('.'))
        .filter(|n| !matches!(*n, ".comment" | ".relro_padding") && !n.starts_with(".debug"))
        .map(str::to_string)
        .collect();
    names.sort();
    names
}

/// `TYPE BIND VISIBILITY NAME` of the kernel symbols in `.dynsym` and `.symtab`.
fn kernel_symbols(object: &[u8], kernel: &str) -> Vec<String> {
    let out =
        llvm::run_on("llvm-readelf-19", &["-s", "--dyn-syms", "-W"], object).expect("readelf -s");
    let mut syms: Vec<String> = out
        .lines()
        .map(|l| l.split_whitespace().collect::<Vec<_>>())
        .filter(|f| f.len() == 8 && (f[7] == kernel || f[7] == format!("{kernel}.kd")))
        .map(|f| format!("{} {} {} {}", f[3], f[4], f[5], f[7]))
        .collect();
    syms.sort();
    syms
}

/// The distinct metadata keys, less those only a source language gives.
fn note_keys(object: &[u8]) -> std::collections::BTreeSet<String> {
    let notes = llvm::notes(object).expect("readelf --notes");
    let language_only = [
        ".language",
        ".language_version",
        ".is_const",
        ".is_restrict",
        ".type_name",
        ".name",
    ];
    notes
        .lines()
        .filter_map(|l| l.trim_start().trim_start_matches("- ").split_once(':'))
        .map(|(k, _)| k.trim().to_string())
        .filter(|k| k.starts_with('.') && !language_only.contains(&k.as_str()))
        .collect()
}

#[test]
fn the_add_object_has_the_shape_of_clangs() {
    let tools = ["llvm-readelf-19", "clang-19", "ld.lld-19"];
    if !llvm::present("the_add_object_has_the_shape_of_clangs", &tools) {
        return;
    }
    let (name, graph) = examples()
        .into_iter()
        .find(|(n, _)| n == "add")
        .expect("the add example");
    let (ours, kernels) = build(&graph);
    assert_eq!(kernels.len(), 1, "{name} is one kernel");
    let kernel = &kernels[0].name;
    let theirs = llvm::clang_object(&clang_add(kernel)).expect("clang-19 builds the OpenCL kernel");
    assert_eq!(section_names(&ours), section_names(&theirs), "sections");
    let syms = kernel_symbols(&ours, kernel);
    assert_eq!(
        syms.len(),
        4,
        "NAME and NAME.kd in .dynsym and .symtab: {syms:?}"
    );
    assert_eq!(syms, kernel_symbols(&theirs, kernel), "symbols");
    assert_eq!(note_keys(&ours), note_keys(&theirs), "metadata keys");
    let read = |o: &[u8]| {
        let mut k = egpu_codegen_amdgpu::object::CodeObject::read(o).expect("readable");
        assert_eq!(k.len(), 1);
        k.remove(0).descriptor
    };
    let (mut a, mut b) = (read(&ours), read(&theirs));
    // Where the code sits and how many VGPRs it needs are the code's business.
    (a.entry_offset, b.entry_offset) = (0, 0);
    (a.vgpr_granules, b.vgpr_granules) = (0, 0);
    assert_eq!(a, b, "descriptor fields");
}

//! The kernel cache's entry format (src/cache/entry.rs): every example compiled for an AMD
//! and an NVIDIA target comes back from its bytes as the same program, and damaged bytes
//! (cut short, a byte changed, a field that lies) are an error, never a panic or a program.

use egpu::cache::entry::{self, EntryError, HEADER_BYTES};
use egpu::cache::{COMPILER_VERSION, CacheKey, KeyInputs};
use egpu::{Jit, Program};
use egpu_ir::interp;
use egpu_ir::text;
use egpu_tests::example_sources;
use egpu_tests::programs::program_difference;
use sha2::{Digest, Sha256};

const KEY: CacheKey = CacheKey([7; 32]);

fn compile(source: &str, target: &str) -> Program {
    let graph = text::parse(source).unwrap();
    let jit = Jit::new(target).unwrap().with_cache(None);
    jit.compile(&graph).unwrap()
}

fn add_program() -> Program {
    let sources = example_sources();
    let (_, add) = sources.iter().find(|(n, _)| n == "add").unwrap();
    compile(add, "gfx1100")
}

/// The entry with its payload changed by `edit` and the header's length and checksum made
/// to match again: what a bug (not a damaged disk) would store.
fn with_payload(bytes: &[u8], edit: impl FnOnce(&mut Vec<u8>)) -> Vec<u8> {
    let mut payload = bytes[HEADER_BYTES..].to_vec();
    edit(&mut payload);
    let mut out = bytes[..48].to_vec();
    out.extend_from_slice(&(payload.len() as u64).to_le_bytes());
    out.extend_from_slice(&Sha256::digest(&payload));
    out.extend_from_slice(&payload);
    out
}

#[test]
fn every_example_round_trips_for_gfx1100_and_sm_90() {
    for (name, source) in example_sources() {
        let graph = text::parse(&source).unwrap();
        let inputs = interp::random_inputs(&graph, 3);
        for target in ["gfx1100", "sm_90"] {
            let program = compile(&source, target);
            let bytes = entry::encode(&KEY, &program);
            let back =
                entry::decode(&KEY, &bytes).unwrap_or_else(|e| panic!("{name} on {target}: {e}"));
            if let Some(diff) = program_difference(&program, &back) {
                panic!("{name} on {target}: {diff}");
            }
            // Encoding is deterministic: the decoded program encodes to the same bytes.
            assert_eq!(entry::encode(&KEY, &back), bytes, "{name} on {target}");
            // And the decoded plan runs to the same values on the kernel-IR interpreter.
            let want = program.plan.run(&inputs).unwrap();
            let got = back.plan.run(&inputs).unwrap();
            assert_eq!(want.len(), got.len());
            for ((wn, w), (gn, g)) in want.iter().zip(&got) {
                assert_eq!(wn, gn);
                assert!(w.same(g), "{name} on {target}: output {wn} differs");
            }
        }
    }
}

#[test]
fn nvidia_code_keeps_its_ptx_and_cubins() {
    let mut program = add_program();
    let ptx = compile(&example_sources()[0].1, "sm_90");
    let egpu::Code::Nvidia { mut kernels } = ptx.code else {
        panic!("sm_90 code is not NVIDIA code");
    };
    // Both shapes of NVIDIA code: a cubin beside the PTX, and PTX alone (driver JIT).
    kernels[0].cubin = Some(vec![0x7f, b'E', b'L', b'F', 0, 1, 2]);
    program.target = ptx.target;
    program.plan = ptx.plan;
    program.code = egpu::Code::Nvidia { kernels };
    let back = entry::decode(&KEY, &entry::encode(&KEY, &program)).unwrap();
    assert_eq!(program_difference(&program, &back), None);
}

#[test]
fn every_truncation_is_an_error() {
    let bytes = entry::encode(&KEY, &add_program());
    for len in (0..bytes.len()).step_by(7).chain([bytes.len() - 1]) {
        let result = entry::decode(&KEY, &bytes[..len]);
        let expected_kind = if len < HEADER_BYTES {
            matches!(result, Err(EntryError::Truncated(n)) if n == len)
        } else {
            matches!(result, Err(EntryError::Length { .. }))
        };
        assert!(expected_kind, "cut to {len} bytes: {result:?}");
    }
}

#[test]
fn a_changed_byte_anywhere_is_an_error() {
    let bytes = entry::encode(&KEY, &add_program());
    let positions = (0..HEADER_BYTES).chain((HEADER_BYTES..bytes.len()).step_by(11));
    for at in positions {
        let mut damaged = bytes.clone();
        damaged[at] ^= 0x10;
        let result = entry::decode(&KEY, &damaged);
        let expected = match at {
            0..8 => matches!(result, Err(EntryError::Magic)),
            8..16 => matches!(result, Err(EntryError::Version { .. })),
            16..48 => matches!(result, Err(EntryError::Key { .. })),
            48..56 => matches!(result, Err(EntryError::Length { .. })),
            _ => matches!(result, Err(EntryError::Checksum)),
        };
        assert!(expected, "byte {at} changed: {result:?}");
    }
}

#[test]
fn an_entry_is_only_loaded_under_its_own_key() {
    let bytes = entry::encode(&KEY, &add_program());
    let other = CacheKey([8; 32]);
    let err = entry::decode(&other, &bytes).unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "entry stored under key {}, expected {}",
            "07".repeat(32),
            "08".repeat(32)
        )
    );
}

#[test]
fn fields_that_lie_under_a_good_checksum_are_errors() {
    let bytes = entry::encode(&KEY, &add_program());
    // The payload starts with the target name: 8-byte length, then "gfx1100".
    let unknown_target = with_payload(&bytes, |p| p[8..15].copy_from_slice(b"gfx9999"));
    assert!(matches!(
        entry::decode(&KEY, &unknown_target),
        Err(EntryError::Field(f)) if f.message.contains("unknown target 'gfx9999'")
    ));
    let trailing = with_payload(&bytes, |p| p.push(0));
    assert!(matches!(
        entry::decode(&KEY, &trailing),
        Err(EntryError::Field(f)) if f.what == "end of payload"
    ));
    let huge_count = with_payload(&bytes, |p| p[..8].copy_from_slice(&u64::MAX.to_le_bytes()));
    assert!(matches!(
        entry::decode(&KEY, &huge_count),
        Err(EntryError::Field(f)) if f.what == "target"
    ));
    // A kernel's text that no longer parses.
    let bad_kernel = with_payload(&bytes, |p| {
        let at = find(p, b"kernel ").expect("a kernel in the payload");
        p[at..at + 7].copy_from_slice(b"kernal ");
    });
    assert!(matches!(
        entry::decode(&KEY, &bad_kernel),
        Err(EntryError::Kernel { index: 0, .. })
    ));
    // Every cut of the payload with the header made to match: an error at some field.
    for len in (0..bytes.len() - HEADER_BYTES).step_by(5) {
        let cut = with_payload(&bytes, |p| p.truncate(len));
        assert!(entry::decode(&KEY, &cut).is_err(), "payload cut to {len}");
    }
}

#[test]
fn changed_payload_bytes_under_a_good_checksum_never_panic() {
    let bytes = entry::encode(&KEY, &add_program());
    let payload_len = bytes.len() - HEADER_BYTES;
    for at in (0..payload_len).step_by(3) {
        for value in [0x00, 0x01, 0x7f, 0xff] {
            let edited = with_payload(&bytes, |p| p[at] = value);
            // An error, or a program that holds together; a panic fails the test.
            if let Ok(program) = entry::decode(&KEY, &edited) {
                let kernels = program.plan.kernels.len();
                assert!(program.plan.launches.iter().all(|l| l.kernel < kernels));
            }
        }
    }
}

#[test]
fn keys_change_with_every_input() {
    let disabled = vec!["fuse".to_string(), "licm".to_string()];
    let base = KeyInputs {
        graph_text: "graph g(x: f32[4]) {\n  return x\n}\n",
        target: "sm_90",
        fast_math: false,
        disabled_passes: &disabled,
        assembler: Some("driver-jit"),
    };
    let key = |inputs: &KeyInputs| CacheKey::new(inputs);
    let reordered = vec!["licm".to_string(), "fuse".to_string(), "fuse".to_string()];
    assert_eq!(
        key(&base),
        key(&KeyInputs {
            disabled_passes: &reordered,
            ..base.clone()
        }),
        "the order and repeats of disabled passes do not matter"
    );
    let variants = [
        KeyInputs {
            graph_text: "graph g(x: f32[5]) {\n  return x\n}\n",
            ..base.clone()
        },
        KeyInputs {
            target: "sm_89",
            ..base.clone()
        },
        KeyInputs {
            fast_math: true,
            ..base.clone()
        },
        KeyInputs {
            disabled_passes: &disabled[..1],
            ..base.clone()
        },
        KeyInputs {
            assembler: Some("ptxas /usr/local/cuda/bin/ptxas V13.0.88"),
            ..base.clone()
        },
        KeyInputs {
            assembler: None,
            ..base.clone()
        },
    ];
    let mut keys: Vec<CacheKey> = variants.iter().map(key).collect();
    keys.push(key(&base));
    keys.push(CacheKey::with_compiler(&base, "0.1.0+another-build"));
    let mut distinct = keys.clone();
    distinct.sort();
    distinct.dedup();
    assert_eq!(distinct.len(), keys.len(), "two inputs share a key");
    assert_eq!(CacheKey::with_compiler(&base, COMPILER_VERSION), key(&base));
}

#[test]
fn the_compiler_version_holds_a_source_hash() {
    let (version, hash) = COMPILER_VERSION.split_once('+').unwrap();
    assert_eq!(version, env!("CARGO_PKG_VERSION"));
    assert_eq!(hash.len(), 64);
    assert!(hash.bytes().all(|c| c.is_ascii_hexdigit()));
}

#[test]
fn key_hex_round_trips_and_rejects_other_text() {
    let key = CacheKey(core::array::from_fn(|i| (i * 37) as u8));
    assert_eq!(CacheKey::from_hex(&key.hex()), Some(key));
    assert_eq!(CacheKey::from_hex(&key.hex().to_uppercase()), None);
    assert_eq!(CacheKey::from_hex(&key.hex()[1..]), None);
    assert_eq!(CacheKey::from_hex(&format!("{}g", &key.hex()[1..])), None);
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

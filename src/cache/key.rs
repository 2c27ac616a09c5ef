//! The cache key: a SHA-256 over everything that decides what `Jit::compile` returns for a
//! graph. Two compiles with equal keys produce identical programs (compilation is
//! deterministic), so a key names an entry on disk and in memory.

use egpu_codegen_ptx::toolchain::Assembler;
use sha2::{Digest, Sha256};
use std::fmt;

/// The compiler's identity: the crate version and a hash of the compiler's sources at
/// build time (see build.rs), so a rebuilt compiler never reads its predecessor's entries.
pub const COMPILER_VERSION: &str =
    concat!(env!("CARGO_PKG_VERSION"), "+", env!("EGPU_COMPILER_HASH"));

/// A 32-byte content hash naming one compiled program.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct CacheKey(pub [u8; 32]);

/// What a key is computed from.
#[derive(Clone, Debug)]
pub struct KeyInputs<'a> {
    /// The graph in canonical `.egir` text (egpu_ir::text::print).
    pub graph_text: &'a str,
    /// The target's name (`gfx1100`, `sm_90`, ...).
    pub target: &'a str,
    /// JitOptions::fast_math.
    pub fast_math: bool,
    /// JitOptions::disabled_passes (order and repeats do not matter).
    pub disabled_passes: &'a [String],
    /// NVIDIA targets: who turns PTX into cubins ([`assembler_identity`]); `None` for AMD.
    pub assembler: Option<&'a str>,
}

impl CacheKey {
    /// The key of `inputs` under this build's [`COMPILER_VERSION`].
    pub fn new(inputs: &KeyInputs) -> CacheKey {
        CacheKey::with_compiler(inputs, COMPILER_VERSION)
    }

    /// The key of `inputs` for the compiler `compiler` (tests use it to see that a new
    /// compiler gives new keys).
    pub fn with_compiler(inputs: &KeyInputs, compiler: &str) -> CacheKey {
        let mut disabled: Vec<&str> = inputs.disabled_passes.iter().map(String::as_str).collect();
        disabled.sort_unstable();
        disabled.dedup();
        let mut hasher = Sha256::new();
        // Every field is tagged and length-prefixed, so no two different inputs can feed
        // the hash the same bytes.
        field(&mut hasher, "compiler", compiler.as_bytes());
        field(&mut hasher, "target", inputs.target.as_bytes());
        field(&mut hasher, "fast-math", &[u8::from(inputs.fast_math)]);
        field(&mut hasher, "disabled", disabled.join("\n").as_bytes());
        match inputs.assembler {
            Some(assembler) => field(&mut hasher, "assembler", assembler.as_bytes()),
            None => field(&mut hasher, "no-assembler", &[]),
        }
        field(&mut hasher, "graph", inputs.graph_text.as_bytes());
        CacheKey(hasher.finalize().into())
    }

    /// The key as 64 lowercase hex digits (an entry's file name).
    pub fn hex(&self) -> String {
        self.0.iter().map(|b| format!("{b:02x}")).collect()
    }

    /// The key written by [`CacheKey::hex`], or `None` for any other text.
    pub fn from_hex(text: &str) -> Option<CacheKey> {
        let digits = text.as_bytes();
        if digits.len() != 64 {
            return None;
        }
        let mut key = [0u8; 32];
        for (byte, pair) in key.iter_mut().zip(digits.chunks_exact(2)) {
            *byte = hex_digit(pair[0])? << 4 | hex_digit(pair[1])?;
        }
        Some(CacheKey(key))
    }
}

impl fmt::Debug for CacheKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CacheKey({})", self.hex())
    }
}

/// Lowercase hex only, so every key has exactly one file name.
fn hex_digit(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        _ => None,
    }
}

fn field(hasher: &mut Sha256, tag: &str, bytes: &[u8]) {
    hasher.update((tag.len() as u64).to_le_bytes());
    hasher.update(tag.as_bytes());
    hasher.update((bytes.len() as u64).to_le_bytes());
    hasher.update(bytes);
}

/// Who assembles PTX, as it goes into the key: cubins from two ptxas versions differ, and
/// the driver-JIT route keeps no cubin at all. A local ptxas is named by its path and the
/// version it reports; a container by its image (the engine running it does not matter).
pub fn assembler_identity(assembler: &Assembler) -> String {
    match assembler {
        Assembler::Local { path, version, .. } => {
            let version = version
                .as_ref()
                .map_or_else(|| "unknown".to_string(), |v| v.build.clone());
            format!("ptxas {} {version}", path.display())
        }
        Assembler::Container { image, .. } => format!("container {image}"),
        Assembler::DriverJit { .. } => "driver-jit".to_string(),
    }
}

/// The key of compiling `graph` with `options`; `assembler` is the NVIDIA toolchain's
/// (`None` for AMD targets).
pub fn program_key(
    graph: &egpu_ir::Graph,
    options: &egpu_passes::pipeline::PipelineOptions,
    assembler: Option<&Assembler>,
) -> CacheKey {
    let assembler = assembler.map(assembler_identity);
    CacheKey::new(&KeyInputs {
        graph_text: &egpu_ir::text::print(graph),
        target: options.target.name,
        fast_math: options.simplify.fast_math,
        disabled_passes: &options.disabled,
        assembler: assembler.as_deref(),
    })
}

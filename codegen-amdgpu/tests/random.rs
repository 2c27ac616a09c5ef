//! The decoder over random machine words: whatever decodes re-encodes to the same
//! bytes and prints text that parses back to it, and LLVM's disassembler prints the
//! same text for a large sample of them (when llvm-mc-19 is present).

mod common;

use egpu_codegen_amdgpu::isa::{Fmt, Op, decode, encode, parse, print};
use proptest::prelude::*;
use std::collections::BTreeMap;

/// Small deterministic generator (xorshift64*), so failures reproduce.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u32 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        (self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 32) as u32
    }

    /// Random bits, half the time thinned out so reserved and unused fields are
    /// often zero (fully random words rarely are).
    fn bits(&mut self) -> u32 {
        let r = self.next();
        if self.next().is_multiple_of(2) {
            r & self.next() & self.next()
        } else {
            r
        }
    }
}

/// A first dword carrying `op`'s format and opcode with random other fields; the bit
/// layouts are those of reference/rdna3.md, written out here apart from the encoder.
fn seeded_word(op: Op, e64: bool, r: u32) -> u32 {
    let info = op.info();
    let c = u32::from(info.code);
    if e64 {
        let code3 = c + match info.fmt {
            Fmt::Vop1 => 0x180,
            Fmt::Vop2 => 0x100,
            _ => 0,
        };
        return (0x35 << 26) | (code3 << 16) | (r & 0xffff);
    }
    match info.fmt {
        Fmt::Sop2 => (0b10 << 30) | (c << 23) | (r & 0x7f_ffff),
        Fmt::Sopk => (0xB << 28) | (c << 23) | (r & 0x7f_ffff),
        Fmt::Sop1 => (0x17D << 23) | (r & 0x7f_0000) | (c << 8) | (r & 0xff),
        Fmt::Sopc => (0x17E << 23) | (c << 16) | (r & 0xffff),
        Fmt::Sopp => (0x17F << 23) | (c << 16) | (r & 0xffff),
        Fmt::Smem => (0x3D << 26) | (c << 18) | (r & 0x3_ffff),
        Fmt::Vop1 => (0x3F << 25) | (r & (0xff << 17)) | (c << 9) | (r & 0x1ff),
        Fmt::Vop2 => (c << 25) | (r & 0x1ff_ffff),
        Fmt::Vopc => (0x3E << 25) | (c << 17) | (r & 0x1_ffff),
        Fmt::Vop3 => (0x35 << 26) | (c << 16) | (r & 0xffff),
        Fmt::Vop3p => (0xCC << 24) | (c << 16) | (r & 0xffff),
        Fmt::Flat => (0x37 << 26) | (c << 18) | (r & 0xffff),
        Fmt::Scratch => (0x37 << 26) | (c << 18) | (1 << 16) | (r & 0xffff),
        Fmt::Global => (0x37 << 26) | (c << 18) | (2 << 16) | (r & 0xffff),
        Fmt::Ds => (0x36 << 26) | (c << 18) | (r & 0x3_ffff),
        Fmt::Mubuf => (0x38 << 26) | (c << 18) | (r & 0x3_ffff),
        // VOPD: opcodes from 16 up exist only in the OPY field [21:17]; the others go
        // in OPX [25:22] with a random OPY.
        Fmt::Vopd if c >= 16 => (0x32 << 26) | (r & (0xf << 22)) | (c << 17) | (r & 0x1_ffff),
        Fmt::Vopd => (0x32 << 26) | (c << 22) | (r & 0x3f_ffff),
    }
}

/// Random instruction bytes aimed at the table's opcodes.
fn seeded_sample(rng: &mut Rng) -> Vec<u8> {
    let ops: Vec<Op> = Op::all().collect();
    let op = ops[rng.next() as usize % ops.len()];
    let promotable = matches!(op.info().fmt, Fmt::Vop1 | Fmt::Vop2 | Fmt::Vopc);
    let e64 = promotable && rng.next().is_multiple_of(2);
    let w0 = seeded_word(op, e64, rng.bits());
    let mut w1 = rng.bits();
    if matches!(op.info().fmt, Fmt::Flat | Fmt::Scratch | Fmt::Global)
        && rng.next().is_multiple_of(2)
    {
        // saddr = null (0x7c): the only value FLAT takes, `off` for GLOBAL.
        w1 = (w1 & !(0x7f << 16)) | (0x7c << 16);
    }
    [w0, w1, rng.next()]
        .iter()
        .flat_map(|w| w.to_le_bytes())
        .collect()
}

/// The properties every decodable byte string must have.
fn check_roundtrip(bytes: &[u8]) -> Result<bool, String> {
    let Ok((inst, len)) = decode(bytes) else {
        return Ok(false);
    };
    let again = encode(&inst)
        .map_err(|e| format!("{bytes:02x?}: decoded {inst:?} but encode fails: {e}"))?;
    if again != bytes[..len] {
        return Err(format!(
            "{:02x?} decodes to {inst:?}, which encodes to {again:02x?}",
            &bytes[..len]
        ));
    }
    let text = print(&inst);
    match parse(&text) {
        Ok(p) if p == inst => Ok(true),
        Ok(p) => Err(format!("`{text}` parses to {p:?}, decoded {inst:?}")),
        Err(e) => Err(format!("`{text}` (from {inst:?}) does not parse: {e}")),
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(4000))]

    #[test]
    fn random_bytes_roundtrip(bytes in proptest::collection::vec(any::<u8>(), 12)) {
        check_roundtrip(&bytes).map_err(TestCaseError::fail)?;
    }

    #[test]
    fn seeded_words_roundtrip(seed in any::<u64>()) {
        let mut rng = Rng(seed | 1);
        check_roundtrip(&seeded_sample(&mut rng)).map_err(TestCaseError::fail)?;
    }
}

/// Seeded words decode often enough for the properties above to mean something, and
/// every format is represented.
#[test]
fn seeded_words_decode_in_every_format() {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let mut per_fmt: BTreeMap<String, usize> = BTreeMap::new();
    let mut decoded = 0;
    let n = 20_000;
    for _ in 0..n {
        let bytes = seeded_sample(&mut rng);
        if let Ok((inst, _)) = decode(&bytes) {
            decoded += 1;
            *per_fmt
                .entry(format!("{:?}", inst.op().info().fmt))
                .or_default() += 1;
        }
    }
    assert!(
        decoded * 10 >= n,
        "only {decoded} of {n} seeded words decode"
    );
    assert_eq!(per_fmt.len(), 16, "formats decoded: {per_fmt:?}");
}

#[test]
fn llvm_disassembler_agrees_on_random_words() {
    let Some(mc) = common::llvm_mc("llvm_disassembler_agrees_on_random_words") else {
        return;
    };
    let mut rng = Rng(0x0123_4567_89AB_CDEF);
    let mut ours: BTreeMap<Vec<u8>, String> = BTreeMap::new();
    while ours.len() < 20_000 {
        let bytes = seeded_sample(&mut rng);
        if let Ok((inst, len)) = decode(&bytes) {
            ours.insert(bytes[..len].to_vec(), print(&inst));
        }
    }
    let input: String = ours
        .keys()
        .map(|b| {
            let parts: Vec<String> = b.iter().map(|x| format!("{x:#04x}")).collect();
            parts.join(",") + "\n"
        })
        .collect();
    let args = [
        "-disassemble",
        "-show-encoding",
        common::TRIPLE,
        common::MCPU,
    ];
    let out = common::run_mc(&mc, &args, &input).expect("llvm-mc -disassemble");
    let mut llvm: BTreeMap<Vec<u8>, String> = BTreeMap::new();
    for line in out.lines() {
        if let Some((text, enc)) = line.split_once("; encoding:")
            && let Some(b) = common::parse_bytes(enc)
        {
            llvm.insert(b, common::normalize(text));
        }
    }
    let mut bad = Vec::new();
    for (bytes, text) in &ours {
        match llvm.get(bytes) {
            Some(t) if *t == common::normalize(text) => {}
            Some(t) => bad.push(format!("{bytes:02x?}: ours `{text}`, llvm `{t}`")),
            None => bad.push(format!("{bytes:02x?}: ours `{text}`, llvm rejects it")),
        }
    }
    assert!(
        bad.is_empty(),
        "{} of {} disagree:\n{}",
        bad.len(),
        ours.len(),
        bad.join("\n")
    );
}

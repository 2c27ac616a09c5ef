//! Tensor-core lowerings: `matrix_tile` and the fragment statements (docs/kir.md "Matrix
//! fragments", "Synchronization") as `ldmatrix` + two `mma.sync.aligned.m16n8k16`.
//!
//! Tiles are 16×16, row-major in shared memory: element (r, c) at `addr + r·stride + c·size`.
//! `F += A·B` with A (m × k) and B (k × n) f16 or bf16 and F f32. One m16n8k16 covers output
//! columns 0–7 (`FragmentRegs[0..4]`), a second one columns 8–15 (`[4..8]`).
//!
//! Every lane-dependent address is described by [`LaneField`] tables, which the emitter turns
//! into PTX integer arithmetic on `%laneid`; the tests run that arithmetic per lane and feed
//! the addresses to a model of `ldmatrix` and `mma` written from the PTX ISA's layouts.

use egpu_ir::DType;

use super::sink::{FragmentRegs, PtxSink, RegClass, SharedTile};

/// One lane-dependent term of a byte offset into a tile:
/// `((laneid >> shift) & mask) · (rows · stride_bytes + bytes)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct LaneField {
    pub shift: u32,
    pub mask: u32,
    pub rows: u32,
    pub bytes: u32,
}

/// The row address each lane hands `ldmatrix.m8n8.x4` for a 16×16 tile of 16-bit elements.
///
/// PTX ISA "ldmatrix": "Each address corresponds to the start of a matrix row. Addresses
/// addr0–addr7 correspond to the rows of the first matrix, addresses addr8–addr15 correspond
/// to the rows of the second matrix, and so on" (.x4: threads 0–7, 8–15, 16–23, 24–31), and
/// "each component of the vector expression holds a fragment from the corresponding matrix".
/// So lane l addresses row l % 8 of matrix l / 8, and we place the four 8×8 matrices as
///   matrix 0: rows 0–7,  cols 0–7     matrix 1: rows 8–15, cols 0–7
///   matrix 2: rows 0–7,  cols 8–15    matrix 3: rows 8–15, cols 8–15
/// which is the order of the mma operands: A's a0a1 | a2a3 | a4a5 | a6a7 ("Matrix Fragments
/// for mma.m16n8k16 with floating point type": row = groupID for i < 2 || 4 ≤ i < 6, else
/// groupID + 8; col = threadID_in_group·2 + (i & 1), + 8 for i ≥ 4), and for B (loaded with
/// .trans) b0b1 | b2b3 of the n = 0–7 mma then of the n = 8–15 mma (row = k =
/// threadID_in_group·2 + (i & 1), + 8 for i ≥ 2; col = n = groupID).
#[rustfmt::skip]
pub(crate) const LDMATRIX_X4_ROWS: [LaneField; 3] = [
    // row within the 8×8 matrix: l % 8
    LaneField { shift: 0, mask: 7, rows: 1, bytes: 0 },
    // matrices 1 and 3 hold rows 8–15
    LaneField { shift: 3, mask: 1, rows: 8, bytes: 0 },
    // matrices 2 and 3 hold columns 8–15: 8 elements of 2 bytes
    LaneField { shift: 4, mask: 1, rows: 0, bytes: 16 },
];

/// Where a lane's accumulator pair c0, c1 of the first mma lies in an f32 tile. PTX ISA
/// "Matrix Fragments for mma.m16n8k16 with floating point type", C/D: groupID = %laneid >> 2,
/// threadID_in_group = %laneid % 4; row = groupID for ci where i < 2, groupID + 8 for i ≥ 2;
/// col = threadID_in_group·2 + (i & 0x1). Columns are 4-byte f32.
#[rustfmt::skip]
pub(crate) const ACCUMULATOR_PAIR: [LaneField; 2] = [
    LaneField { shift: 2, mask: 7, rows: 1, bytes: 0 },
    LaneField { shift: 0, mask: 3, rows: 0, bytes: 8 },
];

/// The constant byte offsets, from a lane's [`ACCUMULATOR_PAIR`] address, of the four
/// adjacent pairs of its 8 fragment registers: `(first register, rows, bytes)`. Registers
/// 0–3 are the first mma's c0..c3 (columns 0–7), 4–7 the second's (columns 8–15, +32 bytes);
/// c2, c3 are 8 rows below c0, c1; c(2j+1) is the column after c(2j).
pub(crate) const ACCUMULATOR_PAIRS: [(usize, u32, u32); 4] =
    [(0, 0, 0), (2, 8, 0), (4, 0, 32), (6, 8, 32)];

/// The fragment becomes all +0.0.
pub(crate) fn fragment_zero(s: &mut dyn PtxSink, f: &FragmentRegs) {
    // kir.md: fragment statements order the subgroup's shared accesses like matrix_tile.
    s.instr("bar.warp.sync -1");
    for reg in &f.0 {
        s.instr(&format!("mov.f32 {reg}, 0f00000000"));
    }
    s.instr("bar.warp.sync -1");
}

/// `F += A·B` for 16×16 tiles A and B of `input` (f16 or bf16) in shared memory.
pub(crate) fn fragment_mma(
    s: &mut dyn PtxSink,
    f: &FragmentRegs,
    a: &SharedTile,
    b: &SharedTile,
    input: DType,
) {
    s.instr("bar.warp.sync -1");
    let lane = laneid(s);
    mma(s, &lane, f, a, b, input);
    s.instr("bar.warp.sync -1");
}

/// Stores the fragment into the 16×16 f32 tile `d`.
pub(crate) fn fragment_store(s: &mut dyn PtxSink, f: &FragmentRegs, d: &SharedTile) {
    s.instr("bar.warp.sync -1");
    let lane = laneid(s);
    accumulator_access(s, &lane, f, d, Access::Store);
    s.instr("bar.warp.sync -1");
}

/// `D += A·B` with D a 16×16 f32 tile in shared memory: load D into a fragment, mma, store.
pub(crate) fn matrix_tile(
    s: &mut dyn PtxSink,
    a: &SharedTile,
    b: &SharedTile,
    d: &SharedTile,
    input: DType,
) {
    // bar.warp.sync orders memory among the lanes it synchronizes (PTX ISA "bar.warp.sync");
    // ldmatrix and mma's `.sync` only make lanes wait for each other.
    s.instr("bar.warp.sync -1");
    let lane = laneid(s);
    let f = FragmentRegs([(); 8].map(|()| s.temp(RegClass::F32)));
    accumulator_access(s, &lane, &f, d, Access::Load);
    mma(s, &lane, &f, a, b, input);
    accumulator_access(s, &lane, &f, d, Access::Store);
    s.instr("bar.warp.sync -1");
}

/// A register holding `%laneid`.
fn laneid(s: &mut dyn PtxSink) -> String {
    let lane = s.temp(RegClass::B32);
    s.instr(&format!("mov.u32 {lane}, %laneid"));
    lane
}

/// A register holding `tile.addr` plus the lane's offset described by `fields`.
fn lane_address(
    s: &mut dyn PtxSink,
    lane: &str,
    tile: &SharedTile,
    fields: &[LaneField],
) -> String {
    let addr = s.temp(RegClass::B32);
    s.instr(&format!("mov.u32 {addr}, {}", tile.addr));
    for field in fields {
        // u64: an absurd stride gives an immediate ptxas rejects, never a wrapped address.
        let scale = u64::from(field.rows) * u64::from(tile.stride_bytes) + u64::from(field.bytes);
        let t = s.temp(RegClass::B32);
        if field.shift == 0 {
            s.instr(&format!("and.b32 {t}, {lane}, {}", field.mask));
        } else {
            s.instr(&format!("shr.u32 {t}, {lane}, {}", field.shift));
            s.instr(&format!("and.b32 {t}, {t}, {}", field.mask));
        }
        s.instr(&format!("mad.lo.u32 {addr}, {t}, {scale}, {addr}"));
    }
    addr
}

/// The PTX type of the mma multiplicands. kir.md allows only f16 and bf16 (the verifier
/// checks); any other dtype is written by name so that ptxas rejects the instruction rather
/// than computing with a reinterpretation.
fn mma_input_type(input: DType) -> &'static str {
    match input {
        DType::F16 => "f16",
        DType::BF16 => "bf16",
        other => other.name(),
    }
}

/// ldmatrix A and B, then the two m16n8k16 (output columns 0–7, 8–15) accumulating into `f`.
fn mma(
    s: &mut dyn PtxSink,
    lane: &str,
    f: &FragmentRegs,
    a: &SharedTile,
    b: &SharedTile,
    input: DType,
) {
    let a_addr = lane_address(s, lane, a, &LDMATRIX_X4_ROWS);
    let b_addr = lane_address(s, lane, b, &LDMATRIX_X4_ROWS);
    let ar = [(); 4].map(|()| s.temp(RegClass::B32));
    let br = [(); 4].map(|()| s.temp(RegClass::B32));
    // A is row-major m × k, which is mma's `.row` A operand as stored.
    s.instr(&format!(
        "ldmatrix.sync.aligned.m8n8.x4.shared.b16 {{{}}}, [{a_addr}]",
        ar.join(", ")
    ));
    // B is row-major k × n but mma's `.col` B operand wants each lane's pair of k values for
    // one n: ".trans indicates that the matrix is loaded in column-major format".
    s.instr(&format!(
        "ldmatrix.sync.aligned.m8n8.x4.trans.shared.b16 {{{}}}, [{b_addr}]",
        br.join(", ")
    ));
    let ty = mma_input_type(input);
    for half in 0..2 {
        let acc = f.0[4 * half..4 * half + 4].join(", ");
        s.instr(&format!(
            "mma.sync.aligned.m16n8k16.row.col.f32.{ty}.{ty}.f32 {{{acc}}}, {{{}}}, {{{}, {}}}, {{{acc}}}",
            ar.join(", "),
            br[2 * half],
            br[2 * half + 1],
        ));
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Access {
    Load,
    Store,
}

/// Loads or stores the lane's 8 fragment values of the f32 tile `d`, two adjacent columns
/// per `.v2` access (8-byte aligned: the tile is 16-byte aligned, its stride a multiple of
/// 16 and each pair starts at an even column).
fn accumulator_access(
    s: &mut dyn PtxSink,
    lane: &str,
    f: &FragmentRegs,
    d: &SharedTile,
    access: Access,
) {
    let base = lane_address(s, lane, d, &ACCUMULATOR_PAIR);
    for (first, rows, bytes) in ACCUMULATOR_PAIRS {
        let offset = u64::from(rows) * u64::from(d.stride_bytes) + u64::from(bytes);
        let pair = format!("{{{}, {}}}", f.0[first], f.0[first + 1]);
        match access {
            Access::Load => s.instr(&format!("ld.shared.v2.f32 {pair}, [{base}+{offset}]")),
            Access::Store => s.instr(&format!("st.shared.v2.f32 [{base}+{offset}], {pair}")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::emit::coop_test::{ptxas, rng::Rng, sink::RecordingSink, warp::Warp};

    const SMEM: usize = 4096;

    /// Where a test's tiles lie: (byte offset, stride in bytes). Strides exceed the 16
    /// elements of a row (padding), and the tiles do not overlap.
    const A: (u32, u32) = (0, 48);
    const B: (u32, u32) = (768, 32);
    const D: (u32, u32) = (1280, 80);
    const A2: (u32, u32) = (2560, 64);
    const B2: (u32, u32) = (3584, 32);

    /// A register holding the shared address of a tile at `at`.
    fn tile(s: &mut RecordingSink, at: (u32, u32)) -> SharedTile {
        let addr = s.temp(RegClass::B32);
        s.instr(&format!("mov.u32 {addr}, smem"));
        s.instr(&format!("add.u32 {addr}, {addr}, {}", at.0));
        SharedTile {
            addr,
            stride_bytes: at.1,
        }
    }

    /// Random 16-bit multiplicands with magnitudes in [1/4, 8) and f32 addends in [1/4, 4),
    /// so every sum below is exact in f64 (all terms are multiples of 2^-25 below 2^11).
    fn half_bits(rng: &mut Rng, input: DType) -> u16 {
        let (sign, r) = ((rng.below(2) as u16) << 15, rng.next_u64());
        match input {
            DType::F16 => sign | ((13 + (r % 5) as u16) << 10) | ((r >> 8) as u16 & 0x3ff),
            _ => sign | ((125 + (r % 5) as u16) << 7) | ((r >> 8) as u16 & 0x7f),
        }
    }

    fn f32_bits(rng: &mut Rng) -> u32 {
        let r = rng.next_u64();
        ((rng.below(2) as u32) << 31)
            | ((125 + (r % 4) as u32) << 23)
            | ((r >> 8) as u32 & 0x7f_ffff)
    }

    /// Shared memory poisoned with NaN (0x7fc0 as f16, 0x7fc07fc0 as f32) so that reading
    /// padding or another tile shows, with the 16×16 tiles filled.
    fn memory(
        rng: &mut Rng,
        input: DType,
        halves: &[(u32, u32)],
        d: Option<(u32, u32)>,
    ) -> Vec<u8> {
        let mut mem: Vec<u8> = [0xc0, 0x7f].repeat(SMEM / 2);
        for &(offset, stride) in halves {
            for (r, c) in (0..16).flat_map(|r| (0..16).map(move |c| (r, c))) {
                let at = (offset + r * stride + 2 * c) as usize;
                mem[at..at + 2].copy_from_slice(&half_bits(rng, input).to_le_bytes());
            }
        }
        if let Some((offset, stride)) = d {
            for (r, c) in (0..16).flat_map(|r| (0..16).map(move |c| (r, c))) {
                let at = (offset + r * stride + 4 * c) as usize;
                mem[at..at + 4].copy_from_slice(&f32_bits(rng).to_le_bytes());
            }
        }
        mem
    }

    /// Element (r, c) of the tile at `at` read straight from memory (the oracle's view).
    fn element(mem: &[u8], at: (u32, u32), r: u32, c: u32, input: DType) -> f64 {
        match input {
            DType::F32 => {
                let i = (at.0 + r * at.1 + 4 * c) as usize;
                f64::from(f32::from_le_bytes(
                    mem[i..i + 4].try_into().expect("4 bytes"),
                ))
            }
            _ => {
                let i = (at.0 + r * at.1 + 2 * c) as usize;
                let bits = u16::from_le_bytes([mem[i], mem[i + 1]]);
                match input {
                    DType::F16 => crate::emit::coop_test::isa::f16_value(bits),
                    _ => crate::emit::coop_test::isa::bf16_value(bits),
                }
            }
        }
    }

    /// kir.md: round_f32(D[i][j] + Σₖ A[i][k]·B[k][j]) with the sum exact, as a plain loop.
    fn matmul(
        mem: &[u8],
        c: &[[f64; 16]; 16],
        a: (u32, u32),
        b: (u32, u32),
        input: DType,
    ) -> [[f64; 16]; 16] {
        let mut out = [[0.0; 16]; 16];
        for i in 0..16 {
            for j in 0..16 {
                let sum: f64 = (0..16)
                    .map(|k| element(mem, a, i, k, input) * element(mem, b, k, j, input))
                    .sum();
                out[i as usize][j as usize] = f64::from((c[i as usize][j as usize] + sum) as f32);
            }
        }
        out
    }

    fn tile_f32(mem: &[u8], at: (u32, u32)) -> [[f64; 16]; 16] {
        let mut out = [[0.0; 16]; 16];
        for (i, row) in out.iter_mut().enumerate() {
            for (j, v) in row.iter_mut().enumerate() {
                *v = element(mem, at, i as u32, j as u32, DType::F32);
            }
        }
        out
    }

    /// Runs `lines` on a simulated warp over `mem`; the shared memory afterwards.
    fn simulate(lines: &[String], mem: &[u8]) -> Vec<u8> {
        let mut warp = Warp::new(SMEM);
        warp.shared.copy_from_slice(mem);
        warp.run(lines);
        warp.shared
    }

    /// Every byte outside the f32 tile at `d` is as before.
    fn assert_only_d_changed(before: &[u8], after: &[u8], d: (u32, u32)) {
        let inside = |i: usize| {
            let rel = i as i64 - i64::from(d.0);
            rel >= 0 && rel / i64::from(d.1) < 16 && rel % i64::from(d.1) < 64
        };
        let changed: Vec<usize> = (0..SMEM)
            .filter(|&i| !inside(i) && before[i] != after[i])
            .collect();
        assert!(changed.is_empty(), "bytes outside D written: {changed:?}");
    }

    fn matrix_tile_lines(input: DType) -> RecordingSink {
        let mut s = RecordingSink::default();
        let (a, b, d) = (tile(&mut s, A), tile(&mut s, B), tile(&mut s, D));
        matrix_tile(&mut s, &a, &b, &d, input);
        s
    }

    fn check_matrix_tile(input: DType, seed: u64) {
        let mem = memory(&mut Rng::new(seed), input, &[A, B], Some(D));
        let after = simulate(&matrix_tile_lines(input).lines, &mem);
        let want = matmul(&mem, &tile_f32(&mem, D), A, B, input);
        assert_eq!(tile_f32(&after, D), want, "{input}");
        assert_only_d_changed(&mem, &after, D);
    }

    #[test]
    fn matrix_tile_f16_computes_d_plus_a_times_b() {
        for seed in 1..4 {
            check_matrix_tile(DType::F16, seed);
        }
    }

    #[test]
    fn matrix_tile_bf16_computes_d_plus_a_times_b() {
        for seed in 1..4 {
            check_matrix_tile(DType::BF16, seed);
        }
    }

    /// The check above can fail: loading B without `.trans` (as if B were column-major)
    /// gives other numbers.
    #[test]
    fn a_wrong_b_layout_is_caught() {
        let mem = memory(&mut Rng::new(7), DType::F16, &[A, B], Some(D));
        let lines: Vec<String> = (matrix_tile_lines(DType::F16).lines.iter())
            .map(|l| l.replace(".x4.trans.", ".x4."))
            .collect();
        let after = simulate(&lines, &mem);
        assert_ne!(
            tile_f32(&after, D),
            matmul(&mem, &tile_f32(&mem, D), A, B, DType::F16)
        );
    }

    fn fragment_lines() -> RecordingSink {
        let mut s = RecordingSink::default();
        let (a, b, a2, b2, d) = (
            tile(&mut s, A),
            tile(&mut s, B),
            tile(&mut s, A2),
            tile(&mut s, B2),
            tile(&mut s, D),
        );
        let f = FragmentRegs([(); 8].map(|()| s.temp(RegClass::F32)));
        fragment_zero(&mut s, &f);
        fragment_mma(&mut s, &f, &a, &b, DType::F16);
        fragment_mma(&mut s, &f, &a2, &b2, DType::F16);
        fragment_store(&mut s, &f, &d);
        s
    }

    /// zero; F += A·B; F += A2·B2; store — each mma rounding once (kir.md).
    #[test]
    fn fragments_accumulate_and_store() {
        let mem = memory(&mut Rng::new(11), DType::F16, &[A, B, A2, B2], None);
        let after = simulate(&fragment_lines().lines, &mem);
        let first = matmul(&mem, &[[0.0; 16]; 16], A, B, DType::F16);
        let want = matmul(&mem, &first, A2, B2, DType::F16);
        assert_eq!(tile_f32(&after, D), want);
        assert_only_d_changed(&mem, &after, D);
    }

    /// A multiplicand dtype kir.md does not allow (the verifier refuses it) yields PTX that
    /// ptxas rejects at the mma, never a silent reinterpretation.
    #[test]
    fn other_input_dtypes_do_not_assemble() {
        for input in [DType::F32, DType::I8] {
            let ptx = matrix_tile_lines(input).kernel(80, SMEM as u32);
            let Some(said) = ptxas::errors(&ptx, 80) else {
                return;
            };
            assert!(said.contains("error"), "{input}: ptxas said {said:?}");
        }
    }

    /// ptxas accepts the lowering silently for sm_80 and sm_90 and makes tensor-core code:
    /// per mma one LDSM of A, one transposing LDSM of B and two HMMA of the input type.
    #[test]
    fn ptxas_assembles_matrix_ops() {
        let cases = [
            ("HMMA.16816.F32", matrix_tile_lines(DType::F16), 1),
            ("HMMA.16816.F32.BF16", matrix_tile_lines(DType::BF16), 1),
            ("HMMA.16816.F32", fragment_lines(), 2),
        ];
        for (hmma, sink, mmas) in cases {
            for sm in [80, 90] {
                let Some(sass) = ptxas::sass(&sink.kernel(sm, SMEM as u32), sm) else {
                    return;
                };
                let counts =
                    [hmma, "LDSM.16.M88.4", "LDSM.16.MT88.4"].map(|op| ptxas::count(&sass, op));
                assert_eq!(counts, [2 * mmas, mmas, mmas], "{hmma} sm_{sm}\n{sass}");
            }
        }
    }
}

//! Subgroup (warp) reductions: `subgroup_sum x` and friends as an xor butterfly of
//! `shfl.sync.bfly.b32`.
//!
//! docs/kir.md "Synchronization" fixes the combination order: a pairwise tree, lanes (0,1),
//! (2,3), … first, then pairs of those results. A butterfly with offsets 1, 2, 4, 8, 16 in
//! that order computes exactly that tree on every lane: after the step with offset `o`, lane
//! `i` holds the combination of the aligned block of `2·o` lanes containing `i`, and since the
//! ops are commutative both halves of a block produce the same bits. Each step combines
//! through [`PtxSink::binary`], so it rounds (or wraps) exactly like the kernel's own op.

use egpu_ir::{BinaryOp, DType, ReduceOp};

use super::sink::{PtxSink, RegClass, reg_class};

/// The xor offsets of the butterfly, in the order kir.md's pairwise tree needs.
pub(crate) const BUTTERFLY_OFFSETS: [u32; 5] = [1, 2, 4, 8, 16];

/// `shfl.sync` operands after the lane offset: `c` = 31 (the clamp; the whole warp is one
/// segment for bfly) and the full membermask, every lane of the warp takes part.
const SHFL_TAIL: &str = "31, -1";

/// The binary op that combines two partial results of `op`.
fn combine_op(op: ReduceOp) -> BinaryOp {
    match op {
        ReduceOp::Sum => BinaryOp::Add,
        ReduceOp::Prod => BinaryOp::Mul,
        ReduceOp::Max => BinaryOp::Max,
        ReduceOp::Min => BinaryOp::Min,
    }
}

/// dst = `op` over `x` of the 32 lanes of the warp (see the module comment for the order).
/// Every lane of the warp must execute it.
pub(crate) fn subgroup_reduce(s: &mut dyn PtxSink, op: ReduceOp, dtype: DType, dst: &str, x: &str) {
    let class = reg_class(dtype);
    let binary = combine_op(op);
    // kir.md: the op orders the subgroup's shared-memory accesses before it against those
    // after it; shfl.sync alone synchronizes lanes but promises no memory ordering.
    s.instr("bar.warp.sync -1");
    let mut acc = x.to_string();
    for (step, offset) in BUTTERFLY_OFFSETS.iter().enumerate() {
        let other = shuffle_xor(s, class, &acc, *offset);
        // Each step writes a fresh register (the last one `dst`), so `binary` never sees its
        // destination among its operands, whatever instructions the sink expands it into.
        let out = if step + 1 == BUTTERFLY_OFFSETS.len() {
            dst.to_string()
        } else {
            s.temp(class)
        };
        s.binary(binary, dtype, &out, &acc, &other);
        acc = out;
    }
    s.instr("bar.warp.sync -1");
}

/// A fresh register of `class` holding the value of `value` on lane `laneid ^ offset`.
/// `shfl.sync.bfly` moves 32 bits, so other classes go through `.b32` registers.
fn shuffle_xor(s: &mut dyn PtxSink, class: RegClass, value: &str, offset: u32) -> String {
    let out = s.temp(class);
    match class {
        RegClass::B32 => shfl(s, &out, value, offset),
        RegClass::F32 => {
            let (a, b) = (s.temp(RegClass::B32), s.temp(RegClass::B32));
            s.instr(&format!("mov.b32 {a}, {value}"));
            shfl(s, &b, &a, offset);
            s.instr(&format!("mov.b32 {out}, {b}"));
        }
        RegClass::B16 => {
            // Zero-extend into 32 bits and truncate back: the upper half carries nothing.
            let (a, b) = (s.temp(RegClass::B32), s.temp(RegClass::B32));
            s.instr(&format!("cvt.u32.u16 {a}, {value}"));
            shfl(s, &b, &a, offset);
            s.instr(&format!("cvt.u16.u32 {out}, {b}"));
        }
        RegClass::B64 | RegClass::F64 => {
            let [lo, hi, lo2, hi2] = [(); 4].map(|()| s.temp(RegClass::B32));
            s.instr(&format!("mov.b64 {{{lo}, {hi}}}, {value}"));
            shfl(s, &lo2, &lo, offset);
            shfl(s, &hi2, &hi, offset);
            s.instr(&format!("mov.b64 {out}, {{{lo2}, {hi2}}}"));
        }
        RegClass::Pred => {
            // kir.md reduces numeric types only; a predicate still gets a correct shuffle.
            let (a, b) = (s.temp(RegClass::B32), s.temp(RegClass::B32));
            s.instr(&format!("selp.u32 {a}, 1, 0, {value}"));
            shfl(s, &b, &a, offset);
            s.instr(&format!("setp.ne.u32 {out}, {b}, 0"));
        }
    }
    out
}

fn shfl(s: &mut dyn PtxSink, dst: &str, src: &str, offset: u32) {
    s.instr(&format!(
        "shfl.sync.bfly.b32 {dst}, {src}, {offset}, {SHFL_TAIL}"
    ));
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::emit::coop_test::{ptxas, rng::Rng, sink::RecordingSink, warp::Warp};

    /// Runs `subgroup_reduce` on a simulated warp with lane i holding `x[i]`; every lane's
    /// result bits.
    fn simulate(op: ReduceOp, dtype: DType, x: &[u64; 32]) -> Vec<u64> {
        let mut s = RecordingSink::default();
        let class = reg_class(dtype);
        let (src, dst) = (s.temp(class), s.temp(class));
        subgroup_reduce(&mut s, op, dtype, &dst, &src);
        let mut warp = Warp::new(0);
        for (lane, v) in x.iter().enumerate() {
            warp.set(lane, &src, *v);
        }
        warp.run(&s.lines);
        (0..32).map(|lane| warp.get(lane, &dst)).collect()
    }

    /// kir.md "Synchronization", literally: lanes (0,1), (2,3), … first, then pairs of those
    /// results, and so on.
    fn pairwise_tree<T: Copy>(values: &[T], op: impl Fn(T, T) -> T) -> T {
        let mut level = values.to_vec();
        while level.len() > 1 {
            level = level.chunks(2).map(|p| op(p[0], p[1])).collect();
        }
        level[0]
    }

    /// Floats of wildly different magnitudes (2^-20 … 2^20, both signs), where the order of
    /// additions changes the rounded sum.
    fn spread(rng: &mut Rng) -> [f64; 32] {
        [(); 32].map(|()| {
            let m = 1.0 + rng.below(1 << 20) as f64 / f64::from(1 << 20);
            let sign = if rng.below(2) == 0 { 1.0 } else { -1.0 };
            sign * m * 2f64.powi(rng.below(41) as i32 - 20)
        })
    }

    #[test]
    fn f32_sum_is_kir_pairwise_tree_on_every_lane() {
        let mut x = spread(&mut Rng::new(3)).map(|v| v as f32);
        // Two huge values that cancel when paired first (as a reversed butterfly would) and
        // swallow their neighbours when paired last (as kir.md's tree does).
        (x[0], x[16]) = (2f32.powi(30), -(2f32.powi(30)));
        let want = pairwise_tree(&x, |a, b| a + b);
        // The data tells orders apart: a left-to-right sum, or the butterfly with the
        // offsets reversed (16 first: lanes (0,16), (1,17), … paired first), differ.
        let sequential = x.iter().fold(0.0f32, |a, b| a + b);
        let mut reversed = x.to_vec();
        for o in [16, 8, 4, 2, 1] {
            reversed = (0..32).map(|i| reversed[i] + reversed[i ^ o]).collect();
        }
        assert_ne!(want.to_bits(), sequential.to_bits());
        assert_ne!(want.to_bits(), reversed[0].to_bits());
        let got = simulate(
            ReduceOp::Sum,
            DType::F32,
            &x.map(|v| u64::from(v.to_bits())),
        );
        assert!(
            got.iter().all(|&g| g == u64::from(want.to_bits())),
            "{got:x?} want {want}"
        );
    }

    /// f64 crosses the shuffle as two 32-bit halves.
    #[test]
    fn f64_sum_is_kir_pairwise_tree_on_every_lane() {
        let mut x = spread(&mut Rng::new(5)).map(|v| v * (1.0 + 2f64.powi(-40)));
        (x[0], x[16]) = (2f64.powi(60), -(2f64.powi(60)));
        let want = pairwise_tree(&x, |a, b| a + b);
        assert_ne!(
            want.to_bits(),
            x.iter().fold(0.0f64, |a, b| a + b).to_bits()
        );
        let got = simulate(ReduceOp::Sum, DType::F64, &x.map(f64::to_bits));
        assert!(
            got.iter().all(|&g| g == want.to_bits()),
            "{got:x?} want {want}"
        );
    }

    /// u64 wrapping sum: both halves of every lane arrive (a lost or swapped half changes it).
    #[test]
    fn u64_sum_wraps_and_keeps_both_halves() {
        let mut rng = Rng::new(9);
        let x = [(); 32].map(|()| rng.next_u64());
        let want = x.iter().fold(0u64, |a, b| a.wrapping_add(*b));
        assert!(
            simulate(ReduceOp::Sum, DType::U64, &x)
                .iter()
                .all(|&g| g == want)
        );
    }

    /// 16-bit values go through 32-bit shuffles and come back intact, sign included.
    #[test]
    fn i16_max_and_u16_min_survive_widening() {
        let mut rng = Rng::new(13);
        let x = [(); 32].map(|()| rng.next_u64() & 0xffff);
        let max = x
            .iter()
            .map(|&v| v as u16 as i16)
            .max()
            .map(|m| m as u16 as u64);
        let min = x.iter().min().copied();
        assert!(
            simulate(ReduceOp::Max, DType::I16, &x)
                .iter()
                .all(|&g| Some(g) == max)
        );
        assert!(
            simulate(ReduceOp::Min, DType::U16, &x)
                .iter()
                .all(|&g| Some(g) == min)
        );
    }

    #[test]
    fn f32_max_min_and_prod_reach_every_lane() {
        let x = spread(&mut Rng::new(17)).map(|v| (v / 64.0) as f32 + 1.0);
        let bits = x.map(|v| u64::from(v.to_bits()));
        let cases: [(ReduceOp, f32); 3] = [
            (ReduceOp::Max, x.iter().copied().fold(f32::MIN, f32::max)),
            (ReduceOp::Min, x.iter().copied().fold(f32::MAX, f32::min)),
            (ReduceOp::Prod, pairwise_tree(&x, |a, b| a * b)),
        ];
        for (op, want) in cases {
            let got = simulate(op, DType::F32, &bits);
            assert!(
                got.iter().all(|&g| g == u64::from(want.to_bits())),
                "{op:?}: {got:x?}"
            );
        }
    }

    /// The load and store of a value of `dtype` at `[p]` in the test kernel.
    fn io(dtype: DType) -> (&'static str, &'static str) {
        match reg_class(dtype) {
            RegClass::F32 => ("ld.global.f32", "st.global.f32"),
            RegClass::F64 => ("ld.global.f64", "st.global.f64"),
            RegClass::B16 => ("ld.global.b16", "st.global.b16"),
            RegClass::B32 => ("ld.global.b32", "st.global.b32"),
            RegClass::B64 | RegClass::Pred => ("ld.global.b64", "st.global.b64"),
        }
    }

    /// Into the test kernel: load x from `[p + at]`, reduce it, store the result there
    /// (a distinct address per case keeps ptxas from merging equal shuffle chains).
    fn reduce_case(s: &mut RecordingSink, p: &str, at: usize, op: ReduceOp, dtype: DType) {
        let class = reg_class(dtype);
        let (x, dst) = (s.temp(class), s.temp(class));
        let (load, store) = io(dtype);
        let word = s.temp(RegClass::B32);
        if class == RegClass::Pred {
            s.instr(&format!("ld.global.u32 {word}, [{p}+{at}]"));
            s.instr(&format!("setp.ne.u32 {x}, {word}, 0"));
        } else {
            s.instr(&format!("{load} {x}, [{p}+{at}]"));
        }
        subgroup_reduce(s, op, dtype, &dst, &x);
        if class == RegClass::Pred {
            s.instr(&format!("selp.u32 {word}, 1, 0, {dst}"));
            s.instr(&format!("st.global.u32 [{p}+{at}], {word}"));
        } else {
            s.instr(&format!("{store} [{p}+{at}], {dst}"));
        }
    }

    /// ptxas accepts every dtype's and op's lowering silently, for sm_80 and sm_90, and each
    /// 32-bit shuffle becomes a SHFL.BFLY (five per 32 bits of the value).
    #[test]
    fn ptxas_assembles_every_dtype_and_op() {
        use DType::*;
        let dtypes = [
            Bool, I8, U8, I16, U16, F16, BF16, I32, U32, F32, I64, U64, F64,
        ];
        let ops = [ReduceOp::Sum, ReduceOp::Max, ReduceOp::Min, ReduceOp::Prod];
        for sm in [80, 90] {
            let mut s = RecordingSink::default();
            let p = s.out_slot(8);
            let mut words = 0;
            for (i, (dtype, op)) in dtypes.iter().flat_map(|d| ops.map(|o| (*d, o))).enumerate() {
                reduce_case(&mut s, &p, 256 * i, op, dtype);
                words += if dtype.bits() == 64 { 2 } else { 1 };
            }
            let ptx = s.kernel(sm, 16);
            let Some(sass) = ptxas::sass(&ptx, sm) else {
                return;
            };
            assert_eq!(
                ptxas::count(&sass, "SHFL.BFLY"),
                5 * words,
                "sm_{sm}\n{ptx}\n{sass}"
            );
        }
    }
}

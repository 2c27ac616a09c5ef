//! Warp-collective instructions, run once all their participants have arrived:
//! `shfl.sync`, `ldmatrix` and `mma.sync` (fragment layouts from the PTX ISA's "Matrix
//! Fragments for mma.m16n8k16 with floating point type" and the `ldmatrix` description).

use super::exec::Ctx;
use super::float::Fmt;
use super::instr::{Addr, Dst, Rnd, ShflMode, Src, Ty};
use super::thread::Thread;
use half::{bf16, f16};

/// `shfl.sync` for the threads of one warp at this instruction (`lanes[i]` is the
/// lane of `threads[i]`; every lane of the membermask is among them).
#[allow(clippy::too_many_arguments)]
pub fn shfl(
    ctx: &Ctx,
    threads: &mut [&mut Thread],
    mode: ShflMode,
    dst: Dst,
    pdst: Option<Dst>,
    a: Src,
    b: Src,
    c: Src,
) -> Result<(), String> {
    let mut source = [None::<u64>; 32];
    for t in threads.iter() {
        source[t.lane() as usize] = Some(ctx.read(t, a, Ty::B32)?);
    }
    let mut results = Vec::with_capacity(threads.len());
    for t in threads.iter() {
        let lane = i64::from(t.lane());
        let bval = (ctx.read(t, b, Ty::B32)? & 0x1f) as i64;
        let cv = ctx.read(t, c, Ty::B32)?;
        let cval = (cv & 0x1f) as i64;
        let segmask = ((cv >> 8) & 0x1f) as i64;
        let max_lane = (lane & segmask) | (cval & !segmask);
        let min_lane = lane & segmask;
        let (j, pval) = match mode {
            ShflMode::Up => (lane - bval, lane - bval >= max_lane),
            ShflMode::Down => (lane + bval, lane + bval <= max_lane),
            ShflMode::Bfly => (lane ^ bval, (lane ^ bval) <= max_lane),
            ShflMode::Idx => {
                let j = min_lane | (bval & !segmask);
                (j, j <= max_lane)
            }
        };
        let j = if pval { j } else { lane };
        let v =
            source.get(j as usize).copied().flatten().ok_or_else(|| {
                format!("shfl lane {lane} reads lane {j}, which does not take part")
            })?;
        results.push((v, pval));
    }
    for (t, (v, p)) in threads.iter_mut().zip(results) {
        t.write(dst, Ty::B32, v);
        if let Some(pd) = pdst {
            t.write(pd, Ty::Pred, u64::from(p));
        }
    }
    Ok(())
}

/// `ldmatrix.sync.aligned.m8n8.xN{.trans}.shared.b16` for a full warp (lane order).
pub fn ldmatrix(
    ctx: &Ctx,
    threads: &mut [&mut Thread],
    trans: bool,
    dsts: &[Dst],
    addr: Addr,
) -> Result<(), String> {
    // rows[m][r][k]: element k of row r of matrix m, each row from the address of lane
    // 8m + r.
    let mut rows = vec![[[0u16; 8]; 8]; dsts.len()];
    for (m, matrix) in rows.iter_mut().enumerate() {
        for (r, row) in matrix.iter_mut().enumerate() {
            let t = &threads[m * 8 + r];
            let a = ctx.address(t, addr)?;
            if a % 16 != 0 {
                return Err(format!(
                    "ldmatrix row address {a:#x} (lane {}) is not 16-byte aligned",
                    m * 8 + r
                ));
            }
            let mut buf = [0u8; 16];
            ctx.shared.read(a, &mut buf)?;
            for (k, e) in row.iter_mut().enumerate() {
                *e = u16::from_le_bytes([buf[2 * k], buf[2 * k + 1]]);
            }
        }
    }
    for t in threads.iter_mut() {
        let lane = t.lane() as usize;
        let (g, q) = (lane / 4, lane % 4);
        for (m, d) in dsts.iter().enumerate() {
            // Thread t holds row t/4, columns 2(t%4) and 2(t%4)+1; transposed, the same
            // fragment of the column-major matrix.
            let (lo, hi) = if trans {
                (rows[m][2 * q][g], rows[m][2 * q + 1][g])
            } else {
                (rows[m][g][2 * q], rows[m][g][2 * q + 1])
            };
            t.write(*d, Ty::B32, u64::from(lo) | (u64::from(hi) << 16));
        }
    }
    Ok(())
}

/// `mma.sync.aligned.m16n8k16.row.col.f32.{f16,bf16}.{f16,bf16}.f32` for a full warp:
/// D = A·B + C with each dot product summed exactly in f64 and rounded once to f32.
pub fn mma(
    ctx: &Ctx,
    threads: &mut [&mut Thread],
    bf: bool,
    d: &[Dst; 4],
    a: &[Src; 4],
    b: &[Src; 2],
    c: &[Src; 4],
) -> Result<(), String> {
    let half = |bits: u64| -> f64 {
        if bf {
            bf16::from_bits(bits as u16).to_f64()
        } else {
            f16::from_bits(bits as u16).to_f64()
        }
    };
    let mut ma = [[0f64; 16]; 16];
    let mut mb = [[0f64; 8]; 16];
    let mut mc = [[0f64; 8]; 16];
    for t in threads.iter() {
        let lane = t.lane() as usize;
        let (g, q) = (lane >> 2, lane % 4);
        for (r, src) in a.iter().enumerate() {
            let v = ctx.read(t, *src, Ty::B32)?;
            for h in 0..2 {
                let i = 2 * r + h;
                let row = if i % 4 < 2 { g } else { g + 8 };
                let col = q * 2 + (i & 1) + if i >= 4 { 8 } else { 0 };
                ma[row][col] = half(v >> (16 * h));
            }
        }
        for (r, src) in b.iter().enumerate() {
            let v = ctx.read(t, *src, Ty::B32)?;
            for h in 0..2 {
                let i = 2 * r + h;
                let row = q * 2 + (i & 1) + if i >= 2 { 8 } else { 0 };
                mb[row][g] = half(v >> (16 * h));
            }
        }
        for (i, src) in c.iter().enumerate() {
            let v = ctx.read(t, *src, Ty::F32)?;
            let row = if i < 2 { g } else { g + 8 };
            mc[row][q * 2 + (i & 1)] = f64::from(f32::from_bits(v as u32));
        }
    }
    for t in threads.iter_mut() {
        let lane = t.lane() as usize;
        let (g, q) = (lane >> 2, lane % 4);
        for (i, dst) in d.iter().enumerate() {
            let row = if i < 2 { g } else { g + 8 };
            let col = q * 2 + (i & 1);
            // Products of halves are exact in f64; the sum of 16 of them plus C rounds
            // a few times in f64, far below the f32 rounding that follows.
            let mut sum = mc[row][col];
            for k in 0..16 {
                sum += ma[row][k] * mb[k][col];
            }
            t.write(
                *dst,
                Ty::F32,
                super::float::round(Fmt::F32, sum, 0, Rnd::Rn),
            );
        }
    }
    Ok(())
}

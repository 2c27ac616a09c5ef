//! Approximate instructions at their worst. By default the sim computes `ex2.approx`,
//! `lg2.approx`, `rsqrt.approx`, `sin/cos.approx`, `rcp.approx`, `sqrt.approx`,
//! `tanh.approx` and `div.approx/.full` correctly rounded; hardware may be off by as much
//! as the PTX ISA's bound for each (the bounds egpu's precision model cites). In
//! [`Approx::Worst`] the sim moves each result by that full bound, up or down by a
//! deterministic hash of the operand, so that a test can check the reference's error
//! bounds still hold for any hardware the ISA allows. A bound in ULPs is measured either
//! from the correctly rounded result (the ISA's wording for `ex2.approx.f32`: "2 ulp from
//! correctly rounded result") or from the exact value (how egpu's precision model reads
//! it): [`UlpsFrom`].

use super::float::Fmt;
use super::instr::{Rnd, Ty};

/// How approximate instructions compute.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Approx {
    /// Correctly rounded (what hardware does at best).
    #[default]
    Exact,
    /// Off by the ISA's whole error bound, the direction chosen by `seed` and the operand.
    Worst { seed: u64, from: UlpsFrom },
}

/// What a bound in ULPs is measured from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UlpsFrom {
    /// n ULPs from the correctly rounded result (up to n + 1/2 from the exact value).
    Rounded,
    /// n ULPs (of the exact value's binade) from the exact value.
    Exact,
}

/// Which approximate instruction (each has its own bound).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ApproxKind {
    Ex2,
    Lg2,
    Rsqrt,
    Sqrt,
    Sin,
    Cos,
    Rcp,
    Tanh,
    Div,
}

/// The bound of `kind` at operand `x`: (ulps, relative, absolute), or `None` where the
/// ISA gives no bound (sin/cos beyond ±100π), which the sim leaves exact.
fn bound(kind: ApproxKind, x: f64) -> Option<(u32, f64, f64)> {
    Some(match kind {
        ApproxKind::Ex2 | ApproxKind::Div => (2, 0.0, 0.0),
        ApproxKind::Rcp => (1, 0.0, 0.0),
        ApproxKind::Lg2 if x > 0.5 && x < 2.0 => (0, 0.0, 2f64.powi(-22)),
        ApproxKind::Lg2 => (0, 2f64.powi(-22), 0.0),
        ApproxKind::Rsqrt => (0, 2f64.powf(-22.9), 0.0),
        ApproxKind::Sqrt => (0, 2f64.powi(-23), 0.0),
        ApproxKind::Tanh => (0, 2f64.powi(-11), 0.0),
        ApproxKind::Sin | ApproxKind::Cos => {
            let pi = std::f64::consts::PI;
            if x.abs() <= 2.0 * pi {
                (0, 0.0, 2f64.powf(-20.5))
            } else if x.abs() <= 100.0 * pi {
                (0, 0.0, 2f64.powf(-14.7))
            } else {
                return None;
            }
        }
    })
}

fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// The spacing of f32 values at |v| (the model's ulp(v)).
fn ulp_f32(v: f64) -> f64 {
    let e = v.abs().log2().floor().max(-126.0);
    2f64.powf(e - 23.0)
}

/// The f32 result `bits` of `kind` on operand bits `x_bits` (value `x`, exact result
/// `exact`), moved by the whole bound in `approx`'s worst mode. Non-f32 types, zeros,
/// infinities and NaNs stay.
#[allow(clippy::too_many_arguments)]
pub fn perturb(
    approx: Approx,
    kind: ApproxKind,
    ty: Ty,
    x_bits: u64,
    x: f64,
    exact: f64,
    bits: u64,
) -> u64 {
    let Approx::Worst { seed, from } = approx else {
        return bits;
    };
    let v = f64::from(f32::from_bits(bits as u32));
    if ty != Ty::F32 || v == 0.0 || !v.is_finite() {
        return bits;
    }
    let Some((ulps, rel, abs)) = bound(kind, x) else {
        return bits;
    };
    let up = mix(seed ^ x_bits ^ ((kind as u64) << 56)) & 1 == 1;
    let moved = if ulps > 0 && from == UlpsFrom::Exact {
        let e = f64::from(ulps) * ulp_f32(exact);
        let target = if up { exact + e } else { exact - e };
        super::float::round(Fmt::F32, target, 0, if up { Rnd::Rm } else { Rnd::Rp })
    } else if ulps > 0 {
        let mut f = f32::from_bits(bits as u32);
        for _ in 0..ulps {
            f = if up { f.next_up() } else { f.next_down() };
        }
        u64::from(f.to_bits())
    } else {
        let e = rel * v.abs() + abs;
        let target = if up { v + e } else { v - e };
        // Rounded back toward v, so the move never exceeds the bound.
        super::float::round(Fmt::F32, target, 0, if up { Rnd::Rm } else { Rnd::Rp })
    };
    let m = f64::from(f32::from_bits(moved as u32));
    if m.is_finite() { moved } else { bits }
}

//! `cvt`: conversions between integer and float types of every width, with the ISA's
//! rules: float-to-integer rounds by `.rni/.rzi/.rmi/.rpi`, saturates to the destination
//! range and turns NaN into 0; integer-to-integer truncates or extends (clamps with
//! `.sat`); float results round by `.rn/.rz/.rm/.rp`; `.sat` on a float destination
//! clamps to [0, 1] with NaN to 0.

use super::alu::int_value;
use super::float::{Fmt, int_to_f64, round};
use super::instr::{IRnd, Rnd, Ty};

fn int_range(ty: Ty) -> (i128, i128) {
    let b = ty.bits();
    if ty.is_signed() {
        (-(1i128 << (b - 1)), (1i128 << (b - 1)) - 1)
    } else {
        (0, (1i128 << b) - 1)
    }
}

fn round_integral(x: f64, irnd: IRnd) -> f64 {
    match irnd {
        IRnd::Rni => x.round_ties_even(),
        IRnd::Rzi => x.trunc(),
        IRnd::Rmi => x.floor(),
        IRnd::Rpi => x.ceil(),
    }
}

/// Converts `bits` of type `sty` to type `dty`.
#[allow(clippy::too_many_arguments)]
pub fn convert(
    dty: Ty,
    sty: Ty,
    rnd: Option<Rnd>,
    irnd: Option<IRnd>,
    sat: bool,
    ftz: bool,
    bits: u64,
) -> Result<u64, String> {
    if matches!(dty, Ty::F16x2 | Ty::BF16x2 | Ty::Pred)
        || matches!(sty, Ty::F16x2 | Ty::BF16x2 | Ty::Pred)
    {
        return Err(format!("cvt between {dty:?} and {sty:?} is not supported"));
    }
    match (Fmt::of(sty), Fmt::of(dty)) {
        (None, None) => {
            let v = int_value(sty, bits);
            let (lo, hi) = int_range(dty);
            let v = if sat { v.clamp(lo, hi) } else { v };
            Ok((v as u64) & dty.mask())
        }
        (Some(sf), None) => {
            let irnd = irnd.ok_or("float-to-integer cvt without integer rounding")?;
            let x = sf.to_f64(if ftz { sf.flush(bits) } else { bits });
            if x.is_nan() {
                return Ok(0);
            }
            let (lo, hi) = int_range(dty);
            let r = round_integral(x, irnd);
            let v = if r >= hi as f64 {
                hi
            } else if r <= lo as f64 {
                lo
            } else {
                r as i128
            };
            Ok((v.clamp(lo, hi) as u64) & dty.mask())
        }
        (None, Some(df)) => {
            let (v, e) = int_to_f64(int_value(sty, bits));
            let out = round(df, v, e, rnd.unwrap_or(Rnd::Rn));
            Ok(float_sat(df, out, sat, ftz))
        }
        (Some(sf), Some(df)) => {
            let x = sf.to_f64(if ftz { sf.flush(bits) } else { bits });
            let out = if let Some(ir) = irnd {
                if sf != df {
                    return Err("cvt with integer rounding between different float types".into());
                }
                if x.is_nan() {
                    df.nan()
                } else {
                    round(df, round_integral(x, ir), 0, Rnd::Rn)
                }
            } else {
                round(df, x, 0, rnd.unwrap_or(Rnd::Rn))
            };
            Ok(float_sat(df, out, sat, ftz))
        }
    }
}

fn float_sat(fmt: Fmt, bits: u64, sat: bool, ftz: bool) -> u64 {
    let b = if ftz { fmt.flush(bits) } else { bits };
    if !sat {
        return b;
    }
    let v = fmt.to_f64(b);
    if v.is_nan() || v <= 0.0 {
        0
    } else if v >= 1.0 {
        round(fmt, 1.0, 0, Rnd::Rn)
    } else {
        b
    }
}

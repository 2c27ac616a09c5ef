//! Integer and float arithmetic on operand bits, as the PTX ISA defines each instruction.
//! Values come in as register bits (already masked to the instruction type's width by the
//! reader) and go out masked to the destination type.

use super::decode::wide_of;
use super::float::{Fmt, div_exact, round, sqrt_exact, two_prod, two_sum};
use super::instr::{Cmp, FloatMode, FloatOp, FloatUnOp, IntOp, IntUnOp, MadMode, Rnd, Ty};

/// The signed value of `bits` read as `ty`, or the unsigned value for other types.
pub fn int_value(ty: Ty, bits: u64) -> i128 {
    if ty.is_signed() {
        i128::from(ty.extend(bits & ty.mask()) as i64)
    } else {
        i128::from(bits & ty.mask())
    }
}

fn range(ty: Ty) -> (i128, i128) {
    let b = ty.bits();
    if ty.is_signed() {
        (-(1i128 << (b - 1)), (1i128 << (b - 1)) - 1)
    } else {
        (0, (1i128 << b) - 1)
    }
}

fn wrap(ty: Ty, v: i128) -> u64 {
    (v as u64) & ty.mask()
}

pub fn int_binary(op: IntOp, ty: Ty, a: u64, b: u64) -> Result<u64, String> {
    let (x, y) = (int_value(ty, a), int_value(ty, b));
    let bits = ty.bits();
    Ok(match op {
        IntOp::Add => wrap(ty, x + y),
        IntOp::Sub => wrap(ty, x - y),
        IntOp::AddSat | IntOp::SubSat => {
            let v = if op == IntOp::AddSat { x + y } else { x - y };
            let (lo, hi) = range(ty);
            wrap(ty, v.clamp(lo, hi))
        }
        IntOp::MulLo => wrap(ty, x.wrapping_mul(y)),
        IntOp::MulHi => wrap(ty, mul_hi(ty, x, y)),
        IntOp::Div | IntOp::Rem => {
            if y == 0 {
                return Err(format!("integer {op:?} by zero ({ty:?})"));
            }
            // Truncating division; the remainder takes the dividend's sign.
            let v = if op == IntOp::Div { x / y } else { x % y };
            wrap(ty, v)
        }
        IntOp::Min => wrap(ty, x.min(y)),
        IntOp::Max => wrap(ty, x.max(y)),
        IntOp::And => a & b & ty.mask(),
        IntOp::Or => (a | b) & ty.mask(),
        IntOp::Xor => (a ^ b) & ty.mask(),
        IntOp::Shl => {
            // Shift amounts larger than the width are clamped to the width.
            let n = (b & 0xffff_ffff).min(u64::from(bits)) as u32;
            if n >= 64 { 0 } else { (a << n) & ty.mask() }
        }
        IntOp::Shr => {
            let n = (b & 0xffff_ffff).min(u64::from(bits)) as u32;
            if ty.is_signed() {
                wrap(ty, x >> n.min(127))
            } else if n >= 64 {
                0
            } else {
                (a & ty.mask()) >> n
            }
        }
    })
}

/// The high half of the double-width product (u64·u64 needs all 128 bits unsigned).
fn mul_hi(ty: Ty, x: i128, y: i128) -> i128 {
    let bits = ty.bits();
    if ty.is_signed() {
        // |s64·s64| < 2^126: exact in i128.
        (x * y) >> bits
    } else {
        ((x as u128).wrapping_mul(y as u128) >> bits) as i128
    }
}

pub fn mul_wide(ty: Ty, a: u64, b: u64) -> Result<(Ty, u64), String> {
    let w = wide_of(ty)?;
    Ok((w, wrap(w, int_value(ty, a) * int_value(ty, b))))
}

pub fn mad(mode: MadMode, sat: bool, ty: Ty, a: u64, b: u64, c: u64) -> Result<(Ty, u64), String> {
    let (x, y) = (int_value(ty, a), int_value(ty, b));
    match mode {
        MadMode::Wide => {
            let w = wide_of(ty)?;
            Ok((w, wrap(w, x * y + int_value(w, c))))
        }
        MadMode::Lo => Ok((
            ty,
            wrap(
                ty,
                i128::from(wrap(ty, x.wrapping_mul(y))) + int_value(ty, c),
            ),
        )),
        MadMode::Hi => {
            let v = mul_hi(ty, x, y) + int_value(ty, c);
            if sat {
                if ty != Ty::S32 {
                    return Err("mad.hi.sat is .s32 only".into());
                }
                let (lo, hi) = range(ty);
                return Ok((ty, wrap(ty, v.clamp(lo, hi))));
            }
            Ok((ty, wrap(ty, v)))
        }
    }
}

pub fn int_unary(op: IntUnOp, ty: Ty, a: u64) -> u64 {
    let x = int_value(ty, a);
    let m = ty.mask();
    match op {
        IntUnOp::Neg => wrap(ty, -x),
        IntUnOp::Abs => wrap(ty, x.abs()),
        IntUnOp::Not => !a & m,
        IntUnOp::Cnot => u64::from(a & m == 0),
        IntUnOp::Popc => u64::from((a & m).count_ones()),
        IntUnOp::Clz => u64::from((a & m).leading_zeros() - (64 - ty.bits())),
        IntUnOp::Brev => (a & m).reverse_bits() >> (64 - ty.bits()),
    }
}

/// Applies `f` to each half of a packed x2 type (low half first), or once otherwise.
fn lanes(
    ty: Ty,
    a: u64,
    b: u64,
    c: u64,
    f: impl Fn(Fmt, u64, u64, u64) -> u64,
) -> Result<u64, String> {
    let fmt = Fmt::of(ty).ok_or_else(|| format!("{ty:?} is not a float type"))?;
    if matches!(ty, Ty::F16x2 | Ty::BF16x2) {
        let lo = f(fmt, a & 0xffff, b & 0xffff, c & 0xffff);
        let hi = f(
            fmt,
            (a >> 16) & 0xffff,
            (b >> 16) & 0xffff,
            (c >> 16) & 0xffff,
        );
        return Ok((hi << 16) | lo);
    }
    Ok(f(fmt, a, b, c))
}

fn sat01(fmt: Fmt, bits: u64) -> u64 {
    let v = fmt.to_f64(bits);
    if v.is_nan() {
        return 0;
    }
    if v <= 0.0 {
        0
    } else if v >= 1.0 {
        round(fmt, 1.0, 0, Rnd::Rn)
    } else {
        bits
    }
}

fn finish(fmt: Fmt, bits: u64, ftz: bool, sat: bool) -> u64 {
    let b = if ftz { fmt.flush(bits) } else { bits };
    if sat { sat01(fmt, b) } else { b }
}

fn input(fmt: Fmt, bits: u64, ftz: bool) -> f64 {
    fmt.to_f64(if ftz { fmt.flush(bits) } else { bits })
}

/// `min`/`max`: a NaN operand gives the other one (or NaN with `.NaN`), and -0 < +0.
fn min_max(fmt: Fmt, a: u64, b: u64, x: f64, y: f64, max: bool, nan: bool) -> u64 {
    if x.is_nan() || y.is_nan() {
        if nan || (x.is_nan() && y.is_nan()) {
            return fmt.nan();
        }
        return if x.is_nan() { b } else { a };
    }
    let a_first = if x == y {
        // Equal values differ only in the sign of zero: min takes -0, max takes +0.
        let a_neg = x.is_sign_negative();
        if max { !a_neg } else { a_neg }
    } else if max {
        x > y
    } else {
        x < y
    };
    if a_first { a } else { b }
}

#[allow(clippy::too_many_arguments)]
pub fn float_binary(
    op: FloatOp,
    ty: Ty,
    rnd: Rnd,
    ftz: bool,
    sat: bool,
    a: u64,
    b: u64,
) -> Result<u64, String> {
    lanes(ty, a, b, 0, |fmt, a, b, _| {
        let (x, y) = (input(fmt, a, ftz), input(fmt, b, ftz));
        let (v, e) = match op {
            FloatOp::Add => two_sum(x, y),
            FloatOp::Sub => two_sum(x, -y),
            FloatOp::Mul => two_prod(x, y),
            FloatOp::Div | FloatOp::DivApprox => div_exact(x, y),
            FloatOp::Min | FloatOp::Max | FloatOp::MinNaN | FloatOp::MaxNaN => {
                let max = matches!(op, FloatOp::Max | FloatOp::MaxNaN);
                let nan = matches!(op, FloatOp::MinNaN | FloatOp::MaxNaN);
                let (a, b) = if ftz {
                    (fmt.flush(a), fmt.flush(b))
                } else {
                    (a, b)
                };
                return finish(fmt, min_max(fmt, a, b, x, y, max, nan), ftz, sat);
            }
        };
        finish(fmt, round(fmt, v, e, rnd), ftz, sat)
    })
}

#[allow(clippy::too_many_arguments)]
pub fn fma(ty: Ty, rnd: Rnd, ftz: bool, sat: bool, a: u64, b: u64, c: u64) -> Result<u64, String> {
    if ty == Ty::F64 && rnd != Rnd::Rn {
        return Err("fma.f64 with directed rounding is not supported by the sim".into());
    }
    lanes(ty, a, b, c, |fmt, a, b, c| {
        let (x, y, z) = (input(fmt, a, ftz), input(fmt, b, ftz), input(fmt, c, ftz));
        let (v, e) = if fmt == Fmt::F64 {
            (x.mul_add(y, z), 0)
        } else {
            // The product of two f32 (or narrower) values is exact in f64.
            two_sum(x * y, z)
        };
        finish(fmt, round(fmt, v, e, rnd), ftz, sat)
    })
}

pub fn float_unary(
    op: FloatUnOp,
    mode: FloatMode,
    ftz: bool,
    ty: Ty,
    a: u64,
) -> Result<u64, String> {
    lanes(ty, a, 0, 0, |fmt, a, _, _| {
        let sign_bit = 1u64 << (fmt.bits() - 1);
        match op {
            // neg/abs only touch the sign bit (NaNs included).
            FloatUnOp::Neg => return finish(fmt, a ^ sign_bit, ftz, false),
            FloatUnOp::Abs => return finish(fmt, a & !sign_bit, ftz, false),
            _ => {}
        }
        let x = input(fmt, a, ftz);
        let rnd = match mode {
            FloatMode::Round(r) => r,
            FloatMode::Approx => Rnd::Rn,
        };
        let (v, e) = match op {
            FloatUnOp::Sqrt => sqrt_exact(x),
            FloatUnOp::Rcp => div_exact(1.0, x),
            FloatUnOp::Rsqrt => (1.0 / x.sqrt(), 0),
            FloatUnOp::Ex2 => (x.exp2(), 0),
            FloatUnOp::Lg2 => (x.log2(), 0),
            FloatUnOp::Sin => (x.sin(), 0),
            FloatUnOp::Cos => (x.cos(), 0),
            FloatUnOp::Tanh => (x.tanh(), 0),
            FloatUnOp::Neg | FloatUnOp::Abs => (x, 0),
        };
        finish(fmt, round(fmt, v, e, rnd), ftz, false)
    })
}

/// `setp`'s comparison of `a` and `b` as `ty`.
pub fn compare(cmp: Cmp, ty: Ty, ftz: bool, a: u64, b: u64) -> Result<bool, String> {
    if ty.is_float() {
        let fmt = Fmt::of(ty).ok_or("packed setp is not supported")?;
        if matches!(ty, Ty::F16x2 | Ty::BF16x2) {
            return Err("setp on packed halves is not supported".into());
        }
        let (x, y) = (input(fmt, a, ftz), input(fmt, b, ftz));
        let unordered = x.is_nan() || y.is_nan();
        return Ok(match cmp {
            Cmp::Eq => !unordered && x == y,
            Cmp::Ne => !unordered && x != y,
            Cmp::Lt => !unordered && x < y,
            Cmp::Le => !unordered && x <= y,
            Cmp::Gt => !unordered && x > y,
            Cmp::Ge => !unordered && x >= y,
            Cmp::Equ => unordered || x == y,
            Cmp::Neu => unordered || x != y,
            Cmp::Ltu => unordered || x < y,
            Cmp::Leu => unordered || x <= y,
            Cmp::Gtu => unordered || x > y,
            Cmp::Geu => unordered || x >= y,
            Cmp::Num => !unordered,
            Cmp::Nan => unordered,
            Cmp::Lo | Cmp::Ls | Cmp::Hi | Cmp::Hs => {
                return Err("unsigned compare on floats".into());
            }
        });
    }
    // lo/ls/hi/hs are always unsigned; lt/le/gt/ge follow the type's signedness.
    let (x, y) = (int_value(ty, a), int_value(ty, b));
    let (ux, uy) = (a & ty.mask(), b & ty.mask());
    Ok(match cmp {
        Cmp::Eq => ux == uy,
        Cmp::Ne => ux != uy,
        Cmp::Lt => x < y,
        Cmp::Le => x <= y,
        Cmp::Gt => x > y,
        Cmp::Ge => x >= y,
        Cmp::Lo => ux < uy,
        Cmp::Ls => ux <= uy,
        Cmp::Hi => ux > uy,
        Cmp::Hs => ux >= uy,
        _ => return Err(format!("{cmp:?} on an integer type")),
    })
}

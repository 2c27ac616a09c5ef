//! The oracle is Rust's own encoding of each native type (`to_le_bytes`, `f32::to_bits`,
//! `half`'s bit patterns): bytes written by it must read as the value it encoded, and
//! write back to the same bytes.

use super::*;
use half::{bf16, f16};

fn shape(n: usize) -> Shape {
    Shape::new(vec![n]).unwrap()
}

/// Reads `bytes` as `dtype`, checks the values are `want` (bit for bit for floats), and
/// checks writing them gives `bytes` again.
fn round_trip(dtype: DType, bytes: &[u8], want: &Data) {
    let n = bytes.len() / dtype.size_bytes();
    let tensor = from_bytes(dtype, shape(n), bytes).unwrap();
    match (&tensor.data, want) {
        (Data::Float(got), Data::Float(want)) => {
            let got: Vec<u64> = got.iter().map(|f| f.to_bits()).collect();
            let want: Vec<u64> = want.iter().map(|f| f.to_bits()).collect();
            assert_eq!(got, want, "{dtype}");
        }
        (got, want) => assert_eq!(got, want, "{dtype}"),
    }
    assert_eq!(to_bytes(&tensor), bytes, "{dtype}");
}

macro_rules! ints {
    ($dtype:expr, $t:ty) => {{
        let values = [<$t>::MIN, <$t>::MAX, 0 as $t, 1 as $t, <$t>::MAX / 3];
        let bytes: Vec<u8> = values.iter().flat_map(|v| v.to_le_bytes()).collect();
        let want = Data::Int(values.iter().map(|&v| i128::from(v)).collect());
        round_trip($dtype, &bytes, &want);
    }};
}

#[test]
fn integers_round_trip_with_their_extremes() {
    ints!(DType::I8, i8);
    ints!(DType::I16, i16);
    ints!(DType::I32, i32);
    ints!(DType::I64, i64);
    ints!(DType::U8, u8);
    ints!(DType::U16, u16);
    ints!(DType::U32, u32);
    ints!(DType::U64, u64);
}

#[test]
fn bool_is_one_byte_zero_or_one() {
    round_trip(
        DType::Bool,
        &[0, 1, 1, 0],
        &Data::Bool(vec![false, true, true, false]),
    );
    let err = from_bytes(DType::Bool, shape(2), &[1, 2]).unwrap_err();
    assert_eq!(err, BytesError::Bool { index: 1, value: 2 });
}

#[test]
fn f32_and_f64_round_trip_specials_and_nan_payloads() {
    let f32_bits = [
        0.0f32.to_bits(),
        (-0.0f32).to_bits(),
        1.5f32.to_bits(),
        f32::MIN_POSITIVE.to_bits(),
        1, // the smallest subnormal
        f32::INFINITY.to_bits(),
        f32::NEG_INFINITY.to_bits(),
        0x7fc0_0000, // quiet NaN
        0x7fa0_0001, // signalling NaN with a payload
        0xffc1_2345, // negative quiet NaN with a payload
    ];
    let bytes: Vec<u8> = f32_bits.iter().flat_map(|b| b.to_le_bytes()).collect();
    let want = f32_bits.iter().map(|&b| {
        let x = f32::from_bits(b);
        if x.is_nan() {
            // Sign, all-ones exponent, the payload in the mantissa's top bits.
            f64::from_bits(u64::from(b >> 31) << 63 | 0x7ff << 52 | u64::from(b & 0x7f_ffff) << 29)
        } else {
            f64::from(x)
        }
    });
    round_trip(DType::F32, &bytes, &Data::Float(want.collect()));

    let f64_values = [0.0, -0.0, f64::MAX, 5e-324, f64::NEG_INFINITY];
    let nans = [0x7ff0_0000_0000_0001u64, 0xfff8_0000_dead_beef];
    let all: Vec<f64> = f64_values
        .into_iter()
        .chain(nans.map(f64::from_bits))
        .collect();
    let bytes: Vec<u8> = all.iter().flat_map(|f| f.to_bits().to_le_bytes()).collect();
    round_trip(DType::F64, &bytes, &Data::Float(all));
}

#[test]
fn f16_and_bf16_round_trip_specials_and_nan_payloads() {
    let f16_values = [
        f16::ZERO,
        f16::NEG_ZERO,
        f16::MAX,
        f16::MIN_POSITIVE_SUBNORMAL,
        f16::NEG_INFINITY,
        f16::from_f32(-2.5),
    ];
    let f16_nans = [0x7e00u16, 0x7c01, 0xfd55];
    let bits: Vec<u16> = f16_values
        .iter()
        .map(|v| v.to_bits())
        .chain(f16_nans)
        .collect();
    let bytes: Vec<u8> = bits.iter().flat_map(|b| b.to_le_bytes()).collect();
    let want = f16_values
        .iter()
        .map(|v| v.to_f64())
        .chain(f16_nans.map(|b| {
            f64::from_bits(u64::from(b >> 15) << 63 | 0x7ff << 52 | u64::from(b & 0x3ff) << 42)
        }));
    round_trip(DType::F16, &bytes, &Data::Float(want.collect()));

    let bf16_values = [
        bf16::ZERO,
        bf16::NEG_ZERO,
        bf16::MAX,
        bf16::from_f32(3.0e-39),
    ];
    let bf16_nans = [0x7fc0u16, 0x7f81, 0xffa5];
    let bits: Vec<u16> = bf16_values
        .iter()
        .map(|v| v.to_bits())
        .chain(bf16_nans)
        .collect();
    let bytes: Vec<u8> = bits.iter().flat_map(|b| b.to_le_bytes()).collect();
    let want = bf16_values
        .iter()
        .map(|v| v.to_f64())
        .chain(bf16_nans.map(|b| {
            f64::from_bits(u64::from(b >> 15) << 63 | 0x7ff << 52 | u64::from(b & 0x7f) << 45)
        }));
    round_trip(DType::BF16, &bytes, &Data::Float(want.collect()));
}

#[test]
fn an_interpreter_nan_without_narrow_payload_stays_a_nan() {
    // A NaN whose payload sits only in low f64 bits would narrow to an infinity; it must
    // stay a NaN (the quiet bit is set).
    let nan = f64::from_bits(0x7ff0_0000_0000_0001);
    let t = Tensor::new(DType::F32, shape(1), Data::Float(vec![nan])).unwrap();
    assert_eq!(to_bytes(&t), 0x7fc0_0000u32.to_le_bytes());
}

#[test]
fn every_dtype_checks_the_length() {
    for dtype in DType::ALL {
        let err = from_bytes(dtype, shape(3), &vec![0; 3 * dtype.size_bytes() + 1]).unwrap_err();
        assert!(
            matches!(err, BytesError::Length { expected, .. } if expected == 3 * dtype.size_bytes()),
            "{dtype}"
        );
        let t = from_bytes(dtype, shape(3), &vec![0; 3 * dtype.size_bytes()]).unwrap();
        assert_eq!(t.numel(), 3);
    }
}

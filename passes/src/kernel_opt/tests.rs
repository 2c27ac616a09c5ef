//! Unit tests of the pieces the filetests (`tests/kir-opt`) do not reach directly.

use super::rebuild::copy;
use super::strength::magic;
use super::{KernelPass, Step};
use egpu_ir::DType;
use egpu_ir::kernel::{mulhi, print, text};

/// `⌊x·m / 2^(bits+s)⌋` computed the way the rewritten kernel does: `mulhi` on the
/// unsigned dtype, then a shift.
fn reduced(x: i128, m: i128, s: u32, unsigned: DType) -> i128 {
    mulhi(x, m, unsigned) >> s
}

/// Dividends to try below `hi`: the edges and a spread between.
fn dividends(hi: i128) -> Vec<i128> {
    let mut xs: Vec<i128> = (0..=2000.min(hi)).collect();
    xs.extend((0..2000).map(|k| hi - k).filter(|&x| x >= 0));
    let step = (hi / 5000).max(1);
    xs.extend((0..5000).map(|k| k * step).filter(|&x| x <= hi));
    xs
}

#[test]
fn magic_division_equals_plain_division_for_i32_dividends() {
    let hi = i128::from(i32::MAX);
    let xs = dividends(hi);
    for d in (2..=1200).chain([641, 1_000_003, 65_537, 2_147_483_647, 1 << 30 | 1]) {
        let (m, s) = magic(d, hi, 32).unwrap_or_else(|| panic!("no magic for {d}"));
        for &x in &xs {
            assert_eq!(reduced(x, m, s, DType::U32), x / d, "{x} / {d}");
        }
    }
}

#[test]
fn magic_division_equals_plain_division_for_i64_dividends() {
    let hi = i128::from(i64::MAX);
    let xs = dividends(hi);
    for d in [
        3,
        7,
        10,
        641,
        1_000_000_007,
        i128::from(i64::MAX),
        (1 << 40) + 3,
    ] {
        let (m, s) = magic(d, hi, 64).unwrap_or_else(|| panic!("no magic for {d}"));
        for &x in &xs {
            assert_eq!(reduced(x, m, s, DType::U64), x / d, "{x} / {d}");
        }
    }
}

#[test]
fn a_small_range_allows_a_multiplier_that_fits_signed_i32() {
    // Dividends below 2^16 need fewer multiplier bits: m < 2^31, so signed mulhi works.
    let hi = (1 << 16) - 1;
    for d in [3, 5, 7, 100, 1000] {
        let (m, s) = magic(d, hi, 32).unwrap();
        assert!(m < 1 << 31, "{d}: m = {m}");
        for x in 0..=hi {
            assert_eq!(mulhi(x, m, DType::I32) >> s, x / d, "{x} / {d}");
        }
    }
}

#[test]
fn mulhi_is_the_high_half_of_the_exact_product() {
    assert_eq!(mulhi(-1, -1, DType::I32), 0);
    assert_eq!(mulhi(-1, 1, DType::I32), -1);
    assert_eq!(
        mulhi(i128::from(i32::MIN), i128::from(i32::MIN), DType::I32),
        1 << 30
    );
    assert_eq!(
        mulhi(i128::from(u32::MAX), i128::from(u32::MAX), DType::U32),
        i128::from(u32::MAX - 1)
    );
    let big = i128::from(u64::MAX);
    assert_eq!(mulhi(big, big, DType::U64), big - 1);
    assert_eq!(mulhi(i128::from(i64::MIN), 2, DType::I64), -1);
}

#[test]
fn rebuilding_without_a_rewrite_gives_the_same_text() {
    let source = "kernel k(a: global f32[64] read_write)\n  grid [1, 1, 1] workgroup [64, 1, 1] subgroup 32\n{\n  v0: i32 = local_id.x\n  v1: f32 = load a[v0]\n  v2: i32 = const 0\n  v3: i32 = const 2\n  for v4: i32 in v2..v3 {\n    v5: bool = cmplt v4, v0\n    if v5 {\n      store a[v0] = v1\n    } else {\n      v6: f32 = add v1, v1\n    }\n  }\n}\n";
    let kernel = text::parse(source).unwrap();
    assert_eq!(print(&copy(&kernel).unwrap()), source);
}

#[test]
fn licm_and_cse_share_a_step_only_when_both_run() {
    use KernelPass::*;
    let plan = |off: &[KernelPass]| Step::plan(|p| !off.contains(&p));
    assert_eq!(
        plan(&[]),
        [
            Step::One(Fold),
            Step::One(StrengthReduce),
            Step::LicmCse,
            Step::One(Dce)
        ]
    );
    assert_eq!(plan(&[Fold, StrengthReduce, Dce]), [Step::LicmCse]);
    assert_eq!(plan(&[Licm]).last(), Some(&Step::One(Dce)));
    assert!(plan(&[Licm]).contains(&Step::One(Cse)));
    assert!(plan(&[Cse]).contains(&Step::One(Licm)));
    assert!(!plan(&[Cse]).contains(&Step::LicmCse));
    // -v still reports LICM and CSE one by one (LICM keeps the count).
    assert_eq!(
        Step::LicmCse.counts(10, 7),
        [("licm", 10, 10), ("cse", 10, 7)]
    );
}

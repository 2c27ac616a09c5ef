//! `ds_swizzle_b32` offsets: the 16-bit pattern and LLVM's `swizzle(...)` spelling.
//! Bit 15 set with bits 14:8 clear is a quad permutation (2 bits per lane); bit 15
//! clear is a bitmask permutation: and-mask bits 4:0, or-mask bits 9:5, xor-mask bits 14:10.

const FULL: u16 = 0x1f;

/// The text after `offset:`, or None where LLVM prints a form not modelled here
/// (a general BITMASK_PERM pattern). Offset 0 prints no `offset:` at all (Some("")).
pub fn print(imm: u16) -> Option<String> {
    if imm == 0 {
        return Some(String::new());
    }
    if imm & 0xff00 == 0x8000 {
        let lanes: Vec<String> = (0..4).map(|i| ((imm >> (2 * i)) & 3).to_string()).collect();
        return Some(format!("swizzle(QUAD_PERM,{})", lanes.join(",")));
    }
    if imm & 0x8000 != 0 {
        return Some(imm.to_string());
    }
    let and = imm & FULL;
    let or = (imm >> 5) & FULL;
    let xor = (imm >> 10) & FULL;
    if and == FULL && or == 0 && xor.count_ones() == 1 {
        return Some(format!("swizzle(SWAP,{xor})"));
    }
    if and == FULL && or == 0 && xor > 0 && (xor + 1).is_power_of_two() {
        return Some(format!("swizzle(REVERSE,{})", xor + 1));
    }
    let group = FULL - and + 1;
    if group > 1 && group.is_power_of_two() && or < group && xor == 0 {
        return Some(format!("swizzle(BROADCAST,{group},{or})"));
    }
    None
}

/// Parses what `print` writes back to the offset.
pub fn parse(text: &str) -> Option<u16> {
    let Some(body) = text
        .strip_prefix("swizzle(")
        .and_then(|t| t.strip_suffix(')'))
    else {
        return text.parse().ok();
    };
    let mut parts = body.split(',');
    let kind = parts.next()?;
    let nums: Vec<u16> = parts.map(|p| p.parse().ok()).collect::<Option<_>>()?;
    match (kind, nums.as_slice()) {
        ("QUAD_PERM", [a, b, c, d]) if [a, b, c, d].iter().all(|v| **v < 4) => {
            Some(0x8000 | a | (b << 2) | (c << 4) | (d << 6))
        }
        ("SWAP", [x]) if x.count_ones() == 1 && *x <= 16 => Some(FULL | (x << 10)),
        ("REVERSE", [n]) if n.is_power_of_two() && (2..=32).contains(n) => {
            Some(FULL | ((n - 1) << 10))
        }
        ("BROADCAST", [g, lane]) if g.is_power_of_two() && (2..=32).contains(g) && lane < g => {
            Some((FULL + 1 - g) | (lane << 5))
        }
        _ => None,
    }
}

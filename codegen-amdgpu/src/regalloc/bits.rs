//! A set of up to 256 registers as bits, with the searches the scan needs: the first
//! aligned run of set bits, in a few word operations rather than a walk over the file.

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Bits([u64; 4]);

impl Bits {
    pub fn set(&mut self, r: usize, on: bool) {
        if r < 256 {
            let bit = 1u64 << (r % 64);
            if on {
                self.0[r / 64] |= bit;
            } else {
                self.0[r / 64] &= !bit;
            }
        }
    }

    /// The first register at or after `p` whose bit is `on`.
    fn next(&self, p: usize, on: bool) -> Option<usize> {
        let word = |w: usize| if on { self.0[w] } else { !self.0[w] };
        let mut w = p / 64;
        let mut bits = word(w.min(3)) & (!0u64 << (p % 64));
        while w < 4 {
            if bits != 0 {
                return Some(w * 64 + bits.trailing_zeros() as usize);
            }
            w += 1;
            bits = if w < 4 { word(w) } else { 0 };
        }
        None
    }

    /// The first `align`-aligned run of `n` set bits ending at or below `len`.
    pub fn find_run(&self, n: usize, align: usize, len: usize) -> Option<usize> {
        let mut p = 0;
        loop {
            let c = self.next(p, true)?.next_multiple_of(align.max(1));
            if c + n > len {
                return None;
            }
            match self.next(c, false) {
                // A clear bit inside the run: look past it.
                Some(z) if z < c + n => p = z + 1,
                _ => return Some(c),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The same search, register by register.
    fn slow(b: &Bits, n: usize, align: usize, len: usize) -> Option<usize> {
        let on = |r: usize| r < 256 && b.0[r / 64] >> (r % 64) & 1 == 1;
        (0..len.saturating_sub(n) + 1)
            .step_by(align)
            .find(|&c| c + n <= len && (c..c + n).all(on))
    }

    #[test]
    fn runs_match_a_walk() {
        let mut x = 0x9e37_79b9_7f4a_7c15u64;
        for _ in 0..2000 {
            let mut b = Bits::default();
            for w in &mut b.0 {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                *w = x | (x >> 3); // mostly set, so long runs exist
            }
            for (n, align, len) in [
                (1, 1, 256),
                (2, 2, 106),
                (4, 4, 106),
                (3, 1, 256),
                (16, 4, 106),
                (8, 1, 256),
            ] {
                assert_eq!(
                    b.find_run(n, align, len),
                    slow(&b, n, align, len),
                    "{b:?} {n} {align} {len}"
                );
            }
        }
    }
}

//! Executes the instructions a warp-cooperative lowering recorded, on 32 simulated lanes and
//! a shared-memory byte array. It knows exactly the instructions the lowerings and the test
//! sink write (anything else fails the test), with their PTX ISA semantics; `ldmatrix` and
//! `mma` follow the layouts in [`super::isa`].

use std::collections::BTreeMap;

use super::isa;

/// The register file of every lane (raw bits; predicates are 0/1) and the shared memory.
pub(crate) struct Warp {
    regs: Vec<BTreeMap<String, u64>>,
    pub shared: Vec<u8>,
}

/// Splits `a, {b, c}, [d+4]` at the commas outside braces and brackets.
fn operands(text: &str) -> Vec<String> {
    let (mut out, mut cur, mut depth) = (Vec::new(), String::new(), 0);
    for ch in text.chars() {
        match ch {
            '{' | '[' => depth += 1,
            '}' | ']' => depth -= 1,
            _ => {}
        }
        if ch == ',' && depth == 0 {
            out.push(cur.trim().to_string());
            cur.clear();
        } else {
            cur.push(ch);
        }
    }
    if !cur.trim().is_empty() {
        out.push(cur.trim().to_string());
    }
    out
}

/// The registers of a `{a, b}` vector operand.
fn vector(text: &str) -> Vec<String> {
    let inner = text.trim().trim_start_matches('{').trim_end_matches('}');
    inner.split(',').map(|s| s.trim().to_string()).collect()
}

fn f32_of(bits: u64) -> f32 {
    f32::from_bits(bits as u32)
}

fn f64_of(bits: u64) -> f64 {
    f64::from_bits(bits)
}

impl Warp {
    pub(crate) fn new(shared_bytes: usize) -> Warp {
        Warp {
            regs: vec![BTreeMap::new(); 32],
            shared: vec![0; shared_bytes],
        }
    }

    pub(crate) fn set(&mut self, lane: usize, reg: &str, bits: u64) {
        self.regs[lane].insert(reg.to_string(), bits);
    }

    pub(crate) fn get(&self, lane: usize, reg: &str) -> u64 {
        match self.regs[lane].get(reg) {
            Some(v) => *v,
            None => panic!("lane {lane}: {reg} read before it is written"),
        }
    }

    /// An operand's value on `lane`: a register, `%laneid`, `smem`, an integer or a `0f` f32.
    fn value(&self, lane: usize, text: &str) -> u64 {
        if text == "%laneid" {
            lane as u64
        } else if text == "smem" {
            // The test kernel's one shared array starts the simulated shared memory.
            0
        } else if text.starts_with('%') {
            self.get(lane, text)
        } else if let Some(hex) = text.strip_prefix("0f") {
            u64::from(u32::from_str_radix(hex, 16).expect("0f constant"))
        } else if let Some(hex) = text.strip_prefix("0x") {
            u64::from_str_radix(hex, 16).expect("hex constant")
        } else {
            text.parse::<i64>().expect("integer operand") as u64
        }
    }

    /// `[reg]` or `[reg+imm]` on `lane`.
    fn address(&self, lane: usize, text: &str) -> usize {
        let inner = text.trim().trim_start_matches('[').trim_end_matches(']');
        let (reg, imm) = inner.split_once('+').unwrap_or((inner, "0"));
        (self.get(lane, reg.trim()) + imm.trim().parse::<u64>().expect("offset")) as usize
    }

    pub(crate) fn run(&mut self, lines: &[String]) {
        for line in lines {
            self.step(line);
        }
    }

    fn step(&mut self, line: &str) {
        let (op, rest) = line.split_once(' ').unwrap_or((line, ""));
        let ops = operands(rest);
        match op {
            "bar.warp.sync" => assert_eq!(ops, ["-1"], "{line}"),
            "shfl.sync.bfly.b32" => self.shfl(&ops, line),
            "mov.b64" => self.mov64(&ops),
            _ if op.starts_with("ldmatrix.") => self.ldmatrix(op, &ops, line),
            _ if op.starts_with("mma.") => self.mma(op, &ops, line),
            "ld.shared.v2.f32" => self.pairs(&ops[1], &ops[0], true),
            "st.shared.v2.f32" => self.pairs(&ops[0], &ops[1], false),
            _ => {
                for lane in 0..32 {
                    let v: Vec<u64> = ops[1..].iter().map(|o| self.value(lane, o)).collect();
                    let r = alu(op, &v).unwrap_or_else(|| panic!("warp model: unknown `{line}`"));
                    self.set(lane, &ops[0], r);
                }
            }
        }
    }

    /// `shfl.sync.bfly.b32 d, a, b, c, membermask`: d = a of lane (laneid ^ b). With c = 31
    /// the whole warp is one segment (PTX ISA "shfl.sync": maxLane = (laneid & segmask) |
    /// (c & ~segmask), segmask = c >> 8 = 0), and every source lane is inside it.
    fn shfl(&mut self, ops: &[String], line: &str) {
        assert_eq!(ops[3..], ["31", "-1"], "{line}");
        let src: Vec<u64> = (0..32)
            .map(|lane| {
                let offset = self.value(lane, &ops[2]) as usize;
                self.get(lane ^ (offset & 31), &ops[1])
            })
            .collect();
        for (lane, v) in src.into_iter().enumerate() {
            self.set(lane, &ops[0], v & 0xffff_ffff);
        }
    }

    /// `mov.b64 {lo, hi}, x` and `mov.b64 x, {lo, hi}`.
    fn mov64(&mut self, ops: &[String]) {
        for lane in 0..32 {
            if ops[0].starts_with('{') {
                let (v, halves) = (self.value(lane, &ops[1]), vector(&ops[0]));
                self.set(lane, &halves[0], v & 0xffff_ffff);
                self.set(lane, &halves[1], v >> 32);
            } else if ops[1].starts_with('{') {
                let halves = vector(&ops[1]);
                let v = self.get(lane, &halves[0]) | (self.get(lane, &halves[1]) << 32);
                self.set(lane, &ops[0], v);
            } else {
                let v = self.value(lane, &ops[1]);
                self.set(lane, &ops[0], v);
            }
        }
    }

    /// `ldmatrix.sync.aligned.m8n8.x4{.trans}.shared.b16 {d0..d3}, [a]`: matrix m's row r
    /// comes from the address of lane 8m + r; each lane's register m gets its two elements
    /// of matrix m as laid out by [`isa::ldmatrix`] (the first in the low half).
    fn ldmatrix(&mut self, op: &str, ops: &[String], line: &str) {
        let trans = match op {
            "ldmatrix.sync.aligned.m8n8.x4.shared.b16" => false,
            "ldmatrix.sync.aligned.m8n8.x4.trans.shared.b16" => true,
            _ => panic!("warp model: unknown `{line}`"),
        };
        let dst = vector(&ops[0]);
        let rows: Vec<usize> = (0..32).map(|lane| self.address(lane, &ops[1])).collect();
        for row_addr in &rows {
            // "When reading 8x8 matrices, a group of four consecutive threads loads 16 bytes.
            // The matrix addresses must be naturally aligned accordingly."
            assert_eq!(
                row_addr % 16,
                0,
                "{line}: row address {row_addr} not 16-byte aligned"
            );
        }
        for lane in 0..32 {
            for (m, reg) in dst.iter().enumerate() {
                let mut bits = 0u64;
                for j in 0..2 {
                    let (r, c) = isa::ldmatrix(lane, j, trans);
                    let at = rows[isa::ldmatrix_address_lane(m, r)] + 2 * c;
                    let half = u16::from_le_bytes([self.shared[at], self.shared[at + 1]]);
                    bits |= u64::from(half) << (16 * j);
                }
                self.set(lane, reg, bits);
            }
        }
    }

    /// `mma.sync.aligned.m16n8k16.row.col.f32.T.T.f32 {d}, {a}, {b}, {c}`: the warp's A
    /// (16×16), B (16×8) and C (16×8) assembled from the lanes' registers by the ISA layouts,
    /// D = C + A·B per element (exact sum, one rounding to f32), scattered back by C's layout.
    fn mma(&mut self, op: &str, ops: &[String], line: &str) {
        let value: fn(u16) -> f64 = match op {
            "mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32" => isa::f16_value,
            "mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32" => isa::bf16_value,
            _ => panic!("warp model: unknown `{line}`"),
        };
        let (d, a, b, c) = (
            vector(&ops[0]),
            vector(&ops[1]),
            vector(&ops[2]),
            vector(&ops[3]),
        );
        let mut ma = [[None::<f64>; 16]; 16];
        let mut mb = [[None::<f64>; 8]; 16];
        let mut mc = [[None::<f64>; 8]; 16];
        for lane in 0..32 {
            for i in 0..8 {
                let bits = (self.get(lane, &a[i / 2]) >> (16 * (i % 2))) as u16;
                let (r, k) = isa::mma_a(lane, i);
                assert!(ma[r][k].replace(value(bits)).is_none(), "A({r},{k}) twice");
            }
            for i in 0..4 {
                let bits = (self.get(lane, &b[i / 2]) >> (16 * (i % 2))) as u16;
                let (k, n) = isa::mma_b(lane, i);
                assert!(mb[k][n].replace(value(bits)).is_none(), "B({k},{n}) twice");
                let (r, n) = isa::mma_c(lane, i);
                let cv = f64::from(f32_of(self.get(lane, &c[i])));
                assert!(mc[r][n].replace(cv).is_none(), "C({r},{n}) twice");
            }
        }
        for lane in 0..32 {
            for (i, reg) in d.iter().enumerate() {
                let (r, n) = isa::mma_c(lane, i);
                let sum: f64 = (0..16).map(|k| el(ma[r][k]) * el(mb[k][n])).sum();
                let out = (el(mc[r][n]) + sum) as f32;
                self.set(lane, reg, u64::from(out.to_bits()));
            }
        }
    }

    /// `ld/st.shared.v2.f32`: two adjacent f32 at `[addr]` to or from `{x, y}`.
    fn pairs(&mut self, addr: &str, regs: &str, load: bool) {
        let regs = vector(regs);
        for lane in 0..32 {
            let at = self.address(lane, addr);
            assert_eq!(at % 8, 0, "v2.f32 access at {at} not 8-byte aligned");
            for (j, reg) in regs.iter().enumerate() {
                let range = at + 4 * j..at + 4 * j + 4;
                if load {
                    let bytes: [u8; 4] = self.shared[range].try_into().expect("4 bytes");
                    self.set(lane, reg, u64::from(u32::from_le_bytes(bytes)));
                } else {
                    let v = self.get(lane, reg) as u32;
                    self.shared[range].copy_from_slice(&v.to_le_bytes());
                }
            }
        }
    }
}

/// An element every layout must have provided.
fn el(v: Option<f64>) -> f64 {
    v.expect("element not provided by any lane")
}

/// Per-lane instructions: the result bits from the source operands' bits.
fn alu(op: &str, v: &[u64]) -> Option<u64> {
    let u32s = |x: u64| x as u32;
    let r = match op {
        "mov.u32" | "mov.b32" | "mov.f32" => v[0] & 0xffff_ffff,
        "shr.u32" => u64::from(u32s(v[0]) >> (v[1] & 31)),
        "and.b32" => v[0] & v[1] & 0xffff_ffff,
        "mad.lo.u32" => u64::from(u32s(v[0]).wrapping_mul(u32s(v[1])).wrapping_add(u32s(v[2]))),
        "cvt.u32.u16" | "cvt.u16.u32" => v[0] & 0xffff,
        "add.rn.f32" => u64::from((f32_of(v[0]) + f32_of(v[1])).to_bits()),
        "mul.rn.f32" => u64::from((f32_of(v[0]) * f32_of(v[1])).to_bits()),
        "max.f32" => u64::from(f32_of(v[0]).max(f32_of(v[1])).to_bits()),
        "min.f32" => u64::from(f32_of(v[0]).min(f32_of(v[1])).to_bits()),
        "add.rn.f64" => (f64_of(v[0]) + f64_of(v[1])).to_bits(),
        "add.u64" | "add.s64" => v[0].wrapping_add(v[1]),
        "max.s16" => (v[0] as u16 as i16).max(v[1] as u16 as i16) as u16 as u64,
        "min.u16" => u64::from((v[0] as u16).min(v[1] as u16)),
        "add.s32" | "add.u32" => u64::from(u32s(v[0]).wrapping_add(u32s(v[1]))),
        _ => return None,
    };
    Some(r)
}

//! Random kernels in `.kir` text over the core families: f32/i32/bool arithmetic,
//! compares, `where`, loads at in-bounds indices, per-lane and uniform `if`s and loops
//! nested up to three deep, accumulators updated anywhere, masked stores. Every index is
//! masked into range, loop trip counts are small, so every kernel is valid and runs.

use egpu_ir::interp::SplitMix64;
use std::fmt::Write;

pub struct Gen {
    rng: SplitMix64,
    out: String,
    next: u32,
    /// Visible values per open block: (name, type).
    scopes: Vec<Vec<(String, &'static str)>>,
    budget: u32,
}

impl Gen {
    fn pick(&mut self, n: usize) -> usize {
        (self.rng.next() % n as u64) as usize
    }

    fn chance(&mut self, pct: u64) -> bool {
        self.rng.next() % 100 < pct
    }

    fn indent(&self) -> String {
        "  ".repeat(self.scopes.len())
    }

    fn visible(&self, ty: &str) -> Vec<String> {
        self.scopes
            .iter()
            .flatten()
            .filter(|(_, t)| *t == ty)
            .map(|(n, _)| n.clone())
            .collect()
    }

    fn any(&mut self, ty: &str) -> String {
        let v = self.visible(ty);
        let i = self.pick(v.len());
        v[i].clone()
    }

    fn let_(&mut self, ty: &'static str, expr: String) -> String {
        let name = format!("v{}", self.next);
        self.next += 1;
        let ind = self.indent();
        let _ = writeln!(self.out, "{ind}{name}: {ty} = {expr}");
        if let Some(s) = self.scopes.last_mut() {
            s.push((name.clone(), ty));
        }
        name
    }

    fn line(&mut self, text: &str) {
        let ind = self.indent();
        let _ = writeln!(self.out, "{ind}{text}");
    }

    /// An in-bounds index into a 64-element buffer.
    fn index(&mut self) -> String {
        let a = self.any("i32");
        self.let_("i32", format!("and {a}, c63"))
    }

    fn f32_value(&mut self) {
        let e = match self.pick(9) {
            8 => return self.vector_load(),
            0..=2 => {
                let op = ["add", "sub", "mul", "max", "min"][self.pick(5)];
                format!("{op} {}, {}", self.any("f32"), self.any("f32"))
            }
            3 => format!(
                "fma {}, {}, {}",
                self.any("f32"),
                self.any("f32"),
                self.any("f32")
            ),
            4 => format!("{} {}", ["neg", "trunc"][self.pick(2)], self.any("f32")),
            5 => {
                let i = self.index();
                format!("load x[{i}]")
            }
            6 => format!(
                "where {}, {}, {}",
                self.any("bool"),
                self.any("f32"),
                self.any("f32")
            ),
            _ => "read facc".to_string(),
        };
        self.let_("f32", e);
    }

    fn i32_value(&mut self) {
        let e = match self.pick(7) {
            0..=2 => {
                let ops = [
                    "add", "sub", "mul", "max", "min", "and", "or", "xor", "shl", "shr",
                ];
                let op = ops[self.pick(ops.len())];
                format!("{op} {}, {}", self.any("i32"), self.any("i32"))
            }
            3 => format!("mulhi {}, {}", self.any("i32"), self.any("i32")),
            4 => format!("{} {}", ["neg", "not"][self.pick(2)], self.any("i32")),
            5 => {
                let i = self.index();
                format!("load xi[{i}]")
            }
            _ => "read iacc".to_string(),
        };
        self.let_("i32", e);
    }

    fn bool_value(&mut self) {
        let e = match self.pick(4) {
            0 => {
                let op = ["cmplt", "cmpeq", "cmpne"][self.pick(3)];
                format!("{op} {}, {}", self.any("f32"), self.any("f32"))
            }
            1 => {
                let op = ["cmplt", "cmpeq", "cmpne"][self.pick(3)];
                format!("{op} {}, {}", self.any("i32"), self.any("i32"))
            }
            2 => {
                let op = ["and", "or", "xor", "cmpeq", "cmpne"][self.pick(5)];
                format!("{op} {}, {}", self.any("bool"), self.any("bool"))
            }
            _ => format!("not {}", self.any("bool")),
        };
        self.let_("bool", e);
    }

    /// An aligned 4-wide index: `(v & 15) * 4`.
    fn index4(&mut self) -> String {
        let a = self.any("i32");
        let k = self.let_("i32", format!("and {a}, c15"));
        self.let_("i32", format!("mul {k}, c4"))
    }

    /// A mask: one bool, or one per element of a 4-wide access.
    fn mask4(&mut self) -> String {
        if self.chance(50) {
            self.any("bool")
        } else {
            let b: Vec<String> = (0..4).map(|_| self.any("bool")).collect();
            self.let_("boolx4", format!("vec {}", b.join(", ")))
        }
    }

    /// `f32x4` load (maybe masked), one element extracted as an f32 value.
    fn vector_load(&mut self) {
        let k = self.index4();
        let m = if self.chance(50) {
            format!(" mask {}", self.mask4())
        } else {
            String::new()
        };
        let v = self.let_("f32x4", format!("load x[{k}]{m}"));
        let lane = self.pick(4);
        self.let_("f32", format!("extract {v}, {lane}"));
    }

    /// A 4-wide store, or loads and stores of 1- and 2-byte elements and bools.
    fn memory(&mut self) {
        match self.pick(4) {
            0 => {
                let f: Vec<String> = (0..4).map(|_| self.any("f32")).collect();
                let v = self.let_("f32x4", format!("vec {}", f.join(", ")));
                // Each lane its own elements: lanes storing to one element would race.
                let k = self.let_("i32", "mul i, c4".to_string());
                let m = if self.chance(50) {
                    format!(" mask {}", self.mask4())
                } else {
                    String::new()
                };
                self.line(&format!("store y4[{k}] = {v}{m}"));
            }
            1 => {
                let i = self.index();
                let v = self.let_("i8", format!("load xb[{i}]"));
                self.line(&format!("store yb[i] = {v}"));
            }
            2 => {
                let i = self.index();
                let v = self.let_("f16", format!("load xh[{i}]"));
                self.line(&format!("store yh[i] = {v}"));
            }
            _ => {
                let i = self.index();
                self.let_("bool", format!("load xq[{i}]"));
                let b = self.any("bool");
                self.line(&format!("store yq[i] = {b}"));
            }
        }
    }

    /// An i64 loop whose variable indexes a load.
    fn wide_for(&mut self, depth: u32) {
        let lo = self.pick(3);
        let hi = self.pick(40);
        let lo = self.let_("i64", format!("const {lo}"));
        let hi = if self.chance(50) {
            self.let_("i64", format!("const {hi}"))
        } else {
            "m64".to_string()
        };
        let step = 1 + self.pick(9);
        let var = format!("v{}", self.next);
        self.next += 1;
        self.line(&format!("for {var}: i64 in {lo}..{hi} step {step} {{"));
        self.scopes.push(Vec::new());
        self.let_("f32", format!("load x[{var}]"));
        self.block(depth + 1);
        self.scopes.pop();
        self.line("}");
    }

    fn update(&mut self) {
        if self.chance(50) {
            let op = ["sum", "max", "min", "prod"][self.pick(4)];
            let v = self.any("f32");
            if self.chance(20) {
                self.line(&format!("facc = {v}"));
            } else {
                self.line(&format!("facc = {op} facc, {v}"));
            }
        } else {
            let op = ["sum", "max", "min"][self.pick(3)];
            let v = self.any("i32");
            self.line(&format!("iacc = {op} iacc, {v}"));
        }
    }

    fn block(&mut self, depth: u32) {
        let n = 1 + self.pick(6);
        for _ in 0..n {
            if self.budget == 0 {
                return;
            }
            self.budget -= 1;
            match self.pick(12) {
                0..=2 => self.f32_value(),
                3 => self.i32_value(),
                4 => self.bool_value(),
                5 | 6 => self.update(),
                7 if depth < 3 => self.if_(depth),
                8 if depth < 3 => self.for_(depth),
                9 if depth < 3 && self.chance(30) => self.wide_for(depth),
                10 => self.memory(),
                _ => {
                    let v = self.any("f32");
                    if self.chance(50) {
                        let m = self.any("bool");
                        self.line(&format!("store y[i] = {v} mask {m}"));
                    } else {
                        self.line(&format!("store y[i] = {v}"));
                    }
                }
            }
        }
    }

    fn if_(&mut self, depth: u32) {
        // Uniform conditions too: compares of uniform values.
        let c = if self.chance(40) {
            self.let_("bool", "cmplt g, m".to_string())
        } else {
            self.any("bool")
        };
        self.line(&format!("if {c} {{"));
        self.scopes.push(Vec::new());
        self.block(depth + 1);
        self.scopes.pop();
        if self.chance(50) {
            self.line("} else {");
            self.scopes.push(Vec::new());
            self.block(depth + 1);
            self.scopes.pop();
        }
        self.line("}");
    }

    fn for_(&mut self, depth: u32) {
        // Start: a constant or the lane's low bits (per-lane); end: a constant or the
        // parameter (uniform), at most 12 iterations either way.
        let lo = if self.chance(50) {
            let c = self.pick(3);
            self.let_("i32", format!("const {c}"))
        } else {
            self.let_("i32", "and i, c7".to_string())
        };
        let hi = if self.chance(50) {
            let c = self.pick(12);
            self.let_("i32", format!("const {c}"))
        } else {
            "m".to_string()
        };
        let step = 1 + self.pick(3);
        let var = format!("v{}", self.next);
        self.next += 1;
        self.line(&format!("for {var}: i32 in {lo}..{hi} step {step} {{"));
        self.scopes.push(vec![(var, "i32")]);
        self.block(depth + 1);
        self.scopes.pop();
        self.line("}");
    }
}

/// A random kernel; `n` (its scalar parameter) should be small (loops run to it). Two
/// workgroups store to the same elements: the interpreter and the simulator both run
/// workgroup 0 then 1, so the second's values are the result.
pub fn kernel(seed: u64) -> String {
    let mut g = Gen {
        rng: SplitMix64(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) ^ 0x5eed),
        out: String::new(),
        next: 0,
        scopes: vec![Vec::new()],
        budget: 40,
    };
    let lanes = [32, 64, 48][g.pick(3)];
    let _ = writeln!(
        g.out,
        "kernel rnd{seed}(x: global f32[64] read, xi: global i32[64] read, xb: global i8[64] read, xh: global f16[64] read, xq: global bool[64] read, y: global f32[64] write, yi: global i32[64] write, y4: global f32[256] write, yb: global i8[64] write, yh: global f16[64] write, yq: global bool[64] write, n: i32, n64: i64)\n  grid [2, 1, 1] workgroup [{lanes}, 1, 1] subgroup 32\n{{"
    );
    let head = [
        ("i", "i32", "local_id.x"),
        ("g", "i32", "workgroup_id.x"),
        ("m", "i32", "param n"),
        ("c63", "i32", "const 63"),
        ("c7", "i32", "const 7"),
        ("c15", "i32", "const 15"),
        ("c4", "i32", "const 4"),
        ("m64", "i64", "param n64"),
        ("f1", "f32", "const 1.5"),
        ("f0", "f32", "const -0.0"),
        ("b0", "bool", "cmplt i, c7"),
        ("xa", "f32", "load x[i]"),
    ];
    for (name, ty, e) in head {
        let _ = writeln!(g.out, "  {name}: {ty} = {e}");
        g.scopes[0].push((name.to_string(), ty));
    }
    g.out
        .push_str("  facc: f32 = init xa\n  iacc: i32 = init i\n");
    // Top-level statements until the budget is spent (each block takes 1-6).
    for _ in 0..20 {
        if g.budget == 0 {
            break;
        }
        g.block(0);
    }
    g.out
        .push_str("  rf: f32 = read facc\n  ri: i32 = read iacc\n");
    g.out.push_str("  store y[i] = rf\n  store yi[i] = ri\n}\n");
    g.out
}

//! Uniformity analysis: which kernel-IR values are equal on every lane of a wave (they can
//! live in SGPRs and steer scalar branches). One forward walk: constants, parameters,
//! workgroup ids and values computed only from uniform values are uniform; local ids along
//! an axis of more than one lane, and loads at per-lane indices, are not. Subgroup
//! reductions are uniform (every lane of the wave gets the same result; a wave is a
//! subgroup), and so are loads at a uniform index. A loop variable is uniform when both
//! bounds are. An accumulator is uniform when its `init` and every update use uniform values
//! under uniform control (every enclosing `if` condition and loop bound uniform).
//!
//! Accumulator reads may come before the updates that make the accumulator per-lane (in a
//! loop), so the walk repeats until no accumulator changes: each extra pass turns at least
//! one accumulator per-lane, so there are at most `accumulators + 1` passes.

use cranelift_entity::EntityRef;
use egpu_ir::kernel::{Expr, Kernel, Stmt};

/// Per value (by `ValueId` index), whether it is uniform; per accumulator likewise.
#[derive(Clone, Debug, Default)]
pub struct Uniformity {
    pub values: Vec<bool>,
    pub accs: Vec<bool>,
}

impl Uniformity {
    pub fn value(&self, v: egpu_ir::kernel::ValueId) -> bool {
        self.values.get(v.index()).copied().unwrap_or(false)
    }

    pub fn acc(&self, a: egpu_ir::kernel::AccId) -> bool {
        self.accs.get(a.index()).copied().unwrap_or(false)
    }
}

/// Computes the uniformity of every value and accumulator of `kernel`.
pub fn analyze(kernel: &Kernel) -> Uniformity {
    let mut n_accs = 0;
    walk(kernel.body(), true, &mut |s, _| {
        if let Stmt::InitAcc { acc, .. } = s {
            n_accs = n_accs.max(acc.index() + 1);
        }
        true
    });
    let mut u = Uniformity {
        values: vec![true; kernel.values().len()],
        accs: vec![true; n_accs],
    };
    loop {
        let before = u.accs.clone();
        pass(kernel, &mut u);
        if u.accs == before {
            return u;
        }
    }
}

/// Calls `f(stmt, control)` on every statement in program order (iteratively), where
/// `control` is the flag of the block the statement lies in: `init` for the body, and
/// for a nested block what `f` returned for the statement opening it.
pub(super) fn walk<'k>(body: &'k [Stmt], init: bool, f: &mut impl FnMut(&'k Stmt, bool) -> bool) {
    let mut stack: Vec<(std::slice::Iter<'k, Stmt>, bool)> = vec![(body.iter(), init)];
    while let Some((top, flag)) = stack.last_mut() {
        let flag = *flag;
        let Some(s) = top.next() else {
            stack.pop();
            continue;
        };
        let inner = f(s, flag);
        match s {
            Stmt::Loop(l) => stack.push((l.body.iter(), inner)),
            Stmt::If {
                then_body,
                else_body,
                ..
            } => {
                // The else-body runs after the then-body: push it first.
                stack.push((else_body.iter(), inner));
                stack.push((then_body.iter(), inner));
            }
            _ => {}
        }
    }
}

/// One forward pass: values from the current accumulator facts, accumulators narrowed.
fn pass(kernel: &Kernel, u: &mut Uniformity) {
    walk(kernel.body(), true, &mut |s, here| match s {
        Stmt::Let(v) => {
            let uniform = kernel
                .value(*v)
                .is_some_and(|val| expr_uniform(kernel, &val.expr, u));
            set(&mut u.values, v.index(), uniform);
            here
        }
        Stmt::Loop(l) => {
            let bounds = u.value(l.start) && u.value(l.end);
            set(&mut u.values, l.var.index(), bounds);
            here && bounds
        }
        Stmt::If { cond, .. } => here && u.value(*cond),
        Stmt::InitAcc { acc, init } => {
            let uniform = here && u.value(*init) && u.acc(*acc);
            set(&mut u.accs, acc.index(), uniform);
            here
        }
        Stmt::UpdateAcc { acc, value, .. } => {
            if !(here && u.value(*value)) {
                set(&mut u.accs, acc.index(), false);
            }
            here
        }
        _ => here,
    });
}

fn set(v: &mut [bool], i: usize, x: bool) {
    if let Some(slot) = v.get_mut(i) {
        *slot = x;
    }
}

fn expr_uniform(kernel: &Kernel, e: &Expr, u: &Uniformity) -> bool {
    match e {
        Expr::WorkgroupId(_) | Expr::Const(_) | Expr::Param(_) | Expr::SubgroupReduce { .. } => {
            true
        }
        Expr::LocalId(axis) => kernel.launch().workgroup[axis.index()] == 1,
        // Set by the loop statement itself.
        Expr::LoopVar => true,
        Expr::ReadAcc(a) => u.acc(*a),
        _ => e.each_operand().all(|v| u.value(v)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use egpu_ir::kernel::text;

    fn names(src: &str) -> (Uniformity, Vec<bool>) {
        let k = text::parse(src).expect("valid kernel");
        let u = analyze(&k);
        let values = u.values.clone();
        (u, values)
    }

    #[test]
    fn launch_ids_constants_and_derived_values() {
        // v0 wg.x, v1 local.x (64 lanes), v2 local.y (extent 1), v3 const, v4 = v0 * v3,
        // v5 = v1 + v4, v6 = v2 + v4.
        let src = "kernel k(x: global f32[64] read)
  grid [2, 1, 1] workgroup [64, 1, 1] subgroup 32
{
  a: i32 = workgroup_id.x
  b: i32 = local_id.x
  c: i32 = local_id.y
  d: i32 = const 3
  e: i32 = mul a, d
  f: i32 = add b, e
  g: i32 = add c, e
}
";
        let (_, v) = names(src);
        assert_eq!(v, [true, false, true, true, true, false, true]);
    }

    #[test]
    fn loads_loops_and_reductions() {
        // A load at a uniform index is uniform, at a per-lane index not; a loop variable
        // follows its bounds; a subgroup reduction is uniform within the wave.
        let src = "kernel k(x: global f32[64] read, n: i32)
  grid [1, 1, 1] workgroup [64, 1, 1] subgroup 32
{
  a: i32 = param n
  b: f32 = load x[a]
  c: i32 = local_id.x
  d: f32 = load x[c]
  e: f32 = subgroup_sum d
  z: i32 = const 0
  for i: i32 in z..a {
    f: i32 = add i, a
  }
  for j: i32 in z..c {
    g: i32 = add j, a
  }
}
";
        let (_, v) = names(src);
        // a b c d e z i f j g
        assert_eq!(
            v,
            [
                true, true, false, false, true, true, true, true, false, false
            ]
        );
    }

    #[test]
    fn accumulators_under_per_lane_control_are_per_lane() {
        // acc0 updated with a uniform value under a per-lane if: per-lane, and so is its
        // read, even the read before the update (in the loop); acc1 updated only under
        // uniform control with uniform values stays uniform.
        let src = "kernel k(x: global f32[64] read, n: i32)
  grid [1, 1, 1] workgroup [64, 1, 1] subgroup 32
{
  a: i32 = param n
  c: i32 = local_id.x
  p: bool = cmplt c, a
  z: i32 = const 0
  acc0: i32 = init z
  acc1: i32 = init z
  for i: i32 in z..a {
    r: i32 = read acc0
    if p {
      acc0 = sum acc0, a
    }
    acc1 = sum acc1, i
  }
  s: i32 = read acc1
}
";
        let (u, v) = names(src);
        assert_eq!(u.accs, [false, true]);
        // a c p z i r s
        assert_eq!(v, [true, false, false, true, true, false, true]);
    }
}

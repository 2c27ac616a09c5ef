//! An iterative walk over a statement tree (no recursion: nesting depth follows the input).
//! Statements are numbered in program order from 0, a loop or if before its body, as the
//! verifier numbers them.

use egpu_ir::kernel::Stmt;

/// Calls `f(index, stmt, parent)` on every statement in program order; `parent` is the
/// index of the innermost loop or if holding it.
pub(super) fn pre_order<'k, F: FnMut(usize, &'k Stmt, Option<usize>)>(body: &'k [Stmt], f: &mut F) {
    let mut index = 0;
    // Blocks still to walk, each with its position and the control statement holding it.
    let mut stack: Vec<(&[Stmt], usize, Option<usize>)> = vec![(body, 0, None)];
    while let Some(top) = stack.last_mut() {
        let (stmts, pos, parent) = *top;
        let Some(stmt) = stmts.get(pos) else {
            stack.pop();
            continue;
        };
        top.1 += 1;
        f(index, stmt, parent);
        let me = Some(index);
        index += 1;
        match stmt {
            Stmt::Loop(l) => stack.push((&l.body, 0, me)),
            Stmt::If {
                then_body,
                else_body,
                ..
            } => {
                // The else branch is walked after the then branch: pushed first.
                stack.push((else_body, 0, me));
                stack.push((then_body, 0, me));
            }
            _ => {}
        }
    }
}

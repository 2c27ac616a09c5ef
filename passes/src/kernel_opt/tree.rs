//! Iterative walks over a statement tree (no recursion: nesting depth follows the input).
//! Statements are numbered in program order from 0, a loop or if before its body, as the
//! verifier numbers them.

use egpu_ir::kernel::{Loop, Stmt};

/// Calls `f(index, stmt, parent)` on every statement in program order; `parent` is the
/// index of the innermost loop or if holding it.
pub(super) fn pre_order<F: FnMut(usize, &Stmt, Option<usize>)>(body: &[Stmt], f: &mut F) {
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

/// A block being rebuilt: its source statements, the next one, what is rebuilt so far, and
/// what it belongs to.
struct Frame<'k> {
    stmts: &'k [Stmt],
    pos: usize,
    out: Vec<Stmt>,
    owner: Owner<'k>,
}

enum Owner<'k> {
    Body,
    Loop(usize, &'k Loop),
    Then(usize, &'k Stmt),
    Else(usize, &'k Stmt, Vec<Stmt>),
}

/// Rebuilds the tree bottom-up: `f(index, stmt, out)` is called on every statement, on a
/// loop or if once its bodies are rebuilt, and pushes the statements that replace it onto
/// `out` (the rebuilt block it belongs to: no list per statement).
pub(super) fn post_order<F: FnMut(usize, Stmt, &mut Vec<Stmt>)>(
    body: &[Stmt],
    f: &mut F,
) -> Vec<Stmt> {
    let mut index = 0;
    let mut stack = vec![Frame {
        stmts: body,
        pos: 0,
        // Most statements stay: room for all of them (a loop's hoisted lets go to its parent).
        out: Vec::with_capacity(body.len()),
        owner: Owner::Body,
    }];
    loop {
        let Some(frame) = stack.last_mut() else {
            return Vec::new();
        };
        if let Some(stmt) = frame.stmts.get(frame.pos) {
            frame.pos += 1;
            let me = index;
            index += 1;
            let opened = match stmt {
                Stmt::Loop(l) => Some((&l.body[..], Owner::Loop(me, l))),
                Stmt::If { then_body, .. } => Some((&then_body[..], Owner::Then(me, stmt))),
                _ => None,
            };
            match opened {
                Some((stmts, owner)) => stack.push(Frame {
                    stmts,
                    pos: 0,
                    out: Vec::with_capacity(stmts.len()),
                    owner,
                }),
                None => f(me, stmt.clone(), &mut frame.out),
            }
            continue;
        }
        let Some(done) = stack.pop() else {
            return Vec::new();
        };
        let (me, rebuilt) = match done.owner {
            Owner::Body => return done.out,
            Owner::Loop(me, l) => {
                let body = done.out;
                (
                    me,
                    Stmt::Loop(Loop {
                        body,
                        ..l.clone_header()
                    }),
                )
            }
            Owner::Then(me, stmt) => {
                let Stmt::If { else_body, .. } = stmt else {
                    continue;
                };
                stack.push(Frame {
                    stmts: else_body,
                    pos: 0,
                    out: Vec::with_capacity(else_body.len()),
                    owner: Owner::Else(me, stmt, done.out),
                });
                continue;
            }
            Owner::Else(me, stmt, then_body) => {
                let Stmt::If { cond, .. } = stmt else {
                    continue;
                };
                let else_body = done.out;
                let cond = *cond;
                (
                    me,
                    Stmt::If {
                        cond,
                        then_body,
                        else_body,
                    },
                )
            }
        };
        if let Some(parent) = stack.last_mut() {
            f(me, rebuilt, &mut parent.out);
        }
    }
}

/// A loop's header without its body.
trait LoopHeader {
    fn clone_header(&self) -> Loop;
}

impl LoopHeader for Loop {
    fn clone_header(&self) -> Loop {
        Loop {
            var: self.var,
            start: self.start,
            end: self.end,
            step: self.step,
            unroll: self.unroll,
            body: Vec::new(),
        }
    }
}

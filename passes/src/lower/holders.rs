//! Which buffers hold each value, looked up once for the whole schedule (asking the
//! schedule node by node scans every buffer, which is quadratic over thousands of kernels).

use crate::schedule::{BufferId, Schedule};
use egpu_ir::NodeId;
use std::collections::BTreeMap;

/// Every node's buffers, in the schedule's buffer order.
#[derive(Debug, Default)]
pub struct Holders {
    of: BTreeMap<NodeId, Vec<BufferId>>,
}

impl Holders {
    pub fn new(schedule: &Schedule) -> Holders {
        let mut of: BTreeMap<NodeId, Vec<BufferId>> = BTreeMap::new();
        for b in &schedule.buffers {
            for &node in &b.holds {
                let ids = of.entry(node).or_default();
                // A buffer listing a node twice still holds it once.
                if ids.last() != Some(&b.id) {
                    ids.push(b.id);
                }
            }
        }
        Holders { of }
    }

    /// The first buffer holding `node` (as `Schedule::buffer_of`).
    pub fn first(&self, node: NodeId) -> Option<BufferId> {
        self.all(node).first().copied()
    }

    /// Every buffer holding `node` (as `Schedule::buffers_of`).
    pub fn all(&self, node: NodeId) -> &[BufferId] {
        self.of.get(&node).map_or(&[], Vec::as_slice)
    }
}

//! Dense tables by number (a value's, an accumulator's, a statement's): the passes ask
//! them once per operand, and a vector indexed by the number answers without hashing.
//! They grow on demand, so a number past the expected size (only a malformed kernel has
//! one) costs memory, never a panic.

/// A set of numbers.
#[derive(Clone, Debug, Default)]
pub(super) struct DenseSet {
    member: Vec<bool>,
}

impl DenseSet {
    /// An empty set expecting numbers below `n`.
    pub fn with_capacity(n: usize) -> DenseSet {
        DenseSet {
            member: vec![false; n],
        }
    }

    /// Adds `i`; whether it was new.
    pub fn insert(&mut self, i: usize) -> bool {
        if self.member.len() <= i {
            self.member.resize(i + 1, false);
        }
        match self.member.get_mut(i) {
            Some(m) if !*m => {
                *m = true;
                true
            }
            _ => false,
        }
    }

    pub fn contains(&self, i: usize) -> bool {
        self.member.get(i).copied().unwrap_or(false)
    }
}

/// A map from numbers to small `Copy` values.
#[derive(Clone, Debug)]
pub(super) struct DenseMap<T> {
    slots: Vec<Option<T>>,
}

impl<T: Copy> DenseMap<T> {
    /// An empty map expecting numbers below `n`.
    pub fn with_capacity(n: usize) -> DenseMap<T> {
        DenseMap {
            slots: vec![None; n],
        }
    }

    pub fn insert(&mut self, i: usize, value: T) {
        if self.slots.len() <= i {
            self.slots.resize(i + 1, None);
        }
        if let Some(slot) = self.slots.get_mut(i) {
            *slot = Some(value);
        }
    }

    pub fn get(&self, i: usize) -> Option<T> {
        self.slots.get(i).copied().flatten()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sets_and_maps_grow_past_their_capacity() {
        let mut set = DenseSet::with_capacity(2);
        assert!(set.insert(1));
        assert!(!set.insert(1));
        assert!(set.insert(10));
        assert!(set.contains(10) && set.contains(1) && !set.contains(5) && !set.contains(99));
        let mut map = DenseMap::with_capacity(1);
        map.insert(7, 'x');
        assert_eq!(
            (map.get(7), map.get(0), map.get(100)),
            (Some('x'), None, None)
        );
    }
}

//! A table of things a device gave out ids for (buffers, kernels): ids are positions, a
//! freed slot stays empty so a stale id is an error rather than someone else's buffer.

/// Values by `u32` id; freed ids are never reused.
#[derive(Clone, Debug)]
pub(crate) struct Slots<T> {
    items: Vec<Option<T>>,
}

impl<T> Default for Slots<T> {
    fn default() -> Self {
        Slots { items: Vec::new() }
    }
}

impl<T> Slots<T> {
    /// Stores `item` and returns its id, or `None` once 2^32 ids have been given out.
    pub(crate) fn insert(&mut self, item: T) -> Option<u32> {
        let id = u32::try_from(self.items.len()).ok()?;
        self.items.push(Some(item));
        Some(id)
    }

    pub(crate) fn get(&self, id: u32) -> Option<&T> {
        self.items.get(id as usize)?.as_ref()
    }

    pub(crate) fn get_mut(&mut self, id: u32) -> Option<&mut T> {
        self.items.get_mut(id as usize)?.as_mut()
    }

    /// Removes and returns the item; its id stays invalid.
    pub(crate) fn remove(&mut self, id: u32) -> Option<T> {
        self.items.get_mut(id as usize)?.take()
    }

    /// The live items with their ids, in id order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = (u32, &T)> {
        (0u32..)
            .zip(&self.items)
            .filter_map(|(id, item)| item.as_ref().map(|item| (id, item)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_freed_id_stays_invalid_and_is_not_reused() {
        let mut slots = Slots::default();
        let a = slots.insert("a").unwrap();
        assert_eq!(slots.remove(a), Some("a"));
        let b = slots.insert("b").unwrap();
        assert_ne!(a, b);
        assert_eq!(slots.get(a), None);
        assert_eq!(slots.get(b), Some(&"b"));
        assert_eq!(slots.iter().collect::<Vec<_>>(), [(b, &"b")]);
    }
}

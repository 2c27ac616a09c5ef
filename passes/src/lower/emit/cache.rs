//! A per-block table whose keys are hashed once per lookup, however many open blocks the
//! lookup searches.
//!
//! The emitter keeps one table per open block and looks a key up from the innermost block
//! outwards. Its keys are index expressions (and nodes with one expression per axis),
//! trees whose hashing and cloning dominated lowering when each block's table hashed its
//! own copy of the key. Here the caller hashes the key once ([`hash_of`]) and each table
//! finds it by that number, comparing keys only when the numbers agree; a lookup needs
//! no owned key either. Two different keys with the same number are both kept (the
//! second in `collided`), so the table answers exactly like a map of keys.

use crate::fast_hash::{FastHasher, FastMap};
use std::hash::{Hash, Hasher};

type ByHash<T> = FastMap<u64, T>;

/// The number a key is filed under: its hash with the emitter's fast hasher.
pub(in crate::lower) fn hash_of<Q: Hash + ?Sized>(key: &Q) -> u64 {
    let mut h = FastHasher::default();
    key.hash(&mut h);
    h.finish()
}

#[derive(Clone, Debug)]
pub(in crate::lower) struct BlockCache<K, V> {
    /// The first key filed under each number, and its value.
    first: ByHash<(K, V)>,
    /// Further keys under a number already taken (different keys, equal hashes).
    collided: ByHash<Vec<(K, V)>>,
}

impl<K, V> Default for BlockCache<K, V> {
    fn default() -> Self {
        BlockCache {
            first: ByHash::default(),
            collided: ByHash::default(),
        }
    }
}

impl<K, V> BlockCache<K, V> {
    /// Forgets every key, keeping the room.
    pub fn clear(&mut self) {
        self.first.clear();
        self.collided.clear();
    }

    /// The value of the key filed under `hash` for which `is` holds.
    pub fn get(&self, hash: u64, is: impl Fn(&K) -> bool) -> Option<&V> {
        let (k, v) = self.first.get(&hash)?;
        if is(k) {
            return Some(v);
        }
        let more = self.collided.get(&hash)?;
        more.iter().find(|(k, _)| is(k)).map(|(_, v)| v)
    }

    /// Files `key` (whose [`hash_of`] is `hash`) with `value`, replacing the value of an
    /// equal key.
    pub fn insert(&mut self, hash: u64, key: K, value: V)
    where
        K: PartialEq,
    {
        let Some((k, v)) = self.first.get_mut(&hash) else {
            self.first.insert(hash, (key, value));
            return;
        };
        if *k == key {
            *v = value;
            return;
        }
        let more = self.collided.entry(hash).or_default();
        match more.iter_mut().find(|(k, _)| *k == key) {
            Some((_, v)) => *v = value,
            None => more.push((key, value)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_with_equal_hashes_are_kept_apart() {
        let mut cache: BlockCache<&str, u32> = BlockCache::default();
        // Filed under the same number on purpose, as a hash collision would.
        cache.insert(7, "a", 1);
        cache.insert(7, "b", 2);
        cache.insert(7, "c", 3);
        cache.insert(7, "b", 20);
        assert_eq!(cache.get(7, |k| *k == "a"), Some(&1));
        assert_eq!(cache.get(7, |k| *k == "b"), Some(&20));
        assert_eq!(cache.get(7, |k| *k == "c"), Some(&3));
        assert_eq!(cache.get(7, |k| *k == "d"), None);
        assert_eq!(cache.get(8, |k| *k == "a"), None);
        cache.insert(7, "a", 10);
        assert_eq!(cache.get(7, |k| *k == "a"), Some(&10));
    }

    #[test]
    fn lookups_by_hash_find_what_was_filed() {
        let mut cache: BlockCache<(u32, Vec<i64>), char> = BlockCache::default();
        let key = (3, vec![1, 2, 3]);
        cache.insert(hash_of(&(3u32, &key.1[..])), key.clone(), 'x');
        let probe: &[i64] = &[1, 2, 3];
        let found = cache.get(hash_of(&(3u32, probe)), |k| k.0 == 3 && k.1 == probe);
        assert_eq!(found, Some(&'x'));
        let other: &[i64] = &[1, 2];
        assert_eq!(
            cache.get(hash_of(&(3u32, other)), |k| k.0 == 3 && k.1 == other),
            None
        );
    }
}

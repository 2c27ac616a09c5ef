//! The kernels an emulator device has loaded, by code object and kernel name: a program runs
//! many times (`Program::run` loads its kernels on every run), and loading the same kernel of
//! the same object again must return its handle, not decode the object again and keep
//! another copy.

use crate::device::KernelHandle;
use std::collections::BTreeMap;
use std::hash::{DefaultHasher, Hash, Hasher};

/// One code object's bytes and the handles of its kernels loaded so far.
#[derive(Debug)]
struct Object {
    bytes: Vec<u8>,
    kernels: BTreeMap<String, KernelHandle>,
}

/// Loaded kernels, found by the object's hash and then compared byte for byte (a hash
/// collision is a miss, never a wrong kernel).
#[derive(Debug, Default)]
pub struct Loaded {
    objects: BTreeMap<u64, Vec<Object>>,
}

fn hash(bytes: &[u8]) -> u64 {
    let mut h = DefaultHasher::new();
    bytes.hash(&mut h);
    h.finish()
}

impl Loaded {
    /// The handle of `kernel` of `bytes`, if it was loaded before.
    pub fn get(&self, bytes: &[u8], kernel: &str) -> Option<KernelHandle> {
        let objects = self.objects.get(&hash(bytes))?;
        let object = objects.iter().find(|o| o.bytes == bytes)?;
        object.kernels.get(kernel).copied()
    }

    /// Records that `kernel` of `bytes` is loaded as `handle`.
    pub fn insert(&mut self, bytes: &[u8], kernel: &str, handle: KernelHandle) {
        let objects = self.objects.entry(hash(bytes)).or_default();
        let at = match objects.iter().position(|o| o.bytes == bytes) {
            Some(at) => at,
            None => {
                objects.push(Object {
                    bytes: bytes.to_vec(),
                    kernels: BTreeMap::new(),
                });
                objects.len() - 1
            }
        };
        objects[at].kernels.insert(kernel.to_string(), handle);
    }
}

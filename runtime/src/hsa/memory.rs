//! Memory: the two pools the device allocates from, found with
//! `hsa_amd_agent_iterate_memory_pools`, and copies between the host and the GPU.
//!
//! - Buffers live in the GPU's device-local, coarse-grained global pool (VRAM: fast for
//!   kernels, not host-visible).
//! - Kernel arguments and copy staging live in a fine-grained global pool with the
//!   KERNARG_INIT flag (system memory both sides see): the GPU's own if it has one, else
//!   a CPU agent's, which is where ROCm puts it. Each such allocation is opened to the GPU
//!   with `hsa_amd_agents_allow_access`.
//! - A copy goes host ↔ staging (a plain memcpy) ↔ buffer (`hsa_memory_copy`, which
//!   returns when the copy has finished).

use super::agent::AgentInfo;
use super::ffi::{self, Agent, Api, Pool};
use crate::DeviceError;
use std::ffi::c_void;

/// A global pool, with what choosing one needs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct PoolInfo {
    pool: Pool,
    flags: u32,
    alloc_allowed: bool,
    size: usize,
}

/// The pools the device uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Pools {
    pub device: Pool,
    pub device_bytes: usize,
    pub host: Pool,
}

unsafe extern "C" fn collect_pool(pool: Pool, data: *mut c_void) -> ffi::Status {
    // SAFETY: `data` is the `&mut Vec<Pool>` `pools_of` passes, alive for the iteration.
    let list = unsafe { &mut *data.cast::<Vec<Pool>>() };
    list.push(pool);
    ffi::STATUS_SUCCESS
}

/// Every pool of `agent` with the attributes the choice needs.
fn pools_of(api: &Api, agent: Agent, device: &str) -> Result<Vec<PoolInfo>, DeviceError> {
    let mut pools: Vec<Pool> = Vec::new();
    // SAFETY: the callback only pushes onto `pools`, which outlives the call.
    let status =
        unsafe { (api.iterate_pools)(agent, collect_pool, (&raw mut pools).cast::<c_void>()) };
    api.check(status, device, "listing memory pools")?;
    let mut out = Vec::with_capacity(pools.len());
    for pool in pools {
        let (mut segment, mut flags, mut allowed, mut size) = (0u32, 0u32, false, 0usize);
        let what = "reading a memory pool's attributes";
        // SAFETY: SEGMENT and GLOBAL_FLAGS are 32-bit, RUNTIME_ALLOC_ALLOWED a bool and
        // SIZE a size_t, each written into a value of that type.
        unsafe {
            let s = (api.pool_get_info)(pool, ffi::POOL_INFO_SEGMENT, (&raw mut segment).cast());
            api.check(s, device, what)?;
            if segment != ffi::SEGMENT_GLOBAL {
                continue; // only global pools carry flags
            }
            let s = (api.pool_get_info)(pool, ffi::POOL_INFO_GLOBAL_FLAGS, (&raw mut flags).cast());
            api.check(s, device, what)?;
            let s = (api.pool_get_info)(
                pool,
                ffi::POOL_INFO_RUNTIME_ALLOC_ALLOWED,
                (&raw mut allowed).cast(),
            );
            api.check(s, device, what)?;
            let s = (api.pool_get_info)(pool, ffi::POOL_INFO_SIZE, (&raw mut size).cast());
            api.check(s, device, what)?;
        }
        out.push(PoolInfo {
            pool,
            flags,
            alloc_allowed: allowed,
            size,
        });
    }
    Ok(out)
}

/// The GPU's device-local pool and a kernarg pool (the GPU's, else the first CPU agent's).
pub fn find(
    api: &Api,
    gpu: Agent,
    agents: &[AgentInfo],
    device: &str,
) -> Result<Pools, DeviceError> {
    let gpu_pools = pools_of(api, gpu, device)?;
    let usable = |p: &&PoolInfo| p.alloc_allowed;
    let local = gpu_pools
        .iter()
        .filter(usable)
        .find(|p| p.flags & ffi::POOL_FLAG_COARSE_GRAINED != 0)
        .ok_or_else(|| missing(device, "a device-local (coarse-grained) memory pool"))?;
    let kernarg_flags = ffi::POOL_FLAG_KERNARG_INIT | ffi::POOL_FLAG_FINE_GRAINED;
    let is_kernarg = |p: &&PoolInfo| p.flags & kernarg_flags == kernarg_flags;
    let mut host = gpu_pools.iter().filter(usable).find(is_kernarg).copied();
    for cpu in agents
        .iter()
        .filter(|a| a.device_type == ffi::DEVICE_TYPE_CPU)
    {
        if host.is_some() {
            break;
        }
        host = pools_of(api, cpu.agent, device)?
            .iter()
            .filter(usable)
            .find(is_kernarg)
            .copied();
    }
    let host = host.ok_or_else(|| missing(device, "a kernarg (fine-grained) memory pool"))?;
    Ok(Pools {
        device: local.pool,
        device_bytes: local.size,
        host: host.pool,
    })
}

fn missing(device: &str, what: &str) -> DeviceError {
    DeviceError::Driver {
        device: device.into(),
        what: "finding memory pools".into(),
        code: format!("the HSA runtime offers no {what}"),
    }
}

/// `bytes` (at least 1) from `pool`; `gpu` is given access when it is a host pool.
pub fn allocate(
    api: &Api,
    pool: Pool,
    bytes: usize,
    gpu: Option<Agent>,
    device: &str,
) -> Result<*mut u8, DeviceError> {
    let mut pointer: *mut c_void = std::ptr::null_mut();
    let what = format!("allocating {bytes} bytes");
    // SAFETY: a plain allocation into `pointer`; no flags.
    let status = unsafe { (api.pool_allocate)(pool, bytes.max(1), 0, &mut pointer) };
    api.check(status, device, &what)?;
    if pointer.is_null() {
        return Err(DeviceError::Driver {
            device: device.into(),
            what,
            code: "the runtime returned a null pointer".into(),
        });
    }
    if let Some(gpu) = gpu {
        // SAFETY: `pointer` was allocated just above; one agent, no flags array.
        let status = unsafe { (api.allow_access)(1, &gpu, std::ptr::null(), pointer) };
        if let Err(e) = api.check(status, device, "giving the GPU access to host memory") {
            free(api, pointer.cast());
            return Err(e);
        }
    }
    Ok(pointer.cast())
}

/// Releases an allocation (errors are ignored: the pointer is gone either way).
pub fn free(api: &Api, pointer: *mut u8) {
    // SAFETY: callers pass a pointer from `allocate`, once.
    let _ = unsafe { (api.pool_free)(pointer.cast()) };
}

/// Host memory from the host pool, freed when dropped.
pub struct Staging<'a> {
    api: &'a Api,
    pub pointer: *mut u8,
}

impl<'a> Staging<'a> {
    pub fn new(
        api: &'a Api,
        pools: &Pools,
        gpu: Agent,
        bytes: usize,
        device: &str,
    ) -> Result<Staging<'a>, DeviceError> {
        let pointer = allocate(api, pools.host, bytes, Some(gpu), device)?;
        Ok(Staging { api, pointer })
    }
}

impl Drop for Staging<'_> {
    fn drop(&mut self) {
        free(self.api, self.pointer);
    }
}

/// Copies `data` into the device allocation at `dst` through a staging buffer.
pub fn upload(
    api: &Api,
    pools: &Pools,
    gpu: Agent,
    dst: *mut u8,
    data: &[u8],
    device: &str,
    what: &str,
) -> Result<(), DeviceError> {
    let staging = Staging::new(api, pools, gpu, data.len(), device)?;
    // SAFETY: the staging allocation is host-visible and holds `data.len()` bytes.
    unsafe { std::ptr::copy_nonoverlapping(data.as_ptr(), staging.pointer, data.len()) };
    // SAFETY: both allocations hold `data.len()` bytes; the copy has finished on return.
    let status = unsafe { (api.memory_copy)(dst.cast(), staging.pointer.cast(), data.len()) };
    api.check(status, device, what)
}

/// Copies the device allocation at `src` into `out` through a staging buffer.
pub fn download(
    api: &Api,
    pools: &Pools,
    gpu: Agent,
    src: *const u8,
    out: &mut [u8],
    device: &str,
    what: &str,
) -> Result<(), DeviceError> {
    let staging = Staging::new(api, pools, gpu, out.len(), device)?;
    // SAFETY: both allocations hold `out.len()` bytes; the copy has finished on return.
    let status = unsafe { (api.memory_copy)(staging.pointer.cast(), src.cast(), out.len()) };
    api.check(status, device, what)?;
    // SAFETY: the staging allocation is host-visible and holds `out.len()` bytes.
    unsafe { std::ptr::copy_nonoverlapping(staging.pointer, out.as_mut_ptr(), out.len()) };
    Ok(())
}

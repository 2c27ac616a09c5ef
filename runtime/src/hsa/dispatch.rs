//! Dispatch: the AQL queue (`hsa_queue_create`), kernel dispatch packets written into
//! its ring buffer, the doorbell, and waiting for completion.
//!
//! A packet is written in two steps: every field but the first 32 bits (header and
//! setup) while the slot's header still says INVALID (the packet processor set it so when
//! it consumed the slot's previous packet), then header and setup together with one
//! atomic release store, so the packet processor never sees half a packet. The
//! doorbell signal then gets the packet's index. Every dispatch has the barrier bit (a
//! launch starts after the previous one ended, as launches on one CUDA stream do) and
//! system-scope acquire and release fences (its buffers are written by copies before it
//! and read back after it).
//!
//! Completion: one signal counts the dispatches in flight — +1 before each is
//! submitted, −1 by the packet processor when one ends — so waiting for it to reach 0
//! waits for everything issued. A queue error (a fault in a kernel, a bad packet) is
//! reported by the runtime through the queue's callback, which records it; waits check
//! it, and give up after the device's timeout.

use super::ffi::{self, Agent, Api, DispatchPacket, Queue, Signal};
use crate::DeviceError;
use std::ffi::c_void;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

/// Packets the queue holds (at most the agent's maximum).
const QUEUE_PACKETS: u32 = 1024;
/// A packet's bytes after its header and setup words.
const BODY_BYTES: usize = size_of::<DispatchPacket>() - 4;
/// Size hints for the queue's segments: `u32::MAX` leaves them to the runtime.
const NO_HINT: u32 = u32::MAX;

/// Records the first error the runtime reports for the queue into the `AtomicU32`
/// behind `data`.
unsafe extern "C" fn queue_error(status: ffi::Status, _queue: *mut Queue, data: *mut c_void) {
    // SAFETY: `data` is the boxed AtomicU32 the device owns; it outlives the queue
    // (the queue is destroyed first), and an atomic may be written from any thread.
    let slot = unsafe { &*data.cast::<AtomicU32>() };
    let _ = slot.compare_exchange(0, status.max(1), Ordering::AcqRel, Ordering::Acquire);
}

/// The device's queue, its error slot and its completion counter.
pub struct Dispatcher {
    queue: *mut Queue,
    /// The first queue error the runtime reported (0: none). Boxed: the runtime holds
    /// its address.
    error: Box<AtomicU32>,
    pub completion: Signal,
    /// Signal-wait timeout hint per round, in the runtime's timestamp ticks.
    slice_ticks: u64,
}

/// Why a wait ended without completion.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum WaitError {
    Queue(ffi::Status),
    Timeout(Duration),
}

impl Dispatcher {
    /// A queue on `agent` and a completion signal at 0.
    pub fn new(
        api: &Api,
        agent: Agent,
        max_packets: u32,
        device: &str,
    ) -> Result<Dispatcher, DeviceError> {
        let mut frequency = 0u64;
        // SAFETY: TIMESTAMP_FREQUENCY is a uint64_t.
        let status = unsafe {
            (api.system_get_info)(
                ffi::SYSTEM_INFO_TIMESTAMP_FREQUENCY,
                (&raw mut frequency).cast(),
            )
        };
        api.check(status, device, "reading the timestamp frequency")?;
        let mut completion = Signal::default();
        // SAFETY: a signal with initial value 0, any consumer, written into `completion`.
        let status = unsafe { (api.signal_create)(0, 0, std::ptr::null(), &mut completion) };
        api.check(status, device, "creating the completion signal")?;
        let error = Box::new(AtomicU32::new(0));
        // The largest power of two within both limits (queue sizes are powers of two).
        let cap = QUEUE_PACKETS.min(max_packets).max(1);
        let size = 1u32 << (31 - cap.leading_zeros());
        let mut queue: *mut Queue = std::ptr::null_mut();
        let data = (&raw const *error).cast_mut().cast::<c_void>();
        // SAFETY: `data` points at the boxed error slot, which outlives the queue;
        // `queue_error` only stores into it.
        let status = unsafe {
            (api.queue_create)(
                agent,
                size,
                ffi::QUEUE_TYPE_MULTI,
                queue_error,
                data,
                NO_HINT,
                NO_HINT,
                &mut queue,
            )
        };
        if let Err(e) = api.check(status, device, "creating the queue") {
            // SAFETY: created above and used nowhere else.
            unsafe { (api.signal_destroy)(completion) };
            return Err(e);
        }
        Ok(Dispatcher {
            queue,
            error,
            completion,
            // A tenth of a second per round (at least one tick).
            slice_ticks: (frequency / 10).max(1),
        })
    }

    /// The first error the runtime reported for the queue, if any.
    pub fn queue_error(&self) -> Option<ffi::Status> {
        match self.error.load(Ordering::Acquire) {
            0 => None,
            s => Some(s),
        }
    }

    /// Submits `packet`; its header and setup words are published last. Waits, up to
    /// `timeout`, for a free slot (after a timeout or a queue error the reserved slot
    /// stays empty: the queue is unusable from then on, as after any queue error).
    pub fn submit(
        &self,
        api: &Api,
        packet: DispatchPacket,
        timeout: Duration,
    ) -> Result<(), WaitError> {
        // SAFETY: `self.queue` is the live queue the runtime created; it stays valid
        // until `destroy`, and only this device writes packets into it.
        let queue = unsafe { &*self.queue };
        let size = u64::from(queue.size);
        // SAFETY: adds to the queue's write index, reserving slot `index`.
        let index = unsafe { (api.queue_add_write_index)(self.queue, 1) };
        let start = Instant::now();
        // SAFETY: reads the queue's read index.
        while index.wrapping_sub(unsafe { (api.queue_load_read_index)(self.queue) }) >= size {
            if let Some(status) = self.queue_error() {
                return Err(WaitError::Queue(status));
            }
            if start.elapsed() > timeout {
                return Err(WaitError::Timeout(timeout));
            }
            std::thread::yield_now();
        }
        let slot = queue
            .base_address
            .cast::<DispatchPacket>()
            .wrapping_add((index % size) as usize);
        let first_word = u32::from(packet.header) | u32::from(packet.setup) << 16;
        // SAFETY: the slot is in the ring buffer (index modulo its size), which is
        // 64-byte aligned; the packet processor ignores it while its header still says
        // INVALID, so the body — every byte after the first 32 bits — may be written
        // plainly (the header word itself is not touched, the processor may be reading
        // it). Then header and setup are published with one release store, and the
        // doorbell rings with the packet's index.
        unsafe {
            self.count_in(api);
            let body = (&raw const packet).cast::<u8>().add(4);
            std::ptr::copy_nonoverlapping(body, slot.cast::<u8>().add(4), BODY_BYTES);
            let word = AtomicU32::from_ptr(slot.cast::<u32>());
            word.store(first_word, Ordering::Release);
            (api.signal_store)(queue.doorbell_signal, index as i64);
        }
        Ok(())
    }

    /// Counts one more dispatch in flight.
    fn count_in(&self, api: &Api) {
        // SAFETY: the completion signal is live until `destroy`.
        unsafe { (api.signal_add)(self.completion, 1) };
    }

    /// Waits until every dispatch submitted has completed, a queue error is reported,
    /// or `timeout` passes.
    pub fn wait_idle(&self, api: &Api, timeout: Duration) -> Result<(), WaitError> {
        let start = Instant::now();
        loop {
            if let Some(status) = self.queue_error() {
                return Err(WaitError::Queue(status));
            }
            // SAFETY: waits on the live completion signal for at most the hint.
            let value = unsafe {
                (api.signal_wait)(
                    self.completion,
                    ffi::SIGNAL_CONDITION_EQ,
                    0,
                    self.slice_ticks,
                    ffi::WAIT_STATE_BLOCKED,
                )
            };
            if value == 0 {
                return match self.queue_error() {
                    Some(status) => Err(WaitError::Queue(status)),
                    None => Ok(()),
                };
            }
            if start.elapsed() > timeout {
                return Err(WaitError::Timeout(timeout));
            }
        }
    }

    /// Destroys the queue, then the signal (the runtime stops calling `queue_error`
    /// before the error slot is dropped with `self`).
    pub fn destroy(self, api: &Api) {
        // SAFETY: both are live and destroyed once; nothing is in flight (the device
        // waited, or gave up on a broken queue).
        unsafe {
            (api.queue_destroy)(self.queue);
            (api.signal_destroy)(self.completion);
        }
    }
}

/// The header of a kernel dispatch: barrier, system-scope acquire and release fences.
pub fn dispatch_header() -> u16 {
    ffi::PACKET_TYPE_KERNEL_DISPATCH
        | 1 << ffi::HEADER_BARRIER
        | ffi::FENCE_SCOPE_SYSTEM << ffi::HEADER_ACQUIRE_FENCE_SCOPE
        | ffi::FENCE_SCOPE_SYSTEM << ffi::HEADER_RELEASE_FENCE_SCOPE
}

/// Grid (in work-items, as AQL counts it) and workgroup sizes for a launch of
/// `grid` workgroups of `workgroup` work-items, and the dimension count; an error names
/// what does not fit.
pub fn shape(grid: [u32; 3], workgroup: [u32; 3]) -> Result<([u32; 3], [u16; 3], u16), String> {
    let mut items = [0u32; 3];
    let mut group = [0u16; 3];
    for d in 0..3 {
        if grid[d] == 0 || workgroup[d] == 0 {
            return Err(format!("launch {grid:?} x {workgroup:?} is empty"));
        }
        group[d] = u16::try_from(workgroup[d])
            .map_err(|_| format!("workgroup {workgroup:?} exceeds AQL's 16-bit sizes"))?;
        items[d] = grid[d].checked_mul(workgroup[d]).ok_or_else(|| {
            format!("grid {grid:?} x {workgroup:?} exceeds 2^32 work-items in a dimension")
        })?;
    }
    let dims = if items[2] > 1 {
        3
    } else if items[1] > 1 {
        2
    } else {
        1
    };
    Ok((items, group, dims))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_and_shape_follow_the_aql_layout() {
        // type 2, barrier (bit 8), system acquire (2 << 9) and release (2 << 11).
        assert_eq!(dispatch_header(), 2 | 0x100 | 0x400 | 0x1000);
        assert_eq!(
            shape([4, 1, 1], [64, 1, 1]),
            Ok(([256, 1, 1], [64, 1, 1], 1))
        );
        assert_eq!(shape([3, 2, 1], [8, 4, 1]), Ok(([24, 8, 1], [8, 4, 1], 2)));
        assert_eq!(shape([1, 1, 5], [1, 1, 1]), Ok(([1, 1, 5], [1, 1, 1], 3)));
        assert!(shape([0, 1, 1], [1, 1, 1]).is_err());
        assert!(shape([1, 1, 1], [70000, 1, 1]).is_err());
        assert!(shape([1 << 31, 1, 1], [4, 1, 1]).is_err());
    }
}

//! Reused per-thread buffers for patch matrices.
//!
//! A training step gathers a few megabytes of patches per convolution, forward and
//! backward, thousands of times. Fresh allocations of that size come from `mmap` and
//! cost a page fault per 4 KiB plus zeroing (a third of a step's time, measured with
//! `perf`); the buffers here are kept by the thread that used them and handed out again.

use std::cell::RefCell;

/// Buffers kept per thread: enough for a forward and a backward pass in flight.
const KEPT: usize = 4;

thread_local! {
    static POOL: RefCell<Vec<Vec<f32>>> = const { RefCell::new(Vec::new()) };
}

/// A buffer of `len` floats whose values are left over from earlier use (zeros when
/// fresh): for callers that write every element before reading any.
pub(crate) fn overwritten(len: usize) -> Vec<f32> {
    let kept = POOL.with(|pool| {
        let mut pool = pool.borrow_mut();
        let large_enough = (0..pool.len()).find(|&i| pool[i].capacity() >= len);
        large_enough
            .or_else(|| pool.len().checked_sub(1))
            .map(|i| pool.swap_remove(i))
    });
    match kept {
        Some(mut buffer) => {
            buffer.truncate(len);
            buffer.resize(len, 0.0);
            buffer
        }
        None => vec![0.0; len],
    }
}

/// Gives a buffer back for later [`overwritten`] calls on this thread.
pub(crate) fn recycle(buffer: Vec<f32>) {
    POOL.with(|pool| {
        let mut pool = pool.borrow_mut();
        if pool.len() < KEPT {
            pool.push(buffer);
        } else if let Some(smallest) = (0..pool.len()).min_by_key(|&i| pool[i].capacity()) {
            if pool[smallest].capacity() < buffer.capacity() {
                pool[smallest] = buffer;
            }
        }
    });
}

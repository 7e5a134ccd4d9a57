//! Reused per-thread buffers for patch matrices and products.
//!
//! A training step gathers a few megabytes of patches per convolution, forward and
//! backward, thousands of times. Fresh allocations of that size come from `mmap` and
//! cost a page fault per 4 KiB plus zeroing (a third of a step's time, measured with
//! `perf`); the buffers here go back to the thread that drops them and are handed out
//! again. A buffer keeps every value it ever held initialised, so handing it out for a
//! size it already reached writes nothing (re-zeroing on each use was 3–5% of a gal_cnn
//! step).

use std::cell::RefCell;
use std::ops::{Deref, DerefMut};

/// Buffers kept per thread: enough for a forward and a backward pass in flight.
const KEPT: usize = 4;

thread_local! {
    static POOL: RefCell<Vec<Vec<f32>>> = const { RefCell::new(Vec::new()) };
}

/// `len` floats whose values are left over from earlier use (zeros when fresh), for
/// callers that write every element before reading any. Returns to this thread's pool
/// when dropped.
#[derive(Debug)]
pub(crate) struct Scratch {
    /// Initialised up to `buffer.len()` ≥ `len`.
    buffer: Vec<f32>,
    len: usize,
}

impl Deref for Scratch {
    type Target = [f32];

    fn deref(&self) -> &[f32] {
        &self.buffer[..self.len]
    }
}

impl DerefMut for Scratch {
    fn deref_mut(&mut self) -> &mut [f32] {
        &mut self.buffer[..self.len]
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let buffer = std::mem::take(&mut self.buffer);
        // During thread teardown the pool may be gone: the buffer is then just freed.
        let _ = POOL.try_with(|pool| {
            let mut pool = pool.borrow_mut();
            if pool.len() < KEPT {
                pool.push(buffer);
            } else if let Some(smallest) = (0..pool.len()).min_by_key(|&i| pool[i].len()) {
                if pool[smallest].len() < buffer.len() {
                    pool[smallest] = buffer;
                }
            }
        });
    }
}

/// A buffer of `len` floats (see [`Scratch`]): the smallest kept one already that long,
/// else a new one.
pub(crate) fn overwritten(len: usize) -> Scratch {
    let kept = POOL.with(|pool| {
        let mut pool = pool.borrow_mut();
        let fitting = (0..pool.len())
            .filter(|&i| pool[i].len() >= len)
            .min_by_key(|&i| pool[i].len());
        fitting.map(|i| pool.swap_remove(i))
    });
    let buffer = kept.unwrap_or_else(|| vec![0.0; len]);
    Scratch { buffer, len }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_dropped_buffer_comes_back_with_its_values() {
        let mut first = overwritten(1000);
        first.fill(7.0);
        let address = first.as_ptr();
        drop(first);
        let again = overwritten(600);
        assert_eq!(again.len(), 600);
        assert_eq!(again.as_ptr(), address, "the kept buffer is reused");
        assert!(again.iter().all(|&v| v == 7.0), "nothing is rewritten");
        let larger = overwritten(2000);
        assert_eq!(larger.len(), 2000);
        assert_ne!(larger.as_ptr(), again.as_ptr());
    }
}

//! A lock-free pool of equal-sized byte buffers.
//!
//! Free buffers wait in a crossbeam `ArrayQueue` (bounded, lock-free, multi-producer
//! multi-consumer), so threads take and return buffers without a lock. `get` on an empty pool
//! allocates (a miss); `put` of a buffer of another size, or into a full pool, drops it. The
//! counters are relaxed atomics: each is an independent tally read for statistics only.

use crossbeam_queue::ArrayQueue;
use std::sync::atomic::{AtomicU64, Ordering};

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PoolStats {
    /// `get` served from the pool.
    pub hits: u64,
    /// `get` that had to allocate.
    pub misses: u64,
    /// `put` that pooled the buffer.
    pub returns: u64,
    /// `put` that dropped the buffer (wrong size, or the pool was full).
    pub drops: u64,
}

#[derive(Debug)]
pub struct BufferPool {
    buffer_size: usize,
    free: ArrayQueue<Box<[u8]>>,
    hits: AtomicU64,
    misses: AtomicU64,
    returns: AtomicU64,
    drops: AtomicU64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PoolError {
    pub field: &'static str,
    pub value: usize,
}

/// Largest pool, in bytes, that [`BufferPool::new`] accepts (capacity x size): 4 GiB.
pub const MAX_POOL_BYTES: usize = 1 << 32;

impl BufferPool {
    /// A pool of `capacity` buffers of `buffer_size` bytes, all allocated up front.
    pub fn new(capacity: usize, buffer_size: usize) -> Result<Self, PoolError> {
        if capacity == 0 {
            return Err(PoolError { field: "capacity", value: capacity });
        }
        if buffer_size == 0 || capacity.checked_mul(buffer_size).map_or(true, |b| b > MAX_POOL_BYTES) {
            return Err(PoolError { field: "bufferSize", value: buffer_size });
        }
        let free = ArrayQueue::new(capacity);
        for _ in 0..capacity {
            let _ = free.push(vec![0u8; buffer_size].into_boxed_slice());
        }
        Ok(BufferPool {
            buffer_size,
            free,
            hits: AtomicU64::new(0),
            misses: AtomicU64::new(0),
            returns: AtomicU64::new(0),
            drops: AtomicU64::new(0),
        })
    }

    pub fn buffer_size(&self) -> usize {
        self.buffer_size
    }

    pub fn capacity(&self) -> usize {
        self.free.capacity()
    }

    /// Buffers waiting in the pool now.
    pub fn available(&self) -> usize {
        self.free.len()
    }

    pub fn get(&self) -> Box<[u8]> {
        match self.free.pop() {
            Some(b) => {
                self.hits.fetch_add(1, Ordering::Relaxed);
                b
            }
            None => {
                self.misses.fetch_add(1, Ordering::Relaxed);
                vec![0u8; self.buffer_size].into_boxed_slice()
            }
        }
    }

    /// Returns a buffer; true when it was pooled.
    pub fn put(&self, buffer: Box<[u8]>) -> bool {
        if buffer.len() == self.buffer_size && self.free.push(buffer).is_ok() {
            self.returns.fetch_add(1, Ordering::Relaxed);
            true
        } else {
            self.drops.fetch_add(1, Ordering::Relaxed);
            false
        }
    }

    pub fn stats(&self) -> PoolStats {
        let r = |a: &AtomicU64| a.load(Ordering::Relaxed);
        PoolStats { hits: r(&self.hits), misses: r(&self.misses), returns: r(&self.returns), drops: r(&self.drops) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn get_put_and_stats() {
        let pool = BufferPool::new(2, 16).unwrap();
        let a = pool.get();
        let b = pool.get();
        let c = pool.get(); // empty: allocates
        assert_eq!((a.len(), b.len(), c.len()), (16, 16, 16));
        assert!(pool.put(a));
        assert!(pool.put(b));
        assert!(!pool.put(c)); // full
        assert!(!pool.put(vec![0u8; 8].into_boxed_slice())); // wrong size
        assert_eq!(pool.stats(), PoolStats { hits: 2, misses: 1, returns: 2, drops: 2 });
        assert_eq!(pool.available(), 2);
    }

    #[test]
    fn rejects_bad_sizes() {
        assert_eq!(BufferPool::new(0, 8).unwrap_err().field, "capacity");
        assert_eq!(BufferPool::new(8, 0).unwrap_err().field, "bufferSize");
        assert_eq!(BufferPool::new(usize::MAX, 2).unwrap_err().field, "bufferSize");
    }

    #[test]
    fn threads_share_one_pool() {
        let pool = std::sync::Arc::new(BufferPool::new(8, 64).unwrap());
        let hs: Vec<_> = (0..4)
            .map(|_| {
                let p = pool.clone();
                std::thread::spawn(move || {
                    for _ in 0..10_000 {
                        let b = p.get();
                        assert!(p.put(b));
                    }
                })
            })
            .collect();
        for h in hs {
            h.join().unwrap();
        }
        let s = pool.stats();
        assert_eq!(s.hits + s.misses, 40_000);
        assert_eq!(s.returns + s.drops, 40_000);
        assert_eq!(pool.available(), 8);
    }
}

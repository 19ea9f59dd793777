//! The buffer pool's memory: one slab per pool, allocated here and handed to JS once as an
//! external ArrayBuffer (`crates/napi`). The façade (`ts/pool/index.ts`) cuts it into equal
//! buffers and recycles them in JS, so a get or a release never crosses N-API; what Rust adds is
//! memory the GC neither scans nor moves nor counts toward heap growth.

/// Largest slab, in bytes: 4 GiB. The façade refuses a capacity x bufferSize above it first.
pub const MAX_SLAB_BYTES: usize = 1 << 32;

/// A zeroed slab of `size` bytes; `None` for 0 or more than [`MAX_SLAB_BYTES`].
pub fn allocate_slab(size: usize) -> Option<Box<[u8]>> {
    if size == 0 || size > MAX_SLAB_BYTES {
        return None;
    }
    Some(vec![0u8; size].into_boxed_slice())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_in_range_only() {
        assert_eq!(allocate_slab(0), None);
        assert_eq!(allocate_slab(MAX_SLAB_BYTES + 1), None);
        let slab = allocate_slab(8192).expect("8 KiB");
        assert_eq!(slab.len(), 8192);
        assert!(slab.iter().all(|&b| b == 0));
    }
}

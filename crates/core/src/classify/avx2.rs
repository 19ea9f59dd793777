//! The filter block with AVX2: eight positions per step (one 16-byte load, `vpshufb` into eight
//! 4-byte windows, `vpmulld`, a `vpgatherdd` of the bitset words), chosen at run time where the
//! CPU has AVX2; elsewhere `scan::block_scalar` computes the same block one position at a time.

#[cfg(target_arch = "x86_64")]
use super::scan::{Block, Filter, HASH_BITS, HASH_MUL};

/// Whether this CPU runs [`block`].
pub(super) fn available() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        std::is_x86_feature_detected!("avx2")
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}

/// The same block as `scan::block_scalar`, eight positions per step: requires `base + 72 <= text.len()`.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
pub(super) unsafe fn block(f: &Filter, text: &[u8], base: usize, separator: Option<u8>) -> Block {
    use std::arch::x86_64::*;
    // Each 128-bit lane holds the same 16 bytes; lane 0 picks the windows at offsets 0..3, lane 1 at 4..7.
    let windows = _mm256_setr_epi8(0, 1, 2, 3, 1, 2, 3, 4, 2, 3, 4, 5, 3, 4, 5, 6, 4, 5, 6, 7, 5, 6, 7, 8, 6, 7, 8, 9, 7, 8, 9, 10);
    let fold = _mm256_set1_epi8(0x20);
    let mul = _mm256_set1_epi32(HASH_MUL as i32);
    let low5 = _mm256_set1_epi32(31);
    // SAFETY: base + 72 <= text.len() (the caller's contract), so `at` stays within `text`.
    let at = unsafe { text.as_ptr().add(base) };
    let mut starts = 0u64;
    for step in 0..8 {
        // SAFETY: base + 8 * step + 16 <= base + 72 <= text.len(): the 16-byte load is in bounds.
        let bytes = unsafe { _mm_loadu_si128(at.add(8 * step).cast()) };
        let w = _mm256_or_si256(_mm256_shuffle_epi8(_mm256_broadcastsi128_si256(bytes), windows), fold);
        let h = _mm256_srli_epi32::<{ 32 - HASH_BITS as i32 }>(_mm256_mullo_epi32(w, mul));
        // SAFETY: every index is h >> 5 < 2^(HASH_BITS - 5), the length of `bits`.
        let words = unsafe { _mm256_i32gather_epi32::<4>(f.bits.as_ptr().cast(), _mm256_srli_epi32::<5>(h)) };
        let bit = _mm256_slli_epi32::<31>(_mm256_srlv_epi32(words, _mm256_and_si256(h, low5)));
        starts |= u64::from(_mm256_movemask_ps(_mm256_castsi256_ps(bit)) as u8) << (8 * step);
    }
    let separators = match separator {
        None => 0,
        Some(sep) => {
            let sep = _mm256_set1_epi8(sep as i8);
            // SAFETY: base + 64 <= text.len(): both 32-byte loads are in bounds.
            let (lo, hi) = unsafe { (_mm256_loadu_si256(at.cast()), _mm256_loadu_si256(at.add(32).cast())) };
            let lo = _mm256_movemask_epi8(_mm256_cmpeq_epi8(lo, sep)) as u32;
            let hi = _mm256_movemask_epi8(_mm256_cmpeq_epi8(hi, sep)) as u32;
            u64::from(lo) | u64::from(hi) << 32
        }
    };
    Block { starts, separators }
}

#[cfg(test)]
mod tests {
    use super::super::scan::tests::{random_text, Rng};
    use super::super::scan::{block_scalar, filter};
    #[test]
    #[cfg(target_arch = "x86_64")]
    fn avx2_and_scalar_filters_agree() {
        if !super::available() {
            return; // nothing to compare on this CPU; the scalar filter is what runs
        }
        let f = filter();
        let mut rng = Rng(0xF11E_7E55_0000_0002);
        for _ in 0..2_000 {
            let len = 72 + rng.below(200);
            let text = random_text(&mut rng, len);
            let mut base = 0;
            while base + 72 <= text.len() {
                for separator in [None, Some(0), Some(b' ')] {
                    // SAFETY: this CPU has AVX2 (checked above) and base + 72 <= text.len().
                    let simd = unsafe { super::block(f, &text, base, separator) };
                    let scalar = block_scalar(f, &text, base, separator);
                    assert_eq!((simd.starts, simd.separators), (scalar.starts, scalar.separators), "base {base}, separator {separator:?}");
                }
                base += 1 + rng.below(64);
            }
        }
    }
}

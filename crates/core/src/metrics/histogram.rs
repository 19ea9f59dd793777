//! The latency histogram, log-linear over microseconds: values below 16 µs have a bucket each, then
//! every power of two is split into 8 buckets (12.5 % wide) up to 2^44 µs. The TS twin
//! (`ts/metrics/js.ts`) uses the same buckets.

const EXACT: u64 = 16;
const SUB_BITS: u32 = 3; // 8 buckets per power of two
const MAX_EXP: u32 = 44;
pub const BUCKETS: usize = EXACT as usize + ((MAX_EXP - 4) << SUB_BITS) as usize;

/// Microseconds from milliseconds: floor, saturating; NaN and negatives are 0.
#[inline]
pub fn micros(ms: f64) -> u64 {
    let us = (ms * 1000.0).floor();
    if us > 0.0 {
        us.min(9_007_199_254_740_991.0) as u64
    } else {
        0
    }
}

#[inline]
pub fn bucket_of(us: u64) -> usize {
    if us < EXACT {
        return us as usize;
    }
    let exp = 63 - us.leading_zeros(); // >= 4
    if exp >= MAX_EXP {
        return BUCKETS - 1;
    }
    let sub = (us >> (exp - SUB_BITS)) & ((1 << SUB_BITS) - 1);
    EXACT as usize + (((exp - 4) << SUB_BITS) as usize) + sub as usize
}

/// Exclusive upper bound of a bucket, in microseconds.
pub fn bucket_upper(b: usize) -> u64 {
    if b < EXACT as usize {
        return b as u64 + 1;
    }
    let i = (b - EXACT as usize) as u64;
    let exp = (i >> SUB_BITS) + 4;
    let sub = i & ((1 << SUB_BITS) - 1);
    ((1 << SUB_BITS) + sub + 1) << (exp - u64::from(SUB_BITS))
}

#[derive(Debug)]
pub(super) struct Histogram {
    pub(super) buckets: Box<[u64; BUCKETS]>,
    pub(super) count: u64,
    pub(super) sum_us: u64,
    pub(super) max_us: u64,
}

impl Histogram {
    pub(super) fn new() -> Self {
        Histogram { buckets: Box::new([0; BUCKETS]), count: 0, sum_us: 0, max_us: 0 }
    }

    pub(super) fn record(&mut self, us: u64) {
        self.buckets[bucket_of(us)] += 1;
        self.count += 1;
        self.sum_us = self.sum_us.saturating_add(us);
        self.max_us = self.max_us.max(us);
    }

    /// The value at percentile `p` (integer percent), in microseconds.
    pub(super) fn quantile_us(&self, p: u64) -> u64 {
        if self.count == 0 {
            return 0;
        }
        let rank = (self.count * p).div_ceil(100).max(1);
        let mut seen = 0;
        for (b, &n) in self.buckets.iter().enumerate() {
            seen += n;
            if seen >= rank {
                return bucket_upper(b).min(self.max_us);
            }
        }
        self.max_us
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_are_monotonic_and_cover_their_values() {
        let mut prev = 0;
        for b in 0..BUCKETS - 1 {
            let hi = bucket_upper(b);
            assert!(hi > prev);
            assert_eq!(bucket_of(hi - 1), b, "bucket {b}");
            assert_eq!(bucket_of(hi), b + 1, "bucket {b}");
            prev = hi;
        }
        assert_eq!(bucket_of(u64::MAX), BUCKETS - 1);
        assert_eq!(micros(f64::NAN), 0);
        assert_eq!(micros(-5.0), 0);
        assert_eq!(micros(1.5), 1500);
    }
}

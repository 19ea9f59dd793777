//! Duration text -> milliseconds.
//!
//! Grammar (after trimming ASCII white space, case-insensitive):
//! `[sign] number [ws] [unit]`, where `number` is `digits[.digits]` or `.digits` and a bare number
//! means seconds. The sign is read as Velostream reads it (its parser takes the number with Rust's
//! `f64::from_str`, then refuses values below zero): `+5s` is 5 s and `-0s` is 0, while any other
//! negative value is `Invalid`. Units: ms|millis|milliseconds, s|sec|secs|second|seconds, m|min|mins|minute|minutes,
//! h|hr|hrs|hour|hours, d|day|days.
//!
//! The value is computed from the digits as an exact integer mantissa (at most 15 significant
//! digits) and the unit written as `f * 10^z` (seconds: 1 * 10^3, hours: 36 * 10^5). With `k`
//! fraction digits: `mantissa * (f * 10^(z-k))` when `k <= z`, an exact multiplier and one rounding,
//! so "1.005s" is exactly 1005 and "86204220178.889s" exactly 86204220178889; otherwise
//! `mantissa * f / 10^(k-z)`, exact but for the division unless the product passes 2^53. The TS
//! twin (`ts/duration/js.ts`) takes the same steps, so both agree bit for bit. Longer mantissas
//! fall back to a correctly rounded float parse times the unit.
//!
//! Results above 2^53 - 1 ms are errors (upstream panicked on "1e23" seconds), and so is anything
//! that is not the grammar: nothing here panics.
//!
//! [`DurationParser`] adds a bounded LRU cache (upstream's grew without bound) in front of a small
//! table of interned common values that are answered without taking the cache lock.

use std::collections::HashMap;
use std::sync::Mutex;

/// Largest duration accepted, in milliseconds: JavaScript's `Number.MAX_SAFE_INTEGER`.
pub const MAX_MS: f64 = 9_007_199_254_740_991.0;

/// Default number of entries the LRU cache keeps.
pub const DEFAULT_CACHE_CAPACITY: usize = 1024;

/// Strings longer than this are parsed but never cached: a cache of pathological keys is a leak.
pub const MAX_CACHED_LEN: usize = 64;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DurationError {
    /// Nothing but white space.
    Empty,
    /// Not the grammar: a negative value, an unknown unit, two dots, no digits...
    Invalid,
    /// Parsed, but above [`MAX_MS`].
    OutOfRange,
}

/// ASCII white space as both twins define it (JS `trim` also strips Unicode spaces; Rust's
/// `is_ascii_whitespace` omits \x0B): one explicit set keeps the twins identical.
#[inline]
fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r' | 0x0B | 0x0C)
}

/// Unit suffix -> milliseconds as `(f, z)` with the unit = `f * 10^z`. `unit` is already lower-cased.
fn unit_ms(unit: &[u8]) -> Option<(f64, usize)> {
    Some(match unit {
        b"" | b"s" | b"sec" | b"secs" | b"second" | b"seconds" => (1.0, 3),
        b"ms" | b"millis" | b"milliseconds" => (1.0, 0),
        b"m" | b"min" | b"mins" | b"minute" | b"minutes" => (6.0, 4),
        b"h" | b"hr" | b"hrs" | b"hour" | b"hours" => (36.0, 5),
        b"d" | b"day" | b"days" => (864.0, 5),
        _ => return None,
    })
}

/// 10^k for k in 0..=22: all exactly representable as f64.
const POW10: [f64; 23] = [1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22];

/// Parses without any cache. See the module docs for the grammar.
pub fn parse_uncached(text: &str) -> Result<f64, DurationError> {
    let bytes = text.as_bytes();
    let mut start = 0;
    let mut end = bytes.len();
    while start < end && is_space(bytes[start]) {
        start += 1;
    }
    while end > start && is_space(bytes[end - 1]) {
        end -= 1;
    }
    if start == end {
        return Err(DurationError::Empty);
    }
    let (negative, s) = match bytes[start] {
        b'+' => (false, &bytes[start + 1..end]),
        b'-' => (true, &bytes[start + 1..end]),
        _ => (false, &bytes[start..end]),
    };

    // number: digits, at most one dot, at least one digit.
    let mut i = 0;
    let mut mantissa: u64 = 0;
    let mut significant = 0usize; // digits after leading zeros
    let mut fraction_digits = 0usize;
    let mut digits = 0usize;
    let mut seen_dot = false;
    while i < s.len() {
        let b = s[i];
        if b.is_ascii_digit() {
            digits += 1;
            if seen_dot {
                fraction_digits += 1;
            }
            if significant > 0 || b != b'0' {
                significant += 1;
                if significant <= 15 {
                    mantissa = mantissa * 10 + u64::from(b - b'0');
                }
            }
        } else if b == b'.' && !seen_dot {
            seen_dot = true;
        } else {
            break;
        }
        i += 1;
    }
    if digits == 0 {
        return Err(DurationError::Invalid);
    }
    let number_end = i;
    while i < s.len() && is_space(s[i]) {
        i += 1;
    }
    let unit_bytes = &s[i..];
    if unit_bytes.len() > 12 {
        return Err(DurationError::Invalid);
    }
    let mut lower = [0u8; 12];
    for (dst, src) in lower.iter_mut().zip(unit_bytes) {
        *dst = src.to_ascii_lowercase();
    }
    let (f, z) = unit_ms(&lower[..unit_bytes.len()]).ok_or(DurationError::Invalid)?;

    let ms = if significant <= 15 && fraction_digits <= z {
        // Exact mantissa (< 10^15 < 2^53) times an exact integer: one rounding.
        (mantissa as f64) * (f * POW10[z - fraction_digits])
    } else if significant <= 15 && fraction_digits - z < POW10.len() {
        (mantissa as f64) * f / POW10[fraction_digits - z]
    } else {
        // The slice is ASCII digits with at most one dot and at least one digit, which
        // `f64::from_str` accepts ("5." and ".5" included); the map_err is for completeness.
        let number = std::str::from_utf8(&s[..number_end]).map_err(|_| DurationError::Invalid)?;
        let value: f64 = number.parse().map_err(|_| DurationError::Invalid)?;
        value * (f * POW10[z])
    };
    if negative && ms != 0.0 {
        return Err(DurationError::Invalid);
    }
    if ms.is_nan() || ms > MAX_MS {
        return Err(DurationError::OutOfRange);
    }
    Ok(ms)
}

/// Common configuration values, sorted by key, answered without locking or hashing.
const INTERNED: [(&str, f64); 16] = [
    ("100ms", 100.0),
    ("10s", 10_000.0),
    ("120s", 120_000.0),
    ("1h", 3_600_000.0),
    ("1m", 60_000.0),
    ("1s", 1_000.0),
    ("250ms", 250.0),
    ("2s", 2_000.0),
    ("30s", 30_000.0),
    ("500ms", 500.0),
    ("5m", 300_000.0),
    ("5s", 5_000.0),
    ("60s", 60_000.0),
    ("0", 0.0),
    ("1", 1_000.0),
    ("5", 5_000.0),
];

#[inline]
fn interned(text: &str) -> Option<f64> {
    if text.len() > 5 {
        return None;
    }
    INTERNED.iter().find(|(k, _)| *k == text).map(|(_, v)| *v)
}

/// A bounded least-recently-used map from text to milliseconds: a slab of entries linked in
/// recency order plus a hash index. `get` and `insert` are O(1); at capacity the least recently
/// used entry is evicted.
#[derive(Debug)]
pub struct LruCache {
    capacity: usize,
    index: HashMap<Box<str>, usize>,
    entries: Vec<Entry>,
    head: usize, // most recently used
    tail: usize, // least recently used
}

#[derive(Debug)]
struct Entry {
    key: Box<str>,
    value: f64,
    prev: usize,
    next: usize,
}

const NIL: usize = usize::MAX;

impl LruCache {
    pub fn new(capacity: usize) -> Self {
        LruCache { capacity, index: HashMap::with_capacity(capacity.min(4096)), entries: Vec::with_capacity(capacity.min(4096)), head: NIL, tail: NIL }
    }

    pub fn len(&self) -> usize {
        self.index.len()
    }

    pub fn is_empty(&self) -> bool {
        self.index.is_empty()
    }

    pub fn capacity(&self) -> usize {
        self.capacity
    }

    pub fn contains(&self, key: &str) -> bool {
        self.index.contains_key(key)
    }

    fn unlink(&mut self, i: usize) {
        let (prev, next) = (self.entries[i].prev, self.entries[i].next);
        if prev != NIL {
            self.entries[prev].next = next;
        } else {
            self.head = next;
        }
        if next != NIL {
            self.entries[next].prev = prev;
        } else {
            self.tail = prev;
        }
    }

    fn push_front(&mut self, i: usize) {
        self.entries[i].prev = NIL;
        self.entries[i].next = self.head;
        if self.head != NIL {
            self.entries[self.head].prev = i;
        }
        self.head = i;
        if self.tail == NIL {
            self.tail = i;
        }
    }

    pub fn get(&mut self, key: &str) -> Option<f64> {
        let i = *self.index.get(key)?;
        if self.head != i {
            self.unlink(i);
            self.push_front(i);
        }
        Some(self.entries[i].value)
    }

    pub fn insert(&mut self, key: &str, value: f64) {
        if self.capacity == 0 {
            return;
        }
        if let Some(&i) = self.index.get(key) {
            self.entries[i].value = value;
            self.unlink(i);
            self.push_front(i);
            return;
        }
        let i = if self.entries.len() < self.capacity {
            self.entries.push(Entry { key: key.into(), value, prev: NIL, next: NIL });
            self.entries.len() - 1
        } else {
            // Evict the least recently used and reuse its slot.
            let i = self.tail;
            self.unlink(i);
            let old = std::mem::replace(&mut self.entries[i].key, key.into());
            self.index.remove(&old);
            self.entries[i].value = value;
            i
        };
        self.index.insert(key.into(), i);
        self.push_front(i);
    }

    pub fn clear(&mut self) {
        self.index.clear();
        self.entries.clear();
        self.head = NIL;
        self.tail = NIL;
    }
}

/// Cache counters, for tests and the bench.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CacheStats {
    pub hits: u64,
    pub misses: u64,
    pub size: usize,
    pub capacity: usize,
}

/// A thread-safe parser with the interned table and a bounded LRU cache.
#[derive(Debug)]
pub struct DurationParser {
    cache: Mutex<(LruCache, u64, u64)>,
}

impl Default for DurationParser {
    fn default() -> Self {
        Self::new(DEFAULT_CACHE_CAPACITY)
    }
}

impl DurationParser {
    pub fn new(capacity: usize) -> Self {
        DurationParser { cache: Mutex::new((LruCache::new(capacity), 0, 0)) }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, (LruCache, u64, u64)> {
        // A panic while holding this lock cannot leave the cache inconsistent in a way that matters
        // (worst case a stale entry), so a poisoned lock is recovered rather than propagated.
        self.cache.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn parse(&self, text: &str) -> Result<f64, DurationError> {
        if let Some(v) = interned(text) {
            return Ok(v);
        }
        if text.len() > MAX_CACHED_LEN {
            return parse_uncached(text);
        }
        let mut guard = self.lock();
        if let Some(v) = guard.0.get(text) {
            guard.1 += 1;
            return Ok(v);
        }
        guard.2 += 1;
        drop(guard);
        let v = parse_uncached(text)?;
        self.lock().0.insert(text, v);
        Ok(v)
    }

    /// Empties the cache and resizes it; counters restart.
    pub fn reset(&self, capacity: usize) {
        let mut guard = self.lock();
        *guard = (LruCache::new(capacity), 0, 0);
    }

    pub fn stats(&self) -> CacheStats {
        let guard = self.lock();
        CacheStats { hits: guard.1, misses: guard.2, size: guard.0.len(), capacity: guard.0.capacity() }
    }

    pub fn is_cached(&self, text: &str) -> bool {
        self.lock().0.contains(text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(s: &str) -> f64 {
        parse_uncached(s).unwrap_or_else(|e| panic!("{s:?} -> {e:?}"))
    }

    #[test]
    fn accepts_the_grammar() {
        assert_eq!(ok("5"), 5_000.0);
        assert_eq!(ok("  5s  "), 5_000.0);
        assert_eq!(ok("2.5s"), 2_500.0);
        assert_eq!(ok(".5s"), 500.0);
        assert_eq!(ok("0.1ms"), 0.1);
        assert_eq!(ok("100MS"), 100.0);
        assert_eq!(ok("3 Minutes"), 180_000.0);
        assert_eq!(ok("1h"), 3_600_000.0);
        assert_eq!(ok("2 hrs"), 7_200_000.0);
        assert_eq!(ok("1d"), 86_400_000.0);
        assert_eq!(ok("1.005s"), 1005.0);
        assert_eq!(ok("86204220178.889s"), 86_204_220_178_889.0);
        assert_eq!(ok("0.5m"), 30_000.0);
        assert_eq!(ok("1.25h"), 4_500_000.0);
        assert_eq!(ok("1.234567ms"), 1.234567);
        assert_eq!(ok("5."), 5_000.0);
        assert_eq!(ok("0"), 0.0);
        for u in ["ms", "millis", "milliseconds"] {
            assert_eq!(ok(&format!("7{u}")), 7.0);
        }
        for u in ["s", "sec", "secs", "second", "seconds"] {
            assert_eq!(ok(&format!("7{u}")), 7_000.0);
        }
        for u in ["m", "min", "mins", "minute", "minutes"] {
            assert_eq!(ok(&format!("7{u}")), 420_000.0);
        }
        for u in ["h", "hr", "hrs", "hour", "hours"] {
            assert_eq!(ok(&format!("7{u}")), 25_200_000.0);
        }
        for u in ["d", "day", "days"] {
            assert_eq!(ok(&format!("7{u}")), 604_800_000.0);
        }
    }

    #[test]
    fn rejects_with_a_reason() {
        assert_eq!(parse_uncached(""), Err(DurationError::Empty));
        assert_eq!(parse_uncached(" \t"), Err(DurationError::Empty));
        for bad in ["-5s", "abc", "s5", "5ss", "1.2.3s", "inf", "NaN", ".", "1e3", "5 s s", "5x", "--5s", "+-5s", "+", "-", "+ 5s", "-0.1s", "- 0s", "-1e400"] {
            assert_eq!(parse_uncached(bad), Err(DurationError::Invalid), "{bad:?}");
        }
        assert_eq!(parse_uncached("100000000000000000000000s"), Err(DurationError::OutOfRange));
        assert_eq!(parse_uncached(&"9".repeat(400)), Err(DurationError::OutOfRange));
        assert_eq!(parse_uncached("9007199254740991ms"), Ok(MAX_MS));
        assert_eq!(parse_uncached("9007199254740993ms"), Err(DurationError::OutOfRange));
    }

    #[test]
    fn signs_as_velostream_reads_them() {
        assert_eq!(ok("+5s"), 5_000.0);
        assert_eq!(ok(" +.5s "), 500.0);
        for zero in ["-0s", "-0", "-0.000ms", "+0", "-00000000000000000000.0000000000000000000d"] {
            let ms = ok(zero);
            assert!(ms == 0.0 && ms.is_sign_positive(), "{zero:?} gave {ms}");
        }
    }

    #[test]
    fn long_mantissas_fall_back_to_a_float_parse() {
        assert_eq!(ok("1.0000000000000000001s"), 1000.0);
        assert_eq!(ok("0.12345678901234567ms"), 0.12345678901234567);
    }

    #[test]
    fn interned_values_match_the_parser() {
        for (k, v) in INTERNED {
            assert_eq!(parse_uncached(k), Ok(v), "{k}");
        }
    }

    #[test]
    fn lru_is_bounded_and_evicts_least_recent() {
        let p = DurationParser::new(3);
        for s in ["11s", "12s", "13s"] {
            p.parse(s).unwrap();
        }
        p.parse("11s").unwrap(); // 11 becomes most recent; 12 is now the oldest
        p.parse("14s").unwrap();
        assert!(p.is_cached("11s") && p.is_cached("13s") && p.is_cached("14s"));
        assert!(!p.is_cached("12s"));
        let st = p.stats();
        assert_eq!((st.size, st.capacity, st.hits, st.misses), (3, 3, 1, 4));
        for i in 0..10_000 {
            p.parse(&format!("{i}ms")).unwrap();
        }
        assert_eq!(p.stats().size, 3);
    }

    #[test]
    fn errors_are_not_cached_and_long_keys_are_not_cached() {
        let p = DurationParser::new(8);
        assert!(p.parse("nope").is_err());
        assert!(!p.is_cached("nope"));
        let long = format!("{}1s", " ".repeat(100));
        assert_eq!(p.parse(&long), Ok(1000.0));
        assert_eq!(p.stats().size, 0);
    }

    #[test]
    fn zero_capacity_disables_caching() {
        let p = DurationParser::new(0);
        assert_eq!(p.parse("7s"), Ok(7000.0));
        assert_eq!(p.stats().size, 0);
    }
}

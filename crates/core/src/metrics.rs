//! Retry metrics: atomic counters, a latency histogram, and two lock-free ways in.
//!
//! - Rust callers use [`Metrics::record`]: counters are bumped at once with relaxed atomic adds
//!   (each counter is independent; readers only need each total to be exact once the writer is
//!   done, which the drain lock below orders), and the latency goes into a bounded crossbeam
//!   `ArrayQueue` that a background aggregator thread drains into the histogram. A full queue is
//!   drained by the recorder itself: nothing is dropped.
//! - Another runtime (JS, via the binding) gets an [`EventRing`]: a single-producer ring of 8-byte
//!   slots in memory Rust owns. An event is one slot: an integer below 2^53 stored as an f64
//!   ([`Event::to_slot`]), so the producer publishes it with a single plain 8-byte store (a JS
//!   `Float64Array` element write) and needs no ordering between words. Each slot carries the
//!   parity of the lap it was written in, so the consumer tells a fresh slot from a stale one
//!   without anyone clearing slots. The consumer never writes a slot: it publishes how far it has
//!   read (the tail, a 32-bit counter) once per drain, in a header on a cache line of its own. The
//!   producer reads that tail only when its cached copy says the ring may be full. So the producer's
//!   per-event work touches no line the consumer writes (measured: the earlier protocol, where the
//!   consumer zeroed each slot and the producer checked it, cost a cross-core cache miss per line).
//!   The producer never calls into Rust per event, and several threads (one ring each) record into
//!   the same totals.
//!
//! A snapshot drains everything first, under the same lock the aggregator drains under, so every
//! event recorded before it (in happens-before terms) is in it.
//!
//! The histogram is log-linear over microseconds: values below 16 µs have a bucket each, then every
//! power of two is split into 8 buckets (12.5 % wide) up to 2^44 µs (about 203 days). Quantiles
//! report a bucket's exclusive upper bound, clamped to the exact maximum. The TS twin
//! (`ts/metrics/js.ts`) uses the same buckets, so both report the same figures for the same events.

use crate::classify::{Category, CATEGORY_COUNT};
use crossbeam_queue::ArrayQueue;
use std::fmt::Write as _;
use std::sync::atomic::{fence, AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock, Weak};
use std::time::Duration;

/// What happened, as one event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum EventKind {
    /// An operation succeeded after `attempts` attempts.
    Success = 1,
    /// An operation gave up after `attempts` attempts; its last error had `category`.
    Failure = 2,
    /// One attempt failed with `category` and will be retried.
    Retry = 3,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Event {
    pub kind: EventKind,
    pub category: Category,
    pub attempts: u32,
    /// With `Failure`: it gave up because the deadline passed.
    pub timed_out: bool,
    /// Whole-operation latency in whole microseconds (`Success`, `Failure`); 0 for `Retry`.
    pub latency_us: u64,
}

/// Attempts above this do not fit a ring slot; such events go through [`Metrics::record`].
pub const MAX_RING_ATTEMPTS: u32 = (1 << 13) - 1;
/// Latencies from this many microseconds on (about 71 minutes) do not fit a ring slot either.
pub const MAX_RING_US: u64 = 1 << 32;

impl Event {
    /// The slot value, shared with the TS writer: `meta * 2^32 + latency_us` with
    /// `meta = attempts * 256 + category * 16 + lap * 8 + timed_out * 4 + kind`, an integer below
    /// 2^53 (meta has 21 bits), hence exact as an f64; stored as that f64's bits. `lap` is the
    /// parity of the ring lap the slot is written in. `None` when the event does not fit
    /// ([`MAX_RING_ATTEMPTS`], [`MAX_RING_US`]).
    pub fn to_slot(&self, lap: bool) -> Option<u64> {
        if self.attempts > MAX_RING_ATTEMPTS || self.latency_us >= MAX_RING_US {
            return None;
        }
        let meta = (u64::from(self.attempts) << 8) | ((self.category as u64) << 4) | (u64::from(lap) << 3) | (u64::from(self.timed_out) << 2) | self.kind as u64;
        Some(((meta << 32) | self.latency_us) as f64).map(f64::to_bits)
    }

    /// The event in a slot and the lap parity it was written with.
    pub fn from_slot(bits: u64) -> Option<(Event, bool)> {
        let v = f64::from_bits(bits);
        if !(v >= 1.0 && v < 9_007_199_254_740_992.0) || v.fract() != 0.0 {
            return None;
        }
        let n = v as u64;
        let meta = n >> 32;
        let kind = match meta & 3 {
            1 => EventKind::Success,
            2 => EventKind::Failure,
            3 => EventKind::Retry,
            _ => return None,
        };
        let event = Event {
            kind,
            timed_out: meta & 4 != 0,
            category: Category::from_id(((meta >> 4) & 15) as u8)?,
            attempts: (meta >> 8) as u32,
            latency_us: n & 0xffff_ffff,
        };
        Some((event, meta & 8 != 0))
    }
}

// ---------------------------------------------------------------- histogram

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
struct Histogram {
    buckets: Box<[u64; BUCKETS]>,
    count: u64,
    sum_us: u64,
    max_us: u64,
}

impl Histogram {
    fn new() -> Self {
        Histogram { buckets: Box::new([0; BUCKETS]), count: 0, sum_us: 0, max_us: 0 }
    }

    fn record(&mut self, us: u64) {
        self.buckets[bucket_of(us)] += 1;
        self.count += 1;
        self.sum_us = self.sum_us.saturating_add(us);
        self.max_us = self.max_us.max(us);
    }

    /// The value at percentile `p` (integer percent), in microseconds.
    fn quantile_us(&self, p: u64) -> u64 {
        if self.count == 0 {
            return 0;
        }
        let rank = ((self.count * p + 99) / 100).max(1);
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

// ---------------------------------------------------------------- rings

/// Words before the first slot: the tail (word 0) alone on a 64-byte cache line.
const HEADER_WORDS: usize = 8;

/// A single-producer ring of one-word slots ([`Event::to_slot`]) behind a header holding the
/// consumer's tail. Counters (head, tail) are 32-bit and wrap; `slots` is a power of two, so a
/// counter's lap parity is `(counter >> log2(slots)) & 1` for the producer and consumer alike.
#[derive(Debug)]
pub struct EventRing {
    words: Box<[AtomicU64]>,
    shift: u32,
    /// The consumer's position; the lock also makes the consumer single.
    tail: Mutex<u32>,
}

impl EventRing {
    fn new(slots: usize) -> Self {
        let slots = slots.next_power_of_two().clamp(2, 1 << 24);
        EventRing {
            words: (0..HEADER_WORDS + slots).map(|_| AtomicU64::new(0)).collect(),
            shift: slots.trailing_zeros(),
            tail: Mutex::new(0),
        }
    }

    pub fn slots(&self) -> usize {
        self.words.len() - HEADER_WORDS
    }

    /// The ring's memory, for the producer on the far side: the header, then `slots()` 8-byte
    /// slots; `byte_len()` bytes, 8-byte aligned. Word 0's low 32 bits (little-endian) are the tail.
    pub fn as_ptr(&self) -> *mut u8 {
        self.words.as_ptr() as *mut u8
    }

    pub fn byte_len(&self) -> usize {
        self.words.len() * 8
    }

    fn lap(&self, counter: u32) -> bool {
        (counter >> self.shift) & 1 == 1
    }

    fn slot(&self, counter: u32) -> &AtomicU64 {
        &self.words[HEADER_WORDS + (counter as usize & (self.slots() - 1))]
    }

    /// Producer side, for tests and Rust producers: the same protocol the TS writer follows.
    /// Returns false when the ring is full (the consumer's published tail is a lap behind); panics
    /// on an event that does not fit a slot (a Rust caller uses [`Metrics::record`] for those).
    pub fn push(&self, head: u32, event: &Event) -> bool {
        // Acquire pairs with the consumer's release of the tail: it has read the slots before it.
        let tail = self.words[0].load(Ordering::Acquire) as u32;
        if head.wrapping_sub(tail) as usize >= self.slots() {
            return false;
        }
        let slot = event.to_slot(self.lap(head)).expect("event fits a ring slot");
        // One word carries the whole event; Release keeps Rust producers as ordered as a JS store on x86.
        self.slot(head).store(slot, Ordering::Release);
        true
    }

    fn drain(&self, apply: &mut impl FnMut(Event)) {
        let mut tail = self.tail.lock().unwrap_or_else(|e| e.into_inner());
        let start = *tail;
        loop {
            // Acquire pairs with the producer's store of the slot.
            let bits = self.slot(*tail).load(Ordering::Acquire);
            match Event::from_slot(bits) {
                // Written in this lap: fresh. Anything else (0, the previous lap's event) means the
                // producer has not got here yet, or (on a weakly ordered CPU) its store is not yet
                // visible though a later one is: the next pass resumes here, so nothing is skipped.
                Some((event, lap)) if lap == self.lap(*tail) => apply(event),
                _ => break,
            }
            *tail = tail.wrapping_add(1);
        }
        if *tail != start {
            // Release: our reads of the slots happen before the producer sees them as free.
            self.words[0].store(u64::from(*tail), Ordering::Release);
        }
    }
}

// ---------------------------------------------------------------- metrics

#[derive(Debug, Default)]
struct Counters {
    attempts: AtomicU64,
    successes: AtomicU64,
    failures: AtomicU64,
    timeouts: AtomicU64,
    retries: AtomicU64,
    categories: [AtomicU64; CATEGORY_COUNT],
}

impl Counters {
    fn apply(&self, e: &Event) {
        // Relaxed: each counter is a tally on its own; cross-counter consistency comes from the
        // drain lock a snapshot takes, not from these orderings.
        let add = |c: &AtomicU64, n: u64| {
            c.fetch_add(n, Ordering::Relaxed);
        };
        match e.kind {
            EventKind::Success => {
                add(&self.attempts, u64::from(e.attempts));
                add(&self.successes, 1);
            }
            EventKind::Failure => {
                add(&self.attempts, u64::from(e.attempts));
                add(&self.failures, 1);
                add(&self.categories[e.category as usize], 1);
                if e.timed_out {
                    add(&self.timeouts, 1);
                }
            }
            EventKind::Retry => {
                add(&self.retries, 1);
                add(&self.categories[e.category as usize], 1);
            }
        }
    }
}

#[derive(Debug)]
struct Inner {
    id: u64,
    counters: Counters,
    latencies: ArrayQueue<u64>,
    /// Held while draining; guards the histogram and the ring list.
    state: Mutex<State>,
}

#[derive(Debug)]
struct State {
    histogram: Histogram,
    rings: Vec<Arc<EventRing>>,
}

impl Inner {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn drain_locked(&self, state: &mut State) {
        while let Some(us) = self.latencies.pop() {
            state.histogram.record(us);
        }
        let State { histogram, rings } = state;
        let mut apply = |e: Event| {
            self.counters.apply(&e);
            if e.kind != EventKind::Retry {
                histogram.record(e.latency_us);
            }
        };
        let mut i = 0;
        while i < rings.len() {
            rings[i].drain(&mut apply);
            if Arc::strong_count(&rings[i]) == 1 {
                // Only this list holds the ring: its producer is gone. It may have pushed its last
                // events after the drain above and before letting go, so drain once more. The fence
                // pairs with the release decrement of its Arc: its pushes happen before this read.
                fence(Ordering::Acquire);
                rings[i].drain(&mut apply);
                rings.swap_remove(i);
            } else {
                i += 1;
            }
        }
    }
}

/// Latency figures in milliseconds.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Latency {
    pub count: u64,
    pub mean: f64,
    pub p50: f64,
    pub p90: f64,
    pub p99: f64,
    pub max: f64,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct Snapshot {
    pub attempts: u64,
    pub successes: u64,
    pub failures: u64,
    pub timeouts: u64,
    pub retries: u64,
    pub categories: [u64; CATEGORY_COUNT],
    /// successes / attempts, percent; 0 with no attempts.
    pub success_rate: f64,
    /// timeouts / attempts, percent; 0 with no attempts.
    pub timeout_rate: f64,
    /// attempts / successes; 0 with no successes.
    pub mean_attempts_per_success: f64,
    pub latency: Latency,
}

/// Process-wide retry metrics. Cloning shares the same totals.
#[derive(Debug, Clone)]
pub struct Metrics {
    inner: Arc<Inner>,
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

/// Queue bound for Rust-side latency events between aggregator passes.
const QUEUE_CAPACITY: usize = 1 << 16;
/// How often the aggregator drains when nothing wakes it.
const AGGREGATE_EVERY: Duration = Duration::from_millis(20);

fn registry() -> &'static Mutex<Vec<Weak<Inner>>> {
    static REGISTRY: OnceLock<Mutex<Vec<Weak<Inner>>>> = OnceLock::new();
    REGISTRY.get_or_init(|| Mutex::new(Vec::new()))
}

static AGGREGATOR_STARTED: AtomicBool = AtomicBool::new(false);
static NEXT_ID: AtomicU64 = AtomicU64::new(1);

/// One background thread for every `Metrics` in the process: it drains queues and rings so that
/// neither grows while nobody asks for a snapshot. It holds only weak references.
fn start_aggregator() {
    if AGGREGATOR_STARTED.swap(true, Ordering::AcqRel) {
        return;
    }
    let spawned = std::thread::Builder::new().name("velo-retry-metrics".into()).spawn(|| loop {
        std::thread::sleep(AGGREGATE_EVERY);
        let live: Vec<Arc<Inner>> = {
            let mut reg = registry().lock().unwrap_or_else(|e| e.into_inner());
            reg.retain(|w| w.strong_count() > 0);
            reg.iter().filter_map(Weak::upgrade).collect()
        };
        for inner in live {
            let mut state = inner.lock();
            inner.drain_locked(&mut state);
        }
    });
    if spawned.is_err() {
        // No thread: snapshots and full queues still drain synchronously, so nothing is lost.
        AGGREGATOR_STARTED.store(false, Ordering::Release);
    }
}

impl Metrics {
    pub fn new() -> Self {
        let inner = Arc::new(Inner {
            id: NEXT_ID.fetch_add(1, Ordering::Relaxed),
            counters: Counters::default(),
            latencies: ArrayQueue::new(QUEUE_CAPACITY),
            state: Mutex::new(State { histogram: Histogram::new(), rings: Vec::new() }),
        });
        registry().lock().unwrap_or_else(|e| e.into_inner()).push(Arc::downgrade(&inner));
        start_aggregator();
        Metrics { inner }
    }

    /// A process-wide id: another thread (a worker with its own JS runtime) finds these same
    /// totals with [`Metrics::find`].
    pub fn id(&self) -> u64 {
        self.inner.id
    }

    /// The live metrics with this id, if any.
    pub fn find(id: u64) -> Option<Metrics> {
        let reg = registry().lock().unwrap_or_else(|e| e.into_inner());
        reg.iter().filter_map(Weak::upgrade).find(|i| i.id == id).map(|inner| Metrics { inner })
    }

    /// Records from a Rust thread: counters now, latency through the queue.
    pub fn record(&self, event: Event) {
        self.inner.counters.apply(&event);
        if event.kind == EventKind::Retry {
            return;
        }
        let mut latency = event.latency_us;
        while let Err(back) = self.inner.latencies.push(latency) {
            // Full: drain it ourselves rather than drop the value.
            latency = back;
            let mut state = self.inner.lock();
            self.inner.drain_locked(&mut state);
        }
    }

    /// A new ring for one producer thread on the far side of an FFI boundary. The caller keeps
    /// the returned `Arc` alive for as long as the producer may write into it.
    pub fn attach_ring(&self, slots: usize) -> Arc<EventRing> {
        let ring = Arc::new(EventRing::new(slots));
        self.inner.lock().rings.push(ring.clone());
        ring
    }

    /// Drains every queue and ring now.
    pub fn drain(&self) {
        let mut state = self.inner.lock();
        self.inner.drain_locked(&mut state);
    }

    pub fn snapshot(&self) -> Snapshot {
        let mut state = self.inner.lock();
        self.inner.drain_locked(&mut state);
        let c = &self.inner.counters;
        let get = |a: &AtomicU64| a.load(Ordering::Relaxed);
        let h = &state.histogram;
        let attempts = get(&c.attempts);
        let successes = get(&c.successes);
        let timeouts = get(&c.timeouts);
        let pct = |n: u64| if attempts == 0 { 0.0 } else { n as f64 * 100.0 / attempts as f64 };
        Snapshot {
            attempts,
            successes,
            failures: get(&c.failures),
            timeouts,
            retries: get(&c.retries),
            categories: std::array::from_fn(|i| get(&c.categories[i])),
            success_rate: pct(successes),
            timeout_rate: pct(timeouts),
            mean_attempts_per_success: if successes == 0 { 0.0 } else { attempts as f64 / successes as f64 },
            latency: Latency {
                count: h.count,
                mean: if h.count == 0 { 0.0 } else { h.sum_us as f64 / h.count as f64 / 1000.0 },
                p50: h.quantile_us(50) as f64 / 1000.0,
                p90: h.quantile_us(90) as f64 / 1000.0,
                p99: h.quantile_us(99) as f64 / 1000.0,
                max: h.max_us as f64 / 1000.0,
            },
        }
    }

    /// Zeroes every total (rings stay attached).
    pub fn reset(&self) {
        let mut state = self.inner.lock();
        self.inner.drain_locked(&mut state);
        let c = &self.inner.counters;
        for a in [&c.attempts, &c.successes, &c.failures, &c.timeouts, &c.retries].into_iter().chain(c.categories.iter()) {
            a.store(0, Ordering::Relaxed);
        }
        state.histogram = Histogram::new();
    }
}

/// Formats a number as JavaScript's `String(number)` does for the values metrics produce
/// (integers, and fractions of moderate size), so both twins print the same exposition.
pub fn js_number(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e21 {
        format!("{}", v as i64)
    } else {
        format!("{v}")
    }
}

impl Snapshot {
    /// Prometheus text exposition (format 0.0.4). `prefix` must be a valid metric name prefix.
    pub fn to_prometheus(&self, prefix: &str) -> String {
        let mut out = String::with_capacity(2048);
        let mut metric = |name: &str, kind: &str, help: &str, samples: &[(String, f64)]| {
            let _ = writeln!(out, "# HELP {prefix}_{name} {help}");
            let _ = writeln!(out, "# TYPE {prefix}_{name} {kind}");
            for (suffix, v) in samples {
                let _ = writeln!(out, "{prefix}_{name}{suffix} {}", js_number(*v));
            }
        };
        let one = |v: u64| vec![(String::new(), v as f64)];
        metric("attempts_total", "counter", "Attempts made, successful or not.", &one(self.attempts));
        metric("successes_total", "counter", "Operations that succeeded.", &one(self.successes));
        metric("failures_total", "counter", "Operations that gave up.", &one(self.failures));
        metric("timeouts_total", "counter", "Operations that gave up at their deadline.", &one(self.timeouts));
        metric("retries_total", "counter", "Failed attempts that were retried.", &one(self.retries));
        let cats: Vec<(String, f64)> = Category::ALL
            .iter()
            .map(|c| (format!("{{category=\"{}\"}}", c.name()), self.categories[*c as usize] as f64))
            .collect();
        metric("errors_total", "counter", "Errors by category, retried or final.", &cats);
        let l = &self.latency;
        let q = vec![
            ("{quantile=\"0.5\"}".to_string(), l.p50 / 1000.0),
            ("{quantile=\"0.9\"}".to_string(), l.p90 / 1000.0),
            ("{quantile=\"0.99\"}".to_string(), l.p99 / 1000.0),
            ("_sum".to_string(), l.mean * l.count as f64 / 1000.0),
            ("_count".to_string(), l.count as f64),
        ];
        metric("latency_seconds", "summary", "Whole-operation latency, retries and waits included.", &q);
        metric("success_rate_percent", "gauge", "Successes per attempt, percent.", &[(String::new(), self.success_rate)]);
        metric("timeout_rate_percent", "gauge", "Timeouts per attempt, percent.", &[(String::new(), self.timeout_rate)]);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(kind: EventKind, category: Category, attempts: u32, latency_ms: f64) -> Event {
        Event { kind, category, attempts, timed_out: false, latency_us: micros(latency_ms) }
    }

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

    #[test]
    fn snapshot_figures() {
        let m = Metrics::new();
        m.record(ev(EventKind::Retry, Category::Network, 0, 0.0));
        m.record(ev(EventKind::Retry, Category::Network, 0, 0.0));
        m.record(ev(EventKind::Success, Category::Unknown, 3, 10.0));
        m.record(ev(EventKind::Success, Category::Unknown, 1, 20.0));
        m.record(Event { timed_out: true, ..ev(EventKind::Failure, Category::Timeout, 4, 40.0) });
        let s = m.snapshot();
        assert_eq!((s.attempts, s.successes, s.failures, s.timeouts, s.retries), (8, 2, 1, 1, 2));
        assert_eq!(s.categories[Category::Network as usize], 2);
        assert_eq!(s.categories[Category::Timeout as usize], 1);
        assert_eq!(s.success_rate, 25.0);
        assert_eq!(s.timeout_rate, 12.5);
        assert_eq!(s.mean_attempts_per_success, 4.0);
        assert_eq!(s.latency.count, 3);
        assert!((s.latency.mean - 70.0 / 3.0).abs() < 1e-9);
        assert_eq!(s.latency.max, 40.0);
        assert!(s.latency.p50 >= 20.0 && s.latency.p50 <= 20.0 * 1.125, "{}", s.latency.p50);
        assert_eq!(s.latency.p99, 40.0);
        let text = s.to_prometheus("velo_retry");
        assert!(text.contains("velo_retry_attempts_total 8\n"));
        assert!(text.contains("velo_retry_errors_total{category=\"Network\"} 2\n"));
        assert!(text.contains("velo_retry_latency_seconds_count 3\n"));
        assert!(text.contains("velo_retry_success_rate_percent 25\n"));
        m.reset();
        assert_eq!(m.snapshot(), Snapshot::default());
    }

    #[test]
    fn empty_snapshot_has_zero_rates() {
        let s = Metrics::new().snapshot();
        assert_eq!((s.success_rate, s.timeout_rate, s.mean_attempts_per_success), (0.0, 0.0, 0.0));
        assert_eq!(s.latency, Latency::default());
    }

    #[test]
    fn threads_recording_concurrently_give_exact_totals() {
        let m = Metrics::new();
        let threads: Vec<_> = (0..4)
            .map(|t| {
                let m = m.clone();
                std::thread::spawn(move || {
                    let ring = m.attach_ring(64);
                    let mut head = 0u32;
                    for i in 0..50_000u32 {
                        let e = if i % 2 == 0 {
                            ev(EventKind::Success, Category::Unknown, 1, f64::from(i % 100))
                        } else {
                            ev(EventKind::Retry, Category::from_id((t % 8) as u8 + 1).unwrap(), 0, 0.0)
                        };
                        if t % 2 == 0 {
                            m.record(e); // through counters + queue
                        } else {
                            while !ring.push(head, &e) {
                                m.drain(); // full: drain now, as the JS writer does
                            }
                            head = head.wrapping_add(1);
                        }
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        let s = m.snapshot();
        assert_eq!(s.successes, 100_000);
        assert_eq!(s.attempts, 100_000);
        assert_eq!(s.retries, 100_000);
        assert_eq!(s.latency.count, 100_000);
        assert_eq!(s.categories.iter().sum::<u64>(), 100_000);
    }

    #[test]
    fn find_by_id_shares_totals() {
        let m = Metrics::new();
        let other = Metrics::find(m.id()).expect("registered");
        other.record(ev(EventKind::Success, Category::Unknown, 2, 1.0));
        assert_eq!(m.snapshot().attempts, 2);
        let id = m.id();
        drop((m, other));
        assert!(Metrics::find(id).is_none());
    }

    #[test]
    fn ring_slots_round_trip() {
        let e = Event { kind: EventKind::Failure, category: Category::InvalidRequest, attempts: MAX_RING_ATTEMPTS, timed_out: true, latency_us: MAX_RING_US - 1 };
        for lap in [false, true] {
            let slot = e.to_slot(lap).unwrap();
            assert_ne!(slot, 0);
            assert_eq!(Event::from_slot(slot), Some((e, lap)));
        }
        // the same integer, computed as JS computes it
        let meta = f64::from(MAX_RING_ATTEMPTS) * 256.0 + 8.0 * 16.0 + 8.0 + 4.0 + 2.0;
        assert_eq!((meta * 4_294_967_296.0 + (MAX_RING_US - 1) as f64).to_bits(), e.to_slot(true).unwrap());
        assert_eq!(Event { attempts: MAX_RING_ATTEMPTS + 1, ..e }.to_slot(false), None);
        assert_eq!(Event { latency_us: MAX_RING_US, ..e }.to_slot(false), None);
        for bad in [0u64, 0.5f64.to_bits(), f64::NAN.to_bits(), (-1.0f64).to_bits(), 1e300f64.to_bits()] {
            assert_eq!(Event::from_slot(bad), None);
        }
    }

    #[test]
    fn ring_laps_and_wraparound() {
        let m = Metrics::new();
        let ring = m.attach_ring(4);
        // Start near the 32-bit wrap, as a long-lived producer eventually is.
        let start = u32::MAX - 5;
        *ring.tail.lock().unwrap() = start;
        ring.words[0].store(u64::from(start), Ordering::Release);
        let ev = |i: u32| Event { kind: EventKind::Success, category: Category::Unknown, attempts: 1, timed_out: false, latency_us: u64::from(i) };
        let mut head = start;
        for i in 0..4 {
            assert!(ring.push(head, &ev(i)));
            head = head.wrapping_add(1);
        }
        assert!(!ring.push(head, &ev(9)), "a full ring refuses a fifth event");
        m.drain();
        for i in 4..11 {
            while !ring.push(head, &ev(i)) {
                m.drain();
            }
            head = head.wrapping_add(1);
        }
        let s = m.snapshot();
        assert_eq!(s.successes, 11);
        assert_eq!(s.latency.max, 0.010);
    }
}

//! [`Metrics`]: the process-wide totals, the registry other threads find them in, the background
//! aggregator, and snapshots.

use super::event::{Event, EventKind};
use super::histogram::Histogram;
use super::ring::EventRing;
use crate::classify::CATEGORY_COUNT;
use crossbeam_queue::ArrayQueue;
use std::sync::atomic::{fence, AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock, Weak};
use std::time::Duration;

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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::classify::Category;
    use crate::metrics::micros;

    fn ev(kind: EventKind, category: Category, attempts: u32, latency_ms: f64) -> Event {
        Event { kind, category, attempts, timed_out: false, latency_us: micros(latency_ms) }
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
}

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
//!
//! Files: `event` (one event and its ring slot encoding), `histogram`, `ring` (the shared-memory
//! ring), `totals` ([`Metrics`]: counters, the aggregator, snapshots), `exposition` (Prometheus text).

mod event;
mod exposition;
mod histogram;
mod ring;
mod totals;

pub use event::{Event, EventKind, MAX_RING_ATTEMPTS, MAX_RING_US};
pub use exposition::js_number;
pub use histogram::{bucket_of, bucket_upper, micros, BUCKETS};
pub use ring::EventRing;
pub use totals::{Latency, Metrics, Snapshot};

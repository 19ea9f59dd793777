//! velo-retry-core: the hot paths of velo-retry, in plain Rust with no knowledge of Node.
//!
//! - [`duration`]: duration text to milliseconds, with a bounded LRU cache.
//! - [`backoff`]: fixed / exponential / linear delays with x2 and x1.5 fast paths, and jitter.
//! - [`classify`]: librdkafka error codes and message text to an error category (our own SIMD text scan).
//! - [`metrics`]: atomic counters, lock-free event queues, a background aggregator, a histogram.
//! - [`slab`]: the off-heap memory the buffer pool recycles.
//! - [`compress`]: trial compression of sampled payloads for the compression advisor.
//! - [`envelope`]: the batching envelope format: many logical messages in one Kafka record.
//!
//! The binding (`crates/napi`) only converts; each module here has a TypeScript twin in `ts/`
//! that passes the same conformance suite. The façade calls Rust where one crossing pays (a batch,
//! shared memory, off-heap memory: classify batches, metrics, the slab); the per-call duration,
//! backoff and classification functions are the reference its TS twins are held to
//! (`ts/native/load.ts` has the table, with the bench row behind each choice).
//!
//! "Upstream" in these docs is Velostream's `velostream::table::retry_utils`, the Rust module whose
//! behaviour this package brings to Node; where it had defects (listed in the README), this fixes them.

pub mod backoff;
pub mod classify;
pub mod compress;
pub mod duration;
pub mod envelope;
pub mod metrics;
pub mod slab;

//! N-API binding of velo-retry-core. Conversions only: every decision lives in the core crate,
//! every validation message in the TS façade (`ts/`), which checks arguments before calling here.
//!
//! What the façade calls: the batch classifier, the metrics totals and their rings, and the pool's
//! slab (`ts/native/load.ts` has the table of which twin serves which call shape, with the bench
//! row behind each choice). The `reference*` exports are the Rust twins of per-call shapes the
//! façade serves from TS, because one N-API crossing costs more than the TS work: they exist for
//! the conformance suite and the bench, which hold the TS twins to them.
//!
//! Nothing here panics on any input the façade can pass: parse failures come back as negative
//! codes (cheaper than a thrown error crossing N-API), other failures as `napi::Error`s whose
//! message starts with a stable code (`ERR_METRICS_NOT_FOUND`, `ERR_POOL_SIZE`); the façade
//! validates first, and turns the one a user can cause (an unknown metrics share id) into a
//! `RangeError` naming it.

use napi::bindgen_prelude::*;
use napi_derive::napi;
use std::sync::{Arc, OnceLock};
use velo_retry_core::backoff::{apply_jitter, Jitter, Strategy};
use velo_retry_core::classify::{self, Category};
use velo_retry_core::compress;
use velo_retry_core::duration::{DurationError, DurationParser, DEFAULT_CACHE_CAPACITY};
use velo_retry_core::envelope;
use velo_retry_core::metrics::{micros, Event, EventKind, Metrics};
use velo_retry_core::slab;

// ------------------------------------------------------------------ duration

fn parser() -> &'static DurationParser {
    static P: OnceLock<DurationParser> = OnceLock::new();
    P.get_or_init(|| DurationParser::new(DEFAULT_CACHE_CAPACITY))
}

/// Milliseconds, or -1 (empty), -2 (not the grammar), -3 (out of range).
#[napi(js_name = "referenceParseDuration")]
pub fn parse_duration(text: String) -> f64 {
    match parser().parse(&text) {
        Ok(ms) => ms,
        Err(DurationError::Empty) => -1.0,
        Err(DurationError::Invalid) => -2.0,
        Err(DurationError::OutOfRange) => -3.0,
    }
}

/// [hits, misses, size, capacity]
#[napi(js_name = "referenceDurationCacheStats")]
pub fn duration_cache_stats() -> Vec<f64> {
    let s = parser().stats();
    vec![s.hits as f64, s.misses as f64, s.size as f64, s.capacity as f64]
}

#[napi(js_name = "referenceDurationCacheReset")]
pub fn duration_cache_reset(capacity: u32) {
    parser().reset(capacity as usize);
}

#[napi(js_name = "referenceDurationIsCached")]
pub fn duration_is_cached(text: String) -> bool {
    parser().is_cached(&text)
}

// ------------------------------------------------------------------ backoff

/// kind: 0 fixed(a), 1 exponential(a initial, b max, c multiplier), 2 linear(a initial, b increment, c max).
/// The façade validated the parameters; the variants are built directly so no check runs twice.
fn strategy(kind: u32, a: f64, b: f64, c: f64) -> Strategy {
    match kind {
        1 => Strategy::Exponential { initial: a, max: b, multiplier: c },
        2 => Strategy::Linear { initial: a, increment: b, max: c },
        _ => Strategy::Fixed { interval: a },
    }
}

#[napi(js_name = "referenceCalculateDelay")]
pub fn calculate_delay(kind: u32, a: f64, b: f64, c: f64, attempt: u32) -> f64 {
    strategy(kind, a, b, c).delay(attempt)
}

/// The general formula alone (no fast paths): what the conformance suite compares against.
#[napi(js_name = "referenceCalculateDelayGeneral")]
pub fn calculate_delay_general(kind: u32, a: f64, b: f64, c: f64, attempt: u32) -> f64 {
    strategy(kind, a, b, c).delay_general(attempt)
}

/// jitter: 0 none, 1 full, 2 equal, 3 decorrelated.
#[napi(js_name = "referenceJitteredDelay")]
#[allow(clippy::too_many_arguments)]
pub fn jittered_delay(jitter: u32, delay: f64, random: f64, previous: f64, kind: u32, a: f64, b: f64, c: f64) -> f64 {
    let j = match jitter {
        1 => Jitter::Full,
        2 => Jitter::Equal,
        3 => Jitter::Decorrelated,
        _ => Jitter::None,
    };
    apply_jitter(j, delay, random, previous, &strategy(kind, a, b, c))
}

// ------------------------------------------------------------------ classify

/// Category id for a librdkafka code, or -1 when the code says nothing.
#[napi(js_name = "referenceClassifyCode")]
pub fn classify_code(code: i32) -> i32 {
    classify::classify_code(code).map_or(-1, |c| c as i32)
}

#[napi(js_name = "referenceClassifyText")]
pub fn classify_text(text: String) -> u32 {
    classify::classify_text(text.as_bytes()) as u32
}

/// The text pattern table as "pattern<TAB>category id" lines, so the conformance suite can check
/// that the TS twin matches the very same patterns.
#[napi(js_name = "referenceClassifyPatterns")]
pub fn classify_patterns() -> Vec<String> {
    classify::PATTERNS.iter().map(|(p, c)| format!("{p}\t{}", *c as u8)).collect()
}

/// One category id per `separator`-separated message: one boundary crossing for a whole batch.
#[napi]
pub fn classify_joined(joined: String, separator: u32) -> Uint8Array {
    let mut out = Vec::new();
    classify::classify_joined(joined.as_bytes(), separator as u8, &mut out);
    Uint8Array::new(out)
}

// ------------------------------------------------------------------ metrics

#[napi]
#[derive(Debug)]
pub struct NativeMetrics {
    inner: Metrics,
}

#[napi]
impl NativeMetrics {
    /// New totals, or (with `id`) the live totals another thread created.
    #[napi(constructor)]
    pub fn new(id: Option<f64>) -> Result<Self> {
        match id {
            None => Ok(NativeMetrics { inner: Metrics::new() }),
            Some(id) => Metrics::find(id as u64)
                .map(|inner| NativeMetrics { inner })
                .ok_or_else(|| Error::new(Status::InvalidArg, format!("ERR_METRICS_NOT_FOUND: no live metrics with id {id}"))),
        }
    }

    #[napi(getter)]
    pub fn id(&self) -> f64 {
        self.inner.id() as f64
    }

    /// A ring for this thread to write events into, as an ArrayBuffer over Rust-owned memory.
    /// The buffer keeps the ring alive; when it is collected the ring is drained and dropped.
    #[napi]
    pub fn attach_ring<'env>(&self, env: &'env Env, slots: u32) -> Result<ArrayBuffer<'env>> {
        let ring = self.inner.attach_ring(slots as usize);
        let (ptr, len) = (ring.as_ptr(), ring.byte_len());
        // SAFETY: `ptr` points at `len` bytes owned by `ring`'s allocation, which the finalize hint
        // (an `Arc` clone) keeps alive until the ArrayBuffer is collected; the memory is a slice
        // of `AtomicU64`, so the aggregator's accesses are atomic, and JS writes each slot with one
        // aligned 8-byte store.
        unsafe { ArrayBuffer::from_external(env, ptr, len, ring, |_, ring: Arc<_>| drop(ring)) }
    }

    /// The slow path for events a ring slot cannot hold (attempts >= 2^13, latency >= 2^32 µs).
    #[napi]
    pub fn record(&self, kind: u32, category: u32, attempts: u32, timed_out: bool, latency_ms: f64) {
        let kind = match kind {
            1 => EventKind::Success,
            2 => EventKind::Failure,
            _ => EventKind::Retry,
        };
        let category = Category::from_id(category as u8).unwrap_or(Category::Unknown);
        self.inner.record(Event { kind, category, attempts, timed_out, latency_us: micros(latency_ms) });
    }

    #[napi]
    pub fn drain(&self) {
        self.inner.drain();
    }

    /// Flat figures: attempts, successes, failures, timeouts, retries, successRate, timeoutRate,
    /// meanAttemptsPerSuccess, latency count, mean, p50, p90, p99, max, then one count per category.
    #[napi]
    pub fn snapshot(&self) -> Float64Array {
        let s = self.inner.snapshot();
        let l = s.latency;
        let mut v = vec![
            s.attempts as f64,
            s.successes as f64,
            s.failures as f64,
            s.timeouts as f64,
            s.retries as f64,
            s.success_rate,
            s.timeout_rate,
            s.mean_attempts_per_success,
            l.count as f64,
            l.mean,
            l.p50,
            l.p90,
            l.p99,
            l.max,
        ];
        v.extend(s.categories.iter().map(|&c| c as f64));
        Float64Array::new(v)
    }

    #[napi]
    pub fn to_prometheus(&self, prefix: String) -> String {
        self.inner.snapshot().to_prometheus(&prefix)
    }

    #[napi]
    pub fn reset(&self) {
        self.inner.reset();
    }
}

// ------------------------------------------------------------------ pool

/// One off-heap slab of `size` bytes for the buffer pool: the GC never scans or moves it. The
/// façade cuts it into equal Buffers once and recycles them without crossing N-API again.
#[napi]
pub fn allocate_slab<'env>(env: &'env Env, size: f64) -> Result<ArrayBuffer<'env>> {
    let refused = || Error::new(Status::InvalidArg, format!("ERR_POOL_SIZE: a slab of {size} bytes (1 to {} whole bytes)", slab::MAX_SLAB_BYTES));
    // The façade passes whole byte counts in range; a fraction or NaN would be cut by `as usize`.
    if size.fract() != 0.0 {
        return Err(refused());
    }
    let mut slab = slab::allocate_slab(size as usize).ok_or_else(refused)?;
    let (ptr, len) = (slab.as_mut_ptr(), slab.len());
    // SAFETY: the boxed slice is moved into the finalize hint, so `ptr..ptr+len` stays valid and
    // unaliased by Rust until the ArrayBuffer is collected and the hint dropped.
    unsafe { ArrayBuffer::from_external(env, ptr, len, slab, |_, slab| drop(slab)) }
}

// ------------------------------------------------------------------ compression advice

/// One codec's figures from `trialCompress`.
#[napi(object)]
#[derive(Debug)]
pub struct CodecTrial {
    pub codec: String,
    pub input: f64,
    pub output: f64,
    pub compress_mbps: f64,
    pub decompress_mbps: f64,
}

/// Compresses the samples with each named codec (gzip, snappy, lz4, zstd), in batches of at most
/// `batchBytes` as librdkafka would, timing each for about `budgetMs`: one call over all samples.
/// The façade validates the arguments; what it could still pass wrong is an Error, never a panic.
#[napi]
pub fn trial_compress(samples: Vec<Buffer>, codecs: Vec<String>, batch_bytes: u32, budget_ms: f64) -> Result<Vec<CodecTrial>> {
    let wanted = codecs
        .iter()
        .map(|name| compress::Codec::from_name(name).ok_or_else(|| Error::new(Status::InvalidArg, format!("ERR_CODEC: unknown codec {name:?}"))))
        .collect::<Result<Vec<_>>>()?;
    if !(budget_ms.is_finite() && (0.0..=10_000.0).contains(&budget_ms)) {
        return Err(Error::new(Status::InvalidArg, format!("ERR_BUDGET: {budget_ms} ms (0 to 10000)")));
    }
    let refs: Vec<&[u8]> = samples.iter().map(|b| b.as_ref()).collect();
    let budget = std::time::Duration::from_secs_f64(budget_ms / 1000.0);
    let trials = compress::trial(&refs, &wanted, batch_bytes as usize, budget).map_err(|e| Error::new(Status::InvalidArg, format!("ERR_TRIAL: {e:?}")))?;
    Ok(trials
        .into_iter()
        .map(|t| CodecTrial {
            codec: t.codec.name().to_string(),
            input: t.input as f64,
            output: t.output as f64,
            compress_mbps: t.compress_mbps,
            decompress_mbps: t.decompress_mbps,
        })
        .collect())
}

// ------------------------------------------------------------------ envelopes

/// Checks an envelope and gives where each part sits (see `velo_retry_core::envelope::layout`);
/// a malformed one is an Error whose message starts with its stable code.
#[napi]
pub fn envelope_layout(bytes: Buffer) -> Result<Int32Array> {
    envelope::layout(&bytes).map(Int32Array::new).map_err(|e| Error::new(Status::InvalidArg, format!("{}: {e}", e.code())))
}

/// Writes an envelope into `target` and returns the bytes written. `lengths` describes the
/// messages in order: per message key length, value length (-1: null), header count, then per
/// header name length and value length; `parts` holds the non-null pieces in the same order.
#[napi]
pub fn encode_envelope(target: Buffer, id_high: u32, id_low: u32, timestamp: f64, lengths: Int32Array, parts: Vec<Buffer>) -> Result<u32> {
    let bad = |what: &str| Error::new(Status::InvalidArg, format!("ERR_ENVELOPE_INPUT: {what}"));
    let lengths: &[i32] = &lengths;
    let mut pieces = parts.iter().map(|b| b.as_ref());
    let mut next = |len: i32| -> Result<Option<&[u8]>> {
        if len == -1 {
            return Ok(None);
        }
        let p = pieces.next().ok_or_else(|| bad("fewer parts than lengths"))?;
        if len < 0 || p.len() != len as usize {
            return Err(bad("a part whose length is not its entry's"));
        }
        Ok(Some(p))
    };
    let mut messages = Vec::new();
    let mut i = 0;
    while i < lengths.len() {
        let head = lengths.get(i..i + 3).ok_or_else(|| bad("a message cut short"))?;
        let (key, value) = (next(head[0])?, next(head[1])?);
        let count = usize::try_from(head[2]).map_err(|_| bad("a negative header count"))?;
        i += 3;
        let mut headers = Vec::with_capacity(count.min(1024));
        for _ in 0..count {
            let h = lengths.get(i..i + 2).ok_or_else(|| bad("a header cut short"))?;
            let name = next(h[0])?.ok_or_else(|| bad("a null header name"))?;
            headers.push((name, next(h[1])?));
            i += 2;
        }
        messages.push(envelope::Message { key, value, headers });
    }
    if pieces.next().is_some() {
        return Err(bad("more parts than lengths"));
    }
    let size = envelope::encoded_len(&messages);
    let mut target = target;
    let out: &mut [u8] = target.as_mut();
    if size > out.len() {
        return Err(bad(&format!("a target of {} bytes, smaller than the envelope ({size} bytes)", out.len())));
    }
    let mut bytes = Vec::with_capacity(size);
    envelope::encode((u64::from(id_high) << 32) | u64::from(id_low), timestamp as i64, &messages, &mut bytes);
    out[..size].copy_from_slice(&bytes);
    Ok(size as u32)
}

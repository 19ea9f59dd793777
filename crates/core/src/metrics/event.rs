//! One event, and how it travels through a ring: one 8-byte slot, an integer below 2^53 stored as
//! an f64, so a JS writer publishes it with one plain `Float64Array` store.

use crate::classify::Category;

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
        let meta =
            (u64::from(self.attempts) << 8) | ((self.category as u64) << 4) | (u64::from(lap) << 3) | (u64::from(self.timed_out) << 2) | self.kind as u64;
        Some((((meta << 32) | self.latency_us) as f64).to_bits())
    }

    /// The event in a slot and the lap parity it was written with.
    pub fn from_slot(bits: u64) -> Option<(Event, bool)> {
        let v = f64::from_bits(bits);
        if !(1.0..9_007_199_254_740_992.0).contains(&v) || v.fract() != 0.0 {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ring_slots_round_trip() {
        let e =
            Event { kind: EventKind::Failure, category: Category::InvalidRequest, attempts: MAX_RING_ATTEMPTS, timed_out: true, latency_us: MAX_RING_US - 1 };
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
}

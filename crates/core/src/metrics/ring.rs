//! The single-producer ring another runtime writes events into, in memory Rust owns (see the
//! module docs of `metrics` for the protocol and why each side touches only its own lines).

use super::event::Event;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

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
    pub(super) fn new(slots: usize) -> Self {
        let slots = slots.next_power_of_two().clamp(2, 1 << 24);
        EventRing { words: (0..HEADER_WORDS + slots).map(|_| AtomicU64::new(0)).collect(), shift: slots.trailing_zeros(), tail: Mutex::new(0) }
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

    pub(super) fn drain(&self, apply: &mut impl FnMut(Event)) {
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

#[cfg(test)]
mod tests {
    use super::super::{EventKind, Metrics};
    use super::*;
    use crate::classify::Category;

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

//! No public function of the core panics, whatever it is given: arbitrary text and bytes, any
//! integer, any float (NaN and infinities included). A panic here would cross N-API as an abort.
use proptest::prelude::*;
use velo_retry_core::backoff::{apply_jitter, pow2, pow_by_squaring, Jitter, Strategy as Schedule};
use velo_retry_core::classify::{classify, classify_code, classify_joined, classify_text};
use velo_retry_core::compress::{trial, Codec};
use velo_retry_core::duration::{parse_uncached, DurationParser, MAX_MS};
use velo_retry_core::envelope::{encode, layout, Message};
use velo_retry_core::metrics::{bucket_of, bucket_upper, js_number, micros, Event, BUCKETS};
use velo_retry_core::slab::{allocate_slab, MAX_SLAB_BYTES};

fn any_f64() -> impl Strategy<Value = f64> {
    prop_oneof![any::<f64>(), Just(f64::NAN), Just(f64::INFINITY), Just(f64::NEG_INFINITY), Just(-0.0), 0.0..1e9]
}

fn schedule() -> impl Strategy<Value = Schedule> {
    prop_oneof![
        any_f64().prop_map(|interval| Schedule::Fixed { interval }),
        (any_f64(), any_f64(), any_f64()).prop_map(|(initial, max, multiplier)| Schedule::Exponential { initial, max, multiplier }),
        (any_f64(), any_f64(), any_f64()).prop_map(|(initial, increment, max)| Schedule::Linear { initial, increment, max }),
    ]
}

/// Every (start, length) of an envelope layout lies within `len` bytes.
fn inside(l: &[i32], len: usize) -> bool {
    let ok = |start: i32, n: i32| n == -1 || (start >= 0 && n >= 0 && (start as usize + n as usize) <= len);
    let mut i = 1;
    for _ in 0..l[0] {
        if !(ok(l[i], l[i + 1]) && ok(l[i + 2], l[i + 3])) {
            return false;
        }
        let headers = l[i + 4];
        i += 5;
        for _ in 0..headers {
            if !(ok(l[i], l[i + 1]) && ok(l[i + 2], l[i + 3])) {
                return false;
            }
            i += 4;
        }
    }
    i == l.len()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2_000))]

    #[test]
    fn durations(text in ".{0,80}", bytes in proptest::collection::vec(any::<u8>(), 0..80)) {
        let parsed = parse_uncached(&text);
        if let Ok(ms) = parsed {
            prop_assert!((0.0..=MAX_MS).contains(&ms));
        }
        let parser = DurationParser::new(4);
        prop_assert_eq!(parser.parse(&text), parsed);
        let lossy = String::from_utf8_lossy(&bytes);
        let _ = parser.parse(&lossy);
        let _ = parser.is_cached(&lossy);
        parser.reset(0);
    }

    #[test]
    fn delays(s in schedule(), attempt in any::<u32>(), jitter in 0u8..4, random in any_f64(), previous in any_f64(), n in any::<u32>(), base in any_f64()) {
        let d = s.delay(attempt);
        let _ = s.delay_general(attempt);
        let j = [Jitter::None, Jitter::Full, Jitter::Equal, Jitter::Decorrelated][usize::from(jitter)];
        let _ = apply_jitter(j, d, random, previous, &s);
        let _ = pow2(n);
        let _ = pow_by_squaring(base, n);
    }

    #[test]
    fn classification(code in any::<i32>(), text in proptest::collection::vec(any::<u8>(), 0..300), separator in any::<u8>()) {
        let _ = classify_code(code);
        let _ = classify(Some(code), &text);
        let one = classify_text(&text);
        let mut out = Vec::new();
        classify_joined(&text, separator, &mut out);
        prop_assert_eq!(out.len(), text.iter().filter(|&&b| b == separator).count() + 1);
        if !text.contains(&separator) {
            prop_assert_eq!(out[0], one as u8);
        }
    }

    #[test]
    fn metrics(bits in any::<u64>(), ms in any_f64(), us in any::<u64>(), b in 0usize..(BUCKETS * 2), v in any_f64()) {
        let _ = Event::from_slot(bits);
        let _ = micros(ms);
        prop_assert!(bucket_of(us) < BUCKETS);
        if b < BUCKETS {
            let _ = bucket_upper(b);
        }
        let _ = js_number(v);
    }

    #[test]
    fn slabs(size in prop_oneof![0usize..70_000, Just(MAX_SLAB_BYTES + 1), Just(usize::MAX)]) {
        let slab = allocate_slab(size);
        prop_assert_eq!(slab.is_some(), (1..=MAX_SLAB_BYTES).contains(&size));
    }

    #[test]
    fn trial_compression(samples in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..300), 0..8), batch in 0usize..1_000) {
        let refs: Vec<&[u8]> = samples.iter().map(Vec::as_slice).collect();
        if let Ok(trials) = trial(&refs, &Codec::ALL, batch, std::time::Duration::ZERO) {
            prop_assert_eq!(trials.len(), 4);
            for t in trials {
                prop_assert!(t.ratio() > 0.0 && t.compress_mbps > 0.0);
            }
        }
    }

    #[test]
    fn envelopes(bytes in proptest::collection::vec(any::<u8>(), 0..400), keys in proptest::collection::vec(proptest::option::of(proptest::collection::vec(any::<u8>(), 0..20)), 0..6)) {
        // Arbitrary bytes: an error or a layout whose every part lies inside them.
        if let Ok(l) = layout(&bytes) {
            prop_assert!(inside(&l, bytes.len()));
        }
        // A real envelope with arbitrary keys, then each byte flipped: never a panic.
        let messages: Vec<Message<'_>> = keys.iter().map(|k| Message { key: k.as_deref(), value: k.as_deref(), headers: vec![] }).collect();
        let mut out = Vec::new();
        encode(7, 9, &messages, &mut out);
        let l = layout(&out).unwrap();
        prop_assert_eq!(l[0] as usize, messages.len());
        for i in 0..out.len() {
            let mut b = out.clone();
            b[i] ^= 0x5a;
            if let Ok(l) = layout(&b) {
                prop_assert!(inside(&l, b.len()));
            }
        }
    }
}

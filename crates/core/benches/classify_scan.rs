//! The measurement behind the classify module's choice of text scan: `cargo bench -p
//! velo-retry-core --bench classify_scan`. Classifies the bench's 10,000 librdkafka-style messages (bench/hot-paths.cjs),
//! joined by NUL, with this crate's scan, and finds the same leftmost-first matches with the
//! `aho-corasick` crate's packed (Teddy) searcher and its DFA, for comparison. ns per message,
//! median of 9 rounds; figures vary between runs on a shared machine, so compare within one run.
use aho_corasick::{packed, AhoCorasick, AhoCorasickKind, MatchKind};
use std::hint::black_box;
use std::time::Instant;
use velo_retry_core::classify::{classify_joined, PATTERNS};

const MESSAGES: [&str; 8] = [
    "Local: Broker transport failure",
    "Broker: Unknown topic or partition",
    "Broker: Leader not available",
    "Local: Message timed out",
    "Broker: Topic authorization failed",
    "Local: Queue full",
    "connect ECONNREFUSED 127.0.0.1:9092",
    "Something the patterns do not know about at all",
];
const COUNT: usize = 10_000;

fn per_message(mut run: impl FnMut() -> usize) -> f64 {
    let mut rounds: Vec<f64> = (0..9)
        .map(|_| {
            let t = Instant::now();
            for _ in 0..50 {
                black_box(run());
            }
            t.elapsed().as_nanos() as f64 / 50.0 / COUNT as f64
        })
        .collect();
    rounds.sort_by(f64::total_cmp);
    rounds[rounds.len() / 2]
}

fn main() {
    let messages: Vec<String> = (0..COUNT).map(|i| format!("{}{}", MESSAGES[i % 8], if i % 3 == 0 { format!(" (#{i})") } else { String::new() })).collect();
    let joined = messages.join("\0");
    let lowered = joined.to_ascii_lowercase();
    let patterns = PATTERNS.iter().map(|(p, _)| p);
    let teddy = packed::Config::new().match_kind(packed::MatchKind::LeftmostFirst).builder().extend(patterns.clone()).build();
    let dfa = AhoCorasick::builder().match_kind(MatchKind::LeftmostFirst).kind(Some(AhoCorasickKind::DFA)).build(patterns).unwrap();
    let mut out = Vec::new();
    println!("{COUNT} messages, {:.1} bytes each on average; ns per message:", joined.len() as f64 / COUNT as f64);
    println!(
        "  classify_joined (this crate's scan, categories included): {:.1}",
        per_message(|| {
            classify_joined(black_box(joined.as_bytes()), 0, &mut out);
            out.len()
        })
    );
    let copy_and_lower = |text: &str| {
        let mut bytes = text.as_bytes().to_vec();
        bytes.make_ascii_lowercase();
        bytes
    };
    println!("  lower-casing a copy (what the searchers below need first): {:.1}", per_message(|| copy_and_lower(black_box(&joined)).len()));
    if let Some(teddy) = &teddy {
        println!("  aho-corasick packed/Teddy, matches only, on lowered text: {:.1}", per_message(|| teddy.find_iter(black_box(lowered.as_bytes())).count()));
    }
    println!("  aho-corasick DFA, matches only, on lowered text: {:.1}", per_message(|| dfa.find_iter(black_box(lowered.as_bytes())).count()));
}

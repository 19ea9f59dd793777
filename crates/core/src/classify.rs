//! Error classification: librdkafka code first, message text second.
//!
//! Codes map through a `match` (a jump table). Text is ASCII-lowercased, then searched for a fixed
//! set of lower-case patterns with the `aho-corasick` crate's packed searcher (Teddy: SIMD
//! fingerprints of the patterns' first bytes, then verification), or where the CPU lacks the SIMD
//! it needs, its automaton. Measured here on 10,000 librdkafka-style messages: Teddy on lowercased
//! bytes 1.8 ns/byte; the case-insensitive DFA 3.3-3.9 ns/byte (its 98 KB table misses L1 on most
//! bytes); a case-sensitive DFA 2.6; the contiguous NFA 2.7 (5.1 case-insensitive). Lowercasing
//! costs far less than the difference. A single message is lowercased into a stack buffer (longer
//! ones, rare, take the case-insensitive automaton); a batch is lowercased in place.
//!
//! The rule: take the non-overlapping leftmost-first matches (at the leftmost position where any
//! pattern matches, the pattern listed first wins, and the search resumes after it), and of their
//! categories the one with the highest [`Category::priority`] wins ("Broker: Topic authorization
//! failed" holds "broker" and "auth": Authentication). A regex alternation of the same patterns in
//! the same order has exactly these semantics, which is how the TS twin (`ts/classify/js.ts`)
//! implements it. Classifying one message allocates nothing.
//!
//! [`classify_joined`] is the batch entry point: many messages joined by a separator byte, scanned
//! in one pass of the automaton, so a caller on the far side of an FFI boundary crosses it once per
//! batch, and the scan's set-up is paid once per batch instead of once per message.

use aho_corasick::{packed, AhoCorasick, AhoCorasickBuilder, MatchKind};
use std::sync::OnceLock;

/// Categories, with stable numeric ids shared with the TS twin.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[repr(u8)]
pub enum Category {
    Unknown = 0,
    TopicMissing = 1,
    Network = 2,
    Authentication = 3,
    Configuration = 4,
    Timeout = 5,
    Throttled = 6,
    QueueFull = 7,
    InvalidRequest = 8,
}

pub const CATEGORY_COUNT: usize = 9;

impl Category {
    pub const ALL: [Category; CATEGORY_COUNT] = [
        Category::Unknown,
        Category::TopicMissing,
        Category::Network,
        Category::Authentication,
        Category::Configuration,
        Category::Timeout,
        Category::Throttled,
        Category::QueueFull,
        Category::InvalidRequest,
    ];

    pub fn from_id(id: u8) -> Option<Category> {
        Category::ALL.get(usize::from(id)).copied()
    }

    pub fn name(self) -> &'static str {
        match self {
            Category::Unknown => "Unknown",
            Category::TopicMissing => "TopicMissing",
            Category::Network => "Network",
            Category::Authentication => "Authentication",
            Category::Configuration => "Configuration",
            Category::Timeout => "Timeout",
            Category::Throttled => "Throttled",
            Category::QueueFull => "QueueFull",
            Category::InvalidRequest => "InvalidRequest",
        }
    }

    /// Worth retrying: the condition can clear by itself. Authentication, configuration and
    /// malformed requests fail the same way every time, so they fail fast.
    pub fn is_retriable(self) -> bool {
        !matches!(self, Category::Authentication | Category::Configuration | Category::InvalidRequest)
    }

    /// When text matches several categories, the highest priority wins: the non-retriable
    /// diagnoses first (a message naming both a broker and an authorization failure is an
    /// authorization failure), then the specific transient ones, then the generic network words.
    pub const fn priority(self) -> u8 {
        match self {
            Category::Authentication => 8,
            Category::Configuration => 7,
            Category::InvalidRequest => 6,
            Category::TopicMissing => 5,
            Category::QueueFull => 4,
            Category::Throttled => 3,
            Category::Timeout => 2,
            Category::Network => 1,
            Category::Unknown => 0,
        }
    }
}

/// librdkafka error code -> category; `None` for codes that say nothing (-1, 0, unlisted), which
/// are then classified by text. Negative codes are librdkafka's own (`RD_KAFKA_RESP_ERR__*`),
/// positive ones the broker's (Kafka protocol error codes).
pub fn classify_code(code: i32) -> Option<Category> {
    use Category::*;
    Some(match code {
        -199 | -198 | -162 | -161 => InvalidRequest, // bad message, bad compression, (de)serialization
        -195 | -193 | -187 | -183 | -182 | -180 => Network, // transport, resolve, all brokers down, ISR, node update, wait coord
        -192 | -185 | -166 => Timeout,                // msg timed out, timed out, queue timed out
        -190 | -188 => TopicMissing,                  // unknown partition, unknown topic
        -186 | -179 | -170 | -165 | -154 => Configuration, // invalid arg, unknown group, not implemented, unsupported feature, invalid type
        -184 => QueueFull,
        -181 | -169 => Authentication, // SSL, authentication
        2 | 4 | 10 | 18 | 42 | 87 => InvalidRequest, // corrupt, invalid size, too large, record list too large, invalid request, invalid record
        3 => TopicMissing,
        5 | 6 | 8 | 9 | 13 | 14 | 15 | 16 | 19 | 20 | 41 | 56 => Network, // leadership, availability, network, replicas, storage
        7 => Timeout,
        17 | 21 | 35 | 37 | 38 | 40 | 43 | 44 => Configuration, // invalid topic, acks, version, partitions, replication, config
        29 | 30 | 31 | 33 | 34 | 58 => Authentication, // authorization, SASL
        89 => Throttled,
        _ => return None,
    })
}

/// Text patterns (lower case; matched ASCII-case-insensitively) and their categories, grouped by
/// category in priority order. The order matters (leftmost-first): the TS twin lists them identically.
pub const PATTERNS: &[(&str, Category)] = &[
    ("auth", Category::Authentication),
    ("permission", Category::Authentication),
    ("sasl", Category::Authentication),
    ("ssl handshake", Category::Authentication),
    ("access denied", Category::Authentication),
    ("credentials", Category::Authentication),
    ("configuration", Category::Configuration),
    ("invalid config", Category::Configuration),
    ("invalid argument", Category::Configuration),
    ("unsupported", Category::Configuration),
    ("not supported", Category::Configuration),
    ("invalid replication factor", Category::Configuration),
    ("invalid partitions", Category::Configuration),
    ("too large", Category::InvalidRequest),
    ("invalid message", Category::InvalidRequest),
    ("invalid record", Category::InvalidRequest),
    ("corrupt", Category::InvalidRequest),
    ("unknown topic", Category::TopicMissing),
    ("topic does not exist", Category::TopicMissing),
    ("topic not found", Category::TopicMissing),
    ("unknown partition", Category::TopicMissing),
    ("unknown_topic", Category::TopicMissing),
    ("queue full", Category::QueueFull),
    ("queue is full", Category::QueueFull),
    ("throttl", Category::Throttled),
    ("quota", Category::Throttled),
    ("timed out", Category::Timeout),
    ("timeout", Category::Timeout),
    ("etimedout", Category::Timeout),
    ("network", Category::Network),
    ("connect", Category::Network),
    ("broker", Category::Network),
    ("transport", Category::Network),
    ("resolve", Category::Network),
    ("resolution", Category::Network),
    ("socket", Category::Network),
    ("econnre", Category::Network),
    ("ehostunreach", Category::Network),
    ("enotfound", Category::Network),
    ("epipe", Category::Network),
    ("leader not available", Category::Network),
    ("not leader", Category::Network),
    ("not enough replicas", Category::Network),
];

/// The searchers, built once: Teddy over lowercased text when this CPU has it, and the
/// case-insensitive automaton (for any text, lowercased or not).
struct Matchers {
    teddy: Option<packed::Searcher>,
    automaton: AhoCorasick,
}

fn matchers() -> &'static Matchers {
    static M: OnceLock<Matchers> = OnceLock::new();
    M.get_or_init(|| Matchers {
        teddy: packed::Config::new()
            .match_kind(packed::MatchKind::LeftmostFirst)
            .builder()
            .extend(PATTERNS.iter().map(|(p, _)| p))
            .build(),
        automaton: AhoCorasickBuilder::new()
            .ascii_case_insensitive(true)
            .match_kind(MatchKind::LeftmostFirst)
            .build(PATTERNS.iter().map(|(p, _)| p))
            .expect("the pattern set is small and fixed"),
    })
}

/// Calls `each(start, category)` for every leftmost-first match in ASCII-lowercased `text`.
#[inline]
fn for_each_match(lowered: &[u8], mut each: impl FnMut(usize, Category) -> bool) {
    let m = matchers();
    match &m.teddy {
        Some(teddy) => {
            for hit in teddy.find_iter(lowered) {
                if !each(hit.start(), PATTERNS[hit.pattern().as_usize()].1) {
                    return;
                }
            }
        }
        None => {
            for hit in m.automaton.find_iter(lowered) {
                if !each(hit.start(), PATTERNS[hit.pattern().as_usize()].1) {
                    return;
                }
            }
        }
    }
}

/// Messages up to this length are lowercased on the stack; librdkafka's are far shorter.
const STACK_LEN: usize = 512;

/// Classifies one message by text.
pub fn classify_text(text: &[u8]) -> Category {
    let mut best = Category::Unknown;
    let mut keep = |_: usize, c: Category| {
        if c.priority() > best.priority() {
            best = c;
        }
        best != Category::Authentication // nothing outranks it: stop
    };
    if text.len() <= STACK_LEN {
        // Uninitialized: zeroing 512 bytes per call costs more than the search saves.
        let mut buf = [std::mem::MaybeUninit::<u8>::uninit(); STACK_LEN];
        // SAFETY: `text.len() <= STACK_LEN`, the source and destination do not overlap (one is on
        // this stack frame), and after the copy the first `text.len()` bytes are initialized, which
        // is all the slice covers.
        let lowered = unsafe {
            std::ptr::copy_nonoverlapping(text.as_ptr(), buf.as_mut_ptr().cast::<u8>(), text.len());
            std::slice::from_raw_parts_mut(buf.as_mut_ptr().cast::<u8>(), text.len())
        };
        lowered.make_ascii_lowercase();
        for_each_match(lowered, keep);
    } else {
        for hit in matchers().automaton.find_iter(text) {
            if !keep(hit.start(), PATTERNS[hit.pattern().as_usize()].1) {
                break;
            }
        }
    }
    best
}

/// Code first (when it is informative), then text.
pub fn classify(code: Option<i32>, text: &[u8]) -> Category {
    code.and_then(classify_code).unwrap_or_else(|| classify_text(text))
}

/// Classifies each `separator`-separated message of `joined` into `out` (cleared first), one
/// byte (the category id) per message. `n` separators give `n + 1` messages. `joined` is
/// ASCII-lowercased in place (the caller owns a copy), then scanned in one pass. The separator must
/// not occur in any pattern (checked in debug builds), so no match spans two messages and each
/// message gets exactly the answer [`classify_text`] gives it.
pub fn classify_joined(joined: &mut [u8], separator: u8, out: &mut Vec<u8>) {
    debug_assert!(PATTERNS.iter().all(|(p, _)| !p.as_bytes().contains(&separator.to_ascii_lowercase())));
    joined.make_ascii_lowercase();
    let joined = &*joined;
    out.clear();
    out.resize(memchr::memchr_iter(separator, joined).count() + 1, Category::Unknown as u8);
    let next_end = |from: usize| memchr::memchr(separator, &joined[from..]).map_or(joined.len(), |p| from + p);
    let mut message = 0;
    let mut end = next_end(0);
    for_each_match(joined, |start, c| {
        while start > end {
            message += 1;
            end = next_end(end + 1);
        }
        if c.priority() > PRIORITY_BY_ID[out[message] as usize] {
            out[message] = c as u8;
        }
        true
    });
}

const PRIORITY_BY_ID: [u8; CATEGORY_COUNT] = {
    let mut t = [0u8; CATEGORY_COUNT];
    let mut i = 0;
    while i < CATEGORY_COUNT {
        t[i] = Category::ALL[i].priority();
        i += 1;
    }
    t
};

#[cfg(test)]
mod tests {
    use super::*;
    use Category::*;

    #[test]
    fn upstream_patterns() {
        assert_eq!(classify_text(b"Unknown topic or partition"), TopicMissing);
        assert_eq!(classify_text(b"topic does not exist: orders"), TopicMissing);
        assert_eq!(classify_text(b"TOPIC NOT FOUND"), TopicMissing);
        assert_eq!(classify_text(b"network is unreachable"), Network);
        assert_eq!(classify_text(b"Connection refused"), Network);
        assert_eq!(classify_text(b"Broker transport failure"), Network);
        assert_eq!(classify_text(b"Authentication failed"), Authentication);
        assert_eq!(classify_text(b"permission denied"), Authentication);
        assert_eq!(classify_text(b"Unauthorized"), Authentication);
        assert_eq!(classify_text(b"something else entirely"), Unknown);
        assert_eq!(classify_text(b""), Unknown);
    }

    #[test]
    fn priority_resolves_several_matches() {
        assert_eq!(classify_text(b"Broker: Topic authorization failed"), Authentication);
        assert_eq!(classify_text(b"Broker: Unknown topic or partition"), TopicMissing);
        assert_eq!(classify_text(b"Broker: Message size too large"), InvalidRequest);
        assert_eq!(classify_text(b"Local: Queue full"), QueueFull);
        assert_eq!(classify_text(b"connection timed out"), Timeout);
        assert_eq!(classify_text(b"Broker: Throttling quota has been exceeded"), Throttled);
        assert_eq!(classify_text(b"Local: Broker transport failure: Connection refused"), Network);
    }

    #[test]
    fn codes_come_first() {
        assert_eq!(classify(Some(3), b"Broker: something"), TopicMissing);
        assert_eq!(classify(Some(-195), b""), Network);
        assert_eq!(classify(Some(-169), b"connection"), Authentication);
        assert_eq!(classify(Some(10), b""), InvalidRequest);
        assert_eq!(classify(Some(-184), b""), QueueFull);
        assert_eq!(classify(Some(58), b""), Authentication);
        assert_eq!(classify(Some(29), b""), Authentication);
        // -1 and unknown codes fall through to the text
        assert_eq!(classify(Some(-1), b"unknown topic x"), TopicMissing);
        assert_eq!(classify(Some(12345), b"auth"), Authentication);
        assert_eq!(classify(None, b"timed out"), Timeout);
    }

    #[test]
    fn long_messages_take_the_automaton_and_agree() {
        let long = format!("{} then Topic Authorization failed", "x".repeat(STACK_LEN));
        assert_eq!(classify_text(long.as_bytes()), Authentication);
        let long = format!("{}BROKER down", "y".repeat(STACK_LEN * 2));
        assert_eq!(classify_text(long.as_bytes()), Network);
    }

    #[test]
    fn retriable_split() {
        let retriable: Vec<_> = Category::ALL.iter().filter(|c| c.is_retriable()).map(|c| c.name()).collect();
        assert_eq!(retriable, ["Unknown", "TopicMissing", "Network", "Timeout", "Throttled", "QueueFull"]);
    }

    #[test]
    fn ids_round_trip() {
        for c in Category::ALL {
            assert_eq!(Category::from_id(c as u8), Some(c));
        }
        assert_eq!(Category::from_id(CATEGORY_COUNT as u8), None);
    }

    #[test]
    fn batch_matches_single() {
        let msgs = ["unknown topic", "", "auth failed", "nothing", "Broker down", "x"];
        let mut joined = msgs.join("\n").into_bytes();
        let mut out = Vec::new();
        classify_joined(&mut joined, b'\n', &mut out);
        let single: Vec<u8> = msgs.iter().map(|m| classify_text(m.as_bytes()) as u8).collect();
        assert_eq!(out, single);
        classify_joined(&mut [], b'\n', &mut out);
        assert_eq!(out, [Unknown as u8]);
        classify_joined(&mut b"\n\nAUTH".to_vec(), b'\n', &mut out);
        assert_eq!(out, [Unknown as u8, Unknown as u8, Authentication as u8]);
        let many: Vec<String> = (0..1000).map(|i| format!("{} #{i}", msgs[i % msgs.len()])).collect();
        classify_joined(&mut many.join("\0").into_bytes(), 0, &mut out);
        let single: Vec<u8> = many.iter().map(|m| classify_text(m.as_bytes()) as u8).collect();
        assert_eq!(out, single);
    }
}

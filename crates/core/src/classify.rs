//! Error classification: librdkafka code first, message text second.
//!
//! Codes map through a `match` (a jump table). Text is searched for a fixed set of lower-case
//! patterns, ASCII-case-insensitively, in two steps:
//! - **Filter.** Every pattern is at least [`WINDOW`] bytes long. At each position of the text the
//!   4 bytes starting there, each OR-ed with 0x20, are hashed to 16 bits, and a bitset (8 KiB, so
//!   it stays in L1) says whether some pattern's first 4 bytes hash there. OR-ing 0x20 turns an
//!   ASCII upper-case letter into its lower case and leaves every other byte that can match a
//!   pattern byte as it is, so a window that can start a match always passes. With AVX2 eight
//!   positions are filtered per step (one 16-byte load, `vpshufb` into eight 4-byte windows,
//!   `vpmulld`, a `vpgatherdd` of the bitset words); elsewhere the same filter runs one position at
//!   a time. Either way a block of 64 positions becomes one bit mask, so the scan branches once
//!   per candidate, not once per byte.
//! - **Verify.** A candidate position is compared with the patterns whose 4-byte prefix hashes
//!   to its bucket, in list order: the folded prefix first (one compare), then the whole pattern
//!   eight bytes at a time, lower-cased in a register (SWAR), so the text is never copied.
//!
//! Measured here (`cargo run --release --example classify_scan`, the bench's 10,000 messages of
//! ~35 bytes), per message: this scan, categories included, 40-62 ns with AVX2 and 100-127 with
//! the one-position filter; the `aho-corasick` crate's packed Teddy searcher, matches only, on a
//! lower-cased copy, 88-96 (104-144 with categories, as this module used it before); its DFA
//! 127-132. A scan branching per byte on a bigram table took 100-136.
//!
//! The rule: take the non-overlapping leftmost-first matches (at the leftmost position where any
//! pattern matches, the pattern listed first wins, and the search resumes after it), and of their
//! categories the one with the highest [`Category::priority`] wins ("Broker: Topic authorization
//! failed" holds "broker" and "auth": Authentication). A regex alternation of the same patterns in
//! the same order has exactly these semantics, which is how the TS twin (`ts/classify/js.ts`)
//! implements it; the tests check the scan against `aho-corasick`'s leftmost-first automaton.
//! Classifying one message allocates nothing.
//!
//! [`classify_joined`] is the batch entry point: many messages joined by a separator byte, scanned
//! in one pass, so a caller on the far side of an FFI boundary crosses it once per batch. Each
//! block also yields a mask of its separator bytes, so a match's message is a popcount away.

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

/// Every pattern is at least this long; the filter hashes this many bytes per position.
pub const WINDOW: usize = 4;
const HASH_BITS: u32 = 16;
const HASH_MUL: u32 = 0x9E37_79B1;

/// The filter's hash of the 4 bytes at a position (little-endian), case folded by OR-ing 0x20.
#[inline(always)]
fn window_hash(window: u32) -> u32 {
    (window | 0x2020_2020).wrapping_mul(HASH_MUL) >> (32 - HASH_BITS)
}

/// A pattern as verification sees it.
struct Candidate {
    /// Its first 4 bytes, OR-ed with 0x20 like a window: compared first, in one instruction.
    prefix: u32,
    /// All of it (lower case), for texts too near their end for `words`.
    bytes: &'static [u8],
    /// The pattern in little-endian 8-byte words, zero-padded, and which bytes of each count.
    words: [u64; MAX_WORDS],
    masks: [u64; MAX_WORDS],
    category: Category,
}

/// Patterns are at most this many 8-byte words long (checked at compile time, below).
const MAX_WORDS: usize = 4;

impl Candidate {
    fn new(p: &'static [u8], category: Category) -> Candidate {
        let mut words = [0u64; MAX_WORDS];
        let mut masks = [0u64; MAX_WORDS];
        for (i, &b) in p.iter().enumerate() {
            words[i / 8] |= u64::from(b) << (8 * (i % 8));
            masks[i / 8] |= 0xff << (8 * (i % 8));
        }
        let prefix = u32::from_le_bytes([p[0], p[1], p[2], p[3]]) | 0x2020_2020;
        Candidate { prefix, bytes: p, words, masks, category }
    }

    /// Whether the pattern occurs at `pos`, ASCII-case-insensitively: eight bytes per step where
    /// the text has room for whole words, else byte by byte.
    #[inline(always)]
    fn matches_at(&self, text: &[u8], pos: usize) -> bool {
        let len = self.bytes.len();
        if text.len() - pos < len {
            return false;
        }
        let words = len.div_ceil(8);
        if text.len() - pos < 8 * words {
            return text[pos..pos + len].eq_ignore_ascii_case(self.bytes);
        }
        (0..words).all(|i| {
            // SAFETY: pos + 8 * (i + 1) <= pos + 8 * words <= text.len(), and the read is unaligned.
            let w = u64::from_le(unsafe { text.as_ptr().add(pos + 8 * i).cast::<u64>().read_unaligned() });
            (ascii_lower8(w) ^ self.words[i]) & self.masks[i] == 0
        })
    }
}

/// ASCII-lowercases eight bytes at once: bytes 'A'..='Z' get 0x20 added, all others stay.
#[inline(always)]
fn ascii_lower8(x: u64) -> u64 {
    const LOW7: u64 = 0x7f7f_7f7f_7f7f_7f7f;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let h = x & LOW7; // each byte <= 0x7f: the additions below cannot carry into the next byte
    let at_least_a = h + 0x3f3f_3f3f_3f3f_3f3f; // high bit set where h >= 0x41 ('A')
    let past_z = h + 0x2525_2525_2525_2525; // high bit set where h >= 0x5b (after 'Z')
    let upper = at_least_a & !past_z & !x & HIGH; // and the byte itself was ASCII
    x | (upper >> 2)
}

// What the filter and verification assume of PATTERNS, checked when this crate compiles: each is
// lower case and WINDOW..=8 * MAX_WORDS bytes long.
const _: () = {
    let mut i = 0;
    while i < PATTERNS.len() {
        let p = PATTERNS[i].0.as_bytes();
        assert!(p.len() >= WINDOW && p.len() <= 8 * MAX_WORDS, "a pattern is shorter than WINDOW or longer than 8 * MAX_WORDS bytes");
        let mut j = 0;
        while j < p.len() {
            assert!(!p[j].is_ascii_uppercase(), "a pattern has an upper-case letter");
            j += 1;
        }
        i += 1;
    }
};

/// The 4 bytes at `pos`, little-endian. Callers keep `pos + WINDOW <= text.len()`; past the end
/// (never reached) it gives 0 rather than panic.
#[inline(always)]
fn window_at(text: &[u8], pos: usize) -> u32 {
    match text.get(pos..pos + WINDOW) {
        Some(&[a, b, c, d]) => u32::from_le_bytes([a, b, c, d]),
        _ => 0,
    }
}

/// Built once from [`PATTERNS`].
struct Filter {
    /// Bit h: some pattern's first 4 bytes hash to h.
    bits: Box<[u32; 1 << (HASH_BITS - 5)]>,
    /// Hash -> 1 + index into `groups` (0: none). Read only at candidates.
    group_of: Box<[u8; 1 << HASH_BITS]>,
    /// The patterns sharing a hash, in list order.
    groups: Vec<Vec<Candidate>>,
    /// Whether this CPU runs the AVX2 filter.
    avx2: bool,
}

fn filter() -> &'static Filter {
    static F: OnceLock<Filter> = OnceLock::new();
    F.get_or_init(|| {
        let mut f = Filter { bits: Box::new([0; 1 << (HASH_BITS - 5)]), group_of: Box::new([0; 1 << HASH_BITS]), groups: Vec::new(), avx2: avx2_available() };
        for &(pattern, category) in PATTERNS {
            let p = pattern.as_bytes();
            let h = window_hash(u32::from_le_bytes([p[0], p[1], p[2], p[3]])) as usize;
            f.bits[h >> 5] |= 1 << (h & 31);
            if f.group_of[h] == 0 {
                f.groups.push(Vec::new());
                f.group_of[h] = f.groups.len() as u8;
            }
            f.groups[usize::from(f.group_of[h]) - 1].push(Candidate::new(p, category));
        }
        f
    })
}

fn avx2_available() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        std::is_x86_feature_detected!("avx2")
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}

/// One block of 64 positions from `base`: bit j of `starts` set where position `base + j` may start
/// a match, bit j of `separators` where the byte there is the separator.
struct Block {
    starts: u64,
    separators: u64,
}

/// The block at `base`, one position at a time (`text.len() >= WINDOW`; positions past the last
/// window are left out).
#[inline(always)]
fn block_scalar(f: &Filter, text: &[u8], base: usize, separator: Option<u8>) -> Block {
    let end = (text.len() + 1 - WINDOW).min(base + 64);
    let (mut starts, mut separators) = (0u64, 0u64);
    for pos in base..end {
        let h = window_hash(window_at(text, pos));
        starts |= u64::from((f.bits[(h >> 5) as usize] >> (h & 31)) & 1) << (pos - base);
        separators |= u64::from(Some(text[pos]) == separator) << (pos - base);
    }
    Block { starts, separators }
}

/// The same block as [`block_scalar`], eight positions per step: requires `base + 72 <= text.len()`.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn block_avx2(f: &Filter, text: &[u8], base: usize, separator: Option<u8>) -> Block {
    use std::arch::x86_64::*;
    // Each 128-bit lane holds the same 16 bytes; lane 0 picks the windows at offsets 0..3, lane 1 at 4..7.
    let windows = _mm256_setr_epi8(0, 1, 2, 3, 1, 2, 3, 4, 2, 3, 4, 5, 3, 4, 5, 6, 4, 5, 6, 7, 5, 6, 7, 8, 6, 7, 8, 9, 7, 8, 9, 10);
    let fold = _mm256_set1_epi8(0x20);
    let mul = _mm256_set1_epi32(HASH_MUL as i32);
    let low5 = _mm256_set1_epi32(31);
    let at = text.as_ptr().add(base);
    let mut starts = 0u64;
    for step in 0..8 {
        // SAFETY: base + 8 * step + 16 <= base + 72 <= text.len(): the 16-byte load is in bounds.
        let bytes = unsafe { _mm_loadu_si128(at.add(8 * step).cast()) };
        let w = _mm256_or_si256(_mm256_shuffle_epi8(_mm256_broadcastsi128_si256(bytes), windows), fold);
        let h = _mm256_srli_epi32::<{ 32 - HASH_BITS as i32 }>(_mm256_mullo_epi32(w, mul));
        // SAFETY: every index is h >> 5 < 2^(HASH_BITS - 5), the length of `bits`.
        let words = unsafe { _mm256_i32gather_epi32::<4>(f.bits.as_ptr().cast(), _mm256_srli_epi32::<5>(h)) };
        let bit = _mm256_slli_epi32::<31>(_mm256_srlv_epi32(words, _mm256_and_si256(h, low5)));
        starts |= u64::from(_mm256_movemask_ps(_mm256_castsi256_ps(bit)) as u8) << (8 * step);
    }
    let separators = match separator {
        None => 0,
        Some(sep) => {
            let sep = _mm256_set1_epi8(sep as i8);
            // SAFETY: base + 64 <= text.len(): both 32-byte loads are in bounds.
            let (lo, hi) = unsafe { (_mm256_loadu_si256(at.cast()), _mm256_loadu_si256(at.add(32).cast())) };
            let lo = _mm256_movemask_epi8(_mm256_cmpeq_epi8(lo, sep)) as u32;
            let hi = _mm256_movemask_epi8(_mm256_cmpeq_epi8(hi, sep)) as u32;
            u64::from(lo) | u64::from(hi) << 32
        }
    };
    Block { starts, separators }
}

/// Calls `each(segment, start, category)` for every leftmost-first match in `text`, until it
/// returns false. `segment` is how many `separator` bytes come before `start` (always 0 without one).
#[inline(always)]
fn for_each_match(text: &[u8], separator: Option<u8>, mut each: impl FnMut(usize, usize, Category) -> bool) {
    if text.len() < WINDOW {
        return;
    }
    let f = filter();
    let last = text.len() - WINDOW; // the last position a match can start at
    let mut resume = 0; // matches do not overlap: none starts before the end of the previous one
    let mut segment = 0; // separators before `base`
    let mut base = 0;
    while base <= last {
        #[cfg(target_arch = "x86_64")]
        // SAFETY: the AVX2 path runs only where the CPU has AVX2, on a block whose loads are in bounds.
        let block = if f.avx2 && base + 72 <= text.len() { unsafe { block_avx2(f, text, base, separator) } } else { block_scalar(f, text, base, separator) };
        #[cfg(not(target_arch = "x86_64"))]
        let block = block_scalar(f, text, base, separator);
        let mut starts = block.starts;
        while starts != 0 {
            let j = starts.trailing_zeros();
            starts &= starts - 1;
            let pos = base + j as usize;
            if pos < resume {
                continue;
            }
            let folded = window_at(text, pos) | 0x2020_2020;
            let h = window_hash(folded) as usize;
            // The bit was set for this hash, so it has a group; `get` keeps even a broken table from panicking.
            let Some(group) = usize::from(f.group_of[h]).checked_sub(1).and_then(|g| f.groups.get(g)) else { continue };
            for c in group {
                // Equal folded prefixes are necessary, not sufficient ('@' folds to '`'): the whole pattern is compared next.
                if c.prefix == folded && c.matches_at(text, pos) {
                    let before = (block.separators & ((1u64 << j) - 1)).count_ones() as usize;
                    if !each(segment + before, pos, c.category) {
                        return;
                    }
                    resume = pos + c.bytes.len();
                    break;
                }
            }
        }
        segment += block.separators.count_ones() as usize;
        base += 64;
    }
}

/// Classifies one message by text.
pub fn classify_text(text: &[u8]) -> Category {
    let mut best = Category::Unknown;
    for_each_match(text, None, |_, _, c| {
        if c.priority() > best.priority() {
            best = c;
        }
        best != Category::Authentication // nothing outranks it: stop
    });
    best
}

/// Code first (when it is informative), then text.
pub fn classify(code: Option<i32>, text: &[u8]) -> Category {
    code.and_then(classify_code).unwrap_or_else(|| classify_text(text))
}

/// Classifies each `separator`-separated message of `joined` into `out` (cleared first), one
/// byte (the category id) per message. `n` separators give `n + 1` messages, scanned in one pass.
/// The separator must not occur in any pattern (checked in debug builds), so no match spans two
/// messages and each message gets exactly the answer [`classify_text`] gives it.
pub fn classify_joined(joined: &[u8], separator: u8, out: &mut Vec<u8>) {
    debug_assert!(PATTERNS.iter().all(|(p, _)| !p.as_bytes().iter().any(|b| b.eq_ignore_ascii_case(&separator))));
    out.clear();
    out.resize(memchr::memchr_iter(separator, joined).count() + 1, Category::Unknown as u8);
    for_each_match(joined, Some(separator), |message, _, c| {
        // `message` counts separators, so it is < out.len(); `get_mut` keeps a slip from panicking.
        if let Some(id) = out.get_mut(message) {
            if c.priority() > PRIORITY_BY_ID[usize::from(*id)] {
                *id = c as u8;
            }
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
    fn long_messages_and_block_edges() {
        let long = format!("{} then Topic Authorization failed", "x".repeat(600));
        assert_eq!(classify_text(long.as_bytes()), Authentication);
        // A match at every offset around the 64-position blocks and the AVX2 / scalar boundary.
        for pad in 0..200 {
            let text = format!("{}BROKER down", "y".repeat(pad));
            assert_eq!(classify_text(text.as_bytes()), Network, "offset {pad}");
            assert_eq!(classify_text(&text.as_bytes()[..text.len() - 6]), Unknown, "cut at offset {pad}");
        }
    }

    /// A small deterministic generator (xorshift64*), so the random tests need no dependency.
    struct Rng(u64);
    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
        }
        fn below(&mut self, n: usize) -> usize {
            (self.next() % n as u64) as usize
        }
    }

    /// Text built from pieces of patterns (so matches, near misses and overlaps are common), in
    /// random case, with separators, digits, punctuation and non-ASCII bytes between them.
    fn random_text(rng: &mut Rng, len: usize) -> Vec<u8> {
        let fillers: [&[u8]; 8] = [b" ", b"\0", b": ", b"#42", "é✓".as_bytes(), b"_", b"\xff", b"x"];
        let mut t = Vec::new();
        while t.len() < len {
            if rng.below(3) == 0 {
                t.extend_from_slice(fillers[rng.below(fillers.len())]);
                continue;
            }
            let p = PATTERNS[rng.below(PATTERNS.len())].0.as_bytes();
            let from = if rng.below(3) == 0 { rng.below(p.len()) } else { 0 };
            let to = if rng.below(3) == 0 { from + rng.below(p.len() - from + 1) } else { p.len() };
            t.extend(p[from..to].iter().map(|&b| if rng.below(2) == 0 { b.to_ascii_uppercase() } else { b }));
        }
        t.truncate(len);
        t
    }

    #[test]
    fn agrees_with_the_aho_corasick_leftmost_first_automaton() {
        use aho_corasick::{AhoCorasickBuilder, MatchKind};
        let oracle = AhoCorasickBuilder::new()
            .ascii_case_insensitive(true)
            .match_kind(MatchKind::LeftmostFirst)
            .build(PATTERNS.iter().map(|(p, _)| p))
            .unwrap();
        let mut rng = Rng(0x5EED_1234_ABCD_0001);
        let mut batch = Vec::new();
        for round in 0..20_000 {
            let len = rng.below(if round % 10 == 0 { 400 } else { 90 });
            let text = random_text(&mut rng, len);
            let expected: Vec<(usize, Category)> = oracle.find_iter(&text).map(|m| (m.start(), PATTERNS[m.pattern().as_usize()].1)).collect();
            let mut found = Vec::new();
            for_each_match(&text, None, |_, start, c| {
                found.push((start, c));
                true
            });
            assert_eq!(found, expected, "text {:?}", String::from_utf8_lossy(&text));
            // The same text as a batch split at its NUL bytes: each segment as if classified alone.
            classify_joined(&text, 0, &mut batch);
            let single: Vec<u8> = text.split(|&b| b == 0).map(|m| classify_text(m) as u8).collect();
            assert_eq!(batch, single, "batch {:?}", String::from_utf8_lossy(&text));
        }
    }

    #[test]
    #[cfg(target_arch = "x86_64")]
    fn avx2_and_scalar_filters_agree() {
        if !avx2_available() {
            return; // nothing to compare on this CPU; the scalar filter is what runs
        }
        let f = filter();
        let mut rng = Rng(0xF11E_7E55_0000_0002);
        for _ in 0..2_000 {
            let len = 72 + rng.below(200);
            let text = random_text(&mut rng, len);
            let mut base = 0;
            while base + 72 <= text.len() {
                for separator in [None, Some(0), Some(b' ')] {
                    // SAFETY: this CPU has AVX2 (checked above) and base + 72 <= text.len().
                    let simd = unsafe { block_avx2(f, &text, base, separator) };
                    let scalar = block_scalar(f, &text, base, separator);
                    assert_eq!((simd.starts, simd.separators), (scalar.starts, scalar.separators), "base {base}, separator {separator:?}");
                }
                base += 1 + rng.below(64);
            }
        }
    }

    #[test]
    fn ascii_lower8_is_bytewise_to_ascii_lowercase() {
        let mut rng = Rng(0x10E8_0000_0000_0003);
        for _ in 0..100_000 {
            let x = rng.next();
            let expected = u64::from_le_bytes(x.to_le_bytes().map(|b| b.to_ascii_lowercase()));
            assert_eq!(ascii_lower8(x), expected, "{x:#018x}");
        }
        let all: Vec<u8> = (0..=255).collect();
        for chunk in all.chunks(8) {
            let x = u64::from_le_bytes(chunk.try_into().unwrap());
            assert_eq!(ascii_lower8(x).to_le_bytes(), <[u8; 8]>::try_from(chunk.to_ascii_lowercase()).unwrap());
        }
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
        let joined = msgs.join("\n").into_bytes();
        let mut out = Vec::new();
        classify_joined(&joined, b'\n', &mut out);
        let single: Vec<u8> = msgs.iter().map(|m| classify_text(m.as_bytes()) as u8).collect();
        assert_eq!(out, single);
        classify_joined(&[], b'\n', &mut out);
        assert_eq!(out, [Unknown as u8]);
        classify_joined(b"\n\nAUTH", b'\n', &mut out);
        assert_eq!(out, [Unknown as u8, Unknown as u8, Authentication as u8]);
        let many: Vec<String> = (0..1000).map(|i| format!("{} #{i}", msgs[i % msgs.len()])).collect();
        classify_joined(many.join("\0").as_bytes(), 0, &mut out);
        let single: Vec<u8> = many.iter().map(|m| classify_text(m.as_bytes()) as u8).collect();
        assert_eq!(out, single);
    }
}

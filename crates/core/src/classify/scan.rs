//! The text scan: a 4-byte prefix hash filter over every position, then verification of the
//! candidates (see the module docs of `classify` for the algorithm and its figures).

use super::category::{Category, PATTERNS, PRIORITY_BY_ID};
use std::sync::OnceLock;

/// Every pattern is at least this long; the filter hashes this many bytes per position.
pub const WINDOW: usize = 4;
pub(super) const HASH_BITS: u32 = 16;
pub(super) const HASH_MUL: u32 = 0x9E37_79B1;

/// The filter's hash of the 4 bytes at a position (little-endian), case folded by OR-ing 0x20.
#[inline(always)]
pub(super) fn window_hash(window: u32) -> u32 {
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
pub(super) fn window_at(text: &[u8], pos: usize) -> u32 {
    match text.get(pos..pos + WINDOW) {
        Some(&[a, b, c, d]) => u32::from_le_bytes([a, b, c, d]),
        _ => 0,
    }
}

/// Built once from [`PATTERNS`].
pub(super) struct Filter {
    /// Bit h: some pattern's first 4 bytes hash to h.
    pub(super) bits: Box<[u32; 1 << (HASH_BITS - 5)]>,
    /// Hash -> 1 + index into `groups` (0: none). Read only at candidates.
    group_of: Box<[u8; 1 << HASH_BITS]>,
    /// The patterns sharing a hash, in list order.
    groups: Vec<Vec<Candidate>>,
    /// Whether this CPU runs the AVX2 filter.
    avx2: bool,
}

pub(super) fn filter() -> &'static Filter {
    static F: OnceLock<Filter> = OnceLock::new();
    F.get_or_init(|| {
        let mut f =
            Filter { bits: Box::new([0; 1 << (HASH_BITS - 5)]), group_of: Box::new([0; 1 << HASH_BITS]), groups: Vec::new(), avx2: super::avx2::available() };
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

/// One block of 64 positions from `base`: bit j of `starts` set where position `base + j` may start
/// a match, bit j of `separators` where the byte there is the separator.
pub(super) struct Block {
    pub(super) starts: u64,
    pub(super) separators: u64,
}

/// The block at `base`, one position at a time (`text.len() >= WINDOW`; positions past the last
/// window are left out).
#[inline(always)]
pub(super) fn block_scalar(f: &Filter, text: &[u8], base: usize, separator: Option<u8>) -> Block {
    let end = (text.len() + 1 - WINDOW).min(base + 64);
    let (mut starts, mut separators) = (0u64, 0u64);
    for pos in base..end {
        let h = window_hash(window_at(text, pos));
        starts |= u64::from((f.bits[(h >> 5) as usize] >> (h & 31)) & 1) << (pos - base);
        separators |= u64::from(Some(text[pos]) == separator) << (pos - base);
    }
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
        let block = if f.avx2 && base + 72 <= text.len() {
            // SAFETY: this CPU has AVX2 (f.avx2 was detected at run time), and base + 72 <= text.len()
            // keeps the block's loads in bounds.
            unsafe { super::avx2::block(f, text, base, separator) }
        } else {
            block_scalar(f, text, base, separator)
        };
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

/// Bytes that occur in some pattern, in either ASCII case: as a separator, a match could span two
/// messages, so such a batch is classified one message at a time.
const IN_PATTERNS: [bool; 256] = {
    let mut t = [false; 256];
    let mut i = 0;
    while i < PATTERNS.len() {
        let p = PATTERNS[i].0.as_bytes();
        let mut j = 0;
        while j < p.len() {
            t[p[j] as usize] = true;
            t[p[j].to_ascii_uppercase() as usize] = true;
            j += 1;
        }
        i += 1;
    }
    t
};

/// Classifies each `separator`-separated message of `joined` into `out` (cleared first), one
/// byte (the category id) per message. `n` separators give `n + 1` messages, each getting exactly
/// the answer [`classify_text`] gives it: in one pass when the separator occurs in no pattern (NUL,
/// as the binding uses), so no match can span two messages; otherwise one message at a time.
pub fn classify_joined(joined: &[u8], separator: u8, out: &mut Vec<u8>) {
    out.clear();
    if IN_PATTERNS[usize::from(separator)] {
        out.extend(joined.split(|&b| b == separator).map(|m| classify_text(m) as u8));
        return;
    }
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

#[cfg(test)]
pub(super) mod tests {
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
    pub(in crate::classify) struct Rng(pub(in crate::classify) u64);
    impl Rng {
        pub(in crate::classify) fn next(&mut self) -> u64 {
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
        }
        pub(in crate::classify) fn below(&mut self, n: usize) -> usize {
            (self.next() % n as u64) as usize
        }
    }

    /// Text built from pieces of patterns (so matches, near misses and overlaps are common), in
    /// random case, with separators, digits, punctuation and non-ASCII bytes between them.
    pub(in crate::classify) fn random_text(rng: &mut Rng, len: usize) -> Vec<u8> {
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
        let oracle =
            AhoCorasickBuilder::new().ascii_case_insensitive(true).match_kind(MatchKind::LeftmostFirst).build(PATTERNS.iter().map(|(p, _)| p)).unwrap();
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

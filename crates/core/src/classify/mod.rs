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
//! Measured here (`cargo bench -p velo-retry-core --bench classify_scan`, the bench's 10,000 messages of
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
//!
//! Files: [`category`] holds the domain (categories, the code table, the pattern list and its
//! order), `scan` the text search, `avx2` its eight-positions-per-step filter block.

mod avx2;
pub mod category;
mod scan;

pub use category::{classify_code, Category, CATEGORY_COUNT, PATTERNS};
pub use scan::{classify_joined, classify_text, WINDOW};

/// Code first (when it is informative), then text.
pub fn classify(code: Option<i32>, text: &[u8]) -> Category {
    code.and_then(classify_code).unwrap_or_else(|| classify_text(text))
}

#[cfg(test)]
mod tests {
    use super::*;
    use Category::*;

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
}

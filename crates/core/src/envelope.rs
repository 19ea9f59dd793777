//! Batching envelopes: many logical messages in one Kafka record. Format version 1, all integers
//! big-endian (Kafka's own byte order):
//!
//! ```text
//! u8  version (1)
//! u64 batch id
//! i64 timestamp, ms since the epoch
//! u32 count
//! count x message:
//!   i32 key length (-1: null), key bytes
//!   i32 value length (-1: null), value bytes
//!   u32 header count
//!   header count x: u32 name length, name bytes (UTF-8), i32 value length (-1: null), value bytes
//! ```
//!
//! The record carrying it has the header `velo-envelope` = `1`. [`layout`] checks an envelope and
//! gives where each part is, without copying (the façade makes views of them); any malformed input
//! is an [`EnvelopeError`] naming the byte offset, never a read out of bounds. [`encode`] writes one.
//! The TS twin (`ts/envelope/js.ts`) gives the same layout and the same bytes.

/// The format version this code reads and writes.
pub const VERSION: u8 = 1;
/// Bytes before the first message.
pub const PREAMBLE: usize = 1 + 8 + 8 + 4;
/// The fewest bytes a message takes (two null lengths and a header count).
pub const MIN_MESSAGE: usize = 12;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EnvelopeError {
    /// Fewer bytes than the preamble.
    TooShort { len: usize },
    /// A version this code does not read.
    Version { found: u8 },
    /// A count more messages than the bytes could hold.
    Count { count: u32, len: usize },
    /// A length or count at `at` runs past the end.
    Truncated { at: usize },
    /// A length below -1 at `at`.
    Length { at: usize, value: i32 },
    /// Bytes left over after the last message.
    Trailing { at: usize, len: usize },
}

impl EnvelopeError {
    /// A stable code the façade turns into its error.
    pub fn code(&self) -> &'static str {
        match self {
            EnvelopeError::TooShort { .. } => "ERR_ENVELOPE_TOO_SHORT",
            EnvelopeError::Version { .. } => "ERR_ENVELOPE_VERSION",
            EnvelopeError::Count { .. } => "ERR_ENVELOPE_COUNT",
            EnvelopeError::Truncated { .. } => "ERR_ENVELOPE_TRUNCATED",
            EnvelopeError::Length { .. } => "ERR_ENVELOPE_LENGTH",
            EnvelopeError::Trailing { .. } => "ERR_ENVELOPE_TRAILING",
        }
    }
}

impl std::fmt::Display for EnvelopeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            EnvelopeError::TooShort { len } => write!(f, "{len} bytes, fewer than the {PREAMBLE}-byte preamble"),
            EnvelopeError::Version { found } => write!(f, "format version {found}, this reads version {VERSION}"),
            EnvelopeError::Count { count, len } => write!(f, "a count of {count} messages in {len} bytes"),
            EnvelopeError::Truncated { at } => write!(f, "a length at byte {at} runs past the end"),
            EnvelopeError::Length { at, value } => write!(f, "a length of {value} at byte {at}"),
            EnvelopeError::Trailing { at, len } => write!(f, "{} bytes after the last message, from byte {at}", len - at),
        }
    }
}

struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl Reader<'_> {
    fn take(&mut self, n: usize) -> Result<usize, EnvelopeError> {
        let start = self.at;
        match start.checked_add(n) {
            Some(end) if end <= self.bytes.len() => {
                self.at = end;
                Ok(start)
            }
            _ => Err(EnvelopeError::Truncated { at: start }),
        }
    }

    fn u32(&mut self) -> Result<u32, EnvelopeError> {
        let at = self.take(4)?;
        Ok(u32::from_be_bytes([self.bytes[at], self.bytes[at + 1], self.bytes[at + 2], self.bytes[at + 3]]))
    }

    /// A length (-1 for null) and where its bytes start; pushes start and length to `out`.
    fn part(&mut self, out: &mut Vec<i32>) -> Result<(), EnvelopeError> {
        let at = self.at;
        let len = self.u32()? as i32;
        if len < -1 {
            return Err(EnvelopeError::Length { at, value: len });
        }
        if len == -1 {
            out.extend([0, -1]);
            return Ok(());
        }
        let start = self.take(len as usize)?;
        // Envelopes are at most i32::MAX bytes (checked in `layout`), so offsets fit.
        out.extend([start as i32, len]);
        Ok(())
    }
}

/// Where every part of an envelope sits: `[count, then per message: key start, key length, value
/// start, value length, header count, then per header: name start, name length, value start,
/// value length]`, a length of -1 meaning null. Checks everything; reads nothing out of bounds.
pub fn layout(bytes: &[u8]) -> Result<Vec<i32>, EnvelopeError> {
    if bytes.len() < PREAMBLE {
        return Err(EnvelopeError::TooShort { len: bytes.len() });
    }
    if bytes[0] != VERSION {
        return Err(EnvelopeError::Version { found: bytes[0] });
    }
    if bytes.len() > i32::MAX as usize {
        return Err(EnvelopeError::Count { count: 0, len: bytes.len() });
    }
    let mut r = Reader { bytes, at: PREAMBLE - 4 };
    let count = r.u32()?;
    // Each message takes at least MIN_MESSAGE bytes: a larger count is a lie, refused before any allocation.
    if count as usize > (bytes.len() - PREAMBLE) / MIN_MESSAGE {
        return Err(EnvelopeError::Count { count, len: bytes.len() });
    }
    let mut out = Vec::with_capacity(1 + count as usize * 5);
    out.push(count as i32);
    for _ in 0..count {
        r.part(&mut out)?;
        r.part(&mut out)?;
        let headers = r.u32()?;
        // Each header takes at least 8 bytes.
        if headers as usize > (bytes.len() - r.at) / 8 {
            return Err(EnvelopeError::Truncated { at: r.at - 4 });
        }
        out.push(headers as i32);
        for _ in 0..headers {
            let at = r.at;
            let name = r.u32()?;
            if name > i32::MAX as u32 {
                return Err(EnvelopeError::Length { at, value: name as i32 });
            }
            let start = r.take(name as usize)?;
            out.extend([start as i32, name as i32]);
            r.part(&mut out)?;
        }
    }
    if r.at != bytes.len() {
        return Err(EnvelopeError::Trailing { at: r.at, len: bytes.len() });
    }
    Ok(out)
}

/// One logical message to encode.
#[derive(Debug, Clone, Default)]
pub struct Message<'a> {
    pub key: Option<&'a [u8]>,
    pub value: Option<&'a [u8]>,
    pub headers: Vec<(&'a [u8], Option<&'a [u8]>)>,
}

/// The bytes `encode` writes for these messages.
pub fn encoded_len(messages: &[Message<'_>]) -> usize {
    let part = |p: Option<&[u8]>| 4 + p.map_or(0, <[u8]>::len);
    PREAMBLE + messages.iter().map(|m| part(m.key) + part(m.value) + 4 + m.headers.iter().map(|(n, v)| 4 + n.len() + part(*v)).sum::<usize>()).sum::<usize>()
}

/// Writes an envelope into `out` (cleared first).
pub fn encode(id: u64, timestamp: i64, messages: &[Message<'_>], out: &mut Vec<u8>) {
    out.clear();
    out.reserve(encoded_len(messages));
    out.push(VERSION);
    out.extend_from_slice(&id.to_be_bytes());
    out.extend_from_slice(&timestamp.to_be_bytes());
    out.extend_from_slice(&(messages.len() as u32).to_be_bytes());
    let part = |out: &mut Vec<u8>, p: Option<&[u8]>| match p {
        None => out.extend_from_slice(&(-1i32).to_be_bytes()),
        Some(b) => {
            out.extend_from_slice(&(b.len() as u32).to_be_bytes());
            out.extend_from_slice(b);
        }
    };
    for m in messages {
        part(out, m.key);
        part(out, m.value);
        out.extend_from_slice(&(m.headers.len() as u32).to_be_bytes());
        for (name, value) in &m.headers {
            out.extend_from_slice(&(name.len() as u32).to_be_bytes());
            out.extend_from_slice(name);
            part(out, *value);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Vec<u8> {
        let mut out = Vec::new();
        let messages = [
            Message { key: Some(b"k1"), value: Some(b"hello"), headers: vec![(b"h".as_slice(), Some(b"v".as_slice()))] },
            Message { key: None, value: None, headers: vec![] },
            Message { key: Some(b""), value: Some(b"\x00\xff"), headers: vec![(b"n".as_slice(), None)] },
        ];
        encode(0x0102_0304_0506_0708, 1_764_680_000_000, &messages, &mut out);
        assert_eq!(out.len(), encoded_len(&messages));
        out
    }

    #[test]
    fn round_trip_layout() {
        let bytes = sample();
        assert_eq!(&bytes[..9], &[1, 1, 2, 3, 4, 5, 6, 7, 8]);
        let l = layout(&bytes).unwrap();
        assert_eq!(l[0], 3);
        // message 0: key "k1"
        let (ks, kl) = (l[1] as usize, l[2] as usize);
        assert_eq!(&bytes[ks..ks + kl], b"k1");
        let (vs, vl) = (l[3] as usize, l[4] as usize);
        assert_eq!(&bytes[vs..vs + vl], b"hello");
        assert_eq!(l[5], 1);
        assert_eq!(&bytes[l[6] as usize..(l[6] + l[7]) as usize], b"h");
        assert_eq!(&bytes[l[8] as usize..(l[8] + l[9]) as usize], b"v");
        // message 1: nulls, no headers
        assert_eq!(&l[10..15], &[0, -1, 0, -1, 0]);
        // message 2: empty key, binary value, a null header value
        assert_eq!(l[16], 0);
        assert_eq!(l[19], 1);
        assert_eq!(&l[22..24], &[0, -1]);
    }

    #[test]
    fn every_cut_and_every_corruption_is_an_error_never_a_panic() {
        let bytes = sample();
        for cut in 0..bytes.len() {
            assert!(layout(&bytes[..cut]).is_err(), "cut at {cut}");
        }
        let mut longer = bytes.clone();
        longer.push(0);
        assert_eq!(layout(&longer), Err(EnvelopeError::Trailing { at: bytes.len(), len: bytes.len() + 1 }));
        let mut v2 = bytes.clone();
        v2[0] = 2;
        assert_eq!(layout(&v2), Err(EnvelopeError::Version { found: 2 }));
        let mut huge = bytes.clone();
        huge[17..21].copy_from_slice(&u32::MAX.to_be_bytes());
        assert!(matches!(layout(&huge), Err(EnvelopeError::Count { .. })));
        for i in 0..bytes.len() {
            for v in [0u8, 0x7f, 0x80, 0xff] {
                let mut b = bytes.clone();
                b[i] = v;
                let _ = layout(&b);
            }
        }
    }
}

//! Trial compression for the compression advisor: each codec librdkafka can link (gzip, snappy,
//! lz4, zstd) compresses the sampled payloads the way librdkafka would (whole batches, at its
//! default levels: `compression.level` -1 means gzip 6, lz4 its one fast level, zstd 3), and the
//! result is each codec's ratio and compress / decompress speed. The decision is made in TS from
//! these figures (`ts/kafka/compression.ts`).

use std::io::{Read, Write};
use std::time::{Duration, Instant};

/// A codec librdkafka can compress batches with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Codec {
    Gzip,
    Snappy,
    Lz4,
    Zstd,
}

impl Codec {
    pub const ALL: [Codec; 4] = [Codec::Gzip, Codec::Snappy, Codec::Lz4, Codec::Zstd];

    /// librdkafka's name for it (`compression.codec`).
    pub fn name(self) -> &'static str {
        match self {
            Codec::Gzip => "gzip",
            Codec::Snappy => "snappy",
            Codec::Lz4 => "lz4",
            Codec::Zstd => "zstd",
        }
    }

    pub fn from_name(name: &str) -> Option<Codec> {
        Codec::ALL.into_iter().find(|c| c.name() == name)
    }

    fn compress(self, input: &[u8]) -> std::io::Result<Vec<u8>> {
        match self {
            Codec::Gzip => {
                let mut e = flate2::write::GzEncoder::new(Vec::with_capacity(input.len() / 2), flate2::Compression::new(6));
                e.write_all(input)?;
                e.finish()
            }
            Codec::Snappy => snap::raw::Encoder::new().compress_vec(input).map_err(std::io::Error::other),
            Codec::Lz4 => {
                let mut e = lz4_flex::frame::FrameEncoder::new(Vec::with_capacity(input.len() / 2));
                e.write_all(input)?;
                e.finish().map_err(std::io::Error::other)
            }
            Codec::Zstd => zstd::bulk::compress(input, 3),
        }
    }

    fn decompress(self, input: &[u8], size: usize) -> std::io::Result<Vec<u8>> {
        let mut out = Vec::with_capacity(size);
        match self {
            Codec::Gzip => {
                flate2::read::GzDecoder::new(input).read_to_end(&mut out)?;
            }
            Codec::Snappy => out = snap::raw::Decoder::new().decompress_vec(input).map_err(std::io::Error::other)?,
            Codec::Lz4 => {
                lz4_flex::frame::FrameDecoder::new(input).read_to_end(&mut out)?;
            }
            Codec::Zstd => out = zstd::bulk::decompress(input, size)?,
        }
        Ok(out)
    }
}

/// One codec's figures over the samples.
#[derive(Debug, Clone, PartialEq)]
pub struct Trial {
    pub codec: Codec,
    /// Bytes in (all batches).
    pub input: usize,
    /// Bytes out (all batches).
    pub output: usize,
    /// Input MB (10^6 bytes) compressed per second.
    pub compress_mbps: f64,
    /// Input MB restored per second.
    pub decompress_mbps: f64,
}

impl Trial {
    /// input / output: 2.0 means half the bytes on the wire.
    pub fn ratio(&self) -> f64 {
        if self.output == 0 {
            return 1.0;
        }
        self.input as f64 / self.output as f64
    }
}

/// Why a trial could not be made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TrialError {
    /// No sample bytes at all.
    Empty,
    /// A batch size of 0.
    BatchSize,
    /// A codec failed on its own output (never expected: each round trip is checked).
    RoundTrip(&'static str),
}

/// Cuts the samples, in order, into batches of at most `batch_bytes` (a sample larger than that is
/// a batch of its own), as librdkafka's `batch.size` would.
pub fn batches<'a>(samples: &[&'a [u8]], batch_bytes: usize) -> Vec<Vec<&'a [u8]>> {
    let mut out: Vec<Vec<&[u8]>> = Vec::new();
    let mut size = 0usize;
    for &s in samples {
        if out.is_empty() || (size > 0 && size + s.len() > batch_bytes) {
            out.push(Vec::new());
            size = 0;
        }
        out.last_mut().expect("a batch was pushed").push(s);
        size += s.len();
    }
    out
}

/// Compresses the samples with each codec, in batches of at most `batch_bytes`, repeating each
/// for about `budget` to time it; every round trip is checked byte for byte.
pub fn trial(samples: &[&[u8]], codecs: &[Codec], batch_bytes: usize, budget: Duration) -> Result<Vec<Trial>, TrialError> {
    if batch_bytes == 0 {
        return Err(TrialError::BatchSize);
    }
    let joined: Vec<Vec<u8>> = batches(samples, batch_bytes).into_iter().map(|b| b.concat()).collect();
    let input: usize = joined.iter().map(Vec::len).sum();
    if input == 0 {
        return Err(TrialError::Empty);
    }
    let mut out = Vec::with_capacity(codecs.len());
    for &codec in codecs {
        let compressed: Vec<Vec<u8>> = joined.iter().map(|b| codec.compress(b)).collect::<Result<_, _>>().map_err(|_| TrialError::RoundTrip(codec.name()))?;
        for (b, c) in joined.iter().zip(&compressed) {
            if codec.decompress(c, b.len()).ok().as_deref() != Some(b.as_slice()) {
                return Err(TrialError::RoundTrip(codec.name()));
            }
        }
        let compress_s = timed(budget, || {
            for b in &joined {
                let _ = std::hint::black_box(codec.compress(b));
            }
        });
        let decompress_s = timed(budget, || {
            for (b, c) in joined.iter().zip(&compressed) {
                let _ = std::hint::black_box(codec.decompress(c, b.len()));
            }
        });
        out.push(Trial {
            codec,
            input,
            output: compressed.iter().map(Vec::len).sum(),
            compress_mbps: input as f64 / 1e6 / compress_s,
            decompress_mbps: input as f64 / 1e6 / decompress_s,
        });
    }
    Ok(out)
}

/// Seconds one run of `f` takes: the mean over as many runs as fit in `budget` (at least one).
fn timed(budget: Duration, mut f: impl FnMut()) -> f64 {
    let start = Instant::now();
    let mut runs = 0u32;
    loop {
        f();
        runs += 1;
        if start.elapsed() >= budget || runs == u32::MAX {
            break;
        }
    }
    (start.elapsed().as_secs_f64() / f64::from(runs)).max(1e-9)
}

#[cfg(test)]
mod tests {
    use super::*;

    const QUICK: Duration = Duration::from_millis(1);

    fn json_events(n: usize) -> Vec<Vec<u8>> {
        (0..n)
            .map(|i| {
                format!(r#"{{"id":"evt-{i}","user":{{"id":{},"name":"user {}"}},"amount":{}.25,"status":"settled","tags":["a","b"]}}"#, i % 50, i % 50, i % 997)
                    .into_bytes()
            })
            .collect()
    }

    /// xorshift: bytes no codec can shrink.
    fn noise(n: usize) -> Vec<u8> {
        let mut x = 0x9E37_79B9_7F4A_7C15u64;
        (0..n)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                x as u8
            })
            .collect()
    }

    #[test]
    fn every_codec_round_trips_and_shrinks_text() {
        let events = json_events(2_000);
        let samples: Vec<&[u8]> = events.iter().map(Vec::as_slice).collect();
        let trials = trial(&samples, &Codec::ALL, 1 << 20, QUICK).unwrap();
        assert_eq!(trials.len(), 4);
        for t in &trials {
            assert_eq!(t.input, samples.iter().map(|s| s.len()).sum::<usize>());
            assert!(t.ratio() > 3.0, "{:?} ratio {}", t.codec, t.ratio());
            assert!(t.compress_mbps > 0.0 && t.decompress_mbps > 0.0);
        }
        // zstd and gzip beat the fast codecs on ratio for text like this.
        let ratio = |c: Codec| trials.iter().find(|t| t.codec == c).unwrap().ratio();
        assert!(ratio(Codec::Zstd) > ratio(Codec::Lz4));
        assert!(ratio(Codec::Gzip) > ratio(Codec::Snappy));
    }

    #[test]
    fn random_bytes_do_not_shrink() {
        let bytes = noise(256 * 1024);
        let trials = trial(&[&bytes], &Codec::ALL, 1 << 20, QUICK).unwrap();
        for t in &trials {
            assert!(t.ratio() < 1.01, "{:?} ratio {}", t.codec, t.ratio());
        }
    }

    #[test]
    fn batches_cut_at_the_size_and_keep_order() {
        let a = [1u8; 10];
        let b = [2u8; 10];
        let big = [3u8; 50];
        let got = batches(&[&a, &b, &big, &a], 25);
        assert_eq!(got, vec![vec![&a[..], &b[..]], vec![&big[..]], vec![&a[..]]]);
    }

    #[test]
    fn refuses_nothing_to_compress_and_a_zero_batch() {
        assert_eq!(trial(&[], &Codec::ALL, 1024, QUICK), Err(TrialError::Empty));
        assert_eq!(trial(&[b""], &Codec::ALL, 1024, QUICK), Err(TrialError::Empty));
        assert_eq!(trial(&[b"x"], &Codec::ALL, 0, QUICK), Err(TrialError::BatchSize));
    }

    #[test]
    fn names_round_trip() {
        for c in Codec::ALL {
            assert_eq!(Codec::from_name(c.name()), Some(c));
        }
        assert_eq!(Codec::from_name("brotli"), None);
    }
}

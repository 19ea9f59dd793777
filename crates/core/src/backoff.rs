//! Delay schedules: fixed, exponential, linear, and the jitter applied on top.
//!
//! Attempt numbers start at 0; attempt 0 waits `initial`; every delay is capped at `max`. Delays
//! are milliseconds as `f64`, so sub-millisecond inputs keep their value (upstream's x2 path
//! truncated to whole seconds, so a 500 ms initial gave 0 and spun).
//!
//! The general exponential formula is `initial * pow(multiplier, attempt)` with `pow` computed by
//! binary exponentiation ([`pow_by_squaring`]): a fixed sequence of IEEE multiplications, so the
//! TS twin, which runs the same loop, agrees bit for bit (neither `Math.pow` nor libm's `pow`
//! promise the same last bit). The fast paths give the same values by construction:
//! - multiplier 2: `pow_by_squaring(2, n)` is exactly `2^n` (or infinity past 1023), which
//!   [`pow2`] builds directly from the exponent bits, one step instead of ~log2(n) multiplications;
//! - multiplier 1.5: a table of `pow_by_squaring(1.5, n)` for n < 128, built at compile time by
//!   the same function, so a lookup replaces the loop.
//!
//! Huge attempt numbers cannot overflow: the power saturates to infinity and the cap applies.

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Strategy {
    Fixed { interval: f64 },
    Exponential { initial: f64, max: f64, multiplier: f64 },
    Linear { initial: f64, increment: f64, max: f64 },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Jitter {
    None,
    /// `random * delay`
    Full,
    /// `delay / 2 + random * delay / 2`
    Equal,
    /// `min(max, initial + random * (previous * 3 - initial))` (the "decorrelated" schedule).
    Decorrelated,
}

impl Strategy {
    /// The first delay, used as the floor of decorrelated jitter.
    pub fn initial(&self) -> f64 {
        match *self {
            Strategy::Fixed { interval } => interval,
            Strategy::Exponential { initial, .. } | Strategy::Linear { initial, .. } => initial,
        }
    }

    /// The cap (a fixed schedule's cap is its interval).
    pub fn max(&self) -> f64 {
        match *self {
            Strategy::Fixed { interval } => interval,
            Strategy::Exponential { max, .. } | Strategy::Linear { max, .. } => max,
        }
    }

    /// Delay in milliseconds before retry number `attempt` (0-based), without jitter.
    pub fn delay(&self, attempt: u32) -> f64 {
        match *self {
            Strategy::Fixed { interval } => interval,
            Strategy::Exponential { initial, max, multiplier } => {
                let factor = if multiplier == 2.0 {
                    pow2(attempt)
                } else if multiplier == 1.5 && (attempt as usize) < POW_1_5.len() {
                    POW_1_5[attempt as usize]
                } else {
                    pow_by_squaring(multiplier, attempt)
                };
                exponential_value(initial, factor, max)
            }
            Strategy::Linear { initial, increment, max } => (initial + increment * f64::from(attempt)).min(max),
        }
    }

    /// The general formula alone, without fast paths: the reference the fast paths are tested against.
    pub fn delay_general(&self, attempt: u32) -> f64 {
        match *self {
            Strategy::Exponential { initial, max, multiplier } => exponential_value(initial, pow_by_squaring(multiplier, attempt), max),
            _ => self.delay(attempt),
        }
    }
}

#[inline]
fn exponential_value(initial: f64, factor: f64, max: f64) -> f64 {
    // 0 * inf is NaN: a zero initial stays zero however large the attempt.
    if initial == 0.0 {
        return 0.0;
    }
    (initial * factor).min(max)
}

/// `base^n` by binary exponentiation. Both twins run exactly this sequence of multiplications.
pub const fn pow_by_squaring(base: f64, n: u32) -> f64 {
    let mut result = 1.0;
    let mut b = base;
    let mut n = n;
    while n > 0 {
        if n & 1 == 1 {
            result *= b;
        }
        n >>= 1;
        if n > 0 {
            b *= b;
        }
    }
    result
}

/// `2^n` from the exponent bits; infinity from n = 1024 on (as repeated squaring gives).
#[inline]
pub fn pow2(n: u32) -> f64 {
    if n < 1024 {
        f64::from_bits((u64::from(n) + 1023) << 52)
    } else {
        f64::INFINITY
    }
}

const fn build_pow_1_5() -> [f64; 128] {
    let mut t = [0.0; 128];
    let mut i = 0;
    while i < 128 {
        t[i] = pow_by_squaring(1.5, i as u32);
        i += 1;
    }
    t
}

/// 1.5^n for n < 128 (1.5^127 is about 2.5e22: past any sensible cap).
pub static POW_1_5: [f64; 128] = build_pow_1_5();

/// Applies jitter to `delay`. `random` is in [0, 1); `previous` is the previous (jittered) delay,
/// or the strategy's initial delay before the first retry. Results stay within [0, max].
pub fn apply_jitter(jitter: Jitter, delay: f64, random: f64, previous: f64, strategy: &Strategy) -> f64 {
    match jitter {
        Jitter::None => delay,
        Jitter::Full => random * delay,
        Jitter::Equal => delay / 2.0 + random * (delay / 2.0),
        Jitter::Decorrelated => {
            let floor = strategy.initial();
            let ceiling = (previous * 3.0).max(floor);
            (floor + random * (ceiling - floor)).min(strategy.max())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: f64 = 1000.0;

    #[test]
    fn reference_sequences() {
        let exp = Strategy::Exponential { initial: 1.0 * S, max: 60.0 * S, multiplier: 2.0 };
        let got: Vec<f64> = (0..8).map(|a| exp.delay(a) / S).collect();
        assert_eq!(got, [1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 60.0, 60.0]);
        let lin = Strategy::Linear { initial: 2.0 * S, increment: 3.0 * S, max: 20.0 * S };
        let got: Vec<f64> = (0..8).map(|a| lin.delay(a) / S).collect();
        assert_eq!(got, [2.0, 5.0, 8.0, 11.0, 14.0, 17.0, 20.0, 20.0]);
        assert_eq!((Strategy::Fixed { interval: 5.0 * S }).delay(1000), 5.0 * S);
    }

    #[test]
    fn sub_millisecond_initial_is_kept() {
        let exp = Strategy::Exponential { initial: 500.0, max: 60.0 * S, multiplier: 2.0 };
        assert_eq!(exp.delay(0), 500.0);
        assert_eq!(exp.delay(1), 1000.0);
        let tiny = Strategy::Exponential { initial: 0.25, max: 10.0, multiplier: 1.5 };
        assert_eq!(tiny.delay(1), 0.375);
    }

    #[test]
    fn fast_paths_equal_the_general_formula() {
        for &initial in &[0.0, 0.001, 0.5, 1.0, 3.0, 500.0, 1000.0, 2000.0, 1234.5678] {
            for &max in &[1.0, 60_000.0, 120_000.0, f64::INFINITY] {
                if max < initial {
                    continue;
                }
                for &m in &[2.0, 1.5] {
                    let s = Strategy::Exponential { initial, max, multiplier: m };
                    for a in 0..=10_000u32 {
                        assert_eq!(s.delay(a).to_bits(), s.delay_general(a).to_bits(), "{initial} {max} {m} {a}");
                    }
                }
            }
        }
    }

    #[test]
    fn huge_attempts_hold_the_cap() {
        for m in [1.0001, 1.5, 2.0, 10.0] {
            let s = Strategy::Exponential { initial: 1.0, max: 120_000.0, multiplier: m };
            assert_eq!(s.delay(u32::MAX), 120_000.0);
        }
        let s = Strategy::Exponential { initial: 1.0, max: f64::INFINITY, multiplier: 2.0 };
        assert_eq!(s.delay(u32::MAX), f64::INFINITY);
        let z = Strategy::Exponential { initial: 0.0, max: 10.0, multiplier: 2.0 };
        assert_eq!(z.delay(u32::MAX), 0.0);
        let l = Strategy::Linear { initial: 1.0, increment: 1e300, max: 50.0 };
        assert_eq!(l.delay(u32::MAX), 50.0);
    }

    #[test]
    fn jitter_stays_in_range() {
        let s = Strategy::Exponential { initial: 100.0, max: 10_000.0, multiplier: 2.0 };
        for i in 0..100 {
            let r = f64::from(i) / 100.0;
            let d = s.delay(3);
            assert!((0.0..=d).contains(&apply_jitter(Jitter::Full, d, r, 0.0, &s)));
            assert!((d / 2.0..=d).contains(&apply_jitter(Jitter::Equal, d, r, 0.0, &s)));
            let dj = apply_jitter(Jitter::Decorrelated, d, r, 5_000.0, &s);
            assert!((100.0..=10_000.0).contains(&dj));
        }
        assert_eq!(apply_jitter(Jitter::None, 7.0, 0.3, 0.0, &s), 7.0);
        assert_eq!(apply_jitter(Jitter::Full, 8.0, 0.5, 0.0, &s), 4.0);
        assert_eq!(apply_jitter(Jitter::Equal, 8.0, 0.5, 0.0, &s), 6.0);
        assert_eq!(apply_jitter(Jitter::Decorrelated, 0.0, 0.5, 100.0, &s), 200.0);
    }
}

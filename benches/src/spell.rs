//! The host's speed spells, and which runs to count because of them.
//!
//! On a shared 2-vCPU guest the host moves between speed regimes that
//! differ up to six-fold and last 50–400 ms: a few to a few dozen runs of
//! a 4 ms throughput case. Two runs compared a second apart, even in the
//! same round, may then have run in different regimes, and their ratio
//! measures the host, not the libraries. A reference case run right
//! before and right after a run tells which spell the run was in: when
//! the two reference runs agree, the run between them was in that
//! spell, at the reference's level.
//!
//! `compare` uses its limit row (b) as the reference of every throughput
//! row; `paired_study` takes the reference it is given. The medians and
//! quantiles the reports and studies summarise counted runs with are
//! here too.

/// How far two reference runs may differ, as a fraction of the larger,
/// and still count as one spell.
pub const TOLERANCE: f64 = 0.10;

/// `true` when `a` and `b` differ by at most `tolerance` of the larger.
///
/// ```
/// use ringmpsc_benches::spell::agree;
/// assert!(agree(100.0, 95.0, 0.10));
/// assert!(!agree(100.0, 85.0, 0.10));
/// ```
pub fn agree(a: f64, b: f64, tolerance: f64) -> bool {
    (a - b).abs() <= tolerance * a.max(b)
}

/// The level of the spell a run was in, from the reference runs right
/// before and after it: their mean when they [`agree`], `None` when the
/// host changed speed around the run.
///
/// ```
/// use ringmpsc_benches::spell::level;
/// assert_eq!(level(100.0, 96.0, 0.10), Some(98.0));
/// assert_eq!(level(100.0, 40.0, 0.10), None);
/// ```
pub fn level(before: f64, after: f64, tolerance: f64) -> Option<f64> {
    agree(before, after, tolerance).then(|| (before + after) / 2.0)
}

/// The median of `values` (sorted in place); `NaN` when empty.
///
/// ```
/// use ringmpsc_benches::spell::median;
/// assert_eq!(median(&mut [3.0, 1.0, 2.0]), 2.0);
/// assert_eq!(median(&mut [4.0, 1.0, 2.0, 3.0]), 2.5);
/// ```
pub fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    let n = values.len();
    match n {
        0 => f64::NAN,
        _ if n % 2 == 1 => values[n / 2],
        _ => (values[n / 2 - 1] + values[n / 2]) / 2.0,
    }
}

/// The `q`-quantile (0..=1) of `sorted` (ascending), the nearest rank:
/// no interpolation, so it is always one of the values; `NaN` when empty.
///
/// ```
/// use ringmpsc_benches::spell::quantile;
/// let sorted = [1.0, 2.0, 3.0, 4.0];
/// assert_eq!(quantile(&sorted, 0.0), 1.0);
/// assert_eq!(quantile(&sorted, 0.5), 3.0);
/// assert_eq!(quantile(&sorted, 1.0), 4.0);
/// assert!(quantile(&[], 0.5).is_nan());
/// ```
pub fn quantile(sorted: &[f64], q: f64) -> f64 {
    match sorted.len() {
        0 => f64::NAN,
        n => sorted[((n - 1) as f64 * q.clamp(0.0, 1.0)).round() as usize],
    }
}

/// The studies' summary of one row: its [`quantile`] at one half, its
/// minimum and its maximum (`NaN`s when empty).
///
/// ```
/// use ringmpsc_benches::spell::median_and_span;
/// assert_eq!(median_and_span(vec![3.0, 1.0, 2.0]), (2.0, 1.0, 3.0));
/// ```
pub fn median_and_span(mut values: Vec<f64>) -> (f64, f64, f64) {
    values.sort_by(f64::total_cmp);
    (
        quantile(&values, 0.5),
        quantile(&values, 0.0),
        quantile(&values, 1.0),
    )
}

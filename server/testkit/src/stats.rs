//! Order statistics over measured durations.

use std::time::Duration;

/// The `p` quantile (0.0–1.0, nearest rank) of `v`; zero for no samples.
pub fn percentile(v: &[Duration], p: f64) -> Duration {
    if v.is_empty() {
        return Duration::ZERO;
    }
    let mut s = v.to_vec();
    s.sort();
    s[((s.len() - 1) as f64 * p.clamp(0.0, 1.0)).round() as usize]
}

/// The median of `v`.
pub fn median(v: &[Duration]) -> Duration {
    percentile(v, 0.5)
}

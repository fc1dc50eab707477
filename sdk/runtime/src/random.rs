//! Cheap randomness for backoff jitter and simulated values: distinct and unpredictable enough
//! for those, and not for anything secret.

use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

/// 64 fresh bits: unique within the process and different from run to run.
pub fn bits() -> u64 {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    // Read once: the process id is a system call each time.
    static SEED: OnceLock<u64> = OnceLock::new();
    let seed = *SEED.get_or_init(|| {
        let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default();
        (now.as_nanos() as u64) ^ (u64::from(std::process::id()) << 32)
    });
    // SplitMix64's finaliser spreads the counter over all bits.
    let step = COUNTER.fetch_add(1, Ordering::Relaxed).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    let mut z = seed.wrapping_add(step);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// A number in `[0, 1)`.
pub(crate) fn unit() -> f64 {
    (bits() >> 11) as f64 / (1u64 << 53) as f64
}

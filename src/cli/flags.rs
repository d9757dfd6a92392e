//! Numeric flag values: every one is checked (NaN, infinities, negatives,
//! overflow, out of range) and refused with a one-line reason (exit 2);
//! thread counts are clamped to what the machine can run, with a note.

pub use gridscore::search::cli::{parse_secs, MAX_SECS};

/// Longest grace after a deadline (seconds).
pub const MAX_GRACE_SECS: f64 = 3600.0;

/// `--grace`: seconds, 0 to [`MAX_GRACE_SECS`].
pub fn parse_grace(s: &str) -> Result<f64, String> {
    match parse_secs(s) {
        Ok(v) if v <= MAX_GRACE_SECS => Ok(v),
        _ => Err(format!(
            "{} is not a number of seconds from 0 to {MAX_GRACE_SECS:.0}",
            gridscore::text::quote(s)
        )),
    }
}

/// An integer in `min..=max`, with a reason when it is not one.
pub fn parse_count(s: &str, min: u64, max: u64) -> Result<usize, String> {
    let t = s.trim();
    let range = if max == u64::MAX {
        format!("{min} or more")
    } else {
        format!("{min} to {max}")
    };
    let v: u64 = t.parse().map_err(|e: std::num::ParseIntError| {
        let q = gridscore::text::quote(t);
        match e.kind() {
            std::num::IntErrorKind::PosOverflow => format!("{q} is too large (expected {range})"),
            _ if t.starts_with('-') => format!("{q} is negative (expected {range})"),
            _ => format!("`{q}` is not an integer (expected {range})"),
        }
    })?;
    if !(min..=max).contains(&v) {
        return Err(format!("{v} is out of range (expected {range})"));
    }
    usize::try_from(v).map_err(|_| format!("{v} is too large for this machine"))
}

/// `--top`: 1 or more.
pub fn parse_top(s: &str) -> Result<usize, String> {
    parse_count(s, 1, u64::MAX)
}

/// `--predictions`: 0 or more.
pub fn parse_predictions(s: &str) -> Result<usize, String> {
    parse_count(s, 0, u64::MAX)
}

/// `--threads`: 0 (automatic) or more; clamped later by [`threads`].
pub fn parse_threads(s: &str) -> Result<usize, String> {
    parse_count(s, 0, u64::MAX)
}

/// `--repeats`: 1 to 1000.
pub fn parse_repeats(s: &str) -> Result<usize, String> {
    parse_count(s, 1, 1000)
}

/// A batch size of `bench --sizes`: 1 to 2^28 (memory is checked later).
pub fn parse_batch(s: &str) -> Result<usize, String> {
    parse_count(s, 1, 1 << 28)
}

/// A grid side of `bench --grid-sizes`: 1 to 30.
pub fn parse_side(s: &str) -> Result<usize, String> {
    parse_count(s, 1, 30)
}

/// The CPUs this process may run on (its affinity mask, else the logical
/// CPUs).
pub fn usable_cpus() -> usize {
    let host = gridscore::sched::HostInfo::detect();
    host.affinity_cpus.unwrap_or(host.logical_cpus).max(1)
}

/// The worker threads to start for `--threads N`: 0 is the planner's choice;
/// more than the CPUs this process may use is clamped to them, with a note
/// on stderr (thousands of threads only slow a CPU-bound pool down, and
/// can exhaust the system).
pub fn threads(requested: usize) -> usize {
    if requested == 0 {
        return gridscore::sched::HostInfo::detect().cpu_threads().0;
    }
    let cpus = usable_cpus();
    if requested > cpus {
        super::note(&format!(
            "--threads {requested} is more than the {cpus} CPUs this process can use; using {cpus}"
        ));
        return cpus;
    }
    requested
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hostile_values_are_refused_with_a_reason() {
        for v in [
            "nan", "inf", "-inf", "-0.5", "1e300", "", "abc", "1e7.5", "0x1",
        ] {
            let e = parse_secs(v).unwrap_err();
            assert!(!e.contains('\n') && e.contains("seconds"), "{v}: {e}");
        }
        assert_eq!(parse_secs("0").unwrap(), 0.0);
        assert_eq!(parse_secs(" 2.5 ").unwrap(), 2.5);
        assert_eq!(parse_secs("1e7").unwrap(), MAX_SECS);
        assert!(parse_grace("inf").is_err());
        assert!(parse_grace("3601").is_err());
        assert_eq!(parse_grace("0.25").unwrap(), 0.25);
        for v in ["-1", "1.5", "18446744073709551616", "", "1e3", "NaN"] {
            let e = parse_top(v).unwrap_err();
            assert!(!e.contains('\n'), "{e}");
        }
        assert!(parse_top("0").is_err());
        assert_eq!(parse_top("3").unwrap(), 3);
        assert!(parse_repeats("1001").is_err());
        assert!(parse_side("31").is_err() && parse_side("0").is_err());
        assert_eq!(parse_threads("0").unwrap(), 0);
        // A long hostile value is quoted short.
        let e = parse_top(&"9x".repeat(100_000)).unwrap_err();
        assert!(e.len() < 120, "{e}");
    }

    #[test]
    fn threads_are_clamped_to_the_cpus() {
        let cpus = usable_cpus();
        assert_eq!(threads(1), 1);
        assert_eq!(threads(usize::MAX), cpus);
        assert_eq!(threads(cpus + 1), cpus);
        assert!(threads(0) >= 1);
    }
}

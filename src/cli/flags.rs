//! Numeric flag values: every one is checked (NaN, infinities, negatives,
//! overflow, out of range) and refused with a one-line reason (exit 2);
//! thread counts are clamped to what the machine can run, with a note.

pub use gridscore::search::cli::{parse_count, parse_secs, MAX_SECS};

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

    use proptest::prelude::*;

    fn config() -> ProptestConfig {
        let mut c = ProptestConfig::default();
        if std::env::var_os("PROPTEST_CASES").is_none() {
            c.cases = 256;
        }
        c.failure_persistence = None;
        c
    }

    /// Flag values a user might type, or a hostile one.
    fn value() -> impl Strategy<Value = String> {
        prop_oneof![
            any::<f64>().prop_map(|v| v.to_string()),
            any::<i64>().prop_map(|v| v.to_string()),
            any::<u128>().prop_map(|v| v.to_string()),
            prop::sample::select(vec![
                "nan",
                "NaN",
                "inf",
                "-inf",
                "+inf",
                "infinity",
                "1e308",
                "1e-320",
                "-0",
                "0x10",
                "1_000",
                " 5 ",
                "",
                "-",
                "+",
                ".",
                "1e",
                "\u{0}",
                "\u{1b}[2J",
            ])
            .prop_map(str::to_string),
            prop::collection::vec(any::<char>(), 0..40).prop_map(|v| v.into_iter().collect()),
        ]
    }

    proptest! {
        #![proptest_config(config())]

        #[test]
        fn seconds_are_finite_in_range_or_refused_on_one_line(v in value()) {
            match parse_secs(&v) {
                Ok(x) => prop_assert!(x.is_finite() && (0.0..=MAX_SECS).contains(&x)),
                Err(m) => prop_assert!(!m.contains('\n') && m.len() < 200, "{:?}", m),
            }
            match parse_grace(&v) {
                Ok(x) => prop_assert!(x.is_finite() && (0.0..=MAX_GRACE_SECS).contains(&x)),
                Err(m) => prop_assert!(!m.contains('\n') && m.len() < 200, "{:?}", m),
            }
        }

        #[test]
        fn floats_are_accepted_exactly_when_they_are_sane(x in any::<f64>()) {
            let ok = x.is_finite() && (0.0..=MAX_SECS).contains(&x);
            prop_assert_eq!(parse_secs(&x.to_string()).is_ok(), ok, "{}", x);
        }

        #[test]
        fn counts_are_in_range_or_refused(v in value(), min in 0u64..3, span in 0u64..1000) {
            let max = min + span;
            match parse_count(&v, min, max) {
                Ok(n) => prop_assert!((min..=max).contains(&(n as u64))),
                Err(m) => prop_assert!(!m.contains('\n') && m.len() < 200, "{:?}", m),
            }
        }

        #[test]
        fn no_flag_value_panics_the_command_line(
            flag in prop::sample::select(vec![
                "--deadline", "--grace", "--top", "--predictions", "--threads",
                "--max-inflight", "--chunk-ms",
            ]),
            v in value(),
        ) {
            use clap::Parser;
            let r = crate::cli::Cli::try_parse_from([
                "gridscore", "score", "t.json", "-c", "c.txt", flag, &v,
            ]);
            if let Err(e) = r {
                let line = crate::cli::clap_one_line(&e.render().to_string());
                prop_assert!(!line.contains('\n') && line.chars().count() < 420, "{:?}", line);
            }
        }

        #[test]
        fn no_search_or_bench_flag_value_panics(
            flag in prop::sample::select(vec![
                "--time-limit", "--max-states", "--max-memory", "--batch-size", "--depth",
            ]),
            bench_flag in prop::sample::select(vec!["--sizes", "--grid-sizes", "--repeats", "--seed"]),
            v in value(),
        ) {
            use clap::Parser;
            let _ = crate::cli::Cli::try_parse_from(["gridscore", "search", "t.json", flag, &v]);
            let _ = crate::cli::Cli::try_parse_from(["gridscore", "bench", bench_flag, &v]);
        }
    }
}

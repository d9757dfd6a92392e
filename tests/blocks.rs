//! The parallel block reader (`read_blocks`) gives exactly what the plain
//! line reader (`CandidateReader`) gives: the same candidates (ids, indices,
//! lines, texts, programs or errors), the same duplicate-id warnings and the
//! same error at the same place, whatever the block sizes.

use gridscore::lang::candidates::{
    fingerprint, read_blocks, BlockOptions, Candidate, CandidateReader, MAX_LINE_BYTES,
};
use gridscore::rng::Rng;

/// What a reader made of a file.
#[derive(Debug, PartialEq)]
struct Read {
    candidates: Vec<(String, usize, usize, String, String)>,
    /// The error that ended the file, if one did.
    error: Option<String>,
    warnings: Vec<String>,
}

fn key(c: &Candidate) -> (String, usize, usize, String, String) {
    let program = match &c.program {
        Ok(p) => format!("ok {p}"),
        Err(e) => format!("err {e}"),
    };
    (c.id.clone(), c.index, c.line, c.text.clone(), program)
}

fn plain(bytes: &[u8]) -> Read {
    let mut r = CandidateReader::new(bytes);
    let mut candidates = Vec::new();
    let mut error = None;
    loop {
        match r.next_candidate() {
            Ok(Some(c)) => candidates.push(key(&c)),
            Ok(None) => break,
            Err(e) => {
                error = Some(format!("{:?}: {e}", e.kind()));
                break;
            }
        }
    }
    let warnings = r.warnings().iter().map(|w| w.to_string()).collect();
    Read {
        candidates,
        error,
        warnings,
    }
}

fn blocks(bytes: &[u8], lines: usize, block_bytes: usize, threads: usize) -> Read {
    let opts = BlockOptions {
        lines,
        bytes: block_bytes,
        threads,
        ahead: 1,
        ..Default::default()
    };
    let mut r = read_blocks(std::io::Cursor::new(bytes.to_vec()), &opts).unwrap();
    let mut candidates = Vec::new();
    let mut error = None;
    for b in r.by_ref() {
        match b {
            Ok(b) => {
                assert!(!b.candidates.is_empty(), "no empty blocks are sent");
                assert_eq!(b.candidates.len(), b.fingerprints.len());
                for (c, fp) in b.candidates.iter().zip(&b.fingerprints) {
                    let want = c.program.as_ref().map_or(0, fingerprint);
                    assert_eq!(*fp, want, "fingerprint of {c:?}");
                    candidates.push(key(c));
                }
            }
            Err(e) => {
                assert!(error.is_none(), "nothing comes after an error");
                error = Some(format!("{:?}: {e}", e.kind()));
            }
        }
    }
    let warnings = r.warnings().iter().map(|w| w.to_string()).collect();
    Read {
        candidates,
        error,
        warnings,
    }
}

/// Checks `bytes` with several block shapes, down to one line per block.
fn check(bytes: &[u8]) {
    let want = plain(bytes);
    for (lines, block_bytes, threads) in [
        (1, 1, 1),
        (2, 1 << 20, 2),
        (3, 7, 2),
        (7, 1 << 20, 3),
        (64, 100, 2),
        (1 << 16, 8 << 20, 2),
    ] {
        let got = blocks(bytes, lines, block_bytes, threads);
        assert_eq!(
            got,
            want,
            "blocks of {lines} lines / {block_bytes} bytes on {threads} threads, input {:?}",
            String::from_utf8_lossy(&bytes[..bytes.len().min(200)])
        );
    }
}

#[test]
fn tricky_inputs_read_the_same() {
    let long = format!("long: {}\n", "rot90 | ".repeat(MAX_LINE_BYTES / 8 + 10));
    let inputs: Vec<Vec<u8>> = vec![
        b"".to_vec(),
        b"\n\n\n".to_vec(),
        b"rot90".to_vec(),
        b"rot90\nflip_h\nrot90\n".to_vec(),
        // Byte order mark, CR, CRLF, LF, and a lone CR after a LF.
        b"\xef\xbb\xbfa: rot90\rb: flip_h\r\nc: flip_v\n\rd: trim".to_vec(),
        // A byte order mark only counts on the first line.
        b"rot90\n\xef\xbb\xbfa: rot90\n".to_vec(),
        b"\r\n\r\n\r\rrot90\r".to_vec(),
        // Invalid UTF-8 in ids and programs.
        b"m\xffe: rot90\nro\xfet90\n\xc3\n".to_vec(),
        // Duplicate ids, named, JSON and unnamed (an unnamed one is its index).
        b"a: rot90\na: flip_h\n{\"id\": \"a\", \"program\": \"trim\"}\n3: rot90\nrot90\n1\n# c\n\n2: x\n".to_vec(),
        // Comments, JSON lines and errors of every kind.
        b"# header\n\nrot90\nmine: flip_h | recolor 1 2\n  # indented\n{\"id\": 7, \"program\": \"trim\"}\n{\"program\": \"upscale 2\"}\nbogus 1\n: rot90\n{\"id\":\"x\"}\n{\"program\": 3}\n{not json\n[1]\n".to_vec(),
        // A line over the length limit is one bad candidate.
        format!("rot90\n{long}flip_h\n").into_bytes(),
        format!("{long}{long}").into_bytes(),
        // A NUL byte makes the file unreadable after the lines before it.
        b"rot90\nflip_h\nfl\0ip_v\ntrim\n".to_vec(),
        b"\0".to_vec(),
    ];
    for bytes in &inputs {
        check(bytes);
    }
}

#[test]
fn many_duplicate_ids_are_counted_the_same() {
    let mut s = String::new();
    for k in 0..300 {
        s.push_str(&format!("same: rot90 | recolor {} 1\n", k % 10));
    }
    check(s.as_bytes());
}

/// Random files made of the pieces that matter: line ends, byte order
/// marks, invalid bytes, comments, blank lines, names, JSON, duplicates,
/// over-long lines and (rarely) a NUL.
#[test]
fn random_files_read_the_same() {
    let mut rng = Rng::new(13);
    let pieces: &[&[u8]] = &[
        b"rot90",
        b"flip_h | recolor 1 2",
        b"a: ",
        b"b: ",
        b"7: ",
        b"{\"id\": \"a\", \"program\": \"trim\"}",
        b"{\"program\": \"rot90\"}",
        b"# comment",
        b"  ",
        b"\xef\xbb\xbf",
        b"\xff",
        b"\xc3",
        b"bogus 1",
        b"upscale 2 2",
        b"\n",
        b"\r",
        b"\r\n",
        b"\n\r",
    ];
    for _ in 0..60 {
        let mut bytes = Vec::new();
        let n = rng.below(40);
        for _ in 0..n {
            bytes.extend_from_slice(pieces[rng.below(pieces.len())]);
            if rng.chance(0.02) {
                bytes.extend(std::iter::repeat_n(b'x', MAX_LINE_BYTES + rng.below(3)));
            }
            if rng.chance(0.01) {
                bytes.push(0);
            }
        }
        check(&bytes);
    }
}

#[test]
fn a_failing_source_ends_the_blocks_with_its_error() {
    /// Gives some lines, then fails.
    struct Failing(std::io::Cursor<Vec<u8>>);
    impl std::io::Read for Failing {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            let n = self.0.read(buf)?;
            if n == 0 {
                return Err(std::io::Error::other("disk on fire"));
            }
            Ok(n)
        }
    }
    let opts = BlockOptions {
        lines: 2,
        ..Default::default()
    };
    let src = Failing(std::io::Cursor::new(b"rot90\nflip_h\ntrim\n".to_vec()));
    let got: Vec<_> = read_blocks(src, &opts).unwrap().collect();
    let n: usize = got
        .iter()
        .filter_map(|b| b.as_ref().ok())
        .map(|b| b.candidates.len())
        .sum();
    assert_eq!(n, 3);
    let err = got.last().unwrap().as_ref().unwrap_err();
    assert!(err.to_string().contains("disk on fire"), "{err}");
}

/// The full ranking over blocks (`sched::full::score_blocks`, what
/// `gridscore score` runs without `--top`) writes exactly the rows of
/// The bundled task `assets/tasks/NAME.json`.
fn asset_task(name: &str) -> gridscore::task::Task {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("assets/tasks")
        .join(format!("{name}.json"));
    gridscore::task::load_tasks(&path, None).unwrap().remove(0)
}

/// `sched::score` over the whole file: same rows, same order, same ids,
/// duplicates, parse errors and predictions, whatever the block size.
#[test]
fn full_ranking_over_blocks_writes_the_rows_of_the_whole_file_scorer() {
    use gridscore::engine::{BatchOptions, CpuBackend};
    use gridscore::lang::random::{random_program, v1_codes};
    use gridscore::sched::{SchedOptions, Scheduler};
    use std::sync::Arc;
    let task = asset_task("fill_rooms");
    let mut rng = Rng::new(5);
    let codes = v1_codes();
    let mut text = String::from("\u{feff}# candidates\n");
    for k in 0..3000 {
        let p = random_program(&mut rng, &codes, 1, 2).to_string();
        match k % 17 {
            // Named, with ids that look like indices, repeated ids and
            // programs, parse errors, JSON lines, blank lines and CRLF.
            0 => text.push_str(&format!("{}: {p}\r\n", k + 1)),
            1 => text.push_str(&format!("0{k}: {p}\n")),
            2 => text.push_str("same: rot90\n"),
            3 => text.push_str("bogus 1\n"),
            4 => text.push_str(&format!("{{\"id\": {k}, \"program\": \"{p}\"}}\n")),
            5 => text.push_str("\n# note\n"),
            6 => text.push_str("flip_h | flip_h\n"),
            // Ids that JSON escapes, and non-ASCII ones.
            7 => text.push_str(&format!(
                "{{\"id\": \"q\\\"u\\\\o\\te {k}\", \"program\": \"{p}\"}}\n"
            )),
            8 => text.push_str(&format!("\u{fc}ber-{k}: {p}\n")),
            _ => text.push_str(&format!("{p}\n")),
        }
    }
    let candidates = gridscore::lang::parse_candidates(&text);
    let sched = Scheduler::new(vec![Arc::new(CpuBackend::new(2))], SchedOptions::default());
    let opts = BatchOptions {
        predictions: 7,
        ..Default::default()
    };
    // The task as given, and without test outputs (test scores null).
    let mut no_outputs = task.clone();
    for t in &mut no_outputs.test {
        t.output = None;
    }
    for task in [&task, &no_outputs] {
        check_full_rows(task, &text, &candidates, &sched, &opts);
    }
    // Past the deadline nothing runs: every parsed candidate is not_run.
    let late = Scheduler::new(
        vec![Arc::new(CpuBackend::new(2))],
        SchedOptions {
            deadline: Some(std::time::Instant::now()),
            ..Default::default()
        },
    );
    check_full_rows(&task, &text, &candidates, &late, &opts);
}

fn check_full_rows(
    task: &gridscore::task::Task,
    text: &str,
    candidates: &[Candidate],
    sched: &gridscore::sched::Scheduler,
    opts: &gridscore::engine::BatchOptions,
) {
    use gridscore::engine::rows::write_jsonl;
    use gridscore::sched::full::score_blocks;
    let want_run = gridscore::sched::score(task, candidates, sched, opts).unwrap();
    let mut want = Vec::new();
    write_jsonl(&mut want, &task.id, &want_run.report, None).unwrap();
    let pool = gridscore::lang::candidates::host_pool(2).unwrap();
    for lines in [1, 97, 1 << 16] {
        let blocks = read_blocks(
            std::io::Cursor::new(text.as_bytes().to_vec()),
            &BlockOptions {
                lines,
                pool: Some(pool.clone()),
                ..Default::default()
            },
        )
        .unwrap();
        let run = score_blocks(task, blocks, sched, opts).unwrap();
        let mut got = Vec::new();
        run.write_jsonl(&mut got, &pool).unwrap();
        assert_eq!(
            String::from_utf8(got).unwrap(),
            String::from_utf8(want.clone()).unwrap(),
            "blocks of {lines} lines"
        );
        if sched.options().deadline.is_some() {
            assert!(run.deadline_hit);
            assert_eq!(run.scored, 0);
            assert_eq!(run.not_run, run.candidates - run.parse_errors);
        }
        let head = run.head(20);
        assert_eq!(head.candidates, want_run.report.candidates);
        assert_eq!(head.scored, want_run.report.scored);
        assert_eq!(head.parse_errors, want_run.report.parse_errors);
        assert_eq!(head.distinct, want_run.report.distinct);
        assert_eq!(head.evaluations, want_run.report.evaluations);
    }
}

/// The full ranking of more rows than the writer formats ahead (many
/// chunks, several threads): the same rows as the whole-file scorer; and a
/// writer that fails part way returns its error instead of waiting for the
/// formatters.
#[test]
fn many_rows_are_written_in_order_and_a_failing_writer_stops_the_formatters() {
    use gridscore::engine::{BatchOptions, CpuBackend};
    use gridscore::lang::random::{random_program, v1_codes};
    use gridscore::sched::{SchedOptions, Scheduler};
    use std::sync::Arc;
    let task = asset_task("mirror");
    let mut rng = Rng::new(11);
    let codes = v1_codes();
    // 300 distinct programs in 45,000 rows (more than 16 chunks of 2,048),
    // every tenth one named.
    let programs: Vec<String> = (0..300)
        .map(|_| random_program(&mut rng, &codes, 1, 2).to_string())
        .collect();
    let mut text = String::new();
    for k in 0..45_000 {
        let p = &programs[rng.below(programs.len())];
        if k % 10 == 0 {
            text.push_str(&format!("n{k}: {p}\n"));
        } else {
            text.push_str(&format!("{p}\n"));
        }
    }
    let candidates = gridscore::lang::parse_candidates(&text);
    let sched = Scheduler::new(vec![Arc::new(CpuBackend::new(2))], SchedOptions::default());
    let opts = BatchOptions::default();
    check_full_rows(&task, &text, &candidates, &sched, &opts);

    /// Fails once more than `left` bytes were written.
    struct Failing {
        left: usize,
    }
    impl std::io::Write for Failing {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            if buf.len() > self.left {
                return Err(std::io::Error::other("disk full"));
            }
            self.left -= buf.len();
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let pool = gridscore::lang::candidates::host_pool(3).unwrap();
    let blocks = read_blocks(
        std::io::Cursor::new(text.into_bytes()),
        &BlockOptions {
            pool: Some(pool.clone()),
            ..Default::default()
        },
    )
    .unwrap();
    let run = gridscore::sched::full::score_blocks(&task, blocks, &sched, &opts).unwrap();
    for left in [0, 100_000, 1_000_000] {
        let err = run
            .write_jsonl(&mut Failing { left }, &pool)
            .expect_err("the writer fails");
        assert_eq!(err.to_string(), "disk full");
    }
    // Called from a thread of its own one-thread pool, it writes the same
    // rows (in turn) instead of waiting for itself.
    let mut all = Vec::new();
    run.write_jsonl(&mut all, &pool).unwrap();
    let one = gridscore::lang::candidates::host_pool(1).unwrap();
    let mut inside = Vec::new();
    one.install(|| run.write_jsonl(&mut inside, &one)).unwrap();
    assert!(inside == all, "rows written from inside the pool differ");
}

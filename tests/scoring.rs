//! Scoring and ranking (`DSL.md`, "Scoring a candidate on a task"), on
//! hand-computed cases, plus determinism and duplicate handling of the
//! batch engine.

use gridscore::engine::{
    score_batch, Backend, BatchOptions, BatchReport, CpuBackend, EngineError, Status,
};
use gridscore::lang::candidates::parse_candidates;
use gridscore::lang::random::{all_codes, random_grid_sized, random_program};
use gridscore::lang::run_program;
use gridscore::rng::Rng;
use gridscore::score::{Metric, PairOutcome};
use gridscore::task::{Pair, Task, TestPair};
use gridscore::{Grid, Program};
use std::sync::Mutex;

/// A grid from `"123/456"`.
fn t(s: &str) -> Grid {
    let rows: Vec<Vec<u8>> = s
        .split('/')
        .map(|r| r.bytes().map(|b| b - b'0').collect())
        .collect();
    Grid::from_rows(&rows).unwrap()
}

fn task(train: &[(&str, &str)], test: &[(&str, Option<&str>)]) -> Task {
    Task {
        id: "t".into(),
        train: train
            .iter()
            .map(|(i, o)| Pair {
                input: t(i),
                output: t(o),
            })
            .collect(),
        test: test
            .iter()
            .map(|(i, o)| TestPair {
                input: t(i),
                output: o.map(t),
            })
            .collect(),
    }
}

fn score(task: &Task, candidates: &str, metric: Metric, threads: usize) -> BatchReport {
    let cands = parse_candidates(candidates);
    let opts = BatchOptions {
        metric,
        predictions: 0,
    };
    score_batch(task, &cands, &CpuBackend::new(threads), &opts).unwrap()
}

/// The three metrics of one output against one expected grid.
fn metrics(y: Option<&str>, e: &str) -> (u32, u32, u32) {
    let e = t(e);
    let y = y.map(t);
    let o = PairOutcome::compare(y.as_ref(), Some(&e));
    let (h, w) = (e.h(), e.w());
    (
        o.score(Metric::Tiered, h, w),
        o.score(Metric::Cells, h, w),
        o.score(Metric::Exact, h, w),
    )
}

// ------------------------------------------------------------ pair scores

#[test]
fn pair_scores_exact() {
    assert_eq!(metrics(Some("123/456"), "123/456"), (1000, 6, 1));
    assert_eq!(metrics(Some("7"), "7"), (1000, 1, 1));
}

#[test]
fn pair_scores_same_size() {
    // 100 + floor(900 * matching / cells).
    assert_eq!(metrics(Some("123/450"), "123/456"), (100 + 750, 5, 0));
    assert_eq!(metrics(Some("000/000"), "123/456"), (100, 0, 0));
    assert_eq!(metrics(Some("100/000"), "123/456"), (100 + 150, 1, 0));
    assert_eq!(metrics(Some("120"), "123"), (100 + 600, 2, 0));
    assert_eq!(metrics(Some("1000000"), "1234567"), (100 + 128, 1, 0)); // 900/7 = 128.57
    assert_eq!(metrics(Some("1234560"), "1234567"), (100 + 771, 6, 0)); // 5400/7 = 771.4
}

#[test]
fn pair_scores_different_size_top_left_overlap() {
    // floor(99 * m / (He * We)), m in the top-left overlap.
    // 3x2 against 2x3: the overlap is 2x2, all four match.
    assert_eq!(metrics(Some("12/45/78"), "123/456"), (66, 0, 0));
    // Larger than expected, the whole expected grid matches: 99.
    assert_eq!(metrics(Some("1239/4569/9999"), "123/456"), (99, 0, 0));
    // One matching cell of 6: floor(99 / 6) = 16.
    assert_eq!(metrics(Some("1"), "123/456"), (16, 0, 0));
    assert_eq!(metrics(Some("9"), "123/456"), (0, 0, 0));
    // Only aligned cells count: 13/46 has the 3 and the 6 of the expected
    // grid, but in column 1; m = 2 (the 1 and the 4): floor(198 / 6) = 33.
    assert_eq!(metrics(Some("13/46"), "123/456"), (33, 0, 0));
}

#[test]
fn pair_scores_invalid_is_zero() {
    assert_eq!(metrics(None, "123/456"), (0, 0, 0));
    assert_eq!(metrics(None, "0"), (0, 0, 0));
}

// ------------------------------------------------------- totals, ranking

/// pair 0: 12/34 -> 21/43, pair 1: 567 -> 765 (flip_h), one scored test
/// pair and one without output.
fn flip_task() -> Task {
    task(
        &[("12/34", "21/43"), ("567", "765")],
        &[("89", Some("98")), ("123", None)],
    )
}

const FLIP_CANDIDATES: &str = "\
flip_h
id
rot90
crop 0 0 2 2
upscale 1 2
flip_h | crop 0 0 1 2
";

#[test]
fn totals_tiered() {
    let r = score(&flip_task(), FLIP_CANDIDATES, Metric::Tiered, 1);
    let got: Vec<(&str, u32, u64, Vec<u32>)> = r
        .results
        .iter()
        .map(|c| (c.program.as_str(), c.exact, c.score, c.pair_scores.clone()))
        .collect();
    // Worked out by hand:
    // flip_h: exact on both.
    // id: 0 of 4 cells -> 100; 1 of 3 (the 6) -> 100 + 300.
    // rot90: 31/42 vs 21/43: 2 of 4 -> 550; 5/6/7 vs 765: overlap 5 vs 7 -> 0.
    // flip_h | crop 0 0 1 2: 21 vs 21/43 -> floor(99*2/4) = 49;
    //   76 vs 765 -> floor(99*2/3) = 66.
    // crop 0 0 2 2: same grid -> 100; INVALID on 1x3 -> 0.
    // upscale 1 2: 1122/3344 vs 21/43: overlap 11/33 matches 2 -> 49;
    //   556677 vs 765: 5/7, 5/6, 6/5 -> 0.
    assert_eq!(
        got,
        [
            ("flip_h", 2, 2000, vec![1000, 1000]),
            ("rot90", 0, 550, vec![550, 0]),
            ("id", 0, 500, vec![100, 400]),
            ("flip_h | crop 0 0 1 2", 0, 115, vec![49, 66]),
            ("crop 0 0 2 2", 0, 100, vec![100, 0]),
            ("upscale 1 2", 0, 49, vec![49, 0]),
        ]
    );
    let ranks: Vec<Option<usize>> = r.results.iter().map(|c| c.rank).collect();
    assert_eq!(ranks, (1..=6).map(Some).collect::<Vec<_>>());
    assert!(r
        .results
        .iter()
        .all(|c| c.status == Status::Ok && c.pairs == 2));
}

#[test]
fn totals_cells_and_exact() {
    let r = score(&flip_task(), FLIP_CANDIDATES, Metric::Cells, 2);
    let got: Vec<(&str, u64, Vec<u32>)> = r
        .results
        .iter()
        .map(|c| (c.program.as_str(), c.score, c.pair_scores.clone()))
        .collect();
    assert_eq!(
        got,
        [
            ("flip_h", 7, vec![4, 3]),
            ("rot90", 2, vec![2, 0]),
            ("id", 1, vec![0, 1]),
            // Ties at 0: fewer ops first, then file order.
            ("crop 0 0 2 2", 0, vec![0, 0]),
            ("upscale 1 2", 0, vec![0, 0]),
            ("flip_h | crop 0 0 1 2", 0, vec![0, 0]),
        ]
    );
    let r = score(&flip_task(), FLIP_CANDIDATES, Metric::Exact, 2);
    let got: Vec<(&str, u32, u64)> = r
        .results
        .iter()
        .map(|c| (c.program.as_str(), c.exact, c.score))
        .collect();
    assert_eq!(
        got,
        [
            ("flip_h", 2, 2),
            ("id", 0, 0),
            ("rot90", 0, 0),
            ("crop 0 0 2 2", 0, 0),
            ("upscale 1 2", 0, 0),
            ("flip_h | crop 0 0 1 2", 0, 0),
        ]
    );
}

#[test]
fn test_scores_are_reported_apart() {
    let r = score(&flip_task(), FLIP_CANDIDATES, Metric::Tiered, 1);
    let by_prog = |p: &str| r.results.iter().find(|c| c.program == p).unwrap();
    // Test pair 0: 89 -> 98; test pair 1 has no output.
    assert_eq!(by_prog("flip_h").test_scores, [Some(1000), None]);
    assert_eq!(by_prog("id").test_scores, [Some(100), None]);
    // rot90: 8/9 vs 98, overlap 8 vs 9 -> 0.
    assert_eq!(by_prog("rot90").test_scores, [Some(0), None]);
    // crop 0 0 2 2 is INVALID on 1x2.
    assert_eq!(by_prog("crop 0 0 2 2").test_scores, [Some(0), None]);
    // The train total does not include the test pairs.
    assert_eq!(by_prog("flip_h").score, 2000);
    // One hash per pair, train then test.
    assert!(r.results.iter().all(|c| c.hashes.len() == 4));

    // No test outputs at all: every test score is None.
    let no_out = task(&[("12/34", "21/43")], &[("89", None), ("1", None)]);
    let r = score(&no_out, "flip_h\nid\n", Metric::Tiered, 1);
    for c in &r.results {
        assert_eq!(c.test_scores, [None, None]);
    }
    // No test pairs.
    let no_test = task(&[("12/34", "21/43")], &[]);
    let r = score(&no_test, "flip_h\n", Metric::Tiered, 1);
    assert_eq!(r.results[0].test_scores, []);
    assert_eq!(r.results[0].score, 1000);
}

#[test]
fn predictions_are_the_outputs_on_test_inputs() {
    let cands = parse_candidates(FLIP_CANDIDATES);
    let opts = BatchOptions {
        metric: Metric::Tiered,
        predictions: 2,
    };
    let r = score_batch(&flip_task(), &cands, &CpuBackend::new(1), &opts).unwrap();
    assert_eq!(
        r.results[0].predictions,
        Some(vec![Some(t("98")), Some(t("321"))])
    );
    // rot90 is second.
    assert_eq!(
        r.results[1].predictions,
        Some(vec![Some(t("8/9")), Some(t("1/2/3"))])
    );
    assert!(r.results[2..].iter().all(|c| c.predictions.is_none()));
}

/// pair 0: 1 -> 2; pairs 1 and 2: ten 1s -> nine 1s and a 2.
fn ranking_task() -> Task {
    task(
        &[
            ("1", "2"),
            ("1111111111", "1111111112"),
            ("1111111111", "1111111112"),
        ],
        &[],
    )
}

#[test]
fn ranking_exact_then_score_then_fewer_ops_then_earlier() {
    // Hand-computed tiered totals:
    //   recolor 1 2: 1000 + 190 + 190 = 1380, 1 exact pair;
    //   id and every program that leaves these grids alone:
    //     100 + 910 + 910 = 1920, 0 exact;
    //   crop 0 0 2 2: INVALID everywhere, 0.
    let cands = "\
id | id
flip_v
recolor 1 2
id
bogus
rot180
crop 0 0 2 2
flip_v
";
    let r = score(&ranking_task(), cands, Metric::Tiered, 1);
    let order: Vec<(Option<usize>, usize, u32, u64, usize)> = r
        .results
        .iter()
        .map(|c| (c.rank, c.index, c.exact, c.score, c.ops))
        .collect();
    assert_eq!(
        order,
        [
            // More exact pairs beat a higher total.
            (Some(1), 2, 1, 1380, 1),
            // Equal totals, one op: file order (index 1, 3, 5, 7).
            (Some(2), 1, 0, 1920, 1),
            (Some(3), 3, 0, 1920, 1),
            (Some(4), 5, 0, 1920, 1),
            (Some(5), 7, 0, 1920, 1),
            // Two ops after one op, although earlier in the file.
            (Some(6), 0, 0, 1920, 2),
            (Some(7), 6, 0, 0, 1),
            // The parse error last, unranked.
            (None, 4, 0, 0, 0),
        ]
    );
    assert_eq!(r.results[7].status, Status::ParseError);
}

#[test]
fn id_counts_as_one_op_and_empty_program_as_zero() {
    // "NAME:" with an empty program is the identity with 0 ops: it beats
    // `id` (1 op) on equal scores although it comes later.
    let r = score(&ranking_task(), "id\nempty:\n", Metric::Tiered, 1);
    let order: Vec<(&str, usize)> = r.results.iter().map(|c| (c.id.as_str(), c.ops)).collect();
    assert_eq!(order, [("empty", 0), ("0", 1)]);
}

#[test]
fn parse_errors_listed_after_ranked_in_file_order() {
    let cands = "\
bogus
rot90
upscale 0
e: flip_h | | id
flip_h
{\"id\": \"j\", \"program\": 5}
| id
";
    let r = score(&flip_task(), cands, Metric::Tiered, 1);
    let got: Vec<(Option<usize>, &str, Status, usize)> = r
        .results
        .iter()
        .map(|c| (c.rank, c.id.as_str(), c.status, c.line))
        .collect();
    assert_eq!(
        got,
        [
            (Some(1), "4", Status::Ok, 5),
            (Some(2), "1", Status::Ok, 2),
            (None, "0", Status::ParseError, 1),
            (None, "2", Status::ParseError, 3),
            (None, "e", Status::ParseError, 4),
            (None, "j", Status::ParseError, 6),
            (None, "6", Status::ParseError, 7),
        ]
    );
    for c in &r.results[2..] {
        let e = c.error.as_deref().unwrap();
        assert!(e.starts_with(&format!("line {}:", c.line)), "{e}");
        assert_eq!((c.score, c.exact), (0, 0));
        assert!(c.pair_scores.is_empty());
    }
    // The text as given is kept for unparsed candidates.
    assert_eq!(r.results[2].program, "bogus");
    assert_eq!(r.results[4].program, "flip_h | | id");
}

// ------------------------------------------------------------ duplicates

/// A backend that records the programs it is asked to evaluate.
struct Counting {
    inner: CpuBackend,
    seen: Mutex<Vec<String>>,
}

impl Backend for Counting {
    fn name(&self) -> String {
        "counting".into()
    }
    fn kind(&self) -> &'static str {
        "cpu"
    }
    fn evaluate(
        &self,
        task: &Task,
        programs: &[&Program],
    ) -> Result<Vec<PairOutcome>, EngineError> {
        self.seen
            .lock()
            .unwrap()
            .extend(programs.iter().map(|p| p.canonical()));
        self.inner.evaluate(task, programs)
    }
    fn predict(
        &self,
        task: &Task,
        programs: &[&Program],
    ) -> Result<Vec<Vec<Option<Grid>>>, EngineError> {
        self.inner.predict(task, programs)
    }
}

/// DSL.md: "programs that are the same op list after normalising
/// whitespace are duplicates". We read "op list" as the parsed ops, so
/// `upscale +1 01` is a duplicate of `upscale 1 1` (same canonical text),
/// as are a `NAME:` line and a JSON line holding the same program.
#[test]
fn duplicates_are_evaluated_once_and_reported() {
    let cands = parse_candidates(
        "\
flip_h
  flip_h
a: flip_h
rot90
upscale +1 01
upscale 1 1
flip_h | id
{\"id\": \"b\", \"program\": \"rot90\"}
bogus
",
    );
    let backend = Counting {
        inner: CpuBackend::new(2),
        seen: Mutex::new(Vec::new()),
    };
    let opts = BatchOptions {
        metric: Metric::Tiered,
        predictions: 0,
    };
    let r = score_batch(&flip_task(), &cands, &backend, &opts).unwrap();
    let mut seen = backend.seen.into_inner().unwrap();
    seen.sort();
    assert_eq!(seen, ["flip_h", "flip_h | id", "rot90", "upscale 1 1"]);
    assert_eq!(r.distinct, 4);
    assert_eq!(r.evaluations, 4 * 4);
    // Every candidate is reported.
    assert_eq!(r.results.len(), 9);
    let dup = |id: &str| {
        let c = r.results.iter().find(|c| c.id == id).unwrap();
        (c.duplicate_of.as_deref(), c.score, c.rank.is_some())
    };
    assert_eq!(dup("0"), (None, 2000, true));
    assert_eq!(dup("1"), (Some("0"), 2000, true));
    assert_eq!(dup("a"), (Some("0"), 2000, true));
    assert_eq!(dup("3"), (None, 550, true));
    assert_eq!(dup("b"), (Some("3"), 550, true));
    assert_eq!(dup("4"), (None, 500, true));
    assert_eq!(dup("5"), (Some("4"), 500, true));
    // Not a syntactic duplicate (two ops), though it behaves the same.
    assert_eq!(dup("6"), (None, 2000, true));
    assert_eq!(dup("8"), (None, 0, false));
    // Duplicates rank right after their representative by file order.
    let ids: Vec<&str> = r.results.iter().map(|c| c.id.as_str()).collect();
    assert_eq!(ids, ["0", "1", "a", "6", "3", "b", "4", "5", "8"]);
}

// ----------------------------------------------------------- determinism

fn random_task(seed: u64) -> Task {
    let mut rng = Rng::new(seed);
    let target = Program::parse("flip_h | recolor 1 2").unwrap();
    let mut pair = || {
        let mut input = random_grid_sized(&mut rng, 1, 12);
        // A 1 in every input, so that `recolor 1 2` matters.
        input.set(0, 0, 1);
        let output = run_program(&target, &input).unwrap();
        (input, output)
    };
    let train = (0..3)
        .map(|_| {
            let (input, output) = pair();
            Pair { input, output }
        })
        .collect();
    let (i0, o0) = pair();
    let (i1, _) = pair();
    Task {
        id: "r".into(),
        train,
        test: vec![
            TestPair {
                input: i0,
                output: Some(o0),
            },
            TestPair {
                input: i1,
                output: None,
            },
        ],
    }
}

fn random_candidates(seed: u64, n: usize) -> String {
    let mut rng = Rng::new(seed);
    let codes = all_codes();
    let mut lines = vec![
        "flip_h | recolor 1 2".to_string(),
        "recolor 1 2 | flip_h".to_string(),
        "bogus".to_string(),
    ];
    for k in 0..n {
        let p = random_program(&mut rng, &codes, 1, 4);
        lines.push(p.to_string());
        if k % 50 == 0 {
            lines.push(format!("dup{k}: {p}"));
        }
    }
    lines.join("\n")
}

fn report_json(r: &BatchReport) -> String {
    serde_json::to_string(&r.results).unwrap()
}

#[test]
fn deterministic_across_runs_and_thread_counts() {
    let task = random_task(11);
    let cands = parse_candidates(&random_candidates(12, 1500));
    let opts = BatchOptions {
        metric: Metric::Tiered,
        predictions: 5,
    };
    let one = CpuBackend::new(1);
    let four = CpuBackend::new(4);
    let a = score_batch(&task, &cands, &one, &opts).unwrap();
    let b = score_batch(&task, &cands, &one, &opts).unwrap();
    let c = score_batch(&task, &cands, &four, &opts).unwrap();
    let d = score_batch(&task, &cands, &four, &opts).unwrap();
    let ja = report_json(&a);
    assert_eq!(ja, report_json(&b));
    assert_eq!(ja, report_json(&c));
    assert_eq!(ja, report_json(&d));
    assert_eq!((a.distinct, a.evaluations), (c.distinct, c.evaluations));
    // The target program is exact on every pair and ranks first (one of
    // the two equivalent orders; both have 2 ops, so file order decides).
    assert_eq!(a.results[0].program, "flip_h | recolor 1 2");
    assert_eq!(a.results[0].exact, 3);
    assert_eq!(a.results[0].test_scores, [Some(1000), None]);
    assert_eq!(a.results[1].program, "recolor 1 2 | flip_h");
}

#[test]
fn engine_agrees_with_the_reference_interpreter() {
    // Every reported pair score equals the one computed from run_program.
    let task = random_task(21);
    let cands = parse_candidates(&random_candidates(22, 800));
    let r = score(&task, &random_candidates(22, 800), Metric::Tiered, 3);
    assert_eq!(r.results.len(), cands.len());
    for c in &r.results {
        let Ok(p) = &cands[c.index].program else {
            assert_eq!(c.rank, None);
            continue;
        };
        let want: Vec<u32> = task
            .train
            .iter()
            .map(|pair| {
                let y = run_program(p, &pair.input);
                PairOutcome::compare(y.as_ref(), Some(&pair.output)).score(
                    Metric::Tiered,
                    pair.output.h(),
                    pair.output.w(),
                )
            })
            .collect();
        assert_eq!(c.pair_scores, want, "{}", c.program);
        assert_eq!(c.score, want.iter().map(|&s| s as u64).sum::<u64>());
        assert_eq!(
            c.exact as usize,
            want.iter().filter(|&&s| s == 1000).count()
        );
    }
    // Ranks are 1..=n over the scored candidates, in order.
    let ranks: Vec<usize> = r.results.iter().filter_map(|c| c.rank).collect();
    assert_eq!(ranks, (1..=ranks.len()).collect::<Vec<_>>());
    for w in r.results.windows(2) {
        if let (Some(_), Some(_)) = (w[0].rank, w[1].rank) {
            let ka = (
                std::cmp::Reverse(w[0].exact),
                std::cmp::Reverse(w[0].score),
                w[0].ops,
                w[0].index,
            );
            let kb = (
                std::cmp::Reverse(w[1].exact),
                std::cmp::Reverse(w[1].score),
                w[1].ops,
                w[1].index,
            );
            assert!(ka < kb, "{} before {}", w[0].program, w[1].program);
        }
    }
}

// ------------------------------------------------ the ARC training corpus

/// `../shared/arc/training` (present on development machines and in CI,
/// never committed); `None` where it is absent.
fn arc_training() -> Option<std::path::PathBuf> {
    let p = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/arc/training");
    p.is_dir().then_some(p)
}

/// ARC-AGI-1 training tasks that one short program of the language solves
/// (well-known easy tasks: a symmetry, a tiling, a recoloring, a logic op
/// on two halves); each must be exact on every train and test pair.
const KNOWN: &[(&str, &str)] = &[
    ("3c9b0459", "rot180"),
    ("6150a2bd", "rot180"),
    ("67a3c6ac", "flip_h"),
    ("68b16354", "flip_v"),
    ("74dd1130", "transpose"),
    ("9dfd6313", "transpose"),
    ("ed36ccf7", "rot270"),
    ("a416b8f3", "hcat id"),
    ("c9e6f938", "hcat flip_h"),
    ("6d0aefbc", "hcat flip_h"),
    ("8be77c9e", "vcat flip_v"),
    ("6fa7a44f", "vcat flip_v"),
    ("3af2c5a8", "mirror_tile"),
    ("c59eb873", "upscale 2 2"),
    ("9172f3a0", "upscale 3 3"),
    ("2dee498d", "split_h 3 0"),
    ("7468f01a", "crop_bbox 0 | flip_h"),
    ("25ff71a9", "shift 1 0 0"),
    ("a79310a0", "shift 1 0 0 | recolor 8 2"),
    ("c8f0f002", "recolor 7 5"),
    ("b1948b0a", "recolor 6 2"),
    ("d511f180", "swap 5 8"),
    ("0d3d703e", "map 0564312798"),
    ("0520fde7", "halves_h and 2"),
    ("1b2d62fb", "halves_h nor 8"),
    ("99b1bc43", "halves_v xor 3"),
    ("3428a4f5", "halves_v xor 3"),
    ("fafffa47", "halves_v nor 2"),
    ("6430c8c4", "halves_v nor 3"),
    ("94f9d214", "halves_v nor 2"),
    ("ce4f8723", "halves_v or 3"),
];

#[test]
fn known_solutions_are_exact_on_the_arc_training_corpus() {
    let Some(dir) = arc_training() else {
        eprintln!("../shared/arc/training is absent: skipped");
        return;
    };
    let tasks = gridscore::task::load_tasks(&dir, None).unwrap();
    assert_eq!(tasks.len(), 400);
    let ids: Vec<&str> = tasks.iter().map(|t| t.id.as_str()).collect();
    let mut sorted = ids.clone();
    sorted.sort();
    assert_eq!(ids, sorted);
    let backend = CpuBackend::new(2);
    let mut failures = Vec::new();
    for &(id, prog) in KNOWN {
        let task = tasks.iter().find(|t| t.id == id).unwrap();
        let cands = parse_candidates(&format!("{prog}\nid\n"));
        let r = score_batch(task, &cands, &backend, &BatchOptions::default()).unwrap();
        let top = &r.results[0];
        let n = task.train.len();
        let test_ok = top.test_scores.iter().all(|s| *s == Some(1000));
        if top.program != prog
            || top.exact as usize != n
            || top.score != 1000 * n as u64
            || !test_ok
        {
            failures.push(format!(
                "{id} `{prog}`: {:?}",
                (top.program.as_str(), top.exact, n, &top.test_scores)
            ));
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
}

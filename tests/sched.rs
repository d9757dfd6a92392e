//! Scheduler behaviour: in-flight caps, failures, deadlines, device mixes,
//! and the deadlock shape seen in a Python pipeline (more waiting tasks than
//! workers).

use gridscore::engine::{Backend, CpuBackend};
use gridscore::lang::random::{all_codes, random_grid_sized, random_program};
use gridscore::lang::Program;
use gridscore::rng::Rng;
use gridscore::sched::testing::{Fault, TestDevice};
use gridscore::sched::{SchedOptions, Scheduler};
use gridscore::score::PairOutcome;
use gridscore::task::{Pair, Task, TestPair};
use std::sync::Arc;
use std::time::{Duration, Instant};

fn workload(n: usize, seed: u64) -> (Arc<Task>, Arc<Vec<Program>>) {
    let mut rng = Rng::new(seed);
    let codes = all_codes();
    let programs = (0..n)
        .map(|_| random_program(&mut rng, &codes, 1, 4))
        .collect();
    let mut g = || random_grid_sized(&mut rng, 3, 12);
    let task = Task {
        id: "t".into(),
        train: (0..3)
            .map(|_| Pair {
                input: g(),
                output: g(),
            })
            .collect(),
        test: vec![TestPair {
            input: g(),
            output: Some(g()),
        }],
    };
    (Arc::new(task), Arc::new(programs))
}

fn reference(task: &Task, programs: &[Program]) -> Vec<PairOutcome> {
    let refs: Vec<&Program> = programs.iter().collect();
    CpuBackend::new(1).evaluate(task, &refs).unwrap()
}

fn cpu() -> Arc<dyn Backend> {
    Arc::new(CpuBackend::new(1))
}

fn dev(name: &str, delay_ms: u64, fault: Fault) -> Arc<TestDevice> {
    Arc::new(TestDevice::new(
        name,
        cpu(),
        Duration::from_millis(delay_ms),
        fault,
    ))
}

fn opts(inflight: usize, first_chunk: usize) -> SchedOptions {
    SchedOptions {
        max_inflight: inflight,
        first_chunk,
        // Tiny target so chunks stay small and numerous.
        target_chunk: Duration::from_micros(200),
        ..Default::default()
    }
}

#[test]
fn inflight_never_exceeds_the_cap_with_many_more_chunks_than_workers() {
    let (task, programs) = workload(600, 1);
    let devs: Vec<Arc<TestDevice>> = (0..3)
        .map(|k| dev(&format!("d{k}"), 3, Fault::None))
        .collect();
    for cap in [1, 2, 3] {
        let sched = Scheduler::new(
            devs.iter().map(|d| d.clone() as Arc<dyn Backend>).collect(),
            opts(cap, 4),
        );
        let run = sched.evaluate(task.clone(), programs.clone());
        assert!(run.done.iter().all(|&d| d));
        assert_eq!(run.outcomes, reference(&task, &programs));
        let chunks: u64 = run.devices.iter().map(|d| d.chunks).sum();
        assert!(
            chunks > 3 * cap as u64 * 4,
            "many more chunks ({chunks}) than workers"
        );
        for (d, s) in devs.iter().zip(&run.devices) {
            assert!(
                s.max_inflight <= cap,
                "{} observed {} in flight, cap {cap}",
                s.name,
                s.max_inflight
            );
            assert!(d.max_inflight.load(std::sync::atomic::Ordering::SeqCst) <= cap);
        }
    }
    // With a cap of 3 and slow chunks, the cap is actually reached.
    assert_eq!(
        devs[0]
            .max_inflight
            .load(std::sync::atomic::Ordering::SeqCst),
        3
    );
}

#[test]
fn a_device_failing_mid_batch_loses_nothing() {
    let (task, programs) = workload(500, 2);
    let bad = dev("flaky-gpu", 2, Fault::FailAfter(3));
    let good = dev("steady", 2, Fault::None);
    let sched = Scheduler::new(vec![bad.clone(), good.clone()], opts(2, 8));
    let run = sched.evaluate(task.clone(), programs.clone());
    assert!(run.done.iter().all(|&d| d));
    assert_eq!(run.outcomes, reference(&task, &programs));
    assert_eq!(run.faults.len(), 1);
    assert!(run.faults[0].contains("flaky-gpu") && run.faults[0].contains("injected failure"));
    assert!(run.devices[0].failed.is_some());
    assert!(run.devices[1].failed.is_none());
    let total: u64 = run.devices.iter().map(|d| d.evaluations).sum();
    assert_eq!(
        total,
        (programs.len() * task.num_pairs()) as u64,
        "each program evaluated once"
    );
}

#[test]
fn when_every_device_fails_the_cpu_takes_over() {
    let (task, programs) = workload(300, 3);
    for fault in [Fault::FailAfter(1), Fault::PanicAt(0), Fault::Garbage(2)] {
        let sched = Scheduler::new(vec![dev("only", 1, fault) as Arc<dyn Backend>], opts(2, 16));
        let run = sched.evaluate(task.clone(), programs.clone());
        assert!(run.done.iter().all(|&d| d), "{fault:?}");
        assert_eq!(run.outcomes, reference(&task, &programs), "{fault:?}");
        assert_eq!(run.devices.len(), 2, "a CPU fallback joined");
        assert_eq!(run.devices[1].kind, "cpu");
        assert!(run.devices[0].failed.is_some());
    }
}

#[test]
fn deadline_stops_new_chunks_and_reports_every_candidate_once() {
    let (task, programs) = workload(400, 4);
    let slow = dev("slow", 150, Fault::None);
    let deadline = Duration::from_millis(400);
    let grace = Duration::from_millis(200);
    let start = Instant::now();
    let sched = Scheduler::new(
        vec![slow as Arc<dyn Backend>],
        SchedOptions {
            deadline: Some(start + deadline),
            grace,
            first_chunk: 8,
            // Each chunk takes 150 ms whatever its size, so calibration
            // keeps chunks small and most of the batch is left at the
            // deadline.
            target_chunk: Duration::from_millis(1),
            ..Default::default()
        },
    );
    let run = sched.evaluate(task.clone(), programs.clone());
    let took = start.elapsed();
    assert!(
        took < deadline + grace + Duration::from_millis(300),
        "took {took:?}"
    );
    assert!(run.deadline_hit);
    assert_eq!(run.done.len(), programs.len());
    let done = run.done.iter().filter(|&&d| d).count();
    assert!(done > 0 && done < programs.len(), "{done} done");
    let reference = reference(&task, &programs);
    let np = task.num_pairs();
    for (k, &d) in run.done.iter().enumerate() {
        if d {
            assert_eq!(
                run.outcomes[k * np..(k + 1) * np],
                reference[k * np..(k + 1) * np]
            );
        }
    }
}

#[test]
fn a_hung_chunk_is_abandoned_after_the_grace() {
    let (task, programs) = workload(50, 5);
    let hung = dev("hung", 5_000, Fault::None);
    let start = Instant::now();
    let sched = Scheduler::new(
        vec![hung as Arc<dyn Backend>],
        SchedOptions {
            deadline: Some(start + Duration::from_millis(200)),
            grace: Duration::from_millis(100),
            ..Default::default()
        },
    );
    let run = sched.evaluate(task, programs.clone());
    assert!(
        start.elapsed() < Duration::from_millis(800),
        "returned in {:?}",
        start.elapsed()
    );
    assert!(run.deadline_hit);
    assert!(run.done.iter().all(|&d| !d));
}

#[test]
fn every_device_mix_gives_identical_results() {
    let (task, programs) = workload(700, 6);
    let want = reference(&task, &programs);
    let mixes: Vec<Vec<Arc<dyn Backend>>> = vec![
        vec![Arc::new(CpuBackend::new(2))],
        vec![Arc::new(CpuBackend::new(1)), dev("t1", 0, Fault::None)],
        vec![
            dev("t1", 1, Fault::None),
            dev("t2", 0, Fault::None),
            Arc::new(CpuBackend::new(2)),
        ],
    ];
    for devices in mixes {
        let n = devices.len();
        let run = Scheduler::new(devices, opts(2, 32)).evaluate(task.clone(), programs.clone());
        assert_eq!(run.outcomes, want, "mix of {n}");
    }
}

#[test]
fn five_waiting_batches_on_four_workers_all_finish() {
    // The shape that deadlocked a Python pool: more concurrent jobs, each
    // waiting on results, than workers.
    let (task, programs) = workload(200, 7);
    let want = reference(&task, &programs);
    let sched = Arc::new(Scheduler::new(
        vec![Arc::new(CpuBackend::new(4)) as Arc<dyn Backend>],
        opts(2, 16),
    ));
    let (tx, rx) = std::sync::mpsc::channel();
    for _ in 0..5 {
        let (sched, task, programs, tx) =
            (sched.clone(), task.clone(), programs.clone(), tx.clone());
        std::thread::spawn(move || {
            let run = sched.evaluate(task, programs);
            tx.send(run.outcomes).unwrap();
        });
    }
    for _ in 0..5 {
        let got = rx
            .recv_timeout(Duration::from_secs(60))
            .expect("no deadlock: every batch finishes");
        assert_eq!(got, want);
    }
}

fn candidate_text(n: usize, seed: u64) -> String {
    let mut rng = Rng::new(seed);
    let codes = all_codes();
    let mut text = String::new();
    let mut earlier: Vec<String> = Vec::new();
    for k in 0..n {
        let line = match rng.below(10) {
            0 => "bogus 1 2".to_string(),
            1 if !earlier.is_empty() => earlier[rng.below(earlier.len())].clone(),
            _ => random_program(&mut rng, &codes, 1, 3).to_string(),
        };
        earlier.push(line.clone());
        if k % 7 == 0 {
            text.push_str(&format!("c{k}: {line}\n"));
        } else {
            text.push_str(&line);
            text.push('\n');
        }
    }
    text
}

#[test]
fn streaming_top_n_equals_the_head_of_a_full_run_with_every_parse_error() {
    use gridscore::engine::BatchOptions;
    use gridscore::lang::candidates::CandidateReader;
    use gridscore::lang::parse_candidates;
    let (task, _) = workload(1, 8);
    let text = candidate_text(3000, 9);
    let candidates = parse_candidates(&text);
    let sched = Scheduler::new(
        vec![Arc::new(CpuBackend::new(2)) as Arc<dyn Backend>],
        opts(2, 64),
    );
    let opts = BatchOptions::default();
    let full = gridscore::sched::score(&task, &candidates, &sched, &opts).unwrap();
    for (top, block) in [(1, 100), (25, 7), (200, 1000), (5000, 512)] {
        let reader = CandidateReader::new(text.as_bytes());
        let run = gridscore::sched::stream::score_stream(&task, reader, &sched, &opts, top, block)
            .unwrap();
        // The `top` best rows of the full run, then every parse error (never
        // hidden by `top`).
        use gridscore::engine::Status;
        let want: Vec<_> = full
            .report
            .results
            .iter()
            .filter(|r| r.status == Status::Ok)
            .take(top)
            .chain(
                full.report
                    .results
                    .iter()
                    .filter(|r| r.status == Status::ParseError),
            )
            .collect();
        assert_eq!(run.report.results.len(), want.len());
        assert_eq!(run.report.candidates, candidates.len());
        for (a, b) in run.report.results.iter().zip(want) {
            assert_eq!(
                serde_json::to_value(a).unwrap(),
                serde_json::to_value(b).unwrap(),
                "top {top}, block {block}"
            );
        }
    }
}

/// A device at `ms_per_program` milliseconds per program.
fn slow(name: &str, ms_per_program: u64) -> Arc<TestDevice> {
    Arc::new(
        TestDevice::new(name, cpu(), Duration::ZERO, Fault::None)
            .with_per_program(Duration::from_millis(ms_per_program)),
    )
}

#[test]
fn evaluate_until_sizes_chunks_to_end_by_the_deadline() {
    // 2000 programs at 2 ms each on two slots: 2 s of work. A 300 ms
    // deadline: chunks are sized from the measured time per program, so
    // the call returns about on time (the grace is 250 ms at most), with a
    // prefix-free subset done and exact where done.
    let (task, programs) = workload(2000, 11);
    let want = reference(&task, &programs);
    let d = slow("slow", 2);
    let sched = Scheduler::new(
        vec![d.clone() as Arc<dyn Backend>],
        SchedOptions {
            max_inflight: 2,
            first_chunk: 16,
            target_chunk: Duration::from_millis(100),
            ..Default::default()
        },
    );
    let refs: Vec<&Program> = programs.iter().collect();
    let start = Instant::now();
    let p = sched
        .evaluate_until(&task, &refs, start + Duration::from_millis(300))
        .unwrap();
    let took = start.elapsed();
    assert!(took < Duration::from_millis(300 + 150), "{took:?}");
    let done = p.done.iter().filter(|&&d| d).count();
    assert!(done > 0 && done < 2000, "{done}");
    let np = task.num_pairs();
    for (i, &ok) in p.done.iter().enumerate() {
        let got = &p.outcomes[i * np..(i + 1) * np];
        if ok {
            assert_eq!(got, &want[i * np..(i + 1) * np]);
        } else {
            assert!(got.iter().all(|o| *o == PairOutcome::INVALID));
        }
    }
    // The default implementation (one device, no scheduler) also stops.
    let start = Instant::now();
    let p = d
        .evaluate_until(&task, &refs, start + Duration::from_millis(200))
        .unwrap();
    assert!(start.elapsed() < Duration::from_millis(200 + 150));
    assert!(p.not_done() > 0 && p.not_done() < 2000);
}

#[test]
fn cancel_stops_a_run_at_once() {
    let (task, programs) = workload(2000, 12);
    let o = SchedOptions {
        max_inflight: 1,
        first_chunk: 8,
        ..Default::default()
    };
    let cancel = o.cancel.clone();
    let sched = Scheduler::new(vec![slow("slow", 5) as Arc<dyn Backend>], o);
    let t = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(150));
        cancel.cancel();
    });
    let start = Instant::now();
    let run = sched.evaluate(task.clone(), programs.clone());
    t.join().unwrap();
    assert!(run.cancelled);
    assert!(!run.deadline_hit);
    assert!(start.elapsed() < Duration::from_millis(150 + 200));
    assert!(run.done.iter().any(|&d| !d));
    // As a backend: an error, not a result with holes.
    let refs: Vec<&Program> = programs.iter().collect();
    assert!(matches!(
        Backend::evaluate(&sched, &task, &refs),
        Err(gridscore::engine::EngineError::Cancelled)
    ));
}

/// Match masks across several devices: every device takes chunks, the
/// result is the CPU's, and a device that errs, panics or returns masks of
/// the wrong size loses nothing (its chunk is computed on the CPU, and it
/// takes no more).
#[test]
fn match_masks_are_spread_over_the_devices_and_survive_faults() {
    let (task, programs) = workload(400, 11);
    let refs: Vec<&Program> = programs.iter().collect();
    let want = CpuBackend::new(1).evaluate_masks(&task, &refs).unwrap();
    let healthy = || dev("ok", 2, Fault::None);
    for fault in [
        Fault::None,
        Fault::FailAfter(1),
        Fault::PanicAt(0),
        Fault::Garbage(2),
    ] {
        let (a, b) = (healthy(), dev("flaky", 2, fault));
        let sched = Scheduler::new(
            vec![a.clone() as Arc<dyn Backend>, b.clone() as Arc<dyn Backend>],
            opts(1, 4),
        );
        let got = sched.evaluate_masks(&task, &refs).unwrap();
        assert_eq!(got.outcomes, want.outcomes, "{fault:?}");
        assert_eq!(got.masks, want.masks, "{fault:?}");
        let seen = |d: &TestDevice| d.programs_seen.load(std::sync::atomic::Ordering::SeqCst);
        if !matches!(fault, Fault::None) {
            // The faulty device stops at its fault and leaves the rest.
            assert!(seen(&a) > 0, "{fault:?}: the healthy device took no chunk");
        }
        match fault {
            Fault::None => {
                assert_eq!(seen(&a) + seen(&b), programs.len());
                // Both take chunks; on a busy machine one thread may take
                // every chunk of a run before the other starts, so run again
                // (each run's results whole, each program seen once) until
                // both have.
                let mut runs = 0;
                while seen(&a) == 0 || seen(&b) == 0 {
                    runs += 1;
                    assert!(runs < 100, "one device never took a chunk");
                    let total = seen(&a) + seen(&b);
                    let again = sched.evaluate_masks(&task, &refs).unwrap();
                    assert_eq!(again.masks, want.masks);
                    assert_eq!(seen(&a) + seen(&b), total + programs.len());
                }
            }
            // The faulty device stops after its fault; the next run leaves
            // it out.
            Fault::FailAfter(f) | Fault::PanicAt(f) | Fault::Garbage(f) => {
                let calls = || b.calls.load(std::sync::atomic::Ordering::SeqCst);
                // On a busy machine the healthy device may take every chunk
                // before the faulty one reaches its fault: run again (the
                // results always whole) until it has.
                let mut runs = 0;
                while calls() <= f {
                    runs += 1;
                    assert!(runs < 100, "{fault:?}: the fault was never reached");
                    let again = sched.evaluate_masks(&task, &refs).unwrap();
                    assert_eq!(again.masks, want.masks, "{fault:?}");
                }
                let before = calls();
                let again = sched.evaluate_masks(&task, &refs).unwrap();
                assert_eq!(again.masks, want.masks, "{fault:?}");
                assert_eq!(calls(), before, "{fault:?}: the failed device took more");
            }
        }
    }
    // Every device failing: the CPU computes it all.
    let sched = Scheduler::new(
        vec![dev("bad", 0, Fault::FailAfter(0)) as Arc<dyn Backend>],
        opts(1, 4),
    );
    let got = sched.evaluate_masks(&task, &refs).unwrap();
    assert_eq!(got.masks, want.masks);
    assert_eq!(got.outcomes, want.outcomes);
}

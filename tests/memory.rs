//! Bounded memory on input (issue 11): the heap a load takes, counted by a
//! global allocator of this test binary (one test, so nothing else
//! allocates meanwhile).

use std::alloc::{GlobalAlloc, Layout, System};
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};

struct Counting;

static NOW: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

fn grew(n: usize) {
    let now = NOW.fetch_add(n, Ordering::SeqCst) + n;
    PEAK.fetch_max(now, Ordering::SeqCst);
}

// SAFETY: every call is forwarded to the system allocator unchanged; only
// the byte counts are recorded.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        let p = System.alloc(l);
        if !p.is_null() {
            grew(l.size());
        }
        p
    }
    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        System.dealloc(p, l);
        NOW.fetch_sub(l.size(), Ordering::SeqCst);
    }
    unsafe fn realloc(&self, p: *mut u8, l: Layout, new: usize) -> *mut u8 {
        let q = System.realloc(p, l, new);
        if !q.is_null() {
            if new > l.size() {
                grew(new - l.size());
            } else {
                NOW.fetch_sub(l.size() - new, Ordering::SeqCst);
            }
        }
        q
    }
}

#[global_allocator]
static A: Counting = Counting;

/// The most heap bytes `f` held at once beyond what was held before it.
fn peak_of<T>(f: impl FnOnce() -> T) -> (T, usize) {
    let start = NOW.load(Ordering::SeqCst);
    PEAK.store(start, Ordering::SeqCst);
    let r = f();
    (r, PEAK.load(Ordering::SeqCst) - start)
}

#[test]
fn loads_hold_the_file_and_the_grids_they_keep_and_nothing_more() {
    let dir = tempfile::tempdir().unwrap();
    // One 1000x1000 grid, 6 MB of JSON: before the streaming parser, this
    // took ~300 MB (a JSON value per cell) before being refused.
    let row = format!("[{}]", vec!["1"; 1000].join(","));
    let grid = format!("[{}]", vec![row.as_str(); 1000].join(","));
    let text = format!(r#"{{"train": [{{"input": {grid}, "output": {grid}}}], "test": []}}"#);
    let p = dir.path().join("huge.json");
    std::fs::write(&p, &text).unwrap();
    drop((row, grid));
    let (loaded, peak) = peak_of(|| gridscore::task::load_all(std::slice::from_ref(&p), None));
    assert!(loaded.tasks.is_empty());
    assert!(loaded.errors[0]
        .to_string()
        .contains("row 0 has 1000 cells"));
    assert!(
        peak < text.len() + (1 << 20),
        "{} MB to refuse a {} MB file",
        peak >> 20,
        text.len() >> 20
    );
    // A grid of 200000 one-cell rows (1.2 MB): counted, not kept.
    let tall = format!(
        r#"{{"train": [{{"input": [{}], "output": [[1]]}}], "test": []}}"#,
        vec!["[1]"; 200_000].join(",")
    );
    let p = dir.path().join("tall.json");
    std::fs::write(&p, &tall).unwrap();
    let (loaded, peak) = peak_of(|| gridscore::task::load_all(std::slice::from_ref(&p), None));
    assert!(loaded.errors[0].to_string().contains("200000 rows"));
    assert!(peak < tall.len() + (1 << 20), "{peak}");

    // A candidates file with a 20 MB line: one line buffer of 64 KiB.
    let p = dir.path().join("c.txt");
    std::fs::write(&p, format!("rot90\n{}\nflip_h\n", "y".repeat(20 << 20))).unwrap();
    let (c, peak) = peak_of(|| gridscore::lang::read_candidates(&p).unwrap());
    assert_eq!(c.len(), 3);
    assert!(peak < 1 << 20, "{peak}");

    // /dev/zero: refused at its first byte.
    if Path::new("/dev/zero").exists() {
        let (r, peak) = peak_of(|| gridscore::lang::read_candidates(Path::new("/dev/zero")));
        assert!(r.is_err());
        assert!(peak < 1 << 20, "{peak}");
        let (l, peak) = peak_of(|| gridscore::task::load_all(&["/dev/zero".into()], None));
        assert!(l.tasks.is_empty());
        assert!(peak < 1 << 20, "{peak}");
    }
}

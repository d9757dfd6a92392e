//! Task files (single and combined) from arbitrary bytes: loading never
//! panics, every grid it keeps is valid, every error names the file.
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::path::Path;

fuzz_target!(|data: &[u8]| {
    let l = gridscore::task::load_bytes(data, Path::new("fuzz.json"));
    for t in &l.tasks {
        assert!(!t.train.is_empty());
        for g in t.inputs() {
            assert!((1..=30).contains(&g.h()) && (1..=30).contains(&g.w()));
        }
    }
    for e in &l.errors {
        let m = e.to_string();
        assert!(m.starts_with("fuzz.json"), "{m}");
        assert!(m.len() < 1000, "{} chars", m.len());
    }
});

//! Candidates files from arbitrary bytes: reading never panics, line
//! numbers increase, error messages stay short.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let cs = gridscore::lang::candidates::parse_candidates_bytes(data);
    let mut prev = 0;
    for (k, c) in cs.iter().enumerate() {
        assert!(c.line > prev);
        assert_eq!(c.index, k);
        assert!(!c.id.is_empty());
        prev = c.line;
        if let Err(e) = &c.program {
            assert!(e.to_string().len() < 400);
        }
    }
});

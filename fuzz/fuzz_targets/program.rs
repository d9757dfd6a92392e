//! Program text from arbitrary bytes: parsing never panics, errors are
//! short and escaped, and a program that parses prints to a text that
//! parses back to it.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    match gridscore::lang::Program::parse(&text) {
        Ok(p) => {
            let printed = p.to_string();
            let q = gridscore::lang::Program::parse(&printed).expect("printed text parses");
            assert_eq!(p, q);
        }
        Err(e) => {
            let m = e.to_string();
            assert!(
                m.len() < 400 && !m.contains('\n') && !m.contains('\u{1b}'),
                "{m:?}"
            );
        }
    }
});

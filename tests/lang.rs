//! The text forms of `DSL.md`, "Programs": parser errors, candidates files,
//! and the print/parse round trip on random programs.

use gridscore::lang::candidates::{parse_candidates, read_candidates, CandidateError};
use gridscore::lang::ops::ArgKind;
use gridscore::lang::random::{all_codes, random_program};
use gridscore::rng::Rng;
use gridscore::Program;

/// The error text of a program that must not parse.
#[track_caller]
fn err(text: &str) -> String {
    match Program::parse(text) {
        Ok(p) => panic!("`{text}` should not parse, got `{p}`"),
        Err(e) => e.to_string(),
    }
}

#[track_caller]
fn err_has(text: &str, parts: &[&str]) {
    let e = err(text);
    for p in parts {
        assert!(e.contains(p), "error of `{text}` is `{e}`, lacks `{p}`");
    }
}

#[track_caller]
fn ok(text: &str) -> Program {
    Program::parse(text).unwrap_or_else(|e| panic!("`{text}` should parse: {e}"))
}

// ---------------------------------------------------------- parse errors

#[test]
fn unknown_op_names_the_op() {
    err_has("rot45", &["op 1", "unknown op", "rot45"]);
    err_has("rot90 | blur 3", &["op 2", "unknown op", "blur"]);
    // Case-sensitive names.
    err_has("Rot90", &["op 1", "unknown op", "Rot90"]);
    err_has("FLIP_H", &["unknown op", "FLIP_H"]);
    // A line with a trailing comment is not a comment line.
    err_has("rot90 # turn", &["rot90", "takes 0 arguments"]);
}

#[test]
fn wrong_argument_count_names_the_op() {
    err_has(
        "upscale 2",
        &["op 1", "upscale", "takes 2 arguments", "got 1"],
    );
    err_has("rot90 | upscale 2 2 2", &["op 2", "upscale", "got 3"]);
    err_has("rot90 1", &["rot90", "takes 0 arguments", "got 1"]);
    err_has("crop 0 0 1", &["crop", "takes 4 arguments"]);
    err_has("hcat", &["hcat", "takes 1 argument", "got 0"]);
    err_has("map 0123456789 1", &["map", "got 2"]);
    err_has("recolor 1", &["recolor", "got 1"]);
    err_has("gravity down", &["gravity", "got 1"]);
}

#[test]
fn out_of_range_arguments_name_the_op_and_argument() {
    err_has(
        "upscale 0 2",
        &["op 1", "argument 1 of upscale", "out of range 1..=10"],
    );
    err_has(
        "upscale 2 11",
        &["argument 2 of upscale", "11", "out of range"],
    );
    err_has("downscale -1 1", &["downscale", "out of range"]);
    err_has("tile 1 99999999999999999999999", &["tile", "out of range"]);
    err_has(
        "crop 30 0 1 1",
        &["argument 1 of crop", "out of range 0..=29"],
    );
    err_has(
        "crop 0 0 31 1",
        &["argument 3 of crop", "out of range 1..=30"],
    );
    err_has("crop 0 0 1 0", &["argument 4 of crop"]);
    err_has("shift 30 0 0", &["shift", "out of range -29..=29"]);
    err_has("shift 0 -30 0", &["argument 2 of shift"]);
    err_has("split_h 1 0", &["split_h", "out of range 2..=10"]);
    err_has("split_v 11 0", &["split_v", "out of range 2..=10"]);
    // Not integers.
    err_has("shift 1.5 0 0", &["shift", "not an integer"]);
    err_has("shift - 0 0", &["not an integer"]);
    err_has("shift --1 0 0", &["not an integer"]);
    err_has("shift 1a 0 0", &["not an integer"]);
    err_has("upscale ２ 2", &["not an integer"]);
    // Colors: a single digit or bg/fg/lc, case-sensitive.
    err_has("recolor 10 1", &["argument 1 of recolor", "not a color"]);
    err_has("recolor 1 BG", &["argument 2 of recolor", "not a color"]);
    err_has("recolor +1 2", &["not a color"]);
    err_has("keep bg xx", &["keep", "not a color"]);
    // Other kinds.
    err_has("hcat upscale", &["hcat", "not a transform"]);
    err_has("vcat ROT90", &["vcat", "not a transform"]);
    err_has("gravity north 0", &["gravity", "not a direction"]);
    err_has("gravity Up 0", &["not a direction"]);
    err_has("halves_h nand 1", &["halves_h", "not a logic op"]);
    err_has(
        "object biggest 0",
        &["object", "not a selector (largest, smallest)"],
    );
    err_has("map 012345678", &["map", "ten digits"]);
    err_has("map 01234567890", &["map", "ten digits"]);
    err_has("map 012345678a", &["map", "ten digits"]);
}

#[test]
fn split_index_must_be_below_n() {
    err_has("split_h 3 3", &["op 1", "split_h", "must be below n = 3"]);
    err_has("id | split_v 2 2", &["op 2", "split_v", "below n"]);
    err_has("split_h 2 9", &["split_h", "below n"]);
    err_has("split_h 2 -1", &["split_h", "out of range"]);
    ok("split_h 10 9");
    ok("split_v 2 1");
}

#[test]
fn more_than_sixteen_ops() {
    err_has(&vec!["id"; 17].join(" | "), &["17 ops", "at most 16"]);
    err_has(&vec!["rot90"; 40].join("|"), &["40 ops", "at most 16"]);
    assert_eq!(ok(&vec!["rot90"; 16].join("|")).len(), 16);
}

#[test]
fn empty_op_between_bars() {
    err_has("id | | id", &["op 2", "empty op between bars"]);
    err_has("id || id", &["op 2", "empty op"]);
    err_has("rot90 | flip_h |   | id", &["op 3", "empty op"]);
}

#[test]
fn bar_at_either_end() {
    err_has("| id", &["bar at the start"]);
    err_has("id |", &["bar at the end"]);
    err_has("  |  rot90", &["bar at the start"]);
    err_has("rot90 |   ", &["bar at the end"]);
    err_has("|", &["bar"]);
    err_has("||", &["bar"]);
}

#[test]
fn accepted_forms() {
    // Whitespace is free, signs and leading zeros are accepted.
    assert_eq!(
        ok("  crop_bbox 0|upscale +2   02 |recolor bg lc ").to_string(),
        "crop_bbox 0 | upscale 2 2 | recolor bg lc"
    );
    assert_eq!(ok("rot90\t|\tflip_h").to_string(), "rot90 | flip_h");
    assert_eq!(ok("shift -0 +29 fg").to_string(), "shift 0 29 fg");
    assert_eq!(ok("shift -029 007 1").to_string(), "shift -29 7 1");
    // crop 29 0 30 1 parses (it is INVALID when run).
    assert_eq!(ok("crop 29 0 30 1").to_string(), "crop 29 0 30 1");
    // The empty program has 0 ops, `id` has 1.
    assert_eq!(ok("").len(), 0);
    assert_eq!(ok("  \t ").len(), 0);
    assert_eq!(ok("id").len(), 1);
    assert_eq!(ok("").to_string(), "");
    // Every op of the spec parses with the arguments of its row.
    for text in [
        "id",
        "rot90",
        "rot180",
        "rot270",
        "flip_h",
        "flip_v",
        "transpose",
        "antitranspose",
        "upscale 1 10",
        "downscale 10 1",
        "tile 2 3",
        "mirror_tile",
        "hcat antitranspose",
        "vcat id",
        "crop 0 29 30 1",
        "trim",
        "crop_bbox lc",
        "split_h 2 1",
        "split_v 10 0",
        "shift -29 29 bg",
        "recolor fg 0",
        "swap 9 lc",
        "map 0123456789",
        "keep bg 3",
        "paint 1 fg",
        "fill_enclosed 4 bg",
        "halo 2 0",
        "gravity right bg",
        "object smallest 0",
        "halves_h right 5",
        "halves_v left fg",
        "halves_v nor 1",
        "halves_h xor 1",
        "gravity up 1",
        "gravity left 1",
        "gravity down 1",
        "object largest lc",
        "halves_h and 1",
        "halves_h or 1",
    ] {
        assert_eq!(ok(text).to_string(), text);
    }
}

// ------------------------------------------------------- candidates files

#[test]
fn candidates_both_forms_mixed_with_default_ids() {
    let text = "\
# a comment
rot90

mine: flip_h | recolor 1 2
   # an indented comment
{\"id\": \"j\", \"program\": \"trim\"}
bogus 1
{\"program\": \"transpose\"}
  spaced name  :  rot180
upscale 2 2
";
    let cs = parse_candidates(text);
    let ids: Vec<&str> = cs.iter().map(|c| c.id.as_str()).collect();
    // Default ids are 0-based indexes among candidates, counting the
    // unparsable line `bogus 1` (index 3).
    assert_eq!(ids, ["0", "mine", "j", "3", "4", "spaced name", "6"]);
    let idx: Vec<usize> = cs.iter().map(|c| c.index).collect();
    assert_eq!(idx, [0, 1, 2, 3, 4, 5, 6]);
    let lines: Vec<usize> = cs.iter().map(|c| c.line).collect();
    assert_eq!(lines, [2, 4, 6, 7, 8, 9, 10]);
    let progs: Vec<String> = cs
        .iter()
        .map(|c| match &c.program {
            Ok(p) => p.to_string(),
            Err(_) => "ERR".into(),
        })
        .collect();
    assert_eq!(
        progs,
        [
            "rot90",
            "flip_h | recolor 1 2",
            "trim",
            "ERR",
            "transpose",
            "rot180",
            "upscale 2 2"
        ]
    );
    let e = cs[3].program.as_ref().unwrap_err();
    assert_eq!(e.line(), 7);
    let msg = e.to_string();
    assert!(msg.starts_with("line 7:"), "{msg}");
    assert!(msg.contains("unknown op `bogus`"), "{msg}");
}

#[test]
fn candidate_name_is_everything_before_the_first_colon() {
    let cs = parse_candidates("a:b: rot90\n x : flip_h\n:rot90\n  : rot90\nfoo:\n");
    assert_eq!(cs[0].id, "a");
    // The rest after the first `:` is the program: `b: rot90` is no op.
    let e = cs[0].program.as_ref().unwrap_err().to_string();
    assert!(e.contains("line 1") && e.contains("unknown op"), "{e}");
    assert_eq!(cs[1].id, "x");
    assert_eq!(cs[1].program.as_ref().unwrap().to_string(), "flip_h");
    // An empty name is an error for that line, which keeps its index.
    for k in [2, 3] {
        let e = cs[k].program.as_ref().unwrap_err();
        assert_eq!(e.line(), k + 1);
        assert!(e.to_string().contains("empty candidate name"), "{e}");
        assert_eq!(cs[k].id, k.to_string());
    }
    // `NAME:` with nothing after it: the empty program (identity).
    assert_eq!(cs[4].id, "foo");
    assert_eq!(cs[4].program.as_ref().unwrap().len(), 0);
}

#[test]
fn json_lines_ids_and_errors() {
    let text = r#"{"id": 7, "program": "rot90"}
{"id": 1.5, "program": "rot90"}
{"id": true, "program": "rot90"}
{"id": [1, "a"], "program": "rot90"}
{"id": {"k": 1}, "program": "rot90"}
{"id": "s", "program": "upscale 0 1"}
{"id": "nop"}
{"id": "num", "program": 3}
{"id": "nul", "program": null}
{"id": "x", "program": "flip_h"
[1, 2]
{"program": "id"}
"#;
    let cs = parse_candidates(text);
    assert_eq!(cs.len(), 12);
    let ids: Vec<&str> = cs.iter().map(|c| c.id.as_str()).collect();
    assert_eq!(
        ids,
        [
            "7",
            "1.5",
            "true",
            "[1,\"a\"]",
            "{\"k\":1}",
            "s",
            "nop",
            "num",
            "nul",
            "9",
            "10",
            "11"
        ]
    );
    for c in &cs[..5] {
        assert_eq!(c.program.as_ref().unwrap().to_string(), "rot90");
    }
    let err = |k: usize| {
        let e = cs[k].program.as_ref().unwrap_err();
        assert_eq!(e.line(), k + 1);
        e.to_string()
    };
    assert!(err(5).contains("out of range"), "{}", err(5));
    assert!(matches!(
        cs[5].program,
        Err(CandidateError::Parse { line: 6, .. })
    ));
    assert!(err(6).contains("no `program`"), "{}", err(6));
    assert!(err(7).contains("must be a string"), "{}", err(7));
    assert!(err(8).contains("must be a string") || err(8).contains("no `program`"));
    assert!(err(9).contains("not valid JSON"), "{}", err(9));
    // `[1, 2]` is not a JSON object line: it is read as a program.
    assert!(err(10).starts_with("line 11:"), "{}", err(10));
    assert_eq!(cs[11].program.as_ref().unwrap().len(), 1);
    assert_eq!(cs[11].text, "id");
}

/// DSL.md says a non-string `id` becomes its JSON text; we read
/// `"id": null` as "no id" (the JSON convention for an absent value), so
/// the candidate keeps its default id rather than the id `null`.
#[test]
fn json_null_id_is_read_as_absent_pinned() {
    let cs = parse_candidates("rot90\n{\"id\": null, \"program\": \"rot90\"}\n");
    assert_eq!(cs[1].id, "1");
}

#[test]
fn candidates_crlf_and_file_reading() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cands.txt");
    std::fs::write(
        &path,
        "# c\r\nrot90\r\n\r\nn: flip_h\r\n{\"program\": \"trim\"}\r\n",
    )
    .unwrap();
    let cs = read_candidates(&path).unwrap();
    assert_eq!(cs.len(), 3);
    assert_eq!(cs[0].id, "0");
    assert_eq!(cs[0].line, 2);
    assert_eq!(cs[1].id, "n");
    assert_eq!(cs[1].line, 4);
    assert_eq!(cs[2].id, "2");
    assert_eq!(cs[2].program.as_ref().unwrap().to_string(), "trim");
    assert!(read_candidates(&dir.path().join("missing.txt")).is_err());
}

#[test]
fn candidate_text_keeps_the_program_as_given() {
    let cs = parse_candidates("a:  rot90 |flip_h  \nbogus\n");
    assert_eq!(cs[0].text, "rot90 |flip_h");
    assert_eq!(cs[1].text, "bogus");
}

// ------------------------------------------------------------ round trip

#[test]
fn print_parse_round_trip_on_random_programs() {
    let codes = all_codes();
    let mut rng = Rng::new(0x5eed_2026);
    let mut seen_ops = vec![false; gridscore::lang::OPS.len()];
    for n in 0..20_000 {
        let p = random_program(&mut rng, &codes, 0, 16);
        for op in p.all_ops() {
            seen_ops[op.code as usize] = true;
        }
        let text = p.to_string();
        let q =
            Program::parse(&text).unwrap_or_else(|e| panic!("#{n}: `{text}` does not parse: {e}"));
        assert_eq!(q, p, "#{n}: `{text}`");
        assert_eq!(q.canonical(), text, "#{n}");
        assert_eq!(p.canonical(), text, "#{n}");
        assert_eq!(q.len(), p.len());
        // A noisy spelling of the same program (signs and leading zeros on
        // integers, tabs and extra spaces) has the same canonical text.
        let sep = if n % 2 == 0 { "  " } else { "\t" };
        let noisy: Vec<String> = p
            .prefix()
            .iter()
            .map(|op| {
                let printed = op.to_string();
                let mut words = printed.split(' ');
                let mut out = vec![words.next().unwrap().to_string()];
                for (w, a) in words.zip(op.code.spec().args) {
                    out.push(match (a.kind, n % 3) {
                        (ArgKind::Int { .. }, 0) if !w.starts_with('-') => format!("+{w}"),
                        (ArgKind::Int { .. }, 1) => match w.strip_prefix('-') {
                            Some(d) => format!("-00{d}"),
                            None => format!("0{w}"),
                        },
                        _ => w.to_string(),
                    });
                }
                out.join(sep)
            })
            .collect();
        let noisy = noisy.join(if n % 2 == 0 { "|" } else { " \t|  " });
        let r = Program::parse(&format!("  {noisy} "))
            .unwrap_or_else(|e| panic!("#{n}: `{noisy}`: {e}"));
        assert_eq!(r, p, "#{n}: `{noisy}`");
    }
    assert!(seen_ops.iter().all(|&s| s), "every op drawn");
}

/// One line that is not valid UTF-8 is one bad candidate (reported with
/// its line number), not an unreadable file: "all other candidates are
/// still scored". A comment line with such bytes is still a comment.
#[test]
fn a_non_utf8_line_is_one_bad_candidate() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cands.txt");
    std::fs::write(&path, b"rot90\n# caf\xe9\nbad \xff\xfe\nflip_h\n").unwrap();
    let cs = read_candidates(&path).expect("the file is readable");
    assert_eq!(cs.len(), 3);
    assert_eq!(cs[0].program.as_ref().unwrap().to_string(), "rot90");
    let e = cs[1].program.as_ref().unwrap_err();
    assert_eq!(e.line(), 3);
    assert_eq!(cs[1].id, "1");
    assert_eq!(cs[2].id, "2");
    assert_eq!(cs[2].line, 4);
    assert_eq!(cs[2].program.as_ref().unwrap().to_string(), "flip_h");
}

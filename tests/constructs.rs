//! Hand-computed golden tests for the constructs of `docs/DSL.md`
//! ("Constructs"): `overlay` and `norm`. Grids are rows of digits separated
//! by `/`.

use gridscore::lang::run_program;
use gridscore::{Grid, Program};

fn t(s: &str) -> Grid {
    let rows: Vec<Vec<u8>> = s
        .split('/')
        .map(|r| r.trim().bytes().map(|b| b - b'0').collect())
        .collect();
    Grid::from_rows(&rows).unwrap()
}

#[track_caller]
fn check(prog: &str, x: &str, want: Option<&str>) {
    let p = Program::parse(prog).unwrap_or_else(|e| panic!("`{prog}`: {e}"));
    assert_eq!(run_program(&p, &t(x)), want.map(t), "`{prog}` on {x}");
}

#[test]
fn overlay_paints_top_layer_first() {
    // Layer 1 (top): flip_h, only its non-0 cells; layer 2: the input, all.
    // x = 100/020: flip_h = 001/020.
    check(
        "overlay { [nz] flip_h ; [all] }",
        "100/020",
        Some("101/020"),
    );
    // The top layer's 0-cells only: flip_h's zeros are (0,0), (0,1), (1,0),
    // (1,2); those take 0, the rest come from the input (0,2)=0, (1,1)=2.
    check("overlay { [z] flip_h ; [all] }", "100/020", Some("000/020"));
    // Cells no layer paints become 0.
    check("overlay { [nz] flip_h }", "100/020", Some("001/020"));
    check("overlay { [z] }", "100/020", Some("000/000"));
}

#[test]
fn overlay_layers_start_from_its_input() {
    // The prefix rot180 runs first: 100/020 -> 020/001. Layers start from
    // that: layer 1 = recolor 2 5 -> 050/001 (nz cells: (0,1), (1,2));
    // layer 2 = the prefix's output itself.
    check(
        "rot180 | overlay { [nz] recolor 2 5 ; [all] }",
        "100/020",
        Some("050/001"),
    );
    // A suffix runs on the canvas.
    check(
        "overlay { [nz] recolor 1 3 ; [all] } | flip_v",
        "100/020",
        Some("020/300"),
    );
}

#[test]
fn overlay_layers_must_agree_in_size() {
    check("overlay { [nz] trim ; [all] }", "111/111/111", None);
    // An INVALID layer makes the program INVALID.
    check("overlay { [nz] downscale 2 2 ; [all] }", "12/34/56", None);
}

#[test]
fn norm_renames_by_frequency_and_back() {
    // x = 7 7 7 / 3 3 5: counts 7:3, 3:2, 5:1 -> sigma 7->0, 3->1, 5->2.
    // Inside: recolor 2 1 turns the rarest color into the second: 0 0 0 /
    // 1 1 1, mapped back: 7 7 7 / 3 3 3.
    check("norm { recolor 2 1 }", "777/335", Some("777/333"));
    // The same program on other colors follows the roles.
    check("norm { recolor 2 1 }", "444/995", Some("444/999"));
    // Colors the program makes that the input lacks are mapped back too:
    // 4 (absent here) is sigma(c) for the absent c that took free slot 4.
    // Absent colors 0 1 2 4 6 8 9 take slots 3 4 5 6 7 8 9: slot 4 is
    // color 1.
    check("norm { recolor 0 4 }", "777/335", Some("111/335"));
    // Fixed colors keep their values: with 3 fixed, 7->0, 5->1, 3 stays;
    // recolor 1 3 paints the 5 with 3.
    check("norm 3 { recolor 1 3 }", "777/335", Some("777/333"));
    // norm around nothing is the identity.
    check("norm { }", "777/335", Some("777/335"));
}

#[test]
fn norm_wraps_an_overlay() {
    // sigma: 7->0, 3->1, 5->2 on 773/775: 7 x4, 3 x1, 5 x1 (tie: 3 < 5).
    // Normalised: 001/002. Top layer: [nz] flip_h = 100/200 -> cells (0,0)
    // = 1, (1,0) = 2; the rest from [all] the input: 101/202 -> back:
    // 373/575.
    check(
        "norm { overlay { [nz] flip_h ; [all] } }",
        "773/775",
        Some("373/575"),
    );
}

//! Hand-computed golden tests for every op row of `DSL.md`.
//!
//! Every expected grid below was worked out by hand from the spec (the
//! tables in "Ops" and the rules in "Arguments"), not by running the
//! interpreter. Grids are written as rows of digits separated by `/`:
//! `"123/456"` is the 2x3 grid with rows `1 2 3` and `4 5 6`.

use gridscore::lang::run_program;
use gridscore::{Grid, Program};

/// A grid from `"123/456"`.
fn t(s: &str) -> Grid {
    let rows: Vec<Vec<u8>> = s
        .split('/')
        .map(|r| r.trim().bytes().map(|b| b - b'0').collect())
        .collect();
    Grid::from_rows(&rows).unwrap_or_else(|e| panic!("bad test grid {s:?}: {e}"))
}

fn parse(prog: &str) -> Program {
    Program::parse(prog).unwrap_or_else(|e| panic!("`{prog}` should parse: {e}"))
}

fn run(prog: &str, x: &Grid) -> Option<Grid> {
    run_program(&parse(prog), x)
}

/// `prog` on `x` gives `want`.
#[track_caller]
fn check(prog: &str, x: &str, want: &str) {
    let got = run(prog, &t(x));
    assert_eq!(got, Some(t(want)), "`{prog}` on {x}");
}

/// Same as [`check`] for grids built in code.
#[track_caller]
fn check_grid(prog: &str, x: &Grid, want: &Grid) {
    assert_eq!(run(prog, x).as_ref(), Some(want), "`{prog}` on {x:?}");
}

/// `prog` on `x` is INVALID.
#[track_caller]
fn invalid(prog: &str, x: &Grid) {
    assert_eq!(run(prog, x), None, "`{prog}` on {x:?} should be INVALID");
}

#[track_caller]
fn invalid_s(prog: &str, x: &str) {
    invalid(prog, &t(x));
}

/// The 2x3 grid with distinct cells used for the geometry ops.
const X: &str = "123/456";

// ---------------------------------------------------------------- geometry

#[test]
fn geometry_id() {
    check("id", X, "123/456");
}

#[test]
fn geometry_rot90_clockwise() {
    // out[i][j] = x[H-1-j][i], size W x H.
    check("rot90", X, "41/52/63");
}

#[test]
fn geometry_rot180() {
    check("rot180", X, "654/321");
}

#[test]
fn geometry_rot270_counter_clockwise() {
    // out[i][j] = x[j][W-1-i].
    check("rot270", X, "36/25/14");
}

#[test]
fn geometry_flip_h() {
    check("flip_h", X, "321/654");
}

#[test]
fn geometry_flip_v() {
    check("flip_v", X, "456/123");
}

#[test]
fn geometry_transpose() {
    check("transpose", X, "14/25/36");
}

#[test]
fn geometry_antitranspose() {
    // out[i][j] = x[H-1-j][W-1-i].
    check("antitranspose", X, "63/52/41");
}

#[test]
fn geometry_on_one_cell_and_one_row() {
    for op in [
        "id",
        "rot90",
        "rot180",
        "rot270",
        "flip_h",
        "flip_v",
        "transpose",
        "antitranspose",
    ] {
        check(op, "7", "7");
    }
    check("rot90", "123", "1/2/3");
    check("rot270", "123", "3/2/1");
    check("transpose", "123", "1/2/3");
    check("antitranspose", "123", "3/2/1");
}

#[test]
fn geometry_compositions() {
    check("rot90 | rot90", X, "654/321");
    check("rot90 | rot270", X, X);
    check("rot90 | rot90 | rot90", X, "36/25/14");
    check("flip_h | flip_v", X, "654/321");
    check("transpose | transpose", X, X);
    check("flip_h | rot90", X, "63/52/41"); // = antitranspose
}

// ---------------------------------------------------------- size and layout

#[test]
fn upscale() {
    check("upscale 2 1", X, "123/123/456/456");
    check("upscale 1 2", X, "112233/445566");
    check("upscale 2 2", "12/34", "1122/1122/3344/3344");
    check("upscale 1 1", X, X);
    // 2x3 -> 20x30 is exactly at the limit.
    let want = Grid::from_rows(
        &(0..20)
            .map(|i| {
                (0..30)
                    .map(|j| if i < 10 { 1 + j / 10 } else { 4 + j / 10 } as u8)
                    .collect::<Vec<u8>>()
            })
            .collect::<Vec<_>>(),
    )
    .unwrap();
    check_grid("upscale 10 10", &t(X), &want);
}

#[test]
fn upscale_invalid_above_30() {
    invalid_s("upscale 1 10", "1234"); // 1 x 40
    invalid_s("upscale 10 1", "1/2/3/4"); // 40 x 1
    invalid("upscale 2 2", &Grid::filled(16, 1, 3)); // 32 x 2
    invalid("upscale 1 2", &Grid::filled(1, 16, 3)); // 1 x 32
    check_grid(
        "upscale 2 2",
        &Grid::filled(15, 15, 3),
        &Grid::filled(30, 30, 3),
    );
}

#[test]
fn downscale() {
    // out[i][j] = x[i*kh][j*kw]: the top-left cell of each block.
    check("downscale 2 2", "1728/9999/3748/9999", "12/34");
    check("downscale 1 2", "1728/9999/3748/9999", "12/99/34/99");
    check("downscale 2 1", "1728/9999/3748/9999", "1728/3748");
    check("downscale 1 1", X, X);
    check("downscale 2 3", X, "1");
    check("downscale 1 3", X, "1/4");
}

#[test]
fn downscale_invalid_when_not_dividing() {
    invalid_s("downscale 3 1", "1728/9999/3748/9999"); // 4 % 3
    invalid_s("downscale 1 3", "1728/9999/3748/9999");
    invalid_s("downscale 2 2", X); // 3 % 2
    invalid_s("downscale 3 3", X); // 2 % 3
    invalid_s("downscale 10 1", "1");
}

#[test]
fn tile() {
    check("tile 2 3", "12", "121212/121212");
    check("tile 2 1", X, "123/456/123/456");
    check("tile 1 2", X, "123123/456456");
    check("tile 1 1", X, X);
    check_grid(
        "tile 10 10",
        &Grid::filled(3, 3, 5),
        &Grid::filled(30, 30, 5),
    );
}

#[test]
fn tile_invalid_above_30() {
    invalid_s("tile 1 10", "1234"); // 1 x 40
    invalid("tile 2 1", &Grid::filled(16, 2, 1)); // 32 x 2
    invalid("tile 10 10", &Grid::filled(3, 4, 1)); // 30 x 40
}

#[test]
fn mirror_tile() {
    check("mirror_tile", X, "123321/456654/456654/123321");
    check("mirror_tile", "5", "55/55");
    check("mirror_tile", "12", "1221/1221");
    check_grid(
        "mirror_tile",
        &Grid::filled(15, 15, 2),
        &Grid::filled(30, 30, 2),
    );
}

#[test]
fn mirror_tile_invalid_above_30() {
    invalid("mirror_tile", &Grid::filled(16, 1, 1));
    invalid("mirror_tile", &Grid::filled(1, 16, 1));
}

#[test]
fn hcat_size_keeping_transforms() {
    check("hcat flip_h", X, "123321/456654");
    check("hcat flip_v", X, "123456/456123");
    check("hcat rot180", X, "123654/456321");
    check("hcat id", X, "123123/456456");
}

#[test]
fn hcat_size_changing_transforms() {
    // On a square grid a size-swapping transform keeps H rows.
    check("hcat rot90", "12/34", "1231/3442");
    check("hcat transpose", "12/34", "1213/3424");
    // On a 2x3 grid rot90 gives 3 rows, not 2: INVALID.
    invalid_s("hcat rot90", X);
    invalid_s("hcat rot270", X);
    invalid_s("hcat transpose", X);
    invalid_s("hcat antitranspose", X);
    // A 3x2 grid: transpose is 2x3.
    invalid_s("hcat transpose", "12/34/56");
}

#[test]
fn hcat_invalid_above_30() {
    invalid("hcat id", &Grid::filled(2, 16, 1)); // 2 x 32
    check_grid(
        "hcat flip_h",
        &Grid::filled(2, 15, 1),
        &Grid::filled(2, 30, 1),
    );
}

#[test]
fn vcat_size_keeping_transforms() {
    check("vcat flip_v", X, "123/456/456/123");
    check("vcat flip_h", X, "123/456/321/654");
    check("vcat id", X, "123/456/123/456");
}

#[test]
fn vcat_size_changing_transforms() {
    // rot270 of 12/34 is 24/13.
    check("vcat rot270", "12/34", "12/34/24/13");
    check("vcat antitranspose", "12/34", "12/34/42/31");
    invalid_s("vcat transpose", X); // 3x2: 2 columns, not 3
    invalid_s("vcat rot90", X);
}

#[test]
fn vcat_invalid_above_30() {
    invalid("vcat id", &Grid::filled(16, 1, 1));
    check_grid(
        "vcat rot180",
        &Grid::filled(15, 2, 1),
        &Grid::filled(30, 2, 1),
    );
}

const C34: &str = "1234/5678/9012";

#[test]
fn crop() {
    check("crop 1 1 2 3", C34, "678/012");
    check("crop 0 0 3 4", C34, C34);
    check("crop 2 3 1 1", C34, "2");
    check("crop 0 2 3 2", C34, "34/78/12");
}

#[test]
fn crop_invalid_out_of_bounds() {
    invalid_s("crop 1 1 2 4", C34); // c + w = 5 > 4
    invalid_s("crop 2 0 2 1", C34); // r + h = 4 > 3
    invalid_s("crop 3 0 1 1", C34); // r = H
    invalid_s("crop 0 4 1 1", C34);
    // Parses (each argument in range) but can never fit a grid.
    let p = Program::parse("crop 29 0 30 1").expect("crop 29 0 30 1 parses");
    assert_eq!(run_program(&p, &Grid::filled(30, 30, 1)), None);
    assert_eq!(run_program(&p, &t(C34)), None);
    // 29 + 1 = 30 fits a 30x30 grid.
    check_grid("crop 29 29 1 1", &Grid::filled(30, 30, 4), &t("4"));
}

#[test]
fn trim() {
    check("trim", C34, "67");
    check("trim", "123/456/789", "5");
    check("trim", "12345/67890/13579/24680", "789/357");
}

#[test]
fn trim_invalid_below_3() {
    invalid_s("trim", "12/34/56"); // W = 2
    invalid_s("trim", "123/456"); // H = 2
    invalid_s("trim", "1");
    invalid_s("trim", "12345");
}

#[test]
fn crop_bbox() {
    check("crop_bbox 0", "0000/0300/0005/0000", "300/005");
    check("crop_bbox bg", "0000/0300/0005/0000", "300/005");
    // Every cell differs from 7: the whole grid.
    check("crop_bbox 7", C34, C34);
    check("crop_bbox 5", "555/515/555", "1");
    // Cells other than C inside the box are kept, C cells too.
    check("crop_bbox 0", "00000/01020/00000/00300", "102/000/030");
}

#[test]
fn crop_bbox_invalid_with_no_cell() {
    invalid_s("crop_bbox 0", "000/000");
    invalid_s("crop_bbox 4", "4");
    invalid_s("crop_bbox fg", "444"); // one color: fg = bg = 4
}

#[test]
fn crop_bbox_bg_on_mixed_grid_is_valid() {
    // bg of 12/21/12/21: 1 and 2 four times each, ties -> 1.
    // The 2s span every row and both columns: the whole grid.
    check("crop_bbox bg", "12/21/12/21", "12/21/12/21");
    check("crop_bbox bg", "11/12/11", "2");
}

#[test]
fn split_h_touching() {
    check("split_h 3 0", "123456", "12");
    check("split_h 3 1", "123456", "34");
    check("split_h 3 2", "123456", "56");
    check("split_h 2 1", "1234/5678", "34/78");
    check("split_h 6 5", "123456", "6");
}

#[test]
fn split_h_with_separators() {
    // W = 7, n = 2: parts (7-1)/2 = 3 wide, column 3 is a separator.
    check("split_h 2 0", "1230567", "123");
    check("split_h 2 1", "1230567", "567");
    // W = 8, n = 3: parts 2 wide at columns 0, 3, 6.
    check("split_h 3 0", "12034056", "12");
    check("split_h 3 1", "12034056", "34");
    check("split_h 3 2", "12034056", "56");
    // W = 5, n = 3: parts 1 wide at columns 0, 2, 4.
    check("split_h 3 2", "10203/40506", "3/6");
}

#[test]
fn split_h_invalid() {
    invalid_s("split_h 4 0", "123456"); // 6 % 4 = 2, 3 % 4 = 3
    invalid_s("split_h 2 0", "1"); // part width 0 (1 - 1) / 2
    invalid_s("split_h 2 1", "1/2");
    invalid_s("split_h 3 0", "12"); // (2 - 2) / 3 = 0
    invalid_s("split_h 3 0", "1"); // W < n - 1: no unsigned underflow
    invalid_s("split_h 10 9", "123456789"); // W = 9 = n - 1, part width 0
    invalid_s("split_h 10 0", "12345"); // W < n - 1
}

#[test]
fn split_v_touching_and_with_separators() {
    check("split_v 2 0", "12/34/56/78", "12/34");
    check("split_v 2 1", "12/34/56/78", "56/78");
    check("split_v 2 1", "1/2/0/3/4", "3/4");
    check("split_v 2 0", "1/2/0/3/4", "1/2");
    check("split_v 3 1", "1/0/2/0/3", "2");
    check("split_v 3 2", "123/456/789", "789");
}

#[test]
fn split_v_invalid() {
    invalid_s("split_v 4 0", "1/2/3/4/5/6");
    invalid_s("split_v 2 0", "123");
    invalid_s("split_v 3 1", "1/2");
    invalid_s("split_v 5 0", "1/2");
}

#[test]
fn shift_positive_and_negative() {
    // out[i][j] = x[i-dy][j-dx], else C.
    check("shift 1 0 9", X, "999/123");
    check("shift 0 1 9", X, "912/945");
    check("shift 0 -1 0", X, "230/560");
    check("shift -1 0 0", X, "456/000");
    check("shift -1 2 7", X, "774/777");
    check("shift 1 -2 7", X, "777/377");
    check("shift 0 0 7", X, X);
}

#[test]
fn shift_by_grid_size_or_more_leaves_only_c() {
    check("shift 2 0 8", X, "888/888");
    check("shift -2 0 8", X, "888/888");
    check("shift 0 3 8", X, "888/888");
    check("shift 0 -3 8", X, "888/888");
    check("shift 29 -29 8", X, "888/888");
    check("shift -29 0 8", X, "888/888");
    check_grid("shift 29 0 1", &Grid::filled(30, 30, 2), &{
        let mut g = Grid::filled(30, 30, 1);
        for j in 0..30 {
            g.set(29, j, 2);
        }
        g
    });
}

#[test]
fn shift_with_color_token() {
    // bg of 001/000 is 0, fg is 1, lc is 1.
    check("shift 0 1 bg", "001/000", "000/000");
    check("shift 0 1 fg", "001/000", "100/100");
    check("shift 1 0 lc", "001/000", "111/001");
}

// ---------------------------------------------------------------- color

#[test]
fn recolor() {
    check("recolor 1 2", "121/313", "222/323");
    check("recolor 5 2", "121", "121");
    check("recolor 1 1", "121", "121");
}

#[test]
fn swap() {
    check("swap 1 2", "123/213", "213/123");
    check("swap 2 1", "123/213", "213/123");
    check("swap 1 1", "123", "123");
    check("swap 1 7", "123", "723");
}

#[test]
fn map() {
    check("map 9876543210", "012/789", "987/210");
    check("map 0123456789", C34, C34);
    check("map 1111111111", "012/789", "111/111");
    check("map 0100000000", "012/345", "010/000");
}

#[test]
fn keep() {
    // Cells not equal to a become b.
    check("keep 2 0", "123/252", "020/202");
    check("keep 2 2", "123/252", "222/222");
    check("keep 9 4", "12", "44");
}

#[test]
fn paint() {
    // Cells not equal to b become a.
    check("paint 4 0", "012/300", "044/400");
    check("paint 0 0", "012/300", "000/000");
    check("paint 7 3", "333", "333");
}

// ---------------------------------------------------------- color tokens

#[test]
fn token_bg_is_most_frequent_ties_smallest() {
    check("recolor bg 9", "00012", "99912");
    check("recolor bg 9", "31/13", "39/93"); // 1 and 3 tie: 1
    check("recolor bg 0", "95/59", "90/09"); // 5 and 9 tie: 5
}

#[test]
fn token_fg_is_most_frequent_other_than_bg_ties_smallest() {
    check("recolor fg 9", "0005521", "0009921"); // 0:3, 5:2 -> fg 5
    check("recolor fg 9", "0007474", "0007979"); // 7 and 4 tie: 4
    check("recolor fg 0", "31/13", "01/10"); // bg 1, fg 3
}

#[test]
fn token_lc_is_least_frequent_ties_smallest() {
    check("recolor lc 9", "000558", "000559");
    check("recolor lc 9", "0062", "0069"); // 6 and 2 tie: 2
    check("recolor lc 9", "0007474", "0007979"); // 4 and 7 tie: 4 (= fg)
}

#[test]
fn token_lc_equal_to_bg() {
    // 5 and 3 once each: bg = 3 (smallest), fg = 5, lc = 3 = bg.
    check("recolor lc 9", "53", "59");
    check("recolor bg 9", "53", "59");
    check("recolor fg 9", "53", "93");
    // Every color present twice: bg = lc = 2.
    check("recolor lc 0", "2468/8642", "0468/8640");
}

#[test]
fn tokens_on_one_color_grid_are_all_that_color() {
    check("recolor fg 1", "44/44", "11/11");
    check("recolor lc 2", "44/44", "22/22");
    check("recolor bg 3", "44/44", "33/33");
    check("swap bg fg", "44/44", "44/44");
    check("keep fg 0", "44/44", "44/44");
    check("paint 1 lc", "44/44", "44/44");
}

#[test]
fn tokens_are_evaluated_once_before_any_cell_changes() {
    // bg = 0 (5 cells), fg = 5 (2 cells): swapping in one pass.
    check("swap bg fg", "0005/5300", "5550/0355");
    check("swap fg bg", "0005/5300", "5550/0355");
    // After recolor bg fg the grid is all 5 except 3, but fg was fixed
    // before: no further change.
    check("recolor bg fg", "0005/5300", "5555/5355");
    // keep fg bg: cells other than fg (1) become bg (0).
    check("keep fg bg", "000/012/010", "000/010/010");
    // paint fg bg: everything not bg becomes fg.
    check("paint fg bg", "000/012/013", "000/011/011");
}

#[test]
fn tokens_are_evaluated_on_the_ops_input_not_the_program_input() {
    // After recolor 0 5 the grid is all 5, so bg = 5.
    check("recolor 0 5 | recolor bg 1", "005", "111");
    // fg of the first op's output.
    // 00122 -> 00222: now bg = 2 and fg = 0 (on the program input fg
    // would have been 2).
    check("recolor 1 2 | recolor fg 7", "00122", "77222");
}

// ---------------------------------------------------- regions and objects

#[test]
fn fill_enclosed_enclosed_vs_touching_border() {
    check(
        "fill_enclosed 4 0",
        "00000/01110/01010/01110/00000",
        "00000/01110/01410/01110/00000",
    );
    // (1,1) and (3,1) are enclosed; the 0s at (1,3),(2,3),(3,3) reach the
    // border through (3,4).
    check(
        "fill_enclosed 4 0",
        "11111/10101/11101/10100/11111",
        "11111/14101/11101/14100/11111",
    );
}

#[test]
fn fill_enclosed_diagonal_leak_does_not_reach() {
    // (1,1) and (2,2) touch the border 0 at (3,3) only diagonally.
    check(
        "fill_enclosed 4 0",
        "1111/1011/1101/1110",
        "1111/1411/1141/1110",
    );
}

#[test]
fn fill_enclosed_border_cells_have_reached() {
    check("fill_enclosed 4 0", "101/111/111", "101/111/111");
    check("fill_enclosed 4 0", "000", "000");
    check("fill_enclosed 4 7", "101/111", "101/111"); // no b-cell
                                                      // A region of b as large as the whole inside.
    check(
        "fill_enclosed 2 0",
        "3333/3003/3003/3333",
        "3333/3223/3223/3333",
    );
    // Tokens: bg = 1, fg = 0.
    check("fill_enclosed 6 fg", "111/101/111", "111/161/111");
}

#[test]
fn halo_eight_neighbours_judged_at_once() {
    // (2,2) is a diagonal neighbour of the 5; new 2s do not spread.
    check("halo 2 0", "0000/0000/0000/0005", "0000/0000/0022/0025");
    check("halo 2 0", "000/050/000", "222/252/222");
}

#[test]
fn halo_border_cells_have_fewer_neighbours() {
    // Outside the grid does not count as "not b".
    check("halo 2 0", "000/000", "000/000");
    check("halo 2 0", "0", "0");
    check("halo 2 0", "05000", "25200");
}

#[test]
fn halo_only_b_cells_change() {
    check("halo 7 1", "121/111/111", "727/777/111");
    // b = bg = 0, a = fg = 3.
    check("halo fg bg", "0000/0030/0000", "0333/0333/0333");
}

#[test]
fn gravity_all_four_directions_keep_order() {
    let x = "102/030/405";
    check("gravity down 0", x, "000/102/435");
    check("gravity up 0", x, "132/405/000");
    check("gravity left 0", x, "120/300/450");
    check("gravity right 0", x, "012/003/045");
}

#[test]
fn gravity_non_square_and_other_b() {
    check("gravity right 7", "7172", "7712");
    check("gravity left 7", "7172", "1277");
    check("gravity down 7", "17/77/27", "77/17/27");
    check("gravity up 7", "17/77/27", "17/27/77");
    // b = bg = 0.
    check("gravity down bg", "120/000/003", "000/000/123");
    check("gravity up 0", "000", "000");
    // Order kept within a column with three cells.
    check("gravity down 0", "1/0/2/0/3/0", "0/0/0/1/2/3");
    check("gravity up 0", "0/1/0/2/0/3", "1/2/3/0/0/0");
}

#[test]
fn object_ties_go_to_first_cell_in_row_major_order() {
    // Objects: {(0,0),(0,1),(1,0)} size 3; {(0,4)} size 1;
    // {(2,2),(3,3),(4,4)} size 3 (diagonal).
    let x = "11002/10000/00300/00030/00003";
    check("object largest 0", x, "11/10");
    check("object smallest 0", x, "2");
    // Two singletons: the first one.
    check("object smallest 0", "0708", "7");
    check("object largest 0", "0708", "7");
    // X = {(0,3),(1,2)} starts at (0,3), before Y = {(1,0),(2,0)}.
    check("object largest 0", "0009/8090/8000", "09/90");
    check("object smallest 0", "0009/8090/8000", "09/90");
}

#[test]
fn object_diagonal_connectivity() {
    // The diagonal 5s are one object of 3 cells; the 6s are 2 cells.
    let x = "50006/05006/00500/00000";
    check("object largest 0", x, "500/050/005");
    check("object smallest 0", x, "6/6");
}

#[test]
fn object_multi_color() {
    // 1, 2, 3 form one object of 3 cells; 4 is alone.
    let x = "0000/0120/0030/4000";
    check("object largest 0", x, "12/03");
    check("object smallest 0", x, "4");
    // Other cells inside the bounding box are kept, including other
    // objects' cells.
    check("object largest 0", "1110/0000/1001", "111");
    check(
        "object largest 0",
        "1111/1000/1020/1000",
        "1111/1000/1020/1000",
    );
    check("object smallest 0", "1111/1000/1020/1000", "2");
}

#[test]
fn object_with_b_not_zero() {
    check("object largest 5", "5555/5015/5555", "01");
    check("object largest bg", "5555/5015/5555", "01");
    check("object smallest 5", "1555/5505/5522", "1");
}

#[test]
fn object_invalid_with_no_object() {
    invalid_s("object largest 0", "000/000");
    invalid_s("object smallest 3", "3");
    invalid_s("object largest bg", "77/77");
    invalid_s("object smallest fg", "77/77"); // fg = bg on one color
}

/// A = 11/00 (left half), B = 20/30 (right half): per cell (A, B) is
/// (T,T) (T,F) / (F,T) (F,F).
const HALVES_H: &str = "1120/0030";

#[test]
fn halves_h_all_logic_ops() {
    check("halves_h and 7", HALVES_H, "70/00");
    check("halves_h or 7", HALVES_H, "77/70");
    check("halves_h xor 7", HALVES_H, "07/70");
    check("halves_h nor 7", HALVES_H, "00/07");
    check("halves_h left 7", HALVES_H, "07/00");
    check("halves_h right 7", HALVES_H, "00/70");
}

#[test]
fn halves_h_odd_width_has_a_separator() {
    // Column 2 (the 9s) belongs to neither half.
    let x = "11920/00930";
    check("halves_h and 7", x, "70/00");
    check("halves_h or 7", x, "77/70");
    check("halves_h xor 7", x, "07/70");
    check("halves_h nor 7", x, "00/07");
    check("halves_h left 7", x, "07/00");
    check("halves_h right 7", x, "00/70");
    check("halves_h xor 4", "150", "4");
    check("halves_h nor 4", "050", "4");
}

#[test]
fn halves_v_all_logic_ops() {
    // A = 11/00 (top), B = 20/30 (bottom).
    let x = "11/00/20/30";
    check("halves_v and 7", x, "70/00");
    check("halves_v or 7", x, "77/70");
    check("halves_v xor 7", x, "07/70");
    check("halves_v nor 7", x, "00/07");
    check("halves_v left 7", x, "07/00");
    check("halves_v right 7", x, "00/70");
    // Odd height: row 2 is a separator.
    let y = "11/00/99/20/30";
    check("halves_v and 7", y, "70/00");
    check("halves_v or 7", y, "77/70");
    check("halves_v xor 7", y, "07/70");
    check("halves_v nor 7", y, "00/07");
    check("halves_v left 7", y, "07/00");
    check("halves_v right 7", y, "00/70");
}

#[test]
fn halves_color_token_is_evaluated_on_the_whole_input() {
    // 1120/0030: 0 x4, 1 x2, 2 x1, 3 x1 -> bg 0, fg 1, lc 2.
    check("halves_h or fg", HALVES_H, "11/10");
    check("halves_h or lc", HALVES_H, "22/20");
    check("halves_h and 0", HALVES_H, "00/00");
}

#[test]
fn halves_invalid_on_one_wide_or_one_tall() {
    invalid_s("halves_h and 1", "1/2/3");
    invalid_s("halves_h or 1", "1");
    invalid_s("halves_v and 1", "123");
    invalid_s("halves_v nor 1", "1");
}

// ------------------------------------------------------------ v2: lines

#[test]
fn smear_single_directions() {
    check("smear right", "1000/0020/0000", "1111/0022/0000");
    check("smear left", "1000/0020/0000", "1000/2220/0000");
    check("smear down", "30/00/01", "30/30/31");
    check("smear up", "30/00/01", "31/01/01");
    // Non-0 cells stop a ray and keep their color.
    check("smear right", "1020", "1122");
}

#[test]
fn smear_direction_sets_first_direction_wins() {
    // h = right, then left: a cell with a color on both sides takes the
    // one on its left.
    check("smear h", "1000/0020/0000", "1111/2222/0000");
    check("smear h", "1002", "1112");
    check("smear left", "1002", "1222");
    check("smear dr", "100/000/000", "100/010/001");
    check("smear star", "000/010/000", "111/111/111");
    check("smear x", "000/010/000", "101/010/101");
}

#[test]
fn connect_axes_and_priority() {
    check("connect h", "1001/0000/2020", "1111/0000/2220");
    check("connect h", "1002", "1002");
    check("connect v", "10/00/10/02", "10/10/10/02");
    check("connect hv", "101/000/101", "111/101/111");
    // (1,1) lies between 2s on its row and 3s on its column.
    check("connect hv", "030/202/030", "030/222/030");
    check("connect v", "030/202/030", "030/232/030");
    check("connect diag", "100/000/001", "100/010/001");
    check("connect all", "1001/0000/1001", "1111/1001/1111");
}

// ----------------------------------------------------------- v2: shapes

#[test]
fn border_and_interior() {
    let x = "000000/011110/012210/011110/000000";
    check("border", x, "000000/011110/010010/011110/000000");
    check("interior", x, "000000/000000/002200/000000/000000");
    // Enclosed 0-cells are not the outside.
    let y = "11111/10001/10101/10001/11111";
    check("border", y, "11111/10001/10001/10001/11111");
    check("interior", y, "00000/00000/00100/00000/00000");
}

#[test]
fn fill_holes_takes_the_surrounding_color() {
    check(
        "fill_holes",
        "11111/10001/10101/10001/11111",
        "11111/11111/11111/11111/11111",
    );
    check("fill_holes", "2220/2020/2220/0000", "2220/2220/2220/0000");
    // The hole touches 1 twice and 2 twice: ties go to the smaller color.
    check("fill_holes", "112/102/122", "112/112/122");
}

#[test]
fn bbox_fill_fills_object_boxes() {
    check("bbox_fill", "110/100/000", "110/110/000");
    // One 8-connected object of colors 1 and 2 (tie: 1).
    check("bbox_fill", "10/02", "11/12");
}

#[test]
fn halo4_uses_four_neighbours() {
    check("halo4 2 0", "000/010/000", "020/212/020");
    check("halo 2 0", "000/010/000", "222/212/222");
}

#[test]
fn frame_compress_dedup() {
    check("frame 5", "12/34", "5555/5125/5345/5555");
    check("compress 0", "000/010/000/020", "1/2");
    invalid_s("compress 0", "00/00");
    check("compress bg", "555/515/555", "1");
    check("dedup", "1122/1122/3344", "12/34");
    check("dedup", "12/21", "12/21");
}

#[test]
fn spread_nearest_then_first_source() {
    check("spread", "1000/0000/0002", "1112/1122/1222");
    // Equal distances go to the source first in row-major order.
    check("spread", "100/000/002", "111/112/122");
    // Every non-0 cell is a source; (0,1), (2,0) are as near to 1 as to a
    // 5 and take 1 (first in row-major order); (1,3) is as near to the 5
    // above-left as to the 3 and takes 5.
    check("spread", "1050/0050/0053", "1155/1555/1553");
    check("spread", "00/00", "00/00");
}

#[test]
fn majority_count_upscale_by() {
    check("majority", "1122/2000", "2");
    check("majority", "12", "1");
    invalid_s("majority", "00");
    check("count cells square", "0100/0010", "11/11");
    check("count colors row", "1230", "111");
    check("count objects col", "100/001/000", "1/1");
    invalid_s("count cells row", "000");
    check("upscale_by colors", "12", "1122/1122");
    invalid_s("upscale_by cells", "00");
}

// ----------------------------------------------------------- v2: pieces

#[test]
fn pick_by_size_and_split() {
    check("pick obj max_cells", "1100/0000/0222", "222");
    check("pick obj min_cells", "1100/0000/0222", "11");
    // cobj: one color per piece; ties go to the first piece.
    check("pick cobj min_cells", "120/000/333", "1");
    check("pick color max_cells", "1002/1000/0022", "02/00/22");
    // Box cells of other pieces become 0.
    check("pick cobj max_cells", "1001/1021/1111", "1001/1001/1111");
    invalid_s("pick obj max_cells", "000/000");
}

#[test]
fn pick_cells_between_separators() {
    let x = "10502/55555/20502";
    check("pick cell max_colors", x, "10");
    check("pick cell unique_color", x, "10");
    invalid_s("pick cell unique_color", "10502/55555/20501");
    invalid_s("pick cell max_cells", "12/34");
    check("pick cell bottom", x, "20");
}

#[test]
fn pick_by_shape() {
    let x = "1010/0000/1100";
    check("pick obj unique_shape", x, "11");
    check("pick obj common_shape", x, "1");
    check("keep_pieces obj common_shape", x, "1010/0000/0000");
    invalid_s("pick obj common_shape", "110/000/001");
}

#[test]
fn keep_and_drop_pieces() {
    check(
        "keep_pieces obj max_cells",
        "1100/0000/0222",
        "0000/0000/0222",
    );
    check(
        "drop_pieces obj max_cells",
        "1100/0000/0222",
        "1100/0000/0000",
    );
    check(
        "drop_pieces cell unique_color",
        "10502/55555/20502",
        "00502/55555/20502",
    );
    check("keep_pieces color top", "1002/1000/0022", "1002/1000/0022");
    check("keep_pieces color left", "0102/1000/0022", "0100/1000/0000");
}

#[test]
fn recolor_by_labels() {
    check("recolor_by obj size", "1100/0000/0222", "2200/0000/0333");
    check("recolor_by obj rank", "1100/0000/0222", "2200/0000/0111");
    check("recolor_by obj shared", "1010/0000/1100", "2020/0000/1100");
}

#[test]
fn fall_moves_objects_as_units() {
    check("fall down", "110/000/000/020", "000/000/110/020");
    check("fall left", "0010/0200", "0100/2000");
    check("fall up", "000/010/000", "010/000/000");
    check("fall right", "00/00", "00/00");
}

// ---------------------------------------------------------- v2: patterns

#[test]
fn outer_products() {
    check("outer self", "10/01", "1000/0100/0010/0001");
    check("outer inv", "10/01", "0010/0001/1000/0100");
    check("outer color", "20/03", "2000/0200/0030/0003");
    invalid_s("outer self", "123456/123456");
}

#[test]
fn panels_lay_parts_over_each_other() {
    check("panels_h 2 fwd", "1020/0304", "10/03");
    check("panels_h 2 back", "1020/0304", "20/04");
    // Parts separated by a single column.
    check("panels_h 2 fwd", "10501/01502", "11/01");
    check("panels_v 3 fwd", "1/0/2", "1");
    check("panels_v 3 back", "1/0/2", "2");
    invalid_s("panels_h 3 fwd", "1234");
}

#[test]
fn repair_from_reflections_and_translations() {
    // Mirror-symmetric both ways; (0,0) and (2,3) hidden by 0.
    check(
        "repair 0",
        "02321/45654/78907/45654/12321",
        "12321/45654/78987/45654/12321",
    );
    check(
        "repair_crop 0",
        "02321/45654/78907/45654/12321",
        "1232/4565/7898",
    );
    // A checkerboard with one hidden cell.
    check("repair 0", "1212/2120/1212/2121", "1212/2121/1212/2121");
    invalid_s("repair 0", "12/21");
    invalid_s("repair_crop 0", "12/21");
    // More hidden than shown.
    invalid_s("repair 0", "100/000");
}

#[test]
fn pad_and_resize() {
    // The grid at the top-left of a larger canvas; cut by a smaller one.
    check("pad 3 4 0", "12/34", "1200/3400/0000");
    check("pad 1 1 7", "12/34", "1");
    check("pad 2 3 bg", "11/12", "111/121");
    check("pad 2 2 5", "12/34", "12/34");
    // Nearest cell: (i * H / h, j * W / w).
    check("resize 4 4", "12/34", "1122/1122/3344/3344");
    check("resize 1 2", "123/456/789", "12");
    check("resize 2 3", "123/456/789", "123/456");
    check("resize 3 2", "1234/5678", "13/13/57");
}

#[test]
fn cell_colors() {
    // Separator 5: row 2 and columns 2, 4 are all 5; rows 0..=1 and 3..=4
    // by columns 0..=1, 3 and 5..=6. Each piece becomes its most frequent
    // non-0 color (ties: smaller; 0 when it has none; a 5 inside a piece
    // counts).
    check(
        "cell_colors",
        "1150530/1250502/5555555/0050500/0055502",
        "102/052",
    );
    check("cell_colors", "12/55/34", "1/3");
    // Separator 0 (more whole lines than any other color).
    check("cell_colors", "202/000/303/000/404", "22/33/44");
    // No line of one color, or nothing but separators: INVALID.
    invalid_s("cell_colors", "12/34");
    invalid_s("cell_colors", "11/11");
}

#[test]
fn crop_frame() {
    // The 4 x 5 frame of 1 (the larger of two frames) is cut to its inside.
    check(
        "crop_frame",
        "0000000/0111110/0123410/0156710/0111110/2220000/2020000/2220000",
        "234/567",
    );
    // A frame with a gap is no frame; the 3 x 3 frame of 2 is.
    check("crop_frame", "11100/10100/10000/22200/25200/22200", "5");
    // Equal areas: the top-left corner first in row-major order.
    check("crop_frame", "333444/373484/333444", "7");
    // A solid block counts; so does a frame of the most frequent color.
    check("crop_frame", "5555/5555/5555", "55");
    // Frames of 0 do not count, nor do rectangles under 3 x 3.
    invalid_s("crop_frame", "000/010/000");
    invalid_s("crop_frame", "11/11");
}

#[test]
fn flood() {
    // The 0-regions (4-connected) next to a 1 become 1; the region walled
    // off by 2 (diagonal contact does not count) stays 0.
    check(
        "flood 1 0",
        "00200/01200/00222/22000/00020",
        "11200/11200/11222/22000/00020",
    );
    // Through b-cells only: the 3 on the left is a b-cell (b = 3), the 0s
    // are walls; a = b changes nothing; no a-cell changes nothing.
    check("flood 5 3", "53303/00033", "55503/00033");
    check("flood 3 3", "3303/0033", "3303/0033");
    check("flood 7 0", "100/001", "100/001");
    // Color tokens: the least frequent color (lc) seeds the bg-region.
    check("flood lc bg", "0000/0220/0000/0030", "3333/3223/3333/3333");
}

#[test]
fn color_boxes() {
    // Each color's two corners span a box; 0-cells inside take the color,
    // other colors' cells stay; where boxes overlap the smaller color wins.
    check(
        "color_boxes",
        "20000/00300/00002/30000",
        "22222/22322/22222/33300",
    );
    check("color_boxes", "1000/0050/0000/0001", "1111/1151/1111/1111");
    check("color_boxes", "0000/0700/0000", "0000/0700/0000");
    check("color_boxes", "000/000", "000/000");
}

#[test]
fn palette() {
    // Counts 3 (color 2), 2 (color 5), 2 (color 1): the most frequent
    // first, ties to the smaller color; 0 is left out.
    check("palette", "2205/0102/5100", "2/1/5");
    check("palette", "000/080", "8");
    invalid_s("palette", "000/000");
}

#[test]
fn period() {
    // Two copies side by side: one copy; a pattern cut at the edge (period
    // 2 in 5 rows, 3 in 7 columns) gives its whole tile.
    check("period", "123123/456456", "123/456");
    check(
        "period",
        "1231231/4564564/1231231/4564564/1231231",
        "123/456",
    );
    // Rows repeat but columns do not: the rows' period only.
    check("period", "12/34/12/34", "12/34");
    check("period", "55/55", "5");
    invalid_s("period", "12/34");
}

#[test]
fn extend() {
    // Columns 0..=2 hold the pattern, columns 0 and 2 equal: period 2.
    check(
        "extend right",
        "0000000/1210000/2120000",
        "0000000/1212121/2121212",
    );
    check(
        "extend left",
        "0000000/0000121/0000212",
        "0000000/1212121/2121212",
    );
    // Rows from the top: rows 0..=3 repeat with period 2 (row 4 is 0).
    check("extend down", "12/34/12/34/00/00", "12/34/12/34/12/34");
    check("extend up", "00/00/30/03", "30/03/30/03");
    // No repetition in the visible part: it is repeated whole.
    check("extend right", "120/000", "121/000");
    invalid_s("extend right", "000/000");
}

#[test]
fn symmetrize() {
    // Row 0's two 1s support only the axis at column 1 (cx2 = 2); the other
    // axes pair a 1 with the 2 and are ruled out. Row 1's 3 is mirrored.
    check("symmetrize h", "12100/30000", "12100/30300");
    // The same, transposed.
    check("symmetrize v", "13/20/10/00/00", "13/20/13/00/00");
    // The two 2s support the half turn about the centre cell only: the 1
    // goes to the opposite corner.
    check("symmetrize r2", "120/000/020", "120/000/021");
    // Three arms of a plus around a 5: the quarter turns about the 5 have
    // six supporting pairs; the missing arm is filled.
    check("symmetrize r4", "010/051/010", "010/151/010");
    // A figure off the grid's centre: the centre is the figure's, and
    // images outside the grid are ignored.
    check(
        "symmetrize r4",
        "00000/00100/01110/00000/00000",
        "00000/00100/01110/00100/00000",
    );
    // No pair of cells supports any centre; no non-0 cell; too many.
    invalid_s("symmetrize h", "000/010/000");
    invalid_s("symmetrize r4", "000/000");
    let dense = Grid::from_rows(&vec![vec![1u8; 10]; 11]).expect("grid");
    invalid("symmetrize r2", &dense);
}

#[test]
fn stamp() {
    // The 2x2 template's centre cell is (1 + 1, 1 + 1); the marker at (4, 5)
    // gets it, and the stamp covers the marker.
    check(
        "stamp",
        "0000000/0120000/0330000/0000000/0000050",
        "0000000/0120000/0330000/0000120/0000330",
    );
    // A ring: its centre is not its cell, so each marker stays; the stamp
    // on the marker at the bottom-left corner is clipped.
    check(
        "stamp",
        "111000/101000/111000/000000/000020/300000",
        "111000/101000/111000/000111/110121/310111",
    );
    // No marker; no object of two cells; nothing at all.
    invalid_s("stamp", "110/000");
    invalid_s("stamp", "100/001");
    invalid_s("stamp", "00/00");
}

#[test]
fn every_op_has_a_golden_test() {
    // Every op of the table is the first op of some checked program here.
    let src = include_str!("ops_golden.rs");
    for spec in gridscore::lang::OPS.iter() {
        let quoted = [format!("(\"{} ", spec.name), format!("(\"{}\"", spec.name)];
        let multiline = format!("\"{} ", spec.name);
        assert!(
            quoted.iter().any(|q| src.contains(q.as_str())) || src.contains(&multiline),
            "op `{}` has no golden test in tests/ops_golden.rs",
            spec.name
        );
    }
}

// ------------------------------------------------------------- programs

#[test]
fn programs_of_several_ops() {
    check(
        "crop_bbox 0 | upscale 2 2 | recolor 1 2",
        "000/010/000",
        "22/22",
    );
    check(
        "trim | tile 1 2 | flip_v",
        "12345/67890/13579/24680",
        "357357/789789",
    );
    check("hcat flip_h | vcat flip_v", "12", "1221/1221");
    check("gravity down 0 | crop_bbox 0", "100/002/030", "132");
    check("split_h 2 0 | rot90", "1290/3400", "31/42");
    // Whitespace around tokens is free.
    check(
        "  crop_bbox 0|upscale +2  02 |recolor\t1 2 ",
        "000/010/000",
        "22/22",
    );
}

#[test]
fn empty_program_and_id_are_identity() {
    check("", X, X);
    check("   ", X, X);
    check("id", X, X);
    check("id | id | id", X, X);
    assert_eq!(parse("").len(), 0);
    assert_eq!(parse("id").len(), 1);
    assert_eq!(parse("id | id").len(), 2);
}

#[test]
fn an_invalid_intermediate_grid_makes_the_program_invalid() {
    // 4x4 -> 40x40 -> back to 4x4: the intermediate breaks the 30 limit.
    invalid("upscale 10 10 | downscale 10 10", &Grid::filled(4, 4, 1));
    // An INVALID op early stops the pipeline.
    invalid_s("trim | rot90", X);
    invalid_s("rot90 | hcat rot90 | id", X);
    // An INVALID late op too.
    invalid_s("rot90 | rot90 | trim", X);
}

#[test]
fn sixteen_op_limit_and_id_counts_as_one() {
    let sixteen = vec!["rot90"; 16].join(" | ");
    let p = parse(&sixteen);
    assert_eq!(p.len(), 16);
    // 16 quarter turns are four full turns.
    check(&sixteen, X, X);
    let ids = vec!["id"; 16].join("|");
    assert_eq!(parse(&ids).len(), 16);
    check(&ids, X, X);
    // 15 ops + id = 16: fine; one more id: too many.
    let fifteen_plus_id = format!("{} | id", vec!["flip_h"; 15].join(" | "));
    assert_eq!(parse(&fifteen_plus_id).len(), 16);
    check(&fifteen_plus_id, X, "321/654");
    assert!(Program::parse(&format!("{sixteen} | id")).is_err());
    assert!(Program::parse(&vec!["id"; 17].join("|")).is_err());
}

#[test]
fn every_op_on_extreme_grids_never_panics() {
    // INVALID is a result, not a crash: every op with boundary arguments on
    // 1x1, 1x30, 30x1 and 30x30 grids.
    let progs = [
        "id",
        "rot90",
        "rot180",
        "rot270",
        "flip_h",
        "flip_v",
        "transpose",
        "antitranspose",
        "upscale 10 10",
        "upscale 1 1",
        "downscale 10 10",
        "downscale 1 1",
        "tile 10 10",
        "tile 1 1",
        "mirror_tile",
        "hcat rot90",
        "vcat antitranspose",
        "crop 29 29 30 30",
        "crop 0 0 1 1",
        "trim",
        "crop_bbox bg",
        "crop_bbox fg",
        "crop_bbox lc",
        "split_h 10 9",
        "split_v 10 0",
        "split_h 2 1",
        "split_v 2 1",
        "shift 29 29 lc",
        "shift -29 -29 fg",
        "recolor bg fg",
        "swap fg lc",
        "map 9999999999",
        "keep lc bg",
        "paint fg lc",
        "fill_enclosed lc bg",
        "halo fg bg",
        "gravity up lc",
        "gravity right bg",
        "object largest bg",
        "object smallest lc",
        "halves_h nor fg",
        "halves_v right lc",
    ];
    let mut grids = vec![
        Grid::filled(1, 1, 0),
        Grid::filled(1, 30, 3),
        Grid::filled(30, 1, 9),
    ];
    let mut big = Grid::filled(30, 30, 0);
    for i in 0..30 {
        for j in 0..30 {
            big.set(i, j, ((i * 7 + j * 3) % 10) as u8);
        }
    }
    grids.push(big);
    for p in progs {
        let prog = parse(p);
        for x in &grids {
            if let Some(y) = run_program(&prog, x) {
                assert!(
                    (1..=30).contains(&y.h()) && (1..=30).contains(&y.w()),
                    "{p}"
                );
                assert!(y.data().iter().all(|&c| c <= 9), "{p}");
            }
        }
    }
}

// ------------------------------------------------------- spec oracle
//
// A second, deliberately naive reading of the op tables, written from
// DSL.md alone (nested vectors, fixed-point relaxation instead of flood
// fills), checked against the interpreter on random single ops.

mod oracle {
    use gridscore::lang::ops::{ArgKind, OpCode};
    use gridscore::lang::Op;

    pub type G = Vec<Vec<u8>>;

    fn dims(x: &G) -> (usize, usize) {
        (x.len(), x[0].len())
    }

    fn ok(g: G) -> Option<G> {
        let h = g.len();
        let w = g.first().map_or(0, |r| r.len());
        ((1..=30).contains(&h) && (1..=30).contains(&w)).then_some(g)
    }

    fn build(h: usize, w: usize, f: impl Fn(usize, usize) -> u8) -> Option<G> {
        if !(1..=30).contains(&h) || !(1..=30).contains(&w) {
            return None;
        }
        ok((0..h).map(|i| (0..w).map(|j| f(i, j)).collect()).collect())
    }

    /// (bg, fg, lc) by the rules of "Arguments".
    pub fn tokens(x: &G) -> (u8, u8, u8) {
        let mut n = [0usize; 10];
        for r in x {
            for &c in r {
                n[c as usize] += 1;
            }
        }
        let present: Vec<u8> = (0..10).filter(|&c| n[c as usize] > 0).collect();
        // Most frequent, ties to the smallest: max by (count, -color).
        let bg = *present
            .iter()
            .max_by_key(|&&c| (n[c as usize], 10 - c))
            .unwrap();
        let fg = present
            .iter()
            .filter(|&&c| c != bg)
            .max_by_key(|&&c| (n[c as usize], 10 - c))
            .copied()
            .unwrap_or(bg);
        let lc = *present.iter().min_by_key(|&&c| (n[c as usize], c)).unwrap();
        (bg, fg, lc)
    }

    fn color(arg: i32, x: &G) -> u8 {
        let (bg, fg, lc) = tokens(x);
        match arg {
            0..=9 => arg as u8,
            10 => bg,
            11 => fg,
            12 => lc,
            _ => unreachable!(),
        }
    }

    pub fn geometry(t: u8, x: &G) -> G {
        let (h, w) = dims(x);
        let (oh, ow) = if matches!(t, 1 | 3 | 6 | 7) {
            (w, h)
        } else {
            (h, w)
        };
        build(oh, ow, |i, j| match t {
            0 => x[i][j],
            1 => x[h - 1 - j][i],
            2 => x[h - 1 - i][w - 1 - j],
            3 => x[j][w - 1 - i],
            4 => x[i][w - 1 - j],
            5 => x[h - 1 - i][j],
            6 => x[j][i],
            _ => x[h - 1 - j][w - 1 - i],
        })
        .unwrap()
    }

    fn part(len: usize, n: usize, i: usize) -> Option<(usize, usize)> {
        let (p, stride) = if len % n == 0 {
            (len / n, len / n)
        } else if len + 1 >= n && (len + 1 - n) % n == 0 {
            ((len + 1 - n) / n, (len + 1 - n) / n + 1)
        } else {
            return None;
        };
        (p > 0).then_some((p, i * stride))
    }

    fn neighbours4(h: usize, w: usize, i: usize, j: usize) -> Vec<(usize, usize)> {
        let mut v = Vec::new();
        if i > 0 {
            v.push((i - 1, j));
        }
        if i + 1 < h {
            v.push((i + 1, j));
        }
        if j > 0 {
            v.push((i, j - 1));
        }
        if j + 1 < w {
            v.push((i, j + 1));
        }
        v
    }

    fn neighbours8(h: usize, w: usize, i: usize, j: usize) -> Vec<(usize, usize)> {
        let mut v = Vec::new();
        for ni in i.saturating_sub(1)..=(i + 1).min(h - 1) {
            for nj in j.saturating_sub(1)..=(j + 1).min(w - 1) {
                if (ni, nj) != (i, j) {
                    v.push((ni, nj));
                }
            }
        }
        v
    }

    pub fn apply(op: &Op, x: &G) -> Option<G> {
        let (h, w) = dims(x);
        let a = op.args;
        let code = op.code;
        if code.is_transform() {
            return Some(geometry(code as u8, x));
        }
        let spec_colors = code
            .spec()
            .args
            .iter()
            .map(|k| k.kind == ArgKind::Color)
            .collect::<Vec<_>>();
        // Colors resolved once, on the input.
        let c = |k: usize| {
            assert!(spec_colors[k]);
            color(a[k], x)
        };
        let map_cells = |f: &dyn Fn(u8) -> u8| build(h, w, |i, j| f(x[i][j]));
        match code {
            OpCode::Upscale => {
                let (kh, kw) = (a[0] as usize, a[1] as usize);
                build(h * kh, w * kw, |i, j| x[i / kh][j / kw])
            }
            OpCode::Downscale => {
                let (kh, kw) = (a[0] as usize, a[1] as usize);
                if h % kh != 0 || w % kw != 0 {
                    return None;
                }
                build(h / kh, w / kw, |i, j| x[i * kh][j * kw])
            }
            OpCode::Tile => build(h * a[0] as usize, w * a[1] as usize, |i, j| x[i % h][j % w]),
            OpCode::MirrorTile => {
                let fh = geometry(4, x);
                let fv = geometry(5, x);
                let r = geometry(2, x);
                build(2 * h, 2 * w, |i, j| match (i < h, j < w) {
                    (true, true) => x[i][j],
                    (true, false) => fh[i][j - w],
                    (false, true) => fv[i - h][j],
                    (false, false) => r[i - h][j - w],
                })
            }
            OpCode::Hcat => {
                let y = geometry(a[0] as u8, x);
                if y.len() != h {
                    return None;
                }
                let yw = y[0].len();
                build(h, w + yw, |i, j| if j < w { x[i][j] } else { y[i][j - w] })
            }
            OpCode::Vcat => {
                let y = geometry(a[0] as u8, x);
                if y[0].len() != w {
                    return None;
                }
                build(
                    h + y.len(),
                    w,
                    |i, j| if i < h { x[i][j] } else { y[i - h][j] },
                )
            }
            OpCode::Crop => {
                let (r, cc, ch, cw) = (a[0] as usize, a[1] as usize, a[2] as usize, a[3] as usize);
                if r + ch > h || cc + cw > w {
                    return None;
                }
                build(ch, cw, |i, j| x[r + i][cc + j])
            }
            OpCode::Trim => {
                if h < 3 || w < 3 {
                    return None;
                }
                build(h - 2, w - 2, |i, j| x[i + 1][j + 1])
            }
            OpCode::CropBbox => {
                let col = c(0);
                let cells: Vec<(usize, usize)> = (0..h)
                    .flat_map(|i| (0..w).map(move |j| (i, j)))
                    .filter(|&(i, j)| x[i][j] != col)
                    .collect();
                let r0 = cells.iter().map(|p| p.0).min()?;
                let r1 = cells.iter().map(|p| p.0).max()?;
                let c0 = cells.iter().map(|p| p.1).min()?;
                let c1 = cells.iter().map(|p| p.1).max()?;
                build(r1 - r0 + 1, c1 - c0 + 1, |i, j| x[r0 + i][c0 + j])
            }
            OpCode::SplitH => {
                let (p, off) = part(w, a[0] as usize, a[1] as usize)?;
                build(h, p, |i, j| x[i][off + j])
            }
            OpCode::SplitV => {
                let (p, off) = part(h, a[0] as usize, a[1] as usize)?;
                build(p, w, |i, j| x[off + i][j])
            }
            OpCode::Shift => {
                let fill = c(2);
                let (dy, dx) = (a[0] as i64, a[1] as i64);
                build(h, w, |i, j| {
                    let (si, sj) = (i as i64 - dy, j as i64 - dx);
                    if (0..h as i64).contains(&si) && (0..w as i64).contains(&sj) {
                        x[si as usize][sj as usize]
                    } else {
                        fill
                    }
                })
            }
            OpCode::Recolor => {
                let (ca, cb) = (c(0), c(1));
                map_cells(&|v| if v == ca { cb } else { v })
            }
            OpCode::Swap => {
                let (ca, cb) = (c(0), c(1));
                map_cells(&|v| {
                    if v == ca {
                        cb
                    } else if v == cb {
                        ca
                    } else {
                        v
                    }
                })
            }
            OpCode::Map => {
                let m = op.color_map();
                map_cells(&|v| m[v as usize])
            }
            OpCode::Keep => {
                let (ca, cb) = (c(0), c(1));
                map_cells(&|v| if v != ca { cb } else { v })
            }
            OpCode::Paint => {
                let (ca, cb) = (c(0), c(1));
                map_cells(&|v| if v != cb { ca } else { v })
            }
            OpCode::FillEnclosed => {
                let (ca, cb) = (c(0), c(1));
                // reached[i][j]: relax until nothing changes.
                let mut reached: Vec<Vec<bool>> = (0..h)
                    .map(|i| {
                        (0..w)
                            .map(|j| {
                                x[i][j] == cb && (i == 0 || j == 0 || i == h - 1 || j == w - 1)
                            })
                            .collect()
                    })
                    .collect();
                loop {
                    let mut changed = false;
                    for i in 0..h {
                        for j in 0..w {
                            if x[i][j] == cb
                                && !reached[i][j]
                                && neighbours4(h, w, i, j).iter().any(|&(p, q)| reached[p][q])
                            {
                                reached[i][j] = true;
                                changed = true;
                            }
                        }
                    }
                    if !changed {
                        break;
                    }
                }
                build(h, w, |i, j| {
                    if x[i][j] == cb && !reached[i][j] {
                        ca
                    } else {
                        x[i][j]
                    }
                })
            }
            OpCode::Halo => {
                let (ca, cb) = (c(0), c(1));
                build(h, w, |i, j| {
                    if x[i][j] == cb && neighbours8(h, w, i, j).iter().any(|&(p, q)| x[p][q] != cb)
                    {
                        ca
                    } else {
                        x[i][j]
                    }
                })
            }
            OpCode::Gravity => {
                let cb = c(1);
                let mut out = vec![vec![cb; w]; h];
                match a[0] {
                    0 | 1 => {
                        for j in 0..w {
                            let cells: Vec<u8> =
                                (0..h).map(|i| x[i][j]).filter(|&v| v != cb).collect();
                            let start = if a[0] == 0 { 0 } else { h - cells.len() };
                            for (k, &v) in cells.iter().enumerate() {
                                out[start + k][j] = v;
                            }
                        }
                    }
                    _ => {
                        for i in 0..h {
                            let cells: Vec<u8> =
                                x[i].iter().copied().filter(|&v| v != cb).collect();
                            let start = if a[0] == 2 { 0 } else { w - cells.len() };
                            for (k, &v) in cells.iter().enumerate() {
                                out[i][start + k] = v;
                            }
                        }
                    }
                }
                ok(out)
            }
            OpCode::Object => {
                let cb = c(1);
                // Label = smallest row-major index in the component, by
                // relaxation; that is also the object's first cell.
                let mut label: Vec<Vec<usize>> = (0..h)
                    .map(|i| (0..w).map(|j| i * w + j).collect())
                    .collect();
                loop {
                    let mut changed = false;
                    for i in 0..h {
                        for j in 0..w {
                            if x[i][j] == cb {
                                continue;
                            }
                            for (p, q) in neighbours8(h, w, i, j) {
                                if x[p][q] != cb && label[p][q] < label[i][j] {
                                    label[i][j] = label[p][q];
                                    changed = true;
                                }
                            }
                        }
                    }
                    if !changed {
                        break;
                    }
                }
                let mut objs: Vec<(usize, Vec<(usize, usize)>)> = Vec::new();
                for i in 0..h {
                    for j in 0..w {
                        if x[i][j] == cb {
                            continue;
                        }
                        match objs.iter_mut().find(|o| o.0 == label[i][j]) {
                            Some(o) => o.1.push((i, j)),
                            None => objs.push((label[i][j], vec![(i, j)])),
                        }
                    }
                }
                objs.sort_by_key(|o| o.0);
                let best = if a[0] == 0 {
                    // Largest; ties to the first: max by (size, -first).
                    objs.iter().max_by_key(|o| (o.1.len(), usize::MAX - o.0))?
                } else {
                    objs.iter().min_by_key(|o| (o.1.len(), o.0))?
                };
                let r0 = best.1.iter().map(|p| p.0).min()?;
                let r1 = best.1.iter().map(|p| p.0).max()?;
                let c0 = best.1.iter().map(|p| p.1).min()?;
                let c1 = best.1.iter().map(|p| p.1).max()?;
                build(r1 - r0 + 1, c1 - c0 + 1, |i, j| x[r0 + i][c0 + j])
            }
            OpCode::HalvesH | OpCode::HalvesV => {
                let ca = c(1);
                let horizontal = code == OpCode::HalvesH;
                let (pa, pb) = if horizontal {
                    let (p, off) = part(w, 2, 1)?;
                    (
                        build(h, p, |i, j| x[i][j])?,
                        build(h, p, |i, j| x[i][off + j])?,
                    )
                } else {
                    let (p, off) = part(h, 2, 1)?;
                    (
                        build(p, w, |i, j| x[i][j])?,
                        build(p, w, |i, j| x[off + i][j])?,
                    )
                };
                let (oh, ow) = dims(&pa);
                build(oh, ow, |i, j| {
                    let (av, bv) = (pa[i][j] != 0, pb[i][j] != 0);
                    let on = match a[0] {
                        0 => av && bv,
                        1 => av || bv,
                        2 => av != bv,
                        3 => !av && !bv,
                        4 => av && !bv,
                        _ => bv && !av,
                    };
                    if on {
                        ca
                    } else {
                        0
                    }
                })
            }
            _ => unreachable!("{code:?}"),
        }
    }
}

#[test]
fn every_op_matches_a_naive_reading_of_the_spec_on_random_grids() {
    use gridscore::lang::random::{random_grid_sized, random_op, v1_codes};
    use gridscore::rng::Rng;
    // The oracle is an independent reading of the v1 spec.
    let codes = v1_codes();
    let mut rng = Rng::new(0x0_0ac1e);
    let mut invalid = [0usize; gridscore::lang::ops::NUM_V1_OPS];
    let mut valid = [0usize; gridscore::lang::ops::NUM_V1_OPS];
    for n in 0..30_000 {
        let (lo, hi) = if n % 4 == 0 { (1, 3) } else { (1, 12) };
        let x = random_grid_sized(&mut rng, lo, hi);
        let op = random_op(&mut rng, &codes);
        let prog = Program::from_ops(vec![op]).unwrap();
        let rows = x.to_rows();
        let want = oracle::apply(&op, &rows);
        let got = run_program(&prog, &x).map(|g| g.to_rows());
        assert_eq!(got, want, "#{n}: `{prog}` on {x:?}");
        if want.is_some() {
            valid[op.code as usize] += 1;
        } else {
            invalid[op.code as usize] += 1;
        }
    }
    // Crops that fit (random arguments up to 29 rarely fit small grids).
    for n in 0..3000 {
        let x = random_grid_sized(&mut rng, 1, 12);
        let (r, c) = (rng.below(x.h()), rng.below(x.w()));
        let (h, w) = (1 + rng.below(x.h() - r), 1 + rng.below(x.w() - c));
        let op = gridscore::Op::new(
            gridscore::OpCode::Crop,
            &[r as i32, c as i32, h as i32, w as i32],
        );
        let prog = Program::from_ops(vec![op]).unwrap();
        let want = oracle::apply(&op, &x.to_rows());
        assert!(want.is_some());
        assert_eq!(
            run_program(&prog, &x).map(|g| g.to_rows()),
            want,
            "#{n}: `{prog}`"
        );
        valid[op.code as usize] += 1;
    }
    // Whole programs: the oracle applied op by op (INVALID anywhere makes
    // the output INVALID).
    for n in 0..5000 {
        let x = random_grid_sized(&mut rng, 1, 10);
        let prog = gridscore::lang::random::random_program(&mut rng, &codes, 1, 6);
        let mut want = Some(x.to_rows());
        for op in prog.prefix() {
            want = want.and_then(|g| oracle::apply(op, &g));
        }
        assert_eq!(
            run_program(&prog, &x).map(|g| g.to_rows()),
            want,
            "#{n}: `{prog}` on {x:?}"
        );
    }
    // Every op was exercised with valid results.
    assert!(valid.iter().all(|&v| v > 0), "{valid:?}");
}

#[test]
fn every_op_matches_the_naive_reading_on_arc_training_grids() {
    use gridscore::lang::random::{random_op, v1_codes};
    use gridscore::rng::Rng;
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/arc/training");
    if !dir.is_dir() {
        eprintln!("../shared/arc/training is absent: skipped");
        return;
    }
    let tasks = gridscore::task::load_tasks(&dir, None).unwrap();
    // The oracle is an independent reading of the v1 spec.
    let codes = v1_codes();
    let mut rng = Rng::new(400);
    for task in &tasks {
        for x in task.inputs() {
            for _ in 0..8 {
                let op = random_op(&mut rng, &codes);
                let prog = Program::from_ops(vec![op]).unwrap();
                let want = oracle::apply(&op, &x.to_rows());
                let got = run_program(&prog, x).map(|g| g.to_rows());
                assert_eq!(got, want, "task {}: `{prog}`", task.id);
            }
        }
    }
}

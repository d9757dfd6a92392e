// prelude.wgsl: work that several ops share, run by `prelude` before the op
// function (the generated `apply_op` calls it once, right after the color
// arguments are resolved). llvmpipe inlines every call, so each heavy helper
// here (the iterative labelling, the piece statistics and selection, the
// repair search) has exactly one call site and is compiled once; the op
// functions (ops_*.wgsl) then read the results from `lab` and `cnt`.
//
// What an op gets (`prelude_plan`):
//
// - labels: lab[k] = the row-major index of the first cell of k's piece
//   (its *root*), or NONE for a cell of no piece. Components (object,
//   fill_enclosed, border, interior, fill_holes, bbox_fill, fall, count
//   objects, pieces obj/obj4/cobj, flood, stamp) are labelled by min-label propagation
//   (`relax`); the pieces `color` and `cell` are labelled directly.
// - distances (spread): lab[k] = dist << 10 | source (see `relax`).
// - border flag (fill_enclosed, border, interior, fill_holes): bit 31 of
//   lab[root] when the component has a cell on the grid's border.
//   (flood sets SEL_BIT on the roots of the b-components next to an
//   a-cell itself, in `op_flood`.)
// - piece statistics (pieces, bbox_fill, fall, stamp), per root r:
//     lab[r] bits 25..29 = r1, 20..24 = c1, 15..19 = 31 - c0 (r0 = r / w);
//     cnt[r] bits 0..9 = non-0 cells, bit 9 + c = has color c (c = 1..9),
//     bits 19..28 = pieces of r's shape (when shapes are needed).
// - majority (bbox_fill, fill_holes): cnt[r] bits 24..27 = the majority color
//   of the piece's cells or of the cells 4-adjacent to the region, bits
//   12..23 = its count (0: none).
// - selection (pick, keep_pieces, drop_pieces): SEL_BIT (bit 30) in lab[r]
//   for each selected piece; values (recolor_by): lab[r] bits 10..13 =
//   min(L, 9).
// - cell runs (pieces `cell`, cell_colors): cnt[r], r < h + w, the color of
//   line r (rows, then columns) when it is of one color, else NONE;
//   cnt[64 + r] the first line of its run of non-separator lines (NONE on a
//   separator).
// - summary (majority, count, upscale_by): wg_pre = (N, majority color or
//   NONE).
// - repair (repair, repair_crop): the repaired grid in lab[k] (`repair_grid`
//   in ops_pattern.wgsl).
//
// Only the low 10 bits of lab[k] are a label, so every reader masks with
// ROOT_MASK (NONE & ROOT_MASK = 1023 is no cell index).

const ROOT_MASK: u32 = 1023u;
const BORDER_BIT: u32 = 0x80000000u;
const SEL_BIT: u32 = 0x40000000u;

// Plan bits. The field (bits 0..2) says how lab is filled.
const PRE_FIELD: u32 = 7u;
const PRE_LABELS: u32 = 1u;
const PRE_DIST: u32 = 2u;
const PRE_COLOR: u32 = 3u;
const PRE_CELL: u32 = 4u;
// Labels / distances: 8-connected (else 4), neighbours of one color only,
// and which cells take part: those == cb (PRE_EQ) or those != cb.
const PRE_EIGHT: u32 = 8u;
const PRE_SAME: u32 = 16u;
const PRE_EQ: u32 = 32u;
const PRE_BORDER: u32 = 64u;
const PRE_STATS: u32 = 128u;
const PRE_MAJ_CELLS: u32 = 256u;
const PRE_MAJ_AROUND: u32 = 512u;
const PRE_SELECT: u32 = 1024u;
const PRE_VALUES: u32 = 2048u;
const PRE_SUMMARY: u32 = 4096u;
const PRE_REPAIR: u32 = 8192u;

// The prelude's result for the op function, written by thread 0 and read
// with workgroupUniformLoad.
var<workgroup> wg_pre: vec4<u32>;

// How `split` labels its pieces.
fn split_plan(split: u32) -> u32 {
    switch split {
        case SPLIT_OBJ: { return PRE_LABELS | PRE_EIGHT; }
        case SPLIT_OBJ4: { return PRE_LABELS; }
        case SPLIT_COBJ: { return PRE_LABELS | PRE_SAME; }
        case SPLIT_COLOR: { return PRE_COLOR; }
        default: { return PRE_CELL; }
    }
}

// What the prelude computes for an op (0: nothing). Depends on the op code
// and arguments only, so every branch on it is uniform.
fn prelude_plan(o: OpArgs) -> u32 {
    switch o.code {
        case OP_OBJECT: { return PRE_LABELS | PRE_EIGHT; }
        case OP_FILL_ENCLOSED: { return PRE_LABELS | PRE_EQ | PRE_BORDER; }
        case OP_FLOOD: { return PRE_LABELS | PRE_EQ; }
        case OP_BORDER, OP_INTERIOR: { return PRE_LABELS | PRE_EIGHT | PRE_EQ | PRE_BORDER; }
        case OP_FILL_HOLES: { return PRE_LABELS | PRE_EQ | PRE_BORDER | PRE_MAJ_AROUND; }
        case OP_BBOX_FILL: { return PRE_LABELS | PRE_EIGHT | PRE_STATS | PRE_MAJ_CELLS; }
        case OP_SPREAD: { return PRE_DIST | PRE_EQ; }
        case OP_MAJORITY: { return PRE_SUMMARY; }
        case OP_COUNT, OP_UPSCALE_BY: {
            return PRE_SUMMARY | select(0u, PRE_LABELS | PRE_EIGHT, u32(o.a0) == COUNT_OBJECTS);
        }
        case OP_PICK, OP_KEEP_PIECES, OP_DROP_PIECES: { return split_plan(u32(o.a0)) | PRE_STATS | PRE_SELECT; }
        case OP_RECOLOR_BY: { return split_plan(u32(o.a0)) | PRE_STATS | PRE_VALUES; }
        case OP_FALL, OP_STAMP: { return PRE_LABELS | PRE_EIGHT | PRE_STATS; }
        case OP_REPAIR, OP_REPAIR_CROP: { return PRE_REPAIR; }
        case OP_CELL_COLORS: { return PRE_CELL; }
        default: { return 0u; }
    }
}

// Runs the op's plan on the h x w grid at grid[sb..]; grid[db..] may be used
// as scratch (the op writes it afterwards). False: the op is INVALID (a
// `cell` split without separator, no piece, no selected piece, repair
// without c-cells). Contains barriers; every branch is uniform. The stages
// that only ops of the full build use (the color and cell splits, the
// selection, repair) are dead code in the smaller builds (BUILD).
fn prelude(o: OpArgs, h: u32, w: u32, sb: u32, db: u32, lid: u32) -> bool {
    let plan = prelude_plan(o);
    if (plan == 0u) {
        return true;
    }
    let field = plan & PRE_FIELD;
    if (field == PRE_LABELS || field == PRE_DIST) {
        // object, fill_enclosed and flood work on their color argument b.
        let cb = select(0u, o.c1, o.code == OP_OBJECT || o.code == OP_FILL_ENCLOSED || o.code == OP_FLOOD);
        relax(plan, cb, h, w, sb, lid);
    } else if (BUILD == BUILD_FULL && field == PRE_COLOR) {
        color_labels(h * w, sb, lid);
    } else if (BUILD == BUILD_FULL && field == PRE_CELL) {
        if (!cell_labels(h, w, sb, lid)) {
            return false;
        }
    }
    if ((plan & PRE_BORDER) != 0u) {
        border_flags(h, w, lid);
    }
    if ((plan & PRE_STATS) != 0u) {
        piece_stats(h, w, sb, lid);
    }
    if ((plan & (PRE_MAJ_CELLS | PRE_MAJ_AROUND)) != 0u) {
        piece_majority((plan & PRE_MAJ_AROUND) != 0u, h, w, sb, lid);
    }
    if (BUILD == BUILD_FULL && (plan & (PRE_SELECT | PRE_VALUES)) != 0u) {
        if (!piece_select(o, (plan & PRE_VALUES) != 0u, h, w, sb, db, lid)) {
            return false;
        }
    }
    if ((plan & PRE_SUMMARY) != 0u) {
        summary(u32(o.a0), h * w, sb, lid);
    }
    if (BUILD == BUILD_FULL && (plan & PRE_REPAIR) != 0u) {
        return repair_grid(o.c0, h, w, sb, db, lid);
    }
    return true;
}

fn root_of(k: u32) -> u32 {
    return atomicLoad(&lab[k]) & ROOT_MASK;
}

fn is_root(k: u32) -> bool {
    return root_of(k) == k;
}

// Iterative min-propagation over the cells that take part (`in`: == cb with
// PRE_EQ, else != cb), 4- or 8-connected, optionally between cells of one
// color only. Also zeroes cnt.
//
// Labels: in-cells start with their own index, the others with NONE; each
// pass lowers a cell's label to the minimum over its in-neighbours and to
// the label of its label (pointer jumping: labels are indices of cells of
// the same component, so this only shortcuts the propagation). At the fixed
// point every cell holds the index of its component's first cell.
// Distances (spread): the others (sources) hold their own index, in-cells
// start with NONE and take the minimum over their neighbours of
// (value + 1 << 10), i.e. (distance, source) in lexicographic order: the
// nearest source through in-cells, ties to the smaller index, exactly the
// layer-by-layer claim of the CPU's breadth-first search.
// Each pass changes a value or ends the loop; values only decrease and a
// path of length d settles after d passes, so at most 900 passes run
// (ITER_CAP is a safety net). Contains barriers.
fn relax(plan: u32, cb: u32, h: u32, w: u32, sb: u32, lid: u32) {
    let n = h * w;
    let dist = (plan & PRE_FIELD) == PRE_DIST;
    let eq = (plan & PRE_EQ) != 0u;
    let eight = (plan & PRE_EIGHT) != 0u;
    let same = (plan & PRE_SAME) != 0u;
    for (var k = lid; k < n; k += WG) {
        let inside = (grid[sb + k] == cb) == eq;
        atomicStore(&lab[k], select(NONE, k, inside != dist));
        atomicStore(&cnt[k], 0u);
    }
    for (var it = 0u; it < ITER_CAP; it++) {
        if (lid == 0u) {
            atomicStore(&changed, 0u);
        }
        workgroupBarrier();
        for (var k = lid; k < n; k += WG) {
            let v = grid[sb + k];
            if ((v == cb) != eq) {
                continue;
            }
            let own = atomicLoad(&lab[k]);
            let i = i32(k / w);
            let j = i32(k % w);
            var m = own;
            for (var di = -1; di <= 1; di++) {
                for (var dj = -1; dj <= 1; dj++) {
                    let ni = i + di;
                    let nj = j + dj;
                    if ((di == 0 && dj == 0) || (!eight && di != 0 && dj != 0)
                        || ni < 0 || nj < 0 || u32(ni) >= h || u32(nj) >= w) {
                        continue;
                    }
                    let nk = u32(ni) * w + u32(nj);
                    let l = atomicLoad(&lab[nk]);
                    if (l == NONE || (same && grid[sb + nk] != v)) {
                        continue;
                    }
                    m = min(m, select(l, l + 1024u, dist));
                }
            }
            if (!dist && m != NONE) {
                m = min(m, atomicLoad(&lab[m]));
            }
            if (m < own) {
                atomicMin(&lab[k], m);
                atomicStore(&changed, 1u);
            }
        }
        if (!changed_uniform(lid)) {
            break;
        }
    }
}

// Pieces `color`: every non-0 cell is labelled with the first cell of its
// color (found with atomicMin in hist). Contains barriers.
fn color_labels(n: u32, sb: u32, lid: u32) {
    for (var c = lid; c < 10u; c += WG) {
        atomicStore(&hist[c], NONE);
    }
    workgroupBarrier();
    for (var k = lid; k < n; k += WG) {
        let v = grid[sb + k];
        if (v != 0u) {
            atomicMin(&hist[v], k);
        }
    }
    workgroupBarrier();
    for (var k = lid; k < n; k += WG) {
        let v = grid[sb + k];
        atomicStore(&lab[k], select(NONE, atomicLoad(&hist[v]), v != 0u));
    }
    workgroupBarrier();
}

// Pieces `cell` (`pieces::separator` and `Pieces::cut`): line r (rows 0..h,
// then columns h..h+w) has cnt[r] = its color when all its cells have it,
// else NONE; hist counts such lines per color; the separator is the color
// with the most (ties: smaller); cnt[64 + r] = the offset of the first line
// of r's run of non-separator lines (NONE for a separator line); a cell off
// the separator lines is labelled with the top-left cell of its rectangle.
// False without a separator. Contains barriers.
fn cell_labels(h: u32, w: u32, sb: u32, lid: u32) -> bool {
    for (var c = lid; c < 10u; c += WG) {
        atomicStore(&hist[c], 0u);
    }
    workgroupBarrier();
    for (var r = lid; r < h + w; r += WG) {
        var c = 0u;
        var same = true;
        if (r < h) {
            c = grid[sb + r * w];
            for (var j = 1u; j < w; j++) {
                same = same && grid[sb + r * w + j] == c;
            }
        } else {
            c = grid[sb + r - h];
            for (var i = 1u; i < h; i++) {
                same = same && grid[sb + i * w + r - h] == c;
            }
        }
        atomicStore(&cnt[r], select(NONE, c, same));
        if (same) {
            atomicAdd(&hist[c], 1u);
        }
    }
    workgroupBarrier();
    if (lid == 0u) {
        var best = 0u;
        for (var c = 1u; c < 10u; c++) {
            if (atomicLoad(&hist[c]) > atomicLoad(&hist[best])) {
                best = c;
            }
        }
        wg_u4 = vec4<u32>(select(NONE, best, atomicLoad(&hist[best]) > 0u), 0u, 0u, 0u);
    }
    let sep = workgroupUniformLoad(&wg_u4).x;
    if (sep == NONE) {
        return false;
    }
    for (var r = lid; r < h + w; r += WG) {
        let lo = select(h, 0u, r < h);
        var start = NONE;
        if (atomicLoad(&cnt[r]) != sep) {
            start = r;
            while (start > lo && atomicLoad(&cnt[start - 1u]) != sep) {
                start--;
            }
            start -= lo;
        }
        atomicStore(&cnt[64u + r], start);
    }
    workgroupBarrier();
    for (var k = lid; k < h * w; k += WG) {
        let rs = atomicLoad(&cnt[64u + k / w]);
        let cs = atomicLoad(&cnt[64u + h + k % w]);
        atomicStore(&lab[k], select(rs * w + cs, NONE, rs == NONE || cs == NONE));
    }
    workgroupBarrier();
    return true;
}

// Sets BORDER_BIT on the root of every component with a cell on the grid's
// border. Contains barriers.
fn border_flags(h: u32, w: u32, lid: u32) {
    for (var k = lid; k < h * w; k += WG) {
        let i = k / w;
        let j = k % w;
        let l = atomicLoad(&lab[k]);
        if (l != NONE && (i == 0u || j == 0u || i == h - 1u || j == w - 1u)) {
            atomicOr(&lab[l & ROOT_MASK], BORDER_BIT);
        }
    }
    workgroupBarrier();
}

// Piece statistics (`Pieces::cut`): cells and colors into cnt[root], the
// bounding box into the upper bits of lab[root]. Three passes, because an
// atomicMax on a packed word is a maximum of one field only when the fields
// above it are already final (and those below are still 0): r1 first, then
// c1, then 31 - c0. Contains barriers.
fn piece_stats(h: u32, w: u32, sb: u32, lid: u32) {
    let n = h * w;
    for (var k = lid; k < n; k += WG) {
        atomicStore(&cnt[k], 0u);
    }
    workgroupBarrier();
    for (var step = 0u; step < 3u; step++) {
        for (var k = lid; k < n; k += WG) {
            let l = atomicLoad(&lab[k]);
            if (l == NONE) {
                continue;
            }
            let r = l & ROOT_MASK;
            let j = k % w;
            if (step == 0u) {
                atomicMax(&lab[r], r | ((k / w) << 25u));
                let v = grid[sb + k];
                if (v != 0u) {
                    atomicAdd(&cnt[r], 1u);
                    atomicOr(&cnt[r], 1u << (9u + v));
                }
            } else if (step == 1u) {
                let hi = atomicLoad(&lab[r]) & (31u << 25u);
                atomicMax(&lab[r], r | hi | (j << 20u));
            } else {
                let hi = atomicLoad(&lab[r]) & (1023u << 20u);
                atomicMax(&lab[r], r | hi | ((31u - j) << 15u));
            }
        }
        workgroupBarrier();
    }
}

// The bounding box (r0, r1, c0, c1) of the piece with root r.
fn piece_box(r: u32, w: u32) -> vec4<u32> {
    let l = atomicLoad(&lab[r]);
    return vec4<u32>(r / w, (l >> 25u) & 31u, 31u - ((l >> 15u) & 31u), (l >> 20u) & 31u);
}

fn piece_cells(r: u32) -> u32 {
    return atomicLoad(&cnt[r]) & 1023u;
}

// The most frequent color per piece, ties to the smaller color (`bbox_fill`:
// among the piece's cells; `fill_holes`: among the non-0 cells 4-adjacent to
// a region not touching the border, counted once per adjacent region cell as
// the CPU's flood fill does). One pass per color present: cnt[root] bits
// 0..11 count it, then the root keeps (count, color) in bits 12..27 when the
// count beats the best so far. Contains barriers.
fn piece_majority(around: bool, h: u32, w: u32, sb: u32, lid: u32) {
    let n = h * w;
    if (lid == 0u) {
        atomicStore(&red[3], 0u);
    }
    for (var k = lid; k < n; k += WG) {
        if (is_root(k)) {
            atomicStore(&cnt[k], 0u);
        }
    }
    workgroupBarrier();
    for (var k = lid; k < n; k += WG) {
        atomicOr(&red[3], 1u << grid[sb + k]);
    }
    workgroupBarrier();
    if (lid == 0u) {
        wg_u4 = vec4<u32>(atomicLoad(&red[3]), 0u, 0u, 0u);
    }
    let present = workgroupUniformLoad(&wg_u4).x;
    for (var c = 1u; c < 10u; c++) {
        if ((present & (1u << c)) == 0u) {
            continue;
        }
        for (var k = lid; k < n; k += WG) {
            let l = atomicLoad(&lab[k]);
            if (l == NONE) {
                continue;
            }
            let r = l & ROOT_MASK;
            var m = 0u;
            if (around) {
                if ((atomicLoad(&lab[r]) & BORDER_BIT) != 0u) {
                    continue;
                }
                let i = k / w;
                let j = k % w;
                m = select(0u, 1u, i > 0u && grid[sb + k - w] == c)
                    + select(0u, 1u, i + 1u < h && grid[sb + k + w] == c)
                    + select(0u, 1u, j > 0u && grid[sb + k - 1u] == c)
                    + select(0u, 1u, j + 1u < w && grid[sb + k + 1u] == c);
            } else {
                m = select(0u, 1u, grid[sb + k] == c);
            }
            if (m != 0u) {
                atomicAdd(&cnt[r], m);
            }
        }
        workgroupBarrier();
        for (var k = lid; k < n; k += WG) {
            if (!is_root(k)) {
                continue;
            }
            var x = atomicLoad(&cnt[k]);
            let cur = x & 4095u;
            if (cur > ((x >> 12u) & 4095u)) {
                x = (cur << 12u) | (c << 24u);
            } else {
                x &= ~4095u;
            }
            atomicStore(&cnt[k], x);
        }
        workgroupBarrier();
    }
}

// Whether pieces a and b (boxes pa, pb) have the same shape: the same box
// size and the same cells of it (`Pieces::same_shape`).
fn same_shape(a: u32, pa: vec4<u32>, b: u32, pb: vec4<u32>, w: u32) -> bool {
    let bh = pa.y - pa.x + 1u;
    let bw = pa.w - pa.z + 1u;
    if (pb.y - pb.x + 1u != bh || pb.w - pb.z + 1u != bw) {
        return false;
    }
    for (var q = 0u; q < bh * bw; q++) {
        let di = q / bw;
        let dj = q % bw;
        let in_a = root_of((pa.x + di) * w + pa.z + dj) == a;
        let in_b = root_of((pb.x + di) * w + pb.z + dj) == b;
        if (in_a != in_b) {
            return false;
        }
    }
    return true;
}

// How many pieces have root r's shape (after the shape classes; 0 when
// they were not computed).
fn shared_of(computed: bool, r: u32, db: u32) -> u32 {
    if (!computed) {
        return 0u;
    }
    return (atomicLoad(&cnt[grid[db + r]]) >> 19u) & 1023u;
}

// The value a piece is selected by: the CPU's score + 1024 (so that the
// largest value wins and every value is positive), or for the unique / common
// criteria a flag or the number of pieces sharing its shape.
fn piece_value(crit: u32, r: u32, w: u32, nshared: u32) -> u32 {
    let b = piece_box(r, w);
    let cells = piece_cells(r);
    let area = (b.y - b.x + 1u) * (b.w - b.z + 1u);
    let colors = countOneBits((atomicLoad(&cnt[r]) >> 10u) & 511u);
    switch crit {
        case CRIT_MAX_CELLS: { return 1024u + cells; }
        case CRIT_MIN_CELLS: { return 1024u - cells; }
        case CRIT_MAX_AREA: { return 1024u + area; }
        case CRIT_MIN_AREA: { return 1024u - area; }
        case CRIT_MAX_COLORS: { return 1024u + colors; }
        case CRIT_MIN_COLORS: { return 1024u - colors; }
        case CRIT_TOP: { return 1024u - b.x; }
        case CRIT_BOTTOM: { return 1024u + b.y; }
        case CRIT_LEFT: { return 1024u - b.z; }
        case CRIT_RIGHT: { return 1024u + b.w; }
        case CRIT_MAX_HOLES: { return 1024u + area - cells; }
        case CRIT_MIN_HOLES: { return 1024u + cells - area; }
        case CRIT_UNIQUE_COLOR: {
            // A color (1..9) that no other piece has: hist counts pieces per color.
            for (var c = 1u; c < 10u; c++) {
                if ((atomicLoad(&cnt[r]) & (1u << (9u + c))) != 0u && atomicLoad(&hist[c]) == 1u) {
                    return 1u;
                }
            }
            return 0u;
        }
        case CRIT_UNIQUE_SHAPE: { return select(0u, 1u, nshared == 1u); }
        default: { return nshared; }
    }
}

// `Pieces::select` (values = false: pick, keep_pieces, drop_pieces; sets
// SEL_BIT on the selected roots) or the labels of `recolor_by` (values =
// true: lab[root] bits 10..13 = min(L, 9)). False when there is no piece or
// nothing is selected. Contains barriers.
fn piece_select(o: OpArgs, values: bool, h: u32, w: u32, sb: u32, db: u32, lid: u32) -> bool {
    let n = h * w;
    let split = u32(o.a0);
    let what = u32(o.a1);
    let need_shapes = select(what == CRIT_UNIQUE_SHAPE || what == CRIT_COMMON_SHAPE, what == LABEL_SHARED, values);
    if (lid == 0u) {
        atomicStore(&red[0], 0u);
        atomicStore(&red[1], 0u);
        atomicStore(&red[2], 0u);
        atomicStore(&red[3], NONE);
    }
    for (var c = lid; c < 10u; c += WG) {
        atomicStore(&hist[c], 0u);
    }
    workgroupBarrier();
    // Pieces, pieces per color, the first piece; grid[db + root] = NONE:
    // no shape class yet.
    for (var k = lid; k < n; k += WG) {
        if (!is_root(k)) {
            continue;
        }
        atomicAdd(&red[0], 1u);
        atomicMin(&red[3], k);
        grid[db + k] = NONE;
        let bits = atomicLoad(&cnt[k]) >> 10u;
        for (var c = 1u; c < 10u; c++) {
            if ((bits & (1u << (c - 1u))) != 0u) {
                atomicAdd(&hist[c], 1u);
            }
        }
    }
    workgroupBarrier();
    if (lid == 0u) {
        wg_u4 = vec4<u32>(atomicLoad(&red[0]), atomicLoad(&red[3]), 0u, 0u);
    }
    let head = workgroupUniformLoad(&wg_u4);
    if (head.x == 0u) {
        return false;
    }
    if (need_shapes) {
        // Shape classes, one round per class: the first piece r without a
        // class takes every piece without one that has its shape (same box
        // size, same cells but for `cell` pieces, whose box is all theirs,
        // then cell by cell): grid[db + b] = r, and cnt[r] bits 19..28 count
        // them; the first piece left over starts the next round.
        var r = head.y;
        for (var round = 0u; round < ITER_CAP && r != NONE; round++) {
            if (lid == 0u) {
                atomicStore(&red[3], NONE);
            }
            workgroupBarrier();
            let pr = piece_box(r, w);
            let dims = vec2<u32>(pr.y - pr.x, pr.w - pr.z);
            for (var b = lid; b < n; b += WG) {
                if (!is_root(b) || grid[db + b] != NONE) {
                    continue;
                }
                let pb = piece_box(b, w);
                var same = all(vec2<u32>(pb.y - pb.x, pb.w - pb.z) == dims);
                if (same && split != SPLIT_CELL) {
                    same = piece_cells(b) == piece_cells(r) && same_shape(r, pr, b, pb, w);
                }
                if (same) {
                    grid[db + b] = r;
                    atomicAdd(&cnt[r], 1u << 19u);
                } else {
                    atomicMin(&red[3], b);
                }
            }
            workgroupBarrier();
            if (lid == 0u) {
                wg_u4 = vec4<u32>(atomicLoad(&red[3]), 0u, 0u, 0u);
            }
            r = workgroupUniformLoad(&wg_u4).x;
        }
    }
    if (values) {
        // recolor_by: size and shared directly; rank = 1 + the number of
        // distinct cell counts above the piece's, found as the 8 largest
        // distinct counts (enough for min(rank, 9)), one round each.
        if (what == LABEL_RANK) {
            var prev = NONE;
            for (var round = 0u; round < 8u; round++) {
                if (lid == 0u) {
                    atomicStore(&red[1], 0u);
                }
                workgroupBarrier();
                for (var k = lid; k < n; k += WG) {
                    if (is_root(k) && piece_cells(k) + 1u < prev) {
                        atomicMax(&red[1], piece_cells(k) + 1u);
                    }
                }
                workgroupBarrier();
                if (lid == 0u) {
                    wg_u4 = vec4<u32>(atomicLoad(&red[1]), 0u, 0u, 0u);
                }
                let top = workgroupUniformLoad(&wg_u4).x;
                if (top == 0u) {
                    break;
                }
                for (var k = lid; k < n; k += WG) {
                    if (is_root(k) && piece_cells(k) + 1u < top) {
                        atomicAdd(&lab[k], 1u << 10u);
                    }
                }
                prev = top;
            }
        }
        for (var k = lid; k < n; k += WG) {
            if (!is_root(k)) {
                continue;
            }
            var v = 1u;
            if (what == LABEL_SIZE) {
                v = piece_cells(k);
            } else if (what == LABEL_SHARED) {
                v = shared_of(true, k, db);
            }
            atomicAdd(&lab[k], min(v, 9u) << 10u);
        }
        workgroupBarrier();
        return true;
    }
    // Selection: the pieces with the largest value; red[1] = that value,
    // red[2] = how many pieces have it.
    for (var k = lid; k < n; k += WG) {
        if (is_root(k)) {
            atomicMax(&red[1], piece_value(what, k, w, shared_of(need_shapes, k, db)));
        }
    }
    workgroupBarrier();
    let best = atomicLoad(&red[1]);
    for (var k = lid; k < n; k += WG) {
        if (is_root(k)) {
            if (piece_value(what, k, w, shared_of(need_shapes, k, db)) == best) {
                atomicAdd(&red[2], 1u);
                atomicOr(&lab[k], SEL_BIT);
            }
        }
    }
    workgroupBarrier();
    if (lid == 0u) {
        wg_u4 = vec4<u32>(atomicLoad(&red[1]), atomicLoad(&red[2]), 0u, 0u);
    }
    let sel = workgroupUniformLoad(&wg_u4);
    switch what {
        case CRIT_UNIQUE_COLOR, CRIT_UNIQUE_SHAPE: { return sel.x == 1u && sel.y == 1u; }
        case CRIT_COMMON_SHAPE: { return sel.x >= 2u; }
        default: { return true; }
    }
}

// majority / count / upscale_by: wg_pre = (N, the most frequent non-0 color
// or NONE), N counting non-0 cells, non-0 colors or objects (roots of the
// labels, when `what` is COUNT_OBJECTS). Contains barriers.
fn summary(what: u32, n: u32, sb: u32, lid: u32) {
    if (lid == 0u) {
        atomicStore(&red[0], 0u);
    }
    histogram(sb, n, lid);
    if (what == COUNT_OBJECTS) {
        for (var k = lid; k < n; k += WG) {
            if (is_root(k)) {
                atomicAdd(&red[0], 1u);
            }
        }
        workgroupBarrier();
    }
    if (lid == 0u) {
        var cells = 0u;
        var colors = 0u;
        var maj = NONE;
        for (var c = 1u; c < 10u; c++) {
            let m = atomicLoad(&hist[c]);
            cells += m;
            if (m > 0u) {
                colors++;
                if (maj == NONE || m > atomicLoad(&hist[maj])) {
                    maj = c;
                }
            }
        }
        var count = atomicLoad(&red[0]);
        if (what == COUNT_CELLS) {
            count = cells;
        } else if (what == COUNT_COLORS) {
            count = colors;
        }
        wg_pre = vec4<u32>(count, maj, 0u, 0u);
    }
    workgroupBarrier();
}

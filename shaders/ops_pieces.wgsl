// ops_pieces.wgsl: the GPU twins of src/lang/interp/pieces.rs. The prelude
// (prelude.wgsl) has cut the pieces (labels in lab, roots = first cells),
// computed their statistics and, for pick / keep_pieces / drop_pieces, set
// SEL_BIT on the selected roots; for recolor_by, lab[root] bits 10..13 hold
// the new color. It has also returned INVALID when there is no piece or
// nothing is selected.

// pick: the first selected piece (the smallest selected root), cropped to
// its box; box cells of other pieces (or of none) become 0.
fn op_pick(o: OpArgs, h: u32, w: u32, sb: u32, db: u32, lid: u32) -> vec3<u32> {
    let n = h * w;
    if (lid == 0u) {
        atomicStore(&red[0], NONE);
    }
    workgroupBarrier();
    for (var k = lid; k < n; k += WG) {
        if (is_root(k) && (atomicLoad(&lab[k]) & SEL_BIT) != 0u) {
            atomicMin(&red[0], k);
        }
    }
    workgroupBarrier();
    if (lid == 0u) {
        let first = atomicLoad(&red[0]);
        wg_u4 = vec4<u32>(NONE);
        if (first != NONE) {
            wg_u4 = piece_box(first, w);
        }
    }
    let b = workgroupUniformLoad(&wg_u4);
    if (b.x == NONE) {
        return INVALID;
    }
    let first = atomicLoad(&red[0]);
    let oh = b.y - b.x + 1u;
    let ow = b.w - b.z + 1u;
    for (var k = lid; k < oh * ow; k += WG) {
        let src = (b.x + k / ow) * w + b.z + k % ow;
        grid[db + k] = select(0u, grid[sb + src], root_of(src) == first);
    }
    workgroupBarrier();
    return ok(oh, ow);
}

// keep_pieces (drop = false) / drop_pieces: cells of unselected (drop:
// selected) pieces become 0; cells of no piece are unchanged.
fn keep_or_drop(drop: bool, h: u32, w: u32, sb: u32, db: u32, lid: u32) -> vec3<u32> {
    for (var k = lid; k < h * w; k += WG) {
        let l = atomicLoad(&lab[k]);
        var v = grid[sb + k];
        if (l != NONE && ((atomicLoad(&lab[l & ROOT_MASK]) & SEL_BIT) != 0u) == drop) {
            v = 0u;
        }
        grid[db + k] = v;
    }
    workgroupBarrier();
    return ok(h, w);
}

fn op_keep_pieces(o: OpArgs, h: u32, w: u32, sb: u32, db: u32, lid: u32) -> vec3<u32> {
    return keep_or_drop(false, h, w, sb, db, lid);
}

fn op_drop_pieces(o: OpArgs, h: u32, w: u32, sb: u32, db: u32, lid: u32) -> vec3<u32> {
    return keep_or_drop(true, h, w, sb, db, lid);
}

fn op_recolor_by(o: OpArgs, h: u32, w: u32, sb: u32, db: u32, lid: u32) -> vec3<u32> {
    for (var k = lid; k < h * w; k += WG) {
        let l = atomicLoad(&lab[k]);
        var v = grid[sb + k];
        if (l != NONE && v != 0u) {
            v = (atomicLoad(&lab[l & ROOT_MASK]) >> 10u) & 15u;
        }
        grid[db + k] = v;
    }
    workgroupBarrier();
    return ok(h, w);
}

// fall: the objects one at a time in the CPU's order: cnt[slot] = key << 10
// | root for each object (key = the extent towards dir, so that the smaller
// comes first; slots in any order), then cnt[256 + rank] = the root of the
// object of that rank (at most 225 objects on a 30 x 30 grid). For each
// object, every (cell, step) pair checks whether moving the cell that many
// steps leaves the grid or lands on a non-0 cell of the result so far
// (atomicMin of the first such step); the object is drawn one step short.
// The result starts all 0.
fn op_fall(o: OpArgs, h: u32, w: u32, sb: u32, db: u32, lid: u32) -> vec3<u32> {
    let n = h * w;
    let dir = u32(o.a0);
    var d = vec2<i32>(0, 1);
    switch dir {
        case DIR4_UP: { d = vec2<i32>(-1, 0); }
        case DIR4_DOWN: { d = vec2<i32>(1, 0); }
        case DIR4_LEFT: { d = vec2<i32>(0, -1); }
        default: {}
    }
    if (lid == 0u) {
        atomicStore(&red[0], 0u);
    }
    for (var k = lid; k < n; k += WG) {
        grid[db + k] = 0u;
    }
    workgroupBarrier();
    for (var k = lid; k < n; k += WG) {
        if (!is_root(k)) {
            continue;
        }
        let b = piece_box(k, w);
        var key = 0u;
        switch dir {
            case DIR4_UP: { key = b.x; }
            case DIR4_DOWN: { key = 31u - b.y; }
            case DIR4_LEFT: { key = b.z; }
            default: { key = 31u - b.w; }
        }
        atomicStore(&cnt[atomicAdd(&red[0], 1u)], (key << 10u) | k);
    }
    workgroupBarrier();
    if (lid == 0u) {
        wg_u4 = vec4<u32>(atomicLoad(&red[0]), 0u, 0u, 0u);
    }
    let objects = workgroupUniformLoad(&wg_u4).x;
    for (var q = lid; q < objects; q += WG) {
        let v = atomicLoad(&cnt[q]);
        var rank = 0u;
        for (var p = 0u; p < objects; p++) {
            rank += select(0u, 1u, atomicLoad(&cnt[p]) < v);
        }
        atomicStore(&cnt[256u + rank], v & ROOT_MASK);
    }
    let steps = select(w, h, d.y == 0);
    for (var step = 0u; step < objects; step++) {
        if (lid == 0u) {
            atomicStore(&red[1], NONE);
        }
        workgroupBarrier();
        let r = atomicLoad(&cnt[256u + step]);
        let b = piece_box(r, w);
        let bw = b.w - b.z + 1u;
        let area = (b.y - b.x + 1u) * bw;
        for (var q = lid; q < area * steps; q += WG) {
            let i = i32(b.x + (q % area) / bw);
            let j = i32(b.z + q % bw);
            if (root_of(u32(i) * w + u32(j)) != r) {
                continue;
            }
            let s = i32(q / area) + 1;
            let ni = i + s * d.x;
            let nj = j + s * d.y;
            if (ni < 0 || nj < 0 || ni >= i32(h) || nj >= i32(w) || grid[db + u32(ni) * w + u32(nj)] != 0u) {
                atomicMin(&red[1], u32(s));
            }
        }
        workgroupBarrier();
        let t = i32(atomicLoad(&red[1])) - 1;
        for (var q = lid; q < area; q += WG) {
            let i = i32(b.x + q / bw);
            let j = i32(b.z + q % bw);
            let k = u32(i) * w + u32(j);
            if (root_of(k) == r) {
                grid[db + u32(i + t * d.x) * w + u32(j + t * d.y)] = grid[sb + k];
            }
        }
        workgroupBarrier();
    }
    workgroupBarrier();
    return ok(h, w);
}

// The first and last line of the n-th run of non-separator lines, among the
// `len` lines whose run starts the prelude's `cell` labelling left at
// cnt[64 + base + r] (r itself at a run's first line, NONE on a separator).
fn nth_run(n: u32, base: u32, len: u32) -> vec2<u32> {
    var seen = 0u;
    var first = 0u;
    for (var r = 0u; r < len; r++) {
        if (atomicLoad(&cnt[64u + base + r]) == r) {
            if (seen == n) {
                first = r;
                break;
            }
            seen++;
        }
    }
    var last = first;
    while (last + 1u < len && atomicLoad(&cnt[64u + base + last + 1u]) == first) {
        last++;
    }
    return vec2<u32>(first, last);
}

// cell_colors: one cell per piece of the `cell` split (row runs by column
// runs), each the most frequent non-0 color of the piece (ties: smaller; 0
// when none). The prelude has returned INVALID without a separator.
fn op_cell_colors(o: OpArgs, h: u32, w: u32, sb: u32, db: u32, lid: u32) -> vec3<u32> {
    if (lid == 0u) {
        var nr = 0u;
        var nc = 0u;
        for (var r = 0u; r < h; r++) {
            nr += select(0u, 1u, atomicLoad(&cnt[64u + r]) == r);
        }
        for (var c = 0u; c < w; c++) {
            nc += select(0u, 1u, atomicLoad(&cnt[64u + h + c]) == c);
        }
        wg_u4 = vec4<u32>(nr, nc, 0u, 0u);
    }
    let n = workgroupUniformLoad(&wg_u4);
    let oh = n.x;
    let ow = n.y;
    if (oh == 0u || ow == 0u) {
        return INVALID;
    }
    for (var k = lid; k < oh * ow; k += WG) {
        let rr = nth_run(k / ow, 0u, h);
        let cr = nth_run(k % ow, h, w);
        var hc: array<u32, 10>;
        for (var i = rr.x; i <= rr.y; i++) {
            for (var j = cr.x; j <= cr.y; j++) {
                hc[grid[sb + i * w + j]] += 1u;
            }
        }
        var best = 0u;
        for (var c = 1u; c < 10u; c++) {
            if (hc[c] > hc[best] || (best == 0u && hc[c] > 0u)) {
                best = c;
            }
        }
        grid[db + k] = best;
    }
    workgroupBarrier();
    return ok(oh, ow);
}

// stamp: the prelude's objects (8-connected) with their statistics. The
// template (most cells, then the first root) wins by atomicMax of
// cells << 10 | (1023 - root), and the markers (roots of one cell) are
// counted; then one thread per output cell takes the template cell that
// the last marker in row-major order puts there (the CPU draws the stamps
// in that order, each over the last), trying the template's cells.
fn op_stamp(o: OpArgs, h: u32, w: u32, sb: u32, db: u32, lid: u32) -> vec3<u32> {
    let n = h * w;
    if (lid == 0u) {
        atomicStore(&red[0], 0u);
        atomicStore(&red[1], 0u);
    }
    workgroupBarrier();
    for (var k = lid; k < n; k += WG) {
        if (is_root(k)) {
            let c = piece_cells(k);
            atomicMax(&red[0], (c << 10u) | (1023u - k));
            if (c == 1u) {
                atomicAdd(&red[1], 1u);
            }
        }
    }
    workgroupBarrier();
    if (lid == 0u) {
        wg_u4 = vec4<u32>(atomicLoad(&red[0]), atomicLoad(&red[1]), 0u, 0u);
    }
    let v = workgroupUniformLoad(&wg_u4);
    if ((v.x >> 10u) < 2u || v.y == 0u) {
        return INVALID;
    }
    let t = 1023u - (v.x & 1023u);
    let b = piece_box(t, w);
    let ci = i32(b.x + (b.y - b.x + 1u) / 2u);
    let cj = i32(b.z + (b.w - b.z + 1u) / 2u);
    for (var p = lid; p < n; p += WG) {
        var col = grid[sb + p];
        let pi = i32(p / w);
        let pj = i32(p % w);
        // Template cells in row-major order meet the markers that would put
        // them on p in decreasing row-major order: the first hit is the
        // last stamp.
        for (var qi = b.x; qi <= b.y; qi++) {
            var hit = false;
            for (var qj = b.z; qj <= b.w; qj++) {
                let q = qi * w + qj;
                if (root_of(q) != t) {
                    continue;
                }
                let mi = pi + ci - i32(qi);
                let mj = pj + cj - i32(qj);
                if (mi < 0 || mj < 0 || mi >= i32(h) || mj >= i32(w)) {
                    continue;
                }
                let m = u32(mi) * w + u32(mj);
                if (is_root(m) && piece_cells(m) == 1u) {
                    col = grid[sb + q];
                    hit = true;
                    break;
                }
            }
            if (hit) {
                break;
            }
        }
        grid[db + p] = col;
    }
    workgroupBarrier();
    return ok(h, w);
}

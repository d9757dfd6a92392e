// ops_shapes.wgsl: the GPU twins of src/lang/interp/shapes.rs. The
// components, piece statistics, majorities, distances and counts these ops
// read from lab / cnt / wg_pre were computed by the prelude (prelude.wgsl).

// Whether cell k is outside the shapes: a 0-cell 8-connected through 0-cells
// to a 0-cell on the grid's border (its component's root has BORDER_BIT).
fn outside8(k: u32, sb: u32) -> bool {
    return grid[sb + k] == 0u && (atomicLoad(&lab[root_of(k)]) & BORDER_BIT) != 0u;
}

// border (keep_border) / interior: a non-0 cell is on the border when it is
// on the grid's border or 8-adjacent to an outside cell.
fn border_or_interior(keep_border: bool, h: u32, w: u32, sb: u32, db: u32, lid: u32) -> vec3<u32> {
    for (var k = lid; k < h * w; k += WG) {
        let v = grid[sb + k];
        let i = k / w;
        let j = k % w;
        var on = i == 0u || j == 0u || i == h - 1u || j == w - 1u;
        if (v != 0u && !on) {
            for (var di = 0u; di < 3u; di++) {
                for (var dj = 0u; dj < 3u; dj++) {
                    on = on || outside8((i + di - 1u) * w + j + dj - 1u, sb);
                }
            }
        }
        grid[db + k] = select(0u, v, v != 0u && on == keep_border);
    }
    workgroupBarrier();
    return ok(h, w);
}

fn op_border(o: OpArgs, h: u32, w: u32, sb: u32, db: u32, lid: u32) -> vec3<u32> {
    return border_or_interior(true, h, w, sb, db, lid);
}

fn op_interior(o: OpArgs, h: u32, w: u32, sb: u32, db: u32, lid: u32) -> vec3<u32> {
    return border_or_interior(false, h, w, sb, db, lid);
}

// fill_holes: the 0-cells of regions (4-connected) not touching the border
// take the majority color around the region, if any.
fn op_fill_holes(o: OpArgs, h: u32, w: u32, sb: u32, db: u32, lid: u32) -> vec3<u32> {
    for (var k = lid; k < h * w; k += WG) {
        var v = grid[sb + k];
        if (v == 0u) {
            let r = root_of(k);
            let m = atomicLoad(&cnt[r]);
            if ((atomicLoad(&lab[r]) & BORDER_BIT) == 0u && ((m >> 12u) & 4095u) != 0u) {
                v = (m >> 24u) & 15u;
            }
        }
        grid[db + k] = v;
    }
    workgroupBarrier();
    return ok(h, w);
}

// color_boxes: the bounding box of each non-0 color c in cnt[4c..4c+3]
// (r0, c0 by atomicMin, r1, c1 by atomicMax; r0 = NONE while c is absent);
// then each 0-cell takes the smallest color whose box holds it.
fn op_color_boxes(o: OpArgs, h: u32, w: u32, sb: u32, db: u32, lid: u32) -> vec3<u32> {
    for (var k = lid; k < 40u; k += WG) {
        atomicStore(&cnt[k], select(0u, NONE, k % 4u < 2u));
    }
    workgroupBarrier();
    for (var k = lid; k < h * w; k += WG) {
        let v = grid[sb + k];
        if (v != 0u) {
            atomicMin(&cnt[4u * v], k / w);
            atomicMin(&cnt[4u * v + 1u], k % w);
            atomicMax(&cnt[4u * v + 2u], k / w);
            atomicMax(&cnt[4u * v + 3u], k % w);
        }
    }
    workgroupBarrier();
    for (var k = lid; k < h * w; k += WG) {
        var v = grid[sb + k];
        if (v == 0u) {
            let i = k / w;
            let j = k % w;
            for (var c = 1u; c < 10u; c++) {
                if (i >= atomicLoad(&cnt[4u * c]) && i <= atomicLoad(&cnt[4u * c + 2u])
                    && j >= atomicLoad(&cnt[4u * c + 1u]) && j <= atomicLoad(&cnt[4u * c + 3u])) {
                    v = c;
                    break;
                }
            }
        }
        grid[db + k] = v;
    }
    workgroupBarrier();
    return ok(h, w);
}

// bbox_fill: each 0-cell takes the majority color of the first object (the
// smallest root) whose bounding box holds it. The objects' roots are listed
// in grid[db + slot] (free until the output is written); one thread per
// row goes through them and marks the 0-cells of its row inside each box
// with the smallest root (lab of a 0-cell is NONE: it belongs to no
// object); then every cell reads its mark.
fn op_bbox_fill(o: OpArgs, h: u32, w: u32, sb: u32, db: u32, lid: u32) -> vec3<u32> {
    let n = h * w;
    if (lid == 0u) {
        atomicStore(&red[0], 0u);
    }
    workgroupBarrier();
    for (var k = lid; k < n; k += WG) {
        if (is_root(k)) {
            grid[db + atomicAdd(&red[0], 1u)] = k;
        }
    }
    workgroupBarrier();
    let objects = atomicLoad(&red[0]);
    for (var i = lid; i < h; i += WG) {
        for (var q = 0u; q < objects; q++) {
            let r = grid[db + q];
            let b = piece_box(r, w);
            if (i < b.x || i > b.y) {
                continue;
            }
            for (var j = b.z; j <= b.w; j++) {
                let k = i * w + j;
                if (grid[sb + k] == 0u && r < atomicLoad(&lab[k])) {
                    atomicStore(&lab[k], r);
                }
            }
        }
    }
    workgroupBarrier();
    for (var k = lid; k < n; k += WG) {
        var v = grid[sb + k];
        let l = atomicLoad(&lab[k]);
        if (v == 0u && l != NONE) {
            v = (atomicLoad(&cnt[l]) >> 24u) & 15u;
        }
        grid[db + k] = v;
    }
    workgroupBarrier();
    return ok(h, w);
}

fn op_halo4(o: OpArgs, h: u32, w: u32, sb: u32, db: u32, lid: u32) -> vec3<u32> {
    let cb = o.c1;
    for (var k = lid; k < h * w; k += WG) {
        let i = k / w;
        let j = k % w;
        let v = grid[sb + k];
        let touch = v == cb
            && ((i > 0u && grid[sb + k - w] != cb)
                || (i + 1u < h && grid[sb + k + w] != cb)
                || (j > 0u && grid[sb + k - 1u] != cb)
                || (j + 1u < w && grid[sb + k + 1u] != cb));
        grid[db + k] = select(v, o.c0, touch);
    }
    workgroupBarrier();
    return ok(h, w);
}

fn op_frame(o: OpArgs, h: u32, w: u32, sb: u32, db: u32, lid: u32) -> vec3<u32> {
    let oh = h + 2u;
    let ow = w + 2u;
    if (!fits(oh, ow)) {
        return INVALID;
    }
    for (var k = lid; k < oh * ow; k += WG) {
        let i = k / ow;
        let j = k % ow;
        if (i == 0u || j == 0u || i == oh - 1u || j == ow - 1u) {
            grid[db + k] = o.c0;
        } else {
            grid[db + k] = grid[sb + (i - 1u) * w + j - 1u];
        }
    }
    workgroupBarrier();
    return ok(oh, ow);
}

// compress (dedup = false: the rows / columns not all of color c) and dedup
// (the first line and every line differing from the previous one): line r
// (rows 0..h, columns h..h+w) has lab[r] = 1 when kept; cnt[p] (rows) and
// cnt[32 + p] (columns) = the p-th kept line; the output gathers them.
fn keep_lines(dedup: bool, c: u32, h: u32, w: u32, sb: u32, db: u32, lid: u32) -> vec3<u32> {
    for (var r = lid; r < h + w; r += WG) {
        var keep = false;
        if (r < h) {
            for (var j = 0u; j < w; j++) {
                let v = grid[sb + r * w + j];
                keep = keep || select(v != c, r == 0u || v != grid[sb + (r - 1u) * w + j], dedup);
            }
        } else {
            let j = r - h;
            for (var i = 0u; i < h; i++) {
                let v = grid[sb + i * w + j];
                keep = keep || select(v != c, j == 0u || v != grid[sb + i * w + j - 1u], dedup);
            }
        }
        atomicStore(&lab[r], select(0u, 1u, keep));
    }
    workgroupBarrier();
    for (var r = lid; r < h + w; r += WG) {
        if (atomicLoad(&lab[r]) == 0u) {
            continue;
        }
        let lo = select(h, 0u, r < h);
        var p = 0u;
        for (var q = lo; q < r; q++) {
            p += atomicLoad(&lab[q]);
        }
        atomicStore(&cnt[select(32u, 0u, r < h) + p], r - lo);
    }
    if (lid == 0u) {
        var nr = 0u;
        var nc = 0u;
        for (var r = 0u; r < h + w; r++) {
            if (r < h) {
                nr += atomicLoad(&lab[r]);
            } else {
                nc += atomicLoad(&lab[r]);
            }
        }
        wg_u4 = vec4<u32>(nr, nc, 0u, 0u);
    }
    workgroupBarrier();
    let s = workgroupUniformLoad(&wg_u4);
    if (s.x == 0u || s.y == 0u) {
        return INVALID;
    }
    for (var k = lid; k < s.x * s.y; k += WG) {
        let i = atomicLoad(&cnt[k / s.y]);
        let j = atomicLoad(&cnt[32u + k % s.y]);
        grid[db + k] = grid[sb + i * w + j];
    }
    workgroupBarrier();
    return ok(s.x, s.y);
}

fn op_compress(o: OpArgs, h: u32, w: u32, sb: u32, db: u32, lid: u32) -> vec3<u32> {
    return keep_lines(false, o.c0, h, w, sb, db, lid);
}

fn op_dedup(o: OpArgs, h: u32, w: u32, sb: u32, db: u32, lid: u32) -> vec3<u32> {
    return keep_lines(true, 0u, h, w, sb, db, lid);
}

// spread: lab[k] = distance << 10 | nearest source (prelude), NONE where no
// source is reachable.
fn op_spread(o: OpArgs, h: u32, w: u32, sb: u32, db: u32, lid: u32) -> vec3<u32> {
    for (var k = lid; k < h * w; k += WG) {
        let l = atomicLoad(&lab[k]);
        grid[db + k] = grid[sb + select(l & ROOT_MASK, k, l == NONE)];
    }
    workgroupBarrier();
    return ok(h, w);
}

fn op_majority(o: OpArgs, h: u32, w: u32, sb: u32, db: u32, lid: u32) -> vec3<u32> {
    let s = workgroupUniformLoad(&wg_pre);
    if (s.y == NONE) {
        return INVALID;
    }
    if (lid == 0u) {
        grid[db] = s.y;
    }
    workgroupBarrier();
    return ok(1u, 1u);
}

// palette: color counts by `histogram` (common.wgsl); thread 0 publishes
// how many colors are present; each color present writes itself at its
// rank (colors with more cells, or as many and smaller, come first).
fn op_palette(o: OpArgs, h: u32, w: u32, sb: u32, db: u32, lid: u32) -> vec3<u32> {
    histogram(sb, h * w, lid);
    if (lid == 0u) {
        var n = 0u;
        for (var c = 1u; c < 10u; c++) {
            n += select(0u, 1u, atomicLoad(&hist[c]) > 0u);
        }
        wg_u4 = vec4<u32>(n, 0u, 0u, 0u);
    }
    let n = workgroupUniformLoad(&wg_u4).x;
    if (n == 0u) {
        return INVALID;
    }
    for (var c = lid + 1u; c < 10u; c += WG) {
        let m = atomicLoad(&hist[c]);
        if (m > 0u) {
            var r = 0u;
            for (var d = 1u; d < 10u; d++) {
                let md = atomicLoad(&hist[d]);
                r += select(0u, 1u, md > m || (md == m && d < c));
            }
            grid[db + r] = c;
        }
    }
    workgroupBarrier();
    return ok(n, 1u);
}

fn op_count(o: OpArgs, h: u32, w: u32, sb: u32, db: u32, lid: u32) -> vec3<u32> {
    let s = workgroupUniformLoad(&wg_pre);
    var oh = s.x;
    var ow = s.x;
    if (u32(o.a1) == SHAPE_ROW) {
        oh = 1u;
    } else if (u32(o.a1) == SHAPE_COL) {
        ow = 1u;
    }
    if (s.y == NONE || !fits(oh, ow)) {
        return INVALID;
    }
    for (var k = lid; k < oh * ow; k += WG) {
        grid[db + k] = s.y;
    }
    workgroupBarrier();
    return ok(oh, ow);
}

fn op_upscale_by(o: OpArgs, h: u32, w: u32, sb: u32, db: u32, lid: u32) -> vec3<u32> {
    let f = workgroupUniformLoad(&wg_pre).x;
    let oh = h * f;
    let ow = w * f;
    if (!fits(oh, ow)) {
        return INVALID;
    }
    for (var k = lid; k < oh * ow; k += WG) {
        grid[db + k] = grid[sb + (k / ow / f) * w + (k % ow) / f];
    }
    workgroupBarrier();
    return ok(oh, ow);
}

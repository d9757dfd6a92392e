// ops_layout.wgsl: the GPU twins of src/lang/interp/layout.rs.

fn op_upscale(o: OpArgs, h: u32, w: u32, sb: u32, db: u32, lid: u32) -> vec3<u32> {
    let kh = u32(o.a0);
    let kw = u32(o.a1);
    let oh = h * kh;
    let ow = w * kw;
    if (!fits(oh, ow)) {
        return INVALID;
    }
    for (var k = lid; k < oh * ow; k += WG) {
        let i = k / ow;
        let j = k % ow;
        grid[db + k] = grid[sb + (i / kh) * w + j / kw];
    }
    workgroupBarrier();
    return ok(oh, ow);
}

fn op_downscale(o: OpArgs, h: u32, w: u32, sb: u32, db: u32, lid: u32) -> vec3<u32> {
    let kh = u32(o.a0);
    let kw = u32(o.a1);
    if (h % kh != 0u || w % kw != 0u) {
        return INVALID;
    }
    let oh = h / kh;
    let ow = w / kw;
    for (var k = lid; k < oh * ow; k += WG) {
        let i = k / ow;
        let j = k % ow;
        grid[db + k] = grid[sb + (i * kh) * w + j * kw];
    }
    workgroupBarrier();
    return ok(oh, ow);
}

fn op_tile(o: OpArgs, h: u32, w: u32, sb: u32, db: u32, lid: u32) -> vec3<u32> {
    let oh = h * u32(o.a0);
    let ow = w * u32(o.a1);
    if (!fits(oh, ow)) {
        return INVALID;
    }
    for (var k = lid; k < oh * ow; k += WG) {
        let i = k / ow;
        let j = k % ow;
        grid[db + k] = grid[sb + (i % h) * w + j % w];
    }
    workgroupBarrier();
    return ok(oh, ow);
}

fn op_mirror_tile(o: OpArgs, h: u32, w: u32, sb: u32, db: u32, lid: u32) -> vec3<u32> {
    let oh = 2u * h;
    let ow = 2u * w;
    if (!fits(oh, ow)) {
        return INVALID;
    }
    for (var k = lid; k < oh * ow; k += WG) {
        let i = k / ow;
        let j = k % ow;
        let si = select(2u * h - 1u - i, i, i < h);
        let sj = select(2u * w - 1u - j, j, j < w);
        grid[db + k] = grid[sb + si * w + sj];
    }
    workgroupBarrier();
    return ok(oh, ow);
}

fn op_hcat(o: OpArgs, h: u32, w: u32, sb: u32, db: u32, lid: u32) -> vec3<u32> {
    let t = u32(o.a0);
    let s = transform_size(t, h, w);
    let ow = w + s.y;
    if (s.x != h || !fits(h, ow)) {
        return INVALID;
    }
    for (var k = lid; k < h * ow; k += WG) {
        let i = k / ow;
        let j = k % ow;
        if (j < w) {
            grid[db + k] = grid[sb + i * w + j];
        } else {
            let src = transform_src(t, h, w, i, j - w);
            grid[db + k] = grid[sb + src.x * w + src.y];
        }
    }
    workgroupBarrier();
    return ok(h, ow);
}

fn op_vcat(o: OpArgs, h: u32, w: u32, sb: u32, db: u32, lid: u32) -> vec3<u32> {
    let t = u32(o.a0);
    let s = transform_size(t, h, w);
    let oh = h + s.x;
    if (s.y != w || !fits(oh, w)) {
        return INVALID;
    }
    for (var k = lid; k < oh * w; k += WG) {
        let i = k / w;
        let j = k % w;
        if (i < h) {
            grid[db + k] = grid[sb + i * w + j];
        } else {
            let src = transform_src(t, h, w, i - h, j);
            grid[db + k] = grid[sb + src.x * w + src.y];
        }
    }
    workgroupBarrier();
    return ok(oh, w);
}

fn op_crop(o: OpArgs, h: u32, w: u32, sb: u32, db: u32, lid: u32) -> vec3<u32> {
    let r = u32(o.a0);
    let c = u32(o.a1);
    let oh = u32(o.a2);
    let ow = u32(o.a3);
    if (r + oh > h || c + ow > w) {
        return INVALID;
    }
    return crop_to(vec4<u32>(r, r + oh - 1u, c, c + ow - 1u), w, sb, db, lid);
}

fn op_trim(o: OpArgs, h: u32, w: u32, sb: u32, db: u32, lid: u32) -> vec3<u32> {
    if (h < 3u || w < 3u) {
        return INVALID;
    }
    return crop_to(vec4<u32>(1u, h - 2u, 1u, w - 2u), w, sb, db, lid);
}

fn op_crop_bbox(o: OpArgs, h: u32, w: u32, sb: u32, db: u32, lid: u32) -> vec3<u32> {
    let b = bbox(false, o.c0, h, w, sb, lid);
    return crop_to(b, w, sb, db, lid);
}

fn op_split_h(o: OpArgs, h: u32, w: u32, sb: u32, db: u32, lid: u32) -> vec3<u32> {
    let s = split_part(w, u32(o.a0), u32(o.a1));
    if (s.x == 0u) {
        return INVALID;
    }
    return crop_to(vec4<u32>(0u, h - 1u, s.z, s.z + s.y - 1u), w, sb, db, lid);
}

fn op_split_v(o: OpArgs, h: u32, w: u32, sb: u32, db: u32, lid: u32) -> vec3<u32> {
    let s = split_part(h, u32(o.a0), u32(o.a1));
    if (s.x == 0u) {
        return INVALID;
    }
    return crop_to(vec4<u32>(s.z, s.z + s.y - 1u, 0u, w - 1u), w, sb, db, lid);
}

fn op_shift(o: OpArgs, h: u32, w: u32, sb: u32, db: u32, lid: u32) -> vec3<u32> {
    for (var k = lid; k < h * w; k += WG) {
        let si = i32(k / w) - o.a0;
        let sj = i32(k % w) - o.a1;
        if (si >= 0 && sj >= 0 && u32(si) < h && u32(sj) < w) {
            grid[db + k] = grid[sb + u32(si) * w + u32(sj)];
        } else {
            grid[db + k] = o.c2;
        }
    }
    workgroupBarrier();
    return ok(h, w);
}

fn op_pad(o: OpArgs, h: u32, w: u32, sb: u32, db: u32, lid: u32) -> vec3<u32> {
    let oh = u32(o.a0);
    let ow = u32(o.a1);
    if (!fits(oh, ow)) {
        return INVALID;
    }
    for (var k = lid; k < oh * ow; k += WG) {
        let i = k / ow;
        let j = k % ow;
        if (i < h && j < w) {
            grid[db + k] = grid[sb + i * w + j];
        } else {
            grid[db + k] = o.c2;
        }
    }
    workgroupBarrier();
    return ok(oh, ow);
}

fn op_resize(o: OpArgs, h: u32, w: u32, sb: u32, db: u32, lid: u32) -> vec3<u32> {
    let oh = u32(o.a0);
    let ow = u32(o.a1);
    if (!fits(oh, ow)) {
        return INVALID;
    }
    for (var k = lid; k < oh * ow; k += WG) {
        let i = k / ow;
        let j = k % ow;
        grid[db + k] = grid[sb + (i * h / oh) * w + j * w / ow];
    }
    workgroupBarrier();
    return ok(oh, ow);
}

// period: the smallest row period p (every row i >= p equals row i - p) and
// column period q; one thread per candidate p (t < h) or q (t >= h) checks
// it and the smallest valid one wins by atomicMin (cnt[0], cnt[1]); then
// the top-left p x q tile is copied.
fn op_period(o: OpArgs, h: u32, w: u32, sb: u32, db: u32, lid: u32) -> vec3<u32> {
    if (lid == 0u) {
        atomicStore(&cnt[0], h);
        atomicStore(&cnt[1], w);
    }
    workgroupBarrier();
    for (var t = lid; t < h + w; t += WG) {
        if (t < h) {
            let p = t + 1u;
            if (p < h) {
                var same = true;
                for (var k = p * w; k < h * w; k++) {
                    if (grid[sb + k] != grid[sb + k - p * w]) {
                        same = false;
                        break;
                    }
                }
                if (same) {
                    atomicMin(&cnt[0], p);
                }
            }
        } else {
            let q = t - h + 1u;
            if (q < w) {
                var same = true;
                for (var i = 0u; i < h && same; i++) {
                    for (var j = q; j < w; j++) {
                        if (grid[sb + i * w + j] != grid[sb + i * w + j - q]) {
                            same = false;
                            break;
                        }
                    }
                }
                if (same) {
                    atomicMin(&cnt[1], q);
                }
            }
        }
    }
    workgroupBarrier();
    if (lid == 0u) {
        wg_u4 = vec4<u32>(atomicLoad(&cnt[0]), atomicLoad(&cnt[1]), 0u, 0u);
    }
    let pq = workgroupUniformLoad(&wg_u4);
    if (pq.x == h && pq.y == w) {
        return INVALID;
    }
    for (var k = lid; k < pq.x * pq.y; k += WG) {
        grid[db + k] = grid[sb + (k / pq.y) * w + k % pq.y];
    }
    workgroupBarrier();
    return ok(pq.x, pq.y);
}

// crop_frame: the inside of the largest rectangle (at least 3 x 3) whose
// border cells all have one non-0 color; ties: the top-left corner first in
// row-major order, then the taller. The runs of equal cells rightwards
// (lab) and downwards (cnt) from every cell are computed first, one thread
// per row or column; then each thread searches from its top-left corners in
// the CPU's order (by decreasing height, then width, skipping rectangles no
// larger than its best so far) and the best key (area, then the smaller
// corner) wins by atomicMax.
fn op_crop_frame(o: OpArgs, h: u32, w: u32, sb: u32, db: u32, lid: u32) -> vec3<u32> {
    if (h < 3u || w < 3u) {
        return INVALID;
    }
    if (lid == 0u) {
        atomicStore(&red[0], 0u);
        wg_u4 = vec4<u32>(NONE);
    }
    for (var i = lid; i < h; i += WG) {
        var run = 1u;
        atomicStore(&lab[i * w + w - 1u], 1u);
        for (var j = w - 1u; j > 0u; j--) {
            let k = i * w + j - 1u;
            run = select(1u, run + 1u, grid[sb + k] == grid[sb + k + 1u]);
            atomicStore(&lab[k], run);
        }
    }
    for (var j = lid; j < w; j += WG) {
        var run = 1u;
        atomicStore(&cnt[(h - 1u) * w + j], 1u);
        for (var i = h - 1u; i > 0u; i--) {
            let k = (i - 1u) * w + j;
            run = select(1u, run + 1u, grid[sb + k] == grid[sb + k + w]);
            atomicStore(&cnt[k], run);
        }
    }
    workgroupBarrier();
    var best = 0u;
    var rect = vec4<u32>(NONE);
    for (var k = lid; k < h * w; k += WG) {
        let r0 = k / w;
        let c0 = k % w;
        let mw = atomicLoad(&lab[k]);
        let mh = atomicLoad(&cnt[k]);
        if (r0 + 2u >= h || c0 + 2u >= w || grid[sb + k] == 0u || mw < 3u || mh < 3u || mw * mh <= best) {
            continue;
        }
        for (var fh = mh; fh >= 3u; fh--) {
            if (fh * mw <= best) {
                break;
            }
            for (var fw = mw; fw >= 3u; fw--) {
                if (fh * fw <= best) {
                    break;
                }
                if (atomicLoad(&lab[(r0 + fh - 1u) * w + c0]) >= fw && atomicLoad(&cnt[r0 * w + c0 + fw - 1u]) >= fh) {
                    best = fh * fw;
                    rect = vec4<u32>(r0, c0, fh, fw);
                    break;
                }
            }
        }
    }
    // Key: area, then the smaller corner (rect's corner is the thread's
    // first corner reaching its best area).
    var key = 0u;
    if (best > 0u) {
        key = (best << 10u) | (1023u - (rect.x * w + rect.y));
        atomicMax(&red[0], key);
    }
    workgroupBarrier();
    if (key != 0u && key == atomicLoad(&red[0])) {
        wg_u4 = rect;
    }
    let b = workgroupUniformLoad(&wg_u4);
    if (b.x == NONE) {
        return INVALID;
    }
    let oh = b.z - 2u;
    let ow = b.w - 2u;
    for (var k = lid; k < oh * ow; k += WG) {
        grid[db + k] = grid[sb + (b.x + 1u + k / ow) * w + b.y + 1u + k % ow];
    }
    workgroupBarrier();
    return ok(oh, ow);
}

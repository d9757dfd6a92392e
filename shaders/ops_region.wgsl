// ops_region.wgsl: the GPU twins of src/lang/interp/region.rs.

// fill_enclosed: the prelude has labelled the 4-connected components of
// b-cells and flagged those with a cell on the border (they reach it).
fn op_fill_enclosed(o: OpArgs, h: u32, w: u32, sb: u32, db: u32, lid: u32) -> vec3<u32> {
    for (var k = lid; k < h * w; k += WG) {
        let v = grid[sb + k];
        let enclosed = v == o.c1 && (atomicLoad(&lab[root_of(k)]) & BORDER_BIT) == 0u;
        grid[db + k] = select(v, o.c0, enclosed);
    }
    workgroupBarrier();
    return ok(h, w);
}

// flood: the prelude labels the 4-connected components of b-cells; every
// a-cell marks (SEL_BIT) the roots of the components next to it, and the
// cells of marked components become a.
fn op_flood(o: OpArgs, h: u32, w: u32, sb: u32, db: u32, lid: u32) -> vec3<u32> {
    for (var k = lid; k < h * w; k += WG) {
        if (grid[sb + k] == o.c0) {
            let i = k / w;
            let j = k % w;
            if (i > 0u) {
                flood_mark(k - w);
            }
            if (i + 1u < h) {
                flood_mark(k + w);
            }
            if (j > 0u) {
                flood_mark(k - 1u);
            }
            if (j + 1u < w) {
                flood_mark(k + 1u);
            }
        }
    }
    workgroupBarrier();
    for (var k = lid; k < h * w; k += WG) {
        let v = grid[sb + k];
        let hit = v == o.c1 && (atomicLoad(&lab[root_of(k)]) & SEL_BIT) != 0u;
        grid[db + k] = select(v, o.c0, hit);
    }
    workgroupBarrier();
    return ok(h, w);
}

// Marks the component of cell n (a b-cell: labelled) as reached by flood.
fn flood_mark(n: u32) {
    let l = atomicLoad(&lab[n]);
    if (l != NONE) {
        atomicOr(&lab[l & ROOT_MASK], SEL_BIT);
    }
}

fn op_halo(o: OpArgs, h: u32, w: u32, sb: u32, db: u32, lid: u32) -> vec3<u32> {
    for (var k = lid; k < h * w; k += WG) {
        let i = k / w;
        let j = k % w;
        let v = grid[sb + k];
        var touch = false;
        if (v == o.c1) {
            for (var di = -1; di <= 1; di++) {
                for (var dj = -1; dj <= 1; dj++) {
                    let ni = i32(i) + di;
                    let nj = i32(j) + dj;
                    if ((di != 0 || dj != 0)
                        && ni >= 0
                        && nj >= 0
                        && u32(ni) < h
                        && u32(nj) < w
                        && grid[sb + u32(ni) * w + u32(nj)] != o.c1) {
                        touch = true;
                    }
                }
            }
        }
        grid[db + k] = select(v, o.c0, touch);
    }
    workgroupBarrier();
    return ok(h, w);
}

// gravity: one thread per column (up/down) or row (left/right); the line
// is first filled with b, then the cells != b are written in order.
fn op_gravity(o: OpArgs, h: u32, w: u32, sb: u32, db: u32, lid: u32) -> vec3<u32> {
    let dir = u32(o.a0);
    let cb = o.c1;
    if (dir == DIR4_UP || dir == DIR4_DOWN) {
        for (var j = lid; j < w; j += WG) {
            for (var i = 0u; i < h; i++) {
                grid[db + i * w + j] = cb;
            }
            var k = 0u;
            if (dir == DIR4_UP) {
                for (var i = 0u; i < h; i++) {
                    let v = grid[sb + i * w + j];
                    if (v != cb) {
                        grid[db + k * w + j] = v;
                        k++;
                    }
                }
            } else {
                for (var r = 0u; r < h; r++) {
                    let i = h - 1u - r;
                    let v = grid[sb + i * w + j];
                    if (v != cb) {
                        grid[db + (h - 1u - k) * w + j] = v;
                        k++;
                    }
                }
            }
        }
    } else {
        for (var i = lid; i < h; i += WG) {
            for (var j = 0u; j < w; j++) {
                grid[db + i * w + j] = cb;
            }
            var k = 0u;
            if (dir == DIR4_LEFT) {
                for (var j = 0u; j < w; j++) {
                    let v = grid[sb + i * w + j];
                    if (v != cb) {
                        grid[db + i * w + k] = v;
                        k++;
                    }
                }
            } else {
                for (var r = 0u; r < w; r++) {
                    let j = w - 1u - r;
                    let v = grid[sb + i * w + j];
                    if (v != cb) {
                        grid[db + i * w + (w - 1u - k)] = v;
                        k++;
                    }
                }
            }
        }
    }
    workgroupBarrier();
    return ok(h, w);
}

// object: the prelude has labelled every cell != b with the smallest
// row-major index of its 8-connected component (NONE for b-cells) and zeroed
// cnt; pick the largest / smallest component (ties: the smallest label,
// i.e. the component whose first cell comes first) and crop to its bounding
// box. Contains barriers.
fn op_object(o: OpArgs, h: u32, w: u32, sb: u32, db: u32, lid: u32) -> vec3<u32> {
    let smallest = u32(o.a0) == SEL_SMALLEST;
    let n = h * w;
    // Cells per component, counted at its label (its first cell).
    for (var k = lid; k < n; k += WG) {
        let l = atomicLoad(&lab[k]);
        if (l != NONE) {
            atomicAdd(&cnt[l & ROOT_MASK], 1u);
        }
    }
    if (lid == 0u) {
        atomicStore(&red[0], select(0u, NONE, smallest));
    }
    workgroupBarrier();
    // Best component: key = size and label, packed so that one atomic
    // min / max picks the size first and the smaller label on ties.
    for (var k = lid; k < n; k += WG) {
        if (!is_root(k)) {
            continue;
        }
        let size = atomicLoad(&cnt[k]);
        if (smallest) {
            atomicMin(&red[0], (size << 10u) | k);
        } else {
            atomicMax(&red[0], (size << 10u) | (1023u - k));
        }
    }
    workgroupBarrier();
    if (lid == 0u) {
        wg_u4 = vec4<u32>(atomicLoad(&red[0]), 0u, 0u, 0u);
    }
    let key = workgroupUniformLoad(&wg_u4).x;
    if ((smallest && key == NONE) || (!smallest && key == 0u)) {
        return INVALID;
    }
    var best = key & 1023u;
    if (!smallest) {
        best = 1023u - best;
    }
    let b = bbox_label(best, h, w, lid);
    return crop_to(b, w, sb, db, lid);
}

// halves: A and B are the two halves (`split 2`), B at offset `off` along
// the split dimension; out has A's size.
fn halves(o: OpArgs, horizontal: bool, h: u32, w: u32, sb: u32, db: u32, lid: u32) -> vec3<u32> {
    var s = vec3<u32>(0u);
    if (horizontal) {
        s = split_part(w, 2u, 1u);
    } else {
        s = split_part(h, 2u, 1u);
    }
    if (s.x == 0u) {
        return INVALID;
    }
    var oh = h;
    var ow = w;
    if (horizontal) {
        ow = s.y;
    } else {
        oh = s.y;
    }
    for (var k = lid; k < oh * ow; k += WG) {
        let i = k / ow;
        let j = k % ow;
        let av = grid[sb + i * w + j] != 0u;
        var bv = false;
        if (horizontal) {
            bv = grid[sb + i * w + j + s.z] != 0u;
        } else {
            bv = grid[sb + (i + s.z) * w + j] != 0u;
        }
        grid[db + k] = select(0u, o.c1, logic(o.a0, av, bv));
    }
    workgroupBarrier();
    return ok(oh, ow);
}

fn logic(l: i32, a: bool, b: bool) -> bool {
    switch u32(l) {
        case LOGIC_AND: { return a && b; }
        case LOGIC_OR: { return a || b; }
        case LOGIC_XOR: { return a != b; }
        case LOGIC_NOR: { return !(a || b); }
        case LOGIC_LEFT: { return a && !b; }
        default: { return b && !a; }
    }
}

fn op_halves_h(o: OpArgs, h: u32, w: u32, sb: u32, db: u32, lid: u32) -> vec3<u32> {
    return halves(o, true, h, w, sb, db, lid);
}

fn op_halves_v(o: OpArgs, h: u32, w: u32, sb: u32, db: u32, lid: u32) -> vec3<u32> {
    return halves(o, false, h, w, sb, db, lid);
}

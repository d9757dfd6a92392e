// ops_pattern.wgsl: the GPU twins of src/lang/interp/pattern.rs. The search
// of `repair` (`repair_grid` below: candidate symmetries, consistency,
// rounds) is shared by repair and repair_crop, so it runs in the prelude
// (prelude.wgsl), which leaves the repaired grid in lab.

fn op_outer(o: OpArgs, h: u32, w: u32, sb: u32, db: u32, lid: u32) -> vec3<u32> {
    let oh = h * h;
    let ow = w * w;
    if (!fits(oh, ow)) {
        return INVALID;
    }
    let m = u32(o.a0);
    for (var k = lid; k < oh * ow; k += WG) {
        let i = k / ow;
        let j = k % ow;
        let b = grid[sb + (i / h) * w + j / w];
        let v = grid[sb + (i % h) * w + j % w];
        var c = 0u;
        switch m {
            case OUTER_SELF: { c = select(0u, v, b != 0u); }
            case OUTER_INV: { c = select(0u, v, b == 0u); }
            default: { c = select(0u, b, v != 0u); }
        }
        grid[db + k] = c;
    }
    workgroupBarrier();
    return ok(oh, ow);
}

// panels_h / panels_v: the n parts of split n (part p at offset p * stride
// along the split dimension), each cell the first non-0 value among them in
// order.
fn panels(o: OpArgs, horizontal: bool, h: u32, w: u32, sb: u32, db: u32, lid: u32) -> vec3<u32> {
    let n = u32(o.a0);
    let len = select(h, w, horizontal);
    let s = split_part(len, n, 0u);
    if (s.x == 0u) {
        return INVALID;
    }
    let stride = select(s.y + 1u, s.y, len % n == 0u);
    let oh = select(s.y, h, horizontal);
    let ow = select(w, s.y, horizontal);
    let back = u32(o.a1) == ORDER_BACK;
    for (var k = lid; k < oh * ow; k += WG) {
        let i = k / ow;
        let j = k % ow;
        var c = 0u;
        for (var q = 0u; q < n; q++) {
            let off = select(q, n - 1u - q, back) * stride;
            var v = 0u;
            if (horizontal) {
                v = grid[sb + i * w + j + off];
            } else {
                v = grid[sb + (i + off) * w + j];
            }
            if (v != 0u) {
                c = v;
                break;
            }
        }
        grid[db + k] = c;
    }
    workgroupBarrier();
    return ok(oh, ow);
}

fn op_panels_h(o: OpArgs, h: u32, w: u32, sb: u32, db: u32, lid: u32) -> vec3<u32> {
    return panels(o, true, h, w, sb, db, lid);
}

fn op_panels_v(o: OpArgs, h: u32, w: u32, sb: u32, db: u32, lid: u32) -> vec3<u32> {
    return panels(o, false, h, w, sb, db, lid);
}

fn op_repair(o: OpArgs, h: u32, w: u32, sb: u32, db: u32, lid: u32) -> vec3<u32> {
    for (var k = lid; k < h * w; k += WG) {
        grid[db + k] = atomicLoad(&lab[k]);
    }
    workgroupBarrier();
    return ok(h, w);
}

// repair_crop: the repaired grid cropped to the bounding box of the cells
// that were c (the prelude has made sure there is one).
fn op_repair_crop(o: OpArgs, h: u32, w: u32, sb: u32, db: u32, lid: u32) -> vec3<u32> {
    let b = bbox(true, o.c0, h, w, sb, lid);
    if (b.x == NONE) {
        return INVALID;
    }
    let oh = b.y - b.x + 1u;
    let ow = b.w - b.z + 1u;
    for (var k = lid; k < oh * ow; k += WG) {
        grid[db + k] = atomicLoad(&lab[(b.x + k / ow) * w + b.z + k % ow]);
    }
    workgroupBarrier();
    return ok(oh, ow);
}

// ---------------------------------------------------------------- repair
//
// cnt during repair: bits of the kept candidates (t / 32, at most 67 words),
// then, at REP_SUMMARY, a bit per non-zero word of those; at REP_SHIFTS,
// the number of translations of length <= L for L = 0..=58; at REP_ROWS and
// REP_COLS, the grid's rows and columns packed eight cells to a word (cell
// q of a line in bits 4q..4q+3 of word q / 8; cells past the line's end are
// c), so that a candidate's consistency costs one vector step per row.

const REP_SUMMARY: u32 = 72u;
const REP_SHIFTS: u32 = 80u;
const REP_ROWS: u32 = 160u;
const REP_COLS: u32 = 280u;

// A cell map of `repair`: image(i, j) = (s1 * j + o1, s2 * i + o2) when
// `swap`, else (s1 * i + o1, s2 * j + o2). Every candidate symmetry is one
// (its inverse, used backwards, is another).
struct Affine {
    swap: bool,
    s1: i32,
    s2: i32,
    o1: i32,
    o2: i32,
}

// Candidate t of `pattern::candidate_syms`: (forward, backward, has images).
struct Sym {
    fwd: Affine,
    back: Affine,
    ok: bool,
}

fn image(f: Affine, i: i32, j: i32) -> vec2<i32> {
    if (f.swap) {
        return vec2<i32>(f.s1 * j + f.o1, f.s2 * i + f.o2);
    }
    return vec2<i32>(f.s1 * i + f.o1, f.s2 * j + f.o2);
}

// Number of candidates on an h x w grid (`candidate_syms`).
fn sym_count(h: i32, w: i32) -> u32 {
    return u32(max(0, 2 * w - 3) + max(0, 2 * h - 3) + (h + w - 1) + max(0, h + w - 3) + 162 + h * (2 * w - 1) - w);
}

// Translations of length l (|dy| + |dx|): dy in lo..=hi with lo = max(0,
// l - w + 1), hi = min(l, h - 1), two each (dx = -(l - dy), then l - dy) but
// one for dy = 0 (dx = l) and for dy = l (dx = 0). Returns (lo, hi, count).
fn shifts_of_length(l: i32, h: i32, w: i32) -> vec3<i32> {
    let lo = max(0, l - w + 1);
    let hi = min(l, h - 1);
    if (lo > hi) {
        return vec3<i32>(lo, hi, 0);
    }
    return vec3<i32>(lo, hi, 2 * (hi - lo + 1) - select(0, 1, lo == 0) - select(0, 1, hi == l));
}

// Candidate t, in the order of `candidate_syms`: reflections in vertical,
// horizontal, diagonal and anti-diagonal lines, half and quarter turns about
// the 81 centres near the grid's centre, then translations sorted by
// (|dy| + |dx|, dy, dx) (their length found by binary search in the table
// at REP_SHIFTS).
fn sym_at(t: u32, h: i32, w: i32) -> Sym {
    var u = i32(t);
    var s: Sym;
    s.ok = true;
    let nfh = max(0, 2 * w - 3);
    if (u < nfh) {
        s.fwd = Affine(false, 1, -1, 0, u + 1);
        s.back = s.fwd;
        return s;
    }
    u -= nfh;
    let nfv = max(0, 2 * h - 3);
    if (u < nfv) {
        s.fwd = Affine(false, -1, 1, u + 1, 0);
        s.back = s.fwd;
        return s;
    }
    u -= nfv;
    if (u < h + w - 1) {
        let d = u - (w - 1);
        s.fwd = Affine(true, 1, 1, d, -d);
        s.back = s.fwd;
        return s;
    }
    u -= h + w - 1;
    let nan = max(0, h + w - 3);
    if (u < nan) {
        s.fwd = Affine(true, -1, -1, u + 1, u + 1);
        s.back = s.fwd;
        return s;
    }
    u -= nan;
    if (u < 162) {
        let v = u % 81;
        let b = h - 1 + v / 9 - 4;
        let a = w - 1 + v % 9 - 4;
        if (u < 81) {
            s.fwd = Affine(false, -1, -1, b, a);
            s.back = s.fwd;
        } else {
            // Quarter turns map cells to cells only when a + b is even.
            s.ok = ((a + b) & 1) == 0;
            s.fwd = Affine(true, 1, -1, (b - a) / 2, (a + b) / 2);
            s.back = Affine(true, -1, 1, (a + b) / 2, (a - b) / 2);
        }
        return s;
    }
    u -= 162;
    // The length l: the smallest with more than u translations of length
    // <= l, i.e. 1 + the largest l' <= h + w - 3 with at most u (a binary
    // search of constant length, which the compiler unrolls: see "loop
    // limit" in docs/gpu.md).
    var below = 0;
    for (var b = 5; b >= 0; b--) {
        let m = below + (1 << u32(b));
        if (m <= h + w - 3 && i32(atomicLoad(&cnt[REP_SHIFTS + u32(m)])) <= u) {
            below = m;
        }
    }
    let l = below + 1;
    u -= i32(atomicLoad(&cnt[REP_SHIFTS + u32(l - 1)]));
    let r = shifts_of_length(l, h, w);
    var dy = 0;
    var dx = l;
    if (r.x != 0 || u != 0) {
        u -= select(0, 1, r.x == 0);
        dy = max(r.x, 1) + u / 2;
        dx = select(l - dy, dy - l, u % 2 == 0);
    }
    s.fwd = Affine(false, 1, 1, dy, dx);
    s.back = Affine(false, 1, 1, -dy, -dx);
    return s;
}

// The interval of source coordinates u (in 0..len_u) whose image coordinate
// s * u + o is in 0..len_p.
fn image_range(s: i32, o: i32, len_p: i32, len_u: i32) -> vec2<i32> {
    var r = vec2<i32>(o - len_p + 1, o);
    if (s > 0) {
        r = vec2<i32>(-o, len_p - 1 - o);
    }
    return vec2<i32>(max(r.x, 0), min(r.y, len_u - 1));
}

fn packed_line(base: u32) -> vec4<u32> {
    return vec4<u32>(atomicLoad(&cnt[base]), atomicLoad(&cnt[base + 1u]), atomicLoad(&cnt[base + 2u]), atomicLoad(&cnt[base + 3u]));
}

// Bit 0 of each nibble of the result: whether that nibble of x is not 0.
fn nibbles_nz(x: vec4<u32>) -> vec4<u32> {
    var t = x | (x >> vec4<u32>(1u));
    t = t | (t >> vec4<u32>(2u));
    return t & vec4<u32>(0x11111111u);
}

// The 32 nibbles of a packed line in reverse order.
fn nibbles_reversed(v: vec4<u32>) -> vec4<u32> {
    var x = (v >> vec4<u32>(16u)) | (v << vec4<u32>(16u));
    x = ((x & vec4<u32>(0xff00ff00u)) >> vec4<u32>(8u)) | ((x & vec4<u32>(0x00ff00ffu)) << vec4<u32>(8u));
    x = ((x & vec4<u32>(0xf0f0f0f0u)) >> vec4<u32>(4u)) | ((x & vec4<u32>(0x0f0f0f0fu)) << vec4<u32>(4u));
    return x.wzyx;
}

fn word_or_0(v: vec4<u32>, k: i32) -> u32 {
    if (k < 0 || k > 3) {
        return 0u;
    }
    return v[k];
}

// Nibble j of the result is nibble j + sh of v (0 outside 0..32).
fn nibbles_shifted(v: vec4<u32>, sh: i32) -> vec4<u32> {
    if (sh <= -32 || sh >= 32) {
        return vec4<u32>(0u);
    }
    let bits = 4 * sh;
    let q = select(-((31 - bits) / 32), bits / 32, bits >= 0);
    let m = u32(bits - 32 * q);
    var r = vec4<u32>(0u);
    for (var k = 0; k < 4; k++) {
        let lo = word_or_0(v, k + q);
        let hi = word_or_0(v, k + q + 1);
        r[k] = select((lo >> m) | (hi << (32u - m)), lo, m == 0u);
    }
    return r;
}

// `pattern::consistent`: every known cell whose forward image is inside and
// known has its image's color, and at least `min_support` such cells exist.
// Per source row i, the line holding its images (a row for the maps
// without swap, a column for those with) is reversed and shifted so that
// its nibble j is the image of cell (i, j); then mismatches and support are
// nibble-wise bit operations.
fn consistent(f: Affine, c: u32, min_support: u32, h: i32, w: i32) -> bool {
    let cc = vec4<u32>(c * 0x11111111u);
    var ir = vec2<i32>(0);
    if (f.swap) {
        ir = image_range(f.s2, f.o2, w, h);
    } else {
        ir = image_range(f.s1, f.o1, h, h);
    }
    let s = select(f.s2, f.s1, f.swap);
    let o = select(f.o2, f.o1, f.swap);
    var support = 0u;
    for (var i = ir.x; i <= ir.y; i++) {
        let a = packed_line(REP_ROWS + 4u * u32(i));
        var v = vec4<u32>(0u);
        if (f.swap) {
            v = packed_line(REP_COLS + 4u * u32(f.s2 * i + f.o2));
        } else {
            v = packed_line(REP_ROWS + 4u * u32(f.s1 * i + f.o1));
        }
        var sh = o;
        if (s < 0) {
            v = nibbles_reversed(v);
            sh = 31 - o;
        }
        let both = nibbles_nz(a ^ cc) & nibbles_shifted(nibbles_nz(v ^ cc), sh);
        if (any((nibbles_nz(a ^ nibbles_shifted(v, sh)) & both) != vec4<u32>(0u))) {
            return false;
        }
        let ones = countOneBits(both);
        support += ones.x + ones.y + ones.z + ones.w;
    }
    return support >= min_support;
}

// The first kept candidate t >= t0, or NONE.
fn next_kept(t0: u32, nc: u32) -> u32 {
    if (t0 >= nc) {
        return NONE;
    }
    let q = t0 / 32u;
    let bits = atomicLoad(&cnt[q]) & (0xffffffffu << (t0 % 32u));
    if (bits != 0u) {
        return q * 32u + countTrailingZeros(bits);
    }
    // The summary words from word q + 1 on (a loop of constant length).
    var qq = NONE;
    for (var s = 2; s >= 0; s--) {
        var sm = atomicLoad(&cnt[REP_SUMMARY + u32(s)]);
        if (u32(s) < (q + 1u) / 32u) {
            sm = 0u;
        } else if (u32(s) == (q + 1u) / 32u) {
            sm &= 0xffffffffu << ((q + 1u) % 32u);
        }
        if (sm != 0u) {
            qq = u32(s) * 32u + countTrailingZeros(sm);
        }
    }
    if (qq == NONE) {
        return NONE;
    }
    return qq * 32u + countTrailingZeros(atomicLoad(&cnt[qq]));
}

// Cell k of the grid of a repair round: in lab, or at grid[db..].
fn repair_cell(in_lab: bool, db: u32, k: u32) -> u32 {
    if (in_lab) {
        return atomicLoad(&lab[k]);
    }
    return grid[db + k];
}

// `pattern::repair_into`: the kept candidates, then up to 4 rounds between
// lab and grid[db..] (each cell of a round's result from the previous
// round's grid only); the result ends in lab. False without c-cells.
// Contains barriers.
fn repair_grid(c: u32, h: u32, w: u32, sb: u32, db: u32, lid: u32) -> bool {
    let n = h * w;
    let hi = i32(h);
    let wi = i32(w);
    let nc = sym_count(hi, wi);
    let nw = (nc + 31u) / 32u;
    if (lid == 0u) {
        atomicStore(&red[0], 0u);
        // Translations of length <= l.
        atomicStore(&cnt[REP_SHIFTS], 0u);
        var total = 0;
        for (var l = 1; l <= hi + wi - 2; l++) {
            total += shifts_of_length(l, hi, wi).z;
            atomicStore(&cnt[REP_SHIFTS + u32(l)], u32(total));
        }
    }
    for (var q = lid; q < REP_SHIFTS; q += WG) {
        atomicStore(&cnt[q], 0u);
    }
    // Packed rows (r < h) and columns.
    for (var r = lid; r < h + w; r += WG) {
        var words = vec4<u32>(0u);
        for (var q = 0u; q < 32u; q++) {
            var v = c;
            if (r < h && q < w) {
                v = grid[sb + r * w + q];
            } else if (r >= h && q < h) {
                v = grid[sb + q * w + r - h];
            }
            words[q / 8u] |= v << (4u * (q % 8u));
        }
        let base = select(REP_COLS + 4u * (r - h), REP_ROWS + 4u * r, r < h);
        for (var q = 0u; q < 4u; q++) {
            atomicStore(&cnt[base + q], words[q]);
        }
    }
    for (var k = lid; k < n; k += WG) {
        let v = grid[sb + k];
        atomicStore(&lab[k], v);
        if (v != c) {
            atomicAdd(&red[0], 1u);
        }
    }
    workgroupBarrier();
    if (lid == 0u) {
        wg_u4 = vec4<u32>(atomicLoad(&red[0]), 0u, 0u, 0u);
    }
    let known = workgroupUniformLoad(&wg_u4).x;
    // Nothing to repair, or more hidden than shown (`pattern::repair_into`).
    if (known == n || 2u * known < n) {
        return false;
    }
    // A symmetry has at most `known` supporting cells.
    let min_support = max(4u, known / 3u);
    if (known >= min_support) {
        for (var t = lid; t < nc; t += WG) {
            let s = sym_at(t, hi, wi);
            if (s.ok && consistent(s.fwd, c, min_support, hi, wi)) {
                atomicOr(&cnt[t / 32u], 1u << (t % 32u));
            }
        }
        workgroupBarrier();
        for (var q = lid; q < nw; q += WG) {
            if (atomicLoad(&cnt[q]) != 0u) {
                atomicOr(&cnt[REP_SUMMARY + q / 32u], 1u << (q % 32u));
            }
        }
        workgroupBarrier();
    }
    var in_lab = true;
    for (var round = 0u; round < 4u; round++) {
        if (lid == 0u) {
            atomicStore(&changed, 0u);
        }
        workgroupBarrier();
        for (var k = lid; k < n; k += WG) {
            var v = repair_cell(in_lab, db, k);
            if (v == c) {
                let i = i32(k / w);
                let j = i32(k % w);
                var t = next_kept(0u, nc);
                loop {
                    if (t == NONE || v != c) {
                        break;
                    }
                    let s = sym_at(t, hi, wi);
                    // The forward image, then the backward one.
                    for (var back = 0; back < 2; back++) {
                        var f = s.fwd;
                        if (back == 1) {
                            f = s.back;
                        }
                        let p = image(f, i, j);
                        if (v == c && s.ok && p.x >= 0 && p.y >= 0 && p.x < hi && p.y < wi) {
                            let u = repair_cell(in_lab, db, u32(p.x * wi + p.y));
                            if (u != c) {
                                v = u;
                                atomicStore(&changed, 1u);
                            }
                        }
                    }
                    t = next_kept(t + 1u, nc);
                }
            }
            if (in_lab) {
                grid[db + k] = v;
            } else {
                atomicStore(&lab[k], v);
            }
        }
        in_lab = !in_lab;
        if (!changed_uniform(lid)) {
            break;
        }
    }
    if (!in_lab) {
        for (var k = lid; k < n; k += WG) {
            atomicStore(&lab[k], grid[db + k]);
        }
        workgroupBarrier();
    }
    return true;
}

// extend: lines along dir (columns for left / right, rows for up / down),
// line 0 on the side opposite dir. L (one more than the last line with a
// non-0 cell) by atomicMax; one thread per candidate period p checks it and
// the smallest wins by atomicMin; then one pass copies line k mod p.
fn extend_cell(dir: u32, h: u32, w: u32, k: u32, t: u32) -> u32 {
    let cols = dir == DIR4_LEFT || dir == DIR4_RIGHT;
    let n = select(h, w, cols);
    let kk = select(k, n - 1u - k, dir == DIR4_LEFT || dir == DIR4_UP);
    return select(kk * w + t, t * w + kk, cols);
}

fn op_extend(o: OpArgs, h: u32, w: u32, sb: u32, db: u32, lid: u32) -> vec3<u32> {
    let dir = u32(o.a0);
    let cols = dir == DIR4_LEFT || dir == DIR4_RIGHT;
    let rev = dir == DIR4_LEFT || dir == DIR4_UP;
    let n = select(h, w, cols);
    let m = select(w, h, cols);
    if (lid == 0u) {
        atomicStore(&cnt[0], 0u);
        atomicStore(&cnt[1], NONE);
    }
    workgroupBarrier();
    for (var c = lid; c < h * w; c += WG) {
        if (grid[sb + c] != 0u) {
            let raw = select(c / w, c % w, cols);
            atomicMax(&cnt[0], select(raw, n - 1u - raw, rev) + 1u);
        }
    }
    workgroupBarrier();
    if (lid == 0u) {
        wg_u4 = vec4<u32>(atomicLoad(&cnt[0]), 0u, 0u, 0u);
    }
    let l = workgroupUniformLoad(&wg_u4).x;
    if (l == 0u) {
        return INVALID;
    }
    for (var p = lid + 1u; p < l; p += WG) {
        var same = true;
        for (var k = p; k < l && same; k++) {
            for (var t = 0u; t < m; t++) {
                if (grid[sb + extend_cell(dir, h, w, k, t)] != grid[sb + extend_cell(dir, h, w, k - p, t)]) {
                    same = false;
                    break;
                }
            }
        }
        if (same) {
            atomicMin(&cnt[1], p);
        }
    }
    workgroupBarrier();
    if (lid == 0u) {
        wg_u4 = vec4<u32>(min(atomicLoad(&cnt[1]), l), 0u, 0u, 0u);
    }
    let p = workgroupUniformLoad(&wg_u4).x;
    for (var c = lid; c < h * w; c += WG) {
        let k = c / m;
        let t = c % m;
        grid[db + extend_cell(dir, h, w, k, t)] = grid[sb + extend_cell(dir, h, w, k % p, t)];
    }
    workgroupBarrier();
    return ok(h, w);
}

// symmetrize: the non-0 cells (at most SYM_MAX_CELLS) are listed in lab and
// their bounding box taken with atomics; then one thread per candidate
// centre (doubled coordinates, row-major over the box; only cx2 for h, only
// cy2 for v) counts the (cell, map) pairs whose image is inside and not the
// cell itself: the same color supports the centre, another non-0 color
// rules it out, 0 is open. The key support << 21 | (511 - open) << 12 |
// (4095 - centre) wins by atomicMax: the most support, then the fewest open
// pairs, then the first centre, as on the CPU (which counts the same pairs
// by votes). Then one pass fills each 0-cell from its first non-0 image.
fn sym_image(kind: u32, g: u32, i: i32, j: i32, cy2: i32, cx2: i32) -> vec2<i32> {
    if (kind == SYM_H) {
        return vec2<i32>(i, cx2 - j);
    }
    if (kind == SYM_V) {
        return vec2<i32>(cy2 - i, j);
    }
    if (kind == SYM_R2 || g == 1u) {
        return vec2<i32>(cy2 - i, cx2 - j);
    }
    if (g == 0u) {
        return vec2<i32>((cy2 - cx2) / 2 + j, (cx2 + cy2) / 2 - i);
    }
    return vec2<i32>((cy2 + cx2) / 2 - j, (cx2 - cy2) / 2 + i);
}

fn op_symmetrize(o: OpArgs, h: u32, w: u32, sb: u32, db: u32, lid: u32) -> vec3<u32> {
    let kind = u32(o.a0);
    let maps = select(1u, 3u, kind == SYM_R4);
    if (lid == 0u) {
        atomicStore(&cnt[0], 0u);
        atomicStore(&cnt[1], NONE);
        atomicStore(&cnt[2], 0u);
        atomicStore(&cnt[3], NONE);
        atomicStore(&cnt[4], 0u);
        atomicStore(&cnt[5], 0u);
    }
    workgroupBarrier();
    for (var c = lid; c < h * w; c += WG) {
        if (grid[sb + c] != 0u) {
            let k = atomicAdd(&cnt[0], 1u);
            if (k < SYM_MAX_CELLS) {
                atomicStore(&lab[k], c);
            }
            atomicMin(&cnt[1], c / w);
            atomicMax(&cnt[2], c / w);
            atomicMin(&cnt[3], c % w);
            atomicMax(&cnt[4], c % w);
        }
    }
    workgroupBarrier();
    if (lid == 0u) {
        wg_u4 = vec4<u32>(
            atomicLoad(&cnt[0]),
            atomicLoad(&cnt[1]) | (atomicLoad(&cnt[2]) << 16u),
            atomicLoad(&cnt[3]) | (atomicLoad(&cnt[4]) << 16u),
            0u,
        );
    }
    let v = workgroupUniformLoad(&wg_u4);
    let n = v.x;
    if (n == 0u || n > SYM_MAX_CELLS) {
        return INVALID;
    }
    let r0 = v.y & 0xffffu;
    let r1 = v.y >> 16u;
    let c0 = v.z & 0xffffu;
    let c1 = v.z >> 16u;
    let ny = select(2u * (r1 - r0) + 1u, 1u, kind == SYM_H);
    let nx = select(2u * (c1 - c0) + 1u, 1u, kind == SYM_V);
    let y0 = i32(2u * r0);
    let x0 = i32(2u * c0);
    for (var t = lid; t < ny * nx; t += WG) {
        let cy2 = y0 + i32(t / nx);
        let cx2 = x0 + i32(t % nx);
        if (kind == SYM_R4 && ((cy2 + cx2) & 1) != 0) {
            continue;
        }
        var support = 0u;
        var open = 0u;
        var ruled_out = false;
        for (var k = 0u; k < n && !ruled_out; k++) {
            let c = atomicLoad(&lab[k]);
            let col = grid[sb + c];
            let i = i32(c / w);
            let j = i32(c % w);
            for (var g = 0u; g < maps; g++) {
                let q = sym_image(kind, g, i, j, cy2, cx2);
                if (q.x < 0 || q.y < 0 || q.x >= i32(h) || q.y >= i32(w) || (q.x == i && q.y == j)) {
                    continue;
                }
                let u = grid[sb + u32(q.x) * w + u32(q.y)];
                if (u == col) {
                    support += 1u;
                } else if (u == 0u) {
                    open += 1u;
                } else {
                    ruled_out = true;
                    break;
                }
            }
        }
        if (!ruled_out && support > 0u) {
            atomicMax(&cnt[5], (support << 21u) | ((511u - open) << 12u) | (4095u - t));
        }
    }
    workgroupBarrier();
    if (lid == 0u) {
        wg_u4 = vec4<u32>(atomicLoad(&cnt[5]), 0u, 0u, 0u);
    }
    let key = workgroupUniformLoad(&wg_u4).x;
    if (key == 0u) {
        return INVALID;
    }
    let t = 4095u - (key & 4095u);
    let cy2 = y0 + i32(t / nx);
    let cx2 = x0 + i32(t % nx);
    for (var c = lid; c < h * w; c += WG) {
        var col = grid[sb + c];
        if (col == 0u) {
            let i = i32(c / w);
            let j = i32(c % w);
            for (var g = 0u; g < maps; g++) {
                let q = sym_image(kind, g, i, j, cy2, cx2);
                if (q.x >= 0 && q.y >= 0 && q.x < i32(h) && q.y < i32(w)) {
                    let u = grid[sb + u32(q.x) * w + u32(q.y)];
                    if (u != 0u) {
                        col = u;
                        break;
                    }
                }
            }
        }
        grid[db + c] = col;
    }
    workgroupBarrier();
    return ok(h, w);
}

// eval.wgsl: the GPU twin of src/lang/interp.rs (and of src/hash.rs and the
// matching count of src/score.rs).
//
// One workgroup (WG threads) evaluates one (program, pair): it copies the pair's input
// grid into workgroup memory, applies the program's ops one after another
// (each op is a pass over the output cells, threads striding over cells,
// followed by a barrier), then compares the result with the expected grid
// and hashes it, and writes one 4-word result record.
//
// Uniformity: every value that decides a branch or a loop around a barrier
// (op code, arguments, grid size, INVALID, the resolved color tokens, the
// bounding boxes, the "changed" flags of the iterative ops) is either a
// constant, a uniform-buffer value, the workgroup id, or was read with
// workgroupUniformLoad (values written by one thread into a workgroup
// variable), or is computed from such values only. Per-cell work only
// happens inside `for (k = lid; k < n; k += WG)` loops that contain no
// barrier.
//
// Names and index arithmetic follow interp.rs so that the two files can be
// compared line by line; see docs/gpu.md.

// Threads per workgroup: a pipeline-overridable constant (64 on GPUs, 32 on
// software adapters, where fewer idle lanes on small grids run faster).
override WG: u32 = 64u;
const MAX_DIM: u32 = 30u;
const MAX_CELLS: u32 = 900u;
// Iterative ops (fill_enclosed reachability, object labelling) change at
// least one cell per pass until they converge, and converge after at most
// (longest shortest path inside a region) + 1 <= 900 passes; the cap is a
// safety net that is never reached.
const ITER_CAP: u32 = 1024u;
const NONE: u32 = 0xffffffffu;

// Per-dispatch parameters (see src/gpu/encode.rs, `Params`).
struct Params {
    // Programs in this chunk.
    num_programs: u32,
    // First pair evaluated (0 for evaluate, the first test pair for predict).
    pair_start: u32,
    // Pairs evaluated per program.
    pair_count: u32,
    // Workgroups per row of the 2-D dispatch grid.
    groups_x: u32,
    // 1: also write each output grid to `grids_out` (predict).
    write_grids: u32,
    _pad0: u32,
    _pad1: u32,
    _pad2: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
// programs[p] = word offset of program p's record: [n_ops, (w0, w1) x n_ops].
@group(0) @binding(1) var<storage, read> programs: array<u32>;
// task[0] = number of pairs; task[1 + 6k ..] = (input offset, input h,
// input w, expected offset, expected h, expected w) of pair k (expected h =
// 0: no expected grid); grids follow, one u32 per cell, row-major.
@group(0) @binding(2) var<storage, read> task: array<u32>;
// 4 words per (program, pair): h | w << 8 | matching << 16, hash lo, hash hi, 0.
@group(0) @binding(3) var<storage, read_write> results: array<u32>;
// 900 words per (program, pair) when params.write_grids == 1.
@group(0) @binding(4) var<storage, read_write> grids_out: array<u32>;

// The two ping-pong grids: grid[sb + i * w + j] (sb = 0 or 900).
var<workgroup> grid: array<u32, 1800>;
// fill_enclosed: reached flags; object: labels.
var<workgroup> lab: array<atomic<u32>, 900>;
// object: cells per label.
var<workgroup> cnt: array<atomic<u32>, 900>;
var<workgroup> hist: array<atomic<u32>, 10>;
// Reductions: bounding boxes (r0, r1, c0, c1), hash lanes and matching.
var<workgroup> red: array<atomic<u32>, 4>;
var<workgroup> changed: atomic<u32>;
// One-thread-written values, read back with workgroupUniformLoad.
var<workgroup> wg_u4: vec4<u32>;
var<workgroup> wg_changed: u32;
var<workgroup> wg_op: vec2<u32>;
var<workgroup> wg_pair: array<u32, 8>;

// ---------------------------------------------------------------- hash.rs

fn fmix32(x: u32) -> u32 {
    var h = x;
    h ^= h >> 16u;
    h *= 0x85ebca6bu;
    h ^= h >> 13u;
    h *= 0xc2b2ae35u;
    h ^= h >> 16u;
    return h;
}

fn cell_lanes(i: u32, j: u32, c: u32) -> vec2<u32> {
    let v = (i * 32u + j) * 16u + c;
    return vec2<u32>(fmix32(v ^ 0x9e3779b9u), fmix32((v * 0x85ebca6bu) ^ 0x7f4a7c15u));
}

fn finish(lo_sum: u32, hi_sum: u32, h: u32, w: u32) -> vec2<u32> {
    let size = (h << 8u) | w;
    let lo = fmix32(lo_sum ^ (size * 0x27d4eb2fu));
    let hi = fmix32((hi_sum + size) ^ 0x165667b1u);
    // Keep 0 for INVALID.
    if (lo == 0u && hi == 0u) {
        return vec2<u32>(1u, 0u);
    }
    return vec2<u32>(lo, hi);
}

// ---------------------------------------------------------------- interp.rs

// bg, fg and lc of the `n` cells at grid[sb..] (`tokens_from_hist`).
// Contains barriers: call in uniform control flow only.
fn color_tokens(sb: u32, n: u32, lid: u32) -> vec3<u32> {
    for (var c = lid; c < 10u; c += WG) {
        atomicStore(&hist[c], 0u);
    }
    workgroupBarrier();
    for (var k = lid; k < n; k += WG) {
        atomicAdd(&hist[grid[sb + k]], 1u);
    }
    workgroupBarrier();
    if (lid == 0u) {
        var bg = 0u;
        for (var c = 1u; c < 10u; c++) {
            if (atomicLoad(&hist[c]) > atomicLoad(&hist[bg])) {
                bg = c;
            }
        }
        var fg = NONE;
        var lc = NONE;
        for (var c = 0u; c < 10u; c++) {
            let hc = atomicLoad(&hist[c]);
            if (hc == 0u) {
                continue;
            }
            if (c != bg && (fg == NONE || hc > atomicLoad(&hist[fg]))) {
                fg = c;
            }
            if (lc == NONE || hc < atomicLoad(&hist[lc])) {
                lc = c;
            }
        }
        if (fg == NONE) {
            fg = bg;
        }
        wg_u4 = vec4<u32>(bg, fg, lc, 0u);
    }
    return workgroupUniformLoad(&wg_u4).xyz;
}

// Resolves an encoded color argument (0..=9, or 10/11/12 = bg/fg/lc).
fn color(arg: i32, tok: vec3<u32>) -> u32 {
    if (arg < 10) {
        return u32(arg);
    }
    switch arg {
        case 10: { return tok.x; }
        case 11: { return tok.y; }
        case 12: { return tok.z; }
        default: { return 0u; }
    }
}

// Output size of transform `t` (0..=7) on an `h` x `w` grid.
fn transform_size(t: u32, h: u32, w: u32) -> vec2<u32> {
    switch t {
        case 1u, 3u, 6u, 7u: { return vec2<u32>(w, h); }
        default: { return vec2<u32>(h, w); }
    }
}

// Source cell (row, column) of output cell (i, j) under transform `t`.
fn transform_src(t: u32, h: u32, w: u32, i: u32, j: u32) -> vec2<u32> {
    switch t {
        case 0u: { return vec2<u32>(i, j); }
        case 1u: { return vec2<u32>(h - 1u - j, i); }
        case 2u: { return vec2<u32>(h - 1u - i, w - 1u - j); }
        case 3u: { return vec2<u32>(j, w - 1u - i); }
        case 4u: { return vec2<u32>(i, w - 1u - j); }
        case 5u: { return vec2<u32>(h - 1u - i, j); }
        case 6u: { return vec2<u32>(j, i); }
        default: { return vec2<u32>(h - 1u - j, w - 1u - i); }
    }
}

// `split n i` along a dimension of length `len`: (ok, part length, offset).
fn split_part(len: u32, n: u32, i: u32) -> vec3<u32> {
    if (n == 0u || i >= n) {
        return vec3<u32>(0u);
    }
    if (len % n == 0u) {
        let p = len / n;
        if (p == 0u) {
            return vec3<u32>(0u);
        }
        return vec3<u32>(1u, p, i * p);
    } else if (len >= n - 1u && (len - (n - 1u)) % n == 0u) {
        let p = (len - (n - 1u)) / n;
        if (p == 0u) {
            return vec3<u32>(0u);
        }
        return vec3<u32>(1u, p, i * (p + 1u));
    }
    return vec3<u32>(0u);
}

fn logic(l: i32, a: bool, b: bool) -> bool {
    switch l {
        case 0: { return a && b; }
        case 1: { return a || b; }
        case 2: { return a != b; }
        case 3: { return !(a || b); }
        case 4: { return a && !b; }
        default: { return b && !a; }
    }
}

// One decoded op: code, the four arguments, the resolved colors `ca`/`cb`,
// and op-specific values computed before the cell pass (crop origin, split
// offset).
struct OpArgs {
    code: u32,
    a0: i32,
    a1: i32,
    a2: i32,
    a3: i32,
    ca: u32,
    cb: u32,
    x0: u32,
    x1: u32,
}

// The value of output cell (i, j) of op `o` on the `h` x `w` grid at
// grid[sb..]; `w` is the input width. Mirrors the closures of `apply`.
fn out_cell(o: OpArgs, h: u32, w: u32, sb: u32, i: u32, j: u32) -> u32 {
    switch o.code {
        // Geometry.
        case 0u, 1u, 2u, 3u, 4u, 5u, 6u, 7u: {
            let s = transform_src(o.code, h, w, i, j);
            return grid[sb + s.x * w + s.y];
        }
        // Upscale.
        case 8u: {
            let kh = u32(o.a0);
            let kw = u32(o.a1);
            return grid[sb + (i / kh) * w + j / kw];
        }
        // Downscale.
        case 9u: {
            let kh = u32(o.a0);
            let kw = u32(o.a1);
            return grid[sb + (i * kh) * w + j * kw];
        }
        // Tile.
        case 10u: {
            return grid[sb + (i % h) * w + j % w];
        }
        // MirrorTile.
        case 11u: {
            let si = select(2u * h - 1u - i, i, i < h);
            let sj = select(2u * w - 1u - j, j, j < w);
            return grid[sb + si * w + sj];
        }
        // Hcat.
        case 12u: {
            if (j < w) {
                return grid[sb + i * w + j];
            }
            let s = transform_src(u32(o.a0), h, w, i, j - w);
            return grid[sb + s.x * w + s.y];
        }
        // Vcat.
        case 13u: {
            if (i < h) {
                return grid[sb + i * w + j];
            }
            let s = transform_src(u32(o.a0), h, w, i - h, j);
            return grid[sb + s.x * w + s.y];
        }
        // Crop, CropBbox, Object: rows x0.., columns x1...
        case 14u, 16u, 28u: {
            return grid[sb + (o.x0 + i) * w + o.x1 + j];
        }
        // Trim.
        case 15u: {
            return grid[sb + (i + 1u) * w + j + 1u];
        }
        // SplitH: columns from offset x1.
        case 17u: {
            return grid[sb + i * w + o.x1 + j];
        }
        // SplitV: rows from offset x0.
        case 18u: {
            return grid[sb + (o.x0 + i) * w + j];
        }
        // Shift.
        case 19u: {
            let si = i32(i) - o.a0;
            let sj = i32(j) - o.a1;
            if (si >= 0 && sj >= 0 && u32(si) < h && u32(sj) < w) {
                return grid[sb + u32(si) * w + u32(sj)];
            }
            return o.ca;
        }
        // Recolor.
        case 20u: {
            let v = grid[sb + i * w + j];
            return select(v, o.cb, v == o.ca);
        }
        // Swap.
        case 21u: {
            let v = grid[sb + i * w + j];
            if (v == o.ca) {
                return o.cb;
            } else if (v == o.cb) {
                return o.ca;
            }
            return v;
        }
        // Map: digit k in nibble k (digits 0..=7 in a0, 8 and 9 in a1).
        case 22u: {
            let v = grid[sb + i * w + j];
            if (v < 8u) {
                return (bitcast<u32>(o.a0) >> (4u * v)) & 15u;
            }
            return (bitcast<u32>(o.a1) >> (4u * (v - 8u))) & 15u;
        }
        // Keep.
        case 23u: {
            let v = grid[sb + i * w + j];
            return select(v, o.cb, v != o.ca);
        }
        // Paint.
        case 24u: {
            let v = grid[sb + i * w + j];
            return select(v, o.ca, v != o.cb);
        }
        // FillEnclosed: lab[k] = 1 where the b-cell reached the border.
        case 25u: {
            let k = i * w + j;
            let v = grid[sb + k];
            return select(v, o.ca, v == o.cb && atomicLoad(&lab[k]) == 0u);
        }
        // Halo.
        case 26u: {
            let v = grid[sb + i * w + j];
            if (v != o.cb) {
                return v;
            }
            var touch = false;
            for (var di = -1; di <= 1; di++) {
                for (var dj = -1; dj <= 1; dj++) {
                    let ni = i32(i) + di;
                    let nj = i32(j) + dj;
                    if ((di != 0 || dj != 0)
                        && ni >= 0
                        && nj >= 0
                        && u32(ni) < h
                        && u32(nj) < w
                        && grid[sb + u32(ni) * w + u32(nj)] != o.cb) {
                        touch = true;
                    }
                }
            }
            return select(v, o.ca, touch);
        }
        // HalvesH / HalvesV: part B at offset x1 (columns) / x0 (rows).
        case 29u, 30u: {
            let av = grid[sb + i * w + j] != 0u;
            var bv = false;
            if (o.code == 29u) {
                bv = grid[sb + i * w + j + o.x1] != 0u;
            } else {
                bv = grid[sb + (i + o.x0) * w + j] != 0u;
            }
            return select(0u, o.ca, logic(o.a0, av, bv));
        }
        default: {
            return 0u;
        }
    }
}

// Bounding box (r0, r1, c0, c1) of the cells at grid[sb..] that are != c
// (mode 0) or whose label is `c` (mode 1); r0 = NONE when there is none.
// Contains barriers.
fn bbox(mode: u32, c: u32, h: u32, w: u32, sb: u32, lid: u32) -> vec4<u32> {
    if (lid == 0u) {
        atomicStore(&red[0], NONE);
        atomicStore(&red[1], 0u);
        atomicStore(&red[2], NONE);
        atomicStore(&red[3], 0u);
    }
    workgroupBarrier();
    let n = h * w;
    for (var k = lid; k < n; k += WG) {
        var hit = false;
        if (mode == 0u) {
            hit = grid[sb + k] != c;
        } else {
            hit = atomicLoad(&lab[k]) == c;
        }
        if (hit) {
            let i = k / w;
            let j = k % w;
            atomicMin(&red[0], i);
            atomicMax(&red[1], i);
            atomicMin(&red[2], j);
            atomicMax(&red[3], j);
        }
    }
    workgroupBarrier();
    if (lid == 0u) {
        wg_u4 = vec4<u32>(atomicLoad(&red[0]), atomicLoad(&red[1]), atomicLoad(&red[2]), atomicLoad(&red[3]));
    }
    return workgroupUniformLoad(&wg_u4);
}

// Whether the pass that just ended changed anything: thread 0 copies the
// atomic flag into a plain variable that everyone reads uniformly (a
// workgroupUniformLoad of the atomic itself is not portable to every
// backend). The flag is reset by thread 0 before the next pass's barrier.
// Contains barriers.
fn changed_uniform(lid: u32) -> bool {
    workgroupBarrier();
    if (lid == 0u) {
        wg_changed = atomicLoad(&changed);
    }
    return workgroupUniformLoad(&wg_changed) != 0u;
}

// fill_enclosed: sets lab[k] = 1 for every b-cell that reaches the border
// through 4-connected b-cells, 0 elsewhere. Contains barriers.
fn fill_enclosed_reach(cb: u32, h: u32, w: u32, sb: u32, lid: u32) {
    let n = h * w;
    // Seed: every b-cell on the border has reached it.
    for (var k = lid; k < n; k += WG) {
        let i = k / w;
        let j = k % w;
        let border = i == 0u || j == 0u || i == h - 1u || j == w - 1u;
        atomicStore(&lab[k], select(0u, 1u, border && grid[sb + k] == cb));
    }
    for (var it = 0u; it < ITER_CAP; it++) {
        if (lid == 0u) {
            atomicStore(&changed, 0u);
        }
        workgroupBarrier();
        for (var k = lid; k < n; k += WG) {
            if (grid[sb + k] != cb || atomicLoad(&lab[k]) != 0u) {
                continue;
            }
            let i = k / w;
            let j = k % w;
            var reach = false;
            if (i > 0u && atomicLoad(&lab[k - w]) != 0u) {
                reach = true;
            }
            if (i + 1u < h && atomicLoad(&lab[k + w]) != 0u) {
                reach = true;
            }
            if (j > 0u && atomicLoad(&lab[k - 1u]) != 0u) {
                reach = true;
            }
            if (j + 1u < w && atomicLoad(&lab[k + 1u]) != 0u) {
                reach = true;
            }
            if (reach) {
                atomicStore(&lab[k], 1u);
                atomicStore(&changed, 1u);
            }
        }
        if (!changed_uniform(lid)) {
            break;
        }
    }
}

// object: labels every cell != b with the smallest row-major index of its
// 8-connected component (NONE for b-cells), picks the largest / smallest
// component (ties: the smallest label, i.e. the component whose first cell
// comes first) and returns its bounding box (r0 = NONE: no object).
// Contains barriers.
fn object_bbox(smallest: bool, cb: u32, h: u32, w: u32, sb: u32, lid: u32) -> vec4<u32> {
    let n = h * w;
    for (var k = lid; k < n; k += WG) {
        atomicStore(&lab[k], select(NONE, k, grid[sb + k] != cb));
        atomicStore(&cnt[k], 0u);
    }
    for (var it = 0u; it < ITER_CAP; it++) {
        if (lid == 0u) {
            atomicStore(&changed, 0u);
        }
        workgroupBarrier();
        for (var k = lid; k < n; k += WG) {
            let own = atomicLoad(&lab[k]);
            if (own == NONE) {
                continue;
            }
            let i = i32(k / w);
            let j = i32(k % w);
            var m = own;
            for (var di = -1; di <= 1; di++) {
                for (var dj = -1; dj <= 1; dj++) {
                    let ni = i + di;
                    let nj = j + dj;
                    if (ni < 0 || nj < 0 || u32(ni) >= h || u32(nj) >= w) {
                        continue;
                    }
                    m = min(m, atomicLoad(&lab[u32(ni) * w + u32(nj)]));
                }
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
    // Cells per component, counted at its label (its first cell).
    for (var k = lid; k < n; k += WG) {
        let l = atomicLoad(&lab[k]);
        if (l != NONE) {
            atomicAdd(&cnt[l], 1u);
        }
    }
    if (lid == 0u) {
        atomicStore(&red[0], select(0u, NONE, smallest));
    }
    workgroupBarrier();
    // Best component: key = size and label, packed so that one atomic
    // min / max picks the size first and the smaller label on ties.
    for (var k = lid; k < n; k += WG) {
        if (atomicLoad(&lab[k]) != k) {
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
        return vec4<u32>(NONE, 0u, NONE, 0u);
    }
    var best = key & 1023u;
    if (!smallest) {
        best = 1023u - best;
    }
    return bbox(1u, best, h, w, sb, lid);
}

// gravity: one thread per column (up/down) or row (left/right); the line
// is first filled with b, then the cells != b are written in order.
fn gravity(dir: i32, cb: u32, h: u32, w: u32, sb: u32, db: u32, lid: u32) {
    if (dir == 0 || dir == 1) {
        for (var j = lid; j < w; j += WG) {
            for (var i = 0u; i < h; i++) {
                grid[db + i * w + j] = cb;
            }
            var k = 0u;
            if (dir == 0) {
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
            if (dir == 2) {
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
}

// `out = op(x)` with x at grid[sb..] (h x w) and out at grid[db..].
// Returns (valid, out h, out w); INVALID is valid == 0. All arguments are
// uniform, and so is every value this function branches on around a barrier.
fn apply(w0: u32, w1: u32, h: u32, w: u32, sb: u32, db: u32, lid: u32) -> vec3<u32> {
    var o: OpArgs;
    o.code = w0 & 0xffu;
    o.a0 = bitcast<i32>(w1);
    o.a1 = bitcast<i32>(w0 << 16u) >> 24u;
    o.a2 = bitcast<i32>(w0 << 8u) >> 24u;
    o.a3 = bitcast<i32>(w0) >> 24u;
    if (o.code == 22u) {
        // map: digits 8 and 9 are the unsigned byte of a1.
        o.a1 = i32((w0 >> 8u) & 0xffu);
    }
    // Color arguments: ra is resolved into ca, rb into cb.
    var ra = 0;
    var rb = 0;
    switch o.code {
        case 16u: { rb = o.a0; }
        case 19u: { ra = o.a2; }
        case 20u, 21u, 23u, 24u, 25u, 26u: {
            ra = o.a0;
            rb = o.a1;
        }
        case 27u, 28u: { rb = o.a1; }
        case 29u, 30u: { ra = o.a1; }
        default: {}
    }
    // Color tokens are evaluated once, on the op's input, before any change.
    var tok = vec3<u32>(0u);
    if (ra >= 10 || rb >= 10) {
        tok = color_tokens(sb, h * w, lid);
    }
    o.ca = color(ra, tok);
    o.cb = color(rb, tok);
    o.x0 = 0u;
    o.x1 = 0u;

    var ok = true;
    var oh = h;
    var ow = w;
    switch o.code {
        case 0u, 1u, 2u, 3u, 4u, 5u, 6u, 7u: {
            let s = transform_size(o.code, h, w);
            oh = s.x;
            ow = s.y;
        }
        case 8u: {
            oh = h * u32(o.a0);
            ow = w * u32(o.a1);
        }
        case 9u: {
            let kh = u32(o.a0);
            let kw = u32(o.a1);
            ok = h % kh == 0u && w % kw == 0u;
            oh = h / kh;
            ow = w / kw;
        }
        case 10u: {
            oh = h * u32(o.a0);
            ow = w * u32(o.a1);
        }
        case 11u: {
            oh = 2u * h;
            ow = 2u * w;
        }
        case 12u: {
            let s = transform_size(u32(o.a0), h, w);
            ok = s.x == h;
            ow = w + s.y;
        }
        case 13u: {
            let s = transform_size(u32(o.a0), h, w);
            ok = s.y == w;
            oh = h + s.x;
        }
        case 14u: {
            let r = u32(o.a0);
            let c = u32(o.a1);
            oh = u32(o.a2);
            ow = u32(o.a3);
            ok = r + oh <= h && c + ow <= w;
            o.x0 = r;
            o.x1 = c;
        }
        case 15u: {
            ok = h >= 3u && w >= 3u;
            oh = select(0u, h - 2u, ok);
            ow = select(0u, w - 2u, ok);
        }
        case 16u: {
            let b = bbox(0u, o.cb, h, w, sb, lid);
            ok = b.x != NONE;
            oh = select(0u, b.y - b.x + 1u, ok);
            ow = select(0u, b.w - b.z + 1u, ok);
            o.x0 = b.x;
            o.x1 = b.z;
        }
        case 17u: {
            let s = split_part(w, u32(o.a0), u32(o.a1));
            ok = s.x == 1u;
            ow = s.y;
            o.x1 = s.z;
        }
        case 18u: {
            let s = split_part(h, u32(o.a0), u32(o.a1));
            ok = s.x == 1u;
            oh = s.y;
            o.x0 = s.z;
        }
        case 25u: {
            fill_enclosed_reach(o.cb, h, w, sb, lid);
        }
        case 28u: {
            let b = object_bbox(o.a0 == 1, o.cb, h, w, sb, lid);
            ok = b.x != NONE;
            oh = select(0u, b.y - b.x + 1u, ok);
            ow = select(0u, b.w - b.z + 1u, ok);
            o.x0 = b.x;
            o.x1 = b.z;
        }
        case 29u: {
            let s = split_part(w, 2u, 1u);
            ok = s.x == 1u;
            ow = s.y;
            o.x1 = s.z;
        }
        case 30u: {
            let s = split_part(h, 2u, 1u);
            ok = s.x == 1u;
            oh = s.y;
            o.x0 = s.z;
        }
        // Shift, the color ops, halo and gravity keep the size.
        default: {}
    }
    // `Grid::resize`: every intermediate grid is 1..=30 x 1..=30.
    if (!ok || oh == 0u || ow == 0u || oh > MAX_DIM || ow > MAX_DIM) {
        return vec3<u32>(0u);
    }
    if (o.code == 27u) {
        gravity(o.a0, o.cb, h, w, sb, db, lid);
    } else {
        let n = oh * ow;
        for (var k = lid; k < n; k += WG) {
            grid[db + k] = out_cell(o, h, w, sb, k / ow, k % ow);
        }
    }
    workgroupBarrier();
    return vec3<u32>(1u, oh, ow);
}

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
    let slot = wid.y * params.groups_x + wid.x;
    // Padding workgroups of the last row: the whole workgroup returns.
    if (slot >= params.num_programs * params.pair_count) {
        return;
    }
    let prog = slot / params.pair_count;
    let pair = params.pair_start + slot % params.pair_count;
    if (lid == 0u) {
        let poff = programs[prog];
        let m = 1u + 6u * pair;
        wg_pair = array<u32, 8>(
            task[m], task[m + 1u], task[m + 2u], task[m + 3u], task[m + 4u], task[m + 5u],
            poff, programs[poff]
        );
    }
    let pm = workgroupUniformLoad(&wg_pair);
    let in_off = pm[0];
    let exp_off = pm[3];
    let eh = pm[4];
    let ew = pm[5];
    let poff = pm[6];
    let n_ops = pm[7];

    // x = input
    var h = pm[1];
    var w = pm[2];
    for (var k = lid; k < h * w; k += WG) {
        grid[k] = task[in_off + k];
    }
    workgroupBarrier();
    var cur = 0u;
    var valid = true;
    // for op in program { x = op(x) }
    for (var pc = 0u; pc < n_ops; pc++) {
        if (lid == 0u) {
            wg_op = vec2<u32>(programs[poff + 1u + 2u * pc], programs[poff + 2u + 2u * pc]);
        }
        let op = workgroupUniformLoad(&wg_op);
        let r = apply(op.x, op.y, h, w, cur * MAX_CELLS, (1u - cur) * MAX_CELLS, lid);
        if (r.x == 0u) {
            valid = false;
            break;
        }
        h = r.y;
        w = r.z;
        cur = 1u - cur;
    }

    let rec = slot * 4u;
    if (!valid) {
        if (lid == 0u) {
            results[rec] = 0u;
            results[rec + 1u] = 0u;
            results[rec + 2u] = 0u;
            results[rec + 3u] = 0u;
        }
        return;
    }
    // Hash lanes and matching cells (`grid_hash`, `matching_cells`).
    if (lid == 0u) {
        atomicStore(&red[0], 0u);
        atomicStore(&red[1], 0u);
        atomicStore(&red[2], 0u);
    }
    workgroupBarrier();
    let sb = cur * MAX_CELLS;
    let n = h * w;
    var lo = 0u;
    var hi = 0u;
    var m = 0u;
    for (var k = lid; k < n; k += WG) {
        let i = k / w;
        let j = k % w;
        let c = grid[sb + k];
        let l = cell_lanes(i, j, c);
        lo += l.x;
        hi += l.y;
        if (i < eh && j < ew && task[exp_off + i * ew + j] == c) {
            m += 1u;
        }
        if (params.write_grids == 1u) {
            grids_out[slot * MAX_CELLS + k] = c;
        }
    }
    atomicAdd(&red[0], lo);
    atomicAdd(&red[1], hi);
    atomicAdd(&red[2], m);
    workgroupBarrier();
    if (lid == 0u) {
        let hash = finish(atomicLoad(&red[0]), atomicLoad(&red[1]), h, w);
        results[rec] = h | (w << 8u) | (atomicLoad(&red[2]) << 16u);
        results[rec + 1u] = hash.x;
        results[rec + 2u] = hash.y;
        results[rec + 3u] = 0u;
    }
}

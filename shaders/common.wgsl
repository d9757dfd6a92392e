// common.wgsl: bindings, workgroup memory and helpers shared by the op
// functions (ops_*.wgsl) and the entry point (eval.wgsl). The shader module
// is generated.wgsl + common.wgsl + ops_*.wgsl + eval.wgsl, assembled by
// src/gpu/shader.rs; generated.wgsl (op codes, argument values, limits and
// the op dispatch) is written from the op table by src/gpu/codegen.rs.
//
// Uniformity: every value that decides a branch or a loop around a barrier
// (op code, arguments, grid size, INVALID, the resolved color tokens, the
// bounding boxes, the "changed" flags of the iterative ops) is either a
// constant, a uniform-buffer value, the workgroup id, or was read with
// workgroupUniformLoad (values written by one thread into a workgroup
// variable), or is computed from such values only. Per-cell work only
// happens inside `for (k = lid; k < n; k += WG)` loops that contain no
// barrier.

// Threads per workgroup: a pipeline-overridable constant (64 on GPUs, 32 on
// software adapters, where fewer idle lanes on small grids run faster).
override WG: u32 = 64u;
// The shader's build (src/gpu/variant.rs): BUILD_FULL runs every program;
// BUILD_LABELS leaves out the ops that need the pieces' selection, the
// color and cell splits or the repair search, and the overlay; BUILD_LIGHT
// also the ops that need the prelude or the scratch arrays. BUILD is known
// when the pipeline is built, so what a build leaves out is dead code
// there: fewer registers per thread, and in the light build `lab` and `cnt`
// shrink (the overlay's canvas to one word below the full build).
override BUILD: u32 = BUILD_FULL;
// Words of each scratch array (`lab`, `cnt`). The light build never reaches
// them, but the code of the ops it leaves out (dead there) still indexes
// them with constants, up to cnt[REP_SHIFTS]; a compiler may reject a
// constant index past the end even in dead code, so the light build keeps
// SCRATCH_LIGHT_WORDS (tests/shaders.rs checks every constant index).
const SCRATCH_LIGHT_WORDS: u32 = 96u;
override SCRATCH_WORDS: u32 = select(MAX_CELLS, SCRATCH_LIGHT_WORDS, BUILD == BUILD_LIGHT);
// Iterative loops (labelling and distances in prelude.wgsl, the objects of
// fall) change at least one value per pass until they converge, and converge
// after at most (longest shortest path inside a region) + 1 <= 900 passes
// (fall: one pass per object, at most 225); the cap is a safety net that is
// never reached.
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
    // What else is written to `extra_out` per (program, pair): EXTRA_NONE,
    // EXTRA_GRIDS (the output grid, predict) or EXTRA_MASKS (the match
    // masks, evaluate_masks).
    extra: u32,
    _pad0: u32,
    _pad1: u32,
    _pad2: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
// programs[p] = word offset of program p's record (see src/gpu/encode.rs).
@group(0) @binding(1) var<storage, read> programs: array<u32>;
// task[0] = number of pairs; task[1 + 6k ..] = (input offset, input h,
// input w, expected offset, expected h, expected w) of pair k (expected h =
// 0: no expected grid); grids follow, one u32 per cell, row-major.
@group(0) @binding(2) var<storage, read> task: array<u32>;
// 4 words per (program, pair): h | w << 8 | matching << 16, hash lo, hash hi,
// and 1 when the loop-limit canary fired (see eval.wgsl), else 0.
@group(0) @binding(3) var<storage, read_write> results: array<u32>;
// MAX_CELLS words per (program, pair) with EXTRA_GRIDS (the output grid),
// MASK_WORDS with EXTRA_MASKS (non-0 cells, then cells that differ from the
// expected grid; all 0 unless the output has the expected size), nothing
// with EXTRA_NONE.
@group(0) @binding(4) var<storage, read_write> extra_out: array<u32>;

// The two ping-pong grids: grid[sb + i * w + j] (sb = 0 or MAX_CELLS).
var<workgroup> grid: array<u32, 1800>;
// Scratch of the ops that need more than the two grids, shared by all of
// them (one op runs at a time): labels, distances and per-piece statistics
// (see prelude.wgsl for the layout), the repaired grid of repair, line
// flags and maps of compress / dedup. SCRATCH_LIGHT_WORDS each in the light
// build.
var<workgroup> lab: array<atomic<u32>, SCRATCH_WORDS>;
var<workgroup> cnt: array<atomic<u32>, SCRATCH_WORDS>;
var<workgroup> hist: array<atomic<u32>, 10>;
// Reductions: bounding boxes (r0, r1, c0, c1), hash lanes and matching.
var<workgroup> red: array<atomic<u32>, 4>;
var<workgroup> changed: atomic<u32>;
// One-thread-written values, read back with workgroupUniformLoad.
var<workgroup> wg_u4: vec4<u32>;
var<workgroup> wg_changed: u32;

// One decoded op: code, the four arguments, and the color arguments
// resolved on the op's input grid (c_k for argument k; see apply_op).
struct OpArgs {
    code: u32,
    a0: i32,
    a1: i32,
    a2: i32,
    a3: i32,
    c0: u32,
    c1: u32,
    c2: u32,
    c3: u32,
}

// The result of an op: (valid, out h, out w).
const INVALID: vec3<u32> = vec3<u32>(0u, 0u, 0u);

// `Grid::resize`: every intermediate grid is 1..=30 x 1..=30.
fn fits(oh: u32, ow: u32) -> bool {
    return oh >= 1u && ow >= 1u && oh <= MAX_DIM && ow <= MAX_DIM;
}

fn ok(oh: u32, ow: u32) -> vec3<u32> {
    return vec3<u32>(1u, oh, ow);
}

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

// ---------------------------------------------------- interp/mod.rs helpers

// Counts the colors of the `n` cells at grid[sb..] into `hist`. Contains
// barriers: call in uniform control flow only.
fn histogram(sb: u32, n: u32, lid: u32) {
    for (var c = lid; c < 10u; c += WG) {
        atomicStore(&hist[c], 0u);
    }
    workgroupBarrier();
    for (var k = lid; k < n; k += WG) {
        atomicAdd(&hist[grid[sb + k]], 1u);
    }
    workgroupBarrier();
}

// bg, fg and lc of the `n` cells at grid[sb..] (`tokens_from_hist`).
// Contains barriers.
fn color_tokens(sb: u32, n: u32, lid: u32) -> vec3<u32> {
    histogram(sb, n, lid);
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

// Resolves an encoded color argument (0..=9, or a token).
fn color(arg: i32, tok: vec3<u32>) -> u32 {
    if (arg < COLOR_BG) {
        return u32(arg);
    }
    switch arg {
        case COLOR_BG: { return tok.x; }
        case COLOR_FG: { return tok.y; }
        case COLOR_LC: { return tok.z; }
        default: { return 0u; }
    }
}

// `Colors`: resolves the color arguments selected by `mask` (bit k =
// argument k), computing the tokens on the op's input only when one of them
// is a token. `mask` is a constant of the generated dispatch, so every
// branch here is uniform. Contains barriers.
fn resolve_colors(o_in: OpArgs, mask: u32, sb: u32, n: u32, lid: u32) -> OpArgs {
    var o = o_in;
    let any_token = ((mask & 1u) != 0u && o.a0 >= COLOR_BG)
        || ((mask & 2u) != 0u && o.a1 >= COLOR_BG)
        || ((mask & 4u) != 0u && o.a2 >= COLOR_BG)
        || ((mask & 8u) != 0u && o.a3 >= COLOR_BG);
    var tok = vec3<u32>(0u);
    if (any_token) {
        tok = color_tokens(sb, n, lid);
    }
    o.c0 = color(o.a0, tok);
    o.c1 = color(o.a1, tok);
    o.c2 = color(o.a2, tok);
    o.c3 = color(o.a3, tok);
    return o;
}

// Output size of transform `t` (0..=7) on an `h` x `w` grid.
fn transform_size(t: u32, h: u32, w: u32) -> vec2<u32> {
    switch t {
        case T_ROT90, T_ROT270, T_TRANSPOSE, T_ANTITRANSPOSE: { return vec2<u32>(w, h); }
        default: { return vec2<u32>(h, w); }
    }
}

// Source cell (row, column) of output cell (i, j) under transform `t`.
fn transform_src(t: u32, h: u32, w: u32, i: u32, j: u32) -> vec2<u32> {
    switch t {
        case T_ID: { return vec2<u32>(i, j); }
        case T_ROT90: { return vec2<u32>(h - 1u - j, i); }
        case T_ROT180: { return vec2<u32>(h - 1u - i, w - 1u - j); }
        case T_ROT270: { return vec2<u32>(j, w - 1u - i); }
        case T_FLIP_H: { return vec2<u32>(i, w - 1u - j); }
        case T_FLIP_V: { return vec2<u32>(h - 1u - i, j); }
        case T_TRANSPOSE: { return vec2<u32>(j, i); }
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

// Bounding box (r0, r1, c0, c1) of the cells at grid[sb..] that are == c
// (eq) or != c (not eq); r0 = NONE when there is none. Contains barriers.
// (`bbox_label` is the same for the cells of one label: kept apart so that
// the ops that call `bbox` do not touch `lab`, see BUILD.)
fn bbox(eq: bool, c: u32, h: u32, w: u32, sb: u32, lid: u32) -> vec4<u32> {
    bbox_reset(lid);
    for (var k = lid; k < h * w; k += WG) {
        if ((grid[sb + k] == c) == eq) {
            bbox_add(k, w);
        }
    }
    return bbox_result(lid);
}

// Bounding box of the cells whose label (`lab`, ROOT_MASK bits) is `root`.
fn bbox_label(root: u32, h: u32, w: u32, lid: u32) -> vec4<u32> {
    bbox_reset(lid);
    for (var k = lid; k < h * w; k += WG) {
        if ((atomicLoad(&lab[k]) & ROOT_MASK) == root) {
            bbox_add(k, w);
        }
    }
    return bbox_result(lid);
}

fn bbox_reset(lid: u32) {
    if (lid == 0u) {
        atomicStore(&red[0], NONE);
        atomicStore(&red[1], 0u);
        atomicStore(&red[2], NONE);
        atomicStore(&red[3], 0u);
    }
    workgroupBarrier();
}

fn bbox_add(k: u32, w: u32) {
    let i = k / w;
    let j = k % w;
    atomicMin(&red[0], i);
    atomicMax(&red[1], i);
    atomicMin(&red[2], j);
    atomicMax(&red[3], j);
}

fn bbox_result(lid: u32) -> vec4<u32> {
    workgroupBarrier();
    if (lid == 0u) {
        wg_u4 = vec4<u32>(atomicLoad(&red[0]), atomicLoad(&red[1]), atomicLoad(&red[2]), atomicLoad(&red[3]));
    }
    return workgroupUniformLoad(&wg_u4);
}

// Crops grid[sb..] (width w) to rows b.x..=b.y, columns b.z..=b.w into
// grid[db..] (`layout::crop_to`); INVALID when there is no box.
fn crop_to(b: vec4<u32>, w: u32, sb: u32, db: u32, lid: u32) -> vec3<u32> {
    if (b.x == NONE) {
        return INVALID;
    }
    let oh = b.y - b.x + 1u;
    let ow = b.w - b.z + 1u;
    let n = oh * ow;
    for (var k = lid; k < n; k += WG) {
        grid[db + k] = grid[sb + (b.x + k / ow) * w + b.z + k % ow];
    }
    workgroupBarrier();
    return ok(oh, ow);
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

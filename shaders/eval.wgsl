// eval.wgsl: the entry point. The GPU twin of `Interp::run_program`
// (src/lang/interp/mod.rs), of src/hash.rs and of the matching count of
// src/score.rs.
//
// One workgroup (WG threads) evaluates one (program, pair): it copies the
// pair's input grid into workgroup memory, runs the program (each op is a
// pass over the output cells, threads striding over cells, followed by a
// barrier; see ops_*.wgsl), then compares the result with the expected grid
// and hashes it, and writes one 4-word result record (and, when asked, the
// output grid or the match masks: params.extra).
//
// Program records (src/gpu/encode.rs): word 0 = n_prefix | n_suffix << 8
// | n_layers << 16 | flags << 24 (flag 1: norm); when there is a norm or an
// overlay, word 1 = the norm's fixed colors and one word per layer (mask |
// n_ops << 8) follow; then the ops, two words each: prefix, each layer's,
// suffix.
//
// Overlays re-run the prefix from the input for every layer (the result is
// the same each time), so no copy of the overlay's input is kept; the canvas
// is packed four cells to a word (0xff = not painted yet), each word written
// by one thread.

const FLAG_NORM: u32 = 1u;
const UNSET: u32 = 0xffu;

var<workgroup> wg_op: vec2<u32>;
var<workgroup> wg_pair: array<u32, 8>;
var<workgroup> wg_prog: vec4<u32>;
// norm: sigma (color c becomes sigma[c]) and its inverse.
var<workgroup> sigma: array<u32, 10>;
var<workgroup> sigma_inv: array<u32, 10>;
// The overlay's canvas, four cells per word (one word below the full build,
// which alone runs overlays).
override CANVAS_WORDS: u32 = select(MAX_CELLS / 4u, 1u, BUILD < BUILD_FULL);
var<workgroup> canvas: array<u32, CANVAS_WORDS>;

// Where a run is: valid, grid size, and which ping-pong buffer holds it.
struct Run {
    valid: bool,
    h: u32,
    w: u32,
    cur: u32,
}

// `sigma_from_hist` on `hist`: fixed colors stay; the others present, most
// frequent first (ties: smaller color), take the free colors in increasing
// order, then the absent ones. Thread 0 only.
fn compute_sigma(fixed: u32) {
    var done = 0u;
    var slot = 0u;
    // Present non-fixed colors by count, descending (selection, 10 colors).
    for (var r = 0u; r < 10u; r++) {
        var best = NONE;
        var best_n = 0u;
        for (var c = 0u; c < 10u; c++) {
            let n = atomicLoad(&hist[c]);
            if ((fixed >> c & 1u) == 0u && (done >> c & 1u) == 0u && n > 0u && (best == NONE || n > best_n)) {
                best = c;
                best_n = n;
            }
        }
        if (best == NONE) {
            break;
        }
        while ((fixed >> slot & 1u) != 0u) {
            slot++;
        }
        sigma[best] = slot;
        slot++;
        done |= 1u << best;
    }
    for (var c = 0u; c < 10u; c++) {
        if ((fixed >> c & 1u) != 0u) {
            sigma[c] = c;
        } else if ((done >> c & 1u) == 0u) {
            while ((fixed >> slot & 1u) != 0u) {
                slot++;
            }
            sigma[c] = slot;
            slot++;
        }
    }
    for (var c = 0u; c < 10u; c++) {
        sigma_inv[sigma[c]] = c;
    }
}

// Copies the pair's input into buffer 0, renamed by sigma under norm.
// Contains barriers.
fn load_input(in_off: u32, h: u32, w: u32, norm: bool, fixed: u32, lid: u32) {
    for (var k = lid; k < h * w; k += WG) {
        grid[k] = task[in_off + k];
    }
    workgroupBarrier();
    if (norm) {
        histogram(0u, h * w, lid);
        if (lid == 0u) {
            compute_sigma(fixed);
        }
        workgroupBarrier();
        for (var k = lid; k < h * w; k += WG) {
            grid[k] = sigma[grid[k]];
        }
        workgroupBarrier();
    }
}

fn admits(mask: u32, v: u32) -> bool {
    switch mask {
        case MASK_NZ: { return v != 0u; }
        case MASK_Z: { return v == 0u; }
        default: { return true; }
    }
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
    // The loop-limit flag (see the end of main): cleared before anything
    // else, set only by an invocation whose canary fires.
    if (lid == 0u) {
        results[slot * 4u + 3u] = 0u;
    }
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
    let in_h = pm[1];
    let in_w = pm[2];
    let exp_off = pm[3];
    let eh = pm[4];
    let ew = pm[5];
    let poff = pm[6];
    let header = pm[7];
    let n_prefix = header & 0xffu;
    let n_suffix = (header >> 8u) & 0xffu;
    // Only the full build runs overlays (src/gpu/variant.rs): in the others
    // the overlay's code below is dead.
    let n_layers = select((header >> 16u) & 0xffu, 0u, BUILD < BUILD_FULL);
    let norm = ((header >> 24u) & FLAG_NORM) != 0u;
    let extended = norm || n_layers > 0u;
    var fixed = 0u;
    if (extended) {
        if (lid == 0u) {
            wg_prog = vec4<u32>(programs[poff + 1u], 0u, 0u, 0u);
        }
        fixed = workgroupUniformLoad(&wg_prog).x;
    }
    // Words before the ops.
    let ops_at = poff + 1u + select(0u, 1u + n_layers, extended);

    // Segments: without an overlay, one (the input, then the prefix); with
    // one, a segment per layer (the input again, the prefix, the layer's
    // ops, then painting the canvas) and a last one (the canvas, then the
    // suffix). One call site of apply_op and of load_input (each call site
    // of the dispatch costs compile time and code size, and software
    // adapters run every branch of a loop body under a lane mask). Every
    // value deciding a branch here is uniform.
    let n_segs = select(1u, n_layers + 1u, n_layers > 0u);
    var r = Run(true, in_h, in_w, 0u);
    var layer_at = ops_at + 2u * n_prefix;
    var ch = 0u;
    var cw = 0u;
    for (var seg = 0u; seg < n_segs; seg++) {
        let is_layer = seg < n_layers;
        let is_suffix = n_layers > 0u && seg == n_layers;
        var n_first = n_prefix;
        var n_second = 0u;
        var mask = 0u;
        if (is_layer) {
            if (lid == 0u) {
                wg_prog = vec4<u32>(programs[poff + 2u + seg], 0u, 0u, 0u);
            }
            let lw = workgroupUniformLoad(&wg_prog).x;
            mask = lw & 0xffu;
            n_second = lw >> 8u;
        }
        if (is_suffix) {
            n_first = 0u;
            n_second = n_suffix;
            let n = ch * cw;
            for (var k = lid; k < n; k += WG) {
                let v = (canvas[k / 4u] >> (8u * (k % 4u))) & 0xffu;
                grid[k] = select(v, 0u, v == UNSET);
            }
            workgroupBarrier();
            r = Run(true, ch, cw, 0u);
        } else {
            load_input(in_off, in_h, in_w, norm, fixed, lid);
            r = Run(true, in_h, in_w, 0u);
        }
        for (var idx = 0u; idx < n_first + n_second; idx++) {
            let op_at = select(layer_at + 2u * (idx - n_first), ops_at + 2u * idx, idx < n_first);
            if (lid == 0u) {
                wg_op = vec2<u32>(programs[op_at], programs[op_at + 1u]);
            }
            let op = workgroupUniformLoad(&wg_op);
            let res = apply_op(op.x, op.y, r.h, r.w, r.cur * MAX_CELLS, (1u - r.cur) * MAX_CELLS, lid);
            if (res.x == 0u) {
                r.valid = false;
                break;
            }
            r = Run(true, res.y, res.z, 1u - r.cur);
        }
        if (!r.valid) {
            break;
        }
        if (is_layer) {
            // Paint the layer's cells that are still unset.
            if (seg == 0u) {
                ch = r.h;
                cw = r.w;
                for (var q = lid; q < CANVAS_WORDS; q += WG) {
                    canvas[q] = 0xffffffffu;
                }
                workgroupBarrier();
            } else if (r.h != ch || r.w != cw) {
                r.valid = false;
                break;
            }
            let n = ch * cw;
            let yb = r.cur * MAX_CELLS;
            for (var q = lid; q < (n + 3u) / 4u; q += WG) {
                var word = canvas[q];
                for (var b = 0u; b < 4u; b++) {
                    let k = 4u * q + b;
                    if (k < n && ((word >> (8u * b)) & 0xffu) == UNSET) {
                        let v = grid[yb + k];
                        if (admits(mask, v)) {
                            word = (word & ~(0xffu << (8u * b))) | (v << (8u * b));
                        }
                    }
                }
                canvas[q] = word;
            }
            workgroupBarrier();
            layer_at += 2u * n_second;
        }
    }
    if (r.valid && norm) {
        let base = r.cur * MAX_CELLS;
        for (var k = lid; k < r.h * r.w; k += WG) {
            grid[base + k] = sigma_inv[grid[base + k]];
        }
        workgroupBarrier();
    }

    // Hash lanes and matching cells (`grid_hash`, `matching_cells`).
    if (lid == 0u) {
        atomicStore(&red[0], 0u);
        atomicStore(&red[1], 0u);
        atomicStore(&red[2], 0u);
    }
    workgroupBarrier();
    let sb = r.cur * MAX_CELLS;
    let h = select(0u, r.h, r.valid);
    let w = r.w;
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
        if (params.extra == EXTRA_GRIDS) {
            extra_out[slot * MAX_CELLS + k] = c;
        }
    }
    atomicAdd(&red[0], lo);
    atomicAdd(&red[1], hi);
    atomicAdd(&red[2], m);
    workgroupBarrier();
    if (lid == 0u) {
        let rec = slot * 4u;
        if (r.valid) {
            let hash = finish(atomicLoad(&red[0]), atomicLoad(&red[1]), h, w);
            results[rec] = h | (w << 8u) | (atomicLoad(&red[2]) << 16u);
            results[rec + 1u] = hash.x;
            results[rec + 2u] = hash.y;
        } else {
            results[rec] = 0u;
            results[rec + 1u] = 0u;
            results[rec + 2u] = 0u;
        }
    }

    // Match masks (`match_masks` in src/score.rs): one thread per 32-cell
    // word, no barrier (each word is written by one invocation).
    if (params.extra == EXTRA_MASKS) {
        let same = r.valid && h == eh && w == ew;
        let base = slot * MASK_WORDS;
        for (var q = lid; q < MASK_SET_WORDS; q += WG) {
            var nz = 0u;
            var bad = 0u;
            if (same) {
                let k0 = 32u * q;
                let k1 = min(k0 + 32u, n);
                for (var k = k0; k < k1; k++) {
                    let c = grid[sb + k];
                    nz |= select(0u, 1u << (k - k0), c != 0u);
                    bad |= select(0u, 1u << (k - k0), c != task[exp_off + k]);
                }
            }
            extra_out[base + q] = nz;
            extra_out[base + MASK_SET_WORDS + q] = bad;
        }
    }

    // The loop-limit canary, last so that it covers every loop above:
    // lavapipe (gallivm) lets each SIMD bundle run at most 65,535 loop
    // iterations in all, then ends every loop after one
    // iteration, silently (and a bundle whose loops end early skips
    // barriers, so the workgroup's shared values are no longer trustworthy).
    // A loop of pair_count + 1 >= 2 iterations (a count the compiler cannot
    // know) that runs once shows that this happened to this invocation's
    // bundle; the invocation itself then sets word 3 of the record, without
    // any workgroup memory or barrier, and the host recomputes the (program,
    // pair) on the CPU (docs/gpu.md).
    var spins = 0u;
    for (var i = 0u; i <= params.pair_count; i++) {
        spins++;
    }
    if (spins != params.pair_count + 1u) {
        results[slot * 4u + 3u] = 1u;
    }
}

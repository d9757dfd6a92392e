// generated.wgsl: written by src/gpu/codegen.rs from the op table
// (src/lang/ops.rs, src/lang/args.rs). Do not edit: change the table and
// run `GRIDSCORE_BLESS=1 cargo test --test shaders`.

// Limits.
const MAX_DIM: u32 = 30u;
const MAX_CELLS: u32 = 900u;
const MAX_OPS: u32 = 16u;
const MAX_LAYERS: u32 = 8u;
const SYM_MAX_CELLS: u32 = 100u;

// What a dispatch writes besides the results (params.extra).
const EXTRA_NONE: u32 = 0u;
const EXTRA_GRIDS: u32 = 1u;
const EXTRA_MASKS: u32 = 2u;
// Match masks: words per bitset, per (program, pair).
const MASK_SET_WORDS: u32 = 29u;
const MASK_WORDS: u32 = 58u;

// Builds of the shader (the override BUILD, src/gpu/variant.rs).
const BUILD_LIGHT: u32 = 0u;
const BUILD_LABELS: u32 = 1u;
const BUILD_FULL: u32 = 2u;

// Color tokens (encoded color arguments).
const COLOR_BG: i32 = 10;
const COLOR_FG: i32 = 11;
const COLOR_LC: i32 = 12;

// Values of a transform.
const T_ID: u32 = 0u;
const T_ROT90: u32 = 1u;
const T_ROT180: u32 = 2u;
const T_ROT270: u32 = 3u;
const T_FLIP_H: u32 = 4u;
const T_FLIP_V: u32 = 5u;
const T_TRANSPOSE: u32 = 6u;
const T_ANTITRANSPOSE: u32 = 7u;

// Values of a direction.
const DIR4_UP: u32 = 0u;
const DIR4_DOWN: u32 = 1u;
const DIR4_LEFT: u32 = 2u;
const DIR4_RIGHT: u32 = 3u;

// Values of a logic op.
const LOGIC_AND: u32 = 0u;
const LOGIC_OR: u32 = 1u;
const LOGIC_XOR: u32 = 2u;
const LOGIC_NOR: u32 = 3u;
const LOGIC_LEFT: u32 = 4u;
const LOGIC_RIGHT: u32 = 5u;

// Values of a selector.
const SEL_LARGEST: u32 = 0u;
const SEL_SMALLEST: u32 = 1u;

// Values of a layer mask.
const MASK_NZ: u32 = 0u;
const MASK_Z: u32 = 1u;
const MASK_ALL: u32 = 2u;

// Values of a smear direction set.
const SMEAR_RIGHT: u32 = 0u;
const SMEAR_LEFT: u32 = 1u;
const SMEAR_DOWN: u32 = 2u;
const SMEAR_UP: u32 = 3u;
const SMEAR_H: u32 = 4u;
const SMEAR_V: u32 = 5u;
const SMEAR_HV: u32 = 6u;
const SMEAR_DR: u32 = 7u;
const SMEAR_UL: u32 = 8u;
const SMEAR_UR: u32 = 9u;
const SMEAR_DL: u32 = 10u;
const SMEAR_DIAG: u32 = 11u;
const SMEAR_ANTI: u32 = 12u;
const SMEAR_X: u32 = 13u;
const SMEAR_STAR: u32 = 14u;

// Values of a set of axes.
const AXES_H: u32 = 0u;
const AXES_V: u32 = 1u;
const AXES_HV: u32 = 2u;
const AXES_DIAG: u32 = 3u;
const AXES_ALL: u32 = 4u;

// Values of a way to cut pieces.
const SPLIT_OBJ: u32 = 0u;
const SPLIT_OBJ4: u32 = 1u;
const SPLIT_COBJ: u32 = 2u;
const SPLIT_COLOR: u32 = 3u;
const SPLIT_CELL: u32 = 4u;

// Values of a piece property.
const CRIT_MAX_CELLS: u32 = 0u;
const CRIT_MIN_CELLS: u32 = 1u;
const CRIT_MAX_AREA: u32 = 2u;
const CRIT_MIN_AREA: u32 = 3u;
const CRIT_MAX_COLORS: u32 = 4u;
const CRIT_MIN_COLORS: u32 = 5u;
const CRIT_TOP: u32 = 6u;
const CRIT_BOTTOM: u32 = 7u;
const CRIT_LEFT: u32 = 8u;
const CRIT_RIGHT: u32 = 9u;
const CRIT_MAX_HOLES: u32 = 10u;
const CRIT_MIN_HOLES: u32 = 11u;
const CRIT_UNIQUE_COLOR: u32 = 12u;
const CRIT_UNIQUE_SHAPE: u32 = 13u;
const CRIT_COMMON_SHAPE: u32 = 14u;

// Values of a count.
const COUNT_CELLS: u32 = 0u;
const COUNT_COLORS: u32 = 1u;
const COUNT_OBJECTS: u32 = 2u;

// Values of a block shape.
const SHAPE_SQUARE: u32 = 0u;
const SHAPE_ROW: u32 = 1u;
const SHAPE_COL: u32 = 2u;

// Values of a piece label.
const LABEL_SIZE: u32 = 0u;
const LABEL_RANK: u32 = 1u;
const LABEL_SHARED: u32 = 2u;

// Values of an outer product.
const OUTER_SELF: u32 = 0u;
const OUTER_INV: u32 = 1u;
const OUTER_COLOR: u32 = 2u;

// Values of an order.
const ORDER_FWD: u32 = 0u;
const ORDER_BACK: u32 = 1u;

// Values of a symmetry.
const SYM_H: u32 = 0u;
const SYM_V: u32 = 1u;
const SYM_R2: u32 = 2u;
const SYM_R4: u32 = 3u;

// Ray directions (dy, dx) of each `smear` direction set (SmearDir::dirs)
// and each `connect` axis set (Axes::dirs), highest priority first, one
// nibble each from bit 0: 1 + 3 * (dy + 1) + (dx + 1); 0 ends the list.
fn smear_dirs(v: u32) -> u32 {
    switch v {
        case SMEAR_RIGHT: { return 0x00000006u; } // (0, 1)
        case SMEAR_LEFT: { return 0x00000004u; } // (0, -1)
        case SMEAR_DOWN: { return 0x00000008u; } // (1, 0)
        case SMEAR_UP: { return 0x00000002u; } // (-1, 0)
        case SMEAR_H: { return 0x00000046u; } // (0, 1) (0, -1)
        case SMEAR_V: { return 0x00000028u; } // (1, 0) (-1, 0)
        case SMEAR_HV: { return 0x00002846u; } // (0, 1) (0, -1) (1, 0) (-1, 0)
        case SMEAR_DR: { return 0x00000009u; } // (1, 1)
        case SMEAR_UL: { return 0x00000001u; } // (-1, -1)
        case SMEAR_UR: { return 0x00000003u; } // (-1, 1)
        case SMEAR_DL: { return 0x00000007u; } // (1, -1)
        case SMEAR_DIAG: { return 0x00000019u; } // (1, 1) (-1, -1)
        case SMEAR_ANTI: { return 0x00000073u; } // (-1, 1) (1, -1)
        case SMEAR_X: { return 0x00007319u; } // (1, 1) (-1, -1) (-1, 1) (1, -1)
        case SMEAR_STAR: { return 0x73192846u; } // (0, 1) (0, -1) (1, 0) (-1, 0) (1, 1) (-1, -1) (-1, 1) (1, -1)
        default: { return 0u; }
    }
}
fn axes_dirs(v: u32) -> u32 {
    switch v {
        case AXES_H: { return 0x00000006u; } // (0, 1)
        case AXES_V: { return 0x00000008u; } // (1, 0)
        case AXES_HV: { return 0x00000086u; } // (0, 1) (1, 0)
        case AXES_DIAG: { return 0x00000079u; } // (1, 1) (1, -1)
        case AXES_ALL: { return 0x00007986u; } // (0, 1) (1, 0) (1, 1) (1, -1)
        default: { return 0u; }
    }
}

// Op codes.
const OP_ID: u32 = 0u;
const OP_ROT90: u32 = 1u;
const OP_ROT180: u32 = 2u;
const OP_ROT270: u32 = 3u;
const OP_FLIP_H: u32 = 4u;
const OP_FLIP_V: u32 = 5u;
const OP_TRANSPOSE: u32 = 6u;
const OP_ANTITRANSPOSE: u32 = 7u;
const OP_RECOLOR: u32 = 8u;
const OP_SWAP: u32 = 9u;
const OP_MAP: u32 = 10u;
const OP_KEEP: u32 = 11u;
const OP_PAINT: u32 = 12u;
const OP_CROP_BBOX: u32 = 13u;
const OP_TRIM: u32 = 14u;
const OP_MIRROR_TILE: u32 = 15u;
const OP_HCAT: u32 = 16u;
const OP_VCAT: u32 = 17u;
const OP_UPSCALE: u32 = 18u;
const OP_TILE: u32 = 19u;
const OP_DOWNSCALE: u32 = 20u;
const OP_SPLIT_H: u32 = 21u;
const OP_SPLIT_V: u32 = 22u;
const OP_CROP: u32 = 23u;
const OP_SHIFT: u32 = 24u;
const OP_OBJECT: u32 = 25u;
const OP_GRAVITY: u32 = 26u;
const OP_FILL_ENCLOSED: u32 = 27u;
const OP_HALO: u32 = 28u;
const OP_HALVES_H: u32 = 29u;
const OP_HALVES_V: u32 = 30u;
const OP_SMEAR: u32 = 31u;
const OP_CONNECT: u32 = 32u;
const OP_BORDER: u32 = 33u;
const OP_INTERIOR: u32 = 34u;
const OP_FILL_HOLES: u32 = 35u;
const OP_BBOX_FILL: u32 = 36u;
const OP_HALO4: u32 = 37u;
const OP_FRAME: u32 = 38u;
const OP_COMPRESS: u32 = 39u;
const OP_DEDUP: u32 = 40u;
const OP_SPREAD: u32 = 41u;
const OP_MAJORITY: u32 = 42u;
const OP_COUNT: u32 = 43u;
const OP_UPSCALE_BY: u32 = 44u;
const OP_PICK: u32 = 45u;
const OP_KEEP_PIECES: u32 = 46u;
const OP_DROP_PIECES: u32 = 47u;
const OP_RECOLOR_BY: u32 = 48u;
const OP_FALL: u32 = 49u;
const OP_OUTER: u32 = 50u;
const OP_PANELS_H: u32 = 51u;
const OP_PANELS_V: u32 = 52u;
const OP_REPAIR: u32 = 53u;
const OP_REPAIR_CROP: u32 = 54u;
const OP_PAD: u32 = 55u;
const OP_RESIZE: u32 = 56u;
const OP_CELL_COLORS: u32 = 57u;
const OP_CROP_FRAME: u32 = 58u;
const OP_FLOOD: u32 = 59u;
const OP_COLOR_BOXES: u32 = 60u;
const OP_PALETTE: u32 = 61u;
const OP_PERIOD: u32 = 62u;
const OP_EXTEND: u32 = 63u;
const OP_SYMMETRIZE: u32 = 64u;
const OP_STAMP: u32 = 65u;

// Bit k set: argument k of the op is a color.
fn color_arg_mask(code: u32) -> u32 {
    switch code {
        case OP_RECOLOR: { return 3u; }
        case OP_SWAP: { return 3u; }
        case OP_KEEP: { return 3u; }
        case OP_PAINT: { return 3u; }
        case OP_CROP_BBOX: { return 1u; }
        case OP_SHIFT: { return 4u; }
        case OP_OBJECT: { return 2u; }
        case OP_GRAVITY: { return 2u; }
        case OP_FILL_ENCLOSED: { return 3u; }
        case OP_HALO: { return 3u; }
        case OP_HALVES_H: { return 2u; }
        case OP_HALVES_V: { return 2u; }
        case OP_HALO4: { return 3u; }
        case OP_FRAME: { return 1u; }
        case OP_COMPRESS: { return 1u; }
        case OP_REPAIR: { return 1u; }
        case OP_REPAIR_CROP: { return 1u; }
        case OP_PAD: { return 4u; }
        case OP_FLOOD: { return 3u; }
        default: { return 0u; }
    }
}

// Decodes op words w0, w1 (src/gpu/encode.rs) and applies the op to the
// h x w grid at grid[sb..], writing grid[db..]: (valid, out h, out w).
// Color arguments are resolved on the input first (`Colors`), with one
// call site of the token computation for all ops; then `prelude` runs the
// work that several ops share (labels, piece statistics, repair; see
// prelude.wgsl), also with one call site. An op that the build (BUILD,
// src/gpu/variant.rs) leaves out is INVALID there, and dead code.
fn apply_op(w0: u32, w1: u32, h: u32, w: u32, sb: u32, db: u32, lid: u32) -> vec3<u32> {
    var o: OpArgs;
    o.code = w0 & 0xffu;
    o.a0 = bitcast<i32>(w1);
    o.a1 = bitcast<i32>(w0 << 16u) >> 24u;
    o.a2 = bitcast<i32>(w0 << 8u) >> 24u;
    o.a3 = bitcast<i32>(w0) >> 24u;
    o = resolve_colors(o, color_arg_mask(o.code), sb, h * w, lid);
    if (BUILD > BUILD_LIGHT && !prelude(o, h, w, sb, db, lid)) {
        return INVALID;
    }
    switch o.code {
        case OP_ID: { return op_id(o, h, w, sb, db, lid); }
        case OP_ROT90: { return op_rot90(o, h, w, sb, db, lid); }
        case OP_ROT180: { return op_rot180(o, h, w, sb, db, lid); }
        case OP_ROT270: { return op_rot270(o, h, w, sb, db, lid); }
        case OP_FLIP_H: { return op_flip_h(o, h, w, sb, db, lid); }
        case OP_FLIP_V: { return op_flip_v(o, h, w, sb, db, lid); }
        case OP_TRANSPOSE: { return op_transpose(o, h, w, sb, db, lid); }
        case OP_ANTITRANSPOSE: { return op_antitranspose(o, h, w, sb, db, lid); }
        case OP_RECOLOR: { return op_recolor(o, h, w, sb, db, lid); }
        case OP_SWAP: { return op_swap(o, h, w, sb, db, lid); }
        case OP_MAP: { o.a1 = i32((w0 >> 8u) & 0xffu); return op_map(o, h, w, sb, db, lid); }
        case OP_KEEP: { return op_keep(o, h, w, sb, db, lid); }
        case OP_PAINT: { return op_paint(o, h, w, sb, db, lid); }
        case OP_CROP_BBOX: { return op_crop_bbox(o, h, w, sb, db, lid); }
        case OP_TRIM: { return op_trim(o, h, w, sb, db, lid); }
        case OP_MIRROR_TILE: { return op_mirror_tile(o, h, w, sb, db, lid); }
        case OP_HCAT: { return op_hcat(o, h, w, sb, db, lid); }
        case OP_VCAT: { return op_vcat(o, h, w, sb, db, lid); }
        case OP_UPSCALE: { return op_upscale(o, h, w, sb, db, lid); }
        case OP_TILE: { return op_tile(o, h, w, sb, db, lid); }
        case OP_DOWNSCALE: { return op_downscale(o, h, w, sb, db, lid); }
        case OP_SPLIT_H: { return op_split_h(o, h, w, sb, db, lid); }
        case OP_SPLIT_V: { return op_split_v(o, h, w, sb, db, lid); }
        case OP_CROP: { return op_crop(o, h, w, sb, db, lid); }
        case OP_SHIFT: { return op_shift(o, h, w, sb, db, lid); }
        case OP_OBJECT: { if (BUILD < BUILD_LABELS) { return INVALID; } return op_object(o, h, w, sb, db, lid); }
        case OP_GRAVITY: { return op_gravity(o, h, w, sb, db, lid); }
        case OP_FILL_ENCLOSED: { if (BUILD < BUILD_LABELS) { return INVALID; } return op_fill_enclosed(o, h, w, sb, db, lid); }
        case OP_HALO: { return op_halo(o, h, w, sb, db, lid); }
        case OP_HALVES_H: { return op_halves_h(o, h, w, sb, db, lid); }
        case OP_HALVES_V: { return op_halves_v(o, h, w, sb, db, lid); }
        case OP_SMEAR: { return op_smear(o, h, w, sb, db, lid); }
        case OP_CONNECT: { return op_connect(o, h, w, sb, db, lid); }
        case OP_BORDER: { if (BUILD < BUILD_LABELS) { return INVALID; } return op_border(o, h, w, sb, db, lid); }
        case OP_INTERIOR: { if (BUILD < BUILD_LABELS) { return INVALID; } return op_interior(o, h, w, sb, db, lid); }
        case OP_FILL_HOLES: { if (BUILD < BUILD_LABELS) { return INVALID; } return op_fill_holes(o, h, w, sb, db, lid); }
        case OP_BBOX_FILL: { if (BUILD < BUILD_LABELS) { return INVALID; } return op_bbox_fill(o, h, w, sb, db, lid); }
        case OP_HALO4: { return op_halo4(o, h, w, sb, db, lid); }
        case OP_FRAME: { return op_frame(o, h, w, sb, db, lid); }
        case OP_COMPRESS: { if (BUILD < BUILD_LABELS) { return INVALID; } return op_compress(o, h, w, sb, db, lid); }
        case OP_DEDUP: { if (BUILD < BUILD_LABELS) { return INVALID; } return op_dedup(o, h, w, sb, db, lid); }
        case OP_SPREAD: { if (BUILD < BUILD_LABELS) { return INVALID; } return op_spread(o, h, w, sb, db, lid); }
        case OP_MAJORITY: { if (BUILD < BUILD_LABELS) { return INVALID; } return op_majority(o, h, w, sb, db, lid); }
        case OP_COUNT: { if (BUILD < BUILD_LABELS) { return INVALID; } return op_count(o, h, w, sb, db, lid); }
        case OP_UPSCALE_BY: { if (BUILD < BUILD_LABELS) { return INVALID; } return op_upscale_by(o, h, w, sb, db, lid); }
        case OP_PICK: { if (BUILD < BUILD_FULL) { return INVALID; } return op_pick(o, h, w, sb, db, lid); }
        case OP_KEEP_PIECES: { if (BUILD < BUILD_FULL) { return INVALID; } return op_keep_pieces(o, h, w, sb, db, lid); }
        case OP_DROP_PIECES: { if (BUILD < BUILD_FULL) { return INVALID; } return op_drop_pieces(o, h, w, sb, db, lid); }
        case OP_RECOLOR_BY: { if (BUILD < BUILD_FULL) { return INVALID; } return op_recolor_by(o, h, w, sb, db, lid); }
        case OP_FALL: { if (BUILD < BUILD_LABELS) { return INVALID; } return op_fall(o, h, w, sb, db, lid); }
        case OP_OUTER: { return op_outer(o, h, w, sb, db, lid); }
        case OP_PANELS_H: { return op_panels_h(o, h, w, sb, db, lid); }
        case OP_PANELS_V: { return op_panels_v(o, h, w, sb, db, lid); }
        case OP_REPAIR: { if (BUILD < BUILD_FULL) { return INVALID; } return op_repair(o, h, w, sb, db, lid); }
        case OP_REPAIR_CROP: { if (BUILD < BUILD_FULL) { return INVALID; } return op_repair_crop(o, h, w, sb, db, lid); }
        case OP_PAD: { return op_pad(o, h, w, sb, db, lid); }
        case OP_RESIZE: { return op_resize(o, h, w, sb, db, lid); }
        case OP_CELL_COLORS: { if (BUILD < BUILD_FULL) { return INVALID; } return op_cell_colors(o, h, w, sb, db, lid); }
        case OP_CROP_FRAME: { if (BUILD < BUILD_LABELS) { return INVALID; } return op_crop_frame(o, h, w, sb, db, lid); }
        case OP_FLOOD: { if (BUILD < BUILD_LABELS) { return INVALID; } return op_flood(o, h, w, sb, db, lid); }
        case OP_COLOR_BOXES: { if (BUILD < BUILD_LABELS) { return INVALID; } return op_color_boxes(o, h, w, sb, db, lid); }
        case OP_PALETTE: { return op_palette(o, h, w, sb, db, lid); }
        case OP_PERIOD: { if (BUILD < BUILD_LABELS) { return INVALID; } return op_period(o, h, w, sb, db, lid); }
        case OP_EXTEND: { if (BUILD < BUILD_LABELS) { return INVALID; } return op_extend(o, h, w, sb, db, lid); }
        case OP_SYMMETRIZE: { if (BUILD < BUILD_LABELS) { return INVALID; } return op_symmetrize(o, h, w, sb, db, lid); }
        case OP_STAMP: { if (BUILD < BUILD_LABELS) { return INVALID; } return op_stamp(o, h, w, sb, db, lid); }
        default: { return INVALID; }
    }
}

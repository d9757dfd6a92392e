// ops_shapes.wgsl: the GPU twins of src/lang/interp/shapes.rs.
//
// PENDING: the twins of these v2 ops are being written; until then they
// return INVALID and the GPU differential tests fail for them.

fn op_border(o: OpArgs, h: u32, w: u32, sb: u32, db: u32, lid: u32) -> vec3<u32> {
    return INVALID;
}

fn op_interior(o: OpArgs, h: u32, w: u32, sb: u32, db: u32, lid: u32) -> vec3<u32> {
    return INVALID;
}

fn op_fill_holes(o: OpArgs, h: u32, w: u32, sb: u32, db: u32, lid: u32) -> vec3<u32> {
    return INVALID;
}

fn op_bbox_fill(o: OpArgs, h: u32, w: u32, sb: u32, db: u32, lid: u32) -> vec3<u32> {
    return INVALID;
}

fn op_halo4(o: OpArgs, h: u32, w: u32, sb: u32, db: u32, lid: u32) -> vec3<u32> {
    return INVALID;
}

fn op_frame(o: OpArgs, h: u32, w: u32, sb: u32, db: u32, lid: u32) -> vec3<u32> {
    return INVALID;
}

fn op_compress(o: OpArgs, h: u32, w: u32, sb: u32, db: u32, lid: u32) -> vec3<u32> {
    return INVALID;
}

fn op_dedup(o: OpArgs, h: u32, w: u32, sb: u32, db: u32, lid: u32) -> vec3<u32> {
    return INVALID;
}

fn op_spread(o: OpArgs, h: u32, w: u32, sb: u32, db: u32, lid: u32) -> vec3<u32> {
    return INVALID;
}

fn op_majority(o: OpArgs, h: u32, w: u32, sb: u32, db: u32, lid: u32) -> vec3<u32> {
    return INVALID;
}

fn op_count(o: OpArgs, h: u32, w: u32, sb: u32, db: u32, lid: u32) -> vec3<u32> {
    return INVALID;
}

fn op_upscale_by(o: OpArgs, h: u32, w: u32, sb: u32, db: u32, lid: u32) -> vec3<u32> {
    return INVALID;
}

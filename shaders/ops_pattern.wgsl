// ops_pattern.wgsl: the GPU twins of src/lang/interp/pattern.rs.
//
// PENDING: the twins of these v2 ops are being written; until then they
// return INVALID and the GPU differential tests fail for them.

fn op_outer(o: OpArgs, h: u32, w: u32, sb: u32, db: u32, lid: u32) -> vec3<u32> {
    return INVALID;
}

fn op_panels_h(o: OpArgs, h: u32, w: u32, sb: u32, db: u32, lid: u32) -> vec3<u32> {
    return INVALID;
}

fn op_panels_v(o: OpArgs, h: u32, w: u32, sb: u32, db: u32, lid: u32) -> vec3<u32> {
    return INVALID;
}

fn op_repair(o: OpArgs, h: u32, w: u32, sb: u32, db: u32, lid: u32) -> vec3<u32> {
    return INVALID;
}

fn op_repair_crop(o: OpArgs, h: u32, w: u32, sb: u32, db: u32, lid: u32) -> vec3<u32> {
    return INVALID;
}

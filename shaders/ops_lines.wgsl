// ops_lines.wgsl: the GPU twins of src/lang/interp/lines.rs.
//
// PENDING: the twins of these v2 ops are being written; until then they
// return INVALID and the GPU differential tests fail for them.

fn op_smear(o: OpArgs, h: u32, w: u32, sb: u32, db: u32, lid: u32) -> vec3<u32> {
    return INVALID;
}

fn op_connect(o: OpArgs, h: u32, w: u32, sb: u32, db: u32, lid: u32) -> vec3<u32> {
    return INVALID;
}

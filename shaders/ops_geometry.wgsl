// ops_geometry.wgsl: the GPU twins of src/lang/interp/geometry.rs.
// Every op function has the signature of the generated dispatch (see
// generated.wgsl): it reads the h x w grid at grid[sb..], writes its output
// at grid[db..], ends with a barrier and returns (valid, out h, out w).

fn transform(t: u32, h: u32, w: u32, sb: u32, db: u32, lid: u32) -> vec3<u32> {
    let s = transform_size(t, h, w);
    let n = s.x * s.y;
    for (var k = lid; k < n; k += WG) {
        let src = transform_src(t, h, w, k / s.y, k % s.y);
        grid[db + k] = grid[sb + src.x * w + src.y];
    }
    workgroupBarrier();
    return ok(s.x, s.y);
}

fn op_id(o: OpArgs, h: u32, w: u32, sb: u32, db: u32, lid: u32) -> vec3<u32> {
    return transform(T_ID, h, w, sb, db, lid);
}

fn op_rot90(o: OpArgs, h: u32, w: u32, sb: u32, db: u32, lid: u32) -> vec3<u32> {
    return transform(T_ROT90, h, w, sb, db, lid);
}

fn op_rot180(o: OpArgs, h: u32, w: u32, sb: u32, db: u32, lid: u32) -> vec3<u32> {
    return transform(T_ROT180, h, w, sb, db, lid);
}

fn op_rot270(o: OpArgs, h: u32, w: u32, sb: u32, db: u32, lid: u32) -> vec3<u32> {
    return transform(T_ROT270, h, w, sb, db, lid);
}

fn op_flip_h(o: OpArgs, h: u32, w: u32, sb: u32, db: u32, lid: u32) -> vec3<u32> {
    return transform(T_FLIP_H, h, w, sb, db, lid);
}

fn op_flip_v(o: OpArgs, h: u32, w: u32, sb: u32, db: u32, lid: u32) -> vec3<u32> {
    return transform(T_FLIP_V, h, w, sb, db, lid);
}

fn op_transpose(o: OpArgs, h: u32, w: u32, sb: u32, db: u32, lid: u32) -> vec3<u32> {
    return transform(T_TRANSPOSE, h, w, sb, db, lid);
}

fn op_antitranspose(o: OpArgs, h: u32, w: u32, sb: u32, db: u32, lid: u32) -> vec3<u32> {
    return transform(T_ANTITRANSPOSE, h, w, sb, db, lid);
}

// ops_color.wgsl: the GPU twins of src/lang/interp/color.rs (same size;
// one thread per cell).

fn op_recolor(o: OpArgs, h: u32, w: u32, sb: u32, db: u32, lid: u32) -> vec3<u32> {
    for (var k = lid; k < h * w; k += WG) {
        let v = grid[sb + k];
        grid[db + k] = select(v, o.c1, v == o.c0);
    }
    workgroupBarrier();
    return ok(h, w);
}

fn op_swap(o: OpArgs, h: u32, w: u32, sb: u32, db: u32, lid: u32) -> vec3<u32> {
    for (var k = lid; k < h * w; k += WG) {
        let v = grid[sb + k];
        var r = v;
        if (v == o.c0) {
            r = o.c1;
        } else if (v == o.c1) {
            r = o.c0;
        }
        grid[db + k] = r;
    }
    workgroupBarrier();
    return ok(h, w);
}

// Digit k in nibble k: digits 0..=7 in a0, 8 and 9 in a1.
fn op_map(o: OpArgs, h: u32, w: u32, sb: u32, db: u32, lid: u32) -> vec3<u32> {
    for (var k = lid; k < h * w; k += WG) {
        let v = grid[sb + k];
        var r = 0u;
        if (v < 8u) {
            r = (bitcast<u32>(o.a0) >> (4u * v)) & 15u;
        } else {
            r = (bitcast<u32>(o.a1) >> (4u * (v - 8u))) & 15u;
        }
        grid[db + k] = r;
    }
    workgroupBarrier();
    return ok(h, w);
}

fn op_keep(o: OpArgs, h: u32, w: u32, sb: u32, db: u32, lid: u32) -> vec3<u32> {
    for (var k = lid; k < h * w; k += WG) {
        let v = grid[sb + k];
        grid[db + k] = select(v, o.c1, v != o.c0);
    }
    workgroupBarrier();
    return ok(h, w);
}

fn op_paint(o: OpArgs, h: u32, w: u32, sb: u32, db: u32, lid: u32) -> vec3<u32> {
    for (var k = lid; k < h * w; k += WG) {
        let v = grid[sb + k];
        grid[db + k] = select(v, o.c0, v != o.c1);
    }
    workgroupBarrier();
    return ok(h, w);
}

// ops_lines.wgsl: the GPU twins of src/lang/interp/lines.rs.
//
// Both ops sweep lines: one pass per direction of the op's list (from the
// generated smear_dirs / axes_dirs), lowest priority first, each pass
// overwriting what the lower ones wrote, so a cell ends with the value of
// the highest-priority direction that gives it one (the CPU's order). In a
// pass one thread walks each line (a row, column or diagonal starting where
// the previous cell would be outside the grid); the lines of one direction
// are disjoint, so every cell is written by at most one thread, and a
// barrier separates the passes.

// Direction k (dy, dx) of a packed list (see generated.wgsl).
fn dir_at(dirs: u32, k: u32) -> vec2<i32> {
    let v = i32((dirs >> (4u * k)) & 15u) - 1;
    return vec2<i32>(v / 3 - 1, v % 3 - 1);
}

// smear (conn = false): a 0-cell takes the color of the nearest non-0 cell
// behind it along the direction. connect (conn = true): the 0-cells between
// two non-0 cells of one color with only 0-cells between them take it (the
// sweep goes forward along the axis and fills the gap it just passed).
fn lines(dirs: u32, conn: bool, h: u32, w: u32, sb: u32, db: u32, lid: u32) -> vec3<u32> {
    let n = h * w;
    for (var k = lid; k < n; k += WG) {
        grid[db + k] = grid[sb + k];
    }
    workgroupBarrier();
    let count = (firstLeadingBit(dirs) + 4u) / 4u;
    let ih = i32(h);
    let iw = i32(w);
    for (var r = count; r > 0u; r--) {
        let d = dir_at(dirs, r - 1u);
        // Lines start on the first row (dy > 0) or last row (dy < 0) and on
        // the first column (dx > 0) or last column (dx < 0).
        let rs = select(ih - 1, 0, d.x > 0);
        let cs = select(iw - 1, 0, d.y > 0);
        for (var line = lid; line < h + w; line += WG) {
            var i = 0;
            var j = 0;
            if (line < w) {
                if (d.x == 0) {
                    continue;
                }
                i = rs;
                j = i32(line);
            } else {
                i = i32(line - w);
                j = cs;
                if (d.y == 0 || (d.x != 0 && i == rs)) {
                    continue;
                }
            }
            var c = 0u;
            var gap = 0;
            while (i >= 0 && j >= 0 && i < ih && j < iw) {
                let v = grid[sb + u32(i * iw + j)];
                if (v != 0u) {
                    if (conn && v == c) {
                        for (var g = 1; g <= gap; g++) {
                            grid[db + u32((i - g * d.x) * iw + j - g * d.y)] = v;
                        }
                    }
                    c = v;
                    gap = 0;
                } else {
                    if (!conn && c != 0u) {
                        grid[db + u32(i * iw + j)] = c;
                    }
                    gap++;
                }
                i += d.x;
                j += d.y;
            }
        }
        workgroupBarrier();
    }
    return ok(h, w);
}

fn op_smear(o: OpArgs, h: u32, w: u32, sb: u32, db: u32, lid: u32) -> vec3<u32> {
    return lines(smear_dirs(u32(o.a0)), false, h, w, sb, db, lid);
}

fn op_connect(o: OpArgs, h: u32, w: u32, sb: u32, db: u32, lid: u32) -> vec3<u32> {
    return lines(axes_dirs(u32(o.a0)), true, h, w, sb, db, lid);
}

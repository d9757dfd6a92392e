//! The evaluation shader's source: the WGSL files of `shaders/`, assembled
//! in one module (WGSL allows module-scope declarations in any order).
//!
//! | file | job |
//! |---|---|
//! | `generated.wgsl` | op codes, argument values, limits, the op dispatch (from the op table, [`super::codegen`]) |
//! | `common.wgsl` | bindings, workgroup memory, hash, color tokens, shared helpers |
//! | `prelude.wgsl` | work several ops share, run once before the op (one call site): labels, distances, piece statistics and selection, and the repair search of `ops_pattern.wgsl` |
//! | `ops_geometry.wgsl`, `ops_layout.wgsl`, `ops_color.wgsl`, `ops_region.wgsl`, `ops_lines.wgsl`, `ops_shapes.wgsl`, `ops_pieces.wgsl`, `ops_pattern.wgsl` | one `op_NAME` function per op, the twins of `src/lang/interp/*.rs` |
//! | `eval.wgsl` | the entry point: program records, `norm`, `overlay`, result records |

macro_rules! part {
    ($name:literal) => {
        ($name, include_str!(concat!("../../shaders/", $name)))
    };
}

/// Every part, in assembly order: (file name, text).
pub const PARTS: &[(&str, &str)] = &[
    part!("generated.wgsl"),
    part!("common.wgsl"),
    part!("prelude.wgsl"),
    part!("ops_geometry.wgsl"),
    part!("ops_layout.wgsl"),
    part!("ops_color.wgsl"),
    part!("ops_region.wgsl"),
    part!("ops_lines.wgsl"),
    part!("ops_shapes.wgsl"),
    part!("ops_pieces.wgsl"),
    part!("ops_pattern.wgsl"),
    part!("eval.wgsl"),
];

/// The assembled source of the evaluation shader.
pub fn source() -> String {
    let mut s = String::new();
    for (name, text) in PARTS {
        s.push_str("// ---------------------------------------------------------------- ");
        s.push_str(name);
        s.push('\n');
        s.push_str(text);
        s.push('\n');
    }
    s
}

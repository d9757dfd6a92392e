//! The evaluation shader's source: the WGSL files of `shaders/`, assembled
//! in one module (WGSL allows module-scope declarations in any order).
//!
//! | file | job |
//! |---|---|
//! | `generated.wgsl` | op codes, argument values, limits, the op dispatch (from the op table, [`super::codegen`]) |
//! | `common.wgsl` | bindings, workgroup memory, hash, color tokens, shared helpers |
//! | `ops_geometry.wgsl`, `ops_layout.wgsl`, `ops_color.wgsl`, `ops_region.wgsl` | one `op_NAME` function per op, the twins of `src/lang/interp/*.rs` |
//! | `eval.wgsl` | the entry point: program records, `norm`, `overlay`, result records |

/// Every part, in assembly order: (file name, text).
pub const PARTS: &[(&str, &str)] = &[
    (
        "generated.wgsl",
        include_str!("../../shaders/generated.wgsl"),
    ),
    ("common.wgsl", include_str!("../../shaders/common.wgsl")),
    (
        "ops_geometry.wgsl",
        include_str!("../../shaders/ops_geometry.wgsl"),
    ),
    (
        "ops_layout.wgsl",
        include_str!("../../shaders/ops_layout.wgsl"),
    ),
    (
        "ops_color.wgsl",
        include_str!("../../shaders/ops_color.wgsl"),
    ),
    (
        "ops_region.wgsl",
        include_str!("../../shaders/ops_region.wgsl"),
    ),
    ("eval.wgsl", include_str!("../../shaders/eval.wgsl")),
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

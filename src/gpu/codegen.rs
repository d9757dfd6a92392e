//! Writes `shaders/generated.wgsl` from the op table: the op codes, the
//! values of every choice argument, the color tokens, the limits and the op
//! dispatch (`apply_op`), so that no number is shared by hand between Rust
//! and WGSL. `tests/shaders.rs` fails when the checked-in file differs from
//! [`generate`] (`GRIDSCORE_BLESS=1 cargo test --test shaders` rewrites it).

use crate::grid::{MAX_CELLS, MAX_DIM};
use crate::lang::args::{color, CHOICES};
use crate::lang::ops::{ArgKind, OPS};
use crate::lang::{MAX_LAYERS, MAX_OPS};
use std::fmt::Write;

/// The WGSL constant for a choice value (`DIR4_UP`, `T_FLIP_H`, ...).
pub fn choice_const(prefix: &str, name: &str) -> String {
    let tail: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_uppercase()
            } else {
                '_'
            }
        })
        .collect();
    format!("{prefix}_{tail}")
}

/// The text of `shaders/generated.wgsl`.
pub fn generate() -> String {
    let mut s = String::new();
    let w = &mut s;
    let _ = writeln!(
        w,
        "// generated.wgsl: written by src/gpu/codegen.rs from the op table\n\
         // (src/lang/ops.rs, src/lang/args.rs). Do not edit: change the table and\n\
         // run `GRIDSCORE_BLESS=1 cargo test --test shaders`.\n"
    );
    let _ = writeln!(w, "// Limits.");
    let _ = writeln!(w, "const MAX_DIM: u32 = {MAX_DIM}u;");
    let _ = writeln!(w, "const MAX_CELLS: u32 = {MAX_CELLS}u;");
    let _ = writeln!(w, "const MAX_OPS: u32 = {MAX_OPS}u;");
    let _ = writeln!(w, "const MAX_LAYERS: u32 = {MAX_LAYERS}u;\n");
    let _ = writeln!(w, "// Color tokens (encoded color arguments).");
    for (k, t) in color::TOKENS.iter().enumerate() {
        let _ = writeln!(
            w,
            "const COLOR_{}: i32 = {};",
            t.to_ascii_uppercase(),
            color::BG + k as i32
        );
    }
    let _ = writeln!(w);
    for c in CHOICES {
        let _ = writeln!(w, "// Values of {}.", c.what);
        for (k, n) in c.names.iter().enumerate() {
            let _ = writeln!(w, "const {}: u32 = {k}u;", choice_const(c.wgsl, n));
        }
        let _ = writeln!(w);
    }
    let _ = writeln!(w, "// Op codes.");
    for spec in OPS.iter() {
        let _ = writeln!(
            w,
            "const {}: u32 = {}u;",
            spec.wgsl_const(),
            spec.code as u8
        );
    }
    let _ = writeln!(
        w,
        "\n// Bit k set: argument k of the op is a color.\n\
         fn color_arg_mask(code: u32) -> u32 {{\n    \
         switch code {{"
    );
    for spec in OPS.iter() {
        let mask: u32 = spec.color_args().map(|k| 1u32 << k).sum();
        if mask != 0 {
            let _ = writeln!(
                w,
                "        case {}: {{ return {mask}u; }}",
                spec.wgsl_const()
            );
        }
    }
    let _ = writeln!(w, "        default: {{ return 0u; }}\n    }}\n}}");
    let _ = writeln!(
        w,
        "\n// Decodes op words w0, w1 (src/gpu/encode.rs) and applies the op to the\n\
         // h x w grid at grid[sb..], writing grid[db..]: (valid, out h, out w).\n\
         // Color arguments are resolved on the input first (`Colors`), with one\n\
         // call site of the token computation for all ops.\n\
         fn apply_op(w0: u32, w1: u32, h: u32, w: u32, sb: u32, db: u32, lid: u32) -> vec3<u32> {{\n    \
         var o: OpArgs;\n    \
         o.code = w0 & 0xffu;\n    \
         o.a0 = bitcast<i32>(w1);\n    \
         o.a1 = bitcast<i32>(w0 << 16u) >> 24u;\n    \
         o.a2 = bitcast<i32>(w0 << 8u) >> 24u;\n    \
         o.a3 = bitcast<i32>(w0) >> 24u;\n    \
         o = resolve_colors(o, color_arg_mask(o.code), sb, h * w, lid);\n    \
         switch o.code {{"
    );
    for spec in OPS.iter() {
        let mut body = String::new();
        if spec.args.iter().any(|a| a.kind == ArgKind::ColorMap) {
            // Digits 8 and 9 of a color map are the unsigned byte of a1.
            body.push_str("o.a1 = i32((w0 >> 8u) & 0xffu); ");
        }
        let _ = writeln!(
            w,
            "        case {}: {{ {body}return {}(o, h, w, sb, db, lid); }}",
            spec.wgsl_const(),
            spec.wgsl_fn()
        );
    }
    let _ = writeln!(w, "        default: {{ return INVALID; }}\n    }}\n}}");
    s
}

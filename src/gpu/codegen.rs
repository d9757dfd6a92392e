//! Writes `shaders/generated.wgsl` from the op table: the op codes, the
//! values of every choice argument, the color tokens, the limits and the op
//! dispatch (`apply_op`), so that no number is shared by hand between Rust
//! and WGSL. `tests/shaders.rs` fails when the checked-in file differs from
//! [`generate`] (`GRIDSCORE_BLESS=1 cargo test --test shaders` rewrites it).

use super::encode::Extra;
use super::variant::Variant;
use crate::grid::{MAX_CELLS, MAX_DIM};
use crate::lang::args::{color, Axes, SmearDir, CHOICES};
use crate::lang::ops::{ArgKind, OPS};
use crate::lang::{MAX_LAYERS, MAX_OPS, SYM_MAX_CELLS};
use crate::score::{MASK_SET_WORDS, MASK_WORDS};
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

/// A list of ray directions (dy, dx) packed for WGSL: one nibble per
/// direction from bit 0, `1 + 3 * (dy + 1) + (dx + 1)` (never 0), 0 ending
/// the list; at most 8 directions.
pub fn pack_dirs(dirs: &[(i32, i32)]) -> u32 {
    assert!(dirs.len() <= 8, "at most 8 directions fit a word");
    dirs.iter().enumerate().fold(0, |acc, (k, &(dy, dx))| {
        assert!((-1..=1).contains(&dy) && (-1..=1).contains(&dx) && (dy, dx) != (0, 0));
        acc | ((1 + 3 * (dy + 1) + (dx + 1)) as u32) << (4 * k)
    })
}

/// A WGSL function `name(v: u32) -> u32` returning the packed directions
/// ([`pack_dirs`]) of each value of a choice.
fn dirs_fn(w: &mut String, name: &str, prefix: &str, values: &[(&str, &[(i32, i32)])]) {
    let _ = writeln!(w, "fn {name}(v: u32) -> u32 {{\n    switch v {{");
    for (value, dirs) in values {
        let list: Vec<String> = dirs
            .iter()
            .map(|(dy, dx)| format!("({dy}, {dx})"))
            .collect();
        let _ = writeln!(
            w,
            "        case {}: {{ return 0x{:08x}u; }} // {}",
            choice_const(prefix, value),
            pack_dirs(dirs),
            list.join(" ")
        );
    }
    let _ = writeln!(w, "        default: {{ return 0u; }}\n    }}\n}}");
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
    let _ = writeln!(w, "const MAX_LAYERS: u32 = {MAX_LAYERS}u;");
    let _ = writeln!(w, "const SYM_MAX_CELLS: u32 = {SYM_MAX_CELLS}u;\n");
    let _ = writeln!(
        w,
        "// What a dispatch writes besides the results (params.extra)."
    );
    for e in Extra::ALL {
        let _ = writeln!(w, "const {}: u32 = {}u;", e.wgsl_const(), e as u32);
    }
    let _ = writeln!(w, "// Match masks: words per bitset, per (program, pair).");
    let _ = writeln!(w, "const MASK_SET_WORDS: u32 = {MASK_SET_WORDS}u;");
    let _ = writeln!(w, "const MASK_WORDS: u32 = {MASK_WORDS}u;\n");
    let _ = writeln!(
        w,
        "// Builds of the shader (the override BUILD, src/gpu/variant.rs)."
    );
    for v in Variant::ALL {
        let _ = writeln!(w, "const {}: u32 = {}u;", v.wgsl_const(), v.build());
    }
    let _ = writeln!(w);
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
    let _ = writeln!(
        w,
        "// Ray directions (dy, dx) of each `smear` direction set (SmearDir::dirs)\n\
         // and each `connect` axis set (Axes::dirs), highest priority first, one\n\
         // nibble each from bit 0: 1 + 3 * (dy + 1) + (dx + 1); 0 ends the list."
    );
    let smear: Vec<(&str, &[(i32, i32)])> =
        SmearDir::ALL.iter().map(|d| (d.name(), d.dirs())).collect();
    dirs_fn(w, "smear_dirs", SmearDir::CHOICE.wgsl, &smear);
    let axes: Vec<(&str, &[(i32, i32)])> = Axes::ALL.iter().map(|a| (a.name(), a.dirs())).collect();
    dirs_fn(w, "axes_dirs", Axes::CHOICE.wgsl, &axes);
    let _ = writeln!(w);
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
         // call site of the token computation for all ops; then `prelude` runs the\n\
         // work that several ops share (labels, piece statistics, repair; see\n\
         // prelude.wgsl), also with one call site. An op that the build (BUILD,\n\
         // src/gpu/variant.rs) leaves out is INVALID there, and dead code.\n\
         fn apply_op(w0: u32, w1: u32, h: u32, w: u32, sb: u32, db: u32, lid: u32) -> vec3<u32> {{\n    \
         var o: OpArgs;\n    \
         o.code = w0 & 0xffu;\n    \
         o.a0 = bitcast<i32>(w1);\n    \
         o.a1 = bitcast<i32>(w0 << 16u) >> 24u;\n    \
         o.a2 = bitcast<i32>(w0 << 8u) >> 24u;\n    \
         o.a3 = bitcast<i32>(w0) >> 24u;\n    \
         o = resolve_colors(o, color_arg_mask(o.code), sb, h * w, lid);\n    \
         if (BUILD > BUILD_LIGHT && !prelude(o, h, w, sb, db, lid)) {{\n        \
         return INVALID;\n    \
         }}\n    \
         switch o.code {{"
    );
    for spec in OPS.iter() {
        let mut body = String::new();
        if spec.args.iter().any(|a| a.kind == ArgKind::ColorMap) {
            // Digits 8 and 9 of a color map are the unsigned byte of a1.
            body.push_str("o.a1 = i32((w0 >> 8u) & 0xffu); ");
        }
        // Ops that a smaller build leaves out are dead code there.
        let v = Variant::of_op(spec.code);
        let gate = if v > Variant::Light {
            format!("if (BUILD < {}) {{ return INVALID; }} ", v.wgsl_const())
        } else {
            String::new()
        };
        let _ = writeln!(
            w,
            "        case {}: {{ {gate}{body}return {}(o, h, w, sb, db, lid); }}",
            spec.wgsl_const(),
            spec.wgsl_fn()
        );
    }
    let _ = writeln!(w, "        default: {{ return INVALID; }}\n    }}\n}}");
    s
}

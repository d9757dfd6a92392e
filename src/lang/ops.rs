//! The op table: every op of `DSL.md` with its argument kinds, as data.
//!
//! The parser, the printer, the CPU interpreter, the GPU encoder and the
//! search all read this one table. An op's [`OpCode`] is its index in
//! [`OPS`] and is also the op code the WGSL shader switches on.

/// Op codes. The first eight are the geometry transforms, in the order of the
/// `T` argument encoding (a transform argument `t` means `OpCode::from_u8(t)`).
#[repr(u8)]
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum OpCode {
    Id = 0,
    Rot90,
    Rot180,
    Rot270,
    FlipH,
    FlipV,
    Transpose,
    Antitranspose,
    Upscale,
    Downscale,
    Tile,
    MirrorTile,
    Hcat,
    Vcat,
    Crop,
    Trim,
    CropBbox,
    SplitH,
    SplitV,
    Shift,
    Recolor,
    Swap,
    Map,
    Keep,
    Paint,
    FillEnclosed,
    Halo,
    Gravity,
    Object,
    HalvesH,
    HalvesV,
}

/// Number of ops.
pub const NUM_OPS: usize = 31;

/// The kind of one argument.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum ArgKind {
    /// An integer in `min..=max`.
    Int { min: i32, max: i32 },
    /// A color: digit 0..=9 or token `bg`, `fg`, `lc` (encoded 10, 11, 12).
    Color,
    /// A geometry op name (encoded 0..=7, its op code).
    Transform,
    /// `up`, `down`, `left`, `right` (encoded 0..=3).
    Direction,
    /// `and`, `or`, `xor`, `nor`, `left`, `right` (encoded 0..=5).
    Logic,
    /// `largest`, `smallest` (encoded 0, 1).
    Selector,
    /// Ten digits (encoded as 4-bit nibbles, digit k in bits 4k..4k+4).
    ColorMap,
}

/// Op classes (for benchmarks and search statistics).
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum OpClass {
    Geometry,
    Layout,
    Color,
    Region,
}

impl OpClass {
    /// All classes.
    pub const ALL: [OpClass; 4] = [
        OpClass::Geometry,
        OpClass::Layout,
        OpClass::Color,
        OpClass::Region,
    ];
    /// Lower-case name.
    pub fn name(self) -> &'static str {
        match self {
            OpClass::Geometry => "geometry",
            OpClass::Layout => "layout",
            OpClass::Color => "color",
            OpClass::Region => "region",
        }
    }
}

/// One row of the op table.
#[derive(Debug)]
pub struct OpSpec {
    pub code: OpCode,
    pub name: &'static str,
    pub args: &'static [ArgKind],
    pub class: OpClass,
}

const C: ArgKind = ArgKind::Color;
const K10: ArgKind = ArgKind::Int { min: 1, max: 10 };
const SPLIT_N: ArgKind = ArgKind::Int { min: 2, max: 10 };
const SPLIT_I: ArgKind = ArgKind::Int { min: 0, max: 9 };
const POS: ArgKind = ArgKind::Int { min: 0, max: 29 };
const LEN: ArgKind = ArgKind::Int { min: 1, max: 30 };
const OFF: ArgKind = ArgKind::Int { min: -29, max: 29 };

macro_rules! op {
    ($code:ident, $name:literal, $class:ident, [$($a:expr),*]) => {
        OpSpec { code: OpCode::$code, name: $name, args: &[$($a),*], class: OpClass::$class }
    };
}

/// The op table, indexed by op code.
pub static OPS: [OpSpec; NUM_OPS] = [
    op!(Id, "id", Geometry, []),
    op!(Rot90, "rot90", Geometry, []),
    op!(Rot180, "rot180", Geometry, []),
    op!(Rot270, "rot270", Geometry, []),
    op!(FlipH, "flip_h", Geometry, []),
    op!(FlipV, "flip_v", Geometry, []),
    op!(Transpose, "transpose", Geometry, []),
    op!(Antitranspose, "antitranspose", Geometry, []),
    op!(Upscale, "upscale", Layout, [K10, K10]),
    op!(Downscale, "downscale", Layout, [K10, K10]),
    op!(Tile, "tile", Layout, [K10, K10]),
    op!(MirrorTile, "mirror_tile", Layout, []),
    op!(Hcat, "hcat", Layout, [ArgKind::Transform]),
    op!(Vcat, "vcat", Layout, [ArgKind::Transform]),
    op!(Crop, "crop", Layout, [POS, POS, LEN, LEN]),
    op!(Trim, "trim", Layout, []),
    op!(CropBbox, "crop_bbox", Layout, [C]),
    op!(SplitH, "split_h", Layout, [SPLIT_N, SPLIT_I]),
    op!(SplitV, "split_v", Layout, [SPLIT_N, SPLIT_I]),
    op!(Shift, "shift", Layout, [OFF, OFF, C]),
    op!(Recolor, "recolor", Color, [C, C]),
    op!(Swap, "swap", Color, [C, C]),
    op!(Map, "map", Color, [ArgKind::ColorMap]),
    op!(Keep, "keep", Color, [C, C]),
    op!(Paint, "paint", Color, [C, C]),
    op!(FillEnclosed, "fill_enclosed", Region, [C, C]),
    op!(Halo, "halo", Region, [C, C]),
    op!(Gravity, "gravity", Region, [ArgKind::Direction, C]),
    op!(Object, "object", Region, [ArgKind::Selector, C]),
    op!(HalvesH, "halves_h", Region, [ArgKind::Logic, C]),
    op!(HalvesV, "halves_v", Region, [ArgKind::Logic, C]),
];

/// Color argument tokens, encoded after the ten digits.
pub const COLOR_TOKENS: [&str; 3] = ["bg", "fg", "lc"];
/// Encoded `bg`.
pub const BG: i32 = 10;
/// Encoded `fg`.
pub const FG: i32 = 11;
/// Encoded `lc`.
pub const LC: i32 = 12;
/// Direction names, in encoding order.
pub const DIRECTIONS: [&str; 4] = ["up", "down", "left", "right"];
/// Logic op names, in encoding order.
pub const LOGICS: [&str; 6] = ["and", "or", "xor", "nor", "left", "right"];
/// Selector names, in encoding order.
pub const SELECTORS: [&str; 2] = ["largest", "smallest"];

impl OpCode {
    /// The op code with this number, if any.
    pub fn from_u8(v: u8) -> Option<OpCode> {
        OPS.get(v as usize).map(|s| s.code)
    }
    /// This op's row of the table.
    #[inline(always)]
    pub fn spec(self) -> &'static OpSpec {
        &OPS[self as usize]
    }
    /// The op's name.
    pub fn name(self) -> &'static str {
        self.spec().name
    }
    /// The op with this name.
    pub fn from_name(name: &str) -> Option<OpCode> {
        OPS.iter().find(|s| s.name == name).map(|s| s.code)
    }
    /// Whether this is one of the eight geometry transforms.
    pub fn is_transform(self) -> bool {
        (self as u8) < 8
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_is_indexed_by_code() {
        for (i, s) in OPS.iter().enumerate() {
            assert_eq!(s.code as usize, i, "{}", s.name);
            assert_eq!(OpCode::from_name(s.name), Some(s.code));
            assert_eq!(OpCode::from_u8(i as u8), Some(s.code));
        }
        assert_eq!(OpCode::from_u8(NUM_OPS as u8), None);
        let transforms: Vec<_> = OPS.iter().filter(|s| s.code.is_transform()).collect();
        assert_eq!(transforms.len(), 8);
        assert!(transforms.iter().all(|s| s.class == OpClass::Geometry));
    }
}

//! The op table: every op of `docs/DSL.md` as data.
//!
//! One row per op ([`OpSpec`]): its name, class, arguments (name and kind,
//! with their valid ranges or named values), a one-line meaning, the CPU
//! function that implements it and how the search enumerates it. Everything
//! else reads this table: the parser and printer (`program.rs`), argument
//! validation and error messages, random programs, `gridscore ops`, the
//! search alphabet (`search/domains.rs`), and the WGSL op codes and dispatch
//! (`gpu/codegen.rs` writes `shaders/generated.wgsl` from it; the WGSL twin
//! of `ops::NAME` is `op_NAME` in `shaders/ops_*.wgsl`).
//!
//! An op's [`OpCode`] is its index in [`OPS`]. The first eight are the
//! geometry transforms, in the order of the [`Transform`] argument.

use super::args::{
    Axes, Choice, Count, Crit, Dir4, Label, Logic, Order, Outer, Selector, Shape, SmearDir, Split,
    SymKind, Transform,
};
use super::interp::{
    color as c_color, geometry, layout, lines, pattern, pieces, region, shapes, CpuFn,
};

/// Op codes, in table order.
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
    Recolor,
    Swap,
    Map,
    Keep,
    Paint,
    CropBbox,
    Trim,
    MirrorTile,
    Hcat,
    Vcat,
    Upscale,
    Tile,
    Downscale,
    SplitH,
    SplitV,
    Crop,
    Shift,
    Object,
    Gravity,
    FillEnclosed,
    Halo,
    HalvesH,
    HalvesV,
    Smear,
    Connect,
    Border,
    Interior,
    FillHoles,
    BboxFill,
    Halo4,
    Frame,
    Compress,
    Dedup,
    Spread,
    Majority,
    Count,
    UpscaleBy,
    Pick,
    KeepPieces,
    DropPieces,
    RecolorBy,
    Fall,
    Outer,
    PanelsH,
    PanelsV,
    Repair,
    RepairCrop,
    Pad,
    Resize,
    CellColors,
    CropFrame,
    Flood,
    ColorBoxes,
    Palette,
    Period,
    Extend,
    Symmetrize,
    Stamp,
}

/// Number of ops.
pub const NUM_OPS: usize = OPS.len();
/// The ops of v1 (`../shared/DSL.md`) are the first rows of the table.
pub const NUM_V1_OPS: usize = 31;

/// The kind of one argument.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum ArgKind {
    /// An integer in `min..=max`.
    Int { min: i32, max: i32 },
    /// A color: a digit 0..=9 or a token `bg`, `fg`, `lc` (see
    /// [`super::args::color`]).
    Color,
    /// One of a set of named values, encoded by position.
    Choice(Choice),
    /// Ten digits, the k-th giving the new color of color k (packed as
    /// nibbles over two encoded arguments, see [`super::Op::map`]).
    ColorMap,
}

impl ArgKind {
    /// A transform argument.
    pub const TRANSFORM: ArgKind = ArgKind::Choice(Transform::CHOICE);

    /// Whether an encoded value is valid for this kind.
    pub fn valid(self, v: i32) -> bool {
        match self {
            ArgKind::Int { min, max } => (min..=max).contains(&v),
            ArgKind::Color => (0..=super::args::color::MAX).contains(&v),
            ArgKind::Choice(c) => (0..c.len() as i32).contains(&v),
            // Checked on the whole op (the digits span two arguments).
            ArgKind::ColorMap => true,
        }
    }

    /// A short description, e.g. `1..=10`, `color`, `up|down|left|right`.
    pub fn usage(self) -> String {
        match self {
            ArgKind::Int { min, max } => format!("{min}..={max}"),
            ArgKind::Color => "color".into(),
            ArgKind::Choice(c) => c.names.join("|"),
            ArgKind::ColorMap => "ten digits".into(),
        }
    }
}

/// One argument of an op.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct ArgSpec {
    /// Its name in the spec (`kh`, `dir`, ...).
    pub name: &'static str,
    pub kind: ArgKind,
}

/// Op classes (for benchmarks, search statistics and `gridscore ops`).
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum OpClass {
    Geometry,
    Layout,
    Color,
    Region,
    Lines,
    Pieces,
    Pattern,
}

impl OpClass {
    /// All classes.
    pub const ALL: [OpClass; 7] = [
        OpClass::Geometry,
        OpClass::Layout,
        OpClass::Color,
        OpClass::Region,
        OpClass::Lines,
        OpClass::Pieces,
        OpClass::Pattern,
    ];
    /// The classes of v1 (the 31 ops of `../shared/DSL.md`).
    pub const V1: [OpClass; 4] = [
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
            OpClass::Lines => "lines",
            OpClass::Pieces => "pieces",
            OpClass::Pattern => "pattern",
        }
    }
}

/// How the search enumerates an op's arguments from a task (interpreted by
/// `search/domains.rs`, which documents each domain).
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum SearchDomain {
    /// Not in the alphabet, for the reason given.
    Skip(&'static str),
    /// Every combination of the argument domains (first argument outermost).
    Each(&'static [ArgDomain]),
    /// The same, but only as the first op of a program (on the task's
    /// inputs): for ops too costly to try on every state.
    First(&'static [ArgDomain]),
}

/// The domain of one argument in the search.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum ArgDomain {
    /// The task's colors (present in a train pair), then the tokens.
    Color,
    /// A color of [`ArgDomain::Color`] other than the previous argument's.
    OtherColor,
    /// A color the op writes into its output: [`ArgDomain::Color`], but
    /// as the last op of a program only the digits present in a train
    /// output and the tokens (writing another color can only make cells
    /// wrong).
    OutColor,
    /// [`ArgDomain::OutColor`], other than the previous argument's.
    OtherOutColor,
    /// A color after the previous argument's in the domain order (unordered
    /// pairs).
    LaterColor,
    /// The background: 0 (when present) and `bg`.
    Background,
    /// Every value of the argument's choice.
    Every,
    /// Every value of the choice but the first (e.g. transforms but `id`).
    EveryButFirst,
    /// These values of the choice, by name (a name the choice lacks is a
    /// table error, caught by a unit test of the search domains).
    Only(&'static [&'static str]),
    /// Scale factors up (pairs of them, without (1, 1)).
    UpFactors,
    /// Scale factors down (pairs of them, without (1, 1)).
    DownFactors,
    /// Part counts splitting every train input's width, with every index.
    SplitH,
    /// Part counts splitting every train input's height, with every index.
    SplitV,
    /// Part counts splitting every train input's width (the count only).
    PartsH,
    /// Part counts splitting every train input's height (the count only).
    PartsV,
    /// Crop windows of the train outputs' common size (all four arguments).
    Crop,
    /// Moves along an axis or by one cell, filled with `bg` (all three
    /// arguments).
    Shift,
    /// The train outputs' common size (two arguments), when they share one
    /// and some train input has another.
    OutSize,
}

/// One row of the op table.
#[derive(Debug)]
pub struct OpSpec {
    pub code: OpCode,
    pub name: &'static str,
    pub class: OpClass,
    pub args: &'static [ArgSpec],
    /// One-line meaning (the spec row says it exactly).
    pub doc: &'static str,
    /// The CPU implementation: `out = op(x)`, false for INVALID.
    pub cpu: CpuFn,
    /// How the search enumerates it.
    pub search: SearchDomain,
}

impl OpSpec {
    /// The WGSL function that is this op's GPU twin.
    pub fn wgsl_fn(&self) -> String {
        format!("op_{}", self.name)
    }
    /// The WGSL constant holding this op's code.
    pub fn wgsl_const(&self) -> String {
        format!("OP_{}", self.name.to_ascii_uppercase())
    }
    /// Indices of the color arguments.
    pub fn color_args(&self) -> impl Iterator<Item = usize> + '_ {
        self.args
            .iter()
            .enumerate()
            .filter(|(_, a)| a.kind == ArgKind::Color)
            .map(|(k, _)| k)
    }
}

const fn arg(name: &'static str, kind: ArgKind) -> ArgSpec {
    ArgSpec { name, kind }
}
const fn int(name: &'static str, min: i32, max: i32) -> ArgSpec {
    arg(name, ArgKind::Int { min, max })
}
const fn color(name: &'static str) -> ArgSpec {
    arg(name, ArgKind::Color)
}
const fn choice(name: &'static str, c: Choice) -> ArgSpec {
    arg(name, ArgKind::Choice(c))
}

use ArgDomain as D;
use SearchDomain::{Each, First, Skip};

const NONE: SearchDomain = Each(&[]);
const AB: &[ArgSpec] = &[color("a"), color("b")];
const FACTORS: &[ArgSpec] = &[int("kh", 1, 10), int("kw", 1, 10)];
const SPLIT: &[ArgSpec] = &[int("n", 2, 10), int("i", 0, 9)];
const PIECES: &[ArgSpec] = &[choice("S", Split::CHOICE), choice("P", Crit::CHOICE)];
const EVERY2: SearchDomain = Each(&[D::Every, D::Every]);

macro_rules! row {
    ($code:ident, $name:literal, $class:ident, $args:expr, $cpu:expr, $search:expr, $doc:literal) => {
        OpSpec {
            code: OpCode::$code,
            name: $name,
            class: OpClass::$class,
            args: $args,
            doc: $doc,
            cpu: $cpu,
            search: $search,
        }
    };
}

/// The op table, indexed by op code. Its order is also the order of the
/// search alphabet (the ranking's "earlier candidate").
pub static OPS: [OpSpec; 66] = [
    row!(
        Id,
        "id",
        Geometry,
        &[],
        geometry::id,
        Skip("the identity is the empty program"),
        "the grid unchanged"
    ),
    row!(
        Rot90,
        "rot90",
        Geometry,
        &[],
        geometry::rot90,
        NONE,
        "rotate clockwise"
    ),
    row!(
        Rot180,
        "rot180",
        Geometry,
        &[],
        geometry::rot180,
        NONE,
        "rotate by a half turn"
    ),
    row!(
        Rot270,
        "rot270",
        Geometry,
        &[],
        geometry::rot270,
        NONE,
        "rotate counter-clockwise"
    ),
    row!(
        FlipH,
        "flip_h",
        Geometry,
        &[],
        geometry::flip_h,
        NONE,
        "mirror left-right"
    ),
    row!(
        FlipV,
        "flip_v",
        Geometry,
        &[],
        geometry::flip_v,
        NONE,
        "mirror top-bottom"
    ),
    row!(
        Transpose,
        "transpose",
        Geometry,
        &[],
        geometry::transpose,
        NONE,
        "reflect in the main diagonal"
    ),
    row!(
        Antitranspose,
        "antitranspose",
        Geometry,
        &[],
        geometry::antitranspose,
        NONE,
        "reflect in the anti-diagonal"
    ),
    row!(
        Recolor,
        "recolor",
        Color,
        AB,
        c_color::recolor,
        Each(&[D::Color, D::OtherOutColor]),
        "cells of color a become b"
    ),
    row!(
        Swap,
        "swap",
        Color,
        AB,
        c_color::swap,
        Each(&[D::Color, D::LaterColor]),
        "colors a and b trade places"
    ),
    row!(
        Map,
        "map",
        Color,
        &[arg("M", ArgKind::ColorMap)],
        c_color::map,
        Skip("derived per state from the train outputs"),
        "cell color k becomes M[k]"
    ),
    row!(
        Keep,
        "keep",
        Color,
        AB,
        c_color::keep,
        Each(&[D::Color, D::OtherOutColor]),
        "cells not of color a become b"
    ),
    row!(
        Paint,
        "paint",
        Color,
        AB,
        c_color::paint,
        Each(&[D::OutColor, D::OtherColor]),
        "cells not of color b become a"
    ),
    row!(
        CropBbox,
        "crop_bbox",
        Layout,
        &[color("c")],
        layout::crop_bbox,
        Each(&[D::Color]),
        "crop to the bounding box of the cells not of color c"
    ),
    row!(
        Trim,
        "trim",
        Layout,
        &[],
        layout::trim,
        NONE,
        "drop the outer ring of cells"
    ),
    row!(
        MirrorTile,
        "mirror_tile",
        Layout,
        &[],
        layout::mirror_tile,
        NONE,
        "2x2 tiling with mirrored copies"
    ),
    row!(
        Hcat,
        "hcat",
        Layout,
        &[choice("T", Transform::CHOICE)],
        layout::hcat,
        Each(&[D::Every]),
        "the grid with T(grid) on its right"
    ),
    row!(
        Vcat,
        "vcat",
        Layout,
        &[choice("T", Transform::CHOICE)],
        layout::vcat,
        Each(&[D::Every]),
        "the grid with T(grid) below it"
    ),
    row!(
        Upscale,
        "upscale",
        Layout,
        FACTORS,
        layout::upscale,
        Each(&[D::UpFactors]),
        "every cell becomes a kh x kw block"
    ),
    row!(
        Tile,
        "tile",
        Layout,
        FACTORS,
        layout::tile,
        Each(&[D::UpFactors]),
        "kh x kw copies of the grid"
    ),
    row!(
        Downscale,
        "downscale",
        Layout,
        FACTORS,
        layout::downscale,
        Each(&[D::DownFactors]),
        "keep every kh-th row and kw-th column"
    ),
    row!(
        SplitH,
        "split_h",
        Layout,
        SPLIT,
        layout::split_h,
        Each(&[D::SplitH]),
        "the i-th of n side-by-side parts"
    ),
    row!(
        SplitV,
        "split_v",
        Layout,
        SPLIT,
        layout::split_v,
        Each(&[D::SplitV]),
        "the i-th of n stacked parts"
    ),
    row!(
        Crop,
        "crop",
        Layout,
        &[
            int("r", 0, 29),
            int("c", 0, 29),
            int("h", 1, 30),
            int("w", 1, 30)
        ],
        layout::crop,
        Each(&[D::Crop]),
        "the h x w window at row r, column c"
    ),
    row!(
        Shift,
        "shift",
        Layout,
        &[int("dy", -29, 29), int("dx", -29, 29), color("c")],
        layout::shift,
        Each(&[D::Shift]),
        "move by (dy, dx), filling with c"
    ),
    row!(
        Object,
        "object",
        Region,
        &[choice("sel", Selector::CHOICE), color("b")],
        region::object,
        Each(&[D::Every, D::Color]),
        "crop to the largest or smallest 8-connected object of cells not of color b"
    ),
    row!(
        Gravity,
        "gravity",
        Region,
        &[choice("dir", Dir4::CHOICE), color("b")],
        region::gravity,
        Each(&[D::Every, D::Color]),
        "cells not of color b slide towards dir"
    ),
    row!(
        FillEnclosed,
        "fill_enclosed",
        Region,
        AB,
        region::fill_enclosed,
        Each(&[D::OutColor, D::OtherColor]),
        "b-cells that cannot reach the border become a"
    ),
    row!(
        Halo,
        "halo",
        Region,
        AB,
        region::halo,
        Each(&[D::OutColor, D::OtherColor]),
        "b-cells with an 8-neighbour not of color b become a"
    ),
    row!(
        HalvesH,
        "halves_h",
        Region,
        &[choice("L", Logic::CHOICE), color("a")],
        region::halves_h,
        Each(&[D::Every, D::OutColor]),
        "color a where L holds on the left and right halves"
    ),
    row!(
        HalvesV,
        "halves_v",
        Region,
        &[choice("L", Logic::CHOICE), color("a")],
        region::halves_v,
        Each(&[D::Every, D::OutColor]),
        "color a where L holds on the top and bottom halves"
    ),
    row!(
        Smear,
        "smear",
        Lines,
        &[choice("D", SmearDir::CHOICE)],
        lines::smear,
        Each(&[D::Every]),
        "0-cells take the color of the nearest non-0 cell behind them along D"
    ),
    row!(
        Connect,
        "connect",
        Lines,
        &[choice("A", Axes::CHOICE)],
        lines::connect,
        Each(&[D::Every]),
        "0-cells between two cells of one color along A take that color"
    ),
    row!(
        Border,
        "border",
        Region,
        &[],
        shapes::border,
        NONE,
        "keep the non-0 cells on the shapes' outer border"
    ),
    row!(
        Interior,
        "interior",
        Region,
        &[],
        shapes::interior,
        NONE,
        "keep the non-0 cells not on the shapes' outer border"
    ),
    row!(
        FillHoles,
        "fill_holes",
        Region,
        &[],
        shapes::fill_holes,
        NONE,
        "enclosed regions of 0-cells take the color around them"
    ),
    row!(
        BboxFill,
        "bbox_fill",
        Region,
        &[],
        shapes::bbox_fill,
        NONE,
        "0-cells in an object's bounding box take the object's color"
    ),
    row!(
        Halo4,
        "halo4",
        Region,
        AB,
        shapes::halo4,
        Each(&[D::OutColor, D::OtherColor]),
        "b-cells with a 4-neighbour not of color b become a"
    ),
    row!(
        Frame,
        "frame",
        Layout,
        &[color("c")],
        shapes::frame,
        Each(&[D::OutColor]),
        "the grid inside a one-cell frame of color c"
    ),
    row!(
        Compress,
        "compress",
        Layout,
        &[color("c")],
        shapes::compress,
        Each(&[D::Color]),
        "drop the rows and columns made only of color c"
    ),
    row!(
        Dedup,
        "dedup",
        Layout,
        &[],
        shapes::dedup,
        NONE,
        "merge runs of equal adjacent rows and of equal adjacent columns"
    ),
    row!(
        Spread,
        "spread",
        Region,
        &[],
        shapes::spread,
        NONE,
        "0-cells take the color of the nearest non-0 cell"
    ),
    row!(
        Majority,
        "majority",
        Layout,
        &[],
        shapes::majority,
        NONE,
        "the 1x1 grid of the most frequent non-0 color"
    ),
    row!(
        Count,
        "count",
        Layout,
        &[choice("N", Count::CHOICE), choice("S", Shape::CHOICE)],
        shapes::count,
        EVERY2,
        "a block of N cells (N = non-0 cells, colors or objects)"
    ),
    row!(
        UpscaleBy,
        "upscale_by",
        Layout,
        &[choice("N", Count::CHOICE)],
        shapes::upscale_by,
        Each(&[D::Every]),
        "every cell becomes an N x N block (N = non-0 cells, colors or objects)"
    ),
    row!(
        Pick,
        "pick",
        Pieces,
        PIECES,
        pieces::pick,
        EVERY2,
        "the first piece of split S with the best property P, cropped"
    ),
    row!(
        KeepPieces,
        "keep_pieces",
        Pieces,
        PIECES,
        pieces::keep_pieces,
        EVERY2,
        "keep the pieces of split S with the best property P, erase the others"
    ),
    row!(
        DropPieces,
        "drop_pieces",
        Pieces,
        PIECES,
        pieces::drop_pieces,
        EVERY2,
        "erase the pieces of split S with the best property P"
    ),
    row!(
        RecolorBy,
        "recolor_by",
        Pieces,
        &[choice("S", Split::CHOICE), choice("L", Label::CHOICE)],
        pieces::recolor_by,
        EVERY2,
        "each piece of split S takes its label L as color"
    ),
    row!(
        Fall,
        "fall",
        Pieces,
        &[choice("dir", Dir4::CHOICE)],
        pieces::fall,
        Each(&[D::Every]),
        "objects slide towards dir as units until they hit something"
    ),
    row!(
        Outer,
        "outer",
        Pattern,
        &[choice("M", Outer::CHOICE)],
        pattern::outer,
        Each(&[D::Every]),
        "the grid tiled by a mask of itself (outer product)"
    ),
    row!(
        PanelsH,
        "panels_h",
        Pattern,
        &[int("n", 2, 10), choice("ord", Order::CHOICE)],
        pattern::panels_h,
        Each(&[D::PartsH, D::Every]),
        "the n side-by-side parts laid over each other"
    ),
    row!(
        PanelsV,
        "panels_v",
        Pattern,
        &[int("n", 2, 10), choice("ord", Order::CHOICE)],
        pattern::panels_v,
        Each(&[D::PartsV, D::Every]),
        "the n stacked parts laid over each other"
    ),
    row!(
        Repair,
        "repair",
        Pattern,
        &[color("c")],
        pattern::repair,
        First(&[D::Color]),
        "c-cells take their colors from the grid's symmetries"
    ),
    row!(
        RepairCrop,
        "repair_crop",
        Pattern,
        &[color("c")],
        pattern::repair_crop,
        First(&[D::Color]),
        "repair c, cropped to the c-cells' bounding box"
    ),
    row!(
        Pad,
        "pad",
        Layout,
        &[int("h", 1, 30), int("w", 1, 30), color("c")],
        layout::pad,
        Each(&[D::OutSize, D::OutColor]),
        "the grid at the top-left of an h x w canvas of color c"
    ),
    row!(
        Resize,
        "resize",
        Layout,
        &[int("h", 1, 30), int("w", 1, 30)],
        layout::resize,
        Each(&[D::OutSize]),
        "the grid resampled to h x w (nearest cell)"
    ),
    row!(
        CellColors,
        "cell_colors",
        Pieces,
        &[],
        pieces::cell_colors,
        NONE,
        "one cell per piece of the cell split: its most frequent non-0 color"
    ),
    row!(
        CropFrame,
        "crop_frame",
        Layout,
        &[],
        layout::crop_frame,
        NONE,
        "the inside of the largest rectangle framed by one non-0 color"
    ),
    row!(
        Flood,
        "flood",
        Region,
        AB,
        region::flood,
        Each(&[D::OutColor, D::Background]),
        "b-cells connected through b-cells to an a-cell become a"
    ),
    row!(
        ColorBoxes,
        "color_boxes",
        Region,
        &[],
        shapes::color_boxes,
        NONE,
        "0-cells in a color's bounding box take that color"
    ),
    row!(
        Palette,
        "palette",
        Layout,
        &[],
        shapes::palette,
        NONE,
        "the column of the non-0 colors, most frequent first"
    ),
    row!(
        Period,
        "period",
        Layout,
        &[],
        layout::period,
        NONE,
        "the smallest tile the grid repeats"
    ),
    row!(
        Extend,
        "extend",
        Pattern,
        &[choice("dir", Dir4::CHOICE)],
        pattern::extend,
        Each(&[D::Every]),
        "the pattern continued towards dir"
    ),
    row!(
        Symmetrize,
        "symmetrize",
        Pattern,
        &[choice("K", SymKind::CHOICE)],
        pattern::symmetrize,
        Each(&[D::Only(&["r2", "r4"])]),
        "the figure completed by its symmetry K"
    ),
    row!(
        Stamp,
        "stamp",
        Pieces,
        &[],
        pieces::stamp,
        NONE,
        "the largest object drawn centred on every one-cell object"
    ),
];

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
    /// Whether this op is one of v1's (they keep their meaning in v2).
    pub fn is_v1(self) -> bool {
        (self as usize) < NUM_V1_OPS
    }
    /// Whether this is one of the eight geometry transforms.
    pub fn is_transform(self) -> bool {
        (self as u8) < 8
    }
    /// Whether the op's output always has its input's size (when valid).
    /// Exhaustive, so a new op must say.
    pub fn keeps_size(self) -> bool {
        use OpCode::*;
        match self {
            Id | Rot180 | FlipH | FlipV | Recolor | Swap | Map | Keep | Paint | Shift | Gravity
            | FillEnclosed | Halo | Smear | Connect | Border | Interior | FillHoles | BboxFill
            | Halo4 | Spread | KeepPieces | DropPieces | RecolorBy | Fall | Repair | Flood
            | ColorBoxes | Extend | Symmetrize | Stamp => true,
            Rot90 | Rot270 | Transpose | Antitranspose | CropBbox | Trim | MirrorTile | Hcat
            | Vcat | Upscale | Tile | Downscale | SplitH | SplitV | Crop | Object | HalvesH
            | HalvesV | Frame | Compress | Dedup | Majority | Count | UpscaleBy | Pick | Outer
            | PanelsH | PanelsV | RepairCrop | Pad | Resize | CellColors | CropFrame | Palette
            | Period => false,
        }
    }
    /// Whether a program containing this op may be a piece of a
    /// composition (the search's rule, `docs/search.md`, "Output sizes").
    /// `pad` and `resize` only bring a grid to the output's size: as
    /// pieces they would let almost any grid into compositions.
    pub fn makes_pieces(self) -> bool {
        !matches!(self, OpCode::Pad | OpCode::Resize)
    }
    /// The transform this op is, if it is one.
    pub fn transform(self) -> Option<Transform> {
        self.is_transform()
            .then(|| Transform::from_arg(self as i32))
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
            assert!(s.args.len() <= 4, "{}: at most 4 arguments", s.name);
            assert!(!s.doc.is_empty());
            let names: std::collections::HashSet<_> = s.args.iter().map(|a| a.name).collect();
            assert_eq!(
                names.len(),
                s.args.len(),
                "{}: argument names repeat",
                s.name
            );
        }
        assert_eq!(OpCode::from_u8(NUM_OPS as u8), None);
        let transforms: Vec<_> = OPS.iter().filter(|s| s.code.is_transform()).collect();
        assert_eq!(transforms.len(), 8);
        assert!(transforms.iter().all(|s| s.class == OpClass::Geometry));
        const { assert!(NUM_OPS < 256, "op codes are one byte in the GPU encoding") };
        // The v1 ops, by name, are the first rows.
        let v1 = "id rot90 rot180 rot270 flip_h flip_v transpose antitranspose recolor swap map \
                  keep paint crop_bbox trim mirror_tile hcat vcat upscale tile downscale split_h \
                  split_v crop shift object gravity fill_enclosed halo halves_h halves_v";
        let names: Vec<&str> = v1.split_whitespace().collect();
        assert_eq!(names.len(), NUM_V1_OPS);
        for (i, s) in OPS.iter().enumerate() {
            assert_eq!(s.code.is_v1(), names.contains(&s.name), "{}", s.name);
            assert_eq!(i < NUM_V1_OPS, s.code.is_v1());
        }
    }
}

//! Typed arguments: the named choices an op argument can take (directions,
//! logic ops, selectors, ...), each an enum whose value names and encoding
//! come from one list. The op table ([`super::ops`]) refers to these lists,
//! so the parser, the printer, error messages, `gridscore ops`, the WGSL
//! constants and the search domains all read the same names.
//!
//! An op stores its arguments encoded as `i32` ([`super::Op::args`]); the
//! interpreter decodes them with the `from_arg` of the kind it expects, so
//! it matches on enum variants, never on bare numbers.

/// A named set of values for one argument kind: the encoding of a value is
/// its index in `names`.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Choice {
    /// What the argument is, for messages ("a direction").
    pub what: &'static str,
    /// The value names, in encoding order.
    pub names: &'static [&'static str],
    /// The prefix of the generated WGSL constants (`DIR4_UP`, ...).
    pub wgsl: &'static str,
}

impl Choice {
    /// The encoding of a value name.
    pub fn index_of(&self, word: &str) -> Option<i32> {
        self.names.iter().position(|&n| n == word).map(|i| i as i32)
    }
    /// Number of values.
    pub fn len(&self) -> usize {
        self.names.len()
    }
    /// Never true: every choice has values.
    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
    }
}

macro_rules! choice {
    (
        $(#[$meta:meta])*
        $name:ident, $what:literal, $wgsl:literal,
        [$($(#[$vmeta:meta])* $var:ident = $text:literal),+ $(,)?]
    ) => {
        $(#[$meta])*
        #[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[repr(u8)]
        pub enum $name {
            $($(#[$vmeta])* $var),+
        }

        impl $name {
            /// Every value, in encoding order.
            pub const ALL: &'static [$name] = &[$($name::$var),+];
            /// The value names, in encoding order.
            pub const NAMES: &'static [&'static str] = &[$($text),+];
            /// The choice as table data.
            pub const CHOICE: Choice = Choice { what: $what, names: Self::NAMES, wgsl: $wgsl };
            /// Decodes an argument (out-of-range values, which the parser
            /// never produces, clamp to the last value).
            #[inline(always)]
            pub fn from_arg(v: i32) -> $name {
                Self::ALL[(v.max(0) as usize).min(Self::ALL.len() - 1)]
            }
            /// The encoding.
            #[inline(always)]
            pub fn arg(self) -> i32 {
                self as i32
            }
            /// The text name.
            pub fn name(self) -> &'static str {
                Self::NAMES[self as usize]
            }
        }
    };
}

choice!(
    /// One of the eight symmetries of the square; its encoding is the op
    /// code of the geometry op of the same name.
    Transform, "a transform", "T",
    [
        Id = "id",
        Rot90 = "rot90",
        Rot180 = "rot180",
        Rot270 = "rot270",
        FlipH = "flip_h",
        FlipV = "flip_v",
        Transpose = "transpose",
        Antitranspose = "antitranspose",
    ]
);

choice!(
    /// A direction along an axis.
    Dir4, "a direction", "DIR4",
    [Up = "up", Down = "down", Left = "left", Right = "right"]
);

choice!(
    /// A logic op on two cell predicates A and B.
    Logic, "a logic op", "LOGIC",
    [
        And = "and",
        Or = "or",
        Xor = "xor",
        Nor = "nor",
        /// A and not B.
        Left = "left",
        /// B and not A.
        Right = "right",
    ]
);

choice!(
    /// Which object `object` picks.
    Selector, "a selector", "SEL",
    [Largest = "largest", Smallest = "smallest"]
);

choice!(
    /// Which cells of a layer an overlay paints.
    Mask, "a layer mask", "MASK",
    [
        /// Cells of a color other than 0.
        Nonzero = "nz",
        /// Cells of color 0.
        Zero = "z",
        /// Every cell.
        All = "all",
    ]
);

choice!(
    /// The rays of `smear`: directions a color travels in, in priority order
    /// (see [`SmearDir::dirs`]).
    SmearDir, "a smear direction set", "SMEAR",
    [
        Right = "right",
        Left = "left",
        Down = "down",
        Up = "up",
        /// right, left
        H = "h",
        /// down, up
        V = "v",
        /// right, left, down, up
        Hv = "hv",
        Dr = "dr",
        Ul = "ul",
        Ur = "ur",
        Dl = "dl",
        /// dr, ul
        Diag = "diag",
        /// ur, dl
        Anti = "anti",
        /// dr, ul, ur, dl
        X = "x",
        /// right, left, down, up, dr, ul, ur, dl
        Star = "star",
    ]
);

/// Ray directions (dy, dx).
const RIGHT: (i32, i32) = (0, 1);
const LEFT: (i32, i32) = (0, -1);
const DOWN: (i32, i32) = (1, 0);
const UP: (i32, i32) = (-1, 0);
const DR: (i32, i32) = (1, 1);
const UL: (i32, i32) = (-1, -1);
const UR: (i32, i32) = (-1, 1);
const DL: (i32, i32) = (1, -1);

impl SmearDir {
    /// The directions (dy, dx) colors travel in, highest priority first.
    pub fn dirs(self) -> &'static [(i32, i32)] {
        match self {
            SmearDir::Right => &[RIGHT],
            SmearDir::Left => &[LEFT],
            SmearDir::Down => &[DOWN],
            SmearDir::Up => &[UP],
            SmearDir::H => &[RIGHT, LEFT],
            SmearDir::V => &[DOWN, UP],
            SmearDir::Hv => &[RIGHT, LEFT, DOWN, UP],
            SmearDir::Dr => &[DR],
            SmearDir::Ul => &[UL],
            SmearDir::Ur => &[UR],
            SmearDir::Dl => &[DL],
            SmearDir::Diag => &[DR, UL],
            SmearDir::Anti => &[UR, DL],
            SmearDir::X => &[DR, UL, UR, DL],
            SmearDir::Star => &[RIGHT, LEFT, DOWN, UP, DR, UL, UR, DL],
        }
    }
}

choice!(
    /// The lines along which `connect` joins cells (see [`Axes::dirs`]).
    Axes, "a set of axes", "AXES",
    [
        /// Rows.
        H = "h",
        /// Columns.
        V = "v",
        /// Rows, then columns.
        Hv = "hv",
        /// Both diagonals.
        Diag = "diag",
        /// Rows, columns, then both diagonals.
        All = "all",
    ]
);

impl Axes {
    /// One step along each axis (dy, dx), highest priority first.
    pub fn dirs(self) -> &'static [(i32, i32)] {
        match self {
            Axes::H => &[RIGHT],
            Axes::V => &[DOWN],
            Axes::Hv => &[RIGHT, DOWN],
            Axes::Diag => &[DR, DL],
            Axes::All => &[RIGHT, DOWN, DR, DL],
        }
    }
}

choice!(
    /// How a grid is cut into pieces (`DSL.md`, "Pieces").
    Split, "a way to cut pieces", "SPLIT",
    [
        /// 8-connected groups of non-0 cells (several colors may share one).
        Obj = "obj",
        /// 4-connected groups of non-0 cells.
        Obj4 = "obj4",
        /// 4-connected groups of cells of one non-0 color.
        Cobj = "cobj",
        /// All cells of one non-0 color.
        Color = "color",
        /// The rectangles between full separator lines.
        Cell = "cell",
    ]
);

choice!(
    /// A piece property that `pick`, `keep_pieces` and `drop_pieces` select by.
    Crit, "a piece property", "CRIT",
    [
        MaxCells = "max_cells",
        MinCells = "min_cells",
        MaxArea = "max_area",
        MinArea = "min_area",
        MaxColors = "max_colors",
        MinColors = "min_colors",
        Top = "top",
        Bottom = "bottom",
        Left = "left",
        Right = "right",
        MaxHoles = "max_holes",
        MinHoles = "min_holes",
        UniqueColor = "unique_color",
        UniqueShape = "unique_shape",
        CommonShape = "common_shape",
    ]
);

choice!(
    /// What `count` and `upscale_by` count.
    Count, "a count", "COUNT",
    [
        /// Non-0 cells.
        Cells = "cells",
        /// Distinct non-0 colors.
        Colors = "colors",
        /// 8-connected objects of non-0 cells.
        Objects = "objects",
    ]
);

choice!(
    /// The shape of `count`'s block.
    Shape, "a block shape", "SHAPE",
    [Square = "square", Row = "row", Col = "col"]
);

choice!(
    /// The color `recolor_by` gives each piece.
    Label, "a piece label", "LABEL",
    [
        /// Its number of cells (9 for 9 or more).
        Size = "size",
        /// 1 for the pieces with the most cells, 2 for the next size, ...
        Rank = "rank",
        /// How many pieces have its shape (9 for 9 or more).
        Shared = "shared",
    ]
);

choice!(
    /// The kind of `outer` product.
    Outer, "an outer product", "OUTER",
    [
        /// Block (i, j) is the grid where cell (i, j) is not 0.
        Self_ = "self",
        /// Block (i, j) is the grid where cell (i, j) is 0.
        Inv = "inv",
        /// Block (i, j) is the grid's shape painted with cell (i, j)'s color.
        Color = "color",
    ]
);

choice!(
    /// The symmetry `symmetrize` completes a figure by.
    SymKind, "a symmetry", "SYM",
    [
        /// The mirror left-right (a vertical axis).
        H = "h",
        /// The mirror top-bottom (a horizontal axis).
        V = "v",
        /// The half turn.
        R2 = "r2",
        /// The quarter turns (both ways) and the half turn.
        R4 = "r4",
    ]
);

choice!(
    /// The order in which panels are laid over each other.
    Order, "an order", "ORDER",
    [Fwd = "fwd", Back = "back"]
);

impl Logic {
    /// The predicate's value.
    #[inline(always)]
    pub fn eval(self, a: bool, b: bool) -> bool {
        match self {
            Logic::And => a && b,
            Logic::Or => a || b,
            Logic::Xor => a != b,
            Logic::Nor => !(a || b),
            Logic::Left => a && !b,
            Logic::Right => b && !a,
        }
    }
}

/// Every choice kind (for `gridscore ops`, the WGSL constants and tests).
pub const CHOICES: &[Choice] = &[
    Transform::CHOICE,
    Dir4::CHOICE,
    Logic::CHOICE,
    Selector::CHOICE,
    Mask::CHOICE,
    SmearDir::CHOICE,
    Axes::CHOICE,
    Split::CHOICE,
    Crit::CHOICE,
    Count::CHOICE,
    Shape::CHOICE,
    Label::CHOICE,
    Outer::CHOICE,
    Order::CHOICE,
    SymKind::CHOICE,
];

/// Color arguments: a digit 0..=9, or a token resolved on the op's input
/// grid, encoded after the digits.
pub mod color {
    /// The token names, in encoding order (`bg` = 10).
    pub const TOKENS: [&str; 3] = ["bg", "fg", "lc"];
    /// Encoded `bg`: the most frequent color.
    pub const BG: i32 = 10;
    /// Encoded `fg`: the most frequent color other than `bg`.
    pub const FG: i32 = 11;
    /// Encoded `lc`: the least frequent color present.
    pub const LC: i32 = 12;
    /// Largest encoded color argument.
    pub const MAX: i32 = 12;
    /// Whether an encoded color argument is a token.
    #[inline(always)]
    pub fn is_token(v: i32) -> bool {
        v >= BG
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lang::OpCode;

    #[test]
    fn transforms_are_the_geometry_ops() {
        for t in Transform::ALL {
            let code = OpCode::from_u8(*t as u8).unwrap();
            assert_eq!(code.name(), t.name());
            assert!(code.is_transform());
        }
    }

    #[test]
    fn choices_roundtrip() {
        for c in CHOICES {
            for (i, n) in c.names.iter().enumerate() {
                assert_eq!(c.index_of(n), Some(i as i32));
            }
            assert_eq!(c.index_of("nope"), None);
        }
        assert_eq!(Dir4::from_arg(2), Dir4::Left);
        assert_eq!(Dir4::Left.arg(), 2);
        assert!(Logic::Left.eval(true, false) && !Logic::Left.eval(true, true));
    }
}

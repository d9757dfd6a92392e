//! Grids: H x W cells of colors 0..=9, 1 <= H, W <= 30 (see `DSL.md`, "Grids").
//!
//! A [`Grid`] is a fixed 30x30 buffer with its size beside it, so that the
//! interpreter can reuse grids without allocating. Cells are stored row-major
//! with stride `w` (compact): cell (i, j) is `cells[i * w + j]`.

use serde::ser::{SerializeSeq, Serializer};

/// Largest height or width of any grid.
pub const MAX_DIM: usize = 30;
/// Number of cells in the largest grid.
pub const MAX_CELLS: usize = MAX_DIM * MAX_DIM;
/// Number of colors (0..=9).
pub const NUM_COLORS: usize = 10;

/// A grid of at most 30x30 cells.
#[derive(Clone)]
pub struct Grid {
    h: u8,
    w: u8,
    cells: [u8; MAX_CELLS],
}

impl Default for Grid {
    fn default() -> Self {
        Grid {
            h: 1,
            w: 1,
            cells: [0; MAX_CELLS],
        }
    }
}

impl PartialEq for Grid {
    fn eq(&self, other: &Self) -> bool {
        self.h == other.h && self.w == other.w && self.data() == other.data()
    }
}
impl Eq for Grid {}

impl std::hash::Hash for Grid {
    fn hash<S: std::hash::Hasher>(&self, state: &mut S) {
        self.h.hash(state);
        self.w.hash(state);
        self.data().hash(state);
    }
}

impl std::fmt::Debug for Grid {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Grid {}x{} [", self.h, self.w)?;
        for i in 0..self.h() {
            if i > 0 {
                write!(f, " ")?;
            }
            for j in 0..self.w() {
                write!(f, "{}", self.get(i, j))?;
            }
        }
        write!(f, "]")
    }
}

impl Grid {
    /// A grid of `h` x `w` cells all of color `fill`.
    ///
    /// Panics if the size is out of 1..=30 (a programming error: user data
    /// goes through [`Grid::from_rows`]).
    pub fn filled(h: usize, w: usize, fill: u8) -> Grid {
        assert!((1..=MAX_DIM).contains(&h) && (1..=MAX_DIM).contains(&w));
        let mut g = Grid {
            h: h as u8,
            w: w as u8,
            cells: [0; MAX_CELLS],
        };
        g.cells[..h * w].fill(fill);
        g
    }

    /// Builds a grid from rows, checking every rule of the spec.
    pub fn from_rows<R: AsRef<[u8]>>(rows: &[R]) -> Result<Grid, GridError> {
        let h = rows.len();
        if h == 0 {
            return Err(GridError::NoRows);
        }
        if h > MAX_DIM {
            return Err(GridError::TooManyRows(h));
        }
        let w = rows[0].as_ref().len();
        let mut g = Grid {
            h: h as u8,
            w: 0,
            cells: [0; MAX_CELLS],
        };
        for (i, row) in rows.iter().enumerate() {
            let row = row.as_ref();
            if row.is_empty() {
                return Err(GridError::EmptyRow { row: i });
            }
            if row.len() > MAX_DIM {
                return Err(GridError::RowTooLong {
                    row: i,
                    len: row.len(),
                });
            }
            if row.len() != w {
                return Err(GridError::Ragged {
                    row: i,
                    len: row.len(),
                    expected: w,
                });
            }
            for (j, &c) in row.iter().enumerate() {
                if c as usize >= NUM_COLORS {
                    return Err(GridError::BadColor {
                        row: i,
                        col: j,
                        value: c.to_string(),
                    });
                }
                g.cells[i * w + j] = c;
            }
        }
        g.w = w as u8;
        Ok(g)
    }

    /// Height (rows).
    #[inline(always)]
    pub fn h(&self) -> usize {
        self.h as usize
    }
    /// Width (columns).
    #[inline(always)]
    pub fn w(&self) -> usize {
        self.w as usize
    }
    /// Number of cells, `h * w`.
    #[inline(always)]
    pub fn len(&self) -> usize {
        self.h() * self.w()
    }
    /// Never true: a grid has at least one cell.
    #[inline(always)]
    pub fn is_empty(&self) -> bool {
        false
    }
    /// The cell at row `i`, column `j`.
    #[inline(always)]
    pub fn get(&self, i: usize, j: usize) -> u8 {
        self.cells[i * self.w() + j]
    }
    /// Sets the cell at row `i`, column `j`.
    #[inline(always)]
    pub fn set(&mut self, i: usize, j: usize, c: u8) {
        let w = self.w();
        self.cells[i * w + j] = c;
    }
    /// The cells in row-major order (`h * w` of them).
    #[inline(always)]
    pub fn data(&self) -> &[u8] {
        &self.cells[..self.len()]
    }
    /// The whole backing array: the cells in row-major order, then
    /// [`MAX_CELLS`] `- len()` bytes of unspecified value (for scans that
    /// read whole blocks and mask off what is past the end).
    #[inline(always)]
    pub fn padded(&self) -> &[u8; MAX_CELLS] {
        &self.cells
    }
    /// The cells in row-major order, mutable.
    #[inline(always)]
    pub fn data_mut(&mut self) -> &mut [u8] {
        let n = self.len();
        &mut self.cells[..n]
    }
    /// One row.
    pub fn row(&self, i: usize) -> &[u8] {
        let w = self.w();
        &self.cells[i * w..(i + 1) * w]
    }
    /// One row, mutable.
    pub fn row_mut(&mut self, i: usize) -> &mut [u8] {
        let w = self.w();
        &mut self.cells[i * w..(i + 1) * w]
    }
    /// Resizes in place (contents unspecified until written). Returns false,
    /// leaving the grid untouched, if the size is outside 1..=30.
    #[inline(always)]
    pub fn resize(&mut self, h: usize, w: usize) -> bool {
        if h == 0 || w == 0 || h > MAX_DIM || w > MAX_DIM {
            return false;
        }
        self.h = h as u8;
        self.w = w as u8;
        true
    }
    /// Copies `other` into `self` (size and cells) without allocating.
    #[inline(always)]
    pub fn copy_from(&mut self, other: &Grid) {
        self.h = other.h;
        self.w = other.w;
        let n = other.len();
        self.cells[..n].copy_from_slice(&other.cells[..n]);
    }
    /// The rows as vectors (for JSON output).
    pub fn to_rows(&self) -> Vec<Vec<u8>> {
        (0..self.h()).map(|i| self.row(i).to_vec()).collect()
    }
    /// Count of each color.
    #[inline]
    pub fn histogram(&self) -> [u16; NUM_COLORS] {
        let mut hist = [0u16; NUM_COLORS];
        for &c in self.data() {
            hist[c as usize] += 1;
        }
        hist
    }
}

impl serde::Serialize for Grid {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(Some(self.h()))?;
        for i in 0..self.h() {
            seq.serialize_element(self.row(i))?;
        }
        seq.end()
    }
}

/// What is wrong with a grid. Rows and columns are 0-based.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GridError {
    #[error("the grid has no rows")]
    NoRows,
    #[error("the grid has {0} rows (at most 30)")]
    TooManyRows(usize),
    #[error("row {row} is empty")]
    EmptyRow { row: usize },
    #[error("row {row} has {len} cells (at most 30)")]
    RowTooLong { row: usize, len: usize },
    #[error("row {row} has {len} cells but row 0 has {expected} (ragged grid)")]
    Ragged {
        row: usize,
        len: usize,
        expected: usize,
    },
    #[error("row {row}, column {col}: {value} is not a color (an integer 0..=9)")]
    BadColor {
        row: usize,
        col: usize,
        value: String,
    },
    #[error("row {row} is not an array of integers: {found}")]
    NotARow { row: usize, found: String },
    #[error("the grid is not an array of rows: {found}")]
    NotAGrid { found: String },
}

impl GridError {
    /// The 0-based row the error is about, if any.
    pub fn row(&self) -> Option<usize> {
        match self {
            GridError::EmptyRow { row }
            | GridError::RowTooLong { row, .. }
            | GridError::Ragged { row, .. }
            | GridError::BadColor { row, .. }
            | GridError::NotARow { row, .. } => Some(*row),
            // The first row beyond the limit.
            GridError::TooManyRows(_) => Some(MAX_DIM),
            _ => None,
        }
    }
}

/// Builds a grid from a JSON value, with errors naming the row and value.
pub fn grid_from_json(v: &serde_json::Value) -> Result<Grid, GridError> {
    let rows = v.as_array().ok_or_else(|| GridError::NotAGrid {
        found: short_json(v),
    })?;
    if rows.is_empty() {
        return Err(GridError::NoRows);
    }
    if rows.len() > MAX_DIM {
        return Err(GridError::TooManyRows(rows.len()));
    }
    let mut out: Vec<Vec<u8>> = Vec::with_capacity(rows.len());
    for (i, row) in rows.iter().enumerate() {
        let cells = row.as_array().ok_or_else(|| GridError::NotARow {
            row: i,
            found: short_json(row),
        })?;
        let mut r = Vec::with_capacity(cells.len());
        for (j, c) in cells.iter().enumerate() {
            // Only JSON integers count: 1.0 and true are rejected.
            match c.as_u64() {
                Some(x) if x < NUM_COLORS as u64 && !c.is_f64() => r.push(x as u8),
                _ => {
                    return Err(GridError::BadColor {
                        row: i,
                        col: j,
                        value: short_json(c),
                    })
                }
            }
        }
        out.push(r);
    }
    Grid::from_rows(&out)
}

fn short_json(v: &serde_json::Value) -> String {
    let s = v.to_string();
    if s.len() > 40 {
        format!(
            "{}...",
            &s[..s.char_indices().nth(37).map_or(s.len(), |(i, _)| i)]
        )
    } else {
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn from_rows_roundtrip() {
        let g = Grid::from_rows(&[vec![1, 2, 3], vec![4, 5, 6]]).unwrap();
        assert_eq!((g.h(), g.w()), (2, 3));
        assert_eq!(g.get(1, 2), 6);
        assert_eq!(g.to_rows(), vec![vec![1, 2, 3], vec![4, 5, 6]]);
        assert_eq!(serde_json::to_string(&g).unwrap(), "[[1,2,3],[4,5,6]]");
    }

    #[test]
    fn json_errors() {
        assert_eq!(grid_from_json(&json!([])), Err(GridError::NoRows));
        assert!(matches!(
            grid_from_json(&json!([[1, 2], [3]])),
            Err(GridError::Ragged { row: 1, .. })
        ));
        assert!(matches!(
            grid_from_json(&json!([[1, 2], []])),
            Err(GridError::EmptyRow { row: 1 })
        ));
        assert!(matches!(
            grid_from_json(&json!([[1, 10]])),
            Err(GridError::BadColor { row: 0, col: 1, .. })
        ));
        assert!(matches!(
            grid_from_json(&json!([[1.0]])),
            Err(GridError::BadColor { .. })
        ));
        assert!(matches!(
            grid_from_json(&json!([[true]])),
            Err(GridError::BadColor { .. })
        ));
        assert!(matches!(
            grid_from_json(&json!([[-1]])),
            Err(GridError::BadColor { .. })
        ));
        assert!(matches!(
            grid_from_json(&json!([vec![0u8; 31]])),
            Err(GridError::RowTooLong { row: 0, len: 31 })
        ));
        let tall: Vec<Vec<u8>> = vec![vec![0]; 31];
        assert_eq!(
            grid_from_json(&json!(tall)),
            Err(GridError::TooManyRows(31))
        );
        assert!(matches!(
            grid_from_json(&json!([1, 2])),
            Err(GridError::NotARow { row: 0, .. })
        ));
        assert!(matches!(
            grid_from_json(&json!("x")),
            Err(GridError::NotAGrid { .. })
        ));
    }
}

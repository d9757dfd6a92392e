//! gridscore: score huge batches of ARC-AGI candidate grid programs.
//!
//! Layout: [`grid`] and [`task`] (I/O), [`lang`] (the language and the CPU
//! reference interpreter), [`hash`] (the output hash shared with the GPU),
//! [`score`] (pair scores, totals, ranking), [`engine`] (batch scoring).

pub mod grid;
pub mod hash;
pub mod lang;

pub use grid::Grid;
pub use lang::{Op, OpCode, Program};
pub mod engine;
pub mod rng;
pub mod score;
pub mod search;
pub mod task;

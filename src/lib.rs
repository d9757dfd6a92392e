//! gridscore: score huge batches of ARC-AGI candidate grid programs.
//!
//! Layout: [`grid`] and [`task`] (I/O), [`lang`] (the language and the CPU
//! reference interpreter), [`hash`] (the output hash shared with the GPU),
//! [`score`] (pair scores, totals, ranking), [`engine`] (batch scoring),
//! [`sched`] (devices, chunks, deadlines, failover), [`mod@bench`].
//!
//! ```
//! use gridscore::engine::{score_batch, BatchOptions, CpuBackend};
//! use gridscore::grid::Grid;
//! use gridscore::lang::parse_candidates;
//! use gridscore::task::{Pair, Task};
//!
//! let g = |rows: &[&[u8]]| Grid::from_rows(rows).unwrap();
//! let task = Task {
//!     id: "demo".into(),
//!     train: vec![Pair { input: g(&[&[1, 2], &[3, 4]]), output: g(&[&[2, 1], &[4, 3]]) }],
//!     test: vec![],
//! };
//! let candidates = parse_candidates("rot90\nmirror: flip_h\nflip_hh\n");
//! let report = score_batch(&task, &candidates, &CpuBackend::new(1), &BatchOptions::default()).unwrap();
//! assert_eq!(report.results[0].id, "mirror");
//! assert_eq!(report.results[0].score, 1000);
//! assert_eq!(report.results[2].status, gridscore::engine::Status::ParseError);
//! ```

pub mod grid;
pub mod hash;
pub mod lang;
pub(crate) mod maps;

pub mod assets;
pub mod bench;
pub mod engine;
pub mod gpu;
pub mod io;
pub mod merge;
pub mod metrics;
pub mod rng;
pub mod sched;
pub mod score;
pub mod search;
pub mod shard;
pub mod task;
pub mod text;

#[cfg(feature = "python")]
mod python;

pub use grid::Grid;
pub use lang::{Op, OpCode, Program};

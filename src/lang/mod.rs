//! The grid program language of `docs/DSL.md`: the op table, typed
//! arguments, parsing, printing, the canonical form, candidates files and
//! the CPU interpreter (the reference that every other backend is checked
//! against).

pub mod args;
pub mod candidates;
pub mod interp;
pub mod ops;
pub mod program;
pub mod random;

pub use candidates::{
    parse_candidates, read_candidates, read_candidates_warned, Candidate, CandidateError,
    CandidateWarning,
};
pub use interp::{run_program, Interp};
pub use ops::{ArgKind, OpClass, OpCode, OpSpec, OPS};
pub use program::{Layer, Mask, Norm, Op, ParseError, Program, MAX_LAYERS, MAX_OPS, SYM_MAX_CELLS};

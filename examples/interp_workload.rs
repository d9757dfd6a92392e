//! Runs one of the `cpu` bench's interpreter workloads a fixed number of
//! times, on one thread, as a whole process: for instruction counts
//! (`valgrind --tool=callgrind`), which criterion's timing loop does not
//! give, and for timings of two builds side by side.
//!
//! cargo run --release --example interp_workload -- v2-pattern 60
//! valgrind --tool=callgrind target/release/examples/interp_workload repair 3
//!
//! WORKLOAD is a group of `interp_10x10_one_core` (1,000 programs of 3 ops
//! of the group's classes) or an op name (1,000 single-op programs, as
//! `interp_op_10x10/NAME`); the programs and the four 10x10 inputs are
//! those of `benches/cpu.rs` (same generators, same seeds). It prints
//! the number of valid (program, input) runs, the same for every build.

use anyhow::{bail, Context};
use gridscore::lang::random::{all_codes, codes_of, random_grid, random_program};
use gridscore::lang::{Interp, OpClass, Program};
use gridscore::rng::Rng;

/// The bench's groups: name, classes, and whether the ops are those of
/// language v1 (else those v2 added).
const GROUPS: [(&str, &[OpClass], bool); 10] = [
    ("geometry", &[OpClass::Geometry], true),
    ("color", &[OpClass::Color], true),
    ("geometry+color", &[OpClass::Geometry, OpClass::Color], true),
    ("layout", &[OpClass::Layout], true),
    ("region", &[OpClass::Region], true),
    ("v2-layout", &[OpClass::Layout], false),
    ("v2-region", &[OpClass::Region], false),
    ("v2-lines", &[OpClass::Lines], false),
    ("v2-pieces", &[OpClass::Pieces], false),
    ("v2-pattern", &[OpClass::Pattern], false),
];

fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let usage = "usage: interp_workload WORKLOAD [REPEATS]";
    let name = args.next().context(usage)?;
    let repeats: usize = match args.next() {
        Some(r) => r.parse().context(usage)?,
        None => 3,
    };
    // The bench's `task(10, 7)`: each train pair's input then output,
    // then the test input; the inputs are grids 0, 2, 4 and 6.
    let mut rng = Rng::new(7);
    let grids: Vec<_> = (0..7).map(|_| random_grid(&mut rng, 10, 10)).collect();
    let inputs = [&grids[0], &grids[2], &grids[4], &grids[6]];
    let mut rng = Rng::new(42);
    let programs: Vec<Program> =
        if let Some(&(_, classes, v1)) = GROUPS.iter().find(|g| g.0 == name) {
            let codes: Vec<_> = codes_of(classes)
                .into_iter()
                .filter(|c| c.is_v1() == v1)
                .collect();
            (0..1000)
                .map(|_| random_program(&mut rng, &codes, 3, 3))
                .collect()
        } else if let Some(code) = all_codes().into_iter().find(|c| c.name() == name) {
            (0..1000)
                .map(|_| random_program(&mut rng, &[code], 1, 1))
                .collect()
        } else {
            let groups: Vec<_> = GROUPS.iter().map(|g| g.0).collect();
            bail!("{name}: neither a group ({}) nor an op", groups.join(", "));
        };
    let mut interp = Interp::new();
    let mut valid = 0usize;
    for _ in 0..repeats {
        for p in &programs {
            for x in inputs {
                valid += interp.run_program(p, x).is_some() as usize;
            }
        }
    }
    println!("{valid}");
    Ok(())
}

//! `gridscore ops` (the op table, for users and for the prompts of external
//! program generators) and `gridscore random-programs` (the seeded
//! generator the differential tests use).

use super::{CliError, CliResult};
use gridscore::lang::args::color;
use gridscore::lang::ops::{ArgKind, OpSpec, OPS};
use gridscore::lang::random::{all_codes, random_construct_program, random_program, v1_codes};
use serde_json::{json, Value};
use std::io::Write;

#[derive(clap::Args)]
pub struct OpsArgs {
    /// Print JSON (one object per op, with argument kinds and ranges).
    #[arg(long)]
    pub json: bool,
}

#[derive(clap::Args)]
pub struct RandomArgs {
    /// Seed (the same seed gives the same programs).
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// How many programs.
    #[arg(long, short = 'n', default_value_t = 1000)]
    pub n: usize,
    /// Most ops per pipeline.
    #[arg(long = "max-ops", default_value_t = 3, value_parser = clap::value_parser!(u64).range(1..=16))]
    pub max_ops: u64,
    /// Also draw programs with the constructs (`overlay`, `norm`): a quarter
    /// of them.
    #[arg(long)]
    pub constructs: bool,
    /// Draw only the 31 ops of language v1 (geometry, layout, color,
    /// regions and objects) instead of all ops: the mix of the older
    /// benchmarks, and what every device runs today.
    #[arg(long)]
    pub v1: bool,
}

fn arg_json(a: &gridscore::lang::ops::ArgSpec) -> Value {
    match a.kind {
        ArgKind::Int { min, max } => json!({"name": a.name, "kind": "int", "min": min, "max": max}),
        ArgKind::Color => json!({"name": a.name, "kind": "color",
            "values": (0..10).map(|d| d.to_string()).chain(color::TOKENS.iter().map(|t| t.to_string())).collect::<Vec<_>>()}),
        ArgKind::Choice(c) => {
            json!({"name": a.name, "kind": "choice", "what": c.what, "values": c.names})
        }
        ArgKind::ColorMap => json!({"name": a.name, "kind": "color_map", "digits": 10}),
    }
}

fn signature(s: &OpSpec) -> String {
    let mut t = s.name.to_string();
    for a in s.args {
        t.push(' ');
        t.push_str(a.name);
    }
    t
}

fn arg_line(a: &gridscore::lang::ops::ArgSpec) -> String {
    let kind = match a.kind {
        ArgKind::Int { min, max } => format!("{min}..={max}"),
        ArgKind::Color => format!("color (0..=9, {})", color::TOKENS.join(", ")),
        ArgKind::Choice(c) => c.names.join(" | "),
        ArgKind::ColorMap => "ten digits".into(),
    };
    format!("{}: {kind}", a.name)
}

pub fn run_ops(a: OpsArgs) -> CliResult {
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    let text = if a.json {
        let ops: Vec<Value> = OPS
            .iter()
            .map(|s| {
                json!({
                    "name": s.name,
                    "code": s.code as u8,
                    "class": s.class,
                    "args": s.args.iter().map(arg_json).collect::<Vec<_>>(),
                    "meaning": s.doc,
                })
            })
            .collect();
        let mut t = serde_json::to_string_pretty(&json!({
            "ops": ops,
            "constructs": {
                "pipeline": "op | op | ... (at most 16 ops; the empty program is the identity)",
                "overlay": "overlay { [MASK] pipeline ; [MASK] pipeline ... } (MASK: nz, z, all; top layer first)",
                "norm": "norm F { program } (F: fixed colors as ascending digits, may be omitted)",
            },
            "spec": "docs/DSL.md",
        }))
        .map_err(CliError::failed)?;
        t.push('\n');
        t
    } else {
        let mut t = String::from(
            "Ops of the grid language (docs/DSL.md). A program is `op | op | ...`; \
             colors are digits 0..=9 or bg, fg, lc (resolved on each op's input).\n\
             Constructs: `overlay { [nz] pipeline ; [all] pipeline }` stacks layers \
             (top first; masks nz, z, all); `norm F { program }` renames colors by \
             frequency (F: fixed colors) and maps the result back.\n\n",
        );
        let width = OPS.iter().map(|s| signature(s).len()).max().unwrap_or(0);
        for s in OPS.iter() {
            t.push_str(&format!(
                "{:<width$}  {:<8}  {}\n",
                signature(s),
                s.class.name(),
                s.doc
            ));
            for a in s.args {
                t.push_str(&format!("{:<width$}    {}\n", "", arg_line(a)));
            }
        }
        t
    };
    match out.write_all(text.as_bytes()).and_then(|_| out.flush()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(CliError::failed(e)),
        _ => Ok(()),
    }
}

pub fn run_random(a: RandomArgs) -> CliResult {
    let mut rng = gridscore::rng::Rng::new(a.seed);
    let codes = if a.v1 { v1_codes() } else { all_codes() };
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    let max = a.max_ops as usize;
    for _ in 0..a.n {
        let p = if a.constructs && rng.chance(0.25) {
            random_construct_program(&mut rng, &codes, max)
        } else {
            random_program(&mut rng, &codes, 1, max)
        };
        if let Err(e) = writeln!(out, "{p}") {
            if e.kind() == std::io::ErrorKind::BrokenPipe {
                return Ok(());
            }
            return Err(CliError::failed(e));
        }
    }
    match out.flush() {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(CliError::failed(e)),
        _ => Ok(()),
    }
}

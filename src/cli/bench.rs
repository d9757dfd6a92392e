//! `gridscore bench`: what each device delivers, from which batch size a
//! GPU wins, as a table, JSON and an SVG chart.

use super::common::{self, DeviceSpec};
use super::flags;
use super::{CliError, CliResult};
use gridscore::bench::{self, BenchConfig};
use gridscore::engine::Backend;
use gridscore::lang::OpClass;
use std::path::PathBuf;

#[derive(clap::Args)]
pub struct BenchArgs {
    /// Devices to measure (auto, cpu, gpu, all, or a comma list).
    #[arg(long, default_value = "all", value_parser = common::parse_device_spec)]
    pub device: DeviceSpec,
    /// Batch sizes (programs per batch), comma separated
    /// [default: 1,16,256,4096,65536; --quick: 1,64,1024].
    #[arg(long, value_delimiter = ',', value_parser = flags::parse_batch, allow_hyphen_values = true)]
    pub sizes: Option<Vec<usize>>,
    /// Square grid sides, comma separated, 1..=30 [default: 3,10,30; --quick: 10].
    #[arg(long = "grid-sizes", value_delimiter = ',', value_parser = flags::parse_side, allow_hyphen_values = true)]
    pub grid_sizes: Option<Vec<usize>>,
    /// Op classes to draw programs from: geometry, layout, color, region,
    /// lines, pieces, pattern [default: all seven].
    #[arg(long, value_delimiter = ',', value_parser = parse_class)]
    pub ops: Option<Vec<OpClass>>,
    /// Ops per program.
    #[arg(long = "program-ops", default_value_t = 3, value_parser = clap::value_parser!(u64).range(1..=16))]
    pub program_ops: u64,
    /// Timed repetitions per point (median reported), 1 to 1000.
    #[arg(long, value_parser = flags::parse_repeats, allow_hyphen_values = true)]
    pub repeats: Option<usize>,
    /// Workload seed.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// CPU worker threads [default: physical cores]; at most the CPUs this
    /// process can use.
    #[arg(long, default_value_t = 0, value_parser = flags::parse_threads, allow_hyphen_values = true)]
    pub threads: usize,
    /// Write every figure as JSON here (atomically).
    #[arg(long)]
    pub json: Option<PathBuf>,
    /// Write a chart of throughput against batch size here (SVG,
    /// atomically).
    #[arg(long)]
    pub svg: Option<PathBuf>,
    /// A small workload that runs in seconds.
    #[arg(long)]
    pub quick: bool,
}

fn parse_class(s: &str) -> Result<OpClass, String> {
    OpClass::ALL
        .iter()
        .copied()
        .find(|c| c.name() == s)
        .ok_or_else(|| {
            let names: Vec<&str> = OpClass::ALL.iter().map(|c| c.name()).collect();
            format!("unknown op class `{s}` ({})", names.join(", "))
        })
}

pub fn run(a: BenchArgs) -> CliResult {
    // Outputs first: a bad path is found before the benchmark runs.
    common::check_outputs(
        &[("--json", a.json.as_deref()), ("--svg", a.svg.as_deref())],
        &[],
    )?;
    let mut cfg = if a.quick {
        BenchConfig::quick()
    } else {
        BenchConfig::full()
    };
    if let Some(s) = a.sizes {
        cfg.sizes = s;
    }
    if let Some(g) = a.grid_sizes {
        cfg.grid_sizes = g;
    }
    if let Some(o) = a.ops {
        cfg.classes = o;
    }
    if let Some(r) = a.repeats {
        cfg.repeats = r.max(1);
    }
    cfg.ops = a.program_ops as usize;
    cfg.seed = a.seed;
    if cfg.sizes.contains(&0) {
        return Err(CliError::usage(anyhow::anyhow!(
            "--sizes: batch sizes must be at least 1"
        )));
    }
    // Sizes that do not fit memory are refused before anything runs.
    let (usable, from) = gridscore::sched::HostInfo::detect().usable_memory_bytes();
    bench::check_memory(&cfg, usable)
        .map_err(|e| CliError::usage(anyhow::anyhow!("--sizes: {e} ({from})")))?;
    let devices = common::open_devices(&a.device, a.threads)?;
    let refs: Vec<&dyn Backend> = devices.iter().map(|d| d.as_ref()).collect();
    let pb = super::score::progress_bar(None, "");
    let report = bench::run(&cfg, &refs, &|label| pb.set_message(label.to_string())).map_err(
        |e| match e {
            bench::BenchError::Engine(e) => CliError::failed(e),
            other => CliError::usage(other),
        },
    )?;
    pb.finish_and_clear();
    print!("{report}");
    if let Some(p) = &a.json {
        let v = serde_json::to_value(&report).map_err(CliError::failed)?;
        common::write_json(p, &v)?;
    }
    if let Some(p) = &a.svg {
        gridscore::io::write_atomic(p, bench::svg::chart(&report).as_bytes())
            .map_err(|e| CliError::failed(anyhow::anyhow!("{}: cannot write: {e}", p.display())))?;
    }
    Ok(())
}

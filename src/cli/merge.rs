//! `gridscore merge`: combine the outputs of `--shard I/N` runs into exactly
//! what one run writes (score rows, submissions, search reports).

use super::{CliError, CliResult};
use gridscore::merge::{merge_files, Kind, MergeOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

#[derive(clap::Args)]
pub struct MergeArgs {
    /// The shards' outputs, all of one kind: `score --format jsonl` rows,
    /// `search --out` submissions, or `search --report` lines (an empty file
    /// is a shard with no work).
    #[arg(required = true, value_name = "SHARD_FILE")]
    pub files: Vec<PathBuf>,
    /// Write the merged output here (atomically) instead of stdout.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// The --top the score shards were run with (rankings keep the best N
    /// rows per task).
    #[arg(long)]
    pub top: Option<usize>,
    /// The --predictions the score shards were run with.
    #[arg(long, default_value_t = 10)]
    pub predictions: usize,
}

pub fn run(a: MergeArgs) -> CliResult {
    let opts = MergeOptions {
        top: a.top,
        predictions: a.predictions,
    };
    // Unreadable, mixed or inconsistent shard outputs are bad input.
    let merged = merge_files(&a.files, &opts).map_err(CliError::usage)?;
    match &a.out {
        Some(p) => write_atomic(p, merged.text.as_bytes())?,
        None => {
            let mut out = std::io::stdout().lock();
            if let Err(e) = out
                .write_all(merged.text.as_bytes())
                .and_then(|_| out.flush())
            {
                if e.kind() != std::io::ErrorKind::BrokenPipe {
                    return Err(CliError::failed(e));
                }
            }
        }
    }
    let what = match merged.kind {
        None => "nothing (every shard output is empty)".to_string(),
        Some(Kind::Submission) => "a submission".to_string(),
        Some(k) => format!("{k}, {} lines", merged.text.lines().count()),
    };
    eprintln!("gridscore: merged {} shard outputs: {what}", a.files.len());
    Ok(())
}

/// Writes a file through a temporary file in the same directory and a
/// rename, so that readers never see it half written.
fn write_atomic(path: &Path, bytes: &[u8]) -> CliResult {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "out".into());
    let tmp = path.with_file_name(format!(".{name}.{}.tmp", std::process::id()));
    let written = std::fs::write(&tmp, bytes).and_then(|_| std::fs::rename(&tmp, path));
    if let Err(e) = written {
        let _ = std::fs::remove_file(&tmp);
        return Err(CliError::usage(anyhow::anyhow!(
            "{}: cannot write: {e}",
            path.display()
        )));
    }
    Ok(())
}

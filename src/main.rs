//! The `gridscore` command line. See `gridscore --help`.

mod cli;

fn main() {
    std::process::exit(cli::main());
}

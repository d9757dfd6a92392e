//! The `gridscore` command line. See `gridscore --help`.

mod cli;

fn main() {
    quiet_headless_vulkan();
    std::process::exit(cli::main());
}

/// Mesa's Vulkan drivers print "XDG_RUNTIME_DIR is invalid or not set" on
/// headless machines (CI, servers) when they probe for Wayland. Give them a
/// private runtime directory when none is set, before any thread starts.
fn quiet_headless_vulkan() {
    #[cfg(target_os = "linux")]
    if std::env::var_os("XDG_RUNTIME_DIR").is_none() {
        use std::os::unix::fs::{DirBuilderExt, MetadataExt, PermissionsExt};
        // SAFETY: getuid has no preconditions.
        let uid = unsafe { libc::getuid() };
        let dir = std::env::temp_dir().join(format!("gridscore-runtime-{uid}"));
        let _ = std::fs::DirBuilder::new().mode(0o700).create(&dir);
        let ok = std::fs::metadata(&dir)
            .is_ok_and(|m| m.is_dir() && m.uid() == uid && m.permissions().mode() & 0o077 == 0);
        if ok {
            // Single-threaded here: nothing else reads the environment yet.
            std::env::set_var("XDG_RUNTIME_DIR", &dir);
        }
    }
}

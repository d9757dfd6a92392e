//! Process measurements for honest profiles: CPU time is the sum over all
//! threads and is never reported as wall time.

/// CPU time (user + system) of this process so far, in seconds.
pub fn cpu_time_s() -> f64 {
    #[cfg(unix)]
    {
        // SAFETY: getrusage only writes the struct we pass.
        let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
        if unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut ru) } == 0 {
            let t = |tv: libc::timeval| tv.tv_sec as f64 + tv.tv_usec as f64 * 1e-6;
            return t(ru.ru_utime) + t(ru.ru_stime);
        }
        0.0
    }
    #[cfg(not(unix))]
    {
        0.0
    }
}

/// Peak resident set size of this process, in bytes (0 where unknown).
///
/// On Linux this is `VmHWM` of `/proc/self/status`: the high-water mark of
/// this program's own address space. `getrusage`'s `ru_maxrss` (the
/// fallback) also counts what the process held before its `exec`, which
/// for a child of a large process is the parent's size.
pub fn peak_rss_bytes() -> u64 {
    #[cfg(target_os = "linux")]
    if let Some(kib) = std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        })
    {
        return kib * 1024;
    }
    #[cfg(unix)]
    {
        // SAFETY: as above.
        let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
        if unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut ru) } == 0 {
            // Linux reports kilobytes, macOS bytes.
            let v = ru.ru_maxrss as u64;
            return if cfg!(target_os = "macos") {
                v
            } else {
                v * 1024
            };
        }
        0
    }
    #[cfg(not(unix))]
    {
        0
    }
}

/// Resident set size of this process now, in bytes (0 where unknown).
pub fn current_rss_bytes() -> u64 {
    #[cfg(target_os = "linux")]
    {
        // statm: size resident shared text lib data dt, in pages.
        if let Ok(s) = std::fs::read_to_string("/proc/self/statm") {
            if let Some(pages) = s
                .split_whitespace()
                .nth(1)
                .and_then(|v| v.parse::<u64>().ok())
            {
                // SAFETY: sysconf has no preconditions.
                let page = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
                return pages * page.max(4096) as u64;
            }
        }
        0
    }
    #[cfg(not(target_os = "linux"))]
    {
        peak_rss_bytes()
    }
}

/// A wall-clock and CPU-time stopwatch.
pub struct Stopwatch {
    wall: std::time::Instant,
    cpu: f64,
}

impl Default for Stopwatch {
    fn default() -> Self {
        Stopwatch::start()
    }
}

impl Stopwatch {
    /// Starts now.
    pub fn start() -> Stopwatch {
        Stopwatch {
            wall: std::time::Instant::now(),
            cpu: cpu_time_s(),
        }
    }
    /// Wall seconds since the start.
    pub fn wall_s(&self) -> f64 {
        self.wall.elapsed().as_secs_f64()
    }
    /// Process CPU seconds since the start.
    pub fn cpu_s(&self) -> f64 {
        (cpu_time_s() - self.cpu).max(0.0)
    }
}

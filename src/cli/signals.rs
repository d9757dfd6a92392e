//! SIGINT and SIGTERM: end promptly, leave the outputs whole, say so.
//!
//! The handler only records the signal and writes one byte to a pipe (both
//! async-signal-safe). A watcher thread wakes on that byte and sets the
//! [`Cancel`] flag that the scheduler and the search check between chunks
//! and tasks, so the command normally stops by itself within a chunk and
//! exits with 128 + the signal number. If it has not stopped after
//! [`GRACE`] (a CPU search in the middle of a depth does not look at the
//! flag), the watcher ends the process itself: it waits for any rename in
//! progress, removes the temporary output files, prints what is left on
//! disk and exits. Either way every output is the previous file or a
//! complete new one. A second signal kills at once (the handlers are
//! installed with `SA_RESETHAND`).

use gridscore::engine::Cancel;
use std::sync::atomic::{AtomicI32, Ordering};
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

/// How long the command may take to stop by itself after a signal.
pub const GRACE: Duration = Duration::from_millis(500);

static SIGNAL: AtomicI32 = AtomicI32::new(0);
static PIPE_WRITE: AtomicI32 = AtomicI32::new(-1);
static CANCEL: OnceLock<Cancel> = OnceLock::new();
static NOTE: Mutex<String> = Mutex::new(String::new());

extern "C" fn on_signal(sig: libc::c_int) {
    SIGNAL.store(sig, Ordering::SeqCst);
    let fd = PIPE_WRITE.load(Ordering::SeqCst);
    if fd >= 0 {
        let b = 1u8;
        // SAFETY: write(2) is async-signal-safe; the pipe outlives the
        // process's use of it.
        unsafe {
            libc::write(fd, (&b as *const u8).cast(), 1);
        }
    }
}

/// The flag a signal sets (never set when no handler could be installed).
pub fn cancel() -> Cancel {
    CANCEL.get_or_init(Cancel::new).clone()
}

/// The signal received, if any.
pub fn received() -> Option<i32> {
    match SIGNAL.load(Ordering::SeqCst) {
        0 => None,
        s => Some(s),
    }
}

/// The exit code after signal `sig`: 128 + its number.
pub fn exit_code(sig: i32) -> i32 {
    128 + sig
}

/// The signal's name for messages.
pub fn name(sig: i32) -> &'static str {
    match sig {
        libc::SIGINT => "SIGINT",
        libc::SIGTERM => "SIGTERM",
        _ => "a signal",
    }
}

/// What is on disk if the command is stopped now (printed after a signal).
pub fn set_note(note: impl Into<String>) {
    *NOTE.lock().unwrap_or_else(|e| e.into_inner()) = note.into();
}

/// The current note.
pub fn note() -> String {
    NOTE.lock().unwrap_or_else(|e| e.into_inner()).clone()
}

/// The one-line message after signal `sig`.
pub fn message(sig: i32) -> String {
    let note = note();
    if note.is_empty() {
        format!("interrupted by {}", name(sig))
    } else {
        format!("interrupted by {}; {note}", name(sig))
    }
}

/// Installs the handlers and the watcher (once; later calls do nothing).
pub fn install() {
    #[cfg(unix)]
    {
        static INSTALLED: OnceLock<()> = OnceLock::new();
        INSTALLED.get_or_init(|| {
            let cancel = cancel();
            let mut fds = [0 as libc::c_int; 2];
            // SAFETY: pipe writes two descriptors into the array.
            if unsafe { libc::pipe(fds.as_mut_ptr()) } != 0 {
                return;
            }
            for fd in fds {
                // SAFETY: fcntl on descriptors we own.
                unsafe { libc::fcntl(fd, libc::F_SETFD, libc::FD_CLOEXEC) };
            }
            let read_fd = fds[0];
            let watcher = std::thread::Builder::new()
                .name("gridscore-signals".into())
                .stack_size(64 << 10)
                .spawn(move || watch(read_fd, cancel));
            if watcher.is_err() {
                return;
            }
            PIPE_WRITE.store(fds[1], Ordering::SeqCst);
            for sig in [libc::SIGINT, libc::SIGTERM] {
                // SAFETY: a zeroed sigaction with a plain handler, an empty
                // mask and SA_RESETHAND | SA_RESTART is valid.
                unsafe {
                    let mut sa: libc::sigaction = std::mem::zeroed();
                    sa.sa_sigaction = on_signal as *const () as libc::sighandler_t;
                    sa.sa_flags = libc::SA_RESETHAND | libc::SA_RESTART;
                    libc::sigemptyset(&mut sa.sa_mask);
                    libc::sigaction(sig, &sa, std::ptr::null_mut());
                }
            }
        });
    }
}

#[cfg(unix)]
fn watch(read_fd: libc::c_int, cancel: Cancel) {
    let mut b = 0u8;
    loop {
        // SAFETY: read into a one-byte buffer we own.
        let n = unsafe { libc::read(read_fd, (&mut b as *mut u8).cast(), 1) };
        if n == 1 {
            break;
        }
        if n < 0 && std::io::Error::last_os_error().kind() == std::io::ErrorKind::Interrupted {
            continue;
        }
        return;
    }
    cancel.cancel();
    std::thread::sleep(GRACE);
    // Still running: stop here. No rename can start or be half done once
    // the temporary files are abandoned.
    let sig = received().unwrap_or(libc::SIGTERM);
    let _hold = gridscore::io::abandon_temp_files();
    let msg = gridscore::text::escape(&message(sig)).into_owned();
    eprintln!("\ngridscore: {msg}");
    // SAFETY: _exit ends the process without running destructors or atexit
    // handlers (other threads may be inside a GPU driver).
    unsafe { libc::_exit(exit_code(sig)) };
}

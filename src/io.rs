//! Files in and out, safely: inputs read with a size limit (and refused at
//! the first NUL byte, so `/dev/zero` ends at once), outputs written to a
//! temporary file beside the target and renamed over it, so that a kill at
//! any moment leaves either the previous file or the complete new one.
//!
//! Temporary files are registered while they exist: [`abandon_temp_files`]
//! removes them (a signal handler's last act) and holds back any rename
//! still to come.

use std::fs::File;
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard};

/// Why a size-limited read failed.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error("{0}")]
    Io(#[from] io::Error),
    #[error("{} bytes, above the limit of {limit} bytes ({} MiB)", size.map_or("more than".to_string(), |s| s.to_string()) , limit >> 20)]
    TooLarge { size: Option<u64>, limit: u64 },
    #[error("a NUL byte at offset {offset}: a binary file, not text")]
    Binary { offset: u64 },
}

/// Reads at most `limit` bytes of `path`: a larger regular file is refused
/// before reading it; a stream (a pipe, a device) is read until it passes
/// the limit. With `text`, a NUL byte ends the read with an error (no text
/// format of gridscore contains one).
pub fn read_limited(path: &Path, limit: u64, text: bool) -> Result<Vec<u8>, ReadError> {
    let file = File::open(path)?;
    let meta = file.metadata()?;
    if meta.is_dir() {
        return Err(io::Error::new(io::ErrorKind::IsADirectory, "is a directory").into());
    }
    if meta.is_file() && meta.len() > limit {
        return Err(ReadError::TooLarge {
            size: Some(meta.len()),
            limit,
        });
    }
    let mut out = Vec::with_capacity(if meta.is_file() {
        meta.len() as usize
    } else {
        8192
    });
    let mut reader = file.take(limit.saturating_add(1));
    let mut buf = vec![0u8; 64 << 10];
    loop {
        let n = match reader.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e.into()),
        };
        if text {
            if let Some(k) = buf[..n].iter().position(|&b| b == 0) {
                return Err(ReadError::Binary {
                    offset: (out.len() + k) as u64,
                });
            }
        }
        out.extend_from_slice(&buf[..n]);
        if out.len() as u64 > limit {
            return Err(ReadError::TooLarge { size: None, limit });
        }
    }
    Ok(out)
}

static TEMP_FILES: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());
static TEMP_COUNTER: AtomicU64 = AtomicU64::new(0);

fn temp_files() -> MutexGuard<'static, Vec<PathBuf>> {
    TEMP_FILES.lock().unwrap_or_else(|e| e.into_inner())
}

/// Removes every temporary output file not yet renamed, and returns a guard
/// that keeps any later [`AtomicFile::commit`] waiting: hold it until the
/// process exits (after a signal), so the targets stay as they were.
pub fn abandon_temp_files() -> MutexGuard<'static, Vec<PathBuf>> {
    let mut files = temp_files();
    for p in files.drain(..) {
        let _ = std::fs::remove_file(p);
    }
    files
}

/// Where an output really goes: through a symbolic link to its target, so
/// that the rename replaces the file and not the link.
fn resolve(target: &Path) -> PathBuf {
    match std::fs::symlink_metadata(target) {
        Ok(m) if m.file_type().is_symlink() => {
            std::fs::canonicalize(target).unwrap_or_else(|_| target.to_path_buf())
        }
        _ => target.to_path_buf(),
    }
}

fn temp_path(target: &Path) -> PathBuf {
    let name = target
        .file_name()
        .map_or_else(|| "out".into(), |n| n.to_string_lossy().into_owned());
    let n = TEMP_COUNTER.fetch_add(1, Ordering::Relaxed);
    let tmp = format!(".{name}.{}-{n}.gridscore-tmp", std::process::id());
    match target.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir.join(tmp),
        _ => PathBuf::from(tmp),
    }
}

/// An output file written beside its target and renamed over it by
/// [`commit`](AtomicFile::commit). Dropped without a commit, it leaves the
/// target untouched and removes the temporary file.
pub struct AtomicFile {
    target: PathBuf,
    tmp: PathBuf,
    file: Option<io::BufWriter<WritebackFile>>,
}

/// A file whose written bytes are handed to the kernel's writeback every
/// [`WRITEBACK_CHUNK`] bytes (Linux: `sync_file_range` with
/// `SYNC_FILE_RANGE_WRITE`, which starts the writes and does not wait), so
/// that the `fsync` of [`AtomicFile::commit`] finds most of a large output
/// already on its way to the disk instead of starting it all at the end.
struct WritebackFile {
    file: File,
    /// Bytes written so far, and up to where writeback was started.
    written: u64,
    started: u64,
}

/// Bytes written between two starts of writeback.
const WRITEBACK_CHUNK: u64 = 32 << 20;

impl WritebackFile {
    fn start_writeback(&mut self) {
        #[cfg(target_os = "linux")]
        {
            use std::os::fd::AsRawFd;
            // SAFETY: a plain system call on a file descriptor this value
            // owns; it reads no memory of ours. Failure only means the
            // writeback starts at the fsync, as without this call.
            unsafe {
                libc::sync_file_range(
                    self.file.as_raw_fd(),
                    self.started as libc::off64_t,
                    (self.written - self.started) as libc::off64_t,
                    libc::SYNC_FILE_RANGE_WRITE,
                );
            }
        }
        self.started = self.written;
    }
}

impl Write for WritebackFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.file.write(buf)?;
        self.written += n as u64;
        if self.written - self.started >= WRITEBACK_CHUNK {
            self.start_writeback();
        }
        Ok(n)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.file.flush()
    }
}

impl AtomicFile {
    /// Starts writing `target` (nothing is changed there until the commit).
    pub fn create(target: &Path) -> io::Result<AtomicFile> {
        let target = resolve(target);
        if target.is_dir() {
            return Err(io::Error::new(
                io::ErrorKind::IsADirectory,
                "is a directory",
            ));
        }
        let tmp = temp_path(&target);
        let mut files = temp_files();
        let file = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&tmp)?;
        files.push(tmp.clone());
        drop(files);
        // A replaced file keeps its permissions.
        if let Ok(m) = std::fs::metadata(&target) {
            let _ = file.set_permissions(m.permissions());
        }
        Ok(AtomicFile {
            target,
            tmp,
            file: Some(io::BufWriter::new(WritebackFile {
                file,
                written: 0,
                started: 0,
            })),
        })
    }

    /// The file being replaced.
    pub fn target(&self) -> &Path {
        &self.target
    }

    /// Flushes, syncs and renames the temporary file over the target.
    pub fn commit(mut self) -> io::Result<()> {
        let file = self.file.take().expect("not committed yet");
        let file = file.into_inner().map_err(|e| e.into_error())?.file;
        file.sync_all()?;
        drop(file);
        let mut files = temp_files();
        let Some(k) = files.iter().position(|p| *p == self.tmp) else {
            // Abandoned after a signal: the target stays as it was.
            return Err(io::Error::new(
                io::ErrorKind::Interrupted,
                "interrupted before the output was renamed",
            ));
        };
        std::fs::rename(&self.tmp, &self.target)?;
        files.swap_remove(k);
        drop(files);
        // Make the rename itself durable (best effort: not every
        // filesystem lets a directory be synced).
        if let Some(dir) = self.target.parent() {
            let dir = if dir.as_os_str().is_empty() {
                Path::new(".")
            } else {
                dir
            };
            if let Ok(d) = File::open(dir) {
                let _ = d.sync_all();
            }
        }
        Ok(())
    }
}

impl Write for AtomicFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.file.as_mut().expect("open").write(buf)
    }
    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        self.file.as_mut().expect("open").write_all(buf)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.file.as_mut().expect("open").flush()
    }
}

impl Drop for AtomicFile {
    fn drop(&mut self) {
        if self.file.take().is_some() {
            let mut files = temp_files();
            if let Some(k) = files.iter().position(|p| *p == self.tmp) {
                files.swap_remove(k);
                let _ = std::fs::remove_file(&self.tmp);
            }
        }
    }
}

/// Writes `bytes` to `target` atomically.
pub fn write_atomic(target: &Path, bytes: &[u8]) -> io::Result<()> {
    let mut f = AtomicFile::create(target)?;
    f.write_all(bytes)?;
    f.commit()
}

/// Checks that `target` can be written (its directory exists and takes a
/// new file; it is not a directory) without changing it: a bad output path
/// is found before any work starts.
pub fn check_writable(target: &Path) -> io::Result<()> {
    let f = AtomicFile::create(target)?;
    drop(f);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn atomic_file_replaces_or_leaves_the_target() {
        let dir = tempfile::tempdir().unwrap();
        let t = dir.path().join("out.json");
        std::fs::write(&t, "old").unwrap();
        {
            let mut f = AtomicFile::create(&t).unwrap();
            f.write_all(b"half").unwrap();
            // Dropped without commit: the old file stays, no temp left.
        }
        assert_eq!(std::fs::read_to_string(&t).unwrap(), "old");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
        write_atomic(&t, b"new").unwrap();
        assert_eq!(std::fs::read_to_string(&t).unwrap(), "new");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
        assert!(check_writable(&dir.path().join("no/such/dir/x")).is_err());
        assert!(check_writable(dir.path()).is_err());
        assert!(check_writable(&t).is_ok());
        assert_eq!(std::fs::read_to_string(&t).unwrap(), "new");
    }

    #[test]
    fn large_outputs_start_their_writeback_and_stay_whole() {
        // Past two writeback chunks, in writes of odd sizes.
        let dir = tempfile::tempdir().unwrap();
        let t = dir.path().join("big.bin");
        let piece: Vec<u8> = (0..999_983u32).map(|k| (k % 251) as u8).collect();
        let n = (2 * WRITEBACK_CHUNK as usize) / piece.len() + 3;
        let mut f = AtomicFile::create(&t).unwrap();
        for _ in 0..n {
            f.write_all(&piece).unwrap();
        }
        assert!(f.file.as_ref().unwrap().get_ref().started >= 2 * WRITEBACK_CHUNK);
        f.commit().unwrap();
        let back = std::fs::read(&t).unwrap();
        assert_eq!(back.len(), n * piece.len());
        assert!(back.chunks(piece.len()).all(|c| c == piece.as_slice()));
    }

    #[cfg(unix)]
    #[test]
    fn symlinked_target_is_written_through() {
        let dir = tempfile::tempdir().unwrap();
        let real = dir.path().join("real.json");
        let link = dir.path().join("link.json");
        std::fs::write(&real, "old").unwrap();
        std::os::unix::fs::symlink(&real, &link).unwrap();
        write_atomic(&link, b"new").unwrap();
        assert_eq!(std::fs::read_to_string(&real).unwrap(), "new");
        assert!(std::fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink());
    }

    #[test]
    fn limited_reads() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("f");
        std::fs::write(&p, vec![b'a'; 100]).unwrap();
        assert_eq!(read_limited(&p, 100, true).unwrap().len(), 100);
        assert!(matches!(
            read_limited(&p, 99, true),
            Err(ReadError::TooLarge {
                size: Some(100),
                ..
            })
        ));
        std::fs::write(&p, b"ab\0c").unwrap();
        assert!(matches!(
            read_limited(&p, 100, true),
            Err(ReadError::Binary { offset: 2 })
        ));
        assert_eq!(read_limited(&p, 100, false).unwrap().len(), 4);
        #[cfg(target_os = "linux")]
        {
            let t0 = std::time::Instant::now();
            assert!(matches!(
                read_limited(Path::new("/dev/zero"), 1 << 30, true),
                Err(ReadError::Binary { offset: 0 })
            ));
            assert!(matches!(
                read_limited(Path::new("/dev/zero"), 1 << 20, false),
                Err(ReadError::TooLarge { size: None, .. })
            ));
            assert!(t0.elapsed().as_secs_f64() < 5.0);
        }
    }
}

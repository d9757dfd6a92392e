//! Candidates files: one program per line, `NAME: program` or a JSON line
//! `{"id": "...", "program": "..."}`; blank lines and `#` comments skipped
//! (`DSL.md`, "Programs").
//!
//! Lines end with LF, CRLF or CR; a leading UTF-8 BOM is skipped; invalid
//! UTF-8 is kept visible as `\xHH`; a bad line (too long, bad JSON, a
//! duplicate JSON key, an id over [`MAX_ID_BYTES`]) is one bad candidate;
//! duplicate ids are warnings ([`CandidateWarning`]). Reading is linear in
//! the file and holds one line (at most [`MAX_LINE_BYTES`]) at a time.

use super::program::{ParseError, Program};
use crate::maps::PassHasher;
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hash, Hasher};
use std::io::BufRead;
use std::path::Path;

/// One candidate as read from a file.
#[derive(Clone, Debug)]
pub struct Candidate {
    /// Its id: `NAME`, the JSON `id`, or its 0-based index among candidates.
    pub id: String,
    /// 0-based index among the candidates of the file (not counting blank
    /// and comment lines).
    pub index: usize,
    /// 1-based line number in the file.
    pub line: usize,
    /// The program text as given (after the `NAME:`, or the JSON `program`).
    pub text: String,
    /// The parsed program, or why it does not parse.
    pub program: Result<Program, CandidateError>,
}

/// Why a candidate line does not give a program.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum CandidateError {
    #[error("line {line}: {source}")]
    Parse {
        line: usize,
        #[source]
        source: ParseError,
    },
    #[error("line {line}: {message}")]
    Line { line: usize, message: String },
}

impl CandidateError {
    /// The 1-based line number.
    pub fn line(&self) -> usize {
        match self {
            CandidateError::Parse { line, .. } | CandidateError::Line { line, .. } => *line,
        }
    }
}

/// Longest line kept as a candidate (bytes); a longer line is one bad
/// candidate, quoted by a short prefix.
pub const MAX_LINE_BYTES: usize = 64 << 10;
/// Longest line read at all: past this a file is not a candidates file.
pub const MAX_SKIP_BYTES: u64 = 64 << 20;
/// Longest candidate id (bytes).
pub const MAX_ID_BYTES: usize = 1024;
/// Duplicate-id warnings kept in full (the rest are counted).
const MAX_WARNINGS: usize = 100;

/// Something worth saying about a candidates file that is not an error.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum CandidateWarning {
    #[error(
        "line {line}: the id `{}` is also the id of line {first_line}",
        crate::text::quote(id)
    )]
    DuplicateId {
        id: String,
        line: usize,
        first_line: usize,
    },
    #[error("{0} more duplicate ids")]
    MoreDuplicateIds(usize),
}

/// Reads a candidates file (errors only for an unreadable file: bad lines are
/// reported per candidate).
pub fn read_candidates(path: &Path) -> std::io::Result<Vec<Candidate>> {
    Ok(read_candidates_warned(path)?.0)
}

/// Reads a candidates file, with the warnings about it (duplicate ids).
pub fn read_candidates_warned(
    path: &Path,
) -> std::io::Result<(Vec<Candidate>, Vec<CandidateWarning>)> {
    let file = std::fs::File::open(path)?;
    if file.metadata()?.is_dir() {
        return Err(std::io::Error::new(
            std::io::ErrorKind::IsADirectory,
            "is a directory",
        ));
    }
    let mut reader = CandidateReader::new(std::io::BufReader::new(file));
    let mut out = Vec::new();
    while let Some(c) = reader.next_candidate()? {
        out.push(c);
    }
    let w = reader.warnings();
    Ok((out, w))
}

/// Parses candidates from text.
pub fn parse_candidates(text: &str) -> Vec<Candidate> {
    parse_candidates_bytes(text.as_bytes())
}

/// Parses candidates from bytes (any bytes: a NUL byte ends the list, as
/// it ends a file with an error).
pub fn parse_candidates_bytes(bytes: &[u8]) -> Vec<Candidate> {
    let mut reader = CandidateReader::new(bytes);
    let mut out = Vec::new();
    while let Ok(Some(c)) = reader.next_candidate() {
        out.push(c);
    }
    out
}

/// Reads candidates one at a time (for streaming huge files).
///
/// Lines end with LF, CRLF or CR; a UTF-8 byte order mark at the start is
/// skipped; invalid UTF-8 is spelled `\xHH`; a line longer than
/// [`MAX_LINE_BYTES`] is one bad candidate; a NUL byte or a line longer than
/// [`MAX_SKIP_BYTES`] makes the file unreadable (`InvalidData`).
pub struct CandidateReader<R> {
    lines: LineSplitter<R>,
    index: usize,
    ids: IdChecker,
}

/// Splits a byte stream into lines (LF, CRLF or CR), keeping at most
/// [`MAX_LINE_BYTES`] of each (and its full length).
pub(crate) struct LineSplitter<R> {
    reader: R,
    /// Lines read so far (the 1-based number of the last one).
    pub(crate) line: usize,
    /// The last line's first [`MAX_LINE_BYTES`] bytes, without its end.
    pub(crate) buf: Vec<u8>,
    /// The previous line ended with CR: a LF right after it belongs to it.
    after_cr: bool,
}

/// Checks candidate ids for duplicates, in file order.
pub(crate) struct IdChecker {
    /// Line of each candidate, by index.
    lines: Vec<usize>,
    /// Which indices have an id other than their own index.
    named: Vec<u64>,
    /// First line of each such id, by a 64-bit hash of the id.
    ids: HashMap<u64, usize, BuildHasherDefault<PassHasher>>,
    /// First line of each such id that spells a later candidate's index
    /// (decimal, no leading zero), by that index.
    numeric: HashMap<usize, usize>,
    warnings: Vec<CandidateWarning>,
    more_warnings: usize,
}

/// The 64-bit hash of a candidate id, as the duplicate-id check keys it.
pub(crate) fn id_hash(id: &str) -> u64 {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    id.hash(&mut h);
    h.finish()
}

/// The index an id spells (the id an unnamed candidate gets): decimal
/// digits without a leading zero.
fn spelled_index(id: &str) -> Option<usize> {
    let b = id.as_bytes();
    if b.is_empty() || b.len() > 19 || (b[0] == b'0' && b.len() > 1) {
        return None;
    }
    b.iter().try_fold(0usize, |n, &c| {
        c.is_ascii_digit().then(|| n * 10 + usize::from(c - b'0'))
    })
}

impl IdChecker {
    pub(crate) fn new() -> IdChecker {
        IdChecker {
            lines: Vec::new(),
            named: Vec::new(),
            ids: HashMap::default(),
            numeric: HashMap::new(),
            warnings: Vec::new(),
            more_warnings: 0,
        }
    }

    fn warn(&mut self, id: &str, line: usize, first_line: usize) {
        if self.warnings.len() < MAX_WARNINGS {
            self.warnings.push(CandidateWarning::DuplicateId {
                id: id.to_string(),
                line,
                first_line,
            });
        } else {
            self.more_warnings += 1;
        }
    }

    /// Notes the id of candidate `index` (candidates come in file order,
    /// indices from 0). Ids that are their candidate's own index (all the
    /// ids of an unnamed file) are unique among themselves, so only the
    /// other ids are hashed: a duplicate is an id seen before, or an id
    /// that spells the index of another candidate whose id is its index.
    pub(crate) fn note(&mut self, id: &str, index: usize, line: usize) {
        debug_assert_eq!(index, self.lines.len());
        if index >= self.lines.len() {
            self.lines.resize(index + 1, 0);
        }
        self.lines[index] = line;
        let word = index / 64;
        if word >= self.named.len() {
            self.named.resize(word + 1, 0);
        }
        let spelled = spelled_index(id);
        if spelled == Some(index) {
            if let Some(&first) = self.numeric.get(&index) {
                self.warn(id, line, first);
            }
            return;
        }
        self.named[word] |= 1 << (index % 64);
        // The earlier candidate whose own index this id spells.
        let unnamed = spelled
            .filter(|&n| n < index && self.named[n / 64] & (1 << (n % 64)) == 0)
            .map(|n| self.lines[n]);
        let named = match self.ids.entry(id_hash(id)) {
            std::collections::hash_map::Entry::Vacant(e) => {
                e.insert(line);
                if let Some(n) = spelled.filter(|&n| n > index) {
                    self.numeric.entry(n).or_insert(line);
                }
                None
            }
            std::collections::hash_map::Entry::Occupied(e) => Some(*e.get()),
        };
        let first = match (unnamed, named) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        if let Some(first) = first {
            self.warn(id, line, first);
        }
    }

    pub(crate) fn warnings(&self) -> Vec<CandidateWarning> {
        let mut w = self.warnings.clone();
        if self.more_warnings > 0 {
            w.push(CandidateWarning::MoreDuplicateIds(self.more_warnings));
        }
        w
    }
}

impl<R: BufRead> LineSplitter<R> {
    pub(crate) fn new(reader: R) -> Self {
        LineSplitter {
            reader,
            line: 0,
            buf: Vec::new(),
            after_cr: false,
        }
    }

    /// Reads one line into `buf` (without its end) and counts it; its full
    /// length, or `None` at the end.
    pub(crate) fn read_line(&mut self) -> std::io::Result<Option<u64>> {
        use std::io::{Error, ErrorKind};
        self.buf.clear();
        let mut len = 0u64;
        let mut any = false;
        loop {
            let avail = match self.reader.fill_buf() {
                Ok(b) => b,
                Err(e) if e.kind() == ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            if avail.is_empty() {
                if any {
                    self.line += 1;
                    return Ok(Some(len));
                }
                return Ok(None);
            }
            if self.after_cr {
                self.after_cr = false;
                if avail[0] == b'\n' {
                    self.reader.consume(1);
                    continue;
                }
            }
            any = true;
            let end = avail
                .iter()
                .position(|&b| b == b'\n' || b == b'\r' || b == 0);
            let take = end.unwrap_or(avail.len());
            let room = MAX_LINE_BYTES.saturating_sub(self.buf.len());
            self.buf.extend_from_slice(&avail[..take.min(room)]);
            len += take as u64;
            let stop = end.map(|k| avail[k]);
            self.reader.consume(take + usize::from(stop.is_some()));
            if len > MAX_SKIP_BYTES {
                return Err(Error::new(
                    ErrorKind::InvalidData,
                    format!(
                        "line {} is longer than {} MiB: not a candidates file",
                        self.line + 1,
                        MAX_SKIP_BYTES >> 20
                    ),
                ));
            }
            match stop {
                Some(0) => {
                    return Err(Error::new(
                        ErrorKind::InvalidData,
                        format!(
                            "a NUL byte on line {}: a binary file, not a candidates file",
                            self.line + 1
                        ),
                    ))
                }
                Some(b) => {
                    self.after_cr = b == b'\r';
                    self.line += 1;
                    return Ok(Some(len));
                }
                None => {}
            }
        }
    }
}

/// The candidate on one line (`bytes`: its first [`MAX_LINE_BYTES`] bytes,
/// `len`: its full length), not numbered yet (see
/// [`parse_line_unnumbered`]), or `None` for a blank or comment line.
pub(crate) fn line_candidate(bytes: &[u8], line: usize, len: u64) -> Option<(Candidate, bool)> {
    let bytes = if line == 1 {
        crate::text::strip_bom(bytes)
    } else {
        bytes
    };
    // A line that is not UTF-8 is one bad candidate, not a bad file: its
    // invalid bytes are spelled out.
    let text = crate::text::from_utf8_escaped(bytes);
    let text = text.trim();
    if text.is_empty() || text.starts_with('#') {
        return None;
    }
    Some(if len > MAX_LINE_BYTES as u64 {
        let (mut c, named) = parse_line_unnumbered("", line);
        c.text = crate::text::prefix(text, 64);
        c.program = Err(CandidateError::Line {
            line,
            message: format!(
                "the line has {len} bytes (at most {MAX_LINE_BYTES}): `{}`",
                crate::text::quote(text)
            ),
        });
        (c, named)
    } else {
        parse_line_unnumbered(text, line)
    })
}

impl<R: BufRead> CandidateReader<R> {
    /// A reader over lines.
    pub fn new(reader: R) -> Self {
        CandidateReader {
            lines: LineSplitter::new(reader),
            index: 0,
            ids: IdChecker::new(),
        }
    }

    /// The warnings so far (duplicate ids), and a count of those not kept.
    pub fn warnings(&self) -> Vec<CandidateWarning> {
        self.ids.warnings()
    }

    /// The next candidate, or `None` at the end.
    pub fn next_candidate(&mut self) -> std::io::Result<Option<Candidate>> {
        loop {
            let Some(len) = self.lines.read_line()? else {
                return Ok(None);
            };
            let line = self.lines.line;
            let Some((mut c, named)) = line_candidate(&self.lines.buf, line, len) else {
                continue;
            };
            number(&mut c, named, self.index);
            self.index += 1;
            self.ids.note(&c.id, c.index, c.line);
            return Ok(Some(c));
        }
    }
}

impl<R: BufRead> Iterator for CandidateReader<R> {
    type Item = std::io::Result<Candidate>;
    fn next(&mut self) -> Option<Self::Item> {
        self.next_candidate().transpose()
    }
}

/// The 64-bit fingerprint of a program (equal programs have equal
/// fingerprints): what the streaming scorer remembers of each distinct
/// program, and the hash the whole-file scorer deduplicates by.
pub fn fingerprint(p: &Program) -> u64 {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    p.hash(&mut h);
    h.finish()
}

/// Consecutive candidates of a file, with their programs' fingerprints.
#[derive(Clone, Debug, Default)]
pub struct CandidateBlock {
    pub candidates: Vec<Candidate>,
    /// [`fingerprint`] of each candidate's program (0 where it did not
    /// parse).
    pub fingerprints: Vec<u64>,
}

impl CandidateBlock {
    /// Keeps only the candidates (and their fingerprints) `keep` accepts.
    pub fn retain(&mut self, mut keep: impl FnMut(&Candidate) -> bool) {
        let fps = std::mem::take(&mut self.fingerprints);
        let cs = std::mem::take(&mut self.candidates);
        for (c, fp) in cs.into_iter().zip(fps) {
            if keep(&c) {
                self.candidates.push(c);
                self.fingerprints.push(fp);
            }
        }
    }
}

/// How [`read_blocks`] reads.
#[derive(Clone, Debug)]
pub struct BlockOptions {
    /// Lines per block (blank and comment lines included), at least 1.
    pub lines: usize,
    /// Bytes of line text per block: a block ends early past this, so that
    /// a block of long lines stays small.
    pub bytes: usize,
    /// The threads that parse; `None`: a pool of `threads` threads.
    pub pool: Option<std::sync::Arc<rayon::ThreadPool>>,
    /// Threads that parse when no pool is given (0 = physical cores).
    pub threads: usize,
    /// Blocks parsed ahead of the consumer.
    pub ahead: usize,
}

impl Default for BlockOptions {
    fn default() -> Self {
        BlockOptions {
            lines: 1 << 16,
            bytes: 8 << 20,
            pool: None,
            threads: 0,
            ahead: 4,
        }
    }
}

/// Candidates read in blocks by a background thread, each block's lines
/// parsed in parallel (see [`read_blocks`]). Iterating gives the blocks in
/// file order; an error (unreadable file, NUL byte, endless line) comes
/// after the candidates before it and ends the stream.
pub struct BlockReader {
    rx: std::sync::mpsc::Receiver<std::io::Result<CandidateBlock>>,
    thread: Option<std::thread::JoinHandle<IdChecker>>,
    warnings: Vec<CandidateWarning>,
}

/// Lines split from the file, not yet parsed, and how the split ended (a
/// read error, or the end of the file).
struct RawBlock {
    bytes: Vec<u8>,
    raw: Vec<RawLine>,
    error: Option<std::io::Error>,
    end: bool,
}

/// One line of a raw block: its number, its bytes in the block's buffer and
/// its full length.
struct RawLine {
    line: usize,
    start: usize,
    end: usize,
    len: u64,
}

/// Reads candidates from `reader` on a background thread, in blocks of
/// `opts.lines` lines: the thread splits the lines (exactly as
/// [`CandidateReader`] does: same line ends, byte order mark, limits and
/// errors), parses each block's lines on a pool of `opts.threads` threads,
/// numbers the candidates and checks their ids for duplicates in file
/// order. At most `opts.ahead` blocks wait for the consumer, so memory stays
/// bounded however long the file is. The candidates are exactly those of
/// [`CandidateReader`], and so are the warnings (once the stream ends).
pub fn read_blocks<R: std::io::Read + Send + 'static>(
    reader: R,
    opts: &BlockOptions,
) -> std::io::Result<BlockReader> {
    let pool = match &opts.pool {
        Some(p) => p.clone(),
        None => host_pool(opts.threads)?,
    };
    let (tx, rx) = std::sync::mpsc::sync_channel(opts.ahead.max(1));
    let (max_lines, max_bytes) = (opts.lines.max(1), opts.bytes.max(1));
    // One thread splits the lines of the next block while another has the
    // last one parsed on the pool, numbers its candidates and checks their
    // ids: the two sequential steps overlap.
    let (raw_tx, raw_rx) = std::sync::mpsc::sync_channel::<RawBlock>(1);
    std::thread::Builder::new()
        .name("gridscore-split".into())
        .spawn(move || {
            let mut lines = LineSplitter::new(std::io::BufReader::with_capacity(1 << 20, reader));
            loop {
                let mut block = RawBlock {
                    bytes: Vec::new(),
                    raw: Vec::new(),
                    error: None,
                    end: false,
                };
                while block.raw.len() < max_lines && block.bytes.len() < max_bytes {
                    match lines.read_line() {
                        Ok(Some(len)) => {
                            let start = block.bytes.len();
                            block.bytes.extend_from_slice(&lines.buf);
                            block.raw.push(RawLine {
                                line: lines.line,
                                start,
                                end: block.bytes.len(),
                                len,
                            });
                        }
                        Ok(None) => {
                            block.end = true;
                            break;
                        }
                        Err(e) => {
                            block.error = Some(e);
                            break;
                        }
                    }
                }
                let last = block.end || block.error.is_some();
                if raw_tx.send(block).is_err() || last {
                    break;
                }
            }
        })?;
    let thread = std::thread::Builder::new()
        .name("gridscore-read".into())
        .spawn(move || {
            let mut ids = IdChecker::new();
            let mut index = 0usize;
            for RawBlock {
                bytes,
                raw,
                error,
                end,
            } in raw_rx
            {
                let block = pool.install(|| parse_block(&bytes, &raw, &mut index));
                drop((bytes, raw));
                for c in &block.candidates {
                    ids.note(&c.id, c.index, c.line);
                }
                if !block.candidates.is_empty() && tx.send(Ok(block)).is_err() {
                    break;
                }
                if let Some(e) = error {
                    let _ = tx.send(Err(e));
                    break;
                }
                if end {
                    break;
                }
            }
            ids
        })?;
    Ok(BlockReader {
        rx,
        thread: Some(thread),
        warnings: Vec::new(),
    })
}

/// A pool of `threads` threads (0 = physical cores) for host-side work
/// (parsing candidates, formatting rows), named `gridscore-host-N`.
pub fn host_pool(threads: usize) -> std::io::Result<std::sync::Arc<rayon::ThreadPool>> {
    let threads = if threads == 0 {
        crate::engine::cpu::physical_cores()
    } else {
        threads
    };
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .thread_name(|i| format!("gridscore-host-{i}"))
        .build()
        .map(std::sync::Arc::new)
        .map_err(|e| std::io::Error::other(format!("cannot start {threads} host threads: {e}")))
}

/// Parses a raw block in parallel and numbers its candidates from `*index`.
fn parse_block(bytes: &[u8], raw: &[RawLine], index: &mut usize) -> CandidateBlock {
    use rayon::prelude::*;
    const PART: usize = 512;
    let parts: Vec<Vec<(Candidate, bool)>> = raw
        .par_chunks(PART)
        .map(|ls| {
            ls.iter()
                .filter_map(|l| line_candidate(&bytes[l.start..l.end], l.line, l.len))
                .collect()
        })
        .collect();
    let mut firsts = Vec::with_capacity(parts.len());
    for p in &parts {
        firsts.push(*index);
        *index += p.len();
    }
    let numbered: Vec<Vec<(Candidate, u64)>> = parts
        .into_par_iter()
        .zip(firsts)
        .map(|(p, first)| {
            p.into_iter()
                .enumerate()
                .map(|(k, (mut c, named))| {
                    number(&mut c, named, first + k);
                    let fp = c.program.as_ref().map_or(0, fingerprint);
                    (c, fp)
                })
                .collect()
        })
        .collect();
    let n = numbered.iter().map(Vec::len).sum();
    let mut block = CandidateBlock {
        candidates: Vec::with_capacity(n),
        fingerprints: Vec::with_capacity(n),
    };
    for p in numbered {
        for (c, fp) in p {
            block.candidates.push(c);
            block.fingerprints.push(fp);
        }
    }
    block
}

impl BlockReader {
    /// The warnings about the file (duplicate ids): complete once the
    /// iteration has ended.
    pub fn warnings(&mut self) -> Vec<CandidateWarning> {
        self.finish();
        self.warnings.clone()
    }

    /// Collects the reader thread's warnings once it is done.
    fn finish(&mut self) {
        let done = self.thread.as_ref().is_some_and(|t| t.is_finished());
        if done {
            if let Some(Ok(ids)) = self.thread.take().map(|t| t.join()) {
                self.warnings = ids.warnings();
            }
        }
    }
}

impl Iterator for BlockReader {
    type Item = std::io::Result<CandidateBlock>;
    fn next(&mut self) -> Option<Self::Item> {
        match self.rx.recv() {
            Ok(b) => Some(b),
            Err(_) => {
                // The thread has sent everything and ended.
                if let Some(t) = self.thread.take() {
                    match t.join() {
                        Ok(ids) => self.warnings = ids.warnings(),
                        Err(_) => {
                            return Some(Err(std::io::Error::other(
                                "the candidates reader thread panicked",
                            )))
                        }
                    }
                }
                None
            }
        }
    }
}

/// The `id` and `program` of a JSON line (other keys are ignored).
struct JsonLine {
    id: Option<String>,
    program: Option<Result<String, String>>,
}

fn parse_json_line(text: &str) -> Result<JsonLine, String> {
    use serde::de::{self, IgnoredAny, MapAccess, Visitor};
    use serde_json::Value;
    struct V;
    impl<'de> Visitor<'de> for V {
        type Value = Option<Result<JsonLine, String>>;
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("a JSON object")
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
            let mut out = JsonLine {
                id: None,
                program: None,
            };
            let (mut seen_id, mut seen_program) = (false, false);
            let mut problem = None;
            while let Some(k) = map.next_key::<std::borrow::Cow<'de, str>>()? {
                let seen = match k.as_ref() {
                    "id" => &mut seen_id,
                    "program" => &mut seen_program,
                    _ => {
                        map.next_value::<IgnoredAny>()?;
                        continue;
                    }
                };
                if *seen && problem.is_none() {
                    problem = Some(format!("duplicate key `{k}` (which one is meant?)"));
                }
                *seen = true;
                // Bounded: a line has at most MAX_LINE_BYTES.
                let v: Value = map.next_value()?;
                if k == "id" {
                    out.id = match v {
                        Value::Null => None,
                        Value::String(s) => Some(s),
                        other => Some(other.to_string()),
                    };
                } else {
                    out.program = Some(match v {
                        Value::String(s) => Ok(s),
                        _ => Err("`program` must be a string".to_string()),
                    });
                }
            }
            Ok(Some(match problem {
                Some(p) => Err(p),
                None => Ok(out),
            }))
        }
        fn visit_seq<A: de::SeqAccess<'de>>(self, mut a: A) -> Result<Self::Value, A::Error> {
            while a.next_element::<IgnoredAny>()?.is_some() {}
            Ok(None)
        }
    }
    let mut de = serde_json::Deserializer::from_str(text);
    let r = de::Deserializer::deserialize_any(&mut de, V).and_then(|v| de.end().map(|_| v));
    match r {
        Ok(Some(r)) => r,
        Ok(None) => Err("a JSON line must be an object".into()),
        Err(e) => Err(format!("not valid JSON: {e}")),
    }
}

/// Gives a candidate parsed by [`parse_line_unnumbered`] its index (and its
/// id, when it has no name).
fn number(c: &mut Candidate, named: bool, index: usize) {
    c.index = index;
    if !named {
        c.id = index.to_string();
    }
}

/// Parses one candidate line, leaving the index 0 and, when the line names
/// no id, the id empty; the flag says whether it names one.
fn parse_line_unnumbered(text: &str, line: usize) -> (Candidate, bool) {
    let mut c = Candidate {
        id: String::new(),
        index: 0,
        line,
        text: String::new(),
        program: Ok(Program::empty()),
    };
    let mut named = false;
    let bad = |message: String| CandidateError::Line { line, message };
    if text.starts_with('{') {
        let j = match parse_json_line(text) {
            Ok(j) => j,
            Err(m) => {
                c.text = text.to_string();
                c.program = Err(bad(m));
                return (c, false);
            }
        };
        if let Some(id) = j.id {
            c.id = id;
            named = true;
        }
        match j.program {
            Some(Ok(p)) => {
                c.program =
                    Program::parse(&p).map_err(|source| CandidateError::Parse { line, source });
                c.text = p;
            }
            Some(Err(m)) => {
                c.text = text.to_string();
                c.program = Err(bad(m));
            }
            None => {
                c.text = text.to_string();
                c.program = Err(bad("the JSON line has no `program`".into()));
            }
        }
    } else {
        let body = match text.split_once(':') {
            Some((name, rest)) => {
                let name = name.trim();
                if name.is_empty() {
                    c.program = Err(bad("empty candidate name before `:`".into()));
                    c.text = rest.trim().to_string();
                    return (c, false);
                }
                c.id = name.to_string();
                named = true;
                rest.trim()
            }
            None => text,
        };
        c.text = body.to_string();
        c.program = Program::parse(body).map_err(|source| CandidateError::Parse { line, source });
    }
    if c.id.len() > MAX_ID_BYTES {
        c.program = Err(bad(format!(
            "the id has {} bytes (at most {MAX_ID_BYTES}): `{}`",
            c.id.len(),
            crate::text::quote(&c.id)
        )));
        c.id = crate::text::prefix(&c.id, 64);
    }
    (c, named)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_forms_mixed() {
        let text = "# header\n\nrot90\nmine: flip_h | recolor 1 2\n  # indented comment\n{\"id\": 7, \"program\": \"trim\"}\n{\"program\": \"upscale 2\"}\nbogus 1\n: rot90\n{\"id\":\"x\"}\n{\"program\": 3}\n{not json\n[1]\n";
        let cs = parse_candidates(text);
        let ids: Vec<_> = cs.iter().map(|c| c.id.as_str()).collect();
        assert_eq!(ids, ["0", "mine", "7", "3", "4", "5", "x", "7", "8", "9"]);
        let lines: Vec<_> = cs.iter().map(|c| c.line).collect();
        assert_eq!(lines, [3, 4, 6, 7, 8, 9, 10, 11, 12, 13]);
        assert_eq!(cs[0].program.as_ref().unwrap().to_string(), "rot90");
        assert_eq!(
            cs[1].program.as_ref().unwrap().to_string(),
            "flip_h | recolor 1 2"
        );
        assert_eq!(cs[2].program.as_ref().unwrap().to_string(), "trim");
        let err = |k: usize| cs[k].program.as_ref().unwrap_err().to_string();
        assert!(
            err(3).starts_with("line 7: op 1: upscale takes 2 arguments"),
            "{}",
            err(3)
        );
        assert!(err(4).contains("unknown op `bogus`"));
        assert!(err(5).contains("empty candidate name"));
        assert!(err(6).contains("no `program`"));
        assert!(err(7).contains("must be a string"));
        assert!(err(8).contains("not valid JSON"));
        assert_eq!(cs[9].text, "[1]");
        assert!(err(9).starts_with("line 13:"));
    }

    #[test]
    fn line_endings_bom_and_bytes() {
        let cs = parse_candidates_bytes(b"\xef\xbb\xbfa: rot90\rb: flip_h\r\nc: flip_v\n\rd: trim");
        let got: Vec<(&str, usize)> = cs.iter().map(|c| (c.id.as_str(), c.line)).collect();
        assert_eq!(got, [("a", 1), ("b", 2), ("c", 3), ("d", 5)]);
        assert!(cs.iter().all(|c| c.program.is_ok()));
        // A CR at the end of one read and a LF at the start of the next are
        // one line end.
        let text = b"rot90\r\nflip_h\r\n";
        let r = std::io::BufReader::with_capacity(6, &text[..]);
        let cs: Vec<Candidate> = CandidateReader::new(r).map(Result::unwrap).collect();
        assert_eq!(cs.iter().map(|c| c.line).collect::<Vec<_>>(), [1, 2]);
        // Invalid UTF-8 is spelled out, in the id and in the text.
        let cs = parse_candidates_bytes(b"m\xffe: rot90\nro\xfet90\n");
        assert_eq!(cs[0].id, "m\\xffe");
        assert!(cs[0].program.is_ok());
        assert!(cs[1]
            .program
            .as_ref()
            .unwrap_err()
            .to_string()
            .contains("ro\\xfet90"));
    }

    #[test]
    fn binary_and_endless_lines() {
        let mut r = CandidateReader::new(&b"rot90\nflip\0h\n"[..]);
        assert!(r.next_candidate().unwrap().is_some());
        let e = r.next_candidate().unwrap_err();
        assert_eq!(e.kind(), std::io::ErrorKind::InvalidData);
        assert!(e.to_string().contains("NUL byte on line 2"), "{e}");
        // A long line is one bad candidate, quoted short; the next is fine.
        let long = format!("{}\nrot90\n", "x".repeat(MAX_LINE_BYTES + 10));
        let cs = parse_candidates(&long);
        assert_eq!(cs.len(), 2);
        let e = cs[0].program.as_ref().unwrap_err().to_string();
        assert!(e.contains("at most 65536") && e.len() < 200, "{e}");
        assert!(cs[0].text.len() < 100);
        assert!(cs[1].program.is_ok());
        #[cfg(target_os = "linux")]
        {
            let e = read_candidates(Path::new("/dev/zero")).unwrap_err();
            assert!(e.to_string().contains("NUL"), "{e}");
        }
    }

    #[test]
    fn duplicate_ids_keys_and_long_ids() {
        let text =
            "a: rot90\nb: flip_h\na: trim\n{\"id\": \"b\", \"program\": \"id\"}\n1: id\nid\n";
        let mut r = CandidateReader::new(text.as_bytes());
        let cs: Vec<Candidate> = r.by_ref().map(Result::unwrap).collect();
        assert_eq!(cs.len(), 6);
        let w: Vec<String> = r.warnings().iter().map(|w| w.to_string()).collect();
        assert_eq!(
            w,
            [
                "line 3: the id `a` is also the id of line 1",
                "line 4: the id `b` is also the id of line 2",
                // The sixth candidate's default id is its index, 5; `1` is
                // not taken twice.
            ]
        );
        let cs =
            parse_candidates("{\"id\": \"x\", \"program\": \"rot90\", \"program\": \"trim\"}\n");
        let e = cs[0].program.as_ref().unwrap_err().to_string();
        assert!(e.contains("duplicate key `program`"), "{e}");
        let cs = parse_candidates(&format!("{}: rot90\n", "n".repeat(5000)));
        let e = cs[0].program.as_ref().unwrap_err().to_string();
        assert!(e.contains("at most 1024") && e.len() < 200, "{e}");
        assert!(cs[0].id.len() < 100);
    }
}

#[cfg(test)]
mod id_checker_tests {
    use super::*;

    /// The plain rule: a duplicate is an id equal to an earlier candidate's,
    /// reported with the first line that had it.
    fn naive(ids: &[String]) -> Vec<CandidateWarning> {
        let mut first: HashMap<&str, usize> = HashMap::new();
        let mut out = Vec::new();
        for (k, id) in ids.iter().enumerate() {
            let line = 10 + 3 * k;
            match first.get(id.as_str()) {
                Some(&f) => out.push(CandidateWarning::DuplicateId {
                    id: id.clone(),
                    line,
                    first_line: f,
                }),
                None => {
                    first.insert(id, line);
                }
            }
        }
        out
    }

    #[test]
    fn only_hashing_named_ids_finds_the_same_duplicates() {
        let mut rng = crate::rng::Rng::new(7);
        for _ in 0..3000 {
            let n = 1 + rng.below(12);
            let ids: Vec<String> = (0..n)
                .map(|k| match rng.below(4) {
                    // Unnamed: the index.
                    0 | 1 => k.to_string(),
                    // A number that may be another candidate's index.
                    2 => rng.below(14).to_string(),
                    _ => ["a", "b", "07", "x1"][rng.below(4)].to_string(),
                })
                .collect();
            let mut c = IdChecker::new();
            for (k, id) in ids.iter().enumerate() {
                c.note(id, k, 10 + 3 * k);
            }
            assert_eq!(c.warnings(), naive(&ids), "{ids:?}");
        }
    }
}

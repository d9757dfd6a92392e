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
use std::collections::HashMap;
use std::hash::{Hash, Hasher};
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
    reader: R,
    line: usize,
    index: usize,
    buf: Vec<u8>,
    /// The previous line ended with CR: a LF right after it belongs to it.
    after_cr: bool,
    /// Line of each id seen, by a 64-bit hash of the id.
    ids: HashMap<u64, usize>,
    warnings: Vec<CandidateWarning>,
    more_warnings: usize,
}

/// A line as read (its first [`MAX_LINE_BYTES`] bytes are in the reader's
/// buffer): its full length.
struct Line {
    len: u64,
}

impl<R: BufRead> CandidateReader<R> {
    /// A reader over lines.
    pub fn new(reader: R) -> Self {
        CandidateReader {
            reader,
            line: 0,
            index: 0,
            buf: Vec::new(),
            after_cr: false,
            ids: HashMap::new(),
            warnings: Vec::new(),
            more_warnings: 0,
        }
    }

    /// The warnings so far (duplicate ids), and a count of those not kept.
    pub fn warnings(&self) -> Vec<CandidateWarning> {
        let mut w = self.warnings.clone();
        if self.more_warnings > 0 {
            w.push(CandidateWarning::MoreDuplicateIds(self.more_warnings));
        }
        w
    }

    /// Reads one line into `buf` (without its end); `None` at the end.
    fn read_line(&mut self) -> std::io::Result<Option<Line>> {
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
                return Ok(any.then_some(Line { len }));
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
                    return Ok(Some(Line { len }));
                }
                None => {}
            }
        }
    }

    /// The next candidate, or `None` at the end.
    pub fn next_candidate(&mut self) -> std::io::Result<Option<Candidate>> {
        loop {
            let Some(l) = self.read_line()? else {
                return Ok(None);
            };
            self.line += 1;
            let mut bytes = &self.buf[..];
            if self.line == 1 {
                bytes = crate::text::strip_bom(bytes);
            }
            // A line that is not UTF-8 is one bad candidate, not a bad file:
            // its invalid bytes are spelled out.
            let text = crate::text::from_utf8_escaped(bytes);
            let text = text.trim();
            if text.is_empty() || text.starts_with('#') {
                continue;
            }
            let c = if l.len > MAX_LINE_BYTES as u64 {
                let mut c = parse_line("", self.line, self.index);
                c.text = crate::text::prefix(text, 64);
                c.program = Err(CandidateError::Line {
                    line: self.line,
                    message: format!(
                        "the line has {} bytes (at most {MAX_LINE_BYTES}): `{}`",
                        l.len,
                        crate::text::quote(text)
                    ),
                });
                c
            } else {
                parse_line(text, self.line, self.index)
            };
            self.index += 1;
            self.note_id(&c);
            return Ok(Some(c));
        }
    }

    fn note_id(&mut self, c: &Candidate) {
        let mut h = std::collections::hash_map::DefaultHasher::new();
        c.id.hash(&mut h);
        match self.ids.entry(h.finish()) {
            std::collections::hash_map::Entry::Vacant(e) => {
                e.insert(c.line);
            }
            std::collections::hash_map::Entry::Occupied(e) => {
                if self.warnings.len() < MAX_WARNINGS {
                    self.warnings.push(CandidateWarning::DuplicateId {
                        id: c.id.clone(),
                        line: c.line,
                        first_line: *e.get(),
                    });
                } else {
                    self.more_warnings += 1;
                }
            }
        }
    }
}

impl<R: BufRead> Iterator for CandidateReader<R> {
    type Item = std::io::Result<Candidate>;
    fn next(&mut self) -> Option<Self::Item> {
        self.next_candidate().transpose()
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

fn parse_line(text: &str, line: usize, index: usize) -> Candidate {
    let mut c = Candidate {
        id: index.to_string(),
        index,
        line,
        text: text.to_string(),
        program: Ok(Program::empty()),
    };
    let bad = |message: String| CandidateError::Line { line, message };
    if text.starts_with('{') {
        let j = match parse_json_line(text) {
            Ok(j) => j,
            Err(m) => {
                c.program = Err(bad(m));
                return c;
            }
        };
        if let Some(id) = j.id {
            c.id = id;
        }
        match j.program {
            Some(Ok(p)) => {
                c.program =
                    Program::parse(&p).map_err(|source| CandidateError::Parse { line, source });
                c.text = p;
            }
            Some(Err(m)) => c.program = Err(bad(m)),
            None => c.program = Err(bad("the JSON line has no `program`".into())),
        }
    } else {
        let body = match text.split_once(':') {
            Some((name, rest)) => {
                let name = name.trim();
                if name.is_empty() {
                    c.program = Err(bad("empty candidate name before `:`".into()));
                    c.text = rest.trim().to_string();
                    return c;
                }
                c.id = name.to_string();
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
    c
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

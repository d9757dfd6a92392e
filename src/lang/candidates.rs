//! Candidates files: one program per line, `NAME: program` or a JSON line
//! `{"id": "...", "program": "..."}`; blank lines and `#` comments skipped
//! (`DSL.md`, "Programs").

use super::program::{ParseError, Program};
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

/// Reads a candidates file (errors only for an unreadable file: bad lines are
/// reported per candidate).
pub fn read_candidates(path: &Path) -> std::io::Result<Vec<Candidate>> {
    let file = std::fs::File::open(path)?;
    let mut reader = CandidateReader::new(std::io::BufReader::new(file));
    let mut out = Vec::new();
    while let Some(c) = reader.next_candidate()? {
        out.push(c);
    }
    Ok(out)
}

/// Parses candidates from text.
pub fn parse_candidates(text: &str) -> Vec<Candidate> {
    let mut reader = CandidateReader::new(text.as_bytes());
    let mut out = Vec::new();
    while let Ok(Some(c)) = reader.next_candidate() {
        out.push(c);
    }
    out
}

/// Reads candidates one at a time (for streaming huge files).
pub struct CandidateReader<R> {
    reader: R,
    line: usize,
    index: usize,
    buf: Vec<u8>,
}

impl<R: BufRead> CandidateReader<R> {
    /// A reader over lines.
    pub fn new(reader: R) -> Self {
        CandidateReader {
            reader,
            line: 0,
            index: 0,
            buf: Vec::new(),
        }
    }

    /// The next candidate, or `None` at the end.
    pub fn next_candidate(&mut self) -> std::io::Result<Option<Candidate>> {
        loop {
            self.buf.clear();
            if self.reader.read_until(b'\n', &mut self.buf)? == 0 {
                return Ok(None);
            }
            self.line += 1;
            // A line that is not UTF-8 is one bad candidate, not a bad file.
            let text = String::from_utf8_lossy(&self.buf);
            let text = text.trim();
            if text.is_empty() || text.starts_with('#') {
                continue;
            }
            let c = parse_line(text, self.line, self.index);
            self.index += 1;
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
        let v: serde_json::Value = match serde_json::from_str(text) {
            Ok(v) => v,
            Err(e) => {
                c.program = Err(bad(format!("not valid JSON: {e}")));
                return c;
            }
        };
        let Some(obj) = v.as_object() else {
            c.program = Err(bad("a JSON line must be an object".into()));
            return c;
        };
        match obj.get("id") {
            None | Some(serde_json::Value::Null) => {}
            Some(serde_json::Value::String(s)) => c.id = s.clone(),
            Some(other) => c.id = other.to_string(),
        }
        match obj.get("program") {
            Some(serde_json::Value::String(p)) => {
                c.text = p.clone();
                c.program =
                    Program::parse(p).map_err(|source| CandidateError::Parse { line, source });
            }
            Some(_) => c.program = Err(bad("`program` must be a string".into())),
            None => c.program = Err(bad("the JSON line has no `program`".into())),
        }
        return c;
    }
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
}

//! Programs: parsing, printing and the canonical form.

use super::ops::{ArgKind, OpCode, COLOR_TOKENS, DIRECTIONS, LOGICS, NUM_OPS, OPS, SELECTORS};
use std::fmt;

/// Most ops in one program.
pub const MAX_OPS: usize = 16;

/// One op with its encoded arguments (see [`ArgKind`] for the encodings).
///
/// A color map (`map M`) is packed as 4-bit nibbles: digits 0..=7 in
/// `args[0]` (as the bits of a `u32`), digits 8 and 9 in `args[1]`.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Op {
    pub code: OpCode,
    pub args: [i32; 4],
}

impl Op {
    /// An op with arguments (unused trailing ones are 0).
    pub fn new(code: OpCode, args: &[i32]) -> Op {
        let mut a = [0; 4];
        a[..args.len()].copy_from_slice(args);
        Op { code, args: a }
    }
    /// `map M` from its ten digits.
    pub fn map(m: [u8; 10]) -> Op {
        let (lo, hi) = pack_map(&m);
        Op {
            code: OpCode::Map,
            args: [lo as i32, hi as i32, 0, 0],
        }
    }
    /// The ten digits of a `map` op.
    #[inline(always)]
    pub fn color_map(&self) -> [u8; 10] {
        let lo = self.args[0] as u32;
        let hi = self.args[1] as u32;
        let mut m = [0u8; 10];
        for (k, d) in m.iter_mut().enumerate() {
            *d = if k < 8 {
                ((lo >> (4 * k)) & 15) as u8
            } else {
                ((hi >> (4 * (k - 8))) & 15) as u8
            };
        }
        m
    }
    /// Checks every argument against the op table (for programs built in
    /// code rather than parsed).
    pub fn validate(&self) -> Result<(), String> {
        let spec = self.code.spec();
        for (k, kind) in spec.args.iter().enumerate() {
            let v = self.args[k];
            let ok = match *kind {
                ArgKind::Int { min, max } => (min..=max).contains(&v),
                ArgKind::Color => (0..=12).contains(&v),
                ArgKind::Transform => (0..8).contains(&v),
                ArgKind::Direction => (0..4).contains(&v),
                ArgKind::Logic => (0..6).contains(&v),
                ArgKind::Selector => (0..2).contains(&v),
                ArgKind::ColorMap => self.color_map().iter().all(|&d| d <= 9),
            };
            if !ok {
                return Err(format!(
                    "argument {} of {} is out of range",
                    k + 1,
                    spec.name
                ));
            }
        }
        if matches!(self.code, OpCode::SplitH | OpCode::SplitV) && self.args[1] >= self.args[0] {
            return Err(format!("{}: part index must be below n", spec.name));
        }
        Ok(())
    }
}

fn pack_map(m: &[u8; 10]) -> (u32, u32) {
    let mut lo = 0u32;
    let mut hi = 0u32;
    for (k, &d) in m.iter().enumerate() {
        if k < 8 {
            lo |= (d as u32) << (4 * k);
        } else {
            hi |= (d as u32) << (4 * (k - 8));
        }
    }
    (lo, hi)
}

/// A program: at most 16 ops applied left to right.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Program {
    ops: Vec<Op>,
}

impl Program {
    /// The empty program (identity, 0 ops).
    pub fn empty() -> Program {
        Program { ops: Vec::new() }
    }
    /// A program from ops; fails if there are more than 16 or an argument is
    /// out of range.
    pub fn from_ops(ops: Vec<Op>) -> Result<Program, ParseError> {
        if ops.len() > MAX_OPS {
            return Err(ParseError::new(
                None,
                format!("{} ops (at most {MAX_OPS})", ops.len()),
            ));
        }
        for (i, op) in ops.iter().enumerate() {
            op.validate().map_err(|m| ParseError::new(Some(i), m))?;
        }
        Ok(Program { ops })
    }
    /// The ops.
    #[inline(always)]
    pub fn ops(&self) -> &[Op] {
        &self.ops
    }
    /// Number of ops (`id` counts as one; the empty program has 0).
    pub fn len(&self) -> usize {
        self.ops.len()
    }
    /// Whether this is the empty program.
    pub fn is_empty(&self) -> bool {
        self.ops.is_empty()
    }
    /// Parses the text form, e.g. `crop_bbox 0 | upscale 2 2 | recolor 1 2`.
    pub fn parse(text: &str) -> Result<Program, ParseError> {
        parse_program(text)
    }
    /// The canonical text: ops joined by ` | `, arguments by single spaces,
    /// integers without sign or leading zeros. Two programs are syntactic
    /// duplicates exactly when their canonical texts are equal.
    pub fn canonical(&self) -> String {
        self.to_string()
    }
    /// A program with one more op at the end (for the search).
    pub fn with(&self, op: Op) -> Program {
        let mut ops = self.ops.clone();
        ops.push(op);
        Program { ops }
    }
}

impl std::str::FromStr for Program {
    type Err = ParseError;
    fn from_str(s: &str) -> Result<Program, ParseError> {
        parse_program(s)
    }
}

/// Why a program does not parse. `op` is the 0-based index of the op at
/// fault, where there is one.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{}{message}", match op { Some(i) => format!("op {}: ", i + 1), None => String::new() })]
pub struct ParseError {
    pub op: Option<usize>,
    pub message: String,
}

impl ParseError {
    fn new(op: Option<usize>, message: impl Into<String>) -> ParseError {
        ParseError {
            op,
            message: message.into(),
        }
    }
}

fn parse_program(text: &str) -> Result<Program, ParseError> {
    if text.trim().is_empty() {
        return Ok(Program::empty());
    }
    // Counted before anything is collected: a line of a million bars costs
    // no memory.
    let nparts = text.bytes().filter(|&b| b == b'|').count() + 1;
    if nparts > 1 {
        if text.split('|').next().is_some_and(|p| p.trim().is_empty()) {
            return Err(ParseError::new(None, "a bar at the start of the program"));
        }
        if text.rsplit('|').next().is_some_and(|p| p.trim().is_empty()) {
            return Err(ParseError::new(None, "a bar at the end of the program"));
        }
    }
    if nparts > MAX_OPS {
        return Err(ParseError::new(
            None,
            format!("{nparts} ops (at most {MAX_OPS})"),
        ));
    }
    let parts: Vec<&str> = text.split('|').collect();
    let mut ops = Vec::with_capacity(parts.len());
    for (i, part) in parts.iter().enumerate() {
        ops.push(parse_op(part).map_err(|m| ParseError::new(Some(i), m))?);
    }
    Ok(Program { ops })
}

/// Parses one op, `name arg...`.
pub fn parse_op(text: &str) -> Result<Op, String> {
    let mut words = text.split_whitespace();
    let Some(name) = words.next() else {
        return Err("empty op between bars".into());
    };
    let Some(code) = OpCode::from_name(name) else {
        return Err(format!("unknown op `{}`{}", quoted(name), suggest(name)));
    };
    let spec = code.spec();
    let args: Vec<&str> = words.collect();
    if args.len() != spec.args.len() {
        return Err(format!(
            "{} takes {} argument{} ({}), got {}",
            spec.name,
            spec.args.len(),
            if spec.args.len() == 1 { "" } else { "s" },
            usage(code),
            args.len()
        ));
    }
    let mut op = Op::new(code, &[]);
    for (k, (&word, kind)) in args.iter().zip(spec.args).enumerate() {
        let bad = |what: String| format!("argument {} of {}: {}", k + 1, spec.name, what);
        match *kind {
            ArgKind::Int { min, max } => {
                let v = parse_int(word)
                    .ok_or_else(|| bad(format!("`{}` is not an integer", quoted(word))))?;
                if v < min as i64 || v > max as i64 {
                    return Err(bad(format!(
                        "{} is out of range {min}..={max}",
                        quoted(word)
                    )));
                }
                op.args[k] = v as i32;
            }
            ArgKind::Color => {
                op.args[k] = parse_color(word).ok_or_else(|| {
                    bad(format!(
                        "`{}` is not a color (a digit 0..=9, bg, fg or lc)",
                        quoted(word)
                    ))
                })?;
            }
            ArgKind::Transform => {
                op.args[k] = OpCode::from_name(word)
                    .filter(|c| c.is_transform())
                    .map(|c| c as i32)
                    .ok_or_else(|| bad(format!("`{}` is not a transform (id, rot90, rot180, rot270, flip_h, flip_v, transpose, antitranspose)", quoted(word))))?;
            }
            ArgKind::Direction => {
                op.args[k] = index_of(&DIRECTIONS, word).ok_or_else(|| {
                    bad(format!(
                        "`{}` is not a direction (up, down, left, right)",
                        quoted(word)
                    ))
                })?;
            }
            ArgKind::Logic => {
                op.args[k] = index_of(&LOGICS, word).ok_or_else(|| {
                    bad(format!(
                        "`{}` is not a logic op (and, or, xor, nor, left, right)",
                        quoted(word)
                    ))
                })?;
            }
            ArgKind::Selector => {
                op.args[k] = index_of(&SELECTORS, word)
                    .ok_or_else(|| bad(format!("`{}` is not largest or smallest", quoted(word))))?;
            }
            ArgKind::ColorMap => {
                let digits: Vec<u8> = word.bytes().collect();
                if digits.len() != 10 || !digits.iter().all(|d| d.is_ascii_digit()) {
                    return Err(bad(format!("`{}` is not ten digits", quoted(word))));
                }
                let mut m = [0u8; 10];
                for (d, b) in m.iter_mut().zip(&digits) {
                    *d = b - b'0';
                }
                let (lo, hi) = pack_map(&m);
                op.args[0] = lo as i32;
                op.args[1] = hi as i32;
            }
        }
    }
    if matches!(code, OpCode::SplitH | OpCode::SplitV) && op.args[1] >= op.args[0] {
        return Err(format!(
            "argument 2 of {}: part index {} must be below n = {}",
            spec.name, op.args[1], op.args[0]
        ));
    }
    Ok(op)
}

fn index_of(names: &[&str], word: &str) -> Option<i32> {
    names.iter().position(|&n| n == word).map(|i| i as i32)
}

/// Integers: an optional `-` or `+` followed by ASCII digits.
fn parse_int(word: &str) -> Option<i64> {
    let digits = word.strip_prefix(['-', '+']).unwrap_or(word);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    // Long digit strings are out of range whatever they say.
    let digits = digits.trim_start_matches('0');
    if digits.len() > 12 {
        return Some(if word.starts_with('-') {
            i64::MIN
        } else {
            i64::MAX
        });
    }
    let v: i64 = if digits.is_empty() {
        0
    } else {
        digits.parse().ok()?
    };
    Some(if word.starts_with('-') { -v } else { v })
}

fn parse_color(word: &str) -> Option<i32> {
    match word.as_bytes() {
        [d] if d.is_ascii_digit() => Some((d - b'0') as i32),
        _ => index_of(&COLOR_TOKENS, word).map(|i| i + 10),
    }
}

/// A user's token as a message quotes it: at most a short prefix, control
/// characters escaped (a 50 MB token is not echoed back).
fn quoted(token: &str) -> String {
    crate::text::quote(token)
}

/// Longest token worth a "did you mean": op names are at most 13
/// characters and a suggestion is at most 2 edits away, so the edit
/// distance never runs on a long token.
const MAX_SUGGEST_CHARS: usize = 16;

fn suggest(name: &str) -> String {
    if name.len() > MAX_SUGGEST_CHARS {
        return String::new();
    }
    let lower = name.to_ascii_lowercase();
    if let Some(s) = OPS.iter().find(|s| s.name == lower) {
        return format!(" (names are case-sensitive: did you mean `{}`?)", s.name);
    }
    let best = OPS
        .iter()
        .map(|s| (edit_distance(&lower, s.name), s.name))
        .min()
        .filter(|(d, _)| *d <= 2 && *d < lower.chars().count());
    match best {
        Some((_, n)) => format!(" (did you mean `{n}`?)"),
        None => String::new(),
    }
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1];
        for (j, &cb) in b.iter().enumerate() {
            let sub = prev[j] + usize::from(ca != cb);
            cur.push(sub.min(prev[j + 1] + 1).min(cur[j] + 1));
        }
        prev = cur;
    }
    prev[b.len()]
}

/// A short description of an op's arguments, e.g. `kh kw, 1..=10 each`.
pub fn usage(code: OpCode) -> String {
    let spec = code.spec();
    if spec.args.is_empty() {
        return "none".into();
    }
    spec.args
        .iter()
        .map(|k| match *k {
            ArgKind::Int { min, max } => format!("{min}..={max}"),
            ArgKind::Color => "color".into(),
            ArgKind::Transform => "transform".into(),
            ArgKind::Direction => "direction".into(),
            ArgKind::Logic => "logic".into(),
            ArgKind::Selector => "largest|smallest".into(),
            ArgKind::ColorMap => "ten digits".into(),
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// Writes one argument in text form.
fn write_arg(f: &mut fmt::Formatter<'_>, kind: ArgKind, op: &Op, k: usize) -> fmt::Result {
    let v = op.args[k];
    match kind {
        ArgKind::Int { .. } => write!(f, "{v}"),
        ArgKind::Color => {
            if v < 10 {
                write!(f, "{v}")
            } else {
                f.write_str(COLOR_TOKENS[(v - 10) as usize])
            }
        }
        ArgKind::Transform => f.write_str(OPS[v as usize].name),
        ArgKind::Direction => f.write_str(DIRECTIONS[v as usize]),
        ArgKind::Logic => f.write_str(LOGICS[v as usize]),
        ArgKind::Selector => f.write_str(SELECTORS[v as usize]),
        ArgKind::ColorMap => {
            for d in op.color_map() {
                write!(f, "{d}")?;
            }
            Ok(())
        }
    }
}

impl fmt::Display for Op {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let spec = self.code.spec();
        f.write_str(spec.name)?;
        for (k, &kind) in spec.args.iter().enumerate() {
            if kind == ArgKind::ColorMap && k > 0 {
                break;
            }
            f.write_str(" ")?;
            write_arg(f, kind, self, k)?;
        }
        Ok(())
    }
}

impl fmt::Display for Program {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, op) in self.ops.iter().enumerate() {
            if i > 0 {
                f.write_str(" | ")?;
            }
            write!(f, "{op}")?;
        }
        Ok(())
    }
}

/// Every op name (for help texts).
pub fn op_names() -> impl Iterator<Item = &'static str> {
    OPS.iter().take(NUM_OPS).map(|s| s.name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_and_print() {
        let p = Program::parse("  crop_bbox 0|upscale +2   02 |recolor bg lc ").unwrap();
        assert_eq!(p.to_string(), "crop_bbox 0 | upscale 2 2 | recolor bg lc");
        assert_eq!(p.len(), 3);
        let m = Program::parse("map 9876543210").unwrap();
        assert_eq!(m.ops()[0].color_map(), [9, 8, 7, 6, 5, 4, 3, 2, 1, 0]);
        assert_eq!(m.to_string(), "map 9876543210");
        assert_eq!(Program::parse("").unwrap().len(), 0);
        assert_eq!(Program::parse("id").unwrap().len(), 1);
        assert_eq!(
            Program::parse("hcat flip_h | gravity left 0 | object smallest bg | halves_v nor 3")
                .unwrap()
                .to_string(),
            "hcat flip_h | gravity left 0 | object smallest bg | halves_v nor 3"
        );
    }

    #[test]
    fn parse_errors() {
        let e = |s: &str| Program::parse(s).unwrap_err().to_string();
        assert!(e("rot91").contains("unknown op `rot91` (did you mean `rot90`?)"));
        assert!(e("Rot90").contains("case-sensitive"));
        assert!(e("upscale 2").contains("takes 2 arguments"));
        assert!(e("upscale 0 2").contains("out of range 1..=10"));
        assert!(e("upscale 99999999999999999999 2").contains("out of range"));
        assert!(e("split_h 3 3").contains("must be below n"));
        assert!(e("id | | id").contains("op 2: empty op between bars"));
        assert!(e("| id").contains("bar at the start"));
        assert!(e("id |").contains("bar at the end"));
        assert!(e("|").contains("bar at the start"));
        assert!(e(&vec!["id"; 17].join("|")).contains("17 ops"));
        assert!(Program::parse(&vec!["id"; 16].join("|")).is_ok());
        assert!(e("recolor 10 1").contains("not a color"));
        assert!(e("recolor BG 1").contains("not a color"));
        assert!(e("map 012345678").contains("ten digits"));
        assert!(e("hcat upscale").contains("not a transform"));
        assert!(e("shift 1.5 0 0").contains("not an integer"));
        assert!(e("shift 30 0 0").contains("out of range -29..=29"));
        assert!(e("shift - 0 0").contains("not an integer"));
        assert!(e("crop 0 0 0 1").contains("out of range 1..=30"));
    }

    #[test]
    fn huge_and_hostile_tokens_are_quoted_short() {
        let e = |s: &str| Program::parse(s).unwrap_err().to_string();
        let t0 = std::time::Instant::now();
        let long = "rot".repeat(5_000_000);
        let m = e(&long);
        assert!(
            m.len() < 100 && m.contains("rotrot") && m.contains('…'),
            "{m}"
        );
        let m = e(&format!("upscale {} 2", "9".repeat(1_000_000)));
        assert!(m.len() < 120, "{m}");
        // Linear: a 15 MB token is refused in well under a second (it took
        // a minute with the edit distance on the whole token).
        assert!(t0.elapsed().as_secs_f64() < 5.0);
        assert!(e("rot90\u{1b}[2J").contains("\\e[2J"));
    }
}

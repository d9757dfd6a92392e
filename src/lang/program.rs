//! Programs: the structure, parsing, printing and the canonical form.
//!
//! A program is a pipeline of ops, optionally with one `overlay` step (its
//! layers are pipelines run on the overlay's input and stacked by masks) and
//! optionally wrapped in `norm F { ... }` (colors renamed by frequency before,
//! and back after). See `docs/DSL.md`, "Programs" and "Constructs".

pub use super::args::Mask;
use super::args::{color, Transform};
use super::ops::{ArgKind, OpCode, OPS};
use crate::grid::{Grid, NUM_COLORS};
use std::fmt;

/// Most ops in one pipeline (the whole program of v1; in v2 each of the
/// prefix, every layer and the suffix).
pub const MAX_OPS: usize = 16;
/// Most layers in an overlay.
pub const MAX_LAYERS: usize = 8;
/// Most non-0 cells `symmetrize` completes (a figure, not a pattern: denser
/// grids are `repair`'s; the bound keeps the op's work at n^2 pair checks).
pub const SYM_MAX_CELLS: usize = 100;

/// One op with its encoded arguments (see [`ArgKind`] for the encodings;
/// the interpreter decodes them with the typed enums of
/// [`super::args`]).
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
    /// Checks every argument against the op table (for ops built in code
    /// rather than parsed).
    pub fn validate(&self) -> Result<(), String> {
        let spec = self.code.spec();
        for (k, a) in spec.args.iter().enumerate() {
            let v = self.args[k];
            let ok = match a.kind {
                ArgKind::ColorMap => self.color_map().iter().all(|&d| d <= 9),
                kind => kind.valid(v),
            };
            if !ok {
                return Err(format!(
                    "argument {} of {} is out of range",
                    k + 1,
                    spec.name
                ));
            }
        }
        check_relations(self).map_err(|m| format!("{}: {m}", spec.name))
    }
    /// Whether an argument is a color token (`bg`, `fg`, `lc`).
    #[inline]
    pub fn uses_tokens(&self) -> bool {
        self.code
            .spec()
            .color_args()
            .any(|k| color::is_token(self.args[k]))
    }
}

/// Constraints between arguments (beyond each argument's own range).
fn check_relations(op: &Op) -> Result<(), String> {
    if matches!(op.code, OpCode::SplitH | OpCode::SplitV) && op.args[1] >= op.args[0] {
        return Err(format!(
            "part index {} must be below n = {}",
            op.args[1], op.args[0]
        ));
    }
    Ok(())
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

/// The color normalisation of `norm F { ... }`: the colors of `F` keep
/// their values; the other colors present in the input, most frequent
/// first (ties: the smaller color), take the free colors (those not in
/// `F`) in increasing order; absent colors take the remaining free colors
/// in increasing order. The program's output is mapped back.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Norm {
    /// Bit c set: color c is fixed.
    pub fixed: u16,
}

impl Norm {
    /// The permutation sigma (color c becomes `sigma[c]`) for an input.
    pub fn sigma(&self, x: &Grid) -> [u8; NUM_COLORS] {
        sigma_from_hist(self.fixed, &x.histogram())
    }
    /// The fixed colors, ascending.
    pub fn fixed_colors(&self) -> impl Iterator<Item = u8> + '_ {
        (0..NUM_COLORS as u8).filter(move |c| self.fixed >> c & 1 == 1)
    }
}

/// [`Norm::sigma`] from a histogram.
pub fn sigma_from_hist(fixed: u16, hist: &[u16; NUM_COLORS]) -> [u8; NUM_COLORS] {
    let is_fixed = |c: usize| fixed >> c & 1 == 1;
    let mut order: Vec<usize> = (0..NUM_COLORS)
        .filter(|&c| !is_fixed(c) && hist[c] > 0)
        .collect();
    order.sort_by_key(|&c| (std::cmp::Reverse(hist[c]), c));
    order.extend((0..NUM_COLORS).filter(|&c| !is_fixed(c) && hist[c] == 0));
    let free = (0..NUM_COLORS).filter(|&c| !is_fixed(c));
    let mut s = [0u8; NUM_COLORS];
    for (c, slot) in s.iter_mut().enumerate() {
        *slot = c as u8;
    }
    for (c, t) in order.into_iter().zip(free) {
        s[c] = t as u8;
    }
    s
}

/// One layer of an overlay: a pipeline and the mask of the cells it paints.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Layer {
    pub mask: Mask,
    pub ops: Vec<Op>,
}

/// A program: `[norm F {] prefix [| overlay { layers } | suffix] [}]`.
///
/// Without an overlay the suffix is empty and the prefix is the whole
/// pipeline; a program without `norm` and overlay is a plain pipeline
/// (every program of v1 is one).
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Program {
    norm: Option<Norm>,
    prefix: Vec<Op>,
    layers: Vec<Layer>,
    suffix: Vec<Op>,
}

impl Program {
    /// The empty program (identity, 0 ops).
    pub fn empty() -> Program {
        Program::default()
    }
    /// A pipeline; fails if there are more than 16 ops or an argument is
    /// out of range.
    pub fn from_ops(ops: Vec<Op>) -> Result<Program, ParseError> {
        let p = Program {
            prefix: ops,
            ..Program::default()
        };
        p.validate()?;
        Ok(p)
    }
    /// A program with an overlay: `prefix | overlay { layers } | suffix`.
    pub fn overlay(
        prefix: Vec<Op>,
        layers: Vec<Layer>,
        suffix: Vec<Op>,
    ) -> Result<Program, ParseError> {
        let p = Program {
            norm: None,
            prefix,
            layers,
            suffix,
        };
        p.validate()?;
        Ok(p)
    }
    /// This program inside `norm F { ... }` (replacing any norm it had).
    pub fn normalized(mut self, norm: Norm) -> Program {
        self.norm = Some(norm);
        self
    }
    /// Checks the limits and every argument.
    pub fn validate(&self) -> Result<(), ParseError> {
        if self.layers.is_empty() && !self.suffix.is_empty() {
            return Err(ParseError::new(None, "a suffix without an overlay"));
        }
        if self.layers.len() > MAX_LAYERS {
            return Err(ParseError::new(
                None,
                format!("{} layers (at most {MAX_LAYERS})", self.layers.len()),
            ));
        }
        let mut index = 0;
        for pipe in self.pipelines() {
            if pipe.len() > MAX_OPS {
                return Err(ParseError::new(
                    None,
                    format!("{} ops (at most {MAX_OPS})", pipe.len()),
                ));
            }
            for op in pipe {
                op.validate().map_err(|m| ParseError::new(Some(index), m))?;
                index += 1;
            }
        }
        Ok(())
    }
    /// Every pipeline in text order: prefix, layers, suffix.
    pub fn pipelines(&self) -> impl Iterator<Item = &[Op]> {
        std::iter::once(&self.prefix[..])
            .chain(self.layers.iter().map(|l| &l.ops[..]))
            .chain(std::iter::once(&self.suffix[..]))
    }
    /// Every op in text order.
    pub fn all_ops(&self) -> impl Iterator<Item = &Op> {
        self.pipelines().flatten()
    }
    /// Whether this is a plain pipeline (no `norm`, no overlay).
    #[inline(always)]
    pub fn is_pipeline(&self) -> bool {
        self.norm.is_none() && self.layers.is_empty()
    }
    /// The ops of a plain pipeline.
    pub fn pipeline(&self) -> Option<&[Op]> {
        self.is_pipeline().then_some(&self.prefix[..])
    }
    /// The normalisation, if any.
    pub fn norm(&self) -> Option<&Norm> {
        self.norm.as_ref()
    }
    /// The ops before the overlay (the whole pipeline without one).
    #[inline(always)]
    pub fn prefix(&self) -> &[Op] {
        &self.prefix
    }
    /// The overlay's layers, top first (empty without an overlay).
    pub fn layers(&self) -> &[Layer] {
        &self.layers
    }
    /// The ops after the overlay.
    pub fn suffix(&self) -> &[Op] {
        &self.suffix
    }
    /// Size, for "fewer ops" in ranking: every op, plus one per layer and
    /// one for `norm` (`id` counts as one op; the empty program has 0).
    pub fn len(&self) -> usize {
        self.prefix.len()
            + self.suffix.len()
            + self.layers.iter().map(|l| l.ops.len() + 1).sum::<usize>()
            + usize::from(self.norm.is_some())
    }
    /// Size in words, for ties in ranking: [`Program::len`] plus one word
    /// per argument, except that a color map counts the colors it changes
    /// (at least one): `crop_frame` is 1 word, `pick cobj min_cells` 3,
    /// `map 0223422789` 4 (it changes 1, 5 and 6).
    pub fn words(&self) -> usize {
        let arg_words = |op: &Op| -> usize {
            op.code
                .spec()
                .args
                .iter()
                .map(|a| match a.kind {
                    ArgKind::ColorMap => {
                        let m = op.color_map();
                        (0..10).filter(|&k| m[k] as usize != k).count().max(1)
                    }
                    _ => 1,
                })
                .sum()
        };
        self.len() + self.all_ops().map(arg_words).sum::<usize>()
    }
    /// Whether this is the empty program.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// Parses the text form, e.g. `crop_bbox 0 | upscale 2 2 | recolor 1 2`.
    pub fn parse(text: &str) -> Result<Program, ParseError> {
        Parser::new(text).program()
    }
    /// The canonical text: ops joined by ` | `, arguments by single spaces,
    /// integers without sign or leading zeros, constructs as in `DSL.md`.
    /// Two programs are syntactic duplicates exactly when their canonical
    /// texts are equal.
    pub fn canonical(&self) -> String {
        self.to_string()
    }
    /// `t | self | t_inv` (inside `norm`, around the overlay): the program
    /// that applies this one in the frame of transform `t`. Fails when a
    /// pipeline would pass 16 ops.
    pub fn conjugated(&self, t: Op, t_inv: Op) -> Result<Program, ParseError> {
        let mut p = self.clone();
        p.prefix.insert(0, t);
        if p.layers.is_empty() {
            p.prefix.push(t_inv);
        } else {
            p.suffix.push(t_inv);
        }
        p.validate()?;
        Ok(p)
    }
    /// This program with one more op at the end (after the overlay, if
    /// there is one; inside `norm`).
    pub fn with(&self, op: Op) -> Program {
        let mut p = self.clone();
        if p.layers.is_empty() {
            p.prefix.push(op);
        } else {
            p.suffix.push(op);
        }
        p
    }
}

impl std::str::FromStr for Program {
    type Err = ParseError;
    fn from_str(s: &str) -> Result<Program, ParseError> {
        Program::parse(s)
    }
}

/// Why a program does not parse. `op` is the 0-based index of the op at
/// fault (counting every op in text order), where there is one.
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

/// A token quoted in a message: a short prefix, control characters
/// escaped (see [`crate::text::quote`]).
pub fn quote(word: &str) -> String {
    format!("`{}`", crate::text::quote(word))
}

/// The punctuation of the constructs.
fn is_punct(c: char) -> bool {
    matches!(c, '|' | '{' | '}' | ';' | '[' | ']')
}

/// A recursive-descent parser over the program text, linear in its length.
struct Parser<'a> {
    text: &'a str,
    pos: usize,
    /// Ops parsed so far (for "op N" in messages).
    ops: usize,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Tok<'a> {
    Word(&'a str),
    Punct(char),
    End,
}

impl<'a> Parser<'a> {
    fn new(text: &'a str) -> Parser<'a> {
        Parser {
            text,
            pos: 0,
            ops: 0,
        }
    }

    /// The next token without consuming it: byte by byte while the text is
    /// ASCII (candidates files are), else [`Parser::peek_text`].
    fn peek(&self) -> (Tok<'a>, usize) {
        // The ASCII bytes that `char::is_whitespace` accepts.
        fn space(b: u8) -> bool {
            matches!(b, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r')
        }
        let bytes = self.text.as_bytes();
        let mut at = self.pos;
        while at < bytes.len() && space(bytes[at]) {
            at += 1;
        }
        let Some(&b) = bytes.get(at) else {
            return (Tok::End, at);
        };
        if !b.is_ascii() {
            return self.peek_text();
        }
        if is_punct(b as char) {
            return (Tok::Punct(b as char), at + 1);
        }
        let mut end = at + 1;
        while let Some(&b) = bytes.get(end) {
            if !b.is_ascii() {
                return self.peek_text();
            }
            if space(b) || is_punct(b as char) {
                break;
            }
            end += 1;
        }
        (Tok::Word(&self.text[at..end]), end)
    }

    /// [`Parser::peek`] on any text: Unicode whitespace separates words.
    fn peek_text(&self) -> (Tok<'a>, usize) {
        let rest = &self.text[self.pos..];
        let start = rest.len() - rest.trim_start().len();
        let rest = &rest[start..];
        let at = self.pos + start;
        match rest.chars().next() {
            None => (Tok::End, at),
            Some(c) if is_punct(c) => (Tok::Punct(c), at + 1),
            Some(_) => {
                let end = rest
                    .find(|c: char| c.is_whitespace() || is_punct(c))
                    .unwrap_or(rest.len());
                (Tok::Word(&rest[..end]), at + end)
            }
        }
    }

    fn next(&mut self) -> Tok<'a> {
        let (t, end) = self.peek();
        self.pos = end;
        t
    }

    fn program(mut self) -> Result<Program, ParseError> {
        let mut p = Program::default();
        if let (Tok::Word("norm"), _) = self.peek() {
            self.next();
            let fixed = match self.next() {
                Tok::Punct('{') => 0,
                Tok::Word(w) => {
                    let f = parse_color_set(w).ok_or_else(|| {
                        ParseError::new(
                            None,
                            format!(
                                "norm: {} is not a set of fixed colors (distinct digits, ascending)",
                                quote(w)
                            ),
                        )
                    })?;
                    self.expect('{', "after the fixed colors of norm")?;
                    f
                }
                t => return Err(self.unexpected(t, "after norm")),
            };
            p.norm = Some(Norm { fixed });
            self.body(&mut p, true)?;
            self.expect('}', "to close norm")?;
            match self.next() {
                Tok::End => {}
                t => return Err(self.unexpected(t, "after the closing brace of norm")),
            }
        } else {
            self.body(&mut p, false)?;
        }
        p.validate()?;
        Ok(p)
    }

    fn expect(&mut self, c: char, why: &str) -> Result<(), ParseError> {
        match self.next() {
            Tok::Punct(d) if d == c => Ok(()),
            t => Err(ParseError::new(
                None,
                format!("expected `{c}` {why}, found {}", describe(t)),
            )),
        }
    }

    fn unexpected(&self, t: Tok, why: &str) -> ParseError {
        ParseError::new(None, format!("unexpected {} {why}", describe(t)))
    }

    /// `step ('|' step)*` up to the end (or `}` inside norm).
    fn body(&mut self, p: &mut Program, in_norm: bool) -> Result<(), ParseError> {
        let stop = |t: Tok| t == Tok::End || (in_norm && t == Tok::Punct('}'));
        if stop(self.peek().0) {
            return Ok(());
        }
        let mut steps = 0usize;
        loop {
            let (t, _) = self.peek();
            if steps == 0 && t == Tok::Punct('|') {
                return Err(ParseError::new(None, "a bar at the start of the program"));
            }
            if let Tok::Word("overlay") = t {
                self.next();
                if !p.layers.is_empty() {
                    return Err(ParseError::new(None, "at most one overlay per program"));
                }
                self.overlay(p)?;
            } else if let Tok::Word("norm") = t {
                return Err(ParseError::new(
                    None,
                    "norm must enclose the whole program (`norm F { ... }`)",
                ));
            } else {
                let op = self.op(steps > 0)?;
                if p.layers.is_empty() {
                    p.prefix.push(op);
                    if p.prefix.len() > MAX_OPS {
                        return Err(too_many(p.prefix.len(), self.rest_ops()));
                    }
                } else {
                    p.suffix.push(op);
                    if p.suffix.len() > MAX_OPS {
                        return Err(too_many(p.suffix.len(), self.rest_ops()));
                    }
                }
            }
            steps += 1;
            match self.peek().0 {
                Tok::Punct('|') => {
                    self.next();
                    if stop(self.peek().0) {
                        return Err(ParseError::new(None, "a bar at the end of the program"));
                    }
                }
                t if stop(t) => return Ok(()),
                t => return Err(self.unexpected(t, "between steps")),
            }
        }
    }

    /// How many more `|`-separated parts follow (for the "N ops" message).
    fn rest_ops(&self) -> usize {
        self.text[self.pos..].matches('|').count()
    }

    /// `'{' layer (';' layer)* '}'` after `overlay`.
    fn overlay(&mut self, p: &mut Program) -> Result<(), ParseError> {
        self.expect('{', "after overlay")?;
        loop {
            self.expect('[', "to start a layer (`[nz]`, `[z]` or `[all]`)")?;
            let mask = match self.next() {
                Tok::Word(w) => Mask::CHOICE
                    .index_of(w)
                    .map(Mask::from_arg)
                    .ok_or_else(|| {
                        ParseError::new(
                            None,
                            format!("{} is not a layer mask (nz, z, all)", quote(w)),
                        )
                    })?,
                t => return Err(self.unexpected(t, "as a layer mask")),
            };
            self.expect(']', "after the layer mask")?;
            let mut ops = Vec::new();
            let mut first = true;
            loop {
                match self.peek().0 {
                    Tok::Punct(';') | Tok::Punct('}') if first => break,
                    Tok::Word("overlay") => {
                        return Err(ParseError::new(None, "overlays do not nest"))
                    }
                    _ => {}
                }
                ops.push(self.op(!first)?);
                if ops.len() > MAX_OPS {
                    return Err(ParseError::new(
                        None,
                        format!("a layer of more than {MAX_OPS} ops"),
                    ));
                }
                first = false;
                match self.peek().0 {
                    Tok::Punct('|') => {
                        self.next();
                    }
                    _ => break,
                }
            }
            p.layers.push(Layer { mask, ops });
            if p.layers.len() > MAX_LAYERS {
                return Err(ParseError::new(
                    None,
                    format!("more than {MAX_LAYERS} layers"),
                ));
            }
            match self.next() {
                Tok::Punct(';') => {}
                Tok::Punct('}') => return Ok(()),
                t => return Err(self.unexpected(t, "after a layer (`;` or `}`)")),
            }
        }
    }

    /// One op: `name arg...` up to the next punctuation.
    fn op(&mut self, after_bar: bool) -> Result<Op, ParseError> {
        let index = self.ops;
        self.ops += 1;
        let mut words = Vec::new();
        while let (Tok::Word(w), end) = self.peek() {
            words.push(w);
            self.pos = end;
            if words.len() > 16 {
                break;
            }
        }
        if words.is_empty() {
            let m = match self.peek().0 {
                Tok::Punct('|') if after_bar => "empty op between bars".to_string(),
                Tok::End if after_bar => "empty op after a bar".to_string(),
                t => format!("expected an op, found {}", describe(t)),
            };
            return Err(ParseError::new(Some(index), m));
        }
        parse_words(&words).map_err(|m| ParseError::new(Some(index), m))
    }
}

fn too_many(n: usize, rest: usize) -> ParseError {
    ParseError::new(None, format!("{} ops (at most {MAX_OPS})", n + rest))
}

fn describe(t: Tok) -> String {
    match t {
        Tok::Word(w) => quote(w),
        Tok::Punct(c) => format!("`{c}`"),
        Tok::End => "the end of the program".into(),
    }
}

/// A set of distinct ascending digits, e.g. `058`.
fn parse_color_set(w: &str) -> Option<u16> {
    let mut set = 0u16;
    let mut last = -1i32;
    for b in w.bytes() {
        if !b.is_ascii_digit() || (b - b'0') as i32 <= last {
            return None;
        }
        last = (b - b'0') as i32;
        set |= 1 << last;
    }
    (!w.is_empty()).then_some(set)
}

/// Parses one op, `name arg...`.
pub fn parse_op(text: &str) -> Result<Op, String> {
    let words: Vec<&str> = text.split_whitespace().collect();
    if words.is_empty() {
        return Err("empty op between bars".into());
    }
    parse_words(&words)
}

fn parse_words(words: &[&str]) -> Result<Op, String> {
    let name = words[0];
    let Some(code) = OpCode::from_name(name) else {
        return Err(format!("unknown op {}{}", quote(name), suggest(name)));
    };
    let spec = code.spec();
    let args = &words[1..];
    if args.len() != spec.args.len() {
        let got = if words.len() > 16 {
            "more".to_string()
        } else {
            args.len().to_string()
        };
        return Err(format!(
            "{} takes {} argument{} ({}), got {got}",
            spec.name,
            spec.args.len(),
            if spec.args.len() == 1 { "" } else { "s" },
            usage(code),
        ));
    }
    let mut op = Op::new(code, &[]);
    for (k, (&word, a)) in args.iter().zip(spec.args).enumerate() {
        let bad = |what: String| format!("argument {} of {}: {}", k + 1, spec.name, what);
        match a.kind {
            ArgKind::Int { min, max } => {
                let v = parse_int(word)
                    .ok_or_else(|| bad(format!("{} is not an integer", quote(word))))?;
                if v < min as i64 || v > max as i64 {
                    // Digits and signs only: a short prefix of long ones.
                    let shown = crate::text::quote(word);
                    return Err(bad(format!("{shown} is out of range {min}..={max}")));
                }
                op.args[k] = v as i32;
            }
            ArgKind::Color => {
                op.args[k] = parse_color(word).ok_or_else(|| {
                    bad(format!(
                        "{} is not a color (a digit 0..=9, {})",
                        quote(word),
                        color::TOKENS.join(", ")
                    ))
                })?;
            }
            ArgKind::Choice(c) => {
                op.args[k] = c.index_of(word).ok_or_else(|| {
                    bad(format!(
                        "{} is not {} ({})",
                        quote(word),
                        c.what,
                        c.names.join(", ")
                    ))
                })?;
            }
            ArgKind::ColorMap => {
                let digits = word.as_bytes();
                if digits.len() != 10 || !digits.iter().all(|d| d.is_ascii_digit()) {
                    return Err(bad(format!("{} is not ten digits", quote(word))));
                }
                let mut m = [0u8; 10];
                for (d, b) in m.iter_mut().zip(digits) {
                    *d = b - b'0';
                }
                let (lo, hi) = pack_map(&m);
                op.args[0] = lo as i32;
                op.args[1] = hi as i32;
            }
        }
    }
    check_relations(&op).map_err(|m| {
        let k = if matches!(code, OpCode::SplitH | OpCode::SplitV) {
            2
        } else {
            1
        };
        format!("argument {k} of {}: {m}", spec.name)
    })?;
    Ok(op)
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
        _ => color::TOKENS
            .iter()
            .position(|&t| t == word)
            .map(|i| i as i32 + color::BG),
    }
}

/// "Did you mean": the closest op name within edit distance 2. Names longer
/// than any op name by more than 2 cannot be that close, so long tokens
/// cost nothing.
fn suggest(name: &str) -> String {
    let longest = OPS.iter().map(|s| s.name.len()).max().unwrap_or(0);
    if name.len() > longest + 2 {
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

/// A short description of an op's arguments, e.g. `1..=10 1..=10`.
pub fn usage(code: OpCode) -> String {
    let spec = code.spec();
    if spec.args.is_empty() {
        return "none".into();
    }
    spec.args
        .iter()
        .map(|a| match a.kind {
            ArgKind::Choice(c) if c == Transform::CHOICE => "transform".to_string(),
            k => k.usage(),
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// Writes one argument in text form.
/// Writes an integer argument with one `write_str` (what `write!(f, "{v}")`
/// writes, without the formatting machinery: a program's text is mostly
/// small numbers, and `score` writes one per row).
fn write_int(f: &mut fmt::Formatter<'_>, v: i32) -> fmt::Result {
    if v < 0 {
        f.write_str("-")?;
    }
    f.write_str(crate::text::decimal(
        u64::from(v.unsigned_abs()),
        &mut [0; 20],
    ))
}

fn write_arg(f: &mut fmt::Formatter<'_>, kind: ArgKind, op: &Op, k: usize) -> fmt::Result {
    let v = op.args[k];
    match kind {
        ArgKind::Int { .. } => write_int(f, v),
        ArgKind::Color => {
            if v < color::BG {
                write_int(f, v)
            } else {
                f.write_str(color::TOKENS[(v - color::BG) as usize])
            }
        }
        ArgKind::Choice(c) => f.write_str(c.names[v as usize]),
        ArgKind::ColorMap => {
            for d in op.color_map() {
                write_int(f, i32::from(d))?;
            }
            Ok(())
        }
    }
}

impl fmt::Display for Op {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let spec = self.code.spec();
        f.write_str(spec.name)?;
        for (k, a) in spec.args.iter().enumerate() {
            f.write_str(" ")?;
            write_arg(f, a.kind, self, k)?;
        }
        Ok(())
    }
}

fn write_ops(f: &mut fmt::Formatter<'_>, ops: &[Op]) -> fmt::Result {
    for (i, op) in ops.iter().enumerate() {
        if i > 0 {
            f.write_str(" | ")?;
        }
        fmt::Display::fmt(op, f)?;
    }
    Ok(())
}

impl fmt::Display for Program {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(n) = &self.norm {
            f.write_str("norm ")?;
            for c in n.fixed_colors() {
                write!(f, "{c}")?;
            }
            if n.fixed != 0 {
                f.write_str(" ")?;
            }
            f.write_str("{ ")?;
        }
        write_ops(f, &self.prefix)?;
        if !self.layers.is_empty() {
            if !self.prefix.is_empty() {
                f.write_str(" | ")?;
            }
            f.write_str("overlay { ")?;
            for (i, l) in self.layers.iter().enumerate() {
                if i > 0 {
                    f.write_str(" ; ")?;
                }
                write!(f, "[{}]", l.mask.name())?;
                if !l.ops.is_empty() {
                    f.write_str(" ")?;
                    write_ops(f, &l.ops)?;
                }
            }
            f.write_str(" }")?;
            if !self.suffix.is_empty() {
                f.write_str(" | ")?;
                write_ops(f, &self.suffix)?;
            }
        }
        if self.norm.is_some() {
            if !self.prefix.is_empty() || !self.layers.is_empty() {
                f.write_str(" ")?;
            }
            f.write_str("}")?;
        }
        Ok(())
    }
}

/// Every op name (for help texts).
pub fn op_names() -> impl Iterator<Item = &'static str> {
    OPS.iter().map(|s| s.name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_of_ascii_bytes_equal_those_of_the_text() {
        let mut rng = crate::rng::Rng::new(41);
        let pieces = [
            "a", "rot90", "12", " ", "\t", "\n", "\r", "\u{0b}", "\u{0c}", "|", "{", "}", ";", "[",
            "]", "\u{85}", "\u{a0}", "\u{2003}", "é", "x1", "-3",
        ];
        for _ in 0..3000 {
            let text: String = (0..rng.below(12))
                .map(|_| pieces[rng.below(pieces.len())])
                .collect();
            let mut p = Parser::new(&text);
            loop {
                let (fast, slow) = (p.peek(), p.peek_text());
                assert_eq!(fast, slow, "{text:?} at {}", p.pos);
                if fast.0 == Tok::End {
                    break;
                }
                p.pos = fast.1;
            }
        }
    }

    #[test]
    fn integers_are_written_as_format_writes_them() {
        struct Int(i32);
        impl fmt::Display for Int {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write_int(f, self.0)
            }
        }
        let mut values = vec![0, 1, -1, 9, 10, -10, 99, 100, i32::MAX, i32::MIN];
        values.extend((-300..300).map(|k| k * 7919));
        for v in values {
            assert_eq!(Int(v).to_string(), v.to_string());
        }
    }

    #[test]
    fn parse_and_print() {
        let p = Program::parse("  crop_bbox 0|upscale +2   02 |recolor bg lc ").unwrap();
        assert_eq!(p.to_string(), "crop_bbox 0 | upscale 2 2 | recolor bg lc");
        assert_eq!(p.len(), 3);
        let m = Program::parse("map 9876543210").unwrap();
        assert_eq!(m.prefix()[0].color_map(), [9, 8, 7, 6, 5, 4, 3, 2, 1, 0]);
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
    fn constructs_parse_and_print() {
        let cases = [
            "overlay { [nz] rot90 ; [all] }",
            "norm { overlay { [nz] flip_h | recolor 1 2 ; [z] trim ; [all] } }",
            "norm 58 { rot90 }",
            "norm { }",
            "transpose | overlay { [all] } | transpose",
            "norm 0 { transpose | overlay { [nz] rot90 ; [all] } | crop_bbox 0 }",
        ];
        for c in cases {
            let p = Program::parse(c).unwrap_or_else(|e| panic!("{c}: {e}"));
            assert_eq!(p.to_string(), c);
            assert_eq!(Program::parse(&p.to_string()).unwrap(), p);
        }
        let p = Program::parse("norm{overlay{[nz]rot90|flip_h;[all]}|trim}").unwrap();
        assert_eq!(
            p.to_string(),
            "norm { overlay { [nz] rot90 | flip_h ; [all] } | trim }"
        );
        // norm (1) + layers (1 + 2, 1 + 0) + suffix (1).
        assert_eq!(p.len(), 6);
        assert!(!p.is_pipeline());
        assert_eq!(p.norm().unwrap().fixed, 0);
    }

    #[test]
    fn construct_errors() {
        let e = |s: &str| Program::parse(s).unwrap_err().to_string();
        assert!(e("overlay { [nz] overlay { [all] } }").contains("do not nest"));
        assert!(e("overlay { [all] } | overlay { [all] }").contains("at most one overlay"));
        assert!(e("rot90 | norm { }").contains("whole program"));
        assert!(e("norm { rot90").contains("expected `}`"));
        assert!(e("norm 55 { }").contains("not a set of fixed colors"));
        assert!(e("overlay { [xx] }").contains("not a layer mask"));
        assert!(e("overlay { nz }").contains("expected `[`"));
        assert!(e("overlay { [nz] rot90 ").contains("the end of the program"));
        assert!(e("norm { } rot90").contains("after the closing brace"));
        assert!(e("rot90 }").contains("unexpected `}`"));
        let many = ["[all]"; MAX_LAYERS + 1].join(" ; ");
        assert!(e(&format!("overlay {{ {many} }}")).contains("layers"));
    }

    #[test]
    fn sigma_ranks_by_frequency_and_keeps_fixed_colors() {
        // Counts: 7 x4, 3 x2, 5 x1.
        let g = Grid::from_rows(&[vec![7, 7, 7, 7], vec![3, 3, 5, 7]]).unwrap();
        let s = Norm { fixed: 0 }.sigma(&g);
        assert_eq!((s[7], s[3], s[5]), (0, 1, 2));
        // Absent colors fill the rest in order: 0 1 2 4 6 8 9 -> 3 4 5 6 7 8 9.
        assert_eq!((s[0], s[1], s[2], s[4], s[9]), (3, 4, 5, 6, 9));
        // 3 fixed: 7 -> 0, 5 -> 1, and 3 stays.
        let s = Norm { fixed: 1 << 3 }.sigma(&g);
        assert_eq!((s[7], s[5], s[3]), (0, 1, 3));
        let mut seen = [false; 10];
        for &t in &s {
            assert!(!seen[t as usize]);
            seen[t as usize] = true;
        }
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
        // Long tokens are quoted by a short prefix only.
        let long = "x".repeat(100_000);
        let m = e(&long);
        assert!(m.len() < 200, "{m}");
        assert!(m.contains('…'), "{m}");
        // Control characters are escaped.
        assert!(!e("\u{1b}[2J").contains('\u{1b}'));
    }
}

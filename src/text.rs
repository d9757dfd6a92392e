//! Text from users, made safe to show: control characters escaped, invalid
//! UTF-8 spelled out, long tokens cut to a short prefix.
//!
//! Every human-readable output (tables, `show`, messages on stderr) goes
//! through [`escape`], so an id or a file name cannot move the cursor,
//! retitle or clear a terminal. JSON output is escaped by the JSON writer
//! instead.

use std::borrow::Cow;
use std::fmt::Write;

/// Most characters of a user's token quoted in a message.
pub const QUOTE_CHARS: usize = 32;

/// Whether `c` must not reach a terminal as is: C0 and C1 controls, DEL,
/// and the Unicode format characters that reorder or hide text (bidi
/// overrides and isolates, zero-width marks, the byte order mark).
pub fn is_unsafe(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{200b}'..='\u{200f}'
                | '\u{2028}'..='\u{202e}'
                | '\u{2060}'..='\u{2069}'
                | '\u{feff}'
        )
}

/// `s` with every unsafe character written as an escape (`\n`, `\r`, `\t`,
/// `\e` for ESC, `\u{..}` otherwise). Borrowed when nothing needed escaping.
pub fn escape(s: &str) -> Cow<'_, str> {
    if !s.chars().any(is_unsafe) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        push_escaped(&mut out, c);
    }
    Cow::Owned(out)
}

fn push_escaped(out: &mut String, c: char) {
    match c {
        '\n' => out.push_str("\\n"),
        '\r' => out.push_str("\\r"),
        '\t' => out.push_str("\\t"),
        '\u{1b}' => out.push_str("\\e"),
        c if is_unsafe(c) => {
            let _ = write!(out, "\\u{{{:x}}}", c as u32);
        }
        c => out.push(c),
    }
}

/// At most `max` characters of `s`, escaped, with `…` when it was cut:
/// how a message quotes a user's token, whatever its length.
pub fn prefix(s: &str, max: usize) -> String {
    let mut out = String::new();
    let mut chars = s.chars();
    for c in chars.by_ref().take(max) {
        push_escaped(&mut out, c);
    }
    if chars.next().is_some() {
        out.push('…');
    }
    out
}

/// [`prefix`] with the default length ([`QUOTE_CHARS`]).
pub fn quote(s: &str) -> String {
    prefix(s, QUOTE_CHARS)
}

/// Bytes as text: valid UTF-8 is kept, each invalid byte is written `\xHH`
/// (so distinct byte strings stay distinct and nothing is silently
/// replaced). Borrowed when the bytes are valid UTF-8.
pub fn from_utf8_escaped(bytes: &[u8]) -> Cow<'_, str> {
    match std::str::from_utf8(bytes) {
        Ok(s) => Cow::Borrowed(s),
        Err(_) => {
            let mut out = String::with_capacity(bytes.len() + 8);
            for chunk in bytes.utf8_chunks() {
                out.push_str(chunk.valid());
                for b in chunk.invalid() {
                    let _ = write!(out, "\\x{b:02x}");
                }
            }
            Cow::Owned(out)
        }
    }
}

/// A path as text for messages and ids: invalid UTF-8 escaped (see
/// [`from_utf8_escaped`]).
pub fn os_str(s: &std::ffi::OsStr) -> String {
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStrExt;
        from_utf8_escaped(s.as_bytes()).into_owned()
    }
    #[cfg(not(unix))]
    {
        s.to_string_lossy().into_owned()
    }
}

/// The UTF-8 byte order mark.
pub const BOM: &[u8] = b"\xef\xbb\xbf";

/// `bytes` without a leading UTF-8 byte order mark.
pub fn strip_bom(bytes: &[u8]) -> &[u8] {
    bytes.strip_prefix(BOM).unwrap_or(bytes)
}

/// `v` in decimal, in `buf` (what `v.to_string()` gives, without the
/// formatting machinery: program texts and `score`'s rows are mostly small
/// numbers).
pub fn decimal(mut v: u64, buf: &mut [u8; 20]) -> &str {
    let mut at = buf.len();
    loop {
        at -= 1;
        buf[at] = b'0' + (v % 10) as u8;
        v /= 10;
        if v == 0 {
            break;
        }
    }
    std::str::from_utf8(&buf[at..]).expect("ASCII digits")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_controls_and_bidi() {
        assert_eq!(escape("plain id"), "plain id");
        assert!(matches!(escape("plain"), Cow::Borrowed(_)));
        assert_eq!(
            escape("a\u{1b}]0;owned\u{7}b\nc\r\t"),
            "a\\e]0;owned\\u{7}b\\nc\\r\\t"
        );
        assert_eq!(escape("x\u{202e}y\u{9b}z"), "x\\u{202e}y\\u{9b}z");
        assert_eq!(escape("\u{feff}id"), "\\u{feff}id");
        assert_eq!(escape("héllo ✓"), "héllo ✓");
    }

    #[test]
    fn prefix_is_short_and_escaped() {
        assert_eq!(prefix("abc", 5), "abc");
        assert_eq!(prefix("abcdef", 3), "abc…");
        assert_eq!(prefix("a\u{1b}c", 2), "a\\e…");
        let long = "x".repeat(1_000_000);
        assert_eq!(quote(&long).chars().count(), QUOTE_CHARS + 1);
    }

    #[test]
    fn invalid_utf8_is_spelled_out() {
        assert_eq!(from_utf8_escaped(b"ok"), "ok");
        assert_eq!(from_utf8_escaped(b"a\xffb\xc3"), "a\\xffb\\xc3");
        assert_eq!(from_utf8_escaped("é".as_bytes()), "é");
        assert_eq!(strip_bom(b"\xef\xbb\xbfrot90"), b"rot90");
        assert_eq!(strip_bom(b"rot90"), b"rot90");
    }
}

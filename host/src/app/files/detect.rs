//! What an upload is, decided from its bytes (never from its name), and how its name may be
//! shown. Pure functions, no I/O.
//!
//! The rules:
//! - Binary formats are recognised by their signatures (the `infer` crate). A text file
//!   (valid UTF-8 without NUL bytes) is `text/plain`, whatever it contains; anything else
//!   unrecognised is `application/octet-stream`. Markup types (`text/html`, `text/xml`,
//!   `image/svg+xml`, …) are never stored, so the host never serves a document a browser
//!   would run.
//! - Refused outright: executables (ELF, PE/MZ, Mach-O, WebAssembly, Java classes, Dalvik,
//!   LLVM bitcode), scripts (`#!` interpreter lines), and HTML or SVG documents. HTML and
//!   SVG are refused rather than served as text: served as what they are they would run
//!   script in the host's origin, and served as `text/plain` the person receiving one would
//!   get its source instead of the page without being told. An explicit refusal says what
//!   to do instead (put it in an archive).
//! - Everything that decides a refusal is in the first [`HEAD_BYTES`] of the upload, so a
//!   refused upload is refused before anything is written.

use std::borrow::Cow;

use courtyard_domain::limits::MAX_FILE_NAME_CHARS;
use infer::MatcherType;
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

/// How much of an upload is looked at before anything is stored.
pub const HEAD_BYTES: usize = 8192;

pub const OCTET_STREAM: &str = "application/octet-stream";
pub const TEXT_PLAIN: &str = "text/plain";

/// Signatures of programs a computer would run. A text file may begin with the two-byte
/// ones (`MZ`, `BC`), so they count only when the bytes are not text.
const EXECUTABLES: &[&str] = &[
    "application/x-executable",
    "application/vnd.microsoft.portable-executable",
    "application/x-mach-binary",
    "application/wasm",
    "application/java",
    "application/vnd.android.dex",
    "application/vnd.android.dey",
    "application/x-llvm",
];

/// What the start of an upload says it is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// A recognised format.
    Known(&'static str),
    /// Text so far: `text/plain` if the rest is text too, else `application/octet-stream`.
    Text,
}

/// Why an upload is not accepted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refused {
    /// A program; the name of its format.
    Executable(&'static str),
    /// A script with an interpreter line (`#!/bin/sh`).
    Script,
    /// An HTML or SVG document.
    ActiveDocument,
}

/// Decides from the first bytes of an upload (`complete` when they are all of it).
pub fn classify(head: &[u8], complete: bool) -> Result<Verdict, Refused> {
    if is_script(head) {
        return Err(Refused::Script);
    }
    if is_active_document(head) {
        return Err(Refused::ActiveDocument);
    }
    let text = looks_like_text(head, complete);
    Ok(match infer::get(head) {
        Some(kind) if EXECUTABLES.contains(&kind.mime_type()) => {
            if text {
                Verdict::Text
            } else {
                return Err(Refused::Executable(executable_name(kind.mime_type())));
            }
        }
        // Markup the checks above let through (XML, for one) is shown as its source.
        Some(kind) if kind.matcher_type() == MatcherType::Text => {
            if text {
                Verdict::Text
            } else {
                Verdict::Known(OCTET_STREAM)
            }
        }
        Some(kind) => Verdict::Known(kind.mime_type()),
        None if text => Verdict::Text,
        None => Verdict::Known(OCTET_STREAM),
    })
}

fn executable_name(mime: &str) -> &'static str {
    match mime {
        "application/x-executable" => "ELF",
        "application/vnd.microsoft.portable-executable" => "Windows (PE)",
        "application/x-mach-binary" => "Mach-O",
        "application/wasm" => "WebAssembly",
        "application/java" => "Java class",
        "application/vnd.android.dex" | "application/vnd.android.dey" => "Android (Dalvik)",
        _ => "LLVM bitcode",
    }
}

fn strip_bom(buf: &[u8]) -> &[u8] {
    buf.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(buf)
}

/// `#!` followed (after optional blanks) by an interpreter's absolute path. Rust's `#![…]`
/// is not one.
fn is_script(head: &[u8]) -> bool {
    let Some(rest) = strip_bom(head).strip_prefix(b"#!") else {
        return false;
    };
    rest.iter()
        .find(|b| !matches!(b, b' ' | b'\t'))
        .is_some_and(|b| *b == b'/')
}

/// Markup that is an HTML or SVG document: it starts with a tag, and declares an HTML or SVG
/// root (or namespace) in its first bytes, or opens with a script or frame. Text that only
/// mentions tags, XML of other kinds and Markdown with inline HTML are not documents.
fn is_active_document(head: &[u8]) -> bool {
    let trimmed = strip_bom(head).trim_ascii_start();
    if !trimmed.starts_with(b"<") {
        return false;
    }
    let lower = trimmed.to_ascii_lowercase();
    const FIRST_TAGS: &[&[u8]] = &[b"<script", b"<iframe"];
    const TAGS: &[&[u8]] = &[b"<!doctype html", b"<html", b"<svg"];
    const NAMESPACES: &[&[u8]] = &[
        b"http://www.w3.org/1999/xhtml",
        b"http://www.w3.org/2000/svg",
    ];
    let tag_at = |at: usize, tag: &[u8]| {
        lower[at..].starts_with(tag)
            && lower
                .get(at + tag.len())
                .is_none_or(|b| b.is_ascii_whitespace() || matches!(b, b'>' | b'/'))
    };
    FIRST_TAGS.iter().any(|t| tag_at(0, t))
        || (0..lower.len()).any(|i| lower[i] == b'<' && TAGS.iter().any(|t| tag_at(i, t)))
        || NAMESPACES
            .iter()
            .any(|n| lower.windows(n.len()).any(|w| w == *n))
}

/// Valid UTF-8 without NUL bytes; an unfinished character at the end of an incomplete head
/// does not count against it.
fn looks_like_text(head: &[u8], complete: bool) -> bool {
    if head.contains(&0) {
        return false;
    }
    match std::str::from_utf8(head) {
        Ok(_) => true,
        Err(e) => !complete && e.error_len().is_none(),
    }
}

/// Whether a whole upload, fed in chunks, is text: valid UTF-8 and no NUL bytes.
#[derive(Debug)]
pub struct TextCheck {
    text: bool,
    /// The start of a character split across chunks (at most three bytes).
    carry: Vec<u8>,
}

impl Default for TextCheck {
    fn default() -> Self {
        Self {
            text: true,
            carry: Vec::new(),
        }
    }
}

impl TextCheck {
    pub fn feed(&mut self, chunk: &[u8]) {
        if !self.text {
            return;
        }
        if chunk.contains(&0) {
            self.text = false;
            return;
        }
        let data: Cow<'_, [u8]> = if self.carry.is_empty() {
            Cow::Borrowed(chunk)
        } else {
            Cow::Owned([self.carry.as_slice(), chunk].concat())
        };
        match std::str::from_utf8(&data) {
            Ok(_) => self.carry.clear(),
            Err(e) if e.error_len().is_none() => self.carry = data[e.valid_up_to()..].to_vec(),
            Err(_) => self.text = false,
        }
    }

    /// The verdict once every chunk was fed.
    pub fn is_text(&self) -> bool {
        self.text && self.carry.is_empty()
    }
}

/// The content type stored for an upload: the verdict on its head, settled by its whole.
pub fn settle(verdict: Verdict, text: &TextCheck) -> &'static str {
    match verdict {
        Verdict::Known(mime) => mime,
        Verdict::Text if text.is_text() => TEXT_PLAIN,
        Verdict::Text => OCTET_STREAM,
    }
}

/// Invisible characters that reorder or hide text: a name with a right-to-left override
/// (U+202E) before `fdp.exe` shows `invoice<RLO>fdp.exe` as `invoiceexe.pdf`.
fn is_invisible(c: char) -> bool {
    matches!(c,
        '\u{061C}' | '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{2064}'
        | '\u{2066}'..='\u{2069}' | '\u{FEFF}')
}

/// The name a file is shown and downloaded under: the last path segment of what the client
/// sent, without control or invisible characters, trimmed, at most
/// [`MAX_FILE_NAME_CHARS`] characters (the extension is kept when shortening). Never empty;
/// never used to store anything.
pub fn clean_name(raw: &str) -> String {
    let last = raw.rsplit(['/', '\\']).next().unwrap_or_default();
    let cleaned: String = last
        .chars()
        .filter(|c| !c.is_control() && !is_invisible(*c))
        .map(|c| if c.is_whitespace() { ' ' } else { c })
        .collect();
    let trimmed = cleaned.trim().trim_end_matches(['.', ' ']);
    if trimmed.chars().all(|c| c == '.') {
        return "file".to_owned();
    }
    if trimmed.chars().count() <= MAX_FILE_NAME_CHARS {
        return trimmed.to_owned();
    }
    match trimmed.rsplit_once('.') {
        Some((stem, ext)) if !stem.is_empty() && !ext.is_empty() && ext.chars().count() <= 16 => {
            let keep = MAX_FILE_NAME_CHARS - 1 - ext.chars().count();
            let stem: String = stem.chars().take(keep).collect();
            format!("{}.{ext}", stem.trim_end())
        }
        _ => trimmed.chars().take(MAX_FILE_NAME_CHARS).collect(),
    }
}

/// Types a browser may show in place: pictures, PDFs and plain text. Everything else is
/// downloaded.
pub fn shown_inline(content_type: &str) -> bool {
    content_type.starts_with("image/")
        || content_type == "application/pdf"
        || content_type == TEXT_PLAIN
}

/// RFC 5987 `attr-char`s; everything else in `filename*` is percent-encoded.
const ATTR_CHAR: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'!')
    .remove(b'#')
    .remove(b'$')
    .remove(b'&')
    .remove(b'+')
    .remove(b'-')
    .remove(b'.')
    .remove(b'^')
    .remove(b'_')
    .remove(b'`')
    .remove(b'|')
    .remove(b'~');

/// A `Content-Disposition` value (RFC 6266): a plain `filename` every client understands,
/// and for names that are not plain ASCII, `filename*` with the exact UTF-8 name
/// (RFC 5987), which current browsers prefer.
pub fn content_disposition(name: &str, inline: bool) -> String {
    let kind = if inline { "inline" } else { "attachment" };
    let fallback: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_graphic() && !matches!(c, '"' | '\\' | '%') || c == ' ' {
                c
            } else {
                '_'
            }
        })
        .collect();
    if fallback == name {
        format!("{kind}; filename=\"{name}\"")
    } else {
        let exact = utf8_percent_encode(name, ATTR_CHAR);
        format!("{kind}; filename=\"{fallback}\"; filename*=UTF-8''{exact}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PNG: &[u8] =
        b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x06\0\0\0\x1f\x15\xc4\x89";

    fn elf() -> Vec<u8> {
        let mut v = b"\x7fELF\x02\x01\x01\0".to_vec();
        v.resize(128, 0);
        v
    }

    #[test]
    fn formats_are_known_by_content() {
        assert_eq!(classify(PNG, true), Ok(Verdict::Known("image/png")));
        assert_eq!(
            classify(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n", false),
            Ok(Verdict::Known("application/pdf"))
        );
        assert_eq!(classify("报销单\n".as_bytes(), true), Ok(Verdict::Text));
        assert_eq!(
            classify(b"\x01\x02\x03\xff", true),
            Ok(Verdict::Known(OCTET_STREAM))
        );
        // XML is shown as its source, never as markup.
        assert_eq!(
            classify(b"<?xml version=\"1.0\"?><project/>", true),
            Ok(Verdict::Text)
        );
    }

    #[test]
    fn programs_and_scripts_are_refused() {
        assert_eq!(classify(&elf(), true), Err(Refused::Executable("ELF")));
        let mut pe = b"MZ\x90\0\x03\0\0\0\x04\0\0\0\xff\xff\0\0".to_vec();
        pe.resize(256, 0);
        assert_eq!(
            classify(&pe, true),
            Err(Refused::Executable("Windows (PE)"))
        );
        assert_eq!(
            classify(b"\xcf\xfa\xed\xfe\x07\0\0\x01\x03\0\0\0", true),
            Err(Refused::Executable("Mach-O"))
        );
        assert_eq!(
            classify(b"\0asm\x01\0\0\0", true),
            Err(Refused::Executable("WebAssembly"))
        );
        assert_eq!(
            classify(b"#!/bin/sh\nrm -rf /\n", true),
            Err(Refused::Script)
        );
        assert_eq!(
            classify(b"\xEF\xBB\xBF#! /usr/bin/env python3\n", true),
            Err(Refused::Script)
        );
        // Text that merely starts like a weak signature, or like Rust, is text.
        assert_eq!(classify(b"MZ notes\n", true), Ok(Verdict::Text));
        assert_eq!(classify(b"BC Ferries\n", true), Ok(Verdict::Text));
        assert_eq!(
            classify(b"#![forbid(unsafe_code)]\nfn main() {}\n", true),
            Ok(Verdict::Text)
        );
    }

    #[test]
    fn html_and_svg_are_refused() {
        for doc in [
            &b"<!DOCTYPE html><p>hi"[..],
            b"  <HTML><body onload=alert(1)>",
            b"\xEF\xBB\xBF<svg xmlns=\"http://www.w3.org/2000/svg\"><script>alert(1)</script></svg>",
            b"<?xml version=\"1.0\"?>\n<svg onload=\"alert(1)\"/>",
            b"<script>alert(1)</script>",
            b"<html xmlns=\"http://www.w3.org/1999/xhtml\"/>",
        ] {
            assert_eq!(classify(doc, true), Err(Refused::ActiveDocument), "{doc:?}");
        }
        // Text that mentions tags is text.
        assert_eq!(
            classify(b"Use <script> tags sparingly.", true),
            Ok(Verdict::Text)
        );
        assert_eq!(
            classify(
                b"<p align=\"center\"><img src=\"logo.png\"></p>\n# Title",
                true
            ),
            Ok(Verdict::Text)
        );
        assert_eq!(
            classify(b"<project><header/><svgRenderer/></project>", true),
            Ok(Verdict::Text)
        );
    }

    #[test]
    fn text_is_checked_across_chunks() {
        let bytes = "差旅报销单已提交".as_bytes();
        let mut check = TextCheck::default();
        // Every split point, including inside a character.
        for chunk in bytes.chunks(2) {
            check.feed(chunk);
        }
        assert!(check.is_text());
        assert_eq!(settle(Verdict::Text, &check), TEXT_PLAIN);

        let mut truncated = TextCheck::default();
        truncated.feed(&bytes[..bytes.len() - 1]);
        assert!(!truncated.is_text(), "a character cut off at the end");

        let mut nul = TextCheck::default();
        nul.feed(b"abc");
        nul.feed(b"\0");
        assert_eq!(settle(Verdict::Text, &nul), OCTET_STREAM);

        let mut bad = TextCheck::default();
        bad.feed(b"ok \xff");
        assert!(!bad.is_text());
        // An unfinished head is still text; a finished one is not.
        assert!(looks_like_text(&bytes[..4], false));
        assert!(!looks_like_text(&bytes[..4], true));
    }

    #[test]
    fn names_are_cleaned() {
        assert_eq!(clean_name("../../etc/passwd"), "passwd");
        assert_eq!(clean_name("C:\\Users\\me\\report.pdf"), "report.pdf");
        assert_eq!(clean_name("a\u{0}b\r\n\u{7}c.txt"), "abc.txt");
        assert_eq!(clean_name("invoice\u{202E}fdp.exe"), "invoicefdp.exe");
        assert_eq!(clean_name("  报销单 2024.xlsx  "), "报销单 2024.xlsx");
        assert_eq!(clean_name("tab\tname.txt"), "tabname.txt");
        assert_eq!(clean_name("wide\u{3000}space.txt"), "wide space.txt");
        assert_eq!(clean_name(".."), "file");
        assert_eq!(clean_name("dir/"), "file");
        assert_eq!(clean_name(""), "file");
        assert_eq!(clean_name("name..."), "name");
        assert_eq!(clean_name(".env"), ".env");

        let long = format!("{}.pdf", "长".repeat(500));
        let cleaned = clean_name(&long);
        assert_eq!(cleaned.chars().count(), MAX_FILE_NAME_CHARS);
        assert!(cleaned.ends_with("长.pdf"));
        let no_ext = "x".repeat(300);
        assert_eq!(clean_name(&no_ext).len(), MAX_FILE_NAME_CHARS);
    }

    #[test]
    fn dispositions_carry_exact_names() {
        assert_eq!(
            content_disposition("report.pdf", true),
            "inline; filename=\"report.pdf\""
        );
        assert_eq!(
            content_disposition("报销 单.pdf", false),
            "attachment; filename=\"__ _.pdf\"; filename*=UTF-8''%E6%8A%A5%E9%94%80%20%E5%8D%95.pdf"
        );
        assert_eq!(
            content_disposition("a\"b%c.txt", true),
            "inline; filename=\"a_b_c.txt\"; filename*=UTF-8''a%22b%25c.txt"
        );
        assert!(shown_inline("image/png"));
        assert!(shown_inline(TEXT_PLAIN));
        assert!(!shown_inline(OCTET_STREAM));
        assert!(!shown_inline("application/zip"));
    }
}

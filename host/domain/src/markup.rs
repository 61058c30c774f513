//! Message markup: the small, safe syntax a message body may use, parsed into the segments
//! clients render, plus the mentions the body contains.
//!
//! A body is plain text. There is no raw HTML: `<b>hi</b>` in a body is literal text that
//! clients render escaped. The syntax:
//!
//! - `<@UUID>` mentions one person (a canonical lowercase person id; anything else stays text);
//! - `@all` at a word boundary mentions everyone (`@allison` and `mail@all` are text);
//! - `http://…` and `https://…` become links. A bare URL ends at whitespace, `<`, `>`, `"` or
//!   full-width punctuation (`。，；：！？）` …), and loses trailing `.,;:!?)'` unless a `)`
//!   balances a `(` inside it;
//! - `[text](url)` is a link with text, for http, https and mailto URLs only. Any other
//!   scheme (`javascript:`, `data:`, relative…) leaves the whole construct as literal text;
//! - `` `code` `` is inline code; a span opened by N backticks closes at the next run of
//!   exactly N, so ``` `` a ` b `` ``` can contain a backtick;
//! - a line starting with ```` ``` ```` (optionally followed by a language word) opens a code
//!   block that runs to a line of at least as many backticks, or to the end of the body.
//!
//! Nothing nests: link text and code are plain. Whatever does not match stays literal text.
//!
//! Parsing takes time linear in the body: each scan either consumes what it read, or stops
//! before the next place a scan of the same kind could start, so adversarial bodies (16 KiB
//! of `[` or of backticks) cost no more than ordinary ones.

use std::collections::{HashMap, HashSet};

use serde::{Deserialize, Serialize};

use crate::ids::PersonId;
use crate::limits::MAX_MESSAGE_BYTES;

/// One piece of a parsed body. Clients render the segments in order.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Segment {
    /// Literal text, rendered escaped. Line breaks are kept as written (`\n` or `\r\n`),
    /// including those before and after a code block.
    Text { text: String },
    /// `<@UUID>`: a mention of one person.
    Mention { person_id: PersonId },
    /// `@all`: a mention of everyone in the group.
    MentionAll,
    /// A link. `text` is `None` for a bare URL, which clients show as the URL itself.
    Link { url: String, text: Option<String> },
    /// Inline code, shown verbatim.
    Code { code: String },
    /// A fenced code block, shown verbatim; `lang` is only a hint for highlighting.
    CodeBlock { lang: Option<String>, code: String },
}

/// A parsed body.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Parsed {
    /// The body, in order. Never two [`Segment::Text`] in a row, never an empty one.
    pub segments: Vec<Segment>,
    /// The people mentioned, each once, in the order first mentioned.
    pub mentions: Vec<PersonId>,
    /// Whether the body contains `@all`.
    pub mentions_all: bool,
}

/// Why a body was refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum MarkupError {
    #[error("message body is empty")]
    Empty,
    #[error("message body is longer than {max_bytes} bytes")]
    TooLong { max_bytes: usize },
    #[error("message body contains a control or bidirectional-override character")]
    ControlCharacter,
}

/// Validates `body` and parses it into segments and mentions.
///
/// Refused: a body that is empty or only blank characters ([`MarkupError::Empty`]), longer
/// than [`MAX_MESSAGE_BYTES`] ([`MarkupError::TooLong`]), or containing a control character
/// other than `\n`, `\t`, `\r`, or a bidirectional embedding, override or isolate
/// ([`MarkupError::ControlCharacter`]).
pub fn parse(body: &str) -> Result<Parsed, MarkupError> {
    validate(body)?;
    let mut segments = Vec::new();
    parse_blocks(body, &mut segments);
    let (mentions, mentions_all) = collect_mentions(&segments);
    Ok(Parsed {
        segments,
        mentions,
        mentions_all,
    })
}

/// Plain-text rendering for notifications and search: mentions as `@<id>` and `@all`, links
/// as their text (or URL when they have none), code verbatim.
pub fn plain_text(segments: &[Segment]) -> String {
    let mut out = String::new();
    for segment in segments {
        match segment {
            Segment::Text { text } => out.push_str(text),
            Segment::Mention { person_id } => {
                out.push('@');
                out.push_str(person_id.as_str());
            }
            Segment::MentionAll => out.push_str("@all"),
            Segment::Link { url, text } => out.push_str(text.as_deref().unwrap_or(url)),
            Segment::Code { code } | Segment::CodeBlock { code, .. } => out.push_str(code),
        }
    }
    out
}

// ---------------------------------------------------------------------------------------
// Validation

fn validate(body: &str) -> Result<(), MarkupError> {
    // Size first: it costs nothing and bounds every later scan.
    if body.len() > MAX_MESSAGE_BYTES {
        return Err(MarkupError::TooLong {
            max_bytes: MAX_MESSAGE_BYTES,
        });
    }
    if body.chars().all(is_blank) {
        return Err(MarkupError::Empty);
    }
    if body.chars().any(is_forbidden) {
        return Err(MarkupError::ControlCharacter);
    }
    Ok(())
}

/// Whitespace, and the zero-width characters that render as nothing: a body made only of
/// them would show as an empty message.
fn is_blank(c: char) -> bool {
    c.is_whitespace() || matches!(c, '\u{200B}'..='\u{200D}' | '\u{2060}' | '\u{FEFF}')
}

fn is_forbidden(c: char) -> bool {
    let control = c.is_control() && !matches!(c, '\n' | '\t' | '\r');
    // Embeddings and overrides (U+202A–U+202E) and isolates (U+2066–U+2069) reorder how the
    // text around them displays, which is how links and file names are disguised.
    let bidi = matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}');
    control || bidi
}

// ---------------------------------------------------------------------------------------
// Code blocks: a line-by-line pass that hands the text between blocks to the inline parser.

/// An opening code fence: its number of backticks and its language hint.
struct Fence {
    ticks: usize,
    lang: Option<String>,
}

fn parse_blocks(body: &str, out: &mut Vec<Segment>) {
    let mut text_start = 0;
    let mut line_start = 0;
    while line_start < body.len() {
        let next_line = line_end(body, line_start);
        match opening_fence(&body[line_start..next_line]) {
            Some(fence) => {
                parse_inline(&body[text_start..line_start], out);
                let (block, resume) = read_code_block(body, next_line, fence);
                out.push(block);
                text_start = resume;
                line_start = resume;
            }
            None => line_start = next_line,
        }
    }
    parse_inline(&body[text_start..], out);
}

/// Reads a code block whose content starts at `start`. Returns the block and where the text
/// after it resumes: at the closing fence's line break, which stays with the following text
/// so that [`plain_text`] keeps the block on lines of its own.
fn read_code_block(body: &str, start: usize, fence: Fence) -> (Segment, usize) {
    let mut line_start = start;
    while line_start < body.len() {
        let next_line = line_end(body, line_start);
        let line = &body[line_start..next_line];
        if is_closing_fence(line, fence.ticks) {
            let code = strip_line_break(&body[start..line_start]);
            let resume = line_start + line.trim_end_matches(['\n', '\r']).len();
            return (code_block(fence.lang, code), resume);
        }
        line_start = next_line;
    }
    // Unclosed: the block runs to the end, as it looks while it is still being typed.
    let code = strip_line_break(&body[start..]);
    (code_block(fence.lang, code), body.len())
}

fn code_block(lang: Option<String>, code: &str) -> Segment {
    Segment::CodeBlock {
        lang,
        code: code.to_owned(),
    }
}

/// Index just past the `\n` ending the line that starts at `start`, or the end of `body`.
fn line_end(body: &str, start: usize) -> usize {
    body[start..]
        .find('\n')
        .map_or(body.len(), |i| start + i + 1)
}

/// `line` without its line break and trailing spaces or tabs.
fn trim_line(line: &str) -> &str {
    line.trim_end_matches(['\n', '\r', ' ', '\t'])
}

fn strip_line_break(s: &str) -> &str {
    match s.strip_suffix('\n') {
        Some(s) => s.strip_suffix('\r').unwrap_or(s),
        None => s,
    }
}

fn opening_fence(line: &str) -> Option<Fence> {
    let line = trim_line(line);
    let ticks = leading_backticks(line);
    if ticks < 3 {
        return None;
    }
    let info = line[ticks..].trim_start_matches([' ', '\t']);
    if info.is_empty() {
        return Some(Fence { ticks, lang: None });
    }
    // Anything else after the backticks (```` ```x``` ````, prose) is not a fence; the line
    // is inline text instead.
    is_lang_word(info).then(|| Fence {
        ticks,
        lang: Some(info.to_owned()),
    })
}

/// A closing fence is only backticks, at least as many as opened the block, so a block
/// opened with four can show a line of three.
fn is_closing_fence(line: &str, ticks: usize) -> bool {
    let line = trim_line(line);
    let n = leading_backticks(line);
    n >= ticks && n == line.len()
}

fn is_lang_word(s: &str) -> bool {
    (1..=32).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'+' | b'-'))
}

fn leading_backticks(s: &str) -> usize {
    s.bytes().take_while(|&b| b == b'`').count()
}

// ---------------------------------------------------------------------------------------
// Inline markup

/// What a construct found at the current position amounts to.
enum Step {
    /// Emit the segment; parsing resumes at the offset.
    Segment(Segment, usize),
    /// Everything up to the offset is literal text and must not be scanned again.
    Literal(usize),
}

fn parse_inline(src: &str, out: &mut Vec<Segment>) {
    let ticks = TickRuns::new(src);
    let bytes = src.as_bytes();
    let mut text_start = 0;
    let mut pos = 0;
    while pos < bytes.len() {
        let step = match bytes[pos] {
            b'<' => mention_at(src, pos),
            b'@' => mention_all_at(src, pos),
            b'h' | b'H' => bare_url_at(src, pos),
            b'[' => bracket_link_at(src, pos),
            b'`' => Some(code_span_at(src, pos, &ticks)),
            _ => None,
        };
        match step {
            // Every construct starts with an ASCII byte, and UTF-8 continuation bytes never
            // look like one, so stepping byte by byte only stops on character boundaries.
            None => pos += 1,
            Some(Step::Literal(end)) => pos = end,
            Some(Step::Segment(segment, end)) => {
                push_text(out, &src[text_start..pos]);
                out.push(segment);
                pos = end;
                text_start = end;
            }
        }
    }
    push_text(out, &src[text_start..]);
}

/// Appends literal text, merging it into a preceding text segment and dropping it if empty.
fn push_text(out: &mut Vec<Segment>, text: &str) {
    if text.is_empty() {
        return;
    }
    match out.last_mut() {
        Some(Segment::Text { text: last }) => last.push_str(text),
        _ => out.push(Segment::Text {
            text: text.to_owned(),
        }),
    }
}

// --- Mentions

/// Length of a hyphenated UUID.
const UUID_LEN: usize = 36;

/// `<@UUID>`
fn mention_at(src: &str, pos: usize) -> Option<Step> {
    let rest = src[pos..].strip_prefix("<@")?;
    // `get`, not indexing: byte 36 may fall inside a multi-byte character.
    let id = rest.get(..UUID_LEN)?;
    if !rest[UUID_LEN..].starts_with('>') {
        return None;
    }
    let person_id = PersonId::parse(id)?;
    let end = pos + "<@".len() + UUID_LEN + ">".len();
    Some(Step::Segment(Segment::Mention { person_id }, end))
}

/// `@all`, unless glued to a word on either side.
fn mention_all_at(src: &str, pos: usize) -> Option<Step> {
    if !src[pos..].starts_with("@all") {
        return None;
    }
    let end = pos + "@all".len();
    let free_before = src[..pos]
        .chars()
        .next_back()
        .is_none_or(|c| !is_word_char(c));
    let free_after = src[end..].chars().next().is_none_or(|c| !is_word_char(c));
    (free_before && free_after).then_some(Step::Segment(Segment::MentionAll, end))
}

/// Letters, digits and `_` glue `@all` to a word (`mail@all`, `@allison`). Chinese and
/// Japanese are written without spaces, so their ideographs and kana do not: `大家@all请看`
/// mentions everyone.
fn is_word_char(c: char) -> bool {
    (c.is_alphanumeric() || c == '_') && !is_spaceless_script(c)
}

fn is_spaceless_script(c: char) -> bool {
    matches!(c,
        '\u{3040}'..='\u{30FF}'     // hiragana, katakana
        | '\u{3400}'..='\u{4DBF}'   // CJK extension A
        | '\u{4E00}'..='\u{9FFF}'   // CJK unified ideographs
        | '\u{F900}'..='\u{FAFF}'   // CJK compatibility ideographs
        | '\u{20000}'..='\u{3FFFF}' // supplementary ideographic planes
    )
}

// --- Bare URLs

/// `http://…` or `https://…`, in any letter case.
fn bare_url_at(src: &str, pos: usize) -> Option<Step> {
    let rest = &src[pos..];
    let scheme = ["https://", "http://"]
        .into_iter()
        .find(|scheme| starts_with_ignore_ascii_case(rest, scheme))?;
    let url = trim_url_end(&rest[..bare_url_len(rest)]);
    // A scan that finds nothing after the scheme only read punctuation, which no other
    // bare URL can start in, so giving up here keeps the total work linear.
    if url.len() <= scheme.len() {
        return None;
    }
    let link = Segment::Link {
        url: url.to_owned(),
        text: None,
    };
    Some(Step::Segment(link, pos + url.len()))
}

fn starts_with_ignore_ascii_case(s: &str, prefix: &str) -> bool {
    s.get(..prefix.len())
        .is_some_and(|head| head.eq_ignore_ascii_case(prefix))
}

/// Length of the longest prefix of `s` that a bare URL may span.
fn bare_url_len(s: &str) -> usize {
    s.char_indices()
        .find(|&(_, c)| ends_bare_url(c))
        .map_or(s.len(), |(i, _)| i)
}

fn ends_bare_url(c: char) -> bool {
    c.is_whitespace() || matches!(c, '<' | '>' | '"') || is_full_width_punctuation(c)
}

/// Chinese text puts its punctuation right after a URL, without a space (`见https://a.cn。`),
/// so these end a bare URL wherever they appear. Other non-ASCII characters do not, so
/// internationalised paths (`https://zh.wikipedia.org/wiki/北京`) stay whole.
fn is_full_width_punctuation(c: char) -> bool {
    matches!(
        c,
        '。' | '，'
            | '；'
            | '：'
            | '！'
            | '？'
            | '（'
            | '）'
            | '、'
            | '“'
            | '”'
            | '‘'
            | '’'
            | '「'
            | '」'
            | '『'
            | '』'
            | '【'
            | '】'
            | '《'
            | '》'
            | '…'
    )
}

/// Drops the sentence punctuation that follows a URL in prose (`see https://a.com/x.`),
/// keeping a `)` that closes a `(` inside the URL (`https://en.wikipedia.org/wiki/Rust_(x)`).
fn trim_url_end(url: &str) -> &str {
    // Counted once and updated as we trim, so a URL ending in many `)` stays linear.
    let opens = url.bytes().filter(|&b| b == b'(').count();
    let mut closes = url.bytes().filter(|&b| b == b')').count();
    let mut url = url;
    while let Some(last) = url.bytes().last() {
        match last {
            b')' if closes > opens => closes -= 1,
            b'.' | b',' | b';' | b':' | b'!' | b'?' | b'\'' => {}
            _ => break,
        }
        // `last` is ASCII, so dropping one byte keeps a character boundary.
        url = &url[..url.len() - 1];
    }
    url
}

// --- [text](url)

fn bracket_link_at(src: &str, pos: usize) -> Option<Step> {
    let bytes = src.as_bytes();
    let text_start = pos + 1;
    // Link text is one line of plain text; another `[` means this one was literal.
    let text_len = src[text_start..]
        .bytes()
        .position(|b| matches!(b, b']' | b'[' | b'\n'))?;
    let text_end = text_start + text_len;
    if bytes[text_end] != b']' || bytes.get(text_end + 1) != Some(&b'(') {
        return None;
    }
    let url_start = text_end + "](".len();
    let url_end = url_start + link_url_len(&src[url_start..])?;
    let text = &src[text_start..text_end];
    let url = &src[url_start..url_end];
    let end = url_end + ")".len();
    if text.trim().is_empty() {
        return None;
    }
    if !is_allowed_link_url(url) {
        // Recognisably a link, but to somewhere we will not send people: all of it stays
        // literal, so no part of it (say an `http://` inside a `data:` URL) is linked either.
        return Some(Step::Literal(end));
    }
    let link = Segment::Link {
        url: url.to_owned(),
        text: Some(text.to_owned()),
    };
    Some(Step::Segment(link, end))
}

/// Length of the URL in `(url)`, up to its closing `)`; parentheses inside must balance.
/// `None` if a character that cannot be in the URL comes first.
fn link_url_len(s: &str) -> Option<usize> {
    let mut depth = 0usize;
    for (i, c) in s.char_indices() {
        match c {
            ')' if depth == 0 => return Some(i),
            ')' => depth -= 1,
            '(' => depth += 1,
            // Stopping at `[` keeps parsing linear: a failed link scan never runs past the
            // next place a link could start.
            '[' | ']' | '<' | '>' | '"' => return None,
            c if c.is_whitespace() => return None,
            _ => {}
        }
    }
    None
}

/// Only web and mail links: `javascript:`, `data:`, `vbscript:`, `file:` and relative
/// URLs could run code or reach local resources when clicked.
fn is_allowed_link_url(url: &str) -> bool {
    let Some((scheme, rest)) = url.split_once(':') else {
        return false;
    };
    if scheme.eq_ignore_ascii_case("http") || scheme.eq_ignore_ascii_case("https") {
        rest.strip_prefix("//").is_some_and(|host| !host.is_empty())
    } else {
        scheme.eq_ignore_ascii_case("mailto") && !rest.is_empty()
    }
}

// --- `code`

/// A code span, or the opening run of backticks as literal text if nothing closes it.
fn code_span_at(src: &str, pos: usize, runs: &TickRuns) -> Step {
    let n = leading_backticks(&src[pos..]);
    let content_start = pos + n;
    match runs.next_of_len(n, content_start) {
        Some(close) => {
            let code = trim_code_padding(&src[content_start..close]).to_owned();
            Step::Segment(Segment::Code { code }, close + n)
        }
        None => Step::Literal(content_start),
    }
}

/// As in Markdown, one space just inside each end is padding (so that `` ` `` ``` `` `` ```
/// can begin or end with a backtick) and is dropped, unless the code is only spaces.
fn trim_code_padding(code: &str) -> &str {
    match code.strip_prefix(' ').and_then(|c| c.strip_suffix(' ')) {
        Some(inner) if !code.bytes().all(|b| b == b' ') => inner,
        _ => code,
    }
}

/// Where every maximal run of backticks starts, by run length. A code span closes at the
/// next run exactly as long as the one that opened it; looking that up here instead of
/// scanning ahead keeps thousands of unclosed backticks from costing quadratic time.
struct TickRuns(HashMap<usize, Vec<usize>>);

impl TickRuns {
    fn new(src: &str) -> Self {
        let mut runs: HashMap<usize, Vec<usize>> = HashMap::new();
        let bytes = src.as_bytes();
        let mut i = 0;
        while i < bytes.len() {
            if bytes[i] == b'`' {
                let n = leading_backticks(&src[i..]);
                runs.entry(n).or_default().push(i);
                i += n;
            } else {
                i += 1;
            }
        }
        Self(runs)
    }

    /// Start of the first run of exactly `len` backticks at or after `from`.
    fn next_of_len(&self, len: usize, from: usize) -> Option<usize> {
        let starts = self.0.get(&len)?;
        starts
            .get(starts.partition_point(|&start| start < from))
            .copied()
    }
}

// ---------------------------------------------------------------------------------------
// Mentions

fn collect_mentions(segments: &[Segment]) -> (Vec<PersonId>, bool) {
    let mut seen = HashSet::new();
    let mentions = segments
        .iter()
        .filter_map(|segment| match segment {
            Segment::Mention { person_id } => Some(person_id),
            _ => None,
        })
        .filter(|&person_id| seen.insert(person_id))
        .cloned()
        .collect();
    let all = segments.contains(&Segment::MentionAll);
    (mentions, all)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const ID_A: &str = "0190f5a0-1c2d-7e3f-8a4b-5c6d7e8f9a0b";
    const ID_B: &str = "0190f5a0-1c2d-7e3f-8a4b-5c6d7e8f9a0c";

    fn segs(body: &str) -> Vec<Segment> {
        parse(body).expect("valid body").segments
    }

    fn text(s: &str) -> Segment {
        Segment::Text { text: s.into() }
    }

    fn mention(id: &str) -> Segment {
        Segment::Mention {
            person_id: PersonId::parse(id).unwrap(),
        }
    }

    fn url(u: &str) -> Segment {
        Segment::Link {
            url: u.into(),
            text: None,
        }
    }

    fn link(t: &str, u: &str) -> Segment {
        Segment::Link {
            url: u.into(),
            text: Some(t.into()),
        }
    }

    fn code(c: &str) -> Segment {
        Segment::Code { code: c.into() }
    }

    fn block(lang: Option<&str>, c: &str) -> Segment {
        Segment::CodeBlock {
            lang: lang.map(Into::into),
            code: c.into(),
        }
    }

    // --- validation

    #[test]
    fn empty_and_blank_bodies_are_refused() {
        for body in ["", " ", "\n\t\r\n", "\u{3000}", "\u{200B}\u{FEFF}"] {
            assert_eq!(parse(body), Err(MarkupError::Empty), "{body:?}");
        }
    }

    #[test]
    fn size_limit_is_in_bytes() {
        assert!(parse(&"a".repeat(MAX_MESSAGE_BYTES)).is_ok());
        assert_eq!(
            parse(&"a".repeat(MAX_MESSAGE_BYTES + 1)),
            Err(MarkupError::TooLong {
                max_bytes: MAX_MESSAGE_BYTES
            })
        );
        // 5462 × 3 bytes = 16386 bytes, although only 5462 characters.
        assert!(matches!(
            parse(&"中".repeat(5462)),
            Err(MarkupError::TooLong { .. })
        ));
    }

    #[test]
    fn control_and_bidi_characters_are_refused() {
        for c in [
            '\0', '\u{7}', '\u{8}', '\u{1b}', '\u{7f}', '\u{85}', '\u{202A}', '\u{202E}',
            '\u{2066}', '\u{2069}',
        ] {
            assert_eq!(
                parse(&format!("hi {c} there")),
                Err(MarkupError::ControlCharacter),
                "{c:?}"
            );
        }
    }

    #[test]
    fn line_breaks_tabs_and_other_format_characters_are_allowed() {
        let body = "a\tb\r\nc\nd\u{2028}e\u{200D}f\u{200E}";
        assert_eq!(segs(body), vec![text(body)]);
    }

    #[test]
    fn errors_read_as_english() {
        assert_eq!(MarkupError::Empty.to_string(), "message body is empty");
        assert_eq!(
            MarkupError::TooLong { max_bytes: 16384 }.to_string(),
            "message body is longer than 16384 bytes"
        );
    }

    // --- plain text and HTML

    #[test]
    fn plain_text_is_one_segment() {
        let parsed = parse("hello, 世界!").unwrap();
        assert_eq!(parsed.segments, vec![text("hello, 世界!")]);
        assert!(parsed.mentions.is_empty());
        assert!(!parsed.mentions_all);
    }

    #[test]
    fn html_stays_literal_text() {
        for body in [
            "<b>html</b>",
            "<script>alert(1)</script>",
            "<a href=\"javascript:x\">y</a>",
            "<img src=x onerror=alert(1)>",
        ] {
            assert_eq!(segs(body), vec![text(body)], "{body}");
        }
    }

    // --- mentions

    #[test]
    fn mention_of_a_person() {
        let body = format!("hi <@{ID_A}>!");
        let parsed = parse(&body).unwrap();
        assert_eq!(parsed.segments, vec![text("hi "), mention(ID_A), text("!")]);
        assert_eq!(parsed.mentions, vec![PersonId::parse(ID_A).unwrap()]);
    }

    #[test]
    fn mention_inside_chinese_text() {
        let body = format!("请<@{ID_A}>看一下");
        assert_eq!(segs(&body), vec![text("请"), mention(ID_A), text("看一下")]);
    }

    #[test]
    fn malformed_mentions_stay_text() {
        let upper = ID_A.to_uppercase();
        for body in [
            format!("<@{upper}>"),
            format!("<@{}>", &ID_A[..35]),
            format!("<@{ID_A}"),
            format!("<@ {ID_A}>"),
            format!("<{ID_A}>"),
            "<@not-a-uuid>".to_owned(),
            // Byte 36 after `<@` falls inside a Chinese character.
            format!("<@{}中文>", &ID_A[..35]),
            "<@中中中中中中中中中中中中>".to_owned(),
        ] {
            let parsed = parse(&body).unwrap();
            assert_eq!(parsed.segments, vec![text(&body)], "{body}");
            assert!(parsed.mentions.is_empty());
        }
    }

    #[test]
    fn mentions_are_unique_in_first_seen_order() {
        let body = format!("<@{ID_B}> <@{ID_A}> <@{ID_B}> <@{ID_A}>");
        let parsed = parse(&body).unwrap();
        assert_eq!(
            parsed.mentions,
            vec![
                PersonId::parse(ID_B).unwrap(),
                PersonId::parse(ID_A).unwrap()
            ]
        );
        // Every occurrence is still a segment.
        assert_eq!(parsed.segments.len(), 7);
    }

    #[test]
    fn mention_all_at_word_boundaries() {
        for body in [
            "@all",
            "@all hello",
            "hello @all",
            "(@all)",
            "@all, look",
            "@all!",
            "大家@all请看",
            "@all。",
            "line\n@all",
        ] {
            let parsed = parse(body).unwrap();
            assert!(parsed.mentions_all, "{body}");
            assert!(parsed.segments.contains(&Segment::MentionAll), "{body}");
        }
    }

    #[test]
    fn mention_all_glued_to_a_word_is_text() {
        for body in [
            "@allison",
            "mail@all",
            "@all_hands",
            "@all2",
            "x@all y",
            "@All",
            "é@all",
        ] {
            let parsed = parse(body).unwrap();
            assert!(!parsed.mentions_all, "{body}");
            assert_eq!(parsed.segments, vec![text(body)], "{body}");
        }
    }

    #[test]
    fn adjacent_mentions() {
        let body = format!("<@{ID_A}>@all<@{ID_B}>");
        assert_eq!(
            segs(&body),
            vec![mention(ID_A), Segment::MentionAll, mention(ID_B)]
        );
    }

    // --- bare URLs

    #[test]
    fn bare_urls() {
        assert_eq!(
            segs("see https://example.com/a?b=1#c now"),
            vec![
                text("see "),
                url("https://example.com/a?b=1#c"),
                text(" now")
            ]
        );
        assert_eq!(segs("http://x.io"), vec![url("http://x.io")]);
        assert_eq!(segs("HTTPS://X.IO/A"), vec![url("HTTPS://X.IO/A")]);
    }

    #[test]
    fn bare_url_drops_trailing_punctuation() {
        for (body, expected) in [
            ("go to https://a.com/x.", "https://a.com/x"),
            ("https://a.com/x, then", "https://a.com/x"),
            ("(see https://a.com/x)", "https://a.com/x"),
            ("'https://a.com/x'", "https://a.com/x"),
            ("https://a.com/x?!...", "https://a.com/x"),
            ("https://a.com/x;:", "https://a.com/x"),
        ] {
            assert!(segs(body).contains(&url(expected)), "{body}");
        }
    }

    #[test]
    fn bare_url_keeps_balanced_parentheses() {
        assert_eq!(
            segs("https://en.wikipedia.org/wiki/Rust_(language)."),
            vec![
                url("https://en.wikipedia.org/wiki/Rust_(language)"),
                text(".")
            ]
        );
        assert_eq!(
            segs("(https://a.com/f(x))"),
            vec![text("("), url("https://a.com/f(x)"), text(")")]
        );
    }

    #[test]
    fn bare_url_in_chinese_text() {
        assert_eq!(
            segs("请看https://a.cn/x。谢谢"),
            vec![text("请看"), url("https://a.cn/x"), text("。谢谢")]
        );
        assert_eq!(
            segs("链接：https://a.cn/x，还有https://b.cn/y）"),
            vec![
                text("链接："),
                url("https://a.cn/x"),
                text("，还有"),
                url("https://b.cn/y"),
                text("）"),
            ]
        );
        // Non-punctuation stays part of the URL: internationalised paths are whole.
        assert_eq!(
            segs("https://zh.wikipedia.org/wiki/北京 好"),
            vec![url("https://zh.wikipedia.org/wiki/北京"), text(" 好")]
        );
    }

    #[test]
    fn bare_url_ends_at_angle_brackets_and_quotes() {
        assert_eq!(
            segs("<https://a.com/x>"),
            vec![text("<"), url("https://a.com/x"), text(">")]
        );
        assert_eq!(
            segs("\"https://a.com/x\""),
            vec![text("\""), url("https://a.com/x"), text("\"")]
        );
        assert_eq!(
            segs(&format!("https://a.com<@{ID_A}>")),
            vec![url("https://a.com"), mention(ID_A)]
        );
    }

    #[test]
    fn scheme_without_a_url_is_text() {
        for body in [
            "http://",
            "https:// x",
            "http://.",
            "ftp://a.com",
            "hxxp://a",
        ] {
            assert_eq!(segs(body), vec![text(body)], "{body}");
        }
    }

    #[test]
    fn markup_inside_a_bare_url_is_part_of_it() {
        assert_eq!(
            segs("https://a.com/@all/`x`"),
            vec![url("https://a.com/@all/`x`")]
        );
    }

    // --- [text](url)

    #[test]
    fn links_with_text() {
        assert_eq!(
            segs("read [the docs](https://a.com/docs) now"),
            vec![
                text("read "),
                link("the docs", "https://a.com/docs"),
                text(" now")
            ]
        );
        assert_eq!(
            segs("[mail me](mailto:a@b.c)"),
            vec![link("mail me", "mailto:a@b.c")]
        );
        assert_eq!(segs("[x](HTTP://A.COM)"), vec![link("x", "HTTP://A.COM")]);
        assert_eq!(segs("[x](MailTo:a@b.c)"), vec![link("x", "MailTo:a@b.c")]);
        assert_eq!(
            segs("[维基](https://en.wikipedia.org/wiki/A_(b))。"),
            vec![
                link("维基", "https://en.wikipedia.org/wiki/A_(b)"),
                text("。")
            ]
        );
    }

    #[test]
    fn link_text_is_plain() {
        let body = format!("[<@{ID_A}> @all `x` https://b.com](https://a.com)");
        let parsed = parse(&body).unwrap();
        assert_eq!(
            parsed.segments,
            vec![link(
                &format!("<@{ID_A}> @all `x` https://b.com"),
                "https://a.com"
            )]
        );
        assert!(parsed.mentions.is_empty());
        assert!(!parsed.mentions_all);
    }

    #[test]
    fn links_to_other_schemes_stay_text() {
        for body in [
            "[click](javascript:alert(1))",
            "[click](JavaScript:alert(document.cookie))",
            "[x](data:text/html,<script>)",
            "[x](data:text/html;base64,http://evil.com)",
            "[x](vbscript:msgbox)",
            "[x](file:///etc/passwd)",
            "[x](/relative/path)",
            "[x](a.com)",
            "[x](http:a.com)",
            "[x](mailto:)",
        ] {
            let parsed = parse(body).unwrap();
            assert_eq!(parsed.segments, vec![text(body)], "{body}");
        }
    }

    #[test]
    fn incomplete_links_fall_back_to_text_and_bare_urls() {
        assert_eq!(
            segs("[x](https://a.com"),
            vec![text("[x]("), url("https://a.com")]
        );
        assert_eq!(
            segs("[x] (https://a.com)"),
            vec![text("[x] ("), url("https://a.com"), text(")")]
        );
        assert_eq!(
            segs("[](https://a.com)"),
            vec![text("[]("), url("https://a.com"), text(")")]
        );
        assert_eq!(
            segs("[a [b](https://a.com)"),
            vec![text("[a "), link("b", "https://a.com")]
        );
        assert_eq!(segs("[x](https://a.com/a b)"), {
            vec![text("[x]("), url("https://a.com/a"), text(" b)")]
        });
        assert_eq!(segs("[多行\n文字](https://a.com)").len(), 3);
    }

    // --- inline code

    #[test]
    fn inline_code() {
        assert_eq!(
            segs("run `cargo test` now"),
            vec![text("run "), code("cargo test"), text(" now")]
        );
        assert_eq!(
            segs("用`代码`好"),
            vec![text("用"), code("代码"), text("好")]
        );
    }

    #[test]
    fn no_markup_inside_inline_code() {
        let body = format!("`<@{ID_A}> @all https://a.com [x](https://b.com) <b>`");
        let parsed = parse(&body).unwrap();
        assert_eq!(
            parsed.segments,
            vec![code(&format!(
                "<@{ID_A}> @all https://a.com [x](https://b.com) <b>"
            ))]
        );
        assert!(parsed.mentions.is_empty());
        assert!(!parsed.mentions_all);
    }

    #[test]
    fn unclosed_backticks_are_text() {
        assert_eq!(segs("a ` b"), vec![text("a ` b")]);
        assert_eq!(segs("``"), vec![text("``")]);
        assert_eq!(segs("`` a `"), vec![text("`` a `")]);
        // An unclosed run does not hide the markup after it.
        assert_eq!(segs("` @all"), vec![text("` "), Segment::MentionAll]);
    }

    #[test]
    fn longer_backtick_runs_contain_shorter_ones() {
        assert_eq!(segs("``a ` b``"), vec![code("a ` b")]);
        assert_eq!(segs("`` `x` ``"), vec![code("`x`")]);
        assert_eq!(segs("` `"), vec![code(" ")]);
        assert_eq!(segs("`a``b`"), vec![code("a``b")]);
    }

    #[test]
    fn inline_code_may_span_lines() {
        assert_eq!(segs("`a\nb`"), vec![code("a\nb")]);
    }

    // --- code blocks

    #[test]
    fn code_block_with_language() {
        let body = "look:\n```rust\nfn main() {\n    println!(\"<@x> @all\");\n}\n```\nnice";
        assert_eq!(
            segs(body),
            vec![
                text("look:\n"),
                block(Some("rust"), "fn main() {\n    println!(\"<@x> @all\");\n}"),
                text("\nnice"),
            ]
        );
    }

    #[test]
    fn code_block_without_language() {
        assert_eq!(segs("```\nx\n\ny\n```"), vec![block(None, "x\n\ny")]);
        assert_eq!(segs("``` c++ \nx\n```"), vec![block(Some("c++"), "x")]);
        assert_eq!(segs("```\n```"), vec![block(None, "")]);
    }

    #[test]
    fn unclosed_code_block_runs_to_the_end() {
        assert_eq!(
            segs("a\n```py\nx = 1\n@all\n"),
            vec![text("a\n"), block(Some("py"), "x = 1\n@all")]
        );
        assert_eq!(segs("```"), vec![block(None, "")]);
    }

    #[test]
    fn code_block_with_crlf_line_breaks() {
        assert_eq!(
            segs("a\r\n```js\r\nx()\r\n```\r\nb"),
            vec![text("a\r\n"), block(Some("js"), "x()"), text("\r\nb")]
        );
    }

    #[test]
    fn longer_fence_shows_a_shorter_one() {
        assert_eq!(
            segs("````md\n```\nx\n```\n````"),
            vec![block(Some("md"), "```\nx\n```")]
        );
    }

    #[test]
    fn fence_lines_with_other_content_are_inline() {
        assert_eq!(segs("```x```"), vec![code("x")]);
        assert_eq!(
            segs("```not a language\nx\n```"),
            vec![text("```not a language\nx\n"), block(None, ""),]
        );
        let long_lang = format!("```{}\nx", "a".repeat(33));
        assert_eq!(segs(&long_lang), vec![text(&long_lang)]);
        assert_eq!(segs(" ```\nx"), vec![text(" ```\nx")]);
    }

    #[test]
    fn text_between_code_blocks() {
        let body = "```\na\n```\n@all\n```sh\nb\n```";
        let parsed = parse(body).unwrap();
        assert_eq!(
            parsed.segments,
            vec![
                block(None, "a"),
                text("\n"),
                Segment::MentionAll,
                text("\n"),
                block(Some("sh"), "b"),
            ]
        );
        assert!(parsed.mentions_all);
    }

    // --- plain text rendering and wire format

    #[test]
    fn plain_text_rendering() {
        let body =
            format!("hi <@{ID_A}> @all: [docs](https://a.com) https://b.com `x`\n```\ny\n```\nend");
        assert_eq!(
            plain_text(&segs(&body)),
            format!("hi @{ID_A} @all: docs https://b.com x\ny\nend")
        );
    }

    #[test]
    fn segments_serialize_with_a_type_tag() {
        let segments = vec![
            text("a"),
            mention(ID_A),
            Segment::MentionAll,
            url("https://a.com"),
            code("c"),
            block(None, "d"),
        ];
        let json = serde_json::to_value(&segments).unwrap();
        assert_eq!(
            json,
            serde_json::json!([
                {"type": "text", "text": "a"},
                {"type": "mention", "person_id": ID_A},
                {"type": "mention_all"},
                {"type": "link", "url": "https://a.com", "text": null},
                {"type": "code", "code": "c"},
                {"type": "code_block", "lang": null, "code": "d"},
            ])
        );
        let back: Vec<Segment> = serde_json::from_value(json).unwrap();
        assert_eq!(back, segments);
    }

    // --- adversarial input

    /// Bodies built to make a naive parser rescan the rest of the body from every position.
    /// There is no timing assertion: a quadratic parser makes this test visibly slow.
    #[test]
    fn adversarial_bodies_parse() {
        let max = MAX_MESSAGE_BYTES;
        let fill = |unit: &str| unit.repeat(max / unit.len());
        let mut bodies: Vec<String> = [
            "[",
            "]",
            "(",
            ")",
            "`",
            "<",
            "<@",
            "@",
            "@all",
            "h",
            "http://",
            "http:// ",
            "https://(",
            "https://)",
            "[a](",
            "[a]([",
            "[a](b",
            "](",
            "[x](javascript:",
            "\n```",
            "```\n",
            "```x\n",
            "` ",
            "中",
            "[中",
            "请看https://a.cn/x。",
            "@all中",
        ]
        .iter()
        .map(|unit| fill(unit))
        .collect();
        // Unclosed backtick runs of every length.
        let mut runs = String::new();
        let mut n = 1;
        while runs.len() + n < max {
            runs.push_str(&"`".repeat(n));
            runs.push(' ');
            n += 1;
        }
        bodies.push(runs);
        bodies.push(format!("https://a.com/{}", ")".repeat(max - 20)));
        bodies.push(format!("[{}", "a".repeat(max - 1)));

        for body in &bodies {
            assert!(body.len() <= max);
            let parsed = parse(body).expect("valid body");
            assert!(!parsed.segments.is_empty());
            check_invariants(body, &parsed);
        }
    }

    // --- properties

    /// Structural promises every parse keeps.
    fn check_invariants(body: &str, parsed: &Parsed) {
        let mut previous_was_text = false;
        let mut mentioned = Vec::new();
        for segment in &parsed.segments {
            let is_text = matches!(segment, Segment::Text { .. });
            assert!(!(is_text && previous_was_text), "adjacent text segments");
            previous_was_text = is_text;
            match segment {
                Segment::Text { text } => {
                    assert!(!text.is_empty(), "empty text segment");
                    assert!(body.contains(text.as_str()), "text not from the body");
                }
                Segment::Link { url, text } => {
                    assert!(is_allowed_link_url(url), "unsafe link {url:?}");
                    assert!(!url.contains(|c: char| c.is_whitespace() || "<>\"".contains(c)));
                    assert!(body.contains(url.as_str()));
                    if let Some(text) = text {
                        assert!(body.contains(text.as_str()));
                    }
                }
                Segment::Code { code } => assert!(body.contains(code.as_str())),
                Segment::CodeBlock { lang, code } => {
                    assert!(body.contains(code.as_str()));
                    assert!(lang.as_deref().is_none_or(is_lang_word));
                }
                Segment::Mention { person_id } => {
                    if !mentioned.contains(person_id) {
                        mentioned.push(person_id.clone());
                    }
                }
                Segment::MentionAll => {}
            }
        }
        assert_eq!(parsed.mentions, mentioned);
        assert_eq!(
            parsed.mentions_all,
            parsed.segments.contains(&Segment::MentionAll)
        );
    }

    fn without_forbidden(body: &str) -> String {
        body.chars()
            .map(|c| if is_forbidden(c) { ' ' } else { c })
            .collect()
    }

    /// Pieces of markup, whole and broken, with Chinese text, so random bodies are dense in
    /// the cases the parser has to tell apart.
    fn markup_piece() -> impl Strategy<Value = String> {
        const PIECES: &[&str] = &[
            "[",
            "]",
            "(",
            ")",
            "`",
            "``",
            "```",
            "\n",
            "\r\n",
            " ",
            "<",
            ">",
            "<@",
            "@",
            "@all",
            "all",
            "http://",
            "https://",
            "HTTP://",
            "a",
            "x.y",
            ".",
            "。",
            "，",
            "）",
            "中文",
            "请看",
            "javascript:",
            "mailto:",
            "rust",
            "\"",
            "'",
            "é",
            "😀",
        ];
        prop_oneof![
            8 => proptest::sample::select(PIECES).prop_map(str::to_owned),
            1 => Just(format!("<@{ID_A}>")),
            1 => Just(format!("<@{ID_B}>")),
            1 => any::<char>().prop_map(String::from),
        ]
    }

    proptest! {
        #[test]
        fn never_panics_on_arbitrary_text(chars in proptest::collection::vec(any::<char>(), 0..=4096)) {
            let body: String = chars.into_iter().collect();
            let _ = parse(&body);
            // Random characters nearly always include a control character; the cleaned-up
            // body exercises the parser itself.
            let body = without_forbidden(&body);
            if let Ok(parsed) = parse(&body) {
                check_invariants(&body, &parsed);
            }
        }

        #[test]
        fn never_panics_on_dense_markup(pieces in proptest::collection::vec(markup_piece(), 0..1500)) {
            let body = without_forbidden(&pieces.concat());
            if let Ok(parsed) = parse(&body) {
                check_invariants(&body, &parsed);
                plain_text(&parsed.segments);
            }
        }

        #[test]
        fn text_without_markup_round_trips(body in "[^<@\\[`:\\p{Cc}\u{202A}-\u{202E}\u{2066}-\u{2069}]{1,400}") {
            prop_assume!(!body.chars().all(is_blank));
            let parsed = parse(&body).unwrap();
            prop_assert_eq!(&parsed.segments, &vec![text(&body)]);
            prop_assert_eq!(plain_text(&parsed.segments), body);
        }

        #[test]
        fn chosen_mentions_are_found(ids in proptest::collection::vec(proptest::bool::ANY, 1..20)) {
            let body: String = ids
                .iter()
                .map(|&a| format!("<@{}> 你好 ", if a { ID_A } else { ID_B }))
                .collect();
            let parsed = parse(&body).unwrap();
            let mut expected: Vec<PersonId> = Vec::new();
            for &a in &ids {
                let id = PersonId::parse(if a { ID_A } else { ID_B }).unwrap();
                if !expected.contains(&id) {
                    expected.push(id);
                }
            }
            prop_assert_eq!(parsed.mentions, expected);
        }
    }
}

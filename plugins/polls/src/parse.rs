//! The `/poll` command line, as people type it on a desktop, a phone or with a Chinese
//! input method. Pure Rust: no host calls, so it is tested natively (examples below, and
//! property tests: any input is either refused with a message in both languages or gives a
//! poll whose canonical command line parses back to the same poll).
//!
//! ```text
//! /poll "Lunch?" Noodles Dumplings "Fried rice" --multi --max 2 --anonymous --closes 2h
//! /poll “午饭吃什么？” 面条　饺子 米饭 ——匿名 ——截止 2026-12-24 18:00
//! /poll Where shall we eat? Noodles Rice          (an unquoted question ends at its ? or ？)
//! /poll 午饭？ 面条、饺子、米饭                      (one list of options split at 、 , ， ; ； |)
//! ```
//!
//! - **Quotes**: `"…"`, `“…”`, `「…」`, `『…』` and `＂…＂` keep spaces together; each closes
//!   only with its own partner, so `"他说“好”"` keeps the inner quotes. A quote that is never
//!   closed is refused. A quoted word is never a flag.
//! - **Spaces**: any Unicode white space separates words, the ideographic space `　` too.
//!   Texts are trimmed and runs of white space inside become one space.
//! - **Flags** may come anywhere, start with `--`, `——`, `—` or `–` (what phones and Chinese
//!   input methods turn `--` into), and are read in full-width or half-width letters:
//!   `--multi`/`--多选`, `--max N`/`--最多 N`, `--anonymous`/`--匿名`,
//!   `--hidden`/`--隐藏结果`, `--closes …`/`--截止 …`; `--name=value` works too. A lone `--`
//!   ends the flags: everything after it is an option, even `--like-this`.
//! - **Several lines**: when the options are typed one per line, each line is one item
//!   (the first the question), unless the line quotes its words.
//! - **Closing time** (`--closes`): a duration (`90m`, `2h`, `1h30m`, `3d`, `1w`, `2小时`,
//!   `30分钟`, `1天`), a date and time in the organization's time zone (`2026-12-24 18:00`,
//!   `2026-12-24T18:00`, `2026/12/24 18:00`), a date alone (the end of that day), or a time
//!   alone (`18:00`: its next occurrence). The wiring turns it into an instant.

use courtyard_sdk::time::Date;

/// Options a poll has at least and at most.
pub const MIN_OPTIONS: usize = 2;
pub const MAX_OPTIONS: usize = 20;
/// Longest question and option, in characters.
pub const MAX_QUESTION: usize = 200;
pub const MAX_OPTION: usize = 80;
/// The furthest a poll may close, in minutes (a year).
pub const MAX_MINUTES: u32 = 365 * 24 * 60;

/// What `/poll …` asks for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Parsed {
    /// No arguments: the form to fill in.
    Form,
    /// `/poll help`.
    Help,
    Create(Spec),
}

/// A poll as asked for, checked and normalised.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Spec {
    pub question: String,
    pub options: Vec<String>,
    pub multi: bool,
    /// Multiple choice: the most options one person may choose (2 to one less than the
    /// options; `None`: any number).
    pub max: Option<u8>,
    pub anonymous: bool,
    /// Results are shown only once the poll is closed.
    pub hidden: bool,
    pub closes: Option<Closing>,
}

/// When a poll closes, as typed: resolved to an instant in the organization's time zone
/// by the wiring (which knows the clock).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Closing {
    /// This long after the poll is posted.
    After { minutes: u32 },
    /// A local date and time (minutes after midnight).
    At { date: Date, minute: u16 },
    /// The end of a local date.
    EndOf { date: Date },
    /// The next time the local clock shows this (minutes after midnight).
    Time { minute: u16 },
}

/// The flags of a poll, as the form and the command line give them.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Flags {
    pub multi: bool,
    pub max: Option<u32>,
    pub anonymous: bool,
    pub hidden: bool,
    pub closes: Option<Closing>,
}

/// Why a command line or a form was refused; [`ParseError::en`] and [`ParseError::zh`] say
/// it in each language.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ParseError {
    UnclosedQuote { quote: char },
    NoQuestion,
    QuestionTooLong { chars: usize },
    TooFewOptions { got: usize },
    TooManyOptions { got: usize },
    EmptyOption { position: usize },
    OptionTooLong { position: usize, chars: usize },
    DuplicateOption { text: String },
    UnknownFlag { flag: String },
    MissingValue { flag: String },
    BadMax { value: String },
    MaxTooSmall,
    MaxTooLarge { max: u32, options: usize },
    BadClosing { value: String },
    ClosingTooFar,
}

impl ParseError {
    pub fn en(&self) -> String {
        use ParseError::*;
        match self {
            UnclosedQuote { quote } => format!(
                "A quote {quote} is never closed. Write the question like \"Lunch?\" or “午饭？”."
            ),
            NoQuestion => "The poll needs a question: /poll \"Lunch?\" Noodles Dumplings".into(),
            QuestionTooLong { chars } => {
                format!("The question is {chars} characters long; at most {MAX_QUESTION}.")
            }
            TooFewOptions { got } => format!(
                "A poll needs at least {MIN_OPTIONS} options (found {got}): /poll \"Lunch?\" Noodles Dumplings"
            ),
            TooManyOptions { got } => {
                format!("A poll has at most {MAX_OPTIONS} options (found {got}).")
            }
            EmptyOption { position } => format!("Option {position} is empty."),
            OptionTooLong { position, chars } => {
                format!("Option {position} is {chars} characters long; at most {MAX_OPTION}.")
            }
            DuplicateOption { text } => format!("The option “{text}” is there twice."),
            UnknownFlag { flag } => format!(
                "Unknown flag {flag}. Flags: --multi, --max N, --anonymous, --hidden, --closes 2h (or 2026-12-24 18:00). /poll help explains them."
            ),
            MissingValue { flag } => format!("{flag} needs a value, e.g. {}.", example(flag)),
            BadMax { value } => format!("--max takes a whole number, not “{value}”."),
            MaxTooSmall => {
                "--max must be at least 2 (a poll with one choice each is single choice).".into()
            }
            MaxTooLarge { max, options } => {
                format!("--max {max} is more than the {options} options.")
            }
            BadClosing { value } => format!(
                "“{value}” is not a closing time. Write a duration (30m, 2h, 1d) or a time (2026-12-24 18:00, 18:00)."
            ),
            ClosingTooFar => "A poll closes within a year.".into(),
        }
    }

    pub fn zh(&self) -> String {
        use ParseError::*;
        match self {
            UnclosedQuote { quote } => {
                format!("引号 {quote} 没有闭合。问题可以写成 “午饭吃什么？” 或 \"Lunch?\"。")
            }
            NoQuestion => "投票需要一个问题：/poll “午饭吃什么？” 面条 饺子".into(),
            QuestionTooLong { chars } => {
                format!("问题有 {chars} 个字，最多 {MAX_QUESTION} 个字。")
            }
            TooFewOptions { got } => format!(
                "投票至少需要 {MIN_OPTIONS} 个选项（现在有 {got} 个）：/poll “午饭吃什么？” 面条 饺子"
            ),
            TooManyOptions { got } => {
                format!("投票最多 {MAX_OPTIONS} 个选项（现在有 {got} 个）。")
            }
            EmptyOption { position } => format!("第 {position} 个选项是空的。"),
            OptionTooLong { position, chars } => {
                format!("第 {position} 个选项有 {chars} 个字，最多 {MAX_OPTION} 个字。")
            }
            DuplicateOption { text } => format!("选项“{text}”重复了。"),
            UnknownFlag { flag } => format!(
                "不认识的参数 {flag}。可用参数：--多选、--最多 N、--匿名、--隐藏结果、--截止 2h（或 2026-12-24 18:00）。/poll help 查看说明。"
            ),
            MissingValue { flag } => format!("{flag} 后面需要一个值，例如 {}。", example(flag)),
            BadMax { value } => format!("--最多 后面应是整数，而不是“{value}”。"),
            MaxTooSmall => "--最多 至少为 2（每人只能选一项就是单选）。".into(),
            MaxTooLarge { max, options } => {
                format!("--最多 {max} 超过了选项数 {options}。")
            }
            BadClosing { value } => format!(
                "“{value}”不是有效的截止时间。可以写时长（30m、2h、1d、2小时）或时间（2026-12-24 18:00、18:00）。"
            ),
            ClosingTooFar => "截止时间须在一年之内。".into(),
        }
    }

    /// The message in the language asked for.
    pub fn message(&self, zh: bool) -> String {
        if zh { self.zh() } else { self.en() }
    }
}

fn example(flag: &str) -> &'static str {
    if flag.contains("max") || flag.contains("最多") {
        "--max 2"
    } else {
        "--closes 2h"
    }
}

// ---- Characters ----

/// The closing partner of an opening quote.
fn closer(c: char) -> Option<char> {
    Some(match c {
        '"' => '"',
        '“' => '”',
        // Some keyboards give a closing quote on both sides.
        '”' => '”',
        '＂' => '＂',
        '「' => '」',
        '『' => '』',
        _ => return None,
    })
}

/// Full-width ASCII (`ｍｕｌｔｉ`, `１８：００`, `－－`) as ASCII, for flags and their values.
pub fn fold_width(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
            '\u{3000}' => ' ',
            c => c,
        })
        .collect()
}

/// Trimmed, white space collapsed to single spaces, control characters dropped.
pub fn normalize(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut space = false;
    for c in text.chars() {
        if c.is_whitespace() {
            space = !out.is_empty();
        } else if c.is_control() {
            continue;
        } else {
            if space {
                out.push(' ');
                space = false;
            }
            out.push(c);
        }
    }
    out
}

/// How two options compare for "the same option twice": letter case and width aside.
pub fn same_key(text: &str) -> String {
    fold_width(text).to_lowercase()
}

// ---- Words ----

#[derive(Clone, Debug, PartialEq, Eq)]
struct Word {
    text: String,
    /// Some part of it was quoted: never a flag, never split.
    quoted: bool,
    /// The line it starts on.
    line: usize,
}

fn words(raw: &str) -> Result<Vec<Word>, ParseError> {
    let mut out = Vec::new();
    let mut current = String::new();
    let mut started = false;
    let mut quoted = false;
    let mut line = 0;
    let mut start_line = 0;
    let mut open: Option<(char, char)> = None;
    for c in raw.chars() {
        match open {
            Some((_, close)) if c == close => open = None,
            Some(_) => current.push(c),
            None => {
                if let Some(close) = closer(c) {
                    if !started {
                        start_line = line;
                    }
                    open = Some((c, close));
                    started = true;
                    quoted = true;
                } else if c.is_whitespace() {
                    if started {
                        out.push(Word {
                            text: std::mem::take(&mut current),
                            quoted,
                            line: start_line,
                        });
                        started = false;
                        quoted = false;
                    }
                    if c == '\n' {
                        line += 1;
                    }
                } else {
                    if !started {
                        start_line = line;
                    }
                    started = true;
                    current.push(c);
                }
            }
        }
    }
    if let Some((quote, _)) = open {
        return Err(ParseError::UnclosedQuote { quote });
    }
    if started {
        out.push(Word {
            text: current,
            quoted,
            line: start_line,
        });
    }
    Ok(out)
}

/// An unquoted word as a flag: its name (lowercase, without dashes) and an `=value`.
fn as_flag(word: &Word) -> Option<(String, Option<String>)> {
    if word.quoted {
        return None;
    }
    let folded = fold_width(&word.text);
    let rest = ["--", "——", "—", "–"]
        .iter()
        .find_map(|p| folded.strip_prefix(p))?;
    let first = rest.chars().next()?;
    if !(first.is_alphabetic()) {
        return None;
    }
    let (name, value) = match rest.split_once('=') {
        Some((n, v)) => (n, Some(v.to_owned())),
        None => (rest, None),
    };
    Some((name.to_lowercase(), value))
}

enum FlagKind {
    Multi,
    Max,
    Anonymous,
    Hidden,
    Closes,
    Help,
}

fn flag_kind(name: &str) -> Option<FlagKind> {
    Some(match name {
        "multi" | "multiple" | "多选" => FlagKind::Multi,
        "max" | "最多" => FlagKind::Max,
        "anonymous" | "anon" | "匿名" => FlagKind::Anonymous,
        "hidden" | "hide" | "隐藏" | "隐藏结果" => FlagKind::Hidden,
        "closes" | "close" | "until" | "deadline" | "截止" => FlagKind::Closes,
        "help" | "帮助" => FlagKind::Help,
        _ => return None,
    })
}

fn is_help(text: &str) -> bool {
    matches!(
        fold_width(text).to_lowercase().as_str(),
        "help" | "帮助" | "-h" | "?"
    )
}

/// Parses what follows `/poll`.
pub fn parse(raw: &str) -> Result<Parsed, ParseError> {
    let all = words(raw)?;
    if all.is_empty() {
        return Ok(Parsed::Form);
    }
    if all.len() == 1 && !all[0].quoted && is_help(&all[0].text) {
        return Ok(Parsed::Help);
    }
    let mut flags = Flags::default();
    let mut positional: Vec<Word> = Vec::new();
    let mut i = 0;
    let mut flags_ended = false;
    while i < all.len() {
        let word = &all[i];
        i += 1;
        if flags_ended {
            positional.push(word.clone());
            continue;
        }
        if !word.quoted && fold_width(&word.text) == "--" {
            flags_ended = true;
            continue;
        }
        let Some((name, inline)) = as_flag(word) else {
            positional.push(word.clone());
            continue;
        };
        let shown = word.text.clone();
        let Some(kind) = flag_kind(&name) else {
            return Err(ParseError::UnknownFlag { flag: shown });
        };
        // A flag's value: after `=`, or the next word.
        let value = |i: &mut usize| -> Result<Word, ParseError> {
            match &inline {
                Some(v) => Ok(Word {
                    text: v.clone(),
                    quoted: false,
                    line: word.line,
                }),
                None => {
                    let next = all.get(*i).filter(|w| w.quoted || as_flag(w).is_none());
                    match next {
                        Some(w) => {
                            *i += 1;
                            Ok(w.clone())
                        }
                        None => Err(ParseError::MissingValue {
                            flag: shown.clone(),
                        }),
                    }
                }
            }
        };
        match kind {
            FlagKind::Multi => flags.multi = true,
            FlagKind::Anonymous => flags.anonymous = true,
            FlagKind::Hidden => flags.hidden = true,
            FlagKind::Help => return Ok(Parsed::Help),
            FlagKind::Max => {
                let v = value(&mut i)?;
                let text = fold_width(v.text.trim());
                let n: u32 = text.parse().map_err(|_| ParseError::BadMax {
                    value: v.text.clone(),
                })?;
                flags.max = Some(n);
            }
            FlagKind::Closes => {
                let v = value(&mut i)?;
                let mut text = fold_width(&normalize(&v.text));
                // `2026-12-24 18:00` as two words: take the time along.
                if inline.is_none()
                    && !v.quoted
                    && parse_date(&text).is_some()
                    && let Some(t) = all.get(i).filter(|w| !w.quoted)
                    && looks_like_time(&fold_width(&t.text))
                {
                    text = format!("{text} {}", fold_width(&t.text));
                    i += 1;
                }
                flags.closes =
                    Some(parse_closing(&text).ok_or_else(|| ParseError::BadClosing {
                        value: normalize(&v.text),
                    })?);
            }
        }
    }
    let (question, options) = split_positional(&positional);
    let options = options.into_iter().map(|(text, _)| text).collect();
    build(question.as_deref(), options, flags).map(Parsed::Create)
}

/// The question and the options from the words that are not flags.
fn split_positional(words: &[Word]) -> (Option<String>, Vec<(String, bool)>) {
    let multiline = words.iter().any(|w| w.line != words[0].line);
    if multiline {
        // One item per line, unless the line quotes its words.
        let mut items: Vec<(String, bool)> = Vec::new();
        let mut lines: Vec<(usize, Vec<&Word>)> = Vec::new();
        for w in words {
            match lines.last_mut() {
                Some((line, ws)) if *line == w.line => ws.push(w),
                _ => lines.push((w.line, vec![w])),
            }
        }
        for (_, ws) in lines {
            if ws.iter().any(|w| w.quoted) {
                items.extend(ws.iter().map(|w| (w.text.clone(), true)));
            } else {
                let joined: Vec<&str> = ws.iter().map(|w| w.text.as_str()).collect();
                items.push((joined.join(" "), true));
            }
        }
        let mut items = items.into_iter();
        let question = items.next().map(|(q, _)| q);
        return (question, items.collect());
    }
    let Some(first) = words.first() else {
        return (None, Vec::new());
    };
    let mut rest: Vec<(String, bool)>;
    let question;
    if first.quoted {
        question = first.text.clone();
        rest = words[1..]
            .iter()
            .map(|w| (w.text.clone(), w.quoted))
            .collect();
    } else {
        // An unquoted question runs to its first question mark.
        let mark = words
            .iter()
            .take_while(|w| !w.quoted)
            .position(|w| w.text.contains(['?', '？']));
        match mark {
            Some(end) => {
                let w = &words[end];
                let cut = w
                    .text
                    .char_indices()
                    .find(|(_, c)| *c == '?' || *c == '？')
                    .map(|(i, c)| i + c.len_utf8())
                    .unwrap_or(w.text.len());
                let mut parts: Vec<&str> = words[..end].iter().map(|w| w.text.as_str()).collect();
                parts.push(&w.text[..cut]);
                question = parts.join(" ");
                rest = Vec::new();
                let tail = &w.text[cut..];
                if !tail.trim().is_empty() {
                    rest.push((tail.to_owned(), false));
                }
                rest.extend(words[end + 1..].iter().map(|w| (w.text.clone(), w.quoted)));
            }
            None => {
                question = first.text.clone();
                rest = words[1..]
                    .iter()
                    .map(|w| (w.text.clone(), w.quoted))
                    .collect();
            }
        }
    }
    // One unquoted list: `面条、饺子、米饭`, `Noodles, Dumplings, Fried rice`.
    if !rest.is_empty()
        && rest.iter().all(|(_, quoted)| !quoted)
        && rest.iter().any(|(w, _)| split_list(w).len() > 1)
    {
        let joined: Vec<&str> = rest.iter().map(|(w, _)| w.as_str()).collect();
        rest = split_list(&joined.join(" "))
            .into_iter()
            .filter(|p| !normalize(p).is_empty())
            .map(|p| (p, false))
            .collect();
    }
    (Some(question), rest)
}

/// Separates options in a list. An ASCII comma between digits (`1,000`) is not one.
fn is_separator(prev: Option<char>, c: char, next: Option<char>) -> bool {
    match c {
        '，' | '、' | ';' | '；' | '|' | '｜' => true,
        ',' => {
            !(prev.is_some_and(|p| p.is_ascii_digit()) && next.is_some_and(|n| n.is_ascii_digit()))
        }
        _ => false,
    }
}

fn split_list(text: &str) -> Vec<String> {
    let chars: Vec<char> = text.chars().collect();
    let mut parts = vec![String::new()];
    for (i, &c) in chars.iter().enumerate() {
        let prev = i.checked_sub(1).map(|j| chars[j]);
        if is_separator(prev, c, chars.get(i + 1).copied()) {
            parts.push(String::new());
        } else if let Some(last) = parts.last_mut() {
            last.push(c);
        }
    }
    parts
}

/// Checks a poll's question, options and flags (the command line and the form alike).
pub fn build(
    question: Option<&str>,
    options: Vec<String>,
    flags: Flags,
) -> Result<Spec, ParseError> {
    let question = normalize(question.unwrap_or_default());
    if question.is_empty() {
        return Err(ParseError::NoQuestion);
    }
    let chars = question.chars().count();
    if chars > MAX_QUESTION {
        return Err(ParseError::QuestionTooLong { chars });
    }
    let mut clean: Vec<String> = Vec::with_capacity(options.len());
    let mut seen = std::collections::HashSet::new();
    for (i, text) in options.iter().enumerate() {
        let text = normalize(text);
        let position = i + 1;
        if text.is_empty() {
            return Err(ParseError::EmptyOption { position });
        }
        let chars = text.chars().count();
        if chars > MAX_OPTION {
            return Err(ParseError::OptionTooLong { position, chars });
        }
        if !seen.insert(same_key(&text)) {
            return Err(ParseError::DuplicateOption { text });
        }
        clean.push(text);
    }
    if clean.len() < MIN_OPTIONS {
        return Err(ParseError::TooFewOptions { got: clean.len() });
    }
    if clean.len() > MAX_OPTIONS {
        return Err(ParseError::TooManyOptions { got: clean.len() });
    }
    let multi = flags.multi || flags.max.is_some();
    let max = match flags.max {
        None => None,
        Some(n) if n < 2 => return Err(ParseError::MaxTooSmall),
        Some(n) if n as usize > clean.len() => {
            return Err(ParseError::MaxTooLarge {
                max: n,
                options: clean.len(),
            });
        }
        Some(n) if n as usize == clean.len() => None,
        Some(n) => Some(n as u8),
    };
    if let Some(Closing::After { minutes }) = flags.closes
        && !(1..=MAX_MINUTES).contains(&minutes)
    {
        return Err(ParseError::ClosingTooFar);
    }
    Ok(Spec {
        question,
        options: clean,
        multi,
        max,
        anonymous: flags.anonymous,
        hidden: flags.hidden,
        closes: flags.closes,
    })
}

// ---- Closing times ----

fn parse_number(text: &str) -> Option<u32> {
    if text.is_empty() || text.len() > 6 || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

/// `2026-12-24`, `2026/12/24`, `2026.12.24`, `2026-1-5`.
fn parse_date(text: &str) -> Option<Date> {
    let parts: Vec<&str> = text.split(['-', '/', '.']).collect();
    let [y, m, d] = parts.as_slice() else {
        return None;
    };
    if y.len() != 4 || m.len() > 2 || d.len() > 2 {
        return None;
    }
    Date::new(
        parse_number(y)? as i32,
        parse_number(m)? as u8,
        parse_number(d)? as u8,
    )
}

/// `18:00`, `9:30` as minutes after midnight.
fn parse_time(text: &str) -> Option<u16> {
    let (h, m) = text.split_once(':')?;
    if h.len() > 2 || m.len() != 2 {
        return None;
    }
    let (h, m) = (parse_number(h)?, parse_number(m)?);
    (h < 24 && m < 60).then_some((h * 60 + m) as u16)
}

/// Digits, a colon, digits: meant as a time (`18:00`, or a wrong one like `25:00`).
fn looks_like_time(text: &str) -> bool {
    text.split_once(':').is_some_and(|(h, m)| {
        (1..=2).contains(&h.len())
            && (1..=2).contains(&m.len())
            && h.bytes().chain(m.bytes()).all(|b| b.is_ascii_digit())
    })
}

/// `90m`, `2h`, `1h30m`, `3d`, `1w`, `2小时`, `30分钟`, `1天`, `2个小时`: minutes.
fn parse_duration(text: &str) -> Option<u32> {
    let mut total: u64 = 0;
    let mut rest = text;
    let mut any = false;
    while !rest.is_empty() {
        let digits = rest.bytes().take_while(|b| b.is_ascii_digit()).count();
        let n = u64::from(parse_number(&rest[..digits])?);
        rest = &rest[digits..];
        let unit_len = rest
            .char_indices()
            .find(|(_, c)| c.is_ascii_digit())
            .map(|(i, _)| i)
            .unwrap_or(rest.len());
        let unit = &rest[..unit_len];
        rest = &rest[unit_len..];
        let per: u64 = match unit {
            "m" | "min" | "mins" | "minute" | "minutes" | "分" | "分钟" => 1,
            "h" | "hr" | "hrs" | "hour" | "hours" | "小时" | "个小时" | "时" => 60,
            "d" | "day" | "days" | "天" | "日" => 24 * 60,
            "w" | "week" | "weeks" | "周" | "星期" | "个星期" => 7 * 24 * 60,
            _ => return None,
        };
        total = total.checked_add(n.checked_mul(per)?)?;
        any = true;
    }
    (any && total > 0 && total <= u64::from(u32::MAX)).then_some(total as u32)
}

/// A closing time as typed (already width-folded and normalised).
fn parse_closing(text: &str) -> Option<Closing> {
    let text = text.trim().to_lowercase();
    if let Some(minute) = parse_time(&text) {
        return Some(Closing::Time { minute });
    }
    if let Some(date) = parse_date(&text) {
        return Some(Closing::EndOf { date });
    }
    if let Some((d, t)) = text.split_once([' ', 't'])
        && let (Some(date), Some(minute)) = (parse_date(d), parse_time(t.trim()))
    {
        return Some(Closing::At { date, minute });
    }
    parse_duration(&text.replace(' ', "")).map(|minutes| Closing::After { minutes })
}

fn hh_mm(minute: u16) -> String {
    format!("{:02}:{:02}", minute / 60, minute % 60)
}

impl Closing {
    /// The closing time as the command line writes it (what [`parse`] reads back).
    pub fn to_arg(self) -> String {
        match self {
            Closing::After { minutes } => format!("{minutes}m"),
            Closing::At { date, minute } => format!("{date} {}", hh_mm(minute)),
            Closing::EndOf { date } => date.to_string(),
            Closing::Time { minute } => hh_mm(minute),
        }
    }
}

/// `text` quoted so that [`parse`] reads it back as one word, whatever quotes it holds.
pub fn quote(text: &str) -> String {
    for (open, close) in [
        ('"', '"'),
        ('“', '”'),
        ('「', '」'),
        ('『', '』'),
        ('＂', '＂'),
    ] {
        if !text.contains(close) {
            return format!("{open}{text}{close}");
        }
    }
    // Every closing quote is in it: quote piece by piece (the pieces join into one word).
    text.chars()
        .map(|c| {
            if c == '"' {
                "“\"”".to_owned()
            } else {
                format!("\"{c}\"")
            }
        })
        .collect()
}

impl Spec {
    /// The canonical command line (after `/poll `) for this poll.
    pub fn to_command(&self) -> String {
        let mut parts = vec![quote(&self.question)];
        parts.extend(self.options.iter().map(|o| quote(o)));
        if self.multi {
            parts.push("--multi".into());
        }
        if let Some(max) = self.max {
            parts.push(format!("--max {max}"));
        }
        if self.anonymous {
            parts.push("--anonymous".into());
        }
        if self.hidden {
            parts.push("--hidden".into());
        }
        if let Some(c) = self.closes {
            parts.push(format!("--closes {}", c.to_arg()));
        }
        parts.join(" ")
    }
}

#[cfg(test)]
mod tests;

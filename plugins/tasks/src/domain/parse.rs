//! The quick syntax: `/task Send the quote <@id> @Li due:friday p1`, and due times.
//!
//! The first line holds the title and its tokens; later lines are the description, except
//! lines that look like checklist items (`- item`, `* item`, `[ ] item`, `[x] done item`).
//!
//! Tokens of the first line:
//! - `<@person-id>`: a mention, as clients write it when someone is picked with `@`;
//! - `@name` (or `@"Li Lei"`): a member of the group by name, resolved by the caller;
//! - `due:…` (also `截止:…`, `deadline:…`, full-width colon too): see [`parse_due`];
//! - `p0`–`p3`, or `!urgent`, `!high`, `!normal`, `!low` (`!紧急`, `!高`, `!中`, `!低`);
//! - anything else, and anything in quotes, is part of the title.

use courtyard_sdk::time::Date;

use super::task::Priority;
use super::{PersonRef, Refusal};

/// What a quick command says.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Quick {
    pub title: String,
    pub description: String,
    /// Person ids from `<@id>` mentions, in order.
    pub mentions: Vec<String>,
    /// Names from `@name`, in order.
    pub names: Vec<String>,
    pub due: Option<DueSpec>,
    /// The due token as written, for messages.
    pub due_text: Option<String>,
    pub priority: Option<Priority>,
    pub checklist: Vec<(String, bool)>,
}

/// A due time as written, before it is placed in the organization's calendar.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DueSpec {
    /// A day, at a time of day (minutes after midnight) or the default time.
    On { day: DaySpec, minutes: Option<u32> },
    /// A time of day only: today, or tomorrow if it has passed.
    At { minutes: u32 },
    /// Minutes from now (`+2h`, `+30m`).
    In { minutes: i64 },
    /// No due time (`due:none`).
    Clear,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DaySpec {
    /// A date; without a year, the next such date from today.
    Date {
        year: Option<i32>,
        month: u8,
        day: u8,
    },
    /// Today plus this many days (`today`, `tomorrow`, `+3d`).
    Offset(i64),
    /// The next such weekday, today included: 1 (Monday) to 7 (Sunday).
    Weekday(u8),
}

/// Where a due time lands, for the caller to turn into an instant.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Resolved {
    /// A local date and time of day (minutes after midnight) in the organization's zone.
    Local {
        date: Date,
        minutes: u32,
    },
    /// Minutes from now.
    In(i64),
    Clear,
}

/// A word of the first line and whether it was quoted.
struct Token {
    text: String,
    quoted: bool,
}

fn is_quote(c: char) -> bool {
    matches!(c, '"' | '“' | '”')
}

/// Splits a line at whitespace, keeping "quoted text" together.
fn tokens(line: &str) -> Vec<Token> {
    let mut out = Vec::new();
    let mut current = String::new();
    let mut in_quotes = false;
    let mut quoted = false;
    let mut started = false;
    for c in line.chars() {
        if is_quote(c) {
            if !started {
                quoted = true;
            }
            in_quotes = !in_quotes;
            started = true;
        } else if c.is_whitespace() && !in_quotes {
            if started {
                out.push(Token {
                    text: std::mem::take(&mut current),
                    quoted,
                });
            }
            started = false;
            quoted = false;
        } else {
            current.push(c);
            started = true;
        }
    }
    if started {
        out.push(Token {
            text: current,
            quoted,
        });
    }
    out
}

const UUID_LEN: usize = 36;

fn is_person_id(s: &str) -> bool {
    s.len() == UUID_LEN
        && s.char_indices().all(|(i, c)| match i {
            8 | 13 | 18 | 23 => c == '-',
            _ => c.is_ascii_digit() || ('a'..='f').contains(&c),
        })
}

/// Takes the `<@id>` mentions out of a line (they may be glued to text, as in `请<@id>看`).
fn take_mentions(line: &str, mentions: &mut Vec<String>) -> String {
    let mut out = String::new();
    let mut rest = line;
    while let Some(at) = rest.find("<@") {
        let after = &rest[at + 2..];
        match after.get(..UUID_LEN + 1) {
            Some(candidate) if candidate.ends_with('>') && is_person_id(&candidate[..UUID_LEN]) => {
                out.push_str(&rest[..at]);
                out.push(' ');
                let id = candidate[..UUID_LEN].to_owned();
                if !mentions.contains(&id) {
                    mentions.push(id);
                }
                rest = &after[UUID_LEN + 1..];
            }
            _ => {
                out.push_str(&rest[..at + 2]);
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

const DUE_PREFIXES: [&str; 4] = ["due", "deadline", "截止", "到期"];

/// The due text after `due:` (or `due：`), if the token is one.
fn due_token(text: &str) -> Option<&str> {
    for prefix in DUE_PREFIXES {
        let Some(head) = text.get(..prefix.len()) else {
            continue;
        };
        if !head.eq_ignore_ascii_case(prefix) {
            continue;
        }
        let rest = &text[prefix.len()..];
        if let Some(value) = rest.strip_prefix(':').or_else(|| rest.strip_prefix('：')) {
            return Some(value);
        }
    }
    None
}

fn priority_token(text: &str) -> Option<Priority> {
    let lower = text.to_lowercase();
    if let Some(word) = lower.strip_prefix('!').or_else(|| lower.strip_prefix('！')) {
        return Priority::parse(word);
    }
    matches!(lower.as_str(), "p0" | "p1" | "p2" | "p3")
        .then(|| Priority::parse(&lower))
        .flatten()
}

/// A checklist line: the item and whether it is ticked.
fn checklist_line(line: &str) -> Option<(String, bool)> {
    let t = line.trim();
    let bullet = t
        .strip_prefix("- ")
        .or_else(|| t.strip_prefix("* "))
        .or_else(|| t.strip_prefix("• "));
    let (rest, bulleted) = match bullet {
        Some(rest) => (rest.trim_start(), true),
        None => (t, false),
    };
    for (mark, done) in [("[ ]", false), ("[x]", true), ("[X]", true), ("[]", false)] {
        if let Some(item) = rest.strip_prefix(mark) {
            let item = item.trim();
            return (!item.is_empty()).then(|| (item.to_owned(), done));
        }
    }
    (bulleted && !rest.is_empty()).then(|| (rest.to_owned(), false))
}

/// Checklist items from text with one per line (the forms' "checklist" fields): bullets and
/// `[ ]`/`[x]` marks are understood, any other line is an item as written.
pub fn item_lines(text: &str) -> Vec<(String, bool)> {
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| checklist_line(l).unwrap_or_else(|| (l.trim().to_owned(), false)))
        .collect()
}

/// Parses what follows `/task`.
pub fn parse_quick(text: &str) -> Result<Quick, Refusal> {
    let mut lines = text.lines();
    let first = lines.next().unwrap_or_default();
    let mut quick = Quick::default();
    let first = take_mentions(first, &mut quick.mentions);
    let mut title = Vec::new();
    for token in tokens(&first) {
        if token.quoted {
            title.push(token.text);
            continue;
        }
        let t = token.text.as_str();
        if let Some(value) = due_token(t) {
            if value.is_empty() {
                return Err(Refusal::BadDue(t.to_owned()));
            }
            quick.due = Some(parse_due(value)?);
            quick.due_text = Some(value.to_owned());
        } else if let Some(p) = priority_token(t) {
            quick.priority = Some(p);
        } else if let Some(name) = t.strip_prefix('@').or_else(|| t.strip_prefix('＠')) {
            if name.is_empty() || name.eq_ignore_ascii_case("all") {
                title.push(token.text);
            } else if !quick.names.iter().any(|n| n == name) {
                quick.names.push(name.to_owned());
            }
        } else {
            title.push(token.text);
        }
    }
    quick.title = title.join(" ");
    let mut description = Vec::new();
    for line in lines {
        match checklist_line(line) {
            Some(item) => quick.checklist.push(item),
            None => description.push(line),
        }
    }
    quick.description = description.join("\n").trim().to_owned();
    Ok(quick)
}

fn number<T: std::str::FromStr>(s: &str) -> Option<T> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

/// `17:00`, `9:30`, `17点`, `17时`: minutes after midnight.
fn time_of_day(s: &str) -> Option<u32> {
    let s = s.trim();
    if let Some(h) = s.strip_suffix('点').or_else(|| s.strip_suffix('时')) {
        let h: u32 = number(h)?;
        return (h < 24).then_some(h * 60);
    }
    let (h, m) = s.split_once(':').or_else(|| s.split_once('：'))?;
    if h.len() > 2 || m.len() > 2 {
        return None;
    }
    let (h, m): (u32, u32) = (number(h)?, number(m)?);
    (h < 24 && m < 60).then_some(h * 60 + m)
}

fn weekday(s: &str) -> Option<u8> {
    let lower = s.to_lowercase();
    let english = [
        ["mon", "monday"],
        ["tue", "tuesday"],
        ["wed", "wednesday"],
        ["thu", "thursday"],
        ["fri", "friday"],
        ["sat", "saturday"],
        ["sun", "sunday"],
    ];
    if let Some(i) = english
        .iter()
        .position(|names| names.contains(&lower.as_str()))
    {
        return Some(i as u8 + 1);
    }
    let rest = s
        .strip_prefix("周")
        .or_else(|| s.strip_prefix("星期"))
        .or_else(|| s.strip_prefix("礼拜"))?;
    let chinese = ["一", "二", "三", "四", "五", "六", "日"];
    if let Some(i) = chinese.iter().position(|c| *c == rest) {
        return Some(i as u8 + 1);
    }
    (rest == "天").then_some(7)
}

/// `2026-12-01`, `2026/12/01`, `12-01`, `12/1`, `12月1日` (whether the day exists in its
/// month is checked once the year is known).
fn date(s: &str) -> Option<DaySpec> {
    let spec = written_date(s)?;
    match spec {
        DaySpec::Date { month, day, .. }
            if (1..=12).contains(&month) && (1..=31).contains(&day) =>
        {
            Some(spec)
        }
        _ => None,
    }
}

fn written_date(s: &str) -> Option<DaySpec> {
    if let Some((m, d)) = s.strip_suffix('日').and_then(|r| r.split_once('月')) {
        let (month, day) = (number(m)?, number(d)?);
        return Some(DaySpec::Date {
            year: None,
            month,
            day,
        });
    }
    let parts: Vec<&str> = s.split(['-', '/']).collect();
    match parts.as_slice() {
        [y, m, d] if y.len() == 4 => Some(DaySpec::Date {
            year: Some(number(y)?),
            month: number(m)?,
            day: number(d)?,
        }),
        [m, d] if m.len() <= 2 && d.len() <= 2 => Some(DaySpec::Date {
            year: None,
            month: number(m)?,
            day: number(d)?,
        }),
        _ => None,
    }
}

fn day(s: &str) -> Option<DaySpec> {
    let lower = s.to_lowercase();
    let offset = match lower.as_str() {
        "today" | "tod" | "今天" | "今日" => Some(0),
        "tomorrow" | "tmr" | "tom" | "明天" | "明日" => Some(1),
        "后天" => Some(2),
        _ => None,
    };
    if let Some(n) = offset {
        return Some(DaySpec::Offset(n));
    }
    if let Some(n) = lower.strip_prefix('+').and_then(|r| r.strip_suffix('d')) {
        return Some(DaySpec::Offset(number::<i64>(n)?.min(3650)));
    }
    weekday(s).map(DaySpec::Weekday).or_else(|| date(s))
}

/// A due time as written after `due:` (also what the `/task due` command and the API take).
///
/// `2026-12-01`, `2026-12-01T17:00`, `2026-12-01 17:00`, `12-01`, `12/01@9:30`, `12月1日`,
/// `today`, `tomorrow`, `今天`, `明天`, `后天`, `fri`, `friday`, `周五`, `星期五`, `17:00`,
/// `+3d`, `+2h`, `+30m`, `none` (no due time).
pub fn parse_due(text: &str) -> Result<DueSpec, Refusal> {
    let bad = || Refusal::BadDue(text.to_owned());
    let t = text.trim();
    let lower = t.to_lowercase();
    if matches!(
        lower.as_str(),
        "none" | "no" | "clear" | "-" | "无" | "不限"
    ) {
        return Ok(DueSpec::Clear);
    }
    if let Some(rest) = lower.strip_prefix('+') {
        if let Some(h) = rest.strip_suffix('h') {
            let h: i64 = number(h).ok_or_else(bad)?;
            return Ok(DueSpec::In {
                minutes: h.min(24 * 3650) * 60,
            });
        }
        if let Some(m) = rest.strip_suffix('m').or_else(|| rest.strip_suffix("min")) {
            let m: i64 = number(m).ok_or_else(bad)?;
            return Ok(DueSpec::In {
                minutes: m.min(60 * 24 * 3650),
            });
        }
    }
    if let Some(minutes) = time_of_day(t) {
        return Ok(DueSpec::At { minutes });
    }
    // A day, then optionally a time after `T`, `@`, `,` or a space.
    let split = t
        .char_indices()
        .find(|&(i, c)| {
            matches!(c, '@' | ',' | ' ' | '，')
                || (c == 'T' && i > 0 && t[..i].ends_with(|p: char| p.is_ascii_digit()))
        })
        .map(|(i, c)| (&t[..i], &t[i + c.len_utf8()..]));
    let day = day(split.map_or(t, |(d, _)| d)).ok_or_else(bad)?;
    let minutes = match split {
        // A separator promises a time.
        Some((_, time_text)) => Some(time_of_day(time_text).ok_or_else(bad)?),
        None => None,
    };
    Ok(DueSpec::On { day, minutes })
}

/// Places a due time in the calendar: `today` and `now_minutes` (minutes after local
/// midnight) are the organization's, `default_minutes` the time a bare date gets.
pub fn resolve_due(
    spec: &DueSpec,
    written: &str,
    today: Date,
    now_minutes: u32,
    default_minutes: u32,
) -> Result<Resolved, Refusal> {
    let past = || Refusal::DueInPast(written.to_owned());
    let bad = || Refusal::BadDue(written.to_owned());
    match spec {
        DueSpec::Clear => Ok(Resolved::Clear),
        DueSpec::In { minutes } => Ok(Resolved::In(*minutes)),
        DueSpec::At { minutes } => {
            let date = if *minutes > now_minutes {
                today
            } else {
                today.add_days(1)
            };
            Ok(Resolved::Local {
                date,
                minutes: *minutes,
            })
        }
        DueSpec::On { day, minutes } => {
            let date = match day {
                DaySpec::Offset(n) => today.add_days(*n),
                DaySpec::Weekday(w) => {
                    let ahead = (i64::from(*w) - i64::from(today.weekday())).rem_euclid(7);
                    today.add_days(ahead)
                }
                DaySpec::Date {
                    year: Some(y),
                    month,
                    day,
                } => Date::new(*y, *month, *day).ok_or_else(bad)?,
                DaySpec::Date {
                    year: None,
                    month,
                    day,
                } => {
                    let this = Date::new(today.year(), *month, *day);
                    match this {
                        Some(d) if d >= today => d,
                        // Without a year, a date already past this year means next year's
                        // (and 29 February the next year that has one).
                        _ => (1..=8)
                            .find_map(|n| Date::new(today.year() + n, *month, *day))
                            .ok_or_else(bad)?,
                    }
                }
            };
            let minutes = match minutes {
                Some(m) => *m,
                // "Today" after the default time has passed: the end of the day.
                None if date == today && default_minutes <= now_minutes => LAST_MINUTE,
                None => default_minutes,
            };
            if date < today || (date == today && minutes <= now_minutes) {
                return Err(past());
            }
            Ok(Resolved::Local { date, minutes })
        }
    }
}

/// 23:59.
const LAST_MINUTE: u32 = 24 * 60 - 1;

/// `HH:MM` as minutes after midnight (the `default_due_time` setting).
pub fn parse_time_of_day(text: &str) -> Option<u32> {
    time_of_day(text)
}

/// The member `@name` means: the one whose name is exactly `name` (ignoring case), or else
/// the only one whose name starts with it.
pub fn resolve_name<'a>(name: &str, members: &'a [PersonRef]) -> Result<&'a PersonRef, Refusal> {
    let wanted = name.to_lowercase();
    let exact: Vec<&PersonRef> = members
        .iter()
        .filter(|m| m.name.to_lowercase() == wanted)
        .collect();
    let found = if exact.is_empty() {
        members
            .iter()
            .filter(|m| m.name.to_lowercase().starts_with(&wanted))
            .collect()
    } else {
        exact
    };
    match found.as_slice() {
        [one] => Ok(one),
        [] => Err(Refusal::NoSuchPerson(name.to_owned())),
        many => Err(Refusal::AmbiguousPerson(
            name.to_owned(),
            many.iter().take(5).map(|p| p.name.clone()).collect(),
        )),
    }
}

/// A subcommand of `/task`, or a title.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Command {
    /// `/task` or `/task new`: the form.
    Form,
    Help,
    Mine,
    /// `/task start|done|block|reopen <n>`.
    Move {
        number: u64,
        to: super::Status,
    },
    /// `/task due <n> <when>`.
    Due {
        number: u64,
        when: String,
    },
    /// Anything else: a task to create.
    Create(String),
}

fn task_number(s: &str) -> Option<u64> {
    number(s.strip_prefix('#').unwrap_or(s))
}

/// Reads what follows `/task`. Subcommands win only in their exact shape (`done 12`), so
/// "Done deal with ACME" is still a title.
pub fn parse_command(args: &str) -> Command {
    use super::Status;
    let text = args.trim();
    let first_line = text.lines().next().unwrap_or_default().trim();
    let words: Vec<&str> = first_line.split_whitespace().collect();
    let multiline = text.lines().count() > 1;
    match words.as_slice() {
        [] => Command::Form,
        [w] if !multiline && matches!(w.to_lowercase().as_str(), "new" | "form" | "新建") => {
            Command::Form
        }
        [w] if !multiline && matches!(w.to_lowercase().as_str(), "help" | "?" | "帮助") => {
            Command::Help
        }
        [w] if !multiline && matches!(w.to_lowercase().as_str(), "mine" | "my" | "我的") => {
            Command::Mine
        }
        [verb, n] if !multiline => {
            let to = match verb.to_lowercase().as_str() {
                "start" | "开始" => Some(Status::InProgress),
                "done" | "complete" | "finish" | "完成" => Some(Status::Done),
                "block" | "受阻" => Some(Status::Blocked),
                "reopen" | "重新打开" => Some(Status::Todo),
                _ => None,
            };
            match (to, task_number(n)) {
                (Some(to), Some(number)) => Command::Move { number, to },
                _ => Command::Create(text.to_owned()),
            }
        }
        [verb, n, rest @ ..]
            if !multiline
                && matches!(verb.to_lowercase().as_str(), "due" | "截止")
                && task_number(n).is_some() =>
        {
            Command::Due {
                number: task_number(n).unwrap_or_default(),
                when: rest.join(" "),
            }
        }
        _ => Command::Create(text.to_owned()),
    }
}

#[cfg(test)]
mod tests;

//! Full-text message search: what a message contributes to the index, what a query asks
//! for, and the highlighted snippet shown with a result.
//!
//! Chinese has no spaces between words, so neither SQLite's tokenizers nor PostgreSQL's
//! parser can find the word 报销 inside 差旅报销单已提交 (the trigram tokenizer needs three
//! characters; the default ones see the whole run as one token). Segmentation happens here
//! instead, with jieba and the dictionary its crate ships, and both databases index the
//! result as plain space-separated terms:
//!
//! - **index terms** are jieba's search-mode words (`差旅 报销 报销单 已 提交`: long words
//!   also give their dictionary sub-words) plus every CJK character on its own, lowercased
//!   with full-width ASCII folded, punctuation dropped, each once;
//! - **query terms** are jieba's words of the query without its statistical model, so each
//!   is a dictionary word or a single character: a dictionary word matches where the text
//!   was segmented to contain it, and names or rare words the dictionary lacks fall back to
//!   their characters. Every term must match (AND); the last one also matches as a prefix
//!   while someone is still typing a Latin word.
//!
//! Operators are not syntax: `a OR b`, quotes, `-x` and `*` are words or punctuation like
//! any other, so a query can neither fail to parse nor change meaning.

use std::collections::HashSet;
use std::sync::LazyLock;

use jieba_rs::Jieba;
use serde::Serialize;

use crate::search::fold_width;

static JIEBA: LazyLock<Jieba> = LazyLock::new(Jieba::new);

/// Longest query accepted, in characters.
pub const MAX_QUERY_CHARS: usize = 200;
/// Most terms in one query (after segmentation).
pub const MAX_QUERY_TERMS: usize = 16;
/// Longest single term, in characters; longer runs are cut to this length in the index and
/// in queries alike (PostgreSQL refuses lexemes over 2 KiB).
pub const MAX_TERM_CHARS: usize = 64;
/// Characters of message text shown in a snippet.
pub const SNIPPET_CHARS: usize = 120;

/// Warms the segmenter (loading its dictionary takes a few hundred milliseconds), so the
/// first search or post after start-up does not pay for it.
pub fn warm_up() {
    LazyLock::force(&JIEBA);
}

/// The index terms of `text`, space-separated, each once. Empty when the text has none.
pub fn index_terms(text: &str) -> String {
    let text = normalize(text);
    let mut seen = HashSet::new();
    let mut out = String::new();
    let mut push = |term: &str| {
        if seen.insert(term.to_owned()) {
            if !out.is_empty() {
                out.push(' ');
            }
            out.push_str(term);
        }
    };
    for token in JIEBA.cut_for_search(&text, true) {
        for_each_term(token.word, &mut push);
    }
    let mut buf = [0u8; 4];
    for c in text.chars().filter(|c| is_cjk(*c) && c.is_alphanumeric()) {
        push(c.encode_utf8(&mut buf));
    }
    out
}

/// Why a query was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QueryError {
    #[error("the search query is empty")]
    Empty,
    #[error("the search query is longer than {max} characters")]
    TooLong { max: usize },
    #[error("the search query has no words to look for")]
    NoWords,
    #[error("the search query has more than {max} words")]
    TooManyWords { max: usize },
}

/// A parsed query: the terms every result contains.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Query {
    terms: Vec<String>,
    /// Whether the last term also matches words it begins.
    prefix: bool,
}

impl Query {
    pub fn parse(q: &str) -> Result<Self, QueryError> {
        if q.chars().count() > MAX_QUERY_CHARS {
            return Err(QueryError::TooLong {
                max: MAX_QUERY_CHARS,
            });
        }
        let text = normalize(q);
        if text.trim().is_empty() {
            return Err(QueryError::Empty);
        }
        let mut terms: Vec<String> = Vec::new();
        for token in JIEBA.cut(&text, false) {
            for_each_term(token.word, |t| {
                if !terms.iter().any(|have| have == t) {
                    terms.push(t.to_owned());
                }
            });
        }
        if terms.is_empty() {
            return Err(QueryError::NoWords);
        }
        if terms.len() > MAX_QUERY_TERMS {
            return Err(QueryError::TooManyWords {
                max: MAX_QUERY_TERMS,
            });
        }
        // Typing "quart" should already find "quarterly"; a query ending in a space or in
        // punctuation has finished its last word.
        let last_char = text.chars().last().unwrap_or(' ');
        let last_term = terms.last().map(String::as_str).unwrap_or_default();
        let prefix = last_char.is_alphanumeric() && !last_term.chars().any(is_cjk);
        Ok(Query { terms, prefix })
    }

    pub fn terms(&self) -> &[String] {
        &self.terms
    }

    /// The query in SQLite FTS5 syntax. Terms hold only letters and digits, so quoting them
    /// is all the escaping they need.
    pub fn fts5(&self) -> String {
        self.render(|t| format!("\"{t}\""), "\"*", " AND ")
    }

    /// The query as a PostgreSQL `tsquery` literal (cast with `::tsquery`).
    pub fn tsquery(&self) -> String {
        self.render(|t| format!("'{t}'"), "':*", " & ")
    }

    fn render(&self, quote: impl Fn(&str) -> String, prefixed_end: &str, and: &str) -> String {
        let last = self.terms.len() - 1;
        let parts: Vec<String> = self
            .terms
            .iter()
            .enumerate()
            .map(|(i, t)| {
                let q = quote(t);
                if i == last && self.prefix {
                    format!("{}{prefixed_end}", &q[..q.len() - 1])
                } else {
                    q
                }
            })
            .collect();
        parts.join(and)
    }
}

/// One piece of a snippet: text to show, marked when it matched the query.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SnippetPart {
    pub text: String,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub hit: bool,
}

/// The part of `text` around its first match, at most [`SNIPPET_CHARS`] characters, with
/// every occurrence of a query term marked. An ellipsis shows where text was cut.
pub fn snippet(text: &str, query: &Query) -> Vec<SnippetPart> {
    let chars: Vec<char> = text.chars().collect();
    // Matching runs over a copy normalised one character at a time, so positions in it
    // are positions in the text.
    let folded: Vec<char> = chars.iter().map(|c| fold_char(*c)).collect();
    let terms: Vec<Vec<char>> = query.terms.iter().map(|t| t.chars().collect()).collect();
    let mut hit = vec![false; chars.len()];
    for term in terms.iter().filter(|t| !t.is_empty()) {
        for start in 0..folded.len().saturating_sub(term.len() - 1) {
            if folded[start..start + term.len()] == term[..] {
                hit[start..start + term.len()].fill(true);
            }
        }
    }
    let first = hit.iter().position(|h| *h).unwrap_or(0);
    let mut start = first.saturating_sub(SNIPPET_CHARS / 4);
    let end = (start + SNIPPET_CHARS).min(chars.len());
    start = end.saturating_sub(SNIPPET_CHARS).min(start);
    let mut parts: Vec<SnippetPart> = Vec::new();
    let mut push = |c: char, h: bool| match parts.last_mut() {
        Some(last) if last.hit == h => last.text.push(c),
        _ => parts.push(SnippetPart {
            text: c.to_string(),
            hit: h,
        }),
    };
    if start > 0 {
        push('…', false);
    }
    for i in start..end {
        // Line breaks would make a list of results ragged.
        let c = if chars[i].is_whitespace() {
            ' '
        } else {
            chars[i]
        };
        push(c, hit[i]);
    }
    if end < chars.len() {
        push('…', false);
    }
    parts
}

/// Splits a segmenter token into terms: runs of letters and digits, cut to
/// [`MAX_TERM_CHARS`].
fn for_each_term(word: &str, mut f: impl FnMut(&str)) {
    for run in word.split(|c: char| !c.is_alphanumeric()) {
        if run.is_empty() {
            continue;
        }
        match run.char_indices().nth(MAX_TERM_CHARS) {
            Some((cut, _)) => f(&run[..cut]),
            None => f(run),
        }
    }
}

fn normalize(s: &str) -> String {
    s.chars().map(fold_char).collect()
}

/// One character normalised to one character: full-width ASCII folded, lowercased (the
/// rare characters whose lowercase is longer keep their first character).
fn fold_char(c: char) -> char {
    let c = fold_width(c);
    c.to_lowercase().next().unwrap_or(c)
}

/// Han ideographs, kana and Hangul: scripts written without spaces, indexed character by
/// character as well as by word.
fn is_cjk(c: char) -> bool {
    matches!(c,
        '\u{3040}'..='\u{30ff}'   // Hiragana, Katakana
        | '\u{3400}'..='\u{4dbf}' // CJK Extension A
        | '\u{4e00}'..='\u{9fff}' // CJK Unified Ideographs
        | '\u{ac00}'..='\u{d7af}' // Hangul syllables
        | '\u{f900}'..='\u{faff}' // CJK Compatibility Ideographs
        | '\u{20000}'..='\u{2ebef}' // Extensions B–F
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn terms(text: &str) -> Vec<String> {
        index_terms(text).split(' ').map(str::to_owned).collect()
    }

    fn finds(text: &str, q: &str) -> bool {
        let index: HashSet<String> = terms(text).into_iter().collect();
        let query = Query::parse(q).unwrap();
        let last = query.terms.len() - 1;
        query.terms.iter().enumerate().all(|(i, t)| {
            index.contains(t)
                || (i == last && query.prefix && index.iter().any(|w| w.starts_with(t.as_str())))
        })
    }

    #[test]
    fn a_two_character_word_inside_a_longer_one_is_found() {
        assert!(finds("差旅报销单已提交", "报销"));
        assert!(finds("差旅报销单已提交", "报销单"));
        assert!(finds("差旅报销单已提交", "差旅报销"));
        assert!(finds("差旅报销单已提交", "提交"));
        assert!(!finds("差旅报销单已提交", "报告"));
    }

    #[test]
    fn names_the_dictionary_lacks_are_found_by_their_characters() {
        assert!(finds("请把合同发给张晓明确认", "张晓明"));
        assert!(finds("请把合同发给张晓明确认", "晓明"));
    }

    #[test]
    fn latin_words_are_case_and_width_insensitive_with_a_typing_prefix() {
        assert!(finds("Quarterly Report for ACME", "quarterly report"));
        assert!(finds("Quarterly Report for ACME", "ＡＣＭＥ"));
        assert!(finds("Quarterly Report for ACME", "quart"));
        assert!(
            !finds("Quarterly Report for ACME", "quart "),
            "a finished word is whole"
        );
        assert!(finds("版本 WES-5.4.5 已发布", "wes"));
    }

    #[test]
    fn operators_and_quotes_are_words_not_syntax() {
        let q = Query::parse("\"budget\" OR -salary*").unwrap();
        assert_eq!(q.terms(), ["budget", "or", "salary"]);
        assert_eq!(q.fts5(), "\"budget\" AND \"or\" AND \"salary\"");
        assert_eq!(q.tsquery(), "'budget' & 'or' & 'salary'");
        let q = Query::parse("预算 rep").unwrap();
        assert_eq!(q.fts5(), "\"预算\" AND \"rep\"*");
        assert_eq!(q.tsquery(), "'预算' & 'rep':*");
    }

    #[test]
    fn bad_queries_are_refused_with_a_reason() {
        assert_eq!(Query::parse("   "), Err(QueryError::Empty));
        assert_eq!(Query::parse("？！…"), Err(QueryError::NoWords));
        assert_eq!(
            Query::parse(&"x".repeat(MAX_QUERY_CHARS + 1)),
            Err(QueryError::TooLong {
                max: MAX_QUERY_CHARS
            })
        );
        let many: Vec<String> = (0..20).map(|i| format!("w{i}")).collect();
        assert_eq!(
            Query::parse(&many.join(" ")),
            Err(QueryError::TooManyWords {
                max: MAX_QUERY_TERMS
            })
        );
    }

    #[test]
    fn index_terms_are_unique_and_long_runs_are_cut() {
        let t = terms("好 好 好 ok OK");
        assert_eq!(t, ["好", "ok"]);
        let long = "a".repeat(500);
        assert_eq!(terms(&long)[0].len(), MAX_TERM_CHARS);
        assert!(finds(&long, &"a".repeat(100)));
        assert_eq!(index_terms("!!! ..."), "");
    }

    #[test]
    fn snippets_mark_matches_around_the_first_one() {
        let q = Query::parse("报销").unwrap();
        let parts = snippet("差旅报销单已提交，报销周期三天", &q);
        let marked: Vec<&str> = parts
            .iter()
            .filter(|p| p.hit)
            .map(|p| p.text.as_str())
            .collect();
        assert_eq!(marked, ["报销", "报销"]);
        let joined: String = parts.iter().map(|p| p.text.as_str()).collect();
        assert_eq!(joined, "差旅报销单已提交，报销周期三天");

        let long = format!("{}Budget\n{}", "x ".repeat(200), "y ".repeat(200));
        let parts = snippet(&long, &Query::parse("budget").unwrap());
        let joined: String = parts.iter().map(|p| p.text.as_str()).collect();
        assert!(joined.starts_with('…') && joined.ends_with('…'));
        assert!(joined.contains("Budget "), "line breaks become spaces");
        assert!(parts.iter().any(|p| p.hit && p.text == "Budget"));
        assert!(joined.chars().count() <= SNIPPET_CHARS + 2);
    }

    proptest! {
        #[test]
        fn any_text_indexes_and_any_query_parses_or_is_refused(text in "\\PC{0,200}", q in "\\PC{0,80}") {
            let index = index_terms(&text);
            prop_assert!(!index.contains("  "));
            for term in index.split(' ').filter(|t| !t.is_empty()) {
                prop_assert!(term.chars().all(char::is_alphanumeric));
            }
            if let Ok(query) = Query::parse(&q) {
                for term in query.terms() {
                    prop_assert!(term.chars().all(char::is_alphanumeric));
                    prop_assert!(!term.is_empty());
                }
                let _ = snippet(&text, &query);
            }
        }

        #[test]
        fn every_word_of_a_text_finds_it(words in proptest::collection::vec("[a-z]{2,8}|[\\u{4e00}-\\u{4e80}]{1,3}", 1..8)) {
            let text = words.join(" ");
            for w in &words {
                prop_assert!(finds(&text, w), "{w:?} in {text:?}");
            }
        }
    }
}

//! People-directory search: the precomputed search keys stored per person, query
//! normalisation, the substring test (in memory and as a SQL `LIKE` pattern) and ranking.
//!
//! A person's `search_text` is a list of keys joined by [`KEY_SEPARATOR`]. Every key is
//! normalised the same way as queries (full-width ASCII folded, lowercased, control
//! characters dropped), so a plain substring test answers "does this person match?":
//!
//! - the name as written (`"john smith"`) and without whitespace (`"johnsmith"`), because
//!   queries lose their whitespace (`"zhang san"` is searched as `"zhangsan"`);
//! - the spelling of the name with every Han character replaced by its toneless pinyin
//!   (`张三` → `"zhangsan"`) and the initials of its parts (`"zs"`; `"John Smith"` → `"js"`,
//!   `"Lily 王"` → `"lilywang"`, `"lw"`). Polyphonic characters (单 dan/shan, 曾 ceng/zeng)
//!   add alternative spellings, fewest uncommon readings first, at most [`MAX_SPELLINGS`];
//!   `ü` is spelled both `v` (as typed with an IME) and `u`;
//! - the title and the department (as written and without whitespace);
//! - the email and its local part.
//!
//! Queries can never contain the separator, so a match never spans two keys.

use pinyin::{ToPinyin, ToPinyinMulti};

use crate::limits::MAX_NAME_CHARS;

/// Separates the keys of an index text. It is a control character, which normalisation
/// removes from queries and keys alike.
pub const KEY_SEPARATOR: char = '\u{1f}';

/// Longest query accepted, in characters after normalisation.
pub const MAX_QUERY_CHARS: usize = 64;

/// Most full spellings (and, separately, initials) produced for one name.
pub const MAX_SPELLINGS: usize = 8;

/// Everything searchable about a person, normalised into one string of keys separated by
/// [`KEY_SEPARATOR`] (`'\u{1f}'`, the unit separator), a character no query can contain — so a
/// query never matches across two keys.
///
/// Store the result in the person's `search_text` column and recompute it whenever one of
/// the inputs changes.
pub fn index_text(display_name: &str, title: &str, department: &str, email: &str) -> String {
    let mut keys = Keys::default();
    let name = NameKeys::of(display_name);
    keys.push(name.written);
    keys.push(name.compact);
    keys.extend(name.spellings);
    keys.extend(name.initials);

    for field in [title, department] {
        let written = written(field);
        keys.push(written.replace(' ', ""));
        keys.push(written);
    }

    let email = compact(email);
    if let Some((local, _domain)) = email.rsplit_once('@') {
        keys.push(local.to_owned());
    }
    keys.push(email);

    keys.0.join(&KEY_SEPARATOR.to_string())
}

/// Normalises a user's query: full-width ASCII folded to half-width, lowercased, whitespace
/// and control characters removed (so `"zhang san"` finds 张三 and the result never contains
/// [`KEY_SEPARATOR`]). `None` if nothing is left or more than [`MAX_QUERY_CHARS`] characters are.
pub fn normalize_query(q: &str) -> Option<String> {
    let q = compact(q);
    let len = q.chars().count();
    (1..=MAX_QUERY_CHARS).contains(&len).then_some(q)
}

/// The same test the SQL does: is the normalised query a substring of the index text?
pub fn matches(index_text: &str, normalized_query: &str) -> bool {
    !normalized_query.contains(KEY_SEPARATOR) && index_text.contains(normalized_query)
}

/// The SQL `LIKE` pattern for a normalised query, for use with `ESCAPE '\'`: escapes `\`, `%`
/// and `_` and wraps the result in `%…%`.
pub fn like_pattern(normalized_query: &str) -> String {
    format!("%{}%", like_escape(normalized_query))
}

fn like_escape(normalized_query: &str) -> String {
    let mut escaped = String::with_capacity(normalized_query.len());
    for c in normalized_query.chars() {
        if matches!(c, '\\' | '%' | '_') {
            escaped.push('\\');
        }
        escaped.push(c);
    }
    escaped
}

/// The SQL `LIKE` patterns (for `ESCAPE '\'`) of one normalised query: `contains` selects the
/// matches; the others let storage order candidates coarsely before a page is cut, so that
/// everyone [`rank`] puts at 0 to 2 comes before people who merely contain the query (who may
/// be many, and alphabetically first).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LikePatterns {
    /// Some key contains the query: `%q%`, over the index text.
    pub contains: String,
    /// Some key is the query: `%␟q␟%`, over the index text with a [`KEY_SEPARATOR`] added at
    /// both ends (rank 0 matches this).
    pub exact_key: String,
    /// Some key starts with the query: `%␟q%`, over the index text with a separator added in
    /// front (names, spellings and initials starting with the query: ranks 1 and 2).
    pub key_prefix: String,
    /// Some word inside a key starts with the query: `% q%`, over the index text (rank 1 for
    /// later words of a name).
    pub word_prefix: String,
}

pub fn like_patterns(normalized_query: &str) -> LikePatterns {
    let q = like_escape(normalized_query);
    let sep = KEY_SEPARATOR;
    LikePatterns {
        contains: format!("%{q}%"),
        exact_key: format!("%{sep}{q}{sep}%"),
        key_prefix: format!("%{sep}{q}%"),
        word_prefix: format!("% {q}%"),
    }
}

/// How well a person matches, for ordering results; lower is better:
///
/// - `0`: the query is the name (ignoring case and whitespace);
/// - `1`: the name, or one of its whitespace-separated words, starts with the query;
/// - `2`: a pinyin spelling or the initials of the name start with the query;
/// - `3`: any other key contains the query (part of a name, title, department, email);
/// - `4`: no match at all.
pub fn rank(display_name: &str, index_text: &str, normalized_query: &str) -> u8 {
    let q = normalized_query;
    let name = NameKeys::of(display_name);
    if name.compact == q {
        0
    } else if name.compact.starts_with(q) || name.written.split(' ').any(|w| w.starts_with(q)) {
        1
    } else if name
        .spellings
        .iter()
        .chain(&name.initials)
        .any(|k| k.starts_with(q))
    {
        2
    } else if matches(index_text, q) {
        3
    } else {
        4
    }
}

/// Keys in insertion order, without empties or duplicates.
#[derive(Default)]
struct Keys(Vec<String>);

impl Keys {
    fn push(&mut self, key: String) {
        if !key.is_empty() && !self.0.contains(&key) {
            self.0.push(key);
        }
    }

    fn extend(&mut self, keys: impl IntoIterator<Item = String>) {
        keys.into_iter().for_each(|k| self.push(k));
    }
}

/// The keys derived from a display name.
struct NameKeys {
    /// Normalised, words separated by single spaces: `"john smith"`.
    written: String,
    /// Normalised without whitespace: `"johnsmith"`, `"张三"`.
    compact: String,
    /// Full spellings, letters and digits only: `"zhangsan"`, `"lilywang"`, `"johnsmith"`.
    spellings: Vec<String>,
    /// First letters of the parts, for names of two or more parts: `"zs"`, `"js"`.
    initials: Vec<String>,
}

impl NameKeys {
    fn of(display_name: &str) -> Self {
        let written = written(display_name);
        let compact = written.replace(' ', "");
        // Spelling is bounded work per character; names are short, but index_text must stay
        // cheap on anything. The written keys above still cover the whole name.
        let head: String = written.chars().take(MAX_NAME_CHARS).collect();
        let parts = parts(&head);

        let mut spellings = Vec::new();
        let mut initials = Vec::new();
        for spelling in spell(&parts) {
            push_unique(&mut spellings, spelling.concat());
            if parts.len() >= 2 {
                let firsts = spelling.iter().filter_map(|s| s.chars().next()).collect();
                push_unique(&mut initials, firsts);
            }
        }
        NameKeys {
            written,
            compact,
            spellings,
            initials,
        }
    }
}

fn push_unique(keys: &mut Vec<String>, key: String) {
    if !key.is_empty() && !keys.contains(&key) {
        keys.push(key);
    }
}

/// Splits a normalised name into spellable parts, each given as its possible spellings
/// (most common first): one part per Han character (its pinyin readings) and one per run of
/// other letters and digits (the run itself). Everything else only separates parts.
fn parts(name: &str) -> Vec<Vec<String>> {
    let mut parts = Vec::new();
    let mut word = String::new();
    for c in name.chars() {
        if let Some(readings) = readings(c) {
            if !word.is_empty() {
                parts.push(vec![std::mem::take(&mut word)]);
            }
            parts.push(readings);
        } else if c.is_alphanumeric() {
            word.push(c);
        } else if !word.is_empty() {
            parts.push(vec![std::mem::take(&mut word)]);
        }
    }
    if !word.is_empty() {
        parts.push(vec![word]);
    }
    parts
}

/// The toneless pinyin readings of a Han character, most common first, with `ü` spelled both
/// `v` and `u`; `None` for characters without pinyin.
fn readings(c: char) -> Option<Vec<String>> {
    let common = c.to_pinyin()?;
    let others = c.to_pinyin_multi().into_iter().flatten();
    let mut readings = Vec::new();
    for reading in std::iter::once(common).chain(others) {
        let plain = reading.plain();
        if plain.contains('ü') {
            push_unique(&mut readings, plain.replace('ü', "v"));
            push_unique(&mut readings, plain.replace('ü', "u"));
        } else {
            push_unique(&mut readings, plain.to_owned());
        }
    }
    Some(readings)
}

/// Up to [`MAX_SPELLINGS`] ways to spell the parts, one spelling chosen per part, ordered by
/// how many uncommon readings they use (so the most likely spellings survive the bound).
fn spell(parts: &[Vec<String>]) -> Vec<Vec<&str>> {
    // (number of uncommon readings, spelling so far)
    let mut spellings: Vec<(usize, Vec<&str>)> = vec![(0, Vec::new())];
    for readings in parts {
        let mut longer = Vec::with_capacity(spellings.len() * readings.len());
        for (uncommon, prefix) in &spellings {
            for (i, reading) in readings.iter().enumerate() {
                let mut spelling = prefix.clone();
                spelling.push(reading.as_str());
                longer.push((uncommon + usize::from(i > 0), spelling));
            }
        }
        // Stable, and extending with the common reading adds nothing: keeping the best few
        // prefixes keeps the best few spellings.
        longer.sort_by_key(|(uncommon, _)| *uncommon);
        longer.truncate(MAX_SPELLINGS);
        spellings = longer;
    }
    spellings
        .into_iter()
        .map(|(_, spelling)| spelling)
        .collect()
}

/// Normalised with words separated by single spaces.
fn written(s: &str) -> String {
    normalize(s)
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// Normalised with all whitespace removed.
fn compact(s: &str) -> String {
    normalize(s).split_whitespace().collect()
}

/// Full-width ASCII folded to half-width, lowercased, control characters (among them
/// [`KEY_SEPARATOR`]) dropped.
fn normalize(s: &str) -> String {
    s.chars()
        .map(fold_width)
        .flat_map(char::to_lowercase)
        .filter(|c| !c.is_control())
        .collect()
}

/// Folds full-width ASCII (U+FF01..=U+FF5E) and the ideographic space to their ASCII forms.
pub(crate) fn fold_width(c: char) -> char {
    match c {
        '\u{ff01}'..='\u{ff5e}' => char::from_u32(u32::from(c) - 0xfee0).unwrap_or(c),
        '\u{3000}' => ' ',
        _ => c,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn keys(text: &str) -> Vec<&str> {
        text.split(KEY_SEPARATOR).collect()
    }

    fn finds(name: &str, query: &str) -> bool {
        let q = normalize_query(query).expect("test queries are valid");
        matches(&index_text(name, "", "", ""), &q)
    }

    #[test]
    fn chinese_names_by_characters_pinyin_and_initials() {
        let table: &[(&str, &[&str])] = &[
            (
                "张三",
                &[
                    "张三",
                    "张",
                    "三",
                    "zhangsan",
                    "zhang san",
                    "zs",
                    "zhang",
                    "san",
                    "zhangs",
                ],
            ),
            (
                "李小龙",
                &[
                    "李小龙",
                    "小龙",
                    "lxl",
                    "lixiaolong",
                    "xiaolong",
                    "long",
                    "xl",
                    "LI Xiao Long",
                ],
            ),
            (
                "单田芳",
                &["dantianfang", "shantianfang", "dtf", "stf", "田芳"],
            ),
            (
                "曾国藩",
                &["zengguofan", "cengguofan", "zgf", "cgf", "guofan"],
            ),
            ("解缙", &["xiejin", "jiejin", "xj"]),
            ("吕布", &["lvbu", "lubu", "lb"]),
        ];
        for (name, queries) in table {
            for query in *queries {
                assert!(finds(name, query), "{name} should be found by {query:?}");
            }
        }
    }

    #[test]
    fn chinese_names_do_not_match_unrelated_queries() {
        for (name, query) in [
            ("张三", "zhangsi"),
            ("张三", "ls"),
            ("李小龙", "lixl"),
            ("曾国藩", "zhengguofan"),
        ] {
            assert!(
                !finds(name, query),
                "{name} should not be found by {query:?}"
            );
        }
    }

    #[test]
    fn mixed_and_latin_names() {
        let table: &[(&str, &[&str])] = &[
            (
                "Lily 王",
                &["lily", "Lily 王", "lily王", "王", "wang", "lilywang", "lw"],
            ),
            ("王 Lily", &["wanglily", "wl"]),
            (
                "John Smith",
                &["john", "SMITH", "johnsmith", "John Smith", "js", "hn sm"],
            ),
            ("Mary-Jane Watson", &["mary-jane", "maryjane", "mjw"]),
            ("ＪＯＨＮ", &["john"]),
        ];
        for (name, queries) in table {
            for query in *queries {
                assert!(finds(name, query), "{name} should be found by {query:?}");
            }
        }
        assert!(!finds("John Smith", "jsm"));
    }

    #[test]
    fn polyphonic_spellings_are_bounded() {
        // 和 alone has four readings; a long name of them must not explode.
        let text = index_text("和和和和和和和和和和", "", "", "");
        let spellings = keys(&text)
            .iter()
            .filter(|k| k.starts_with('h') && k.len() > 10)
            .count();
        assert!(spellings <= MAX_SPELLINGS, "{spellings} spellings");
        assert!(keys(&text).contains(&"hehehehehehehehehehe"));
        // The common spelling comes first, then single substitutions, surname first.
        let text = index_text("单田芳", "", "", "");
        let full: Vec<&str> = keys(&text)
            .into_iter()
            .filter(|k| k.ends_with("tianfang"))
            .collect();
        assert_eq!(full[0], "dantianfang");
        assert!(full.contains(&"shantianfang"));
    }

    #[test]
    fn title_department_and_email() {
        let text = index_text(
            "张三",
            "Senior Engineer",
            "研发 中心",
            "Zhang.San@Example.COM",
        );
        for query in [
            "senior",
            "senior engineer",
            "ENGINEER",
            "研发",
            "研发中心",
            "zhang.san",
            "zhang.san@example.com",
            "example.com",
            "@example",
        ] {
            let q = normalize_query(query).unwrap();
            assert!(matches(&text, &q), "should be found by {query:?}");
        }
        let q = normalize_query("manager").unwrap();
        assert!(!matches(&text, &q));
    }

    #[test]
    fn no_match_across_keys() {
        let text = index_text("张三", "工程师", "研发部", "zs@example.com");
        let keys = keys(&text);
        assert!(keys.len() > 5, "{keys:?}");
        for pair in keys.windows(2) {
            let (end, start) = (
                pair[0].chars().last().unwrap(),
                pair[1].chars().next().unwrap(),
            );
            let spanning = format!("{end}{start}");
            if keys.iter().any(|k| k.contains(&spanning)) {
                continue; // found inside a key anyway
            }
            assert!(text.replace(KEY_SEPARATOR, "").contains(&spanning));
            assert!(!matches(&text, &spanning), "{spanning:?} spans two keys");
        }
        // A query cannot smuggle the separator in.
        assert_eq!(normalize_query("三\u{1f}工程").as_deref(), Some("三工程"));
        assert!(!matches(&text, "三\u{1f}工程"));
    }

    #[test]
    fn query_normalisation() {
        assert_eq!(normalize_query("  Zhang San ").as_deref(), Some("zhangsan"));
        assert_eq!(
            normalize_query("ＺＨＡＮＧ\u{3000}ｓａｎ").as_deref(),
            Some("zhangsan")
        );
        assert_eq!(normalize_query("１００％").as_deref(), Some("100%"));
        assert_eq!(normalize_query("张 三").as_deref(), Some("张三"));
        assert_eq!(normalize_query(""), None);
        assert_eq!(normalize_query(" \t\u{3000}\n"), None);
        assert_eq!(normalize_query(&"a".repeat(64)).map(|q| q.len()), Some(64));
        assert_eq!(normalize_query(&"a".repeat(65)), None);
        assert_eq!(
            normalize_query(&format!("{} ", "张".repeat(64))).map(|q| q.chars().count()),
            Some(64)
        );
    }

    #[test]
    fn like_escaping() {
        assert_eq!(like_pattern("zhang"), "%zhang%");
        assert_eq!(like_pattern("100%"), "%100\\%%");
        assert_eq!(like_pattern("a_b"), "%a\\_b%");
        assert_eq!(like_pattern("c:\\x"), "%c:\\\\x%");
        assert_eq!(like_pattern("%_\\"), "%\\%\\_\\\\%");
    }

    #[test]
    fn like_patterns_cover_the_top_ranks() {
        let p = like_patterns("a_b");
        assert_eq!(p.contains, "%a\\_b%");
        assert_eq!(p.exact_key, "%\u{1f}a\\_b\u{1f}%");
        assert_eq!(p.key_prefix, "%\u{1f}a\\_b%");
        assert_eq!(p.word_prefix, "% a\\_b%");
        // The in-memory counterparts of the patterns, for plain queries.
        let sep = KEY_SEPARATOR.to_string();
        let cases = [
            ("Li", "", "li"),
            ("Li Na", "", "li"),
            ("Aaron Li", "", "li"),
            ("Li Ming", "", "liming"),
            ("张三", "", "zhangsan"),
            ("张三丰", "", "zs"),
            ("Alice", "", "li"),
        ];
        for (name, title, q) in cases {
            let text = index_text(name, title, "", "x@y.z");
            let exact = format!("{sep}{text}{sep}").contains(&format!("{sep}{q}{sep}"));
            let prefix = format!("{sep}{text}").contains(&format!("{sep}{q}"))
                || text.contains(&format!(" {q}"));
            let r = rank(name, &text, q);
            assert_eq!(r == 0, r == 0 && exact, "{name} / {q}");
            assert_eq!(r <= 2, exact || prefix, "{name} / {q}: rank {r}");
        }
    }

    #[test]
    fn rank_orders_results() {
        let rank_of = |name: &str, title: &str, query: &str| {
            let q = normalize_query(query).unwrap();
            rank(name, &index_text(name, title, "", ""), &q)
        };
        assert_eq!(rank_of("张三", "", "张三"), 0);
        assert_eq!(rank_of("John Smith", "", "john smith"), 0);
        assert_eq!(rank_of("张三", "", "张"), 1);
        assert_eq!(rank_of("John Smith", "", "smi"), 1);
        assert_eq!(rank_of("张三", "", "zhang"), 2);
        assert_eq!(rank_of("张三", "", "zs"), 2);
        assert_eq!(rank_of("单田芳", "", "shan"), 2);
        assert_eq!(rank_of("张三", "", "san"), 3);
        assert_eq!(rank_of("张三", "", "三"), 3);
        assert_eq!(rank_of("张三", "Zhang Lab Lead", "lab"), 3);
        assert_eq!(rank_of("张三", "", "wang"), 4);

        let people = ["王张", "张伟", "章子怡", "张", "Zhang Wei"];
        let mut ranked: Vec<(u8, &str)> = people
            .iter()
            .map(|name| (rank(name, &index_text(name, "", "", ""), "张"), *name))
            .collect();
        ranked.sort();
        let order: Vec<&str> = ranked.iter().map(|(_, name)| *name).collect();
        assert_eq!(order, ["张", "张伟", "王张", "Zhang Wei", "章子怡"]);
    }

    proptest! {
        #[test]
        fn index_text_never_panics(name in ".*", title in ".*", dept in ".*", email in ".*") {
            let _ = index_text(&name, &title, &dept, &email);
        }

        #[test]
        fn han_names_stay_bounded(name in "[\\u{4e00}-\\u{9fff}a-zＡ-Ｚ ·]{0,150}") {
            let text = index_text(&name, "", "", "");
            let longest = name.chars().count().min(MAX_NAME_CHARS) * 6;
            prop_assert!(text.len() <= name.len() * 2 + 2 * MAX_SPELLINGS * (longest + 1));
        }

        #[test]
        fn normalized_queries_are_bounded_and_separator_free(q in ".*") {
            if let Some(n) = normalize_query(&q) {
                prop_assert!(!n.contains(KEY_SEPARATOR));
                prop_assert!(!n.is_empty() && n.chars().count() <= MAX_QUERY_CHARS);
                prop_assert!(!n.chars().any(char::is_whitespace));
                prop_assert_eq!(normalize_query(&n), Some(n.clone()));
            }
        }

        #[test]
        fn everyone_is_found_by_their_own_fields(name in ".{0,40}", title in ".{0,40}", email in ".{0,40}") {
            let text = index_text(&name, &title, "", &email);
            for field in [&name, &title, &email] {
                if let Some(q) = normalize_query(field) {
                    prop_assert!(matches(&text, &q));
                    prop_assert!(rank(&name, &text, &q) <= 3);
                }
            }
            if let Some(q) = normalize_query(&name) {
                prop_assert_eq!(rank(&name, &text, &q), 0);
            }
        }
    }
}

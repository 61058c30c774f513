//! Reading a formula the builder wrote, to check it before the form is published: its
//! syntax, and what it refers to. The host's formula module is the reference (it parses and
//! computes every formula when a form is sent and submitted); this recogniser follows the
//! same grammar so that a mistake is explained in the builder, in both languages, instead of
//! the host refusing the published form.
//!
//! ```text
//! expr       = and_expr { "or" and_expr }
//! and_expr   = not_expr { "and" not_expr }
//! not_expr   = "not" not_expr | comparison
//! comparison = additive [ ("=" | "!=" | "<" | "<=" | ">" | ">=") additive ]
//! additive   = term { ("+" | "-") term }
//! term       = unary { ("*" | "/") unary }
//! unary      = "-" unary | primary
//! primary    = number | field | "(" expr ")" | call
//! call       = "sum(" table "." column ")" | "count(" table ")"
//!            | "min(" expr { "," expr } ")" | "max(" expr { "," expr } ")"
//!            | "round(" expr "," digits ")" | "if(" expr "," expr "," expr ")"
//! ```
//!
//! Numbers are `[0-9]+(\.[0-9]+)?`; names `[a-z_][a-z0-9_]*` (a name followed by `(` is a
//! function); `digits` is 0 to 6; nesting (each `(`, unary `-` and `not`) is at most 32
//! levels; an expression is at most 1000 characters.

use super::lang::Lang;

pub const MAX_LEN: usize = 1000;
pub const MAX_DEPTH: usize = 32;
pub const MAX_ROUND_DIGITS: u32 = 6;
const FUNCTIONS: [&str; 6] = ["sum", "count", "min", "max", "round", "if"];

/// Something a formula uses.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Reference {
    /// A field (or, in a column formula, a column of the same row).
    Field(String),
    /// `count(table)`.
    Table(String),
    /// `sum(table.column)`.
    Column(String, String),
}

/// Why a formula does not read, and where (1-based, in characters).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SyntaxError {
    pub position: usize,
    pub kind: SyntaxKind,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SyntaxKind {
    Empty,
    TooLong,
    TooDeep,
    Character(char),
    /// Something else was expected (what, in English and Chinese), found `found` (empty:
    /// the end).
    Expected {
        en: &'static str,
        zh: &'static str,
        found: String,
    },
    NumberTooLarge,
    UnknownFunction(String),
    RoundDigits,
    ColumnOutsideSum,
    ChainedComparison,
}

impl SyntaxError {
    pub fn message(&self, lang: Lang) -> String {
        let what = match (&self.kind, lang) {
            (SyntaxKind::Empty, Lang::En) => return "the formula is empty".into(),
            (SyntaxKind::Empty, Lang::Zh) => return "公式为空".into(),
            (SyntaxKind::TooLong, Lang::En) => {
                return format!("the formula is longer than {MAX_LEN} characters");
            }
            (SyntaxKind::TooLong, Lang::Zh) => return format!("公式不能超过 {MAX_LEN} 个字符"),
            (SyntaxKind::TooDeep, Lang::En) => format!("it nests more than {MAX_DEPTH} levels"),
            (SyntaxKind::TooDeep, Lang::Zh) => format!("嵌套超过 {MAX_DEPTH} 层"),
            (SyntaxKind::Character(c), Lang::En) if c.is_ascii_uppercase() => {
                format!("unexpected character `{c}` (names are lowercase)")
            }
            (SyntaxKind::Character(c), Lang::Zh) if c.is_ascii_uppercase() => {
                format!("无法识别的字符“{c}”（名称须为小写）")
            }
            (SyntaxKind::Character(c), Lang::En) => format!("unexpected character `{c}`"),
            (SyntaxKind::Character(c), Lang::Zh) => format!("无法识别的字符“{c}”"),
            (SyntaxKind::Expected { en, found, .. }, Lang::En) if found.is_empty() => {
                format!("expected {en}, found the end of the formula")
            }
            (SyntaxKind::Expected { en, found, .. }, Lang::En) => {
                format!("expected {en}, found `{found}`")
            }
            (SyntaxKind::Expected { zh, found, .. }, Lang::Zh) if found.is_empty() => {
                format!("应为{zh}，但公式已结束")
            }
            (SyntaxKind::Expected { zh, found, .. }, Lang::Zh) => {
                format!("应为{zh}，实际为“{found}”")
            }
            (SyntaxKind::NumberTooLarge, Lang::En) => "the number is too large".into(),
            (SyntaxKind::NumberTooLarge, Lang::Zh) => "数字过大".into(),
            (SyntaxKind::UnknownFunction(name), Lang::En) => format!(
                "there is no function `{name}` (there are sum, count, min, max, round and if)"
            ),
            (SyntaxKind::UnknownFunction(name), Lang::Zh) => {
                format!("没有函数“{name}”（可用：sum、count、min、max、round、if）")
            }
            (SyntaxKind::RoundDigits, Lang::En) => {
                format!("the digits of round must be a whole number from 0 to {MAX_ROUND_DIGITS}")
            }
            (SyntaxKind::RoundDigits, Lang::Zh) => {
                format!("round 的位数必须是 0 到 {MAX_ROUND_DIGITS} 的整数")
            }
            (SyntaxKind::ColumnOutsideSum, Lang::En) => {
                "table.column can only be used inside sum(…)".into()
            }
            (SyntaxKind::ColumnOutsideSum, Lang::Zh) => "“表格.列”只能用在 sum(…) 中".into(),
            (SyntaxKind::ChainedComparison, Lang::En) => {
                "comparisons cannot be chained: join them with and".into()
            }
            (SyntaxKind::ChainedComparison, Lang::Zh) => "比较不能连写，请用 and 连接".into(),
        };
        match lang {
            Lang::En => format!("at character {}: {what}", self.position),
            Lang::Zh => format!("第 {} 个字符处：{what}", self.position),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Tok<'a> {
    Number(&'a str),
    Name(&'a str),
    And,
    Or,
    Not,
    Op(&'a str),
    Open,
    Close,
    Comma,
    Dot,
    End,
}

impl Tok<'_> {
    fn shown(self) -> String {
        match self {
            Tok::Number(s) | Tok::Name(s) | Tok::Op(s) => s.to_string(),
            Tok::And => "and".into(),
            Tok::Or => "or".into(),
            Tok::Not => "not".into(),
            Tok::Open => "(".into(),
            Tok::Close => ")".into(),
            Tok::Comma => ",".into(),
            Tok::Dot => ".".into(),
            Tok::End => String::new(),
        }
    }

    fn is_comparison(self) -> bool {
        matches!(self, Tok::Op("=" | "!=" | "<" | "<=" | ">" | ">="))
    }
}

fn lex(src: &str) -> Result<Vec<(Tok<'_>, usize)>, SyntaxError> {
    let b = src.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    // Tokens are ASCII: until the first error, the position in characters is the byte + 1.
    while i < b.len() {
        let at = i + 1;
        let start = i;
        let tok = match b[i] {
            b' ' | b'\t' | b'\n' | b'\r' => {
                i += 1;
                continue;
            }
            b'0'..=b'9' => {
                while i < b.len() && b[i].is_ascii_digit() {
                    i += 1;
                }
                if i + 1 < b.len() && b[i] == b'.' && b[i + 1].is_ascii_digit() {
                    i += 1;
                    while i < b.len() && b[i].is_ascii_digit() {
                        i += 1;
                    }
                }
                out.push((Tok::Number(&src[start..i]), at));
                continue;
            }
            b'a'..=b'z' | b'_' => {
                while i < b.len()
                    && (b[i].is_ascii_lowercase() || b[i].is_ascii_digit() || b[i] == b'_')
                {
                    i += 1;
                }
                let tok = match &src[start..i] {
                    "and" => Tok::And,
                    "or" => Tok::Or,
                    "not" => Tok::Not,
                    name => Tok::Name(name),
                };
                out.push((tok, at));
                continue;
            }
            b'!' | b'<' | b'>' if b.get(i + 1) == Some(&b'=') => {
                i += 1;
                Tok::Op(&src[start..start + 2])
            }
            b'+' | b'-' | b'*' | b'/' | b'=' | b'<' | b'>' => Tok::Op(&src[start..start + 1]),
            b'(' => Tok::Open,
            b')' => Tok::Close,
            b',' => Tok::Comma,
            b'.' => Tok::Dot,
            _ => {
                let c = src[i..].chars().next().unwrap_or('\u{fffd}');
                return Err(SyntaxError {
                    position: src[..i].chars().count() + 1,
                    kind: SyntaxKind::Character(c),
                });
            }
        };
        i += 1;
        out.push((tok, at));
    }
    out.push((Tok::End, src.len() + 1));
    Ok(out)
}

/// Reads a formula: what it refers to, in order of appearance, or why it does not read.
pub fn references(src: &str) -> Result<Vec<Reference>, SyntaxError> {
    if src.chars().count() > MAX_LEN {
        return Err(SyntaxError {
            position: MAX_LEN + 1,
            kind: SyntaxKind::TooLong,
        });
    }
    let tokens = lex(src)?;
    if tokens.len() == 1 {
        return Err(SyntaxError {
            position: 1,
            kind: SyntaxKind::Empty,
        });
    }
    let mut p = Reader {
        tokens,
        next: 0,
        depth: 0,
        refs: Vec::new(),
    };
    p.or()?;
    p.expect(
        Tok::End,
        "an operator or the end of the formula",
        "运算符或公式结尾",
    )?;
    Ok(p.refs)
}

struct Reader<'a> {
    tokens: Vec<(Tok<'a>, usize)>,
    next: usize,
    depth: usize,
    refs: Vec<Reference>,
}

type Read = Result<(), SyntaxError>;

impl<'a> Reader<'a> {
    fn peek(&self) -> (Tok<'a>, usize) {
        self.tokens[self.next.min(self.tokens.len() - 1)]
    }

    fn peek2(&self) -> Tok<'a> {
        self.tokens[(self.next + 1).min(self.tokens.len() - 1)].0
    }

    fn bump(&mut self) -> (Tok<'a>, usize) {
        let t = self.peek();
        if self.next < self.tokens.len() - 1 {
            self.next += 1;
        }
        t
    }

    fn error(at: usize, kind: SyntaxKind) -> SyntaxError {
        SyntaxError { position: at, kind }
    }

    fn unexpected(&self, en: &'static str, zh: &'static str) -> SyntaxError {
        let (tok, at) = self.peek();
        Self::error(
            at,
            SyntaxKind::Expected {
                en,
                zh,
                found: tok.shown(),
            },
        )
    }

    fn expect(&mut self, tok: Tok<'_>, en: &'static str, zh: &'static str) -> Read {
        if self.peek().0 == tok {
            self.bump();
            Ok(())
        } else {
            Err(self.unexpected(en, zh))
        }
    }

    fn name(&mut self, en: &'static str, zh: &'static str) -> Result<&'a str, SyntaxError> {
        match self.peek().0 {
            Tok::Name(n) => {
                self.bump();
                Ok(n)
            }
            _ => Err(self.unexpected(en, zh)),
        }
    }

    fn enter(&mut self, at: usize) -> Read {
        if self.depth >= MAX_DEPTH {
            return Err(Self::error(at, SyntaxKind::TooDeep));
        }
        self.depth += 1;
        Ok(())
    }

    fn or(&mut self) -> Read {
        self.and()?;
        while self.peek().0 == Tok::Or {
            self.bump();
            self.and()?;
        }
        Ok(())
    }

    fn and(&mut self) -> Read {
        self.not()?;
        while self.peek().0 == Tok::And {
            self.bump();
            self.not()?;
        }
        Ok(())
    }

    fn not(&mut self) -> Read {
        let (tok, at) = self.peek();
        if tok != Tok::Not {
            return self.comparison();
        }
        self.enter(at)?;
        self.bump();
        self.not()?;
        self.depth -= 1;
        Ok(())
    }

    fn comparison(&mut self) -> Read {
        self.additive()?;
        if !self.peek().0.is_comparison() {
            return Ok(());
        }
        self.bump();
        self.additive()?;
        let (tok, at) = self.peek();
        if tok.is_comparison() {
            return Err(Self::error(at, SyntaxKind::ChainedComparison));
        }
        Ok(())
    }

    fn additive(&mut self) -> Read {
        self.term()?;
        while matches!(self.peek().0, Tok::Op("+" | "-")) {
            self.bump();
            self.term()?;
        }
        Ok(())
    }

    fn term(&mut self) -> Read {
        self.unary()?;
        while matches!(self.peek().0, Tok::Op("*" | "/")) {
            self.bump();
            self.unary()?;
        }
        Ok(())
    }

    fn unary(&mut self) -> Read {
        let (tok, at) = self.peek();
        if tok != Tok::Op("-") {
            return self.primary();
        }
        self.enter(at)?;
        self.bump();
        self.unary()?;
        self.depth -= 1;
        Ok(())
    }

    fn primary(&mut self) -> Read {
        let (tok, at) = self.peek();
        match tok {
            Tok::Number(text) => {
                self.bump();
                if text.parse::<f64>().is_ok_and(f64::is_finite) {
                    Ok(())
                } else {
                    Err(Self::error(at, SyntaxKind::NumberTooLarge))
                }
            }
            Tok::Name(name) => match self.peek2() {
                Tok::Open => self.call(name, at),
                Tok::Dot => Err(Self::error(at, SyntaxKind::ColumnOutsideSum)),
                _ => {
                    self.bump();
                    self.refs.push(Reference::Field(name.to_string()));
                    Ok(())
                }
            },
            Tok::Open => {
                self.enter(at)?;
                self.bump();
                self.or()?;
                self.expect(Tok::Close, "`)`", "“)”")?;
                self.depth -= 1;
                Ok(())
            }
            _ => Err(self.unexpected("a number, a field name or `(`", "数字、字段名或“(”")),
        }
    }

    /// A call: its name, then `(`, are next.
    fn call(&mut self, name: &'a str, at: usize) -> Read {
        if !FUNCTIONS.contains(&name) {
            return Err(Self::error(at, SyntaxKind::UnknownFunction(name.into())));
        }
        self.enter(at)?;
        self.bump();
        self.bump();
        let mut close = ("`)`", "“)”");
        match name {
            "sum" => {
                let (en, zh) = ("table.column", "“表格.列”");
                let table = self.name(en, zh)?;
                self.expect(Tok::Dot, en, zh)?;
                let column = self.name(en, zh)?;
                self.refs
                    .push(Reference::Column(table.to_string(), column.to_string()));
            }
            "count" => {
                let table = self.name("a table name", "表格字段名")?;
                self.refs.push(Reference::Table(table.to_string()));
            }
            "min" | "max" => {
                self.or()?;
                while self.peek().0 == Tok::Comma {
                    self.bump();
                    self.or()?;
                }
                close = ("`,` or `)`", "“,”或“)”");
            }
            "round" => {
                self.or()?;
                self.expect(Tok::Comma, "`,`", "“,”")?;
                let (tok, at) = self.peek();
                let ok = matches!(tok, Tok::Number(d)
                    if d.bytes().all(|b| b.is_ascii_digit())
                        && d.parse::<u32>().is_ok_and(|n| n <= MAX_ROUND_DIGITS));
                if !ok {
                    return Err(Self::error(at, SyntaxKind::RoundDigits));
                }
                self.bump();
            }
            _ => {
                self.or()?;
                self.expect(Tok::Comma, "`,`", "“,”")?;
                self.or()?;
                self.expect(Tok::Comma, "`,`", "“,”")?;
                self.or()?;
            }
        }
        self.expect(Tok::Close, close.0, close.1)?;
        self.depth -= 1;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field(n: &str) -> Reference {
        Reference::Field(n.into())
    }

    #[test]
    fn references_are_collected() {
        assert_eq!(
            references("qty * price").unwrap(),
            [field("qty"), field("price")]
        );
        assert_eq!(
            references("sum(items.amount) + count(items) * 2").unwrap(),
            [
                Reference::Column("items".into(), "amount".into()),
                Reference::Table("items".into())
            ]
        );
        assert_eq!(
            references("if(a >= 1 and not b, round(c / 3, 2), max(d, -e, 1.5))").unwrap(),
            ["a", "b", "c", "d", "e"].map(field)
        );
        // A field may be called like a function's name when it is not followed by `(`.
        assert_eq!(references("sum + 1").unwrap(), [field("sum")]);
    }

    #[test]
    fn syntax_errors_say_where() {
        let err = |s: &str| references(s).unwrap_err();
        assert_eq!(err("").kind, SyntaxKind::Empty);
        assert_eq!(err("  ").position, 1);
        assert_eq!(err(&"1+".repeat(600)).kind, SyntaxKind::TooLong);
        assert_eq!(err("a + Qty").kind, SyntaxKind::Character('Q'));
        assert_eq!(err("数量 * 2").kind, SyntaxKind::Character('数'));
        assert_eq!(err("a + 价").position, 5);
        assert_eq!(err("a +").position, 4);
        assert_eq!(err("(a + b").position, 7);
        assert_eq!(err("a b").position, 3);
        assert_eq!(
            err("avg(a)").kind,
            SyntaxKind::UnknownFunction("avg".into())
        );
        assert_eq!(err("round(a, 7)").kind, SyntaxKind::RoundDigits);
        assert_eq!(err("round(a, 1.5)").kind, SyntaxKind::RoundDigits);
        assert_eq!(err("items.qty").kind, SyntaxKind::ColumnOutsideSum);
        assert_eq!(err("a < b < c").kind, SyntaxKind::ChainedComparison);
        assert_eq!(
            err(&format!("1{}", "0".repeat(400))).kind,
            SyntaxKind::NumberTooLarge
        );
        assert_eq!(
            err(&format!("{}1{}", "(".repeat(33), ")".repeat(33))).kind,
            SyntaxKind::TooDeep
        );
        assert!(references(&format!("{}1{}", "(".repeat(32), ")".repeat(32))).is_ok());
        assert!(references("1.").is_err());
        assert!(references(".5").is_err());
        assert!(references("sum(items)").is_err());
        assert!(references("min()").is_err());
        let e = err("a +");
        assert_eq!(
            e.message(Lang::En),
            "at character 4: expected a number, a field name or `(`, found the end of the formula"
        );
        assert_eq!(
            e.message(Lang::Zh),
            "第 4 个字符处：应为数字、字段名或“(”，但公式已结束"
        );
        assert_eq!(err("").message(Lang::Zh), "公式为空");
    }

    proptest::proptest! {
        #[test]
        fn reading_never_panics(src in "[a-z_0-9 +*/().,=<>!-]{0,60}|(?s).{0,30}") {
            let _ = references(&src).map_err(|e| (e.message(Lang::En), e.message(Lang::Zh)));
        }
    }
}

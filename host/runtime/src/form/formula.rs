//! The expression language of `formula` fields and columns.
//!
//! The host computes every formula when a form is submitted, and clients compute the same
//! formulas while the form is filled in, so this is the reference: everything below is
//! meant to be reproduced exactly (the shared vectors in `formula_vectors.json` check it).
//!
//! # Syntax
//!
//! An expression is at most [`MAX_LEN`] characters (Unicode code points). Between tokens
//! there may be spaces, tabs and line breaks (`' ' \t \n \r`). Tokens:
//!
//! - a number: `[0-9]+(\.[0-9]+)?`, always decimal, never signed, no exponent (`007`,
//!   `2.50`; not `.5`, `5.`, `1e3`). Its value is the nearest `f64`; one too large for an
//!   `f64` is an error;
//! - a name: `[a-z_][a-z0-9_]*`, except the keywords `and`, `or` and `not`. A name followed
//!   by `(` is a function, any other name is a field (so a field may be named `sum`; one
//!   whose name starts with a digit, or is a keyword, cannot be used);
//! - `+ - * / ( ) , . = != < <= > >=`.
//!
//! Grammar, loosest binding first (`{…}` repeats, `[…]` is optional):
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
//! Binary operators group to the left (`a - b - c` is `(a - b) - c`); comparisons do not
//! chain (`a < b < c` is an error). `digits` is a number token without a fraction whose value
//! is 0 to [`MAX_ROUND_DIGITS`]. `table.column` may only appear as the argument of `sum`.
//!
//! Nesting is limited to [`MAX_DEPTH`] levels: each `(`, whether it groups or opens a
//! function's arguments, each unary `-` and each `not` opens a level, which closes at the end
//! of what it applies to. `-(-(x))` nests four levels; `a + b + … + z` none.
//!
//! Errors carry the 1-based position, in code points, of the token at fault; the end of the
//! expression is position length + 1. The position of each kind of error:
//!
//! - empty (only blanks): 1; longer than [`MAX_LEN`]: [`MAX_LEN`] + 1;
//! - a character that starts no token: that character;
//! - a token where another was expected, including anything after a complete expression:
//!   that token (or the end);
//! - a number too large, `round` digits out of range, `table.column` outside `sum`, an
//!   unknown function: the number, the digits, the table name, the function name;
//! - a second comparison operator: that operator;
//! - nesting beyond [`MAX_DEPTH`]: the `(`, `-`, `not` or function name that opens the
//!   level one too many.
//!
//! # Values
//!
//! A formula sees the values of a submission: a JSON object from field names to normalised
//! values (a column formula sees its row's object). A name stands for a number:
//!
//! - a JSON number: its value (number fields);
//! - a string matching `-?[0-9]+(\.[0-9]+)?`: its decimal value, the nearest `f64` (money
//!   fields, money formulas), or 0 if that is not finite; any other string: 0;
//! - `true`: 1, `false`: 0 (checkboxes);
//! - an object whose `start` and `end` are dates `YYYY-MM-DD` (years 1 to 9999), start not
//!   after end: the days from start to end, both included (date ranges); any other object: 0;
//! - `null`, a missing key (an empty or hidden field, a formula without a value) and anything
//!   else: 0.
//!
//! `count(t)` is the number of elements of `t` if it is an array, else 0. `sum(t.c)` adds,
//! from the first row to the last and starting at 0, the value of key `c` of each element of
//! `t` that is an object (other elements count 0), converted as above.
//!
//! # Evaluation
//!
//! Arithmetic is IEEE 754 double precision (`f64`, a JavaScript number), evaluated from left
//! to right. An expression either has a value or has none; "no value" propagates through
//! every operator and function except as `and`, `or` and `if` say below.
//!
//! - `+ - *` and unary `-` as in IEEE 754. `a / b` has no value when `b` is 0 (or -0).
//! - After every operation (and for `sum`), a result that is not finite has no value.
//! - A comparison first normalises each side (below) and yields 1 or 0. Normalising makes
//!   `0.1 + 0.2 = 0.3` true; it applies to each side, not to a difference.
//! - True is any number other than 0 (-0 is 0). `not x` is 1 when x is 0, else 0.
//!   `a and b`: no value if `a` has none, 0 if `a` is 0 (without evaluating `b`), otherwise
//!   1 or 0 for `b` (no value if `b` has none). `a or b`: no value if `a` has none, 1 if `a`
//!   is true (without evaluating `b`), otherwise 1 or 0 for `b`.
//! - `if(c, a, b)`: no value if `c` has none, else the value of `a` when `c` is true and of
//!   `b` otherwise; the other branch is not evaluated.
//! - `min` and `max` evaluate every argument; any without a value gives none.
//! - `round(x, d)`: `x` normalised, then rounded to `d` decimals, half away from zero, on the
//!   decimal digits; the result is the nearest `f64` to that decimal.
//!
//! Normalising `x` means rounding its exact binary value to 15 significant decimal digits,
//! ties away from zero, which is what JavaScript's `x.toPrecision(15)` prints; the normalised
//! number is the nearest `f64` to that decimal (`Number(x.toPrecision(15))`), which may be
//! infinite for `x` near the largest `f64`.
//!
//! # Results
//!
//! - `number`: the normalised value, or `null` when there is none or it is not finite. In
//!   JSON an integer below 2^53 in magnitude is written without a fraction, -0 as 0.
//! - `money`: let `D × 10^E` be the normalised value (15 digits `D`). At 10^15 or more in
//!   magnitude there is no value (`null`); otherwise the decimal is rounded to 2 places, half
//!   away from zero, and written as `-?[0-9]+\.[0-9]{2}` (`"1.01"` for 1.005, `"0.30"` for
//!   0.1 + 0.2, `"0.00"` rather than `"-0.00"`).
//!
//! # Shared vectors
//!
//! `formula_vectors.json` is an array of cases `{expression, values, result?, expected}`:
//! `values` is what the formula sees, `result` is `"number"` (when absent) or `"money"`, and
//! `expected` is the result in JSON (numbers compare by value), or `{"error_at": position}`
//! for an expression that does not parse. Any implementation of this language must pass them
//! all.

use std::fmt;

use serde_json::{Map, Number, Value};

use super::FormulaResult;
use super::values::parse_date;

/// Characters (code points) of an expression.
pub const MAX_LEN: usize = 1000;
/// Levels of nesting: parentheses, function calls, unary minus and `not`.
pub const MAX_DEPTH: usize = 32;
/// Decimals `round` may keep.
pub const MAX_ROUND_DIGITS: u32 = 6;
/// Significant digits every result and both sides of a comparison are rounded to.
const SIGNIFICANT: usize = 15;

/// A parsed expression.
#[derive(Clone, Debug, PartialEq)]
pub enum Expr {
    /// A literal: finite and not negative.
    Number(f64),
    Field(String),
    Sum {
        table: String,
        column: String,
    },
    Count(String),
    Neg(Box<Expr>),
    Not(Box<Expr>),
    Binary(BinOp, Box<Expr>, Box<Expr>),
    Min(Vec<Expr>),
    Max(Vec<Expr>),
    Round(Box<Expr>, u32),
    If(Box<Expr>, Box<Expr>, Box<Expr>),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BinOp {
    Or,
    And,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    Add,
    Sub,
    Mul,
    Div,
}

impl BinOp {
    fn symbol(self) -> &'static str {
        match self {
            BinOp::Or => "or",
            BinOp::And => "and",
            BinOp::Eq => "=",
            BinOp::Ne => "!=",
            BinOp::Lt => "<",
            BinOp::Le => "<=",
            BinOp::Gt => ">",
            BinOp::Ge => ">=",
            BinOp::Add => "+",
            BinOp::Sub => "-",
            BinOp::Mul => "*",
            BinOp::Div => "/",
        }
    }

    fn precedence(self) -> u8 {
        match self {
            BinOp::Or => 1,
            BinOp::And => 2,
            BinOp::Eq | BinOp::Ne | BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge => 4,
            BinOp::Add | BinOp::Sub => 5,
            BinOp::Mul | BinOp::Div => 6,
        }
    }

    fn is_comparison(self) -> bool {
        self.precedence() == 4
    }
}

/// What an expression refers to, for the form's consistency checks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reference<'a> {
    /// A bare name.
    Field(&'a str),
    /// `count(table)`.
    Table(&'a str),
    /// `sum(table.column)`.
    Column(&'a str, &'a str),
}

impl Expr {
    /// Every field, table and column the expression names, in order, repeats included.
    pub fn references(&self) -> Vec<Reference<'_>> {
        let mut out = Vec::new();
        self.collect(&mut out);
        out
    }

    fn collect<'a>(&'a self, out: &mut Vec<Reference<'a>>) {
        match self {
            Expr::Number(_) => {}
            Expr::Field(name) => out.push(Reference::Field(name)),
            Expr::Sum { table, column } => out.push(Reference::Column(table, column)),
            Expr::Count(table) => out.push(Reference::Table(table)),
            Expr::Neg(e) | Expr::Not(e) | Expr::Round(e, _) => e.collect(out),
            Expr::Binary(_, l, r) => {
                l.collect(out);
                r.collect(out);
            }
            Expr::Min(args) | Expr::Max(args) => args.iter().for_each(|a| a.collect(out)),
            Expr::If(c, a, b) => {
                c.collect(out);
                a.collect(out);
                b.collect(out);
            }
        }
    }

    /// How tightly the printed expression binds: 8 for atoms and calls.
    fn precedence(&self) -> u8 {
        match self {
            Expr::Binary(op, _, _) => op.precedence(),
            Expr::Not(_) => 3,
            Expr::Neg(_) => 7,
            _ => 8,
        }
    }

    fn write(&self, f: &mut fmt::Formatter<'_>, at_least: u8) -> fmt::Result {
        if self.precedence() < at_least {
            f.write_str("(")?;
            self.write(f, 0)?;
            return f.write_str(")");
        }
        let list = |f: &mut fmt::Formatter<'_>, name: &str, args: &[&Expr]| {
            write!(f, "{name}(")?;
            for (i, a) in args.iter().enumerate() {
                if i > 0 {
                    f.write_str(", ")?;
                }
                a.write(f, 0)?;
            }
            f.write_str(")")
        };
        match self {
            // `Display` for f64 is the shortest text that reads back the same, never with an
            // exponent.
            Expr::Number(x) => write!(f, "{x}"),
            Expr::Field(name) => f.write_str(name),
            Expr::Sum { table, column } => write!(f, "sum({table}.{column})"),
            Expr::Count(table) => write!(f, "count({table})"),
            Expr::Neg(e) => {
                f.write_str("-")?;
                e.write(f, 7)
            }
            Expr::Not(e) => {
                f.write_str("not ")?;
                e.write(f, 3)
            }
            Expr::Binary(op, l, r) => {
                let p = op.precedence();
                // Left-associative; comparisons do not chain at all.
                let left = if op.is_comparison() { p + 1 } else { p };
                l.write(f, left)?;
                write!(f, " {} ", op.symbol())?;
                r.write(f, p + 1)
            }
            Expr::Min(args) => list(f, "min", &args.iter().collect::<Vec<_>>()),
            Expr::Max(args) => list(f, "max", &args.iter().collect::<Vec<_>>()),
            Expr::Round(e, digits) => {
                f.write_str("round(")?;
                e.write(f, 0)?;
                write!(f, ", {digits})")
            }
            Expr::If(c, a, b) => list(f, "if", &[c, a, b]),
        }
    }
}

/// The canonical text: single spaces around binary operators and after commas, and only the
/// parentheses the structure needs. It parses back to the same expression.
impl fmt::Display for Expr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.write(f, 0)
    }
}

// ---- Errors ----

/// Why an expression does not parse, and where.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParseError {
    /// 1-based, in code points; the length + 1 for the end of the expression.
    pub position: usize,
    pub kind: ParseErrorKind,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ParseErrorKind {
    Empty,
    TooLong,
    TooDeep,
    UnexpectedChar(char),
    Expected { what: Expected, found: String },
    NumberTooLarge,
    UnknownFunction(String),
    RoundDigits,
    ColumnOutsideSum,
    ChainedComparison,
}

/// What the parser was looking for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Expected {
    /// A number, a field, `(`, `-`, `not` or a function.
    Value,
    Close,
    Comma,
    CommaOrClose,
    /// An operator or the end: something followed a complete expression.
    End,
    /// `table.column` in `sum(…)`.
    TableColumn,
    /// A table name in `count(…)`.
    Table,
}

/// What a message shows for the end of the expression.
const END: &str = "";

impl Expected {
    fn en(self) -> &'static str {
        match self {
            Expected::Value => "a number, a field name or `(`",
            Expected::Close => "`)`",
            Expected::Comma => "`,`",
            Expected::CommaOrClose => "`,` or `)`",
            Expected::End => "an operator or the end of the formula",
            Expected::TableColumn => "table.column",
            Expected::Table => "a table name",
        }
    }

    fn zh(self) -> &'static str {
        match self {
            Expected::Value => "数字、字段名或“(”",
            Expected::Close => "“)”",
            Expected::Comma => "“,”",
            Expected::CommaOrClose => "“,”或“)”",
            Expected::End => "运算符或公式结尾",
            Expected::TableColumn => "“表格.列”",
            Expected::Table => "表格字段名",
        }
    }
}

impl ParseError {
    fn new(position: usize, kind: ParseErrorKind) -> Self {
        ParseError { position, kind }
    }

    /// The message in English.
    pub fn message_en(&self) -> String {
        let what = match &self.kind {
            ParseErrorKind::Empty => return "the formula is empty".into(),
            ParseErrorKind::TooLong => {
                return format!("the formula is longer than {MAX_LEN} characters");
            }
            ParseErrorKind::TooDeep => format!("the formula nests more than {MAX_DEPTH} levels"),
            ParseErrorKind::UnexpectedChar(c) if c.is_ascii_uppercase() => {
                format!("unexpected character `{c}` (names are lowercase)")
            }
            ParseErrorKind::UnexpectedChar(c) => format!("unexpected character `{c}`"),
            ParseErrorKind::Expected { what, found } if found == END => {
                format!("expected {}, found the end of the formula", what.en())
            }
            ParseErrorKind::Expected { what, found } => {
                format!("expected {}, found `{found}`", what.en())
            }
            ParseErrorKind::NumberTooLarge => "the number is too large".into(),
            ParseErrorKind::UnknownFunction(name) => format!(
                "there is no function `{name}` (there are sum, count, min, max, round and if)"
            ),
            ParseErrorKind::RoundDigits => {
                format!("the digits of round must be a whole number from 0 to {MAX_ROUND_DIGITS}")
            }
            ParseErrorKind::ColumnOutsideSum => {
                "table.column can only be used inside sum(…)".into()
            }
            ParseErrorKind::ChainedComparison => {
                "comparisons cannot be chained: join them with and".into()
            }
        };
        format!("at character {}: {what}", self.position)
    }

    /// The message in Simplified Chinese.
    pub fn message_zh(&self) -> String {
        let what = match &self.kind {
            ParseErrorKind::Empty => return "公式为空".into(),
            ParseErrorKind::TooLong => return format!("公式不能超过 {MAX_LEN} 个字符"),
            ParseErrorKind::TooDeep => format!("公式嵌套超过 {MAX_DEPTH} 层"),
            ParseErrorKind::UnexpectedChar(c) if c.is_ascii_uppercase() => {
                format!("无法识别的字符“{c}”（名称须为小写）")
            }
            ParseErrorKind::UnexpectedChar(c) => format!("无法识别的字符“{c}”"),
            ParseErrorKind::Expected { what, found } if found == END => {
                format!("应为{}，但公式已结束", what.zh())
            }
            ParseErrorKind::Expected { what, found } => {
                format!("应为{}，实际为“{found}”", what.zh())
            }
            ParseErrorKind::NumberTooLarge => "数字过大".into(),
            ParseErrorKind::UnknownFunction(name) => {
                format!("没有函数“{name}”（可用：sum、count、min、max、round、if）")
            }
            ParseErrorKind::RoundDigits => {
                format!("round 的位数必须是 0 到 {MAX_ROUND_DIGITS} 的整数")
            }
            ParseErrorKind::ColumnOutsideSum => "“表格.列”只能用在 sum(…) 中".into(),
            ParseErrorKind::ChainedComparison => "比较不能连写，请用 and 连接".into(),
        };
        format!("第 {} 个字符处：{what}", self.position)
    }
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message_en())
    }
}

impl std::error::Error for ParseError {}

// ---- Lexer ----

#[derive(Clone, Copy, Debug, PartialEq)]
enum Tok<'a> {
    Number(&'a str),
    Name(&'a str),
    And,
    Or,
    Not,
    Plus,
    Minus,
    Star,
    Slash,
    Open,
    Close,
    Comma,
    Dot,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    End,
}

impl Tok<'_> {
    /// The token as an error message quotes it; [`END`] for the end.
    fn shown(self) -> String {
        let s = match self {
            Tok::Number(s) | Tok::Name(s) => {
                let mut chars = s.chars();
                let head: String = chars.by_ref().take(32).collect();
                return if chars.next().is_some() {
                    format!("{head}…")
                } else {
                    head
                };
            }
            Tok::And => "and",
            Tok::Or => "or",
            Tok::Not => "not",
            Tok::Plus => "+",
            Tok::Minus => "-",
            Tok::Star => "*",
            Tok::Slash => "/",
            Tok::Open => "(",
            Tok::Close => ")",
            Tok::Comma => ",",
            Tok::Dot => ".",
            Tok::Eq => "=",
            Tok::Ne => "!=",
            Tok::Lt => "<",
            Tok::Le => "<=",
            Tok::Gt => ">",
            Tok::Ge => ">=",
            Tok::End => END,
        };
        s.to_string()
    }

    fn comparison(self) -> Option<BinOp> {
        Some(match self {
            Tok::Eq => BinOp::Eq,
            Tok::Ne => BinOp::Ne,
            Tok::Lt => BinOp::Lt,
            Tok::Le => BinOp::Le,
            Tok::Gt => BinOp::Gt,
            Tok::Ge => BinOp::Ge,
            _ => return None,
        })
    }
}

#[derive(Clone, Copy, Debug)]
struct Token<'a> {
    tok: Tok<'a>,
    /// 1-based code point position of the first character.
    at: usize,
}

/// The tokens of `src`, ending with [`Tok::End`]. `src` is at most [`MAX_LEN`] characters.
fn lex(src: &str) -> Result<Vec<Token<'_>>, ParseError> {
    let bytes = src.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    // Tokens are ASCII, so until an error the position in code points is the byte index + 1.
    while i < bytes.len() {
        let at = i + 1;
        let b = bytes[i];
        let start = i;
        let tok = match b {
            b' ' | b'\t' | b'\n' | b'\r' => {
                i += 1;
                continue;
            }
            b'0'..=b'9' => {
                while i < bytes.len() && bytes[i].is_ascii_digit() {
                    i += 1;
                }
                if i + 1 < bytes.len() && bytes[i] == b'.' && bytes[i + 1].is_ascii_digit() {
                    i += 1;
                    while i < bytes.len() && bytes[i].is_ascii_digit() {
                        i += 1;
                    }
                }
                out.push(Token {
                    tok: Tok::Number(&src[start..i]),
                    at,
                });
                continue;
            }
            b'a'..=b'z' | b'_' => {
                while i < bytes.len()
                    && (bytes[i].is_ascii_lowercase()
                        || bytes[i].is_ascii_digit()
                        || bytes[i] == b'_')
                {
                    i += 1;
                }
                let tok = match &src[start..i] {
                    "and" => Tok::And,
                    "or" => Tok::Or,
                    "not" => Tok::Not,
                    name => Tok::Name(name),
                };
                out.push(Token { tok, at });
                continue;
            }
            b'+' => Tok::Plus,
            b'-' => Tok::Minus,
            b'*' => Tok::Star,
            b'/' => Tok::Slash,
            b'(' => Tok::Open,
            b')' => Tok::Close,
            b',' => Tok::Comma,
            b'.' => Tok::Dot,
            b'=' => Tok::Eq,
            b'!' if bytes.get(i + 1) == Some(&b'=') => {
                i += 1;
                Tok::Ne
            }
            b'<' if bytes.get(i + 1) == Some(&b'=') => {
                i += 1;
                Tok::Le
            }
            b'>' if bytes.get(i + 1) == Some(&b'=') => {
                i += 1;
                Tok::Ge
            }
            b'<' => Tok::Lt,
            b'>' => Tok::Gt,
            _ => {
                let c = src[i..].chars().next().unwrap_or('\u{fffd}');
                return Err(ParseError::new(at, ParseErrorKind::UnexpectedChar(c)));
            }
        };
        i += 1;
        out.push(Token { tok, at });
    }
    out.push(Token {
        tok: Tok::End,
        at: src.len() + 1,
    });
    Ok(out)
}

// ---- Parser ----

/// Parses an expression (see the module documentation for the language).
pub fn parse(src: &str) -> Result<Expr, ParseError> {
    if src.chars().count() > MAX_LEN {
        return Err(ParseError::new(MAX_LEN + 1, ParseErrorKind::TooLong));
    }
    let tokens = lex(src)?;
    if tokens.len() == 1 {
        return Err(ParseError::new(1, ParseErrorKind::Empty));
    }
    let mut p = Parser {
        tokens,
        next: 0,
        depth: 0,
    };
    let e = p.or()?;
    p.expect(Tok::End, Expected::End)?;
    Ok(e)
}

struct Parser<'a> {
    tokens: Vec<Token<'a>>,
    next: usize,
    depth: usize,
}

type Parsed = Result<Expr, ParseError>;

impl<'a> Parser<'a> {
    fn peek(&self) -> Token<'a> {
        // The last token is `End`, which is never consumed.
        self.tokens[self.next.min(self.tokens.len() - 1)]
    }

    fn peek2(&self) -> Tok<'a> {
        self.tokens.get(self.next + 1).map_or(Tok::End, |t| t.tok)
    }

    fn bump(&mut self) -> Token<'a> {
        let t = self.peek();
        if t.tok != Tok::End {
            self.next += 1;
        }
        t
    }

    fn eat(&mut self, tok: Tok<'_>) -> bool {
        if self.peek().tok == tok {
            self.bump();
            true
        } else {
            false
        }
    }

    fn unexpected(&self, what: Expected) -> ParseError {
        let t = self.peek();
        ParseError::new(
            t.at,
            ParseErrorKind::Expected {
                what,
                found: t.tok.shown(),
            },
        )
    }

    fn expect(&mut self, tok: Tok<'_>, what: Expected) -> Result<(), ParseError> {
        if self.eat(tok) {
            Ok(())
        } else {
            Err(self.unexpected(what))
        }
    }

    fn name(&mut self, what: Expected) -> Result<&'a str, ParseError> {
        match self.peek().tok {
            Tok::Name(name) => {
                self.bump();
                Ok(name)
            }
            _ => Err(self.unexpected(what)),
        }
    }

    /// Opens a nesting level at `at`.
    fn enter(&mut self, at: usize) -> Result<(), ParseError> {
        if self.depth >= MAX_DEPTH {
            return Err(ParseError::new(at, ParseErrorKind::TooDeep));
        }
        self.depth += 1;
        Ok(())
    }

    fn leave(&mut self) {
        self.depth -= 1;
    }

    fn or(&mut self) -> Parsed {
        let mut left = self.and()?;
        while self.eat(Tok::Or) {
            let right = self.and()?;
            left = Expr::Binary(BinOp::Or, Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn and(&mut self) -> Parsed {
        let mut left = self.not()?;
        while self.eat(Tok::And) {
            let right = self.not()?;
            left = Expr::Binary(BinOp::And, Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn not(&mut self) -> Parsed {
        let t = self.peek();
        if t.tok != Tok::Not {
            return self.comparison();
        }
        self.enter(t.at)?;
        self.bump();
        let e = self.not()?;
        self.leave();
        Ok(Expr::Not(Box::new(e)))
    }

    fn comparison(&mut self) -> Parsed {
        let left = self.additive()?;
        let Some(op) = self.peek().tok.comparison() else {
            return Ok(left);
        };
        self.bump();
        let right = self.additive()?;
        let t = self.peek();
        if t.tok.comparison().is_some() {
            return Err(ParseError::new(t.at, ParseErrorKind::ChainedComparison));
        }
        Ok(Expr::Binary(op, Box::new(left), Box::new(right)))
    }

    fn additive(&mut self) -> Parsed {
        let mut left = self.term()?;
        loop {
            let op = match self.peek().tok {
                Tok::Plus => BinOp::Add,
                Tok::Minus => BinOp::Sub,
                _ => return Ok(left),
            };
            self.bump();
            let right = self.term()?;
            left = Expr::Binary(op, Box::new(left), Box::new(right));
        }
    }

    fn term(&mut self) -> Parsed {
        let mut left = self.unary()?;
        loop {
            let op = match self.peek().tok {
                Tok::Star => BinOp::Mul,
                Tok::Slash => BinOp::Div,
                _ => return Ok(left),
            };
            self.bump();
            let right = self.unary()?;
            left = Expr::Binary(op, Box::new(left), Box::new(right));
        }
    }

    fn unary(&mut self) -> Parsed {
        let t = self.peek();
        if t.tok != Tok::Minus {
            return self.primary();
        }
        self.enter(t.at)?;
        self.bump();
        let e = self.unary()?;
        self.leave();
        Ok(Expr::Neg(Box::new(e)))
    }

    fn primary(&mut self) -> Parsed {
        let t = self.peek();
        match t.tok {
            Tok::Number(text) => {
                self.bump();
                let x: f64 = text.parse().unwrap_or(f64::INFINITY);
                if x.is_finite() {
                    Ok(Expr::Number(x))
                } else {
                    Err(ParseError::new(t.at, ParseErrorKind::NumberTooLarge))
                }
            }
            Tok::Name(name) => match self.peek2() {
                Tok::Open => self.call(name, t.at),
                Tok::Dot => Err(ParseError::new(t.at, ParseErrorKind::ColumnOutsideSum)),
                _ => {
                    self.bump();
                    Ok(Expr::Field(name.to_string()))
                }
            },
            Tok::Open => {
                self.enter(t.at)?;
                self.bump();
                let e = self.or()?;
                self.expect(Tok::Close, Expected::Close)?;
                self.leave();
                Ok(e)
            }
            _ => Err(self.unexpected(Expected::Value)),
        }
    }

    /// A call: the name, then `(`, are next.
    fn call(&mut self, name: &'a str, at: usize) -> Parsed {
        const FUNCTIONS: [&str; 6] = ["sum", "count", "min", "max", "round", "if"];
        if !FUNCTIONS.contains(&name) {
            return Err(ParseError::new(
                at,
                ParseErrorKind::UnknownFunction(name.to_string()),
            ));
        }
        self.enter(at)?;
        self.bump();
        self.bump();
        let e = match name {
            "sum" => {
                let table = self.name(Expected::TableColumn)?;
                self.expect(Tok::Dot, Expected::TableColumn)?;
                let column = self.name(Expected::TableColumn)?;
                Expr::Sum {
                    table: table.to_string(),
                    column: column.to_string(),
                }
            }
            "count" => Expr::Count(self.name(Expected::Table)?.to_string()),
            "min" | "max" => {
                let mut args = vec![self.or()?];
                while self.eat(Tok::Comma) {
                    args.push(self.or()?);
                }
                if name == "min" {
                    Expr::Min(args)
                } else {
                    Expr::Max(args)
                }
            }
            "round" => {
                let x = self.or()?;
                self.expect(Tok::Comma, Expected::Comma)?;
                let t = self.peek();
                let digits = match t.tok {
                    Tok::Number(d) if d.bytes().all(|b| b.is_ascii_digit()) => {
                        d.parse::<u32>().ok().filter(|&n| n <= MAX_ROUND_DIGITS)
                    }
                    _ => None,
                };
                let Some(digits) = digits else {
                    return Err(ParseError::new(t.at, ParseErrorKind::RoundDigits));
                };
                self.bump();
                Expr::Round(Box::new(x), digits)
            }
            _ => {
                let c = self.or()?;
                self.expect(Tok::Comma, Expected::Comma)?;
                let a = self.or()?;
                self.expect(Tok::Comma, Expected::Comma)?;
                let b = self.or()?;
                Expr::If(Box::new(c), Box::new(a), Box::new(b))
            }
        };
        let what = if matches!(e, Expr::Min(_) | Expr::Max(_)) {
            Expected::CommaOrClose
        } else {
            Expected::Close
        };
        self.expect(Tok::Close, what)?;
        self.leave();
        Ok(e)
    }
}

// ---- Evaluation ----

/// The number a value stands for (see "Values" in the module documentation).
pub fn number(value: Option<&Value>) -> f64 {
    match value {
        Some(Value::Number(n)) => n.as_f64().filter(|x| x.is_finite()).unwrap_or(0.0),
        Some(Value::String(s)) => decimal(s).unwrap_or(0.0),
        Some(Value::Bool(b)) => f64::from(u8::from(*b)),
        Some(Value::Object(range)) => days(range).unwrap_or(0.0),
        _ => 0.0,
    }
}

/// `-?[0-9]+(\.[0-9]+)?` as the nearest f64.
fn decimal(s: &str) -> Option<f64> {
    let unsigned = s.strip_prefix('-').unwrap_or(s);
    let (int, frac) = unsigned.split_once('.').unwrap_or((unsigned, "0"));
    let digits = |t: &str| !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit());
    if !digits(int) || !digits(frac) {
        return None;
    }
    s.parse::<f64>().ok().filter(|x| x.is_finite())
}

/// The days of a date range, both ends included.
fn days(range: &Map<String, Value>) -> Option<f64> {
    let date = |key: &str| range.get(key)?.as_str().and_then(parse_date);
    let (start, end) = (date("start")?, date("end")?);
    (start <= end).then(|| ((end - start).num_days() + 1) as f64)
}

fn rows<'v>(values: &'v Map<String, Value>, table: &str) -> &'v [Value] {
    match values.get(table) {
        Some(Value::Array(rows)) => rows,
        _ => &[],
    }
}

fn truth(b: bool) -> f64 {
    if b { 1.0 } else { 0.0 }
}

/// Evaluates an expression over a submission's values (or a table row's); `None` when it has
/// no value. Never panics, whatever the values.
pub fn evaluate(expr: &Expr, values: &Map<String, Value>) -> Option<f64> {
    let x = match expr {
        Expr::Number(x) => *x,
        Expr::Field(name) => number(values.get(name)),
        Expr::Sum { table, column } => rows(values, table)
            .iter()
            .map(|row| row.as_object().map_or(0.0, |r| number(r.get(column))))
            .fold(0.0, |acc, x| acc + x),
        Expr::Count(table) => rows(values, table).len() as f64,
        Expr::Neg(e) => -evaluate(e, values)?,
        Expr::Not(e) => truth(evaluate(e, values)? == 0.0),
        Expr::Binary(BinOp::And, l, r) => {
            if evaluate(l, values)? == 0.0 {
                0.0
            } else {
                truth(evaluate(r, values)? != 0.0)
            }
        }
        Expr::Binary(BinOp::Or, l, r) => {
            if evaluate(l, values)? != 0.0 {
                1.0
            } else {
                truth(evaluate(r, values)? != 0.0)
            }
        }
        Expr::Binary(op, l, r) => {
            let a = evaluate(l, values)?;
            let b = evaluate(r, values)?;
            match op {
                BinOp::Add => a + b,
                BinOp::Sub => a - b,
                BinOp::Mul => a * b,
                BinOp::Div if b == 0.0 => return None,
                BinOp::Div => a / b,
                _ => {
                    let (a, b) = (normalise(a), normalise(b));
                    truth(match op {
                        BinOp::Eq => a == b,
                        BinOp::Ne => a != b,
                        BinOp::Lt => a < b,
                        BinOp::Le => a <= b,
                        BinOp::Gt => a > b,
                        _ => a >= b,
                    })
                }
            }
        }
        Expr::Min(args) | Expr::Max(args) => {
            let mut best: Option<f64> = None;
            for a in args {
                let x = evaluate(a, values)?;
                let better = match best {
                    None => true,
                    Some(b) if matches!(expr, Expr::Min(_)) => x < b,
                    Some(b) => x > b,
                };
                if better {
                    best = Some(x);
                }
            }
            best?
        }
        Expr::Round(e, digits) => round(evaluate(e, values)?, *digits),
        Expr::If(c, a, b) => {
            if evaluate(c, values)? != 0.0 {
                evaluate(a, values)?
            } else {
                evaluate(b, values)?
            }
        }
    };
    x.is_finite().then_some(x)
}

/// The value a formula field or column takes: a number, a money string, or `null`.
pub fn compute(expr: &Expr, result: FormulaResult, values: &Map<String, Value>) -> Value {
    let x = evaluate(expr, values);
    match result {
        FormulaResult::Number => x.and_then(number_value).map_or(Value::Null, Value::Number),
        FormulaResult::Money => x.and_then(money).map_or(Value::Null, Value::String),
    }
}

/// A number result in JSON: normalised, integers without a fraction.
fn number_value(x: f64) -> Option<Number> {
    let x = normalise(x);
    if !x.is_finite() {
        return None;
    }
    if x == x.trunc() && x.abs() < 9_007_199_254_740_992.0 {
        // Exact: an integer below 2^53. -0 becomes 0.
        return Some(Number::from(x as i64));
    }
    Number::from_f64(x)
}

// ---- Decimal rounding ----

/// `±digits × 10^exp`, `digits` below 10^15.
#[derive(Clone, Copy, Debug, PartialEq)]
struct Decimal {
    negative: bool,
    digits: i128,
    exp: i32,
}

/// `x` (finite) rounded to 15 significant digits, ties away from zero: `toPrecision(15)`.
fn significant(x: f64) -> Decimal {
    if x == 0.0 || !x.is_finite() {
        return Decimal {
            negative: false,
            digits: 0,
            exp: 0,
        };
    }
    // Thirty digits, correctly rounded, decide every case but a near tie. 767 significant
    // digits hold the exact value of any f64, but take up to 100 µs to print.
    let (mut digits, mut exp, mut tail) = leading(&format!("{:.29e}", x.abs()));
    if matches!(tail, HALF | NEAR_HALF) {
        (digits, exp, tail) = leading(&format!("{:.766e}", x.abs()));
    }
    // Half or more of the next place rounds up: away from zero, as the sign is apart.
    if tail >= HALF {
        digits += 1;
        if digits == 10i128.pow(SIGNIFICANT as u32) {
            digits /= 10;
            exp += 1;
        }
    }
    Decimal {
        negative: x < 0.0,
        digits,
        exp,
    }
}

/// Half a unit of the 15th digit, in units of the 30th.
const HALF: u64 = 500_000_000_000_000;
/// Just below: printed to 30 digits, an exact tail slightly above or below half.
const NEAR_HALF: u64 = HALF - 1;

/// From `d.ddd…e±n` in LowerExp form: the first 15 digits as an integer, its exponent, and
/// the next 15 digits (zeros where there are none).
fn leading(s: &str) -> (i128, i32, u64) {
    let (mantissa, exp) = s.split_once('e').unwrap_or((s, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let mut all = mantissa.bytes().filter(u8::is_ascii_digit);
    let mut next = || all.next().unwrap_or(b'0') - b'0';
    let mut digits: i128 = 0;
    for _ in 0..SIGNIFICANT {
        digits = digits * 10 + i128::from(next());
    }
    let mut tail: u64 = 0;
    for _ in 0..SIGNIFICANT {
        tail = tail * 10 + u64::from(next());
    }
    (digits, exp - (SIGNIFICANT as i32 - 1), tail)
}

impl Decimal {
    fn to_f64(self) -> f64 {
        let x: f64 = format!("{}e{}", self.digits, self.exp)
            .parse()
            .unwrap_or(f64::NAN);
        if self.negative { -x } else { x }
    }

    /// Rounded to `places` decimals, half away from zero, as integer units of 10^-places.
    /// `None` when the units would not fit (the value is far too large for any result).
    fn units(self, places: u32) -> Option<i128> {
        let shift = self.exp + places as i32;
        let units = if shift >= 0 {
            // 10^15 × 10^22 still fits an i128 (below 1.7 × 10^38).
            if shift > 22 {
                return None;
            }
            self.digits * 10i128.pow(shift as u32)
        } else if shift < -(SIGNIFICANT as i32) {
            // Below half a unit.
            0
        } else {
            let unit = 10i128.pow((-shift) as u32);
            let (q, r) = (self.digits / unit, self.digits % unit);
            if 2 * r >= unit { q + 1 } else { q }
        };
        Some(if self.negative { -units } else { units })
    }
}

/// `x` as its 15 significant digits say, the nearest f64 to `toPrecision(15)`.
fn normalise(x: f64) -> f64 {
    significant(x).to_f64()
}

/// `round(x, places)`.
fn round(x: f64, places: u32) -> f64 {
    let d = significant(x);
    if d.exp + places as i32 >= 0 {
        // No digit after the last kept place: nothing to round.
        return d.to_f64();
    }
    match d.units(places) {
        Some(units) => format!("{units}e-{places}").parse().unwrap_or(f64::NAN),
        None => d.to_f64(),
    }
}

/// A money result: two decimals, or `None` from 10^15 up.
fn money(x: f64) -> Option<String> {
    let d = significant(x);
    // `digits` has 15 digits (or is 0), so the value is below 10^15 exactly when exp <= 0.
    if d.exp > 0 {
        return None;
    }
    let cents = d.units(2)?;
    let sign = if cents < 0 { "-" } else { "" };
    let abs = cents.unsigned_abs();
    Some(format!("{sign}{}.{:02}", abs / 100, abs % 100))
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;
    use serde_json::json;

    use super::*;

    fn values(v: Value) -> Map<String, Value> {
        v.as_object().cloned().expect("an object")
    }

    fn number_of(src: &str, v: Value) -> Value {
        compute(&parse(src).expect(src), FormulaResult::Number, &values(v))
    }

    fn money_of(src: &str, v: Value) -> Value {
        compute(&parse(src).expect(src), FormulaResult::Money, &values(v))
    }

    fn error_at(src: &str) -> (usize, ParseErrorKind) {
        let e = parse(src).expect_err(src);
        (e.position, e.kind)
    }

    /// Numbers compare by value (a client cannot tell 5 from 5.0), everything else exactly.
    fn same(got: &Value, expected: &Value) -> bool {
        match (got, expected) {
            (Value::Number(a), Value::Number(b)) => a.as_f64() == b.as_f64(),
            _ => got == expected,
        }
    }

    #[test]
    fn shared_vectors() {
        let vectors: Vec<Value> =
            serde_json::from_str(include_str!("formula_vectors.json")).expect("vectors JSON");
        assert!(vectors.len() >= 150, "{}", vectors.len());
        let mut failures = Vec::new();
        for v in &vectors {
            let src = v["expression"].as_str().expect("expression");
            let shown: String = src.chars().take(60).collect();
            let expected = &v["expected"];
            let parsed = parse(src);
            if let Some(at) = expected.get("error_at") {
                match parsed {
                    Err(e) if json!(e.position) == *at => {}
                    other => failures.push(format!(
                        "{shown:?}: expected an error at {at}, got {other:?}"
                    )),
                }
                continue;
            }
            let result = match v.get("result").and_then(Value::as_str) {
                None | Some("number") => FormulaResult::Number,
                Some("money") => FormulaResult::Money,
                Some(other) => panic!("unknown result {other}"),
            };
            let Ok(expr) = parsed else {
                failures.push(format!("{shown:?}: {parsed:?}"));
                continue;
            };
            let got = compute(&expr, result, &values(v["values"].clone()));
            if !same(&got, expected) {
                failures.push(format!(
                    "{shown:?} {}: expected {expected}, got {got}",
                    v["values"]
                ));
            }
        }
        assert!(failures.is_empty(), "{}", failures.join("\n"));
    }

    #[test]
    fn fifteen_significant_digits_as_to_precision() {
        // What JavaScript's toPrecision(15) prints for each, as digits and exponent.
        for (x, digits, exp) in [
            (0.1 + 0.2, 300000000000000_i128, -15),
            (1.005, 100500000000000, -14),
            (2.675, 267500000000000, -14),
            (100000000000000.5, 100000000000001, 0),
            (999999999999999.9, 100000000000000, 1),
            (1e300, 100000000000000, 286),
            (5e-324, 494065645841247, -338),
            (123.0, 123000000000000, -12),
        ] {
            assert_eq!(
                significant(x),
                Decimal {
                    negative: false,
                    digits,
                    exp
                },
                "{x}"
            );
            assert!(significant(-x).negative);
        }
        assert_eq!(significant(0.0).digits, 0);
        assert_eq!(normalise(0.1 + 0.2), 0.3);
        assert_eq!(normalise(f64::MAX), f64::INFINITY);
    }

    #[test]
    fn results_in_json() {
        assert_eq!(number_of("0.1 + 0.2", json!({})), json!(0.3));
        assert_eq!(number_of("6 / 2", json!({})).to_string(), "3");
        assert_eq!(number_of("-0 * 1", json!({})).to_string(), "0");
        assert_eq!(number_of("1 / 0", json!({})), Value::Null);
        assert_eq!(money_of("1.005", json!({})), json!("1.01"));
        assert_eq!(money_of("-0.004", json!({})), json!("0.00"));
        assert_eq!(money_of("a * 2", json!({"a": "0.05"})), json!("0.10"));
        assert_eq!(
            money_of("999999999999999.4", json!({})),
            json!("999999999999999.00")
        );
        // As an f64 this is 999999999999999.5, which 15 digits round up to 10^15.
        assert_eq!(money_of("999999999999999.49", json!({})), Value::Null);
    }

    #[test]
    fn errors_read_in_both_languages() {
        let e = parse("1 + )").unwrap_err();
        assert_eq!(e.position, 5);
        assert_eq!(
            e.message_en(),
            "at character 5: expected a number, a field name or `(`, found `)`"
        );
        assert_eq!(
            e.message_zh(),
            "第 5 个字符处：应为数字、字段名或“(”，实际为“)”"
        );
        assert_eq!(e.to_string(), e.message_en());
        let e = parse("(1").unwrap_err();
        assert_eq!(
            e.message_en(),
            "at character 3: expected `)`, found the end of the formula"
        );
        assert_eq!(e.message_zh(), "第 3 个字符处：应为“)”，但公式已结束");
        assert_eq!(parse(" ").unwrap_err().message_zh(), "公式为空");
        assert_eq!(
            parse(&"1".repeat(1001)).unwrap_err().message_en(),
            "the formula is longer than 1000 characters"
        );
        let e = parse("Total * 2").unwrap_err();
        assert!(e.message_en().contains("lowercase"), "{e}");
        assert!(e.message_zh().contains("小写"), "{e}");
        assert!(
            parse("avg(1)")
                .unwrap_err()
                .message_en()
                .contains("no function `avg`")
        );
        assert!(
            parse("round(1, 9)")
                .unwrap_err()
                .message_zh()
                .contains("0 到 6")
        );
        assert!(parse("1 < 2 < 3").unwrap_err().message_en().contains("and"));
        assert!(parse("t.c").unwrap_err().message_zh().contains("sum"));
        let e = parse(&format!("{}1", "-".repeat(40))).unwrap_err();
        assert_eq!((e.position, e.kind.clone()), (33, ParseErrorKind::TooDeep));
        assert!(e.message_en().contains("32 levels"));
        assert!(e.message_zh().contains("32 层"));
        // A long token is shortened in the message.
        let long = format!("1 {}", "x".repeat(200));
        assert!(parse(&long).unwrap_err().message_en().contains('…'));
    }

    #[test]
    fn error_kinds() {
        assert_eq!(
            error_at("1 +").1,
            ParseErrorKind::Expected {
                what: Expected::Value,
                found: String::new()
            }
        );
        assert_eq!(
            error_at("a b").1,
            ParseErrorKind::Expected {
                what: Expected::End,
                found: "b".into()
            }
        );
        assert_eq!(
            error_at("1 ＋ 2"),
            (3, ParseErrorKind::UnexpectedChar('＋'))
        );
        assert_eq!(
            error_at("99".repeat(200).as_str()),
            (1, ParseErrorKind::NumberTooLarge)
        );
        assert_eq!(error_at("x.y").1, ParseErrorKind::ColumnOutsideSum);
        assert_eq!(error_at("round(1, 2.0)").1, ParseErrorKind::RoundDigits);
        assert_eq!(
            error_at("round(1, 99999999999999999999)").1,
            ParseErrorKind::RoundDigits
        );
        assert_eq!(error_at("1 >= 2 != 3").1, ParseErrorKind::ChainedComparison);
    }

    #[test]
    fn references_in_order() {
        let e = parse("a + sum(t.c) * count(u) - if(b, min(a, 1), round(c, 2))").unwrap();
        assert_eq!(
            e.references(),
            [
                Reference::Field("a"),
                Reference::Column("t", "c"),
                Reference::Table("u"),
                Reference::Field("b"),
                Reference::Field("a"),
                Reference::Field("c"),
            ]
        );
        assert!(parse("1 + 2").unwrap().references().is_empty());
    }

    #[test]
    fn printing_is_canonical() {
        for (src, printed) in [
            ("a+b*c", "a + b * c"),
            ("(a+b)*c", "(a + b) * c"),
            ("a-(b-c)", "a - (b - c)"),
            ("(a-b)-c", "a - b - c"),
            ("a/(b*c)", "a / (b * c)"),
            ("-(a+b)", "-(a + b)"),
            ("- - a", "--a"),
            ("a*-b", "a * -b"),
            ("-(not a)", "-(not a)"),
            ("not(a or b)", "not (a or b)"),
            ("not a=b", "not a = b"),
            ("(not a)=b", "(not a) = b"),
            ("(a<b)<c", "(a < b) < c"),
            ("a<(b<c)", "a < (b < c)"),
            ("a or (b or c)", "a or (b or c)"),
            ("(a and b) or c", "a and b or c"),
            ("a and (b or c)", "a and (b or c)"),
            ("sum( t . c )+count(t)", "sum(t.c) + count(t)"),
            (
                "if(a,min(1,2.50),round(max(b),02))",
                "if(a, min(1, 2.5), round(max(b), 2))",
            ),
            ("((((1))))", "1"),
            ("0.000001", "0.000001"),
        ] {
            let e = parse(src).unwrap();
            assert_eq!(e.to_string(), printed, "{src}");
            assert_eq!(parse(printed).unwrap(), e, "{src}");
        }
    }

    #[test]
    fn evaluation_is_lazy_only_where_documented() {
        let v = values(json!({"a": 2, "t": [{"x": 1}, {"x": "2.5"}, {"x": true}]}));
        let eval = |s: &str| evaluate(&parse(s).unwrap(), &v);
        assert_eq!(eval("sum(t.x)"), Some(4.5));
        assert_eq!(eval("count(t) * a"), Some(6.0));
        assert_eq!(eval("if(a > 1, 1, 1 / 0)"), Some(1.0));
        assert_eq!(eval("if(a < 1, 1, 1 / 0)"), None);
        assert_eq!(eval("min(1, 1 / 0)"), None);
        assert_eq!(eval("0 and x / 0"), Some(0.0));
        assert_eq!(eval("a or x / 0"), Some(1.0));
    }

    // ---- Properties ----

    /// Field names, including ones that are also function names.
    fn field() -> impl Strategy<Value = String> {
        prop::sample::select(vec!["a", "b", "price", "qty", "sum", "if", "x_1", "_"])
            .prop_map(String::from)
    }

    fn literal() -> impl Strategy<Value = f64> {
        prop_oneof![
            prop::sample::select(vec![0.0, 1.0, 2.5, 0.1, 0.2, 1.005, 1e15, 1e300, 5e-324]),
            (0.0..1e6f64),
            any::<f64>().prop_filter_map("finite", |x| x.is_finite().then_some(x.abs())),
        ]
    }

    fn expr() -> impl Strategy<Value = Expr> {
        let leaf = prop_oneof![
            literal().prop_map(Expr::Number),
            field().prop_map(Expr::Field),
            (field(), field()).prop_map(|(table, column)| Expr::Sum { table, column }),
            field().prop_map(Expr::Count),
        ];
        leaf.prop_recursive(5, 40, 4, |inner| {
            let op = prop::sample::select(vec![
                BinOp::Or,
                BinOp::And,
                BinOp::Eq,
                BinOp::Ne,
                BinOp::Lt,
                BinOp::Le,
                BinOp::Gt,
                BinOp::Ge,
                BinOp::Add,
                BinOp::Sub,
                BinOp::Mul,
                BinOp::Div,
            ]);
            let boxed = inner.clone().prop_map(Box::new);
            prop_oneof![
                boxed.clone().prop_map(Expr::Neg),
                boxed.clone().prop_map(Expr::Not),
                (op, boxed.clone(), boxed.clone()).prop_map(|(op, l, r)| Expr::Binary(op, l, r)),
                prop::collection::vec(inner.clone(), 1..4).prop_map(Expr::Min),
                prop::collection::vec(inner.clone(), 1..4).prop_map(Expr::Max),
                (boxed.clone(), 0..=MAX_ROUND_DIGITS).prop_map(|(e, d)| Expr::Round(e, d)),
                (boxed.clone(), boxed.clone(), boxed).prop_map(|(c, a, b)| Expr::If(c, a, b)),
            ]
        })
    }

    /// Text that is mostly made of the language's tokens, so that much of it parses.
    fn source() -> impl Strategy<Value = String> {
        let token = prop::sample::select(vec![
            "a", "b", "t", "c", "sum", "count", "min", "max", "round", "if", "and", "or", "not",
            "0", "1", "2", "2.5", "007", "1e3", ".", ",", "(", "(", ")", ")", "+", "-", "-", "*",
            "/", "=", "!=", "<", "<=", ">", ">=", "!", " ", "\n", "é", "日", "A", "9999",
        ]);
        prop_oneof![
            prop::collection::vec(token, 0..60).prop_map(|t| t.concat()),
            ".{0,80}",
            "[-+*/(),.0-9a-z<>=! ]{0,200}",
        ]
    }

    fn any_value() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<f64>().prop_map(|x| json!(x)),
            any::<i64>().prop_map(|i| json!(i)),
            prop::sample::select(vec![
                json!("12.50"),
                json!("-0.01"),
                json!("1e3"),
                json!("x"),
                json!(1e308),
                json!({"start": "2024-01-01", "end": "2024-12-31"}),
                json!({"start": "2024-01-02", "end": "2024-01-01"}),
                json!({"start": 1}),
            ]),
        ];
        leaf.prop_recursive(2, 12, 4, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
                prop::collection::vec((field(), inner), 0..4)
                    .prop_map(|kv| Value::Object(kv.into_iter().collect())),
            ]
        })
    }

    fn inputs() -> impl Strategy<Value = Map<String, Value>> {
        prop::collection::vec((field(), any_value()), 0..8).prop_map(|kv| kv.into_iter().collect())
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2048))]

        #[test]
        fn parsing_never_panics_and_printing_round_trips(src in source()) {
            if let Ok(e) = parse(&src) {
                let printed = e.to_string();
                if printed.chars().count() <= MAX_LEN {
                    prop_assert_eq!(parse(&printed), Ok(e), "{}", printed);
                }
            }
        }

        #[test]
        fn printed_expressions_parse_back(e in expr()) {
            let printed = e.to_string();
            prop_assume!(printed.chars().count() <= MAX_LEN);
            prop_assert_eq!(parse(&printed), Ok(e), "{}", printed);
        }

        #[test]
        fn evaluation_never_panics(e in expr(), v in inputs()) {
            if let Some(x) = evaluate(&e, &v) {
                prop_assert!(x.is_finite());
            }
            match compute(&e, FormulaResult::Money, &v) {
                Value::Null => {}
                Value::String(s) => {
                    let (int, frac) = s.trim_start_matches('-').split_once('.').unwrap();
                    prop_assert!(frac.len() == 2 && int.len() <= 15, "{}", s);
                    prop_assert!(s != "-0.00");
                }
                other => prop_assert!(false, "{}", other),
            }
            let n = compute(&e, FormulaResult::Number, &v);
            prop_assert!(n.is_null() || n.as_f64().is_some_and(f64::is_finite), "{}", n);
        }

        #[test]
        fn thirty_digits_decide_as_the_exact_value_does(
            n in 100_000_000_000_000_u64..1_000_000_000_000_000,
            exp in -330..300i32,
            step in -2..=2i32,
            x in any::<f64>(),
        ) {
            // Decimal ties at the 16th digit and the floats around them.
            let mut near: f64 = format!("{n}5e{exp}").parse().unwrap();
            for _ in 0..step.abs() {
                near = if step > 0 { near.next_up() } else { near.next_down() };
            }
            for x in [near, x] {
                if x.is_finite() && x != 0.0 {
                    let (mut digits, mut exp, tail) = leading(&format!("{:.766e}", x.abs()));
                    if tail >= HALF {
                        digits += 1;
                        if digits == 1_000_000_000_000_000 {
                            digits /= 10;
                            exp += 1;
                        }
                    }
                    let exact = Decimal { negative: x < 0.0, digits, exp };
                    prop_assert_eq!(significant(x), exact, "{:e}", x);
                }
            }
        }

        #[test]
        fn normalising_is_idempotent(x in any::<f64>().prop_filter("finite", |x| x.is_finite())) {
            let once = normalise(x);
            if once.is_finite() {
                prop_assert_eq!(normalise(once), once);
                prop_assert_eq!(significant(once), significant(x));
            }
        }
    }
}

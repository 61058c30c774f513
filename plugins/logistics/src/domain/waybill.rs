//! Waybill numbers: generated as `WB20261130-0001` (the local date of creation and a
//! sequence number the caller keeps per day), or supplied by the shipper and validated.
//! Waybills are compared in upper case: `wb-1` and `WB-1` are the same waybill.

use super::lang::Lang;
use super::time::local_date;

/// A waybill has at most this many characters.
pub const MAX_LEN: usize = 32;

/// `WB` + local date + `-` + the sequence number, at least four digits:
/// `WB20261130-0001`, `WB20261130-12345`.
pub fn generate(now_ms: i64, offset_minutes: i32, seq: u32) -> String {
    format!("WB{}-{seq:04}", date_code(now_ms, offset_minutes))
}

/// The local date as `YYYYMMDD`: the key of the day's sequence counter.
pub fn date_code(now_ms: i64, offset_minutes: i32) -> String {
    local_date(now_ms, offset_minutes).compact()
}

/// Why a supplied waybill is refused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum WaybillError {
    Empty,
    TooLong {
        len: usize,
    },
    /// A character other than an ASCII letter, digit or `-`.
    BadChar {
        c: char,
    },
}

impl WaybillError {
    pub fn message(&self, lang: Lang) -> String {
        match (self, lang) {
            (WaybillError::Empty, _) => lang.pick("is required", "不能为空").into(),
            (WaybillError::TooLong { len }, Lang::En) => {
                format!("has {len} characters; at most {MAX_LEN} are allowed")
            }
            (WaybillError::TooLong { len }, Lang::Zh) => {
                format!("有 {len} 个字符，最多 {MAX_LEN} 个")
            }
            (WaybillError::BadChar { c }, Lang::En) => format!(
                "may only contain letters, digits and “-” (found “{}”)",
                c.escape_debug()
            ),
            (WaybillError::BadChar { c }, Lang::Zh) => {
                format!("只能包含字母、数字和“-”（出现了“{}”）", c.escape_debug())
            }
        }
    }
}

/// A supplied waybill, trimmed and in upper case: 1 to 32 ASCII letters, digits or `-`.
pub fn validate(text: &str) -> Result<String, WaybillError> {
    let text = text.trim();
    if text.is_empty() {
        return Err(WaybillError::Empty);
    }
    if let Some(c) = text
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || *c == '-'))
    {
        return Err(WaybillError::BadChar { c });
    }
    if text.len() > MAX_LEN {
        return Err(WaybillError::TooLong { len: text.len() });
    }
    Ok(text.to_ascii_uppercase())
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    const T: i64 = 1_796_025_600_000; // 2026-11-30T08:00:00Z

    #[test]
    fn generated_numbers() {
        assert_eq!(generate(T, 480, 1), "WB20261130-0001");
        assert_eq!(generate(T + 16 * 3_600_000, 480, 42), "WB20261201-0042");
        assert_eq!(generate(T, -600, 12_345), "WB20261129-12345");
        assert_eq!(date_code(T, 0), "20261130");
        assert_eq!(
            validate(&generate(T, 0, u32::MAX)),
            Ok("WB20261130-4294967295".into())
        );
    }

    #[test]
    fn supplied_numbers() {
        assert_eq!(validate(" wb-2026-001 "), Ok("WB-2026-001".into()));
        assert_eq!(validate("A"), Ok("A".into()));
        assert_eq!(validate(&"9".repeat(32)), Ok("9".repeat(32)));
        assert_eq!(validate(""), Err(WaybillError::Empty));
        assert_eq!(validate("   "), Err(WaybillError::Empty));
        assert_eq!(
            validate(&"9".repeat(33)),
            Err(WaybillError::TooLong { len: 33 })
        );
        assert_eq!(validate("WB 1"), Err(WaybillError::BadChar { c: ' ' }));
        assert_eq!(validate("WB_1"), Err(WaybillError::BadChar { c: '_' }));
        assert_eq!(validate("运单1"), Err(WaybillError::BadChar { c: '运' }));
        assert_eq!(validate("=1+2"), Err(WaybillError::BadChar { c: '=' }));
        let e = validate("a/b").unwrap_err();
        assert!(e.message(Lang::En).contains("“/”"));
        assert!(e.message(Lang::Zh).contains("只能包含"));
        assert!(
            WaybillError::TooLong { len: 40 }
                .message(Lang::Zh)
                .contains("40")
        );
    }

    proptest! {
        #[test]
        fn validate_never_panics_and_accepts_only_the_alphabet(s in "\\PC{0,40}") {
            if let Ok(w) = validate(&s) {
                prop_assert!(!w.is_empty() && w.len() <= MAX_LEN);
                prop_assert!(w.chars().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '-'));
            }
        }
    }
}

//! Exact money: the host submits amounts as decimal strings with two fraction digits
//! (`"12.50"`, `"-3.00"`); here they become integer cents so that sums are exact
//! (`0.10 + 0.20` is `0.30`, never `0.30000000000000004`). Capitals (大写) are not here: the
//! wiring passes the SDK's converter in (see [`super::display::Lookup::capitals`]).

/// Integer digits an amount may have (the host's limit).
pub const MAX_DIGITS: usize = 15;

/// `-?digits(.d{1,2})?` in cents, exactly; `None` for anything else (including more than
/// [`MAX_DIGITS`] integer digits).
pub fn parse(s: &str) -> Option<i128> {
    let (negative, unsigned) = match s.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, s),
    };
    let (int, frac) = unsigned.split_once('.').unwrap_or((unsigned, "00"));
    let digits = |t: &str| !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit());
    if !digits(int) || !digits(frac) || frac.len() > 2 {
        return None;
    }
    let int = int.trim_start_matches('0');
    if int.len() > MAX_DIGITS {
        return None;
    }
    let fold = |t: &str| {
        t.bytes()
            .fold(0i128, |acc, b| acc * 10 + i128::from(b - b'0'))
    };
    let frac = if frac.len() == 1 {
        fold(frac) * 10
    } else {
        fold(frac)
    };
    let cents = fold(int) * 100 + frac;
    Some(if negative { -cents } else { cents })
}

/// Cents as `"12.50"`, `"-0.05"`, `"0.00"`.
pub fn format(cents: i128) -> String {
    let sign = if cents < 0 { "-" } else { "" };
    let abs = cents.unsigned_abs();
    format!("{sign}{}.{:02}", abs / 100, abs % 100)
}

/// `sum / n` in cents, rounded half away from zero.
pub fn average(sum: i128, n: usize) -> Option<i128> {
    let n = i128::try_from(n).ok().filter(|&n| n > 0)?;
    let q = sum / n;
    let r = sum % n;
    Some(if 2 * r.abs() >= n {
        q + sum.signum()
    } else {
        q
    })
}

/// Whether text is a plain decimal number as the host writes numbers and amounts:
/// `-?[0-9]+(\.[0-9]+)?`. What such a cell holds is a number, never a formula.
pub fn is_plain_number(s: &str) -> bool {
    let unsigned = s.strip_prefix('-').unwrap_or(s);
    let (int, frac) = match unsigned.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (unsigned, None),
    };
    let digits = |t: &str| !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit());
    digits(int) && frac.is_none_or(digits)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_parse_exactly() {
        assert_eq!(parse("12.50"), Some(1250));
        assert_eq!(parse("12.5"), Some(1250));
        assert_eq!(parse("12"), Some(1200));
        assert_eq!(parse("-0.05"), Some(-5));
        assert_eq!(parse("0.10").unwrap() + parse("0.20").unwrap(), 30);
        assert_eq!(parse("999999999999999.99"), Some(99_999_999_999_999_999));
        assert_eq!(parse("1000000000000000"), None);
        for bad in [
            "", "-", ".5", "5.", "1.234", "1e3", "+1", "1,000", " 1", "１",
        ] {
            assert_eq!(parse(bad), None, "{bad}");
        }
        assert_eq!(format(30), "0.30");
        assert_eq!(format(-5), "-0.05");
        assert_eq!(format(0), "0.00");
        assert_eq!(format(123_456), "1234.56");
    }

    #[test]
    fn averages_round_half_away_from_zero() {
        assert_eq!(average(10, 4), Some(3)); // 2.5 → 3
        assert_eq!(average(-10, 4), Some(-3));
        assert_eq!(average(10, 3), Some(3));
        assert_eq!(average(11, 3), Some(4)); // 3.67 → 4
        assert_eq!(average(1, 0), None);
    }

    #[test]
    fn plain_numbers() {
        for ok in ["0", "-1", "12.50", "-0.5", "007"] {
            assert!(is_plain_number(ok), "{ok}");
        }
        for bad in ["", "-", "=1", "-1+2", "1.", ".1", "1e5", "-=1", "+1", "1 "] {
            assert!(!is_plain_number(bad), "{bad}");
        }
    }
}

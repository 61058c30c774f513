//! Money amounts as Chinese financial documents write them.
//!
//! [`chinese_capital`] spells an amount in capital numerals (大写金额), as cheques, invoices and
//! expense forms require: `"1234.50"` is `壹仟贰佰叁拾肆元伍角`. Pure Rust; it calls no host
//! function, so it works in plugins and in tests alike.

/// Capital digits, 零 to 玖.
const DIGITS: [char; 10] = ['零', '壹', '贰', '叁', '肆', '伍', '陆', '柒', '捌', '玖'];
/// Units within a group of four digits, thousands first.
const PLACES: [&str; 4] = ["仟", "佰", "拾", ""];
/// Integer digits an amount may have, as in a form's `money` field.
const MAX_DIGITS: usize = 15;

/// Spells a money amount in Chinese capital numerals, or `None` if `amount` is not one.
///
/// `amount` is what a `money` form field holds: an optional `-`, 1 to 15 integer digits
/// (leading zeros aside) and, after a `.`, one or two decimals (`"12"`, `"12.5"`,
/// `"-12.50"`); nothing else, not even blanks.
///
/// The rules of the 《支付结算办法》 for filling in amounts:
///
/// - every ten is written with its digit: `10` is 壹拾元整, `100000` is 壹拾万元整;
/// - groups of four digits take 万 and 亿, and above 亿 the count of 亿 is itself read with
///   万: `1000000000000` is 壹万亿元整;
/// - zeros between non-zero digits are read as one 零, also across a 万 or 亿 boundary
///   (`1005` 壹仟零伍元整, `100010000` 壹亿零壹万元整), while zeros that end a group are
///   silent (`107000` 壹拾万柒仟元整);
/// - an amount without 角 and 分 ends with 整 (`零元整` for zero); one with 角 but no 分 ends
///   with 角; when 角 is zero but 分 is not, 零 stands between 元 and 分 (`1005.07`
///   壹仟零伍元零柒分); less than one yuan has no 元 (`0.05` 伍分);
/// - a negative amount starts with 负; zero is never negative.
///
/// ```
/// use courtyard_sdk::money::chinese_capital;
///
/// assert_eq!(chinese_capital("1234.50").as_deref(), Some("壹仟贰佰叁拾肆元伍角"));
/// assert_eq!(chinese_capital("-0.05").as_deref(), Some("负伍分"));
/// assert_eq!(chinese_capital("1e3"), None);
/// ```
pub fn chinese_capital(amount: &str) -> Option<String> {
    let (negative, unsigned) = match amount.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, amount),
    };
    let (int, frac) = unsigned.split_once('.').unwrap_or((unsigned, ""));
    let all_digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if int.is_empty() || !all_digits(int) || !all_digits(frac) || frac.len() > 2 {
        return None;
    }
    if unsigned.contains('.') && frac.is_empty() {
        return None;
    }
    let int = int.trim_start_matches('0');
    if int.len() > MAX_DIGITS {
        return None;
    }
    let yuan: u64 = if int.is_empty() { 0 } else { int.parse().ok()? };
    let digit = |i: usize| frac.as_bytes().get(i).map_or(0, |b| usize::from(b - b'0'));
    let (jiao, fen) = (digit(0), digit(1));

    let mut out = String::new();
    if negative && (yuan, jiao, fen) != (0, 0, 0) {
        out.push('负');
    }
    if yuan > 0 {
        below_10_16(yuan, &mut out);
        out.push('元');
    }
    if jiao == 0 && fen == 0 {
        if yuan == 0 {
            out.push_str("零元");
        }
        out.push('整');
        return Some(out);
    }
    if jiao > 0 {
        out.push(DIGITS[jiao]);
        out.push('角');
    } else if yuan > 0 {
        out.push('零');
    }
    if fen > 0 {
        out.push(DIGITS[fen]);
        out.push('分');
    }
    Some(out)
}

/// `n` (1 to 10^16 - 1): the count of 亿, read with 万, then the rest.
fn below_10_16(n: u64, out: &mut String) {
    let (yi, rest) = (n / 100_000_000, n % 100_000_000);
    if yi == 0 {
        below_10_8(rest, out);
        return;
    }
    below_10_8(yi, out);
    out.push('亿');
    if rest > 0 {
        // The rest has eight places; a leading zero among them is read once.
        if rest < 10_000_000 {
            out.push('零');
        }
        below_10_8(rest, out);
    }
}

/// `n` (1 to 10^8 - 1).
fn below_10_8(n: u64, out: &mut String) {
    let (wan, rest) = (n / 10_000, n % 10_000);
    if wan == 0 {
        group(rest, out);
        return;
    }
    group(wan, out);
    out.push('万');
    if rest > 0 {
        if rest < 1_000 {
            out.push('零');
        }
        group(rest, out);
    }
}

/// A group of four places, `n` from 1 to 9999: leading and trailing zeros are silent, zeros
/// between digits one 零.
fn group(n: u64, out: &mut String) {
    let digits = [n / 1000 % 10, n / 100 % 10, n / 10 % 10, n % 10];
    let mut started = false;
    let mut zero = false;
    for (d, place) in digits.into_iter().zip(PLACES) {
        if d == 0 {
            zero = started;
            continue;
        }
        if zero {
            out.push('零');
            zero = false;
        }
        out.push(DIGITS[d as usize]);
        out.push_str(place);
        started = true;
    }
}

#[cfg(test)]
mod tests {
    use super::chinese_capital;

    fn cap(amount: &str) -> String {
        chinese_capital(amount).unwrap_or_else(|| panic!("{amount} refused"))
    }

    #[test]
    fn examples_from_the_rules() {
        for (amount, text) in [
            ("1234.50", "壹仟贰佰叁拾肆元伍角"),
            ("100000", "壹拾万元整"),
            ("1005.07", "壹仟零伍元零柒分"),
            ("0.05", "伍分"),
            ("10.00", "壹拾元整"),
            ("-1234.56", "负壹仟贰佰叁拾肆元伍角陆分"),
            // Examples of the 《支付结算办法》 (the forms without the optional 零).
            ("1409.50", "壹仟肆佰零玖元伍角"),
            ("6007.14", "陆仟零柒元壹角肆分"),
            ("1680.32", "壹仟陆佰捌拾元叁角贰分"),
            ("107000.53", "壹拾万柒仟元伍角叁分"),
            ("325.04", "叁佰贰拾伍元零肆分"),
        ] {
            assert_eq!(cap(amount), text, "{amount}");
        }
    }

    #[test]
    fn small_amounts_and_zero() {
        for (amount, text) in [
            ("0", "零元整"),
            ("0.00", "零元整"),
            ("-0.00", "零元整"),
            ("000", "零元整"),
            ("0.5", "伍角"),
            ("0.50", "伍角"),
            ("0.55", "伍角伍分"),
            ("0.01", "壹分"),
            ("-0.05", "负伍分"),
            ("1", "壹元整"),
            ("1.1", "壹元壹角"),
            ("1.01", "壹元零壹分"),
            ("9.99", "玖元玖角玖分"),
            ("10", "壹拾元整"),
            ("11", "壹拾壹元整"),
            ("20.05", "贰拾元零伍分"),
            ("101", "壹佰零壹元整"),
            ("110", "壹佰壹拾元整"),
            ("1001", "壹仟零壹元整"),
            ("1010", "壹仟零壹拾元整"),
            ("1100", "壹仟壹佰元整"),
            ("007.10", "柒元壹角"),
        ] {
            assert_eq!(cap(amount), text, "{amount}");
        }
    }

    #[test]
    fn wan_and_yi_boundaries() {
        for (amount, text) in [
            ("10000", "壹万元整"),
            ("10001", "壹万零壹元整"),
            ("10010", "壹万零壹拾元整"),
            ("10100", "壹万零壹佰元整"),
            ("11000", "壹万壹仟元整"),
            ("101000", "壹拾万壹仟元整"),
            ("100100", "壹拾万零壹佰元整"),
            ("1000000", "壹佰万元整"),
            ("10000000", "壹仟万元整"),
            ("10010000", "壹仟零壹万元整"),
            ("100000000", "壹亿元整"),
            ("100000001", "壹亿零壹元整"),
            ("100010000", "壹亿零壹万元整"),
            ("100100000", "壹亿零壹拾万元整"),
            ("102000000", "壹亿零贰佰万元整"),
            ("120000000", "壹亿贰仟万元整"),
            ("110000000", "壹亿壹仟万元整"),
            ("1000000000", "壹拾亿元整"),
            ("1000000000000", "壹万亿元整"),
            ("1000100000000", "壹万零壹亿元整"),
            ("1000000000001", "壹万亿零壹元整"),
            ("100000000000000", "壹佰万亿元整"),
            ("123456789", "壹亿贰仟叁佰肆拾伍万陆仟柒佰捌拾玖元整"),
            ("20304050607.08", "贰佰零叁亿零肆佰零伍万零陆佰零柒元零捌分"),
            (
                "999999999999999.99",
                "玖佰玖拾玖万玖仟玖佰玖拾玖亿玖仟玖佰玖拾玖万玖仟玖佰玖拾玖元玖角玖分",
            ),
            ("-100000000000000.01", "负壹佰万亿元零壹分"),
        ] {
            assert_eq!(cap(amount), text, "{amount}");
        }
    }

    #[test]
    fn malformed_amounts_are_refused() {
        for amount in [
            "",
            "-",
            ".5",
            "5.",
            "1.005",
            "1e3",
            "+5",
            "--5",
            " 5",
            "5 ",
            "1,000",
            "１２",
            "1.2.3",
            "abc",
            "1000000000000000",
            "-1000000000000000.00",
        ] {
            assert_eq!(chinese_capital(amount), None, "{amount:?}");
        }
        // Leading zeros do not count towards the fifteen digits.
        assert_eq!(
            cap("0000999999999999999"),
            "玖佰玖拾玖万玖仟玖佰玖拾玖亿玖仟玖佰玖拾玖万玖仟玖佰玖拾玖元整"
        );
    }
}

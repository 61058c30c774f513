//! Field validation shared by every operation: which field is wrong ([`Field`]), what is
//! wrong with it ([`Problem`]), and small checkers for text, numbers and times.

use super::lang::Lang;
use super::time;
use super::waybill::WaybillError;

/// A field of an operation's input. `path` names it as in the JSON input (`goods[2].quantity`),
/// `label` for people.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Field {
    Id,
    Waybill,
    Reference,
    Origin,
    Destination,
    PlannedPickup,
    PlannedDelivery,
    Goods,
    GoodsDescription(usize),
    GoodsQuantity(usize),
    GoodsUnit(usize),
    GoodsWeight(usize),
    ShipperId,
    ShipperName,
    ConsigneeId,
    ConsigneeName,
    CarrierId,
    CarrierName,
    Stops,
    StopKind(usize),
    StopPlace(usize),
    StopWindowStart(usize),
    StopWindowEnd(usize),
    StopPlanned(usize),
    Vehicle,
    DriverId,
    DriverName,
    EventId,
    Status,
    RawCode,
    Reason,
    Time,
    Place,
    Latitude,
    Longitude,
    Stop,
    Note,
    Attachments,
    Attachment(usize),
    Eta,
    FileId,
    FileName,
    ContentType,
    Size,
}

impl Field {
    /// Where the field is in the JSON input.
    pub fn path(self) -> String {
        let item = |list: &str, i: usize, name: &str| format!("{list}[{i}].{name}");
        match self {
            Field::Id => "id".into(),
            Field::Waybill => "waybill".into(),
            Field::Reference => "reference".into(),
            Field::Origin => "origin".into(),
            Field::Destination => "destination".into(),
            Field::PlannedPickup => "planned_pickup_ms".into(),
            Field::PlannedDelivery => "planned_delivery_ms".into(),
            Field::Goods => "goods".into(),
            Field::GoodsDescription(i) => item("goods", i, "description"),
            Field::GoodsQuantity(i) => item("goods", i, "quantity"),
            Field::GoodsUnit(i) => item("goods", i, "unit"),
            Field::GoodsWeight(i) => item("goods", i, "weight_kg"),
            Field::ShipperId => "shipper.org_id".into(),
            Field::ShipperName => "shipper.name".into(),
            Field::ConsigneeId => "consignee.org_id".into(),
            Field::ConsigneeName => "consignee.name".into(),
            Field::CarrierId => "carrier.org_id".into(),
            Field::CarrierName => "carrier.name".into(),
            Field::Stops => "stops".into(),
            Field::StopKind(i) => item("stops", i, "kind"),
            Field::StopPlace(i) => item("stops", i, "place"),
            Field::StopWindowStart(i) => item("stops", i, "window_from_ms"),
            Field::StopWindowEnd(i) => item("stops", i, "window_to_ms"),
            Field::StopPlanned(i) => item("stops", i, "planned_arrival_ms"),
            Field::Vehicle => "vehicle".into(),
            Field::DriverId => "driver.id".into(),
            Field::DriverName => "driver.name".into(),
            Field::EventId => "event_id".into(),
            Field::Status => "status".into(),
            Field::RawCode => "raw_code".into(),
            Field::Reason => "reason".into(),
            Field::Time => "at_ms".into(),
            Field::Place => "place".into(),
            Field::Latitude => "lat".into(),
            Field::Longitude => "lon".into(),
            Field::Stop => "stop".into(),
            Field::Note => "note".into(),
            Field::Attachments => "attachments".into(),
            Field::Attachment(i) => format!("attachments[{i}]"),
            Field::Eta => "eta_ms".into(),
            Field::FileId => "file_id".into(),
            Field::FileName => "name".into(),
            Field::ContentType => "content_type".into(),
            Field::Size => "size".into(),
        }
    }

    pub fn label(self, lang: Lang) -> String {
        let zh = lang.is_zh();
        let goods = |i: usize, en: &str, zh_text: &str| {
            if zh {
                format!("第 {} 行货物：{zh_text}", i + 1)
            } else {
                format!("goods line {}: {en}", i + 1)
            }
        };
        let stop = |i: usize, en: &str, zh_text: &str| {
            if zh {
                format!("第 {} 站：{zh_text}", i + 1)
            } else {
                format!("stop {}: {en}", i + 1)
            }
        };
        let fixed = |en: &str, zh_text: &str| lang.pick(en, zh_text).to_string();
        match self {
            Field::Id => fixed("shipment ID", "运单 ID"),
            Field::Waybill => fixed("waybill number", "运单号"),
            Field::Reference => fixed("contract / order reference", "合同/订单号"),
            Field::Origin => fixed("origin", "发货地"),
            Field::Destination => fixed("destination", "目的地"),
            Field::PlannedPickup => fixed("planned pickup", "计划提货时间"),
            Field::PlannedDelivery => fixed("planned delivery", "计划送达时间"),
            Field::Goods => fixed("goods", "货物明细"),
            Field::GoodsDescription(i) => goods(i, "description", "品名"),
            Field::GoodsQuantity(i) => goods(i, "quantity", "数量"),
            Field::GoodsUnit(i) => goods(i, "unit", "单位"),
            Field::GoodsWeight(i) => goods(i, "weight (kg)", "重量（千克）"),
            Field::ShipperId => fixed("shipper", "发货方"),
            Field::ShipperName => fixed("shipper name", "发货方名称"),
            Field::ConsigneeId => fixed("consignee", "收货方"),
            Field::ConsigneeName => fixed("consignee name", "收货方名称"),
            Field::CarrierId => fixed("carrier", "承运商"),
            Field::CarrierName => fixed("carrier name", "承运商名称"),
            Field::Stops => fixed("stops", "站点"),
            Field::StopKind(i) => stop(i, "kind", "类型"),
            Field::StopPlace(i) => stop(i, "place", "地点"),
            Field::StopWindowStart(i) => stop(i, "window start", "时间窗口开始"),
            Field::StopWindowEnd(i) => stop(i, "window end", "时间窗口结束"),
            Field::StopPlanned(i) => stop(i, "planned arrival", "计划到达时间"),
            Field::Vehicle => fixed("vehicle plate", "车牌号"),
            Field::DriverId => fixed("driver", "司机"),
            Field::DriverName => fixed("driver name", "司机姓名"),
            Field::EventId => fixed("event ID", "事件 ID"),
            Field::Status => fixed("status", "状态"),
            Field::RawCode => fixed("partner status code", "合作方状态代码"),
            Field::Reason => fixed("reason", "原因"),
            Field::Time => fixed("time", "时间"),
            Field::Place => fixed("place", "地点"),
            Field::Latitude => fixed("latitude", "纬度"),
            Field::Longitude => fixed("longitude", "经度"),
            Field::Stop => fixed("stop", "站点"),
            Field::Note => fixed("note", "备注"),
            Field::Attachments => fixed("attachments", "附件"),
            Field::Attachment(i) if zh => format!("第 {} 个附件", i + 1),
            Field::Attachment(i) => format!("attachment {}", i + 1),
            Field::Eta => fixed("ETA", "预计到达时间"),
            Field::FileId => fixed("file", "文件"),
            Field::FileName => fixed("file name", "文件名"),
            Field::ContentType => fixed("file type", "文件类型"),
            Field::Size => fixed("file size", "文件大小"),
        }
    }
}

/// What is wrong with a value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Problem {
    Required,
    /// More than `max` characters.
    TooLong {
        max: usize,
    },
    /// More than `max` items.
    TooMany {
        max: usize,
    },
    /// Fewer than `min` items.
    TooFew {
        min: usize,
    },
    /// Line breaks, control or bidirectional-override characters where they do not belong.
    ControlChars,
    /// Zero, negative, or not a finite number.
    NotPositive,
    TooLarge {
        max: u64,
    },
    OutOfRange {
        min: i64,
        max: i64,
    },
    /// A time outside 2000–2099.
    ImplausibleTime,
    /// Earlier than another field.
    Before(Field),
    /// A time window that ends before it starts.
    EndBeforeStart,
    /// Characters outside `[A-Za-z0-9_.:-]`, or out of 1–64 (event IDs).
    BadId,
    /// The same value twice.
    Duplicate,
    /// Latitude without longitude or the other way round.
    PairIncomplete(Field),
    /// The first stop must be a pickup and the last a delivery.
    StopOrder,
    Waybill(WaybillError),
}

impl Problem {
    pub fn message(&self, lang: Lang) -> String {
        let zh = lang.is_zh();
        let t = |en: &str, zh_text: &str| lang.pick(en, zh_text).to_string();
        match self {
            Problem::Required => t("is required", "不能为空"),
            Problem::TooLong { max } if zh => format!("最多 {max} 个字符"),
            Problem::TooLong { max } => format!("is longer than {max} characters"),
            Problem::TooMany { max } if zh => format!("最多 {max} 项"),
            Problem::TooMany { max } => format!("has more than {max} entries"),
            Problem::TooFew { min } if zh => format!("至少需要 {min} 项"),
            Problem::TooFew { min } => format!("needs at least {min} entries"),
            Problem::ControlChars => t(
                "contains line breaks or control characters",
                "包含换行或控制字符",
            ),
            Problem::NotPositive => t("must be a number above zero", "必须是大于零的数字"),
            Problem::TooLarge { max } if zh => format!("不能超过 {max}"),
            Problem::TooLarge { max } => format!("must be at most {max}"),
            Problem::OutOfRange { min, max } if zh => format!("必须在 {min} 到 {max} 之间"),
            Problem::OutOfRange { min, max } => format!("must be between {min} and {max}"),
            Problem::ImplausibleTime => t(
                "is not a time between 2000 and 2099",
                "不是 2000 至 2099 年之间的时间",
            ),
            Problem::Before(other) if zh => format!("不能早于{}", other.label(lang)),
            Problem::Before(other) => format!("cannot be before the {}", other.label(lang)),
            Problem::EndBeforeStart => t("ends before it starts", "早于开始时间"),
            Problem::BadId => t(
                "must be 1 to 64 characters of A–Z, a–z, 0–9, _ . : -",
                "须为 1 至 64 个字符，只能包含 A–Z、a–z、0–9、_ . : -",
            ),
            Problem::Duplicate => t("appears twice", "重复"),
            Problem::PairIncomplete(other) if zh => format!("须与{}一起提供", other.label(lang)),
            Problem::PairIncomplete(other) => {
                format!("must come together with the {}", other.label(lang))
            }
            Problem::StopOrder => t(
                "the first stop must be a pickup and the last a delivery",
                "第一站必须是提货站，最后一站必须是送货站",
            ),
            Problem::Waybill(e) => e.message(lang),
        }
    }
}

/// A field with a wrong value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Invalid {
    pub field: Field,
    pub problem: Problem,
}

impl Invalid {
    pub fn new(field: Field, problem: Problem) -> Invalid {
        Invalid { field, problem }
    }

    /// "goods line 2: quantity must be a number above zero" / "第 2 行货物：数量必须是大于零的数字".
    pub fn message(&self, lang: Lang) -> String {
        let (field, problem) = (self.field.label(lang), self.problem.message(lang));
        if lang.is_zh() {
            format!("{field}{problem}")
        } else {
            let mut out = format!("{field} {problem}");
            if let Some(first) = out.get_mut(..1) {
                first.make_ascii_uppercase();
            }
            out
        }
    }
}

/// Characters that never belong in stored text: controls (except those `multiline`
/// allows), and bidirectional overrides that make text read differently from what it is.
fn bad_char(c: char, multiline: bool) -> bool {
    if multiline && matches!(c, '\n' | '\r' | '\t') {
        return false;
    }
    c.is_control() || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

fn checked(field: Field, text: &str, max: usize, multiline: bool) -> Result<String, Invalid> {
    let text = text.trim();
    if text.chars().any(|c| bad_char(c, multiline)) {
        return Err(Invalid::new(field, Problem::ControlChars));
    }
    if text.chars().count() > max {
        return Err(Invalid::new(field, Problem::TooLong { max }));
    }
    Ok(text.to_string())
}

/// Required one-line text: trimmed, not empty, at most `max` characters.
pub fn line(field: Field, text: &str, max: usize) -> Result<String, Invalid> {
    let text = checked(field, text, max, false)?;
    if text.is_empty() {
        return Err(Invalid::new(field, Problem::Required));
    }
    Ok(text)
}

/// Optional one-line text: absent or blank is `None`.
pub fn opt_line(field: Field, text: Option<&str>, max: usize) -> Result<Option<String>, Invalid> {
    let Some(text) = text else { return Ok(None) };
    let text = checked(field, text, max, false)?;
    Ok((!text.is_empty()).then_some(text))
}

/// Optional free text that may span lines: absent or blank is `None`.
pub fn opt_text(field: Field, text: Option<&str>, max: usize) -> Result<Option<String>, Invalid> {
    let Some(text) = text else { return Ok(None) };
    let text = checked(field, text, max, true)?;
    Ok((!text.is_empty()).then_some(text))
}

/// A number above zero and at most `max`.
pub fn positive(field: Field, value: f64, max: u64) -> Result<f64, Invalid> {
    if !value.is_finite() || value <= 0.0 {
        return Err(Invalid::new(field, Problem::NotPositive));
    }
    if value > max as f64 {
        return Err(Invalid::new(field, Problem::TooLarge { max }));
    }
    Ok(value)
}

/// A time in 2000–2099.
pub fn time(field: Field, ms: i64) -> Result<i64, Invalid> {
    if time::plausible(ms) {
        Ok(ms)
    } else {
        Err(Invalid::new(field, Problem::ImplausibleTime))
    }
}

/// A latitude and longitude, both or neither, in range.
pub fn coordinates(lat: Option<f64>, lon: Option<f64>) -> Result<Option<(f64, f64)>, Invalid> {
    let range = |field, v: f64, max: i64| {
        if v.is_finite() && v.abs() <= max as f64 {
            Ok(v)
        } else {
            Err(Invalid::new(field, Problem::OutOfRange { min: -max, max }))
        }
    };
    match (lat, lon) {
        (None, None) => Ok(None),
        (Some(_), None) => Err(Invalid::new(
            Field::Longitude,
            Problem::PairIncomplete(Field::Latitude),
        )),
        (None, Some(_)) => Err(Invalid::new(
            Field::Latitude,
            Problem::PairIncomplete(Field::Longitude),
        )),
        (Some(lat), Some(lon)) => Ok(Some((
            range(Field::Latitude, lat, 90)?,
            range(Field::Longitude, lon, 180)?,
        ))),
    }
}

/// An ID made of `[A-Za-z0-9_.:-]`, 1 to 64 characters (event IDs, file IDs).
pub fn id_like(text: &str) -> bool {
    (1..=64).contains(&text.len())
        && text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b':' | b'-'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_checks() {
        assert_eq!(line(Field::Origin, "  上海  ", 10), Ok("上海".into()));
        assert_eq!(
            line(Field::Origin, "   ", 10),
            Err(Invalid::new(Field::Origin, Problem::Required))
        );
        assert_eq!(
            line(Field::Origin, "a\nb", 10),
            Err(Invalid::new(Field::Origin, Problem::ControlChars))
        );
        assert_eq!(
            line(Field::Origin, "ab\u{202e}cd", 10),
            Err(Invalid::new(Field::Origin, Problem::ControlChars))
        );
        assert_eq!(
            line(Field::Origin, &"字".repeat(10), 10).map(|s| s.len()),
            Ok(30)
        );
        assert_eq!(
            line(Field::Origin, &"字".repeat(11), 10),
            Err(Invalid::new(Field::Origin, Problem::TooLong { max: 10 }))
        );
        assert_eq!(opt_line(Field::Reference, None, 5), Ok(None));
        assert_eq!(opt_line(Field::Reference, Some("  "), 5), Ok(None));
        assert_eq!(
            opt_text(Field::Note, Some("a\r\n\tb"), 5),
            Ok(Some("a\r\n\tb".into()))
        );
        assert_eq!(
            opt_text(Field::Note, Some("a\u{0}b"), 5),
            Err(Invalid::new(Field::Note, Problem::ControlChars))
        );
    }

    #[test]
    fn number_and_time_checks() {
        assert_eq!(positive(Field::Size, 1.5, 2), Ok(1.5));
        assert_eq!(positive(Field::Size, 2.0, 2), Ok(2.0));
        for bad in [0.0, -1.0, f64::NAN, f64::INFINITY] {
            assert_eq!(
                positive(Field::Size, bad, 2),
                Err(Invalid::new(Field::Size, Problem::NotPositive))
            );
        }
        assert_eq!(
            positive(Field::Size, 2.01, 2),
            Err(Invalid::new(Field::Size, Problem::TooLarge { max: 2 }))
        );
        assert!(time(Field::Time, 0).is_err());
        assert_eq!(coordinates(None, None), Ok(None));
        assert_eq!(
            coordinates(Some(-90.0), Some(180.0)),
            Ok(Some((-90.0, 180.0)))
        );
        assert_eq!(
            coordinates(Some(90.5), Some(0.0)),
            Err(Invalid::new(
                Field::Latitude,
                Problem::OutOfRange { min: -90, max: 90 }
            ))
        );
        assert_eq!(
            coordinates(Some(0.0), Some(f64::NAN)),
            Err(Invalid::new(
                Field::Longitude,
                Problem::OutOfRange {
                    min: -180,
                    max: 180
                }
            ))
        );
        assert_eq!(
            coordinates(Some(1.0), None),
            Err(Invalid::new(
                Field::Longitude,
                Problem::PairIncomplete(Field::Latitude)
            ))
        );
        assert_eq!(
            coordinates(None, Some(1.0)),
            Err(Invalid::new(
                Field::Latitude,
                Problem::PairIncomplete(Field::Longitude)
            ))
        );
    }

    #[test]
    fn ids() {
        assert!(id_like("evt-2026.11:30_1"));
        assert!(id_like(&"a".repeat(64)));
        assert!(!id_like(&"a".repeat(65)));
        assert!(!id_like(""));
        assert!(!id_like("a b"));
        assert!(!id_like("a/b"));
        assert!(!id_like("事件"));
    }

    #[test]
    fn messages_name_the_field() {
        let e = Invalid::new(Field::GoodsQuantity(1), Problem::NotPositive);
        assert_eq!(
            e.message(Lang::En),
            "Goods line 2: quantity must be a number above zero"
        );
        assert_eq!(e.message(Lang::Zh), "第 2 行货物：数量必须是大于零的数字");
        assert_eq!(Field::GoodsQuantity(1).path(), "goods[1].quantity");
        let e = Invalid::new(
            Field::PlannedDelivery,
            Problem::Before(Field::PlannedPickup),
        );
        assert_eq!(
            e.message(Lang::En),
            "Planned delivery cannot be before the planned pickup"
        );
        assert_eq!(e.message(Lang::Zh), "计划送达时间不能早于计划提货时间");
    }
}

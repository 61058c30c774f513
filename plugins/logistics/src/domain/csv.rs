//! CSV exports: one row per shipment, or one row per status event (for analysis).
//!
//! UTF-8 with a byte-order mark so Excel reads Chinese correctly; RFC 4180 (comma
//! separated, CRLF line ends, cells quoted when they hold a comma, quote or line break,
//! quotes doubled). Text that people or partners typed and that starts with `=`, `+`, `-`,
//! `@`, a tab or a carriage return gets a leading apostrophe, so a spreadsheet shows it
//! instead of running it as a formula; numbers this module formats itself are left as
//! they are. Times are local `YYYY-MM-DD HH:MM` at the organization's UTC offset. Status
//! and reason appear both as a label in the export's language and as their stable code.

use super::analysis::delay_minutes;
use super::lang::Lang;
use super::shipment::Shipment;
use super::time::format_local;

/// What Excel needs to read UTF-8.
pub const BOM: &str = "\u{feff}";

/// A cell as is, quoted when needed.
fn quote(text: &str) -> String {
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_string()
    }
}

/// A cell of text from people: defused against formula injection, then quoted.
pub fn text_cell(text: &str) -> String {
    if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        quote(&format!("'{text}"))
    } else {
        quote(text)
    }
}

fn opt_text(text: Option<&str>) -> String {
    text.map(text_cell).unwrap_or_default()
}

/// A number: as Rust prints it (`3`, `12.5`, `-73.9`), never defused.
fn number(n: f64) -> String {
    if n.is_finite() {
        n.to_string()
    } else {
        String::new()
    }
}

fn time(ms: Option<i64>, offset_minutes: i32) -> String {
    ms.map(|ms| format_local(ms, offset_minutes))
        .unwrap_or_default()
}

fn row(out: &mut String, cells: &[String]) {
    out.push_str(&cells.join(","));
    out.push_str("\r\n");
}

fn header(out: &mut String, lang: Lang, columns: &[(&str, &str)]) {
    let cells: Vec<String> = columns
        .iter()
        .map(|(en, zh)| quote(lang.pick(en, zh)))
        .collect();
    row(out, &cells);
}

const SHIPMENT_COLUMNS: &[(&str, &str)] = &[
    ("Waybill", "运单号"),
    ("Reference", "合同/订单号"),
    ("Status", "状态"),
    ("Status code", "状态代码"),
    ("Reason", "原因"),
    ("Shipper", "发货方"),
    ("Carrier", "承运商"),
    ("Consignee", "收货方"),
    ("Origin", "发货地"),
    ("Destination", "目的地"),
    ("Stops", "站点数"),
    ("Planned pickup", "计划提货时间"),
    ("Planned delivery", "计划送达时间"),
    ("Actual pickup", "实际提货时间"),
    ("Actual delivery", "实际送达时间"),
    ("ETA", "预计到达时间"),
    ("Delay (min)", "延误（分钟）"),
    ("ETA revisions", "预计到达时间修改次数"),
    ("Vehicle", "车牌号"),
    ("Driver", "司机"),
    ("Dispatcher", "调度"),
    ("Goods lines", "货物行数"),
    ("Total quantity", "总数量"),
    ("Total weight (kg)", "总重量（千克）"),
    ("Goods", "货物"),
    ("Documents", "单据数"),
    ("Created", "创建时间"),
    ("Created by", "创建人"),
];

/// One row per shipment, by planned pickup then waybill.
pub fn shipments_csv(shipments: &[Shipment], lang: Lang, offset_minutes: i32) -> String {
    let mut list: Vec<&Shipment> = shipments.iter().collect();
    list.sort_by(|a, b| (a.planned_pickup_ms, &a.waybill).cmp(&(b.planned_pickup_ms, &b.waybill)));
    let mut out = String::from(BOM);
    header(&mut out, lang, SHIPMENT_COLUMNS);
    for s in list {
        let goods: Vec<String> = s
            .goods
            .iter()
            .map(|g| format!("{} × {} {}", g.description, number(g.quantity), g.unit))
            .collect();
        let reason = s
            .status
            .is_exception()
            .then(|| s.current_reason())
            .flatten();
        row(
            &mut out,
            &[
                text_cell(&s.waybill),
                opt_text(s.reference.as_deref()),
                text_cell(s.status.label(lang)),
                text_cell(s.status.code()),
                opt_text(reason.map(|r| r.label(lang))),
                text_cell(&s.shipper.name),
                opt_text(s.carrier.as_ref().map(|c| c.name.as_str())),
                text_cell(&s.consignee.name),
                text_cell(&s.origin),
                text_cell(&s.destination),
                s.stops.len().to_string(),
                time(Some(s.planned_pickup_ms), offset_minutes),
                time(Some(s.planned_delivery_ms), offset_minutes),
                time(s.actual_pickup_ms, offset_minutes),
                time(s.actual_delivery_ms, offset_minutes),
                time(s.eta_ms, offset_minutes),
                delay_minutes(s).map(|d| d.to_string()).unwrap_or_default(),
                s.eta_history.len().to_string(),
                opt_text(s.vehicle.as_deref()),
                opt_text(s.driver.as_ref().map(|d| d.name.as_str())),
                opt_text(s.dispatcher.as_ref().map(|d| d.name.as_str())),
                s.goods.len().to_string(),
                number(s.goods.iter().map(|g| g.quantity).sum()),
                number(s.total_weight_kg()),
                text_cell(&goods.join("; ")),
                s.documents.len().to_string(),
                time(Some(s.created_ms), offset_minutes),
                text_cell(&s.created_by.name),
            ],
        );
    }
    out
}

const EVENT_COLUMNS: &[(&str, &str)] = &[
    ("Waybill", "运单号"),
    ("Event", "事件序号"),
    ("Status", "状态"),
    ("Status code", "状态代码"),
    ("Partner code", "合作方状态代码"),
    ("Reason", "原因"),
    ("Reason code", "原因代码"),
    ("Time kind", "时间类型"),
    ("Time", "时间"),
    ("Place", "地点"),
    ("Latitude", "纬度"),
    ("Longitude", "经度"),
    ("Stop", "站点"),
    ("Source", "来源"),
    ("Note", "备注"),
    ("Attachments", "附件数"),
    ("By", "登记人"),
    ("Recorded", "登记时间"),
    ("Applied", "是否生效"),
    ("Carrier", "承运商"),
    ("Lane", "线路"),
];

/// One row per status event, by waybill then event order.
pub fn events_csv(shipments: &[Shipment], lang: Lang, offset_minutes: i32) -> String {
    let mut list: Vec<&Shipment> = shipments.iter().collect();
    list.sort_by(|a, b| (&a.waybill, &a.id).cmp(&(&b.waybill, &b.id)));
    let mut out = String::from(BOM);
    header(&mut out, lang, EVENT_COLUMNS);
    for s in list {
        let lane = format!("{} → {}", s.origin, s.destination);
        for e in &s.events {
            row(
                &mut out,
                &[
                    text_cell(&s.waybill),
                    e.id.to_string(),
                    text_cell(e.status.label(lang)),
                    text_cell(e.status.code()),
                    opt_text(e.raw_code.as_deref()),
                    opt_text(e.reason.map(|r| r.label(lang))),
                    opt_text(e.reason.map(|r| r.code())),
                    text_cell(e.time_kind.label(lang)),
                    time(Some(e.at_ms), offset_minutes),
                    opt_text(e.place.as_deref()),
                    e.lat.map(number).unwrap_or_default(),
                    e.lon.map(number).unwrap_or_default(),
                    e.stop.map(|i| (i + 1).to_string()).unwrap_or_default(),
                    text_cell(e.source.label(lang)),
                    opt_text(e.note.as_deref()),
                    e.attachments.len().to_string(),
                    text_cell(&e.by.name),
                    time(Some(e.recorded_ms), offset_minutes),
                    text_cell(if e.applied {
                        lang.pick("yes", "是")
                    } else {
                        lang.pick("no", "否")
                    }),
                    opt_text(s.carrier.as_ref().map(|c| c.name.as_str())),
                    text_cell(&lane),
                ],
            );
        }
    }
    out
}

#[cfg(test)]
mod tests;

use super::*;
use crate::domain::shipment::{NewEvent, PersonRef};
use crate::domain::status::{Reason, Status};
use crate::domain::testkit::*;

/// Reads RFC 4180 text back into rows of cells (after the BOM).
fn read(csv: &str) -> Vec<Vec<String>> {
    let text = csv.strip_prefix(BOM).expect("a byte-order mark");
    let mut rows = Vec::new();
    let mut row = Vec::new();
    let mut cell = String::new();
    let mut chars = text.chars().peekable();
    let mut quoted = false;
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                chars.next();
                cell.push('"');
            }
            (true, '"') => quoted = false,
            (true, c) => cell.push(c),
            (false, '"') if cell.is_empty() => quoted = true,
            (false, ',') => row.push(std::mem::take(&mut cell)),
            (false, '\r') => {
                assert_eq!(chars.next(), Some('\n'), "lines end with CRLF");
                row.push(std::mem::take(&mut cell));
                rows.push(std::mem::take(&mut row));
            }
            (false, c) => cell.push(c),
        }
    }
    assert!(
        row.is_empty() && cell.is_empty(),
        "the last line ends with CRLF"
    );
    rows
}

fn column<'a>(rows: &'a [Vec<String>], name: &str) -> Vec<&'a str> {
    let i = rows[0]
        .iter()
        .position(|h| h == name)
        .unwrap_or_else(|| panic!("no column {name}"));
    rows[1..].iter().map(|r| r[i].as_str()).collect()
}

#[test]
fn cells_are_quoted_and_defused() {
    assert_eq!(text_cell("plain"), "plain");
    assert_eq!(text_cell("a,b"), "\"a,b\"");
    assert_eq!(text_cell("say \"hi\""), "\"say \"\"hi\"\"\"");
    assert_eq!(text_cell("two\nlines"), "\"two\nlines\"");
    assert_eq!(text_cell("=HYPERLINK(\"x\")"), "\"'=HYPERLINK(\"\"x\"\")\"");
    assert_eq!(text_cell("+86 21 5555"), "'+86 21 5555");
    assert_eq!(text_cell("-1"), "'-1");
    assert_eq!(text_cell("@SUM(A1)"), "'@SUM(A1)");
    assert_eq!(text_cell("\tcmd"), "'\tcmd");
    assert_eq!(text_cell("\rcmd"), "\"'\rcmd\"");
    assert_eq!(text_cell("北京经销商"), "北京经销商");
    assert_eq!(text_cell("a=b"), "a=b");
    assert_eq!(text_cell(""), "");
    assert_eq!(number(-73.5), "-73.5");
    assert_eq!(number(3.0), "3");
    assert_eq!(number(f64::NAN), "");
}

fn sample() -> Vec<Shipment> {
    let mut s = on_the_road();
    s.reference = Some("=cmd|' /C calc'!A0".into());
    s.consignee.name = "North, \"Best\" Dealer 北方经销".into();
    let mut ev = NewEvent {
        reason: Some(Reason::Weather),
        note: Some("Snow,\nroad closed".into()),
        lat: Some(34.25),
        lon: Some(-117.5),
        stop: Some(1),
        raw_code: Some("SD".into()),
        ..NewEvent::actual(Status::Delayed, T0 + 3 * HOUR)
    };
    ev.place = Some("-G2 km 512".into());
    ok(s.record(&dave(), ev, T0 + 3 * HOUR));
    ok(s.record(&lina(), at(Status::PickedUp, T0 + 30 * MIN), T0 + 3 * HOUR));
    let mut done = assigned();
    done.id = "s0".into();
    done.waybill = "WB20261129-0007".into();
    done.planned_pickup_ms -= HOUR;
    ok(done.record(&dave(), at(Status::PickedUp, T0 + HOUR), T0 + HOUR));
    ok(done.record(
        &dave(),
        at(Status::Delivered, T0 + 31 * HOUR),
        T0 + 31 * HOUR,
    ));
    done.created_by = PersonRef::new("u", "@admin");
    vec![s, done]
}

#[test]
fn shipments_export_in_english() {
    let csv = shipments_csv(&sample(), Lang::En, 480);
    assert!(csv.starts_with("\u{feff}Waybill,Reference,Status,Status code,"));
    let rows = read(&csv);
    assert_eq!(rows.len(), 3);
    assert!(rows.iter().all(|r| r.len() == SHIPMENT_COLUMNS.len()));
    // By planned pickup: the one planned an hour earlier first.
    assert_eq!(
        column(&rows, "Waybill"),
        ["WB20261129-0007", "WB20261130-0001"]
    );
    assert_eq!(column(&rows, "Status"), ["Delivered", "Delayed"]);
    assert_eq!(column(&rows, "Status code"), ["delivered", "delayed"]);
    assert_eq!(column(&rows, "Reason"), ["", "Weather"]);
    assert_eq!(column(&rows, "Reference")[1], "'=cmd|' /C calc'!A0");
    assert_eq!(
        column(&rows, "Consignee")[1],
        "North, \"Best\" Dealer 北方经销"
    );
    // Local time at UTC+8: T0 is 16:00.
    assert_eq!(column(&rows, "Planned pickup")[1], "2026-11-30 17:00");
    assert_eq!(column(&rows, "Actual pickup")[1], "2026-11-30 17:00");
    assert_eq!(column(&rows, "Actual delivery"), ["2026-12-01 23:00", ""]);
    assert_eq!(column(&rows, "Delay (min)"), ["60", ""]);
    assert_eq!(column(&rows, "Vehicle")[1], "沪A·12345");
    assert_eq!(column(&rows, "Driver")[1], "Dave");
    assert_eq!(column(&rows, "Dispatcher")[1], "Lina");
    assert_eq!(column(&rows, "Total quantity")[1], "42.5");
    assert_eq!(column(&rows, "Total weight (kg)")[1], "1110.5");
    assert_eq!(
        column(&rows, "Goods")[1],
        "Pump housing 泵壳 × 40 pcs; Spare parts × 2.5 pallet"
    );
    assert_eq!(column(&rows, "Created by"), ["'@admin", "Alice"]);
    assert_eq!(column(&rows, "Stops")[1], "2");
}

#[test]
fn shipments_export_in_chinese() {
    let csv = shipments_csv(&sample(), Lang::Zh, 480);
    let rows = read(&csv);
    assert_eq!(rows[0][0], "运单号");
    assert_eq!(rows[0].len(), SHIPMENT_COLUMNS.len());
    assert_eq!(column(&rows, "状态"), ["已签收", "延误"]);
    assert_eq!(column(&rows, "状态代码"), ["delivered", "delayed"]);
    assert_eq!(column(&rows, "原因"), ["", "天气原因"]);
    assert_eq!(column(&rows, "发货地")[0], "Suzhou plant 苏州工厂");
    // Every header is translated.
    for (en, zh) in SHIPMENT_COLUMNS.iter().chain(EVENT_COLUMNS) {
        assert_ne!(en, zh);
    }
}

#[test]
fn events_export_one_row_per_event() {
    let shipments = sample();
    let csv = events_csv(&shipments, Lang::En, -300);
    let rows = read(&csv);
    let total: usize = shipments.iter().map(|s| s.events.len()).sum();
    assert_eq!(rows.len(), total + 1);
    assert!(rows.iter().all(|r| r.len() == EVENT_COLUMNS.len()));
    let waybills = column(&rows, "Waybill");
    assert!(
        waybills.windows(2).all(|w| w[0] <= w[1]),
        "grouped by waybill"
    );
    let delayed = rows.iter().find(|r| r[3] == "delayed").expect("the delay");
    let get = |name: &str| {
        let i = rows[0].iter().position(|h| h == name).unwrap();
        delayed[i].as_str()
    };
    assert_eq!(get("Reason"), "Weather");
    assert_eq!(get("Reason code"), "weather");
    assert_eq!(get("Partner code"), "SD");
    assert_eq!(get("Note"), "Snow,\nroad closed");
    assert_eq!(get("Place"), "'-G2 km 512");
    assert_eq!(get("Latitude"), "34.25");
    assert_eq!(get("Longitude"), "-117.5", "numbers are not defused");
    assert_eq!(get("Stop"), "2");
    assert_eq!(get("Source"), "Manual entry");
    assert_eq!(get("Time kind"), "Actual");
    // T0 + 3h = 11:00 UTC = 06:00 at UTC−5.
    assert_eq!(get("Time"), "2026-11-30 06:00");
    assert_eq!(get("Applied"), "yes");
    assert_eq!(
        get("Lane"),
        "Suzhou plant 苏州工厂 → Beijing dealer 北京经销商"
    );
    // The late pickup is there, marked as not applied.
    let late = rows.iter().filter(|r| r[3] == "picked_up").count();
    assert_eq!(late, 3);
    assert!(column(&rows, "Applied").contains(&"no"));
    let zh = read(&events_csv(&shipments, Lang::Zh, 480));
    assert_eq!(zh[0][0], "运单号");
    assert!(column(&zh, "是否生效").contains(&"否"));
    assert!(column(&zh, "来源").contains(&"手工录入"));
}

#[test]
fn empty_exports_have_just_the_header() {
    let csv = shipments_csv(&[], Lang::En, 0);
    assert_eq!(read(&csv).len(), 1);
    assert!(csv.ends_with("Created by\r\n"));
    assert_eq!(read(&events_csv(&[], Lang::Zh, 0)).len(), 1);
}

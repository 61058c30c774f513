//! Pages: `shipments` (what the reader may see, filtered) and `analysis` (staff).

use courtyard_sdk::prelude::*;
use courtyard_sdk::time::format_datetime;

use crate::cards;
use crate::domain::analysis;
use crate::store;
use crate::who::Who;

pub fn shipments(who: &Who, query: &Query) -> Result<Page> {
    let found = store::visible(&who.viewer, query.get("status"), query.get("q"))?;
    let mut page = Page::new(who.tr("Shipments", "运单")).cards(
        found
            .iter()
            .take(50)
            .map(|s| cards::shipment_card(s, who.lang)),
    );
    if found.is_empty() {
        page = page.card(Card::new(who.tr("No shipments", "没有运单")));
    }
    Ok(page)
}

fn pct(rate: Option<f64>) -> String {
    rate.map(|r| format!("{:.1}%", r * 100.0))
        .unwrap_or_else(|| "—".into())
}

fn mins(m: Option<f64>) -> String {
    m.map(|m| format!("{m:.0}")).unwrap_or_else(|| "—".into())
}

pub fn analysis(who: &Who, query: &Query) -> Result<Page> {
    if !who.viewer.staff {
        return Err(who.error("Only staff see the analysis", "只有本公司员工可以查看分析"));
    }
    let grace = query
        .get("grace_minutes")
        .and_then(|g| g.parse().ok())
        .unwrap_or(0);
    let shipments = store::visible(&who.viewer, None, None)?;
    let report = analysis::analyse(&shipments, grace);
    let columns = vec![
        who.tr("", ""),
        who.tr("Shipments", "运单数"),
        who.tr("Delivered", "已送达"),
        who.tr("On time", "准时率"),
        who.tr("Avg delay (min)", "平均延误（分钟）"),
        who.tr("P90 delay (min)", "P90 延误（分钟）"),
    ];
    let row = |p: &analysis::Performance| {
        vec![
            p.label.clone(),
            p.shipments.to_string(),
            p.delivered.to_string(),
            pct(p.on_time_rate),
            mins(p.avg_delay_minutes),
            p.p90_delay_minutes
                .map(|m| m.to_string())
                .unwrap_or_else(|| "—".into()),
        ]
    };
    let overall = Card::new(who.tr("On-time delivery", "准时送达"))
        .field(
            who.tr("Shipments", "运单数"),
            report.overall.shipments.to_string(),
        )
        .field(
            who.tr("On-time rate", "准时率"),
            pct(report.overall.on_time_rate),
        )
        .field(
            who.tr("Average delay (min)", "平均延误（分钟）"),
            mins(report.overall.avg_delay_minutes),
        );
    let carriers = Card::new(who.tr("By carrier", "按承运商"))
        .table(columns.clone(), report.by_carrier.iter().map(row).collect());
    let lanes = Card::new(who.tr("By lane", "按线路"))
        .table(columns, report.by_lane.iter().map(row).collect());
    let exceptions = Card::new(who.tr("Open exceptions", "未关闭的异常")).table(
        vec![
            who.tr("Waybill", "运单号"),
            who.tr("Status", "状态"),
            who.tr("Reason", "原因"),
            who.tr("Since", "开始时间"),
            who.tr("Carrier", "承运商"),
        ],
        report
            .open_exceptions
            .iter()
            .map(|e| {
                vec![
                    e.waybill.clone(),
                    e.status.label(who.lang).to_owned(),
                    e.reason
                        .map(|r| r.label(who.lang).to_owned())
                        .unwrap_or_default(),
                    format_datetime(e.since_ms),
                    e.carrier
                        .as_ref()
                        .map(|c| c.name.clone())
                        .unwrap_or_default(),
                ]
            })
            .collect(),
    );
    Ok(Page::new(who.tr("On-time analysis", "准时率分析"))
        .card(overall)
        .card(carriers)
        .card(lanes)
        .card(exceptions))
}

//! The forms people fill in from the card or `/shipment`: create, decline, assign, status,
//! ETA and document. Each form's value is the shipment id (empty for create).

use courtyard_sdk::prelude::*;
use courtyard_sdk::time::format_datetime;
use serde::Deserialize;

use crate::domain::shipment::DocumentKind;
use crate::domain::{Lang, Reason, Shipment, Status};

pub const CREATE: &str = "create";
pub const PUBLISH_FORM: &str = "publish_form";
pub const DECLINE_FORM: &str = "decline_form";
pub const ASSIGN_FORM: &str = "assign_form";
pub const STATUS_FORM: &str = "status_form";
pub const ETA_FORM: &str = "eta_form";
pub const DOCUMENT_FORM: &str = "document_form";

/// A time as a `datetime` field's value (`YYYY-MM-DDTHH:MM`, organization time).
fn field_time(ms: i64) -> String {
    format_datetime(ms).replacen(' ', "T", 1)
}

fn t(lang: Lang, en: &str, zh: &str) -> String {
    lang.pick(en, zh).to_owned()
}

/// A party the shipper can choose: an organization with people in the group.
pub struct OrgChoice {
    pub org_id: String,
    pub name: String,
}

pub fn create_form(lang: Lang, carriers: &[OrgChoice], consignees: &[OrgChoice]) -> Form {
    let mut carrier = Field::select("carrier", t(lang, "Carrier", "承运商")).help(t(
        lang,
        "Publish the shipment to this carrier now (optional)",
        "现在发布给该承运商（可选）",
    ));
    for c in carriers {
        carrier = carrier.option(c.org_id.clone(), c.name.clone());
    }
    let mut consignee = Field::select(
        "consignee",
        t(lang, "Consignee (dealer)", "收货方（经销商）"),
    )
    .required();
    for c in consignees {
        consignee = consignee.option(c.org_id.clone(), c.name.clone());
    }
    Form::new(CREATE, t(lang, "New shipment", "新建运单"))
        .field(Field::text("reference", t(lang, "Contract / PO no.", "合同/订单号")).max(64))
        .field(
            Field::text("origin", t(lang, "Origin", "起运地"))
                .required()
                .max(200),
        )
        .field(
            Field::text("destination", t(lang, "Destination", "目的地"))
                .required()
                .max(200),
        )
        .field(
            Field::datetime("planned_pickup", t(lang, "Planned pickup", "计划提货时间")).required(),
        )
        .field(
            Field::datetime(
                "planned_delivery",
                t(lang, "Planned delivery", "计划送达时间"),
            )
            .required(),
        )
        .field(consignee)
        .field(carrier)
        .field(
            Field::table("goods", t(lang, "Goods", "货物明细"))
                .required()
                .max(200)
                .column(Column::text("description", t(lang, "Description", "品名")).required())
                .column(
                    Column::number("quantity", t(lang, "Quantity", "数量"))
                        .required()
                        .min(0.001),
                )
                .column(Column::text("unit", t(lang, "Unit", "单位")))
                .column(Column::number("weight_kg", t(lang, "Weight (kg)", "重量（kg）")).min(0)),
        )
        .field(
            Field::table("stops", t(lang, "Stops (optional)", "经停站点（可选）"))
                .max(20)
                .help(t(
                    lang,
                    "In order; leave empty for one pickup at the origin and one delivery at the destination",
                    "按顺序填写；留空则为起运地提货、目的地送货",
                ))
                .column(
                    Column::select("kind", t(lang, "Kind", "类型"))
                        .required()
                        .option("pickup", t(lang, "Pickup", "提货"))
                        .option("via", t(lang, "Via", "途经"))
                        .option("delivery", t(lang, "Delivery", "送货")),
                )
                .column(Column::text("place", t(lang, "Place", "地点")).required())
                .column(Column::datetime("window_from", t(lang, "Window from", "时间窗开始")))
                .column(Column::datetime("window_to", t(lang, "Window to", "时间窗结束"))),
        )
        .submit_label(t(lang, "Create", "创建运单"))
}

#[derive(Debug, Deserialize)]
pub struct CreateValues {
    #[serde(default)]
    pub reference: Option<String>,
    pub origin: String,
    pub destination: String,
    pub planned_pickup: String,
    pub planned_delivery: String,
    pub consignee: String,
    #[serde(default)]
    pub carrier: Option<String>,
    pub goods: Vec<GoodsValues>,
    #[serde(default)]
    pub stops: Option<Vec<StopValues>>,
}

#[derive(Debug, Deserialize)]
pub struct StopValues {
    pub kind: crate::domain::shipment::StopKind,
    pub place: String,
    #[serde(default)]
    pub window_from: Option<String>,
    #[serde(default)]
    pub window_to: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct GoodsValues {
    pub description: String,
    pub quantity: f64,
    #[serde(default)]
    pub unit: Option<String>,
    #[serde(default)]
    pub weight_kg: Option<f64>,
}

fn reasons(field: Field, lang: Lang) -> Field {
    Reason::ALL
        .into_iter()
        .fold(field, |f, r| f.option(r.code(), r.label(lang)))
}

pub fn publish_form(lang: Lang, s: &Shipment, carriers: &[OrgChoice]) -> Form {
    let carrier = carriers.iter().fold(
        Field::select("carrier", t(lang, "Carrier", "承运商")).required(),
        |f, c| f.option(c.org_id.clone(), c.name.clone()),
    );
    Form::new(
        PUBLISH_FORM,
        format!("{} {}", t(lang, "Publish", "发布"), s.waybill),
    )
    .field(carrier)
    .value(s.id.clone())
}

pub fn decline_form(lang: Lang, s: &Shipment) -> Form {
    Form::new(
        DECLINE_FORM,
        format!("{} {}", t(lang, "Decline", "拒单"), s.waybill),
    )
    .field(Field::textarea("note", t(lang, "Why", "原因")).max(1000))
    .value(s.id.clone())
}

pub fn assign_form(lang: Lang, s: &Shipment) -> Form {
    let mut vehicle = Field::text("vehicle", t(lang, "Vehicle (plate)", "车牌号"))
        .required()
        .max(20);
    if let Some(v) = &s.vehicle {
        vehicle = vehicle.default(v.clone());
    }
    let mut driver = Field::person("driver", t(lang, "Driver", "司机")).help(t(
        lang,
        "The driver must be in this group to see the shipment",
        "司机需在本群中才能看到该运单",
    ));
    if let Some(d) = &s.driver {
        driver = driver.default(d.id.clone());
    }
    Form::new(
        ASSIGN_FORM,
        format!("{} {}", t(lang, "Assign truck", "派车"), s.waybill),
    )
    .field(vehicle)
    .field(driver)
    .value(s.id.clone())
}

pub fn status_form(lang: Lang, s: &Shipment, now_ms: i64) -> Form {
    let mut status = Field::select("status", t(lang, "Status", "状态")).required();
    for next in s.next_statuses() {
        status = status.option(next.code(), next.label(lang));
    }
    let mut stop = Field::select("stop", t(lang, "Stop", "站点"));
    for (i, st) in s.stops.iter().enumerate() {
        stop = stop.option(
            i.to_string(),
            format!("{} · {}", st.kind.label(lang), st.place),
        );
    }
    Form::new(
        STATUS_FORM,
        format!("{} {}", t(lang, "Update status", "更新状态"), s.waybill),
    )
    .field(status)
    .field(
        reasons(Field::select("reason", t(lang, "Reason", "原因")), lang).help(t(
            lang,
            "Required for delayed, on hold, failed delivery and returned",
            "延误、暂扣、配送失败、退回时必填",
        )),
    )
    .field(
        Field::datetime("at", t(lang, "When", "发生时间"))
            .required()
            .default(field_time(now_ms)),
    )
    .field(Field::text("place", t(lang, "Place", "地点")).max(200))
    .field(stop)
    .field(Field::textarea("note", t(lang, "Note", "备注")).max(1000))
    .value(s.id.clone())
}

#[derive(Debug, Deserialize)]
pub struct StatusValues {
    pub status: String,
    #[serde(default)]
    pub reason: Option<String>,
    pub at: String,
    #[serde(default)]
    pub place: Option<String>,
    #[serde(default)]
    pub stop: Option<String>,
    #[serde(default)]
    pub note: Option<String>,
}

pub fn eta_form(lang: Lang, s: &Shipment) -> Form {
    Form::new(
        ETA_FORM,
        format!("{} {}", t(lang, "Update ETA", "更新预计到达"), s.waybill),
    )
    .field(
        Field::datetime("eta", t(lang, "New ETA", "新的预计到达时间"))
            .required()
            .default(field_time(s.effective_eta())),
    )
    .field(
        reasons(Field::select("reason", t(lang, "Reason", "原因")), lang).help(t(
            lang,
            "Required when the ETA moves later",
            "预计到达推迟时必填",
        )),
    )
    .field(Field::textarea("note", t(lang, "Note", "备注")).max(1000))
    .value(s.id.clone())
}

#[derive(Debug, Deserialize)]
pub struct EtaValues {
    pub eta: String,
    #[serde(default)]
    pub reason: Option<String>,
    #[serde(default)]
    pub note: Option<String>,
}

pub fn document_form(lang: Lang, s: &Shipment) -> Form {
    let kind = DocumentKind::ALL.into_iter().fold(
        Field::select("kind", t(lang, "Document", "单据类型")).required(),
        |f, k| f.option(kind_code(k), k.label(lang)),
    );
    Form::new(DOCUMENT_FORM, format!("{} {}", t(lang, "Add document", "上传单据"), s.waybill))
        .field(kind)
        .field(
            Field::file("file", t(lang, "File", "文件")).required().help(t(
                lang,
                "PDF, photo or office document, up to 20 MiB; only this shipment's parties can open it",
                "PDF、照片或办公文档，不超过 20 MiB；只有该运单的相关方可以查看",
            )),
        )
        .value(s.id.clone())
}

#[derive(Debug, Deserialize)]
pub struct DocumentValues {
    pub kind: String,
    pub file: String,
}

pub fn kind_code(k: DocumentKind) -> String {
    serde_json::to_value(k)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

pub fn kind_of(code: &str) -> Option<DocumentKind> {
    serde_json::from_value(serde_json::Value::String(code.to_owned())).ok()
}

pub fn status_of(code: &str, lang: Lang) -> Result<Status> {
    Status::parse(code)
        .ok_or_else(|| Error::user(format!("{}: {code}", t(lang, "Unknown status", "未知状态"))))
}

pub fn reason_of(code: Option<&str>, lang: Lang) -> Result<Option<Reason>> {
    match code.filter(|c| !c.is_empty()) {
        None => Ok(None),
        Some(c) => Reason::parse(c)
            .map(Some)
            .ok_or_else(|| Error::user(format!("{}: {c}", t(lang, "Unknown reason", "未知原因")))),
    }
}

//! The HTTP API: `/api/v1/plugins/logistics/...` for signed-in people (each sees only the
//! shipments they may), and the public `events` route partners' systems push to with
//! their token.

use courtyard_sdk::prelude::*;
use courtyard_sdk::{Request, Response};
use serde::Deserialize;
use serde_json::json;
use sha2::{Digest, Sha256};

use crate::domain::partner::{self, CodeMap};
use crate::domain::shipment::{NewEta, NewEvent, NewShipment, OrgRef};
use crate::domain::{Lang, Viewer, access, analysis, csv};
use crate::flows;
use crate::ops;
use crate::store::{self, Partner, Push};
use crate::who::Who;

fn error(status: u16, code: &str, message: impl Into<String>) -> Response {
    Response::error(status, code, message)
}

fn from_error(e: &Error) -> Response {
    match e.kind() {
        ErrorKind::NotFound => error(404, "not_found", e.to_string()),
        ErrorKind::Conflict => error(409, "conflict", e.to_string()),
        _ => error(400, "invalid", e.to_string()),
    }
}

fn respond(result: Result<Response>) -> Response {
    result.unwrap_or_else(|e| from_error(&e))
}

pub fn route(ctx: &Context, req: &Request) -> Response {
    if req.path == "events" && ctx.actor_id().is_none() {
        return push(ctx, req);
    }
    let who = match Who::of(ctx) {
        Ok(w) => w,
        Err(_) => return error(401, "unauthorized", "sign in / 请先登录"),
    };
    let parts: Vec<&str> = req.path.split('/').collect();
    respond(match (req.method.as_str(), parts.as_slice()) {
        ("GET", ["shipments"]) => list(&who, req),
        ("POST", ["shipments"]) => create(&who, req),
        ("GET", ["shipments", id]) => detail(&who, id),
        ("POST", ["shipments", id, what]) => act(&who, id, what, req),
        ("GET", ["analysis"]) => report(&who, req),
        ("GET", ["export", file]) => export(ctx, &who, file),
        ("GET", ["partners", org]) => partner_info(&who, org),
        ("POST", ["partners", org, "token"]) => issue_token(&who, org),
        ("PUT", ["partners", org, "codes"]) => set_codes(&who, org, req),
        _ => Ok(error(404, "not_found", "no such route / 没有这个接口")),
    })
}

fn visible(who: &Who) -> Result<Vec<crate::domain::Shipment>> {
    store::visible(&who.viewer, None, None)
}

fn list(who: &Who, req: &Request) -> Result<Response> {
    let items = store::visible(&who.viewer, req.query.get("status"), req.query.get("q"))?;
    Ok(Response::json(&json!({"shipments": items})))
}

fn detail(who: &Who, id: &str) -> Result<Response> {
    let record = ops::find(&who.viewer, id, who.lang)?;
    let roles = access::roles(&who.viewer, &record.value.shipment);
    Ok(Response::json(&json!({
        "shipment": record.value.shipment,
        "group_id": record.value.group_id,
        "card_id": record.value.card_id,
        "my_roles": roles,
    })))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CreateBody {
    group_id: String,
    #[serde(flatten)]
    shipment: NewShipmentBody,
    #[serde(default)]
    carrier_org_id: Option<String>,
}

#[derive(Deserialize)]
struct NewShipmentBody {
    #[serde(default)]
    reference: Option<String>,
    origin: String,
    destination: String,
    planned_pickup_ms: i64,
    planned_delivery_ms: i64,
    goods: Vec<crate::domain::shipment::GoodsLine>,
    consignee_org_id: String,
    #[serde(default)]
    stops: Vec<crate::domain::shipment::NewStop>,
}

fn create(who: &Who, req: &Request) -> Result<Response> {
    let body: CreateBody = req.parse_json()?;
    let member =
        courtyard_sdk::groups::is_member(&body.group_id, &who.viewer.person_id).unwrap_or(false);
    if !member {
        return Ok(error(404, "not_found", "no such group / 没有这个群组"));
    }
    let orgs = flows::orgs_in_group(who, &body.group_id)?;
    let org = |id: &str| {
        orgs.iter()
            .find(|o| o.org_id == id)
            .map(|o| OrgRef::new(o.org_id.clone(), o.name.clone()))
    };
    let Some(consignee) = org(&body.shipment.consignee_org_id) else {
        return Ok(error(
            400,
            "invalid",
            "the consignee has nobody in the group / 收货方在群中没有成员",
        ));
    };
    let carrier = match body.carrier_org_id.as_deref() {
        Some(c) => match org(c) {
            Some(o) => Some(o),
            None => {
                return Ok(error(
                    400,
                    "invalid",
                    "the carrier has nobody in the group / 承运商在群中没有成员",
                ));
            }
        },
        None => None,
    };
    let shipper =
        org(&who.org_id).unwrap_or_else(|| OrgRef::new(who.org_id.clone(), who.org_id.clone()));
    let b = body.shipment;
    let new = NewShipment {
        reference: b.reference,
        origin: b.origin,
        destination: b.destination,
        planned_pickup_ms: b.planned_pickup_ms,
        planned_delivery_ms: b.planned_delivery_ms,
        goods: b.goods,
        shipper,
        consignee,
        stops: b.stops,
    };
    let stored = flows::create_shipment(who, &new, carrier, &body.group_id)?;
    Ok(
        Response::json(&json!({"shipment": stored.shipment, "card_id": stored.card_id}))
            .with_status(201),
    )
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AssignBody {
    vehicle: String,
    #[serde(default)]
    driver_id: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DocumentBody {
    kind: String,
    file_id: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PublishBody {
    carrier_org_id: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NoteBody {
    #[serde(default)]
    note: Option<String>,
}

fn act(who: &Who, id: &str, what: &str, req: &Request) -> Result<Response> {
    let now = courtyard_sdk::time::now_ms();
    let v = &who.viewer;
    let lang = who.lang;
    let id = ops::find(v, id, lang)?.id;
    let (stored, _) = match what {
        "events" => {
            let event: NewEvent = req.parse_json()?;
            ops::own_uploads(v, &event.attachments, lang)?;
            let (stored, change) = ops::change(v, &id, lang, |s| s.record(v, event.clone(), now))?;
            ops::share_documents(&stored.shipment, &stored.audience);
            (stored, change)
        }
        "eta" => {
            let eta: NewEta = req.parse_json()?;
            ops::change(v, &id, lang, |s| s.update_eta(v, &eta, now))?
        }
        "accept" => ops::change(v, &id, lang, |s| s.accept(v, now))?,
        "publish" => {
            let b: PublishBody = req.parse_json()?;
            let group = ops::load(v, &id, lang)?.value.group_id.unwrap_or_default();
            let carrier = flows::carrier_in(who, &group, &b.carrier_org_id)?;
            ops::change(v, &id, lang, |s| s.publish(v, &carrier, now))?
        }
        "decline" => {
            let b: NoteBody = req.parse_json()?;
            ops::change(v, &id, lang, |s| s.decline(v, b.note.as_deref(), now))?
        }
        "cancel" => {
            let b: NoteBody = req.parse_json()?;
            ops::change(v, &id, lang, |s| s.cancel(v, None, b.note.as_deref(), now))?
        }
        "assign" => {
            let b: AssignBody = req.parse_json()?;
            let driver = match b.driver_id.as_deref() {
                Some(d) => {
                    let p = courtyard_sdk::people::get(d)?;
                    Some(crate::domain::shipment::PersonRef::new(
                        p.id,
                        p.display_name,
                    ))
                }
                None => None,
            };
            ops::change(v, &id, lang, |s| {
                s.assign(v, &b.vehicle, driver.as_ref(), now)
            })?
        }
        "documents" => {
            let b: DocumentBody = req.parse_json()?;
            flows::attach(who, &id, &b.kind, &b.file_id)?
        }
        _ => return Ok(error(404, "not_found", "no such route / 没有这个接口")),
    };
    Ok(Response::json(&json!({"shipment": stored.shipment})))
}

fn report(who: &Who, req: &Request) -> Result<Response> {
    if !who.viewer.staff {
        return Ok(error(
            403,
            "forbidden",
            "only staff see the analysis / 只有本公司员工可以查看分析",
        ));
    }
    let grace = req
        .query
        .get("grace_minutes")
        .and_then(|g| g.parse().ok())
        .unwrap_or(0);
    Ok(Response::json(&analysis::analyse(&visible(who)?, grace)))
}

fn export(ctx: &Context, who: &Who, file: &str) -> Result<Response> {
    let shipments = visible(who)?;
    let offset = courtyard_sdk::clock::utc_offset_minutes(courtyard_sdk::time::now_ms());
    let lang = Lang::from_locale(ctx.locale());
    let body = match file {
        "shipments.csv" => csv::shipments_csv(&shipments, lang, offset),
        "events.csv" => csv::events_csv(&shipments, lang, offset),
        _ => return Ok(error(404, "not_found", "no such export / 没有这个导出")),
    };
    Ok(Response::new(200)
        .with_header("content-type", "text/csv; charset=utf-8")
        .with_header(
            "content-disposition",
            format!("attachment; filename=\"{file}\""),
        )
        .with_body(body.into_bytes()))
}

fn partner_info(who: &Who, org: &str) -> Result<Response> {
    if !who.viewer.org_admin {
        return Ok(error(
            403,
            "forbidden",
            "organization admins only / 仅限组织管理员",
        ));
    }
    match store::partners().get(org)? {
        Some(p) => Ok(Response::json(
            &json!({"org_id": p.value.org_id, "name": p.value.name, "created_ms": p.value.created_ms}),
        )),
        None => Ok(error(
            404,
            "not_found",
            "no token for this partner / 该伙伴没有接口令牌",
        )),
    }
}

fn sha256_hex(text: &str) -> String {
    Sha256::digest(text.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Issues (or replaces) a partner organization's token; it is shown once.
fn issue_token(who: &Who, org: &str) -> Result<Response> {
    if !who.viewer.org_admin {
        return Ok(error(
            403,
            "forbidden",
            "organization admins only / 仅限组织管理员",
        ));
    }
    let name = courtyard_sdk::people::organization(org)
        .map_err(|_| Error::not_found("no such partner organization / 没有这个合作组织"))?
        .name;
    let mut secret = [0u8; 24];
    getrandom::fill(&mut secret).map_err(|e| Error::new(ErrorKind::Unavailable, e.to_string()))?;
    let token = format!(
        "{org}.{}",
        secret
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect::<String>()
    );
    let partner = Partner {
        org_id: org.to_owned(),
        name: name.clone(),
        token_sha256: sha256_hex(&token),
        created_by: who.viewer.person_id.clone(),
        created_ms: courtyard_sdk::time::now_ms(),
        codes: Default::default(),
    };
    match store::partners().get(org)? {
        Some(mut existing) => {
            let codes = std::mem::take(&mut existing.value.codes);
            existing.value = Partner { codes, ..partner };
            store::partners().save(&mut existing)?;
        }
        None => {
            store::partners().create(org, partner, Vec::new())?;
        }
    }
    Ok(Response::json(&json!({"org_id": org, "name": name, "token": token})).with_status(201))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CodesBody {
    codes: std::collections::BTreeMap<String, String>,
}

/// Maps a partner's own status codes to the normalised statuses (`{"codes": {"ZZ": "delayed"}}`).
fn set_codes(who: &Who, org: &str, req: &Request) -> Result<Response> {
    if !who.viewer.org_admin {
        return Ok(error(
            403,
            "forbidden",
            "organization admins only / 仅限组织管理员",
        ));
    }
    let body: CodesBody = req.parse_json()?;
    if body.codes.len() > 200 {
        return Ok(error(400, "invalid", "at most 200 codes / 最多 200 个代码"));
    }
    let mut codes = std::collections::BTreeMap::new();
    for (raw, status) in body.codes {
        let raw = raw.trim().to_owned();
        if raw.is_empty() || raw.len() > 32 {
            return Ok(error(
                400,
                "invalid",
                "a code has 1 to 32 characters / 代码长度为 1 到 32 个字符",
            ));
        }
        let Some(status) = crate::domain::Status::parse(&status) else {
            return Ok(error(
                400,
                "invalid",
                format!("unknown status `{status}` / 未知状态 `{status}`"),
            ));
        };
        codes.insert(raw, status);
    }
    let record = store::partners().update(org, |p| {
        p.codes = codes.clone();
        Ok(())
    });
    match record {
        Ok(r) => Ok(Response::json(
            &json!({"org_id": org, "codes": r.value.codes}),
        )),
        Err(e) if e.is_not_found() => Ok(error(
            404,
            "not_found",
            "issue the partner a token first / 请先为该伙伴签发令牌",
        )),
        Err(e) => Err(e),
    }
}

/// `POST /api/v1/plugins/logistics/public/{org}/events` with `X-Partner-Token: <token>`:
/// a status event (and/or ETA) for a shipment of the partner's, idempotent on `event_id`.
fn push(ctx: &Context, req: &Request) -> Response {
    let lang = Lang::from_locale(req.header("accept-language").unwrap_or("en"));
    // The host never passes `Authorization` on (it may carry a session), so partners
    // send their token in a header of their own.
    let token = req.header("x-partner-token").unwrap_or_default().trim();
    let Some((org, _)) = token.split_once('.') else {
        return error(
            401,
            "unauthorized",
            "a partner token is required / 需要合作伙伴令牌",
        );
    };
    let partner = match store::partners().get(org) {
        Ok(Some(p)) if p.value.token_sha256 == sha256_hex(token) => p.value,
        _ => return error(401, "unauthorized", "the token is not valid / 令牌无效"),
    };
    if req.body.len() > partner::MAX_BODY_BYTES {
        return error(413, "too_large", "the event is too large / 事件过大");
    }
    let event = match partner::parse_bytes(&req.body, &CodeMap::new(partner.codes.clone())) {
        Ok(e) => e,
        Err(e) => return error(400, e.code(), e.message(lang)),
    };
    let key = partner::idempotency_key(&partner.org_id, &event.event_id);
    if let Ok(Some(done)) = store::pushes().get(&key) {
        return Response::json(
            &json!({"status": "duplicate", "shipment_id": done.value.shipment_id}),
        );
    }
    let viewer = Viewer::partner_system(&partner.org_id, &partner.org_id, &partner.name);
    let Ok(Some(record)) = store::by_waybill(&event.waybill) else {
        return error(
            404,
            "not_found",
            lang.pick("No such shipment", "没有这个运单"),
        );
    };
    if !access::can_see(&viewer, &record.value.shipment) {
        return error(
            404,
            "not_found",
            lang.pick("No such shipment", "没有这个运单"),
        );
    }
    let now = courtyard_sdk::time::now_ms();
    let id = record.id.clone();
    let result = ops::change(&viewer, &id, lang, |s| {
        partner::apply(s, &viewer, &event, now).map(|changes| {
            changes
                .into_iter()
                .last()
                .unwrap_or(crate::domain::shipment::Change::Unchanged)
        })
    });
    let _ = ctx;
    match result {
        Ok((stored, _)) => {
            let _ = store::pushes().create(
                &key,
                Push {
                    shipment_id: id,
                    at_ms: now,
                },
                Vec::new(),
            );
            Response::json(&json!({"status": "recorded", "shipment_id": stored.shipment.id, "shipment_status": stored.shipment.status})).with_status(201)
        }
        Err(e) => from_error(&e),
    }
}

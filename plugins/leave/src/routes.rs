//! HR's API under `/api/v1/plugins/leave/` (session routes, organization admins only):
//!
//! | route | what |
//! |---|---|
//! | `GET`/`PUT calendar` | weekend days, holidays, make-up workdays, and the work schedule |
//! | `GET`/`PUT types` | the leave types (validated) |
//! | `GET`/`PUT employees/{person_id}` | hiring and seniority dates, own schedule; GET adds balances |
//! | `POST adjustments` | `{person_id, leave_type, amount, reason}`: a signed, audited adjustment |
//! | `POST allocate` | `{year}`: the yearly allocation for every employee (idempotent) |
//! | `GET export/requests.csv`, `GET export/balances.csv` | CSV for Excel (UTF-8 with BOM) |
//!
//! Errors are JSON `{"code": code, "message": text}` (the host's own error shape) in the
//! caller's language: 403 for people who are not admins, 400 for bodies that do not parse or
//! do not make sense.

use std::collections::{BTreeMap, BTreeSet};

use courtyard_sdk::http::{Request, Response};
use courtyard_sdk::{Error, ErrorKind};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::amount::Base;
use crate::calendar::{Calendar, WorkSchedule};
use crate::date::{Date, Weekday};
use crate::export;
use crate::hr;
use crate::policy::{LeaveType, find_type};
use crate::store::{self, EMPLOYEES, Host, amount_number, load_config, update_config};
use crate::text::pick;
use crate::who::Who;

/// An API error: status, code, message.
#[derive(Debug)]
pub struct ApiError {
    pub status: u16,
    pub code: &'static str,
    pub message: String,
}

impl ApiError {
    fn new(status: u16, code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            code,
            message: message.into(),
        }
    }

    fn invalid(message: impl Into<String>) -> ApiError {
        ApiError::new(400, "invalid", message)
    }

    fn response(&self) -> Response {
        Response::error(self.status, self.code, self.message.clone())
    }
}

impl From<Error> for ApiError {
    fn from(e: Error) -> ApiError {
        let (status, code) = match e.kind {
            ErrorKind::User | ErrorKind::Invalid | ErrorKind::Data => (400, "invalid"),
            ErrorKind::NotFound => (404, "not_found"),
            ErrorKind::Denied => (403, "forbidden"),
            ErrorKind::Conflict => (409, "conflict"),
            ErrorKind::Quota => (507, "quota"),
            _ => (503, "unavailable"),
        };
        ApiError::new(status, code, e.message)
    }
}

type ApiResult = Result<Response, ApiError>;

fn body<T: DeserializeOwned>(
    who: &Who,
    request: &Request,
    en: &str,
    zh: &str,
) -> Result<T, ApiError> {
    if request.body.is_empty() {
        return Err(ApiError::new(
            400,
            "invalid_json",
            who.tr(
                format!("Send {en} as a JSON body"),
                format!("请以 JSON 请求体发送{zh}"),
            ),
        ));
    }
    serde_json::from_slice(&request.body).map_err(|e| {
        ApiError::new(
            400,
            "invalid_json",
            who.tr(
                format!("The body is not valid {en}: {e}"),
                format!("请求体不是有效的{zh}：{e}"),
            ),
        )
    })
}

fn json_ok<T: Serialize + ?Sized>(value: &T) -> ApiResult {
    Ok(Response::json(value))
}

fn csv(text: String, file: &str) -> ApiResult {
    Ok(Response::new(200)
        .with_header("content-type", "text/csv; charset=utf-8")
        .with_header(
            "content-disposition",
            format!("attachment; filename=\"{file}\""),
        )
        .with_body(text.into_bytes()))
}

/// Answers a request to one of the plugin's routes.
pub fn handle(h: &dyn Host, who: &Who, request: &Request) -> Response {
    if !who.admin || who.person.is_none() {
        return ApiError::new(
            403,
            "forbidden",
            who.tr(
                "Only HR (organization admins) can use the leave administration API",
                "只有人事（组织管理员）可以使用请假管理接口",
            ),
        )
        .response();
    }
    let path = request.path.trim_end_matches('/');
    let outcome = match (request.method.as_str(), path) {
        ("GET", "calendar") => get_calendar(h),
        ("PUT", "calendar") => put_calendar(h, who, request),
        ("GET", "types") => get_types(h),
        ("PUT", "types") => put_types(h, who, request),
        ("GET", p) if p.starts_with("employees/") => get_employee(h, who, &p[10..]),
        ("PUT", p) if p.starts_with("employees/") => put_employee(h, who, &p[10..], request),
        ("POST", "adjustments") => post_adjustment(h, who, request),
        ("POST", "allocate") => post_allocate(h, who, request),
        ("GET", "export/requests.csv") => {
            let (from, to) = match (
                query_date(who, request, "from"),
                query_date(who, request, "to"),
            ) {
                (Ok(f), Ok(t)) => (f, t),
                (Err(e), _) | (_, Err(e)) => return e.response(),
            };
            export::requests_csv(h, who, from, to)
                .map_err(ApiError::from)
                .and_then(|text| csv(text, "leave-requests.csv"))
        }
        ("GET", "export/balances.csv") => match query_date(who, request, "as_of") {
            Ok(as_of) => export::balances_csv(h, who, as_of.unwrap_or_else(|| h.today()))
                .map_err(ApiError::from)
                .and_then(|text| csv(text, "leave-balances.csv")),
            Err(e) => Err(e),
        },
        _ => Err(ApiError::new(
            404,
            "not_found",
            who.tr(
                format!("There is no {} {path} here", request.method),
                format!("没有 {} {path} 这个接口", request.method),
            ),
        )),
    };
    outcome.unwrap_or_else(|e| e.response())
}

fn query_date(who: &Who, request: &Request, name: &str) -> Result<Option<Date>, ApiError> {
    match request
        .query
        .get(name)
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        None => Ok(None),
        Some(text) => text.parse().map(Some).map_err(|_| {
            ApiError::invalid(who.tr(
                format!("{name}: “{text}” is not a date like 2026-12-01"),
                format!("{name}：“{text}”不是有效日期，如 2026-12-01"),
            ))
        }),
    }
}

/// The calendar as HR reads and writes it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CalendarDoc {
    #[serde(default = "default_weekend")]
    pub weekend: BTreeSet<Weekday>,
    #[serde(default)]
    pub holidays: BTreeMap<Date, String>,
    #[serde(default)]
    pub makeup_workdays: BTreeMap<Date, String>,
    /// The organization's work schedule; left as it is when absent.
    #[serde(default)]
    pub schedule: Option<WorkSchedule>,
}

fn default_weekend() -> BTreeSet<Weekday> {
    Calendar::default().weekend
}

fn get_calendar(h: &dyn Host) -> ApiResult {
    let config = load_config(h)?.value;
    json_ok(&CalendarDoc {
        weekend: config.calendar.weekend,
        holidays: config.calendar.holidays,
        makeup_workdays: config.calendar.makeup_workdays,
        schedule: Some(config.schedule),
    })
}

/// Refuses a calendar that contradicts itself.
pub fn check_calendar(who: &Who, doc: &CalendarDoc) -> Result<(), ApiError> {
    let zh = who.zh();
    if doc.weekend.len() == Weekday::ALL.len() {
        return Err(ApiError::invalid(pick(
            zh,
            "At least one day of the week must be a working day",
            "每周至少要有一个工作日",
        )));
    }
    if doc.holidays.len() + doc.makeup_workdays.len() > 2000 {
        return Err(ApiError::invalid(pick(
            zh,
            "At most 2000 holidays and make-up workdays",
            "节假日和调休上班日合计最多 2000 个",
        )));
    }
    for (date, name) in doc.holidays.iter().chain(&doc.makeup_workdays) {
        if name.trim().is_empty() || name.chars().count() > 100 {
            return Err(ApiError::invalid(who.tr(
                format!("Give {date} a name of 1 to 100 characters"),
                format!("请为 {date} 填写 1 到 100 个字的名称"),
            )));
        }
    }
    for date in doc.makeup_workdays.keys() {
        if doc.holidays.contains_key(date) {
            return Err(ApiError::invalid(who.tr(
                format!("{date} is both a holiday and a make-up workday"),
                format!("{date} 不能既是节假日又是调休上班日"),
            )));
        }
        if !doc.weekend.contains(&Weekday::of(*date)) {
            return Err(ApiError::invalid(who.tr(
                format!(
                    "{date} is a {} and a working day anyway: a make-up workday replaces a weekend day",
                    crate::text::weekday(*date, false)
                ),
                format!(
                    "{date} 是{}，本来就是工作日：调休上班日须是周末",
                    crate::text::weekday(*date, true)
                ),
            )));
        }
    }
    if let Some(s) = &doc.schedule {
        s.validate()
            .map_err(|e| ApiError::invalid(pick(zh, e.en(), e.zh())))?;
    }
    Ok(())
}

fn put_calendar(h: &dyn Host, who: &Who, request: &Request) -> ApiResult {
    let doc: CalendarDoc = body(who, request, "calendar", "日历")?;
    check_calendar(who, &doc)?;
    let saved = update_config(h, |c| {
        c.calendar = Calendar {
            weekend: doc.weekend.clone(),
            holidays: doc
                .holidays
                .iter()
                .map(|(d, n)| (*d, n.trim().to_owned()))
                .collect(),
            makeup_workdays: doc
                .makeup_workdays
                .iter()
                .map(|(d, n)| (*d, n.trim().to_owned()))
                .collect(),
        };
        if let Some(s) = doc.schedule {
            c.schedule = s;
        }
        Ok(())
    })?;
    json_ok(&CalendarDoc {
        weekend: saved.value.calendar.weekend.clone(),
        holidays: saved.value.calendar.holidays.clone(),
        makeup_workdays: saved.value.calendar.makeup_workdays.clone(),
        schedule: Some(saved.value.schedule),
    })
}

fn get_types(h: &dyn Host) -> ApiResult {
    json_ok(&load_config(h)?.value.types)
}

/// Refuses leave types that contradict themselves, repeat an id, or change the unit of a
/// type people already have balances in.
pub fn check_types(who: &Who, old: &[LeaveType], new: &[LeaveType]) -> Result<(), ApiError> {
    if new.is_empty() || new.len() > 50 {
        return Err(ApiError::invalid(
            who.tr("Offer 1 to 50 leave types", "假期类型须为 1 到 50 种"),
        ));
    }
    for (i, t) in new.iter().enumerate() {
        t.validate().map_err(|e| {
            ApiError::invalid(who.tr(
                format!("Leave type {} ({}): {}", i + 1, t.id, e.en()),
                format!("第 {} 个假期类型（{}）：{}", i + 1, t.id, e.zh()),
            ))
        })?;
        if t.name.en.chars().count() > 50 || t.name.zh.chars().count() > 50 {
            return Err(ApiError::invalid(who.tr(
                format!("Leave type “{}”: a name is at most 50 characters", t.id),
                format!("假期类型“{}”：名称最多 50 个字", t.id),
            )));
        }
        if new[..i].iter().any(|x| x.id == t.id) {
            return Err(ApiError::invalid(who.tr(
                format!("Leave type “{}” appears twice", t.id),
                format!("假期类型“{}”重复", t.id),
            )));
        }
        if let Some(before) = find_type(old, &t.id)
            && before.base() != t.base()
        {
            let unit = |b: Base| match b {
                Base::HalfDays => who.tr("days", "天"),
                Base::Minutes => who.tr("hours", "小时"),
            };
            return Err(ApiError::invalid(who.tr(
                format!(
                    "Leave type “{}” is counted in {}; its balances cannot become {}: add a new type instead",
                    t.id,
                    unit(before.base()),
                    unit(t.base())
                ),
                format!(
                    "假期类型“{}”按{}计，已有余额不能改为按{}计：请新增一个类型",
                    t.id,
                    unit(before.base()),
                    unit(t.base())
                ),
            )));
        }
    }
    Ok(())
}

fn put_types(h: &dyn Host, who: &Who, request: &Request) -> ApiResult {
    let types: Vec<LeaveType> = body(who, request, "list of leave types", "假期类型列表")?;
    let old = load_config(h)?.value.types;
    check_types(who, &old, &types)?;
    let saved = update_config(h, |c| {
        check_types(who, &c.types, &types).map_err(|e| Error::user(e.message))?;
        c.types = types.clone();
        Ok(())
    })?;
    json_ok(&saved.value.types)
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct EmployeeDoc {
    hired: Date,
    #[serde(default)]
    seniority_from: Option<Date>,
    #[serde(default)]
    schedule: Option<WorkSchedule>,
}

fn person(h: &dyn Host, who: &Who, person_id: &str) -> Result<String, ApiError> {
    let id = person_id.trim();
    let found = if id.is_empty() || id.contains('/') {
        None
    } else {
        h.person_name(id)?
    };
    found.ok_or_else(|| {
        ApiError::new(
            404,
            "not_found",
            who.tr(
                format!("There is no person “{id}”"),
                format!("找不到员工“{id}”"),
            ),
        )
    })
}

fn employee_json(h: &dyn Host, account: &store::Account) -> Result<serde_json::Value, ApiError> {
    let today = h.today();
    let balances: Vec<serde_json::Value> = crate::pages::balances(h, &account.person_id, today)?
        .into_iter()
        .map(|b| {
            let unit = match b.leave_type.base() {
                Base::HalfDays => "days",
                Base::Minutes => "hours",
            };
            json!({
                "leave_type": b.leave_type.id,
                "unit": unit,
                "granted": amount_number(b.balance.granted),
                "adjusted": amount_number(b.balance.adjusted),
                "taken": amount_number(b.balance.taken),
                "reserved": amount_number(b.balance.reserved),
                "expired": amount_number(b.balance.expired),
                "available": amount_number(b.balance.available),
            })
        })
        .collect();
    Ok(json!({
        "person_id": account.person_id,
        "name": account.name,
        "hired": account.hired,
        "seniority_from": account.seniority_from,
        "schedule": account.schedule,
        "balances_as_of": today,
        "balances": balances,
    }))
}

fn get_employee(h: &dyn Host, who: &Who, person_id: &str) -> ApiResult {
    let name = person(h, who, person_id)?;
    let account = EMPLOYEES
        .get(h, person_id)?
        .map(|a| a.value)
        .unwrap_or_else(|| store::Account::new(person_id, &name));
    json_ok(&employee_json(h, &account)?)
}

fn put_employee(h: &dyn Host, who: &Who, person_id: &str, request: &Request) -> ApiResult {
    let name = person(h, who, person_id)?;
    let doc: EmployeeDoc = body(who, request, "employee", "员工信息")?;
    if doc.seniority_from.is_some_and(|s| s > doc.hired) {
        return Err(ApiError::invalid(who.tr(
            "seniority_from is where earlier work counts from: it cannot be after the hiring date",
            "工龄起算日（seniority_from）不能晚于入职日期",
        )));
    }
    if let Some(s) = &doc.schedule {
        s.validate()
            .map_err(|e| ApiError::invalid(pick(who.zh(), e.en(), e.zh())))?;
    }
    let saved = EMPLOYEES.update_or(
        h,
        person_id,
        || Some(store::new_account(person_id, &name)),
        |a| {
            a.name = name.clone();
            a.hired = Some(doc.hired);
            a.seniority_from = doc.seniority_from;
            a.schedule = doc.schedule;
            Ok(())
        },
    )?;
    json_ok(&employee_json(h, &saved.value)?)
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct AdjustmentDoc {
    person_id: String,
    leave_type: String,
    /// Days (in steps of half a day) or hours, as the type counts; negative takes away.
    amount: f64,
    #[serde(default)]
    reason: String,
    /// The day it counts from; today when absent.
    #[serde(default)]
    effective: Option<Date>,
    /// Makes a retried request add nothing.
    #[serde(default)]
    key: Option<String>,
}

fn post_adjustment(h: &dyn Host, who: &Who, request: &Request) -> ApiResult {
    let doc: AdjustmentDoc = body(who, request, "adjustment", "余额调整")?;
    let name = person(h, who, &doc.person_id)?;
    let config = load_config(h)?.value;
    let t = find_type(&config.types, &doc.leave_type).ok_or_else(|| {
        ApiError::invalid(
            crate::request::RequestError::UnknownLeaveType {
                id: doc.leave_type.clone(),
            }
            .message(&who.locale),
        )
    })?;
    let amount = hr::amount_of(who, t, doc.amount)?;
    if doc.reason.chars().count() > 500 {
        return Err(ApiError::invalid(
            who.tr("A reason is at most 500 characters", "原因最多 500 个字"),
        ));
    }
    let key = match doc.key.as_deref().map(str::trim) {
        Some(k) if !k.is_empty() && k.len() <= 64 => k.to_owned(),
        Some(k) if !k.is_empty() => {
            return Err(ApiError::invalid(
                who.tr("key is at most 64 characters", "key 最多 64 个字符"),
            ));
        }
        _ => h.new_id(),
    };
    let effective = doc.effective.unwrap_or_else(|| h.today());
    let (entry, balance) = hr::adjust(
        h,
        who,
        &doc.person_id,
        &name,
        t,
        amount,
        effective,
        &doc.reason,
        &key,
    )?;
    json_ok(&json!({
        "entry": entry,
        "balance": {
            "available": amount_number(balance.available),
            "text": pick(who.zh(), balance.en(), balance.zh()),
        },
    }))
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct AllocateDoc {
    year: i32,
}

fn post_allocate(h: &dyn Host, who: &Who, request: &Request) -> ApiResult {
    let doc: AllocateDoc = body(
        who,
        request,
        "allocation request ({\"year\": 2027})",
        "发放请求（{\"year\": 2027}）",
    )?;
    let this_year = h.today().year();
    if (doc.year - this_year).abs() > 5 {
        return Err(ApiError::invalid(who.tr(
            format!("Allocate for a year near {this_year}, not {}", doc.year),
            format!(
                "只能发放 {this_year} 年前后五年内的额度，不能是 {} 年",
                doc.year
            ),
        )));
    }
    json_ok(&hr::allocate(h, doc.year, None)?)
}

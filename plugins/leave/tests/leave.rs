//! The leave plugin in a real in-process host, through the SDK's test harness — the parts
//! that do not need the approvals plugin: HR's routes, the working calendar and balance
//! arithmetic, bad input, exports, pages and the command. (With the approvals plugin:
//! `with_approvals.rs`.)
//!
//! Dates are in 2027, a year HR may allocate and plan for from now.

mod common;

use common::*;
use serde_json::json;

/// China's Spring Festival 2027 as HR enters it: Monday 8 to Friday 12 February off,
/// Saturday 20 February worked instead (调休上班).
fn spring_festival() -> serde_json::Value {
    json!({
        "weekend": ["sat", "sun"],
        "holidays": {
            "2027-02-08": "Spring Festival", "2027-02-09": "Spring Festival",
            "2027-02-10": "Spring Festival", "2027-02-11": "Spring Festival",
            "2027-02-12": "Spring Festival",
        },
        "makeup_workdays": {"2027-02-20": "Spring Festival make-up day"},
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_count_working_days_across_weekends_holidays_and_half_days() {
    let h = start().await;
    let alice = h.person("Alice").await.unwrap();
    let team = h
        .group(&h.admin(), "Team", &[&alice], json!({}))
        .await
        .unwrap();
    let hr = admin_session(&h, "en").await;
    let (status, body, _) = route(&h, &hr, "PUT", "calendar", spring_festival()).await;
    assert_eq!(status, 200, "{body}");
    let (status, read, _) = route(&h, &hr, "GET", "calendar", serde_json::Value::Null).await;
    assert_eq!(status, 200);
    assert_eq!(read, body);
    assert_eq!(read["holidays"]["2027-02-10"], "Spring Festival");
    assert_eq!(read["schedule"]["hours_per_day"], 8);

    // Half a day of annual leave: every longer request is refused with what it would take.
    grant(&h, &hr, &alice.id, "annual", 0.5, "2027-01-01").await;
    let takes = |values| {
        let (h, alice, team) = (&h, &alice, &team);
        async move {
            let reply = request_leave(h, alice, team, values).await.unwrap();
            help(&reply, "to_date")
        }
    };
    // Friday afternoon to Monday morning across the festival week: one day.
    let mut across = days("annual", "2027-02-05", "2027-02-15");
    across["from_half"] = json!("pm");
    across["to_half"] = json!("am");
    assert_eq!(
        takes(across).await,
        "Not enough leave: 0.5 days available, 1 day requested"
    );
    // Friday to Monday around the make-up Saturday: three days.
    assert_eq!(
        takes(days("annual", "2027-02-19", "2027-02-22")).await,
        "Not enough leave: 0.5 days available, 3 days requested"
    );
    // An ordinary Friday to Monday: two days, not four.
    assert_eq!(
        takes(days("annual", "2027-03-05", "2027-03-08")).await,
        "Not enough leave: 0.5 days available, 2 days requested"
    );
    // The festival week alone: nothing to take.
    let reply = request_leave(
        &h,
        &alice,
        &team,
        days("annual", "2027-02-08", "2027-02-12"),
    )
    .await
    .unwrap();
    assert_eq!(
        help(&reply, "from_date"),
        "Those dates are all non-working time: there is no leave to take"
    );

    // By the hour: the lunch break (12:00–13:00) is not work.
    grant(&h, &hr, &alice.id, "compensatory", 1.0, "2027-01-01").await;
    let reply = request_leave(
        &h,
        &alice,
        &team,
        json!({"leave_type": "compensatory", "date": "2027-03-03",
               "start_time": "11:00", "end_time": "14:30"}),
    )
    .await
    .unwrap();
    assert_eq!(
        help(&reply, "date"),
        "Not enough leave: 1 h available, 2 h 30 min requested"
    );

    // Half a day fits, but without the approvals plugin its approval cannot start: the
    // reservation is taken back and nothing is posted.
    let mut half = days("annual", "2027-03-05", "2027-03-05");
    half["from_half"] = json!("pm");
    let err = request_leave(&h, &alice, &team, half).await.unwrap_err();
    assert!(
        err.to_string().contains(
            "The approval could not start: the approvals plugin is not installed here or does not take leave requests"
        ),
        "{err}"
    );
    let page = balances(&h, &alice, &team, "2027-06-01").await;
    assert!(page.contains("Available: 0.5 days"), "{page}");
    assert!(page.contains("Reserved: 0 days"), "{page}");
    assert!(h.messages(&alice, &team).await.unwrap().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_input_is_refused_clearly_and_changes_nothing() {
    let h = start().await;
    let alice = h.person("Alice").await.unwrap();
    let team = h
        .group(&h.admin(), "Team", &[&alice], json!({}))
        .await
        .unwrap();
    let hr = admin_session(&h, "en").await;
    grant(&h, &hr, &alice.id, "annual", 0.5, "2027-01-01").await;
    let before = route(
        &h,
        &hr,
        "GET",
        &format!("employees/{}", alice.id),
        json!(null),
    )
    .await
    .1;

    // Dates in the wrong order.
    let reply = request_leave(
        &h,
        &alice,
        &team,
        days("annual", "2027-03-05", "2027-03-04"),
    )
    .await
    .unwrap();
    assert_eq!(
        help(&reply, "to_date"),
        "The leave ends before it starts (2027-03-05 AM – 2027-03-04 PM)"
    );
    // Zero length: a weekend.
    let reply = request_leave(
        &h,
        &alice,
        &team,
        days("annual", "2027-03-06", "2027-03-07"),
    )
    .await
    .unwrap();
    assert_eq!(
        help(&reply, "from_date"),
        "Those dates are all non-working time: there is no leave to take"
    );
    // Past the limit per request: bereavement leave is at most 3 days.
    let reply = request_leave(
        &h,
        &alice,
        &team,
        days("bereavement", "2027-03-01", "2027-03-04"),
    )
    .await
    .unwrap();
    assert_eq!(
        help(&reply, "to_date"),
        "At most 3 days per request; this one is 4 days"
    );
    // Insufficient balance, with both figures.
    let reply = request_leave(
        &h,
        &alice,
        &team,
        days("annual", "2027-03-01", "2027-03-02"),
    )
    .await
    .unwrap();
    assert_eq!(
        help(&reply, "to_date"),
        "Not enough leave: 0.5 days available, 2 days requested"
    );
    // Sick leave over two days needs a certificate reference.
    let reply = request_leave(&h, &alice, &team, days("sick", "2027-03-01", "2027-03-03"))
        .await
        .unwrap();
    assert_eq!(
        help(&reply, "certificate"),
        "Attach a supporting document: required for more than 2 days"
    );
    // An unknown leave type.
    let err = h
        .command(&alice, &team, "/leave 2027-03-01 sabbatical")
        .await
        .unwrap_err();
    assert!(
        err.to_string()
            .contains("There is no leave type “sabbatical”"),
        "{err}"
    );
    let err = h
        .command(&alice, &team, "/leave 2027-02-30")
        .await
        .unwrap_err();
    assert!(
        err.to_string()
            .contains("“2027-02-30” is not a date like 2026-12-01"),
        "{err}"
    );

    // In Chinese for someone who reads Chinese.
    let (li_id, li) = member_session(&h, "李雷", "li@harness.example.com", "zh-CN").await;
    add_member(&h, &team, &li_id).await;
    let err = command_as(&h, &li, &team, "/leave 2027-03-01 sabbatical")
        .await
        .unwrap_err();
    assert!(
        err.to_string().contains("没有“sabbatical”这种假期类型"),
        "{err}"
    );
    let err = command_as(&h, &li, &team, "/leave 2027-03-05 2027-03-04")
        .await
        .unwrap_err();
    assert!(err.to_string().contains("结束时间早于开始时间"), "{err}");
    let form = command_as(&h, &li, &team, "/leave")
        .await
        .unwrap()
        .form
        .unwrap();
    assert_eq!(form.form["title"], "请假");
    assert!(form.form.to_string().contains("年假"));

    // Nothing changed: the balance, the group, the requests.
    let after = route(
        &h,
        &hr,
        "GET",
        &format!("employees/{}", alice.id),
        json!(null),
    )
    .await
    .1;
    assert_eq!(after, before);
    let page = balances(&h, &alice, &team, "2027-06-01").await;
    assert!(page.contains("Available: 0.5 days"), "{page}");
    assert!(
        page.contains("Reserved: 0 days") && page.contains("Taken: 0 days"),
        "{page}"
    );
    assert!(h.messages(&alice, &team).await.unwrap().is_empty());
    let (_, _, csv) = route(&h, &hr, "GET", "export/requests.csv", json!(null)).await;
    assert_eq!(csv.lines().count(), 1, "only the header: {csv}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hr_routes_are_for_admins_and_check_what_they_get() {
    let h = start().await;
    let alice = h.person("Alice").await.unwrap();
    let hr = admin_session(&h, "en").await;
    let (_, bob) = member_session(&h, "Bob", "bob@harness.example.com", "en").await;

    // Not HR: 403, as JSON.
    for (method, path) in [
        ("GET", "types"),
        ("PUT", "calendar"),
        ("POST", "allocate"),
        ("GET", "export/balances.csv"),
        ("GET", "export/requests.csv"),
    ] {
        let (status, body, _) = route(&h, &bob, method, path, json!({})).await;
        assert_eq!(status, 403, "{method} {path}");
        assert_eq!(body["code"], "forbidden");
        assert_eq!(
            body["message"],
            "Only HR (organization admins) can use the leave administration API"
        );
    }

    // Bodies that do not parse or do not make sense: 400 with what is wrong.
    let (status, body, _) = route(
        &h,
        &hr,
        "PUT",
        "calendar",
        json!({"holidays": ["2027-10-01"]}),
    )
    .await;
    assert_eq!((status, body["code"].as_str()), (400, Some("invalid_json")));
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .starts_with("The body is not valid calendar:"),
        "{body}"
    );
    let (status, body, _) = route(
        &h,
        &hr,
        "PUT",
        "calendar",
        json!({"makeup_workdays": {"2027-03-03": "not a weekend"}}),
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(
        body["message"],
        "2027-03-03 is a Wed and a working day anyway: a make-up workday replaces a weekend day"
    );
    let mut types = route(&h, &hr, "GET", "types", json!(null)).await.1;
    types[0]["max_per_request"] = json!({"unit": "minutes", "value": 60});
    let (status, body, _) = route(&h, &hr, "PUT", "types", types.clone()).await;
    assert_eq!(status, 400);
    assert_eq!(
        body["message"],
        "Leave type 1 (annual): The most per request must be in days like the leave type, not in hours"
    );

    // Adjustments need a reason, and keep who made them.
    let (status, body, _) = route(
        &h,
        &hr,
        "POST",
        "adjustments",
        json!({"person_id": alice.id, "leave_type": "annual", "amount": 2}),
    )
    .await;
    assert_eq!(
        (status, body["message"].as_str()),
        (400, Some("An adjustment needs a reason"))
    );
    let hr_zh = admin_session(&h, "zh-CN").await;
    let (_, body, _) = route(
        &h,
        &hr_zh,
        "POST",
        "adjustments",
        json!({"person_id": alice.id, "leave_type": "annual", "amount": 2, "reason": " "}),
    )
    .await;
    assert_eq!(body["message"], "调整假期余额必须填写原因");
    let (status, body, _) = route(
        &h,
        &hr,
        "POST",
        "adjustments",
        json!({"person_id": alice.id, "leave_type": "annual", "amount": 1.5,
               "reason": "unused 2026 overtime", "effective": "2027-01-01"}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["entry"]["by"], h.admin().id.as_str());
    assert_eq!(body["entry"]["reason"], "unused 2026 overtime");

    // The yearly allocation: by seniority, once.
    let (status, body, _) = route(
        &h,
        &hr,
        "PUT",
        &format!("employees/{}", alice.id),
        json!({"hired": "2018-05-01"}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let (status, body, _) = route(&h, &hr, "POST", "allocate", json!({"year": 2027})).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["entries_added"], 1);
    let (_, body, _) = route(&h, &hr, "POST", "allocate", json!({"year": 2027})).await;
    assert_eq!(body["entries_added"], 0);

    // Exports: CSV with a byte-order mark, headers in the reader's language.
    let response = raw_route(
        &h,
        &hr,
        "GET",
        "export/balances.csv?as_of=2027-06-01",
        json!(null),
    )
    .await;
    assert_eq!(response.status, 200);
    assert!(
        response
            .headers
            .iter()
            .any(|(n, v)| n == "content-type" && v.starts_with("text/csv")),
        "{:?}",
        response.headers
    );
    let csv = String::from_utf8(response.body).unwrap();
    assert!(
        csv.starts_with("\u{feff}Person ID,Person,Leave type ID,Leave type,Unit,Granted,"),
        "{csv}"
    );
    assert!(
        csv.contains(&format!(
            "{},Alice,annual,Annual leave,days,5,1.5,0,0,0,6.5,2027-06-01",
            alice.id
        )),
        "{csv}"
    );
    let (_, _, csv) = route(
        &h,
        &hr_zh,
        "GET",
        "export/balances.csv?as_of=2027-06-01",
        json!(null),
    )
    .await;
    assert!(
        csv.starts_with("\u{feff}员工 ID,员工,假期类型 ID,假期类型,单位,发放,"),
        "{csv}"
    );
    assert!(csv.contains(",Alice,annual,年假,天,5,1.5,"), "{csv}");
    let (status, _, csv) = route(&h, &hr, "GET", "export/requests.csv", json!(null)).await;
    assert_eq!(status, 200);
    assert!(
        csv.starts_with("\u{feff}Request,Approval,Person ID,Person,"),
        "{csv}"
    );
    let (status, _, _) = route(
        &h,
        &hr,
        "GET",
        "export/balances.csv?as_of=soon",
        json!(null),
    )
    .await;
    assert_eq!(status, 400);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_team_calendar_and_balances_for_everyone() {
    let h = start().await;
    let alice = h.person("Alice").await.unwrap();
    let team = h
        .group(&h.admin(), "Team", &[&alice], json!({}))
        .await
        .unwrap();
    let hr = admin_session(&h, "en").await;
    route(&h, &hr, "PUT", "calendar", spring_festival()).await;
    grant(&h, &hr, &alice.id, "annual", 3.0, "2026-01-01").await;

    let page = h
        .page(
            &alice,
            &team,
            "leave",
            "calendar",
            "from=2027-02-05&to=2027-02-22",
        )
        .await
        .unwrap();
    assert_eq!(page.title, "Team calendar");
    let text = page_text(&page.cards);
    assert!(
        text.contains("2027-02-08 Mon | Holiday: Spring Festival | "),
        "{text}"
    );
    assert!(
        text.contains("2027-02-20 Sat | Make-up workday: Spring Festival make-up day | "),
        "{text}"
    );
    assert!(text.contains("2027-02-21 Sun | Weekend | "), "{text}");
    assert!(text.contains("Nobody is away."), "{text}");
    let err = h
        .page(
            &alice,
            &team,
            "leave",
            "calendar",
            "from=2027-01-01&to=2027-12-31",
        )
        .await
        .unwrap_err();
    assert!(err.to_string().contains("at most 92 days"), "{err}");

    let reply = h.command(&alice, &team, "/leave balance").await.unwrap();
    let text = reply.ephemeral.unwrap();
    assert!(
        text.contains("Annual leave: 3 days available (granted 0 days, adjusted 3 days, taken 0 days, reserved 0 days, expired 0 days)"),
        "{text}"
    );
    let page = balances(&h, &alice, &team, "2027-01-15").await;
    assert!(page.contains("Annual leave"), "{page}");
    assert!(page.contains("opening balance"), "{page}");
    // Someone else's balances are for HR.
    let err = h
        .page(
            &alice,
            &team,
            "leave",
            "balances",
            &format!("person_id={}", h.admin().id),
        )
        .await
        .unwrap_err();
    assert!(err.to_string().contains("Only HR"), "{err}");
    let page = h
        .page(
            &h.admin(),
            &team,
            "leave",
            "balances",
            &format!("person_id={}", alice.id),
        )
        .await
        .unwrap();
    assert!(
        page.title.starts_with("Alice's leave balances"),
        "{}",
        page.title
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_yearly_schedule_allocates_the_new_year() {
    let h = start().await;
    let alice = h.person("Alice").await.unwrap();
    let team = h
        .group(&h.admin(), "Team", &[&alice], json!({}))
        .await
        .unwrap();
    let hr = admin_session(&h, "en").await;
    let (status, _, _) = route(
        &h,
        &hr,
        "PUT",
        &format!("employees/{}", alice.id),
        json!({"hired": "2015-03-01"}),
    )
    .await;
    assert_eq!(status, 200);
    let before = balances(&h, &alice, &team, "2027-06-01").await;
    assert!(before.contains("Granted: 0 days"), "{before}");
    // Past 1 January, 01:00: the schedule runs once.
    let fired = h
        .advance(std::time::Duration::from_secs(40 * 24 * 3600))
        .await
        .unwrap();
    assert!(fired >= 1);
    // Hired in March 2015: more than ten years of seniority all through 2027, so 10 days.
    let after = balances(&h, &alice, &team, "2027-06-01").await;
    assert!(after.contains("Granted: 10 days"), "{after}");
    assert!(after.contains("2027 allocation"), "{after}");
}

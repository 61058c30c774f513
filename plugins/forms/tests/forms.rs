//! The forms plugin through a real in-process host: forms designed with every field type and
//! published to a group, filled in from the card (the host checks and computes), changed and
//! published again with old answers still read under their version, the answering rules,
//! drafts, deadlines, reminders, statistics and CSV export, anonymous surveys that never name
//! anyone, and bad input refused with nothing stored.

use courtyard_host::app::plugins::PluginReply;
use courtyard_host::app::plugins::surfaces::IssuedForm;
use courtyard_sdk::testing::{Harness, HttpRequest, TestGroup, TestPerson};
use serde_json::{Value, json};

const PLUGIN: &str = "forms";

async fn start() -> Harness {
    Harness::start(env!("CARGO_MANIFEST_DIR")).await.unwrap()
}

/// Calls a route as `who` in `group` (or outside any group): (status, JSON).
async fn call(
    h: &Harness,
    who: &TestPerson,
    group: Option<&TestGroup>,
    method: &str,
    path: &str,
    body: Value,
) -> (u16, Value) {
    let path = match group {
        Some(g) => {
            let sep = if path.contains('?') { '&' } else { '?' };
            format!("{path}{sep}group_id={}", g.id)
        }
        None => path.to_owned(),
    };
    let body = (!body.is_null()).then_some(body);
    let r = h.http(who, PLUGIN, method, &path, body).await.unwrap();
    let json =
        serde_json::from_slice(&r.body).unwrap_or_else(|_| json!(String::from_utf8_lossy(&r.body)));
    (r.status, json)
}

/// A route's raw body (CSV).
async fn raw(h: &Harness, who: &TestPerson, path: &str) -> (u16, Vec<u8>) {
    let r = h.http(who, PLUGIN, "GET", path, None).await.unwrap();
    (r.status, r.body)
}

/// Calls a route as `who` reading Chinese, with a raw body.
async fn call_zh(
    h: &Harness,
    who: &TestPerson,
    method: &str,
    path: &str,
    body: &str,
) -> (u16, Value) {
    let mut auth = who.auth().clone();
    auth.locale = "zh-CN".into();
    let (path, query) = path.split_once('?').unwrap_or((path, ""));
    let r = h
        .app
        .plugin_route(
            Some(&auth),
            None,
            PLUGIN,
            HttpRequest {
                method: method.into(),
                url: path.into(),
                query: query.into(),
                headers: vec![("content-type".into(), "application/json".into())],
                body: body.as_bytes().to_vec(),
                timeout_ms: 0,
            },
        )
        .await
        .unwrap();
    (
        r.status,
        serde_json::from_slice(&r.body).unwrap_or(Value::Null),
    )
}

/// The newest card in `group` whose title contains `title`: (message id, card).
async fn card(h: &Harness, who: &TestPerson, group: &TestGroup, title: &str) -> (String, Value) {
    h.messages(who, group)
        .await
        .unwrap()
        .into_iter()
        .find_map(|m| {
            let c = m.card?;
            c["title"].as_str()?.contains(title).then_some((m.id, c))
        })
        .unwrap_or_else(|| panic!("no card “{title}”"))
}

/// A card's title, fields, badges, texts and button ids as text.
fn card_text(card: &Value) -> String {
    let mut out = vec![card["title"].as_str().unwrap_or_default().to_owned()];
    for b in card["blocks"].as_array().into_iter().flatten() {
        match b["type"].as_str().unwrap_or_default() {
            "text" => out.push(b["text"].as_str().unwrap_or_default().into()),
            "badge" => out.push(format!("[{}]", b["text"].as_str().unwrap_or_default())),
            "fields" => {
                for f in b["fields"].as_array().into_iter().flatten() {
                    out.push(format!(
                        "{}: {}",
                        f["label"].as_str().unwrap_or_default(),
                        f["value"].as_str().unwrap_or_default()
                    ));
                }
            }
            "buttons" => {
                for x in b["buttons"].as_array().into_iter().flatten() {
                    out.push(format!("<{}>", x["action_id"].as_str().unwrap_or_default()));
                }
            }
            "form" => out.push(format!(
                "{{form {}}}",
                b["form"]["id"].as_str().unwrap_or_default()
            )),
            _ => {}
        }
    }
    out.join("\n")
}

/// A field of a rendered form.
fn field<'a>(form: &'a Value, name: &str) -> &'a Value {
    form["fields"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["name"] == name)
        .unwrap_or_else(|| panic!("no field {name} in {form}"))
}

/// Presses a button of a card and returns the form it answers with.
async fn press_form(
    h: &Harness,
    who: &TestPerson,
    message: &str,
    action: &str,
    value: &str,
) -> IssuedForm {
    let reply = h.press(who, message, action, value).await.unwrap();
    reply.form.expect("a form to fill in")
}

fn ephemeral(r: &PluginReply) -> String {
    r.ephemeral.clone().unwrap_or_default()
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}

/// A line of an answer's detail.
fn line<'a>(detail: &'a Value, name: &str) -> &'a Value {
    detail["lines"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["name"] == name)
        .unwrap_or_else(|| panic!("no line {name} in {detail}"))
}

/// One field of every kind the plugin knows, conditions and formulas included.
fn every_kind() -> Value {
    json!({
        "title": {"en": "Everything", "zh": "全部字段"},
        "description": {"en": "Each kind once", "zh": "每种字段一次"},
        "fields": [
            {"name": "no", "label": {"en": "No.", "zh": "编号"}, "kind": "serial",
             "serial": {"prefix": "QA", "date": false, "digits": 3}},
            {"name": "name", "label": {"en": "Name", "zh": "姓名"}, "kind": "text", "required": true, "max": 50},
            {"name": "notes", "label": {"en": "Notes", "zh": "备注"}, "kind": "textarea"},
            {"name": "count", "label": "Count", "kind": "number", "min": 0, "max": 100},
            {"name": "budget", "label": {"en": "Budget", "zh": "预算"}, "kind": "money", "min": 0, "show_capitals": true},
            {"name": "day", "label": "Day", "kind": "date"},
            {"name": "trip", "label": {"en": "Trip", "zh": "出差日期"}, "kind": "date_range"},
            {"name": "meet", "label": "Meeting", "kind": "datetime"},
            {"name": "color", "label": "Color", "kind": "select", "options": [
                {"value": "red", "label": {"en": "Red", "zh": "红色"}},
                {"value": "blue", "label": {"en": "Blue", "zh": "蓝色"}}]},
            {"name": "tags", "label": "Tags", "kind": "multi_select", "options": [
                {"value": "a", "label": "A"}, {"value": "b", "label": "B"}, {"value": "c", "label": "C"}]},
            {"name": "buddy", "label": "Buddy", "kind": "person"},
            {"name": "team", "label": "Team", "kind": "people"},
            {"name": "place", "label": "Group", "kind": "group"},
            {"name": "doc", "label": "Document", "kind": "file"},
            {"name": "agree", "label": "Agree", "kind": "checkbox"},
            {"name": "why", "label": "Why not", "kind": "text", "required": true,
             "visible_when": {"field": "agree", "values": ["false"]}},
            {"name": "dept", "label": {"en": "Department", "zh": "部门"}, "kind": "department"},
            {"name": "items", "label": {"en": "Items", "zh": "明细"}, "kind": "table", "min": 1, "columns": [
                {"name": "item", "label": {"en": "Item", "zh": "品名"}, "kind": "text", "required": true},
                {"name": "qty", "label": "Qty", "kind": "number", "required": true, "min": 0},
                {"name": "price", "label": "Price", "kind": "money", "required": true},
                {"name": "amount", "label": "Amount", "kind": "formula",
                 "formula": {"expression": "qty * price", "result": "money"}}]},
            {"name": "total", "label": {"en": "Total", "zh": "合计"}, "kind": "formula",
             "formula": {"expression": "sum(items.amount)", "result": "money"}, "show_capitals": true},
            {"name": "days", "label": "Trip days", "kind": "formula",
             "formula": {"expression": "trip", "result": "number"}}
        ]
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_field_type_through_the_host_and_versions_keep_old_answers_readable() {
    let h = start().await;
    let admin = h.admin();
    let alice = h.person("Alice").await.unwrap();
    let bob = h.person("Bob").await.unwrap();
    let carol = h.person("Carol").await.unwrap();
    let group = h
        .group(&alice, "Office", &[&bob, &carol], json!({}))
        .await
        .unwrap();
    let dept = h.department("研发部", None, None, &[&bob]).await.unwrap();
    // Departments are groups: with Forms enabled there, answers show its name.
    h.enable(&admin, &dept, PLUGIN, json!({})).await.unwrap();

    // Alice designs the form and publishes it to the group.
    let (status, created) = call(
        &h,
        &alice,
        Some(&group),
        "POST",
        "forms",
        json!({"definition": every_kind(), "settings": {"editable": true}}),
    )
    .await;
    assert_eq!(status, 201, "{created}");
    let id = created["id"].as_str().unwrap().to_owned();
    assert_eq!(
        created["form"]["settings"]["audience"]["groups"],
        json!([group.id])
    );
    assert!(created.get("secret").is_none() && !created.to_string().contains("secret"));
    let (status, published) = call(
        &h,
        &alice,
        None,
        "POST",
        &format!("forms/{id}/publish"),
        Value::Null,
    )
    .await;
    assert_eq!(status, 200, "{published}");
    assert_eq!(published["new_version"], 1);

    // The card is in the group with "Fill in"; Bob fills in the rendered form.
    let (card_id, c) = card(&h, &bob, &group, "Everything").await;
    let text = card_text(&c);
    assert!(
        text.contains("<fill>") && text.contains("Answers: 0"),
        "{text}"
    );
    let form = press_form(&h, &bob, &card_id, "fill", &id).await;
    assert_eq!(form.form["fields"].as_array().unwrap().len(), 20);
    let serial = field(&form.form, "no");
    assert_eq!(
        (serial["kind"].as_str(), serial["read_only"].as_bool()),
        (Some("text"), Some(true))
    );
    assert_eq!(serial["default"], "Assigned on submit");
    assert_eq!(field(&form.form, "total")["formula"]["result"], "money");
    assert!(
        field(&form.form, "budget")["help"]
            .as_str()
            .unwrap()
            .contains("大写")
    );
    let file = h
        .upload(&bob, "notes.txt", b"meeting notes".to_vec())
        .await
        .unwrap();
    let dept_id = dept.id.clone();
    let bobs = json!({
        "name": "Bob Zhang", "notes": "多行\n文本", "count": 7, "budget": "8000",
        "day": "2026-12-01", "trip": {"start": "2026-12-01", "end": "2026-12-03"},
        "meet": "2026-12-01T09:30", "color": "red", "tags": ["a", "c"],
        "buddy": carol.id, "team": [alice.id, carol.id], "place": group.id,
        "doc": file.id, "agree": true, "dept": dept_id,
        "items": [{"item": "Paper", "qty": 2, "price": "12.25"}, {"item": "笔", "qty": 10, "price": "120"}],
        "total": "999999.00"
    });
    let reply = h.submit(&bob, &form, bobs.clone()).await.unwrap();
    assert!(
        ephemeral(&reply).contains("QA-001"),
        "{}",
        ephemeral(&reply)
    );
    // The card counts the answer in place.
    let (same_card, c) = card(&h, &alice, &group, "Everything").await;
    assert_eq!(same_card, card_id);
    assert!(card_text(&c).contains("Answers: 1"), "{}", card_text(&c));

    // The answer as stored: normalised, formulas computed by the host (never the client's).
    let (status, list) = call(
        &h,
        &alice,
        None,
        "GET",
        &format!("forms/{id}/submissions"),
        Value::Null,
    )
    .await;
    assert_eq!(status, 200, "{list}");
    assert_eq!(list["total"], 1);
    let answer = &list["submissions"][0];
    let values = &answer["values"];
    assert_eq!(values["budget"], "8000.00");
    assert_eq!(values["items"][0]["amount"], "24.50");
    assert_eq!(values["items"][1]["amount"], "1200.00");
    assert_eq!(values["total"], "1224.50");
    assert_eq!(values["days"], 3);
    assert!(values.get("why").is_none_or(Value::is_null));
    assert_eq!(answer["respondent"]["id"], json!(bob.id));
    let sid = answer["id"].as_str().unwrap().to_owned();
    let (_, detail) = call(
        &h,
        &alice,
        None,
        "GET",
        &format!("forms/{id}/submissions/{sid}"),
        Value::Null,
    )
    .await;
    assert_eq!(line(&detail, "no")["text"], "QA-001");
    assert_eq!(line(&detail, "total")["capitals"], "壹仟贰佰贰拾肆元伍角");
    assert_eq!(line(&detail, "budget")["capitals"], "捌仟元整");
    assert_eq!(line(&detail, "trip")["days"], 3);
    assert_eq!(line(&detail, "color")["text"], "Red");
    assert_eq!(line(&detail, "tags")["text"], "A; C");
    assert_eq!(line(&detail, "buddy")["text"], "Carol");
    assert_eq!(line(&detail, "team")["text"], "Alice; Carol");
    assert_eq!(line(&detail, "place")["text"], "Office");
    assert_eq!(line(&detail, "dept")["text"], "研发部");
    assert_eq!(line(&detail, "doc")["text"], "notes.txt");
    assert_eq!(line(&detail, "agree")["text"], "Yes");
    assert!(
        line(&detail, "items")["text"]
            .as_str()
            .unwrap()
            .contains("Item: 笔, Qty: 10")
    );
    // The owner may open the files of the answers.
    assert_eq!(h.file(&alice, &file.id).await.unwrap().name, "notes.txt");

    // Version 2: a label and the options change, a field goes, one comes.
    let (_, got) = call(&h, &alice, None, "GET", &format!("forms/{id}"), Value::Null).await;
    let mut def = got["definition"].clone();
    let fields = def["fields"].as_array_mut().unwrap();
    fields.retain(|f| f["name"] != "notes");
    let color = fields.iter_mut().find(|f| f["name"] == "color").unwrap();
    color["label"] = json!({"en": "Colour", "zh": "颜色"});
    color["options"] =
        json!([{"value": "red", "label": "Crimson"}, {"value": "green", "label": "Green"}]);
    fields.push(json!({"name": "rating", "label": "Rating", "kind": "number", "min": 1, "max": 5}));
    let (status, body) = call(
        &h,
        &alice,
        None,
        "PUT",
        &format!("forms/{id}"),
        json!({"definition": def}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let (_, published) = call(
        &h,
        &alice,
        None,
        "POST",
        &format!("forms/{id}/publish"),
        Value::Null,
    )
    .await;
    assert_eq!(published["new_version"], 2);
    let (_, got) = call(&h, &bob, None, "GET", &format!("forms/{id}"), Value::Null).await;
    assert_eq!(got["versions"].as_array().unwrap().len(), 2);
    assert!(
        got.get("definition").is_none(),
        "only managers see the working copy"
    );
    // Bob's answer still reads under version 1: its labels, its options, its fields.
    let (_, detail) = call(
        &h,
        &alice,
        None,
        "GET",
        &format!("forms/{id}/submissions/{sid}"),
        Value::Null,
    )
    .await;
    assert_eq!(detail["version"], 1);
    assert_eq!(line(&detail, "color")["label"], "Color");
    assert_eq!(line(&detail, "color")["text"], "Red");
    assert_eq!(line(&detail, "notes")["text"], "多行\n文本");
    let (_, v1) = call(
        &h,
        &alice,
        None,
        "GET",
        &format!("forms/{id}/versions/1"),
        Value::Null,
    )
    .await;
    assert!(v1["definition"].to_string().contains("notes"));

    // Carol fills in version 2 from the web client: the `fill` page hands out the form.
    let page = h
        .page(&carol, &group, PLUGIN, "fill", &format!("form={id}"))
        .await
        .unwrap();
    let block = page.cards[0]["blocks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["type"] == "form")
        .unwrap()
        .clone();
    let issued = IssuedForm {
        form: block["form"].clone(),
        token: block["token"].as_str().unwrap().to_owned(),
    };
    assert_eq!(issued.form["value"], format!("{id}:2"));
    assert!(
        issued.form["fields"]
            .as_array()
            .unwrap()
            .iter()
            .all(|f| f["name"] != "notes")
    );
    let mut carols = bobs.clone();
    let o = carols.as_object_mut().unwrap();
    o.remove("notes");
    o.remove("doc");
    o.insert("name".into(), json!("Carol Li"));
    o.insert("color".into(), json!("green"));
    o.insert("rating".into(), json!(4));
    o.insert("agree".into(), json!(false));
    o.insert("why".into(), json!("太贵了, \"really\""));
    o.insert(
        "items".into(),
        json!([{"item": "Tea", "qty": 1, "price": "10"}]),
    );
    let reply = h.submit(&carol, &issued, carols).await.unwrap();
    assert!(
        ephemeral(&reply).contains("QA-002"),
        "{}",
        ephemeral(&reply)
    );

    // Bob changes his answer (the form is editable): the latest form, filled in with his.
    let form = press_form(&h, &bob, &card_id, "fill", &id).await;
    assert_eq!(field(&form.form, "name")["default"], "Bob Zhang");
    assert_eq!(field(&form.form, "no")["default"], "QA-001");
    let mut changed = bobs.clone();
    changed.as_object_mut().unwrap().remove("notes");
    changed["count"] = json!(9);
    changed["rating"] = json!(5);
    let reply = h.submit(&bob, &form, changed).await.unwrap();
    assert!(
        ephemeral(&reply).contains("changed"),
        "{}",
        ephemeral(&reply)
    );
    let (_, detail) = call(
        &h,
        &alice,
        None,
        "GET",
        &format!("forms/{id}/submissions/{sid}"),
        Value::Null,
    )
    .await;
    assert_eq!(
        (detail["version"].as_u64(), detail["edits"].as_u64()),
        (Some(2), Some(1))
    );
    assert_eq!(detail["serial"], "QA-001");
    assert!(card_text(&card(&h, &alice, &group, "Everything").await.1).contains("Answers: 2"));

    // Filters, statistics and the exports.
    let (_, found) = call(
        &h,
        &alice,
        None,
        "GET",
        &format!("forms/{id}/submissions?field=color&value=green"),
        Value::Null,
    )
    .await;
    assert_eq!(found["total"], 1);
    let (_, found) = call(
        &h,
        &alice,
        None,
        "GET",
        &format!("forms/{id}/submissions?q=carol"),
        Value::Null,
    )
    .await;
    assert_eq!(found["submissions"][0]["serial"], "QA-002");
    let (status, stats) = call(
        &h,
        &alice,
        None,
        "GET",
        &format!("forms/{id}/stats"),
        Value::Null,
    )
    .await;
    assert_eq!(status, 200, "{stats}");
    let stat = |name: &str| {
        stats["fields"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["name"] == name)
            .unwrap()
            .clone()
    };
    assert!(
        stat("total")["text"]
            .as_str()
            .unwrap()
            .contains("sum 1234.50"),
        "{}",
        stat("total")
    );
    assert!(
        stat("count")["text"].as_str().unwrap().contains("sum 16"),
        "{}",
        stat("count")
    );
    assert!(
        stat("color")["text"]
            .as_str()
            .unwrap()
            .contains("Crimson 1 (50%) · Green 1 (50%)")
    );
    let (status, csv) = raw(&h, &alice, &format!("forms/{id}/export.csv?lang=zh")).await;
    assert_eq!(status, 200);
    assert!(csv.starts_with("\u{feff}".as_bytes()));
    let csv = String::from_utf8(csv).unwrap();
    assert!(
        csv.contains("流水号")
            && csv.contains("合计（大写）")
            && csv.contains("壹仟贰佰贰拾肆元伍角"),
        "{csv}"
    );
    assert!(
        csv.contains("品名：笔，数量：10") || csv.contains("品名：笔，Qty：10"),
        "{csv}"
    );
    assert!(csv.contains("\"太贵了, \"\"really\"\"\""), "{csv}");
    assert_eq!(csv.lines().count(), 3);
    let (_, rows) = raw(&h, &alice, &format!("forms/{id}/export.csv?table=items")).await;
    let rows = String::from_utf8(rows).unwrap();
    assert!(rows.starts_with('\u{feff}') && rows.contains("Paper") && rows.contains("Tea"));
    assert_eq!(rows.lines().count(), 4, "{rows}");
    // Bob sees his own answer only, and no results.
    let (_, mine) = call(
        &h,
        &bob,
        None,
        "GET",
        &format!("forms/{id}/submissions"),
        Value::Null,
    )
    .await;
    assert_eq!(mine["total"], 1);
    let (status, _) = call(
        &h,
        &bob,
        None,
        "GET",
        &format!("forms/{id}/stats"),
        Value::Null,
    )
    .await;
    assert_eq!(status, 403);

    // The expense template: a formula table, a total in capitals, serial numbers per claim.
    let reply = h
        .command(&alice, &group, "/form new expense")
        .await
        .unwrap();
    let publish = reply.form.expect("the publish form");
    let reply = h
        .submit(
            &alice,
            &publish,
            json!({"deadline": "", "repeatable": true, "editable": true}),
        )
        .await
        .unwrap();
    let expense_id = ephemeral(&reply).rsplit(' ').next().unwrap().to_owned();
    let claim = |price: &str| {
        json!({"department": dept_id, "spent_on": "2026-11-30",
               "items": [{"item": "Taxi", "qty": 3, "price": price}], "note": "client visit"})
    };
    let mut serials = Vec::new();
    for price in ["45.5", "100"] {
        let form = h
            .command(&bob, &group, &format!("/form {expense_id}"))
            .await
            .unwrap()
            .form
            .unwrap();
        let reply = h.submit(&bob, &form, claim(price)).await.unwrap();
        serials.push(ephemeral(&reply));
    }
    assert!(
        serials[0].contains("BX-") && serials[0].contains("-0001"),
        "{serials:?}"
    );
    assert!(serials[1].contains("-0002"), "{serials:?}");
    let (_, list) = call(
        &h,
        &alice,
        None,
        "GET",
        &format!("forms/{expense_id}/submissions"),
        Value::Null,
    )
    .await;
    let totals: Vec<&str> = list["submissions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["values"]["total"].as_str().unwrap())
        .collect();
    assert_eq!(totals, ["300.00", "136.50"]);
    let (_, detail) = call(
        &h,
        &alice,
        None,
        "GET",
        &format!(
            "forms/{expense_id}/submissions/{}",
            list["submissions"][1]["id"].as_str().unwrap()
        ),
        Value::Null,
    )
    .await;
    assert_eq!(line(&detail, "total")["capitals"], "壹佰叁拾陆元伍角");
}

/// A full answer to the satisfaction survey.
fn satisfied(overall: &str) -> Value {
    json!({"overall": overall, "quality": "5", "service": "3", "speed": "4",
           "recommend": "yes", "comments": "不错"})
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_answer_each_drafts_deadline_reminders_and_statistics() {
    let h = start().await;
    let alice = h.person("Alice").await.unwrap();
    let bob = h.person("Bob").await.unwrap();
    let carol = h.person("Carol").await.unwrap();
    let dave = h.person("Dave").await.unwrap();
    let erin = h.person("Erin").await.unwrap();
    let frank = h.person("Frank").await.unwrap();
    let group = h
        .group(
            &alice,
            "Team",
            &[&bob, &carol, &dave, &erin, &frank],
            json!({}),
        )
        .await
        .unwrap();

    // `/form new` answers the publish form, with the template's deadline suggested.
    let reply = h
        .command(&alice, &group, "/form new satisfaction_survey")
        .await
        .unwrap();
    let publish = reply.form.expect("the publish form");
    let deadline = field(&publish.form, "deadline")["default"].clone();
    assert!(deadline.as_str().unwrap().ends_with("T18:00"), "{deadline}");
    let reply = h
        .submit(
            &alice,
            &publish,
            json!({"deadline": deadline, "repeatable": false, "editable": false}),
        )
        .await
        .unwrap();
    let id = ephemeral(&reply).rsplit(' ').next().unwrap().to_owned();
    let listed = ephemeral(&h.command(&bob, &group, "/form").await.unwrap());
    assert!(
        listed.contains("Satisfaction survey") && listed.contains(&id),
        "{listed}"
    );
    let (card_id, _) = card(&h, &bob, &group, "Satisfaction survey").await;

    // A draft: nothing required, not an answer; "Fill in" continues from it.
    let draft = press_form(&h, &bob, &card_id, "save_draft", &id).await;
    assert_eq!(draft.form["submit_label"], "Save draft");
    assert!(
        draft.form["fields"]
            .as_array()
            .unwrap()
            .iter()
            .all(|f| f["required"] == false)
    );
    let reply = h
        .submit(&bob, &draft, json!({"overall": "4", "comments": "半成品"}))
        .await
        .unwrap();
    assert!(ephemeral(&reply).contains("Draft saved"));
    let (_, mine) = call(
        &h,
        &bob,
        None,
        "GET",
        &format!("forms/{id}/draft"),
        Value::Null,
    )
    .await;
    assert_eq!(mine["draft"]["values"]["comments"], "半成品");
    let (_, stats) = call(
        &h,
        &alice,
        None,
        "GET",
        &format!("forms/{id}/stats"),
        Value::Null,
    )
    .await;
    assert_eq!(stats["answers"], 0, "a draft is not an answer");
    let form = press_form(&h, &bob, &card_id, "fill", &id).await;
    assert_eq!(field(&form.form, "overall")["default"], "4");
    assert_eq!(field(&form.form, "comments")["default"], "半成品");
    h.submit(&bob, &form, satisfied("4")).await.unwrap();
    let (_, mine) = call(
        &h,
        &bob,
        None,
        "GET",
        &format!("forms/{id}/draft"),
        Value::Null,
    )
    .await;
    assert!(mine["draft"].is_null(), "submitting replaces the draft");

    // One answer each, not editable: a second one is refused, also when replayed.
    let e = h.press(&bob, &card_id, "fill", &id).await.unwrap_err();
    assert!(e.to_string().contains("already answered"), "{e}");
    let e = h.submit(&bob, &form, satisfied("1")).await.unwrap_err();
    assert!(e.to_string().contains("already answered"), "{e}");

    // Two people at the same moment get different serial numbers; one person sending twice
    // at the same moment gets one answer.
    let (fc, fd) = (
        press_form(&h, &carol, &card_id, "fill", &id).await,
        press_form(&h, &dave, &card_id, "fill", &id).await,
    );
    let (rc, rd) = tokio::join!(
        h.submit(&carol, &fc, satisfied("5")),
        h.submit(&dave, &fd, satisfied("3"))
    );
    let (rc, rd) = (ephemeral(&rc.unwrap()), ephemeral(&rd.unwrap()));
    assert_ne!(rc.rsplit(" ").nth(2), rd.rsplit(" ").nth(2), "{rc} / {rd}");
    let (e1, e2) = (
        press_form(&h, &erin, &card_id, "fill", &id).await,
        press_form(&h, &erin, &card_id, "fill", &id).await,
    );
    let (r1, r2) = tokio::join!(
        h.submit(&erin, &e1, satisfied("5")),
        h.submit(&erin, &e2, satisfied("2"))
    );
    assert_eq!(r1.is_ok() as u8 + r2.is_ok() as u8, 1, "{r1:?} {r2:?}");
    let (_, list) = call(
        &h,
        &alice,
        None,
        "GET",
        &format!("forms/{id}/submissions"),
        Value::Null,
    )
    .await;
    assert_eq!(list["total"], 4);
    let (_, got) = call(&h, &alice, None, "GET", &format!("forms/{id}"), Value::Null).await;
    assert_eq!(got["answers"], 4);
    assert!(
        card_text(&card(&h, &alice, &group, "Satisfaction survey").await.1).contains("Answers: 4")
    );

    // Statistics per field.
    let (_, stats) = call(
        &h,
        &alice,
        None,
        "GET",
        &format!("forms/{id}/stats"),
        Value::Null,
    )
    .await;
    let overall = stats["fields"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["name"] == "overall")
        .unwrap();
    let counts: Vec<u64> = overall["summary"]["Choices"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["count"].as_u64().unwrap())
        .collect();
    assert_eq!(counts.iter().sum::<u64>(), 4);
    assert_eq!(counts[4 - 3], 1, "one 3 ({overall})");
    assert!(
        overall["text"].as_str().unwrap().contains("4 answered"),
        "{overall}"
    );
    let results = ephemeral(&h.press(&alice, &card_id, "results", &id).await.unwrap());
    assert!(results.contains("Not answered yet: 2"), "{results}");
    assert!(
        h.press(&bob, &card_id, "results", &id).await.is_err(),
        "results are the owner's"
    );
    let page = h
        .page(&alice, &group, PLUGIN, "results", &format!("form={id}"))
        .await
        .unwrap();
    let page_text: String = page.cards.iter().map(card_text).collect();
    assert!(
        page_text.contains("Not answered: Alice, Frank"),
        "{page_text}"
    );

    // Who has not answered, and a reminder to each of them only.
    let (status, o) = call(
        &h,
        &alice,
        None,
        "GET",
        &format!("forms/{id}/outstanding"),
        Value::Null,
    )
    .await;
    assert_eq!(status, 200, "{o}");
    assert_eq!(
        (o["audience"].as_u64(), o["pending"].as_u64()),
        (Some(6), Some(2))
    );
    let mut names: Vec<&str> = o["people"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    names.sort();
    assert_eq!(names, ["Alice", "Frank"]);
    let (status, sent) = call(
        &h,
        &alice,
        None,
        "POST",
        &format!("forms/{id}/remind"),
        json!({}),
    )
    .await;
    assert_eq!((status, sent["sent"].as_u64()), (200, Some(2)), "{sent}");
    assert!(h.inbox(&bob, PLUGIN).await.unwrap().is_empty());
    let inbox = h.inbox(&frank, PLUGIN).await.unwrap();
    let reminder = inbox
        .iter()
        .find(|m| {
            m.card
                .as_ref()
                .is_some_and(|c| card_text(c).contains("Reminder"))
        })
        .unwrap();
    assert!(card_text(reminder.card.as_ref().unwrap()).contains("{form answer}"));
    // Frank answers right on the reminder card; it says so.
    let reply = h
        .submit_on_card(&frank, &reminder.id, "answer", satisfied("5"))
        .await
        .unwrap();
    let updated = reply.message.expect("the card, updated");
    assert!(card_text(updated.card.as_ref().unwrap()).contains("[Answered]"));

    // The `mine` page: what I answered and what is left.
    let page = h.page(&bob, &group, PLUGIN, "mine", "").await.unwrap();
    let page_text: String = page.cards.iter().map(card_text).collect();
    assert!(page_text.contains("Nothing to fill in"), "{page_text}");

    // The deadline: a form handed out before it cannot be sent after it; the reminder a
    // day before reached whoever had not answered.
    let late = press_form(&h, &alice, &card_id, "fill", &id).await;
    let (_, got) = call(&h, &alice, None, "GET", &format!("forms/{id}"), Value::Null).await;
    let due = got["form"]["settings"]["deadline_ms"].as_i64().unwrap();
    let half_a_day_before =
        std::time::Duration::from_millis((due - now_ms() - 12 * 3_600_000) as u64);
    assert_eq!(
        h.advance(half_a_day_before).await.unwrap(),
        1,
        "the reminder a day before"
    );
    assert_eq!(
        h.advance(std::time::Duration::from_secs(86_400))
            .await
            .unwrap(),
        1,
        "the deadline"
    );
    let e = h.submit(&alice, &late, satisfied("5")).await.unwrap_err();
    assert!(e.to_string().contains("deadline"), "{e}");
    assert!(h.press(&alice, &card_id, "fill", &id).await.is_err());
    assert_eq!(
        h.inbox(&alice, PLUGIN).await.unwrap().len(),
        2,
        "one reminder by hand, one by the timer"
    );
    let text = card_text(&card(&h, &alice, &group, "Satisfaction survey").await.1);
    assert!(
        text.contains("[Deadline passed]") && !text.contains("<fill>"),
        "{text}"
    );
    let (_, list) = call(
        &h,
        &alice,
        None,
        "GET",
        &format!("forms/{id}/submissions"),
        Value::Null,
    )
    .await;
    assert_eq!(list["total"], 5);
    let (status, csv) = raw(&h, &alice, &format!("forms/{id}/export.csv")).await;
    let csv = String::from_utf8(csv).unwrap();
    assert_eq!(status, 200);
    assert!(
        csv.starts_with('\u{feff}') && csv.contains("Frank") && csv.contains("不错"),
        "{csv}"
    );
    let (status, closed) = call(
        &h,
        &alice,
        None,
        "POST",
        &format!("forms/{id}/close"),
        Value::Null,
    )
    .await;
    assert_eq!(
        (status, closed["form"]["status"].as_str()),
        (200, Some("closed"))
    );
    assert!(
        card_text(&card(&h, &alice, &group, "Satisfaction survey").await.1).contains("[Closed]")
    );
}

/// An answer to the anonymous survey.
fn candid(satisfaction: &str, text: &str) -> Value {
    json!({"satisfaction": satisfaction, "workload": "heavy", "suggestions": text})
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn anonymous_answers_never_name_anyone() {
    let h = start().await;
    let admin = h.admin();
    let alice = h.person("Alice").await.unwrap();
    let bob = h.person("Bob Wang").await.unwrap();
    let carol = h.person("Carol Li").await.unwrap();
    let dave = h.person("Dave Sun").await.unwrap();
    let erin = h.person("Erin Zhao").await.unwrap();
    let group = h
        .group(&alice, "Everyone", &[&bob, &carol, &dave, &erin], json!({}))
        .await
        .unwrap();
    let (status, created) = call(
        &h,
        &alice,
        Some(&group),
        "POST",
        "forms",
        json!({"template": "anonymous_survey"}),
    )
    .await;
    assert_eq!(status, 201, "{created}");
    let id = created["id"].as_str().unwrap().to_owned();
    let (status, _) = call(
        &h,
        &alice,
        None,
        "POST",
        &format!("forms/{id}/publish"),
        Value::Null,
    )
    .await;
    assert_eq!(status, 200);
    let (card_id, c) = card(&h, &bob, &group, "Anonymous survey").await;
    assert!(card_text(&c).contains("nobody, administrators included"));

    let answer = |who: &TestPerson, text: &str| {
        let (who, text) = (who.clone(), text.to_owned());
        let (h, card_id, id) = (&h, card_id.clone(), id.clone());
        async move {
            let form = press_form(h, &who, &card_id, "fill", &id).await;
            h.submit(&who, &form, candid("2", &text)).await
        }
    };
    answer(&bob, "Bob's own words").await.unwrap();
    // Too few answers to show anything: they would name people by elimination.
    for path in ["stats", "submissions", "export.csv"] {
        let (status, body) = call(
            &h,
            &alice,
            None,
            "GET",
            &format!("forms/{id}/{path}"),
            Value::Null,
        )
        .await;
        assert_eq!(status, 403, "{path}: {body}");
        assert_eq!(body["code"], "too_few_answers");
    }
    let bobs_form = press_form(&h, &carol, &card_id, "fill", &id).await;
    h.submit(&carol, &bobs_form, candid("4", "Carol's own words"))
        .await
        .unwrap();
    // One answer each, although nothing links Bob to his answer.
    let e = h.press(&bob, &card_id, "fill", &id).await.unwrap_err();
    assert!(e.to_string().contains("already answered"), "{e}");
    let e = h
        .submit(&carol, &bobs_form, candid("1", "again"))
        .await
        .unwrap_err();
    assert!(e.to_string().contains("already answered"), "{e}");
    answer(&dave, "Dave's own words").await.unwrap();

    // Three answers: results, with nobody in them — not in any answer the API gives.
    let people = [&bob, &carol, &dave];
    let named = |text: &str| {
        people
            .iter()
            .any(|p| text.contains(&p.id) || text.contains(&p.name))
    };
    let (status, list) = call(
        &h,
        &admin,
        None,
        "GET",
        &format!("forms/{id}/submissions"),
        Value::Null,
    )
    .await;
    assert_eq!((status, list["total"].as_u64()), (200, Some(3)), "{list}");
    assert!(!named(&list.to_string()), "{list}");
    for s in list["submissions"].as_array().unwrap() {
        assert!(s["respondent"].is_null());
        assert_eq!(
            s["submitted_at_ms"].as_i64().unwrap() % 3_600_000,
            0,
            "times are coarse"
        );
        let (_, one) = call(
            &h,
            &alice,
            None,
            "GET",
            &format!("forms/{id}/submissions/{}", s["id"].as_str().unwrap()),
            Value::Null,
        )
        .await;
        assert!(
            one["respondent"].is_null() && !named(&one.to_string()),
            "{one}"
        );
    }
    let (_, by_bob) = call(
        &h,
        &alice,
        None,
        "GET",
        &format!("forms/{id}/submissions?respondent={}", bob.id),
        Value::Null,
    )
    .await;
    assert_eq!(by_bob["total"], 0);
    let (_, own) = call(
        &h,
        &bob,
        None,
        "GET",
        &format!("forms/{id}/submissions"),
        Value::Null,
    )
    .await;
    assert_eq!(own["total"], 0, "not even Bob finds his answer");
    let (status, stats) = call(
        &h,
        &alice,
        None,
        "GET",
        &format!("forms/{id}/stats"),
        Value::Null,
    )
    .await;
    assert_eq!(status, 200);
    assert!(!named(&stats.to_string()));
    let (_, csv) = raw(&h, &alice, &format!("forms/{id}/export.csv")).await;
    let csv = String::from_utf8(csv).unwrap();
    assert!(
        csv.contains("Carol's own words") && !named(&csv.replace("Carol's own words", "")),
        "{csv}"
    );
    let (_, form) = call(&h, &admin, None, "GET", &format!("forms/{id}"), Value::Null).await;
    assert!(
        !form.to_string().contains("secret") && !named(&form.to_string()),
        "{form}"
    );
    let (_, listed) = call(&h, &admin, None, "GET", "forms", Value::Null).await;
    assert!(!listed.to_string().contains("secret"));
    // The organization's export holds the answers and the respondent keys, never the
    // secret that would link a key back to a person (it is in sealed storage), and no
    // answer names anyone.
    let export = h.export().await.unwrap();
    let records = &export["plugin_records.jsonl"];
    assert!(
        records.contains("Carol's own words"),
        "answers are exported"
    );
    for line in records.lines().filter(|l| l.contains(&id)) {
        let row: Value = serde_json::from_str(line).unwrap();
        let data = &row["data"];
        assert!(
            data["secret"].as_str().is_none_or(str::is_empty),
            "no form secret in the export: {line}"
        );
    }
    assert!(
        !export["plugin_kv.jsonl"].contains("sealed/"),
        "sealed storage stays home"
    );

    // Who has not answered: a count, never names; the reminder reaches them all the same.
    let (_, o) = call(
        &h,
        &alice,
        None,
        "GET",
        &format!("forms/{id}/outstanding"),
        Value::Null,
    )
    .await;
    assert_eq!(
        (o["pending"].as_u64(), o["answered"].as_u64()),
        (Some(2), Some(3))
    );
    assert!(o["people"].is_null(), "{o}");
    let (_, sent) = call(
        &h,
        &alice,
        None,
        "POST",
        &format!("forms/{id}/remind"),
        json!({}),
    )
    .await;
    assert_eq!(
        (sent["sent"].as_u64(), &sent["people"]),
        (Some(2), &Value::Null),
        "{sent}"
    );
    assert_eq!(h.inbox(&erin, PLUGIN).await.unwrap().len(), 1);
    assert!(h.inbox(&bob, PLUGIN).await.unwrap().is_empty());
    // Bob's page knows he answered, and not what.
    let page = h.page(&bob, &group, PLUGIN, "mine", "").await.unwrap();
    let text: String = page.cards.iter().map(card_text).collect();
    assert!(text.contains("Nothing to fill in"), "{text}");

    // Anonymity is fixed once published; anonymous forms take no files.
    let (status, body) = call(
        &h,
        &alice,
        None,
        "PUT",
        &format!("forms/{id}"),
        json!({"settings": {"audience": {"groups": [group.id]}, "anonymous": false}}),
    )
    .await;
    assert_eq!(
        (status, body["errors"][0]["code"].as_str()),
        (400, Some("anonymous_locked")),
        "{body}"
    );
    let mut with_file = created["definition"].clone();
    with_file["fields"]
        .as_array_mut()
        .unwrap()
        .push(json!({"name": "photo", "label": "Photo", "kind": "file"}));
    let (status, body) = call(
        &h,
        &alice,
        None,
        "PUT",
        &format!("forms/{id}"),
        json!({"definition": with_file}),
    )
    .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (400, Some("anonymous_file")),
        "{body}"
    );
    assert_eq!(body["errors"][0]["path"], "photo");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_input_is_refused_clearly_with_nothing_stored() {
    let h = start().await;
    let alice = h.person("Alice").await.unwrap();
    let bob = h.person("Bob").await.unwrap();
    let dave = h.person("Dave").await.unwrap();
    let gus = h.guest("Gus").await.unwrap();
    let group = h
        .group(&alice, "Office", &[&bob, &gus], json!({}))
        .await
        .unwrap();
    let elsewhere = h.group(&dave, "Elsewhere", &[], json!({})).await.unwrap();
    let plain = h.team(&alice, "No forms here", &[&bob]).await.unwrap();

    // Definitions: every problem, each naming its field.
    let bad = json!({"title": " ", "fields": [
        {"name": "a", "label": "A", "kind": "number", "min": 5, "max": 1},
        {"name": "a", "label": "Again", "kind": "text"},
        {"name": "t", "label": "Total", "kind": "formula", "formula": {"expression": "x + 1", "result": "number"}},
        {"name": "s", "label": "Pick", "kind": "select"}
    ]});
    let (status, body) = call(
        &h,
        &alice,
        Some(&group),
        "POST",
        "forms",
        json!({"definition": bad}),
    )
    .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (400, Some("invalid")),
        "{body}"
    );
    let problems: Vec<(String, String)> = body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["path"].as_str().unwrap().to_owned(),
                e["code"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    for expected in [
        ("", "title_missing"),
        ("a", "min_above_max"),
        ("a", "duplicate_name"),
        ("t", "formula_unknown_field"),
        ("s", "options_missing"),
    ] {
        assert!(
            problems.contains(&(expected.0.into(), expected.1.into())),
            "{expected:?} in {problems:?}"
        );
    }
    let (status, body) = call(&h, &alice, Some(&group), "POST", "forms", json!({"definition": {"title": "T", "fields": [{"name": "r", "label": "R", "kind": "rating"}]}})).await;
    assert_eq!(
        (status, body["errors"][0]["code"].as_str()),
        (400, Some("unknown_kind")),
        "{body}"
    );
    let (status, body) = call_zh(
        &h,
        &alice,
        "POST",
        "forms",
        "{\"definition\": {\"title\": \"T\", \"fields\": []}}",
    )
    .await;
    assert_eq!(
        (status, body["message"].as_str()),
        (400, Some("请至少添加一个字段。")),
        "{body}"
    );
    let (status, body) = call_zh(&h, &alice, "POST", "forms", "{not json").await;
    assert_eq!(
        (status, body["code"].as_str()),
        (400, Some("invalid_json")),
        "{body}"
    );
    let (status, body) = call(
        &h,
        &alice,
        Some(&group),
        "POST",
        "forms",
        json!({"template": "weekly"}),
    )
    .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (404, Some("unknown_template")),
        "{body}"
    );
    let (status, body) = call(
        &h,
        &alice,
        Some(&group),
        "POST",
        "forms",
        json!({"template": "daily_report", "settings": {"anonymous": true, "editable": true}}),
    )
    .await;
    assert_eq!(
        (status, body["errors"][0]["code"].as_str()),
        (400, Some("anonymous_editable")),
        "{body}"
    );
    let (status, body) = call(
        &h,
        &alice,
        Some(&group),
        "POST",
        "forms",
        json!({"template": "daily_report", "settings": {"anonymus": true}}),
    )
    .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (400, Some("invalid_settings")),
        "{body}"
    );
    let (status, _) = call(
        &h,
        &gus,
        Some(&group),
        "POST",
        "forms",
        json!({"template": "daily_report"}),
    )
    .await;
    assert_eq!(status, 403, "guests do not design forms");
    assert!(
        h.command(&gus, &group, "/form new daily_report")
            .await
            .is_err()
    );
    let (_, list) = call(&h, &alice, None, "GET", "forms", Value::Null).await;
    assert_eq!(list["forms"], json!([]), "nothing was stored");

    // Publishing: an audience is needed, groups must have Forms enabled, the deadline ahead.
    let (status, created) = call(
        &h,
        &alice,
        None,
        "POST",
        "forms",
        json!({"template": "event_signup"}),
    )
    .await;
    assert_eq!(status, 201, "{created}");
    let id = created["id"].as_str().unwrap().to_owned();
    let publish = format!("forms/{id}/publish");
    let (status, body) = call(&h, &alice, None, "POST", &publish, Value::Null).await;
    assert_eq!(
        (status, body["errors"][0]["code"].as_str()),
        (400, Some("audience_empty")),
        "{body}"
    );
    let settings = |groups: Vec<&str>, deadline: i64| json!({"settings": {"audience": {"groups": groups}, "editable": true, "deadline_ms": deadline}});
    let (status, _) = call(
        &h,
        &alice,
        None,
        "PUT",
        &format!("forms/{id}"),
        settings(vec![&plain.id], now_ms() + 86_400_000),
    )
    .await;
    assert_eq!(status, 200);
    let (status, body) = call(&h, &alice, None, "POST", &publish, Value::Null).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (400, Some("group_not_enabled")),
        "{body}"
    );
    call(
        &h,
        &alice,
        None,
        "PUT",
        &format!("forms/{id}"),
        settings(vec![&group.id], now_ms() - 60_000),
    )
    .await;
    let (status, body) = call(&h, &alice, None, "POST", &publish, Value::Null).await;
    assert_eq!(
        (status, body["errors"][0]["code"].as_str()),
        (400, Some("deadline_passed")),
        "{body}"
    );
    let (_, got) = call(&h, &alice, None, "GET", &format!("forms/{id}"), Value::Null).await;
    assert_eq!(
        (
            got["form"]["status"].as_str(),
            got["versions"].as_array().map(Vec::len)
        ),
        (Some("draft"), Some(0))
    );
    let (status, _) = call(&h, &bob, None, "POST", &publish, Value::Null).await;
    assert_eq!(status, 404, "Bob may not even see a draft that is not his");
    call(
        &h,
        &alice,
        None,
        "PUT",
        &format!("forms/{id}"),
        settings(vec![&group.id], now_ms() + 86_400_000),
    )
    .await;
    let (status, body) = call(&h, &alice, None, "POST", &publish, Value::Null).await;
    assert_eq!(status, 200, "{body}");
    let (status, _) = call(
        &h,
        &bob,
        None,
        "POST",
        &format!("forms/{id}/close"),
        Value::Null,
    )
    .await;
    assert_eq!(status, 403, "only its owner or an admin closes it");
    let (status, _) = call(
        &h,
        &bob,
        None,
        "GET",
        &format!("forms/{id}/stats"),
        Value::Null,
    )
    .await;
    assert_eq!(status, 403);

    // Answers that fail the form: the host says what is wrong, nothing is stored.
    let (card_id, _) = card(&h, &bob, &group, "Event sign-up").await;
    let form = press_form(&h, &bob, &card_id, "fill", &id).await;
    let good = json!({"name": "Bob", "phone": "13800138000", "attendees": 2, "dietary": ["allergy"], "allergy": "花生"});
    for (name, bad) in [
        ("missing", json!({"name": "Bob", "attendees": 2})),
        (
            "phone",
            json!({"name": "Bob", "phone": "12345", "attendees": 2}),
        ),
        (
            "too many",
            json!({"name": "Bob", "phone": "13800138000", "attendees": 11}),
        ),
        (
            "option",
            json!({"name": "Bob", "phone": "13800138000", "attendees": 1, "dietary": ["caviar"]}),
        ),
        (
            "condition",
            json!({"name": "Bob", "phone": "13800138000", "attendees": 1, "dietary": ["allergy"]}),
        ),
        (
            "unknown",
            json!({"name": "Bob", "phone": "13800138000", "attendees": 1, "shoe_size": 42}),
        ),
    ] {
        let e = h.submit(&bob, &form, bad).await.unwrap_err();
        assert!(
            matches!(e, courtyard_sdk::testing::AppError::InvalidForm(_)),
            "{name}: {e:?}"
        );
    }
    let (_, list) = call(
        &h,
        &alice,
        None,
        "GET",
        &format!("forms/{id}/submissions"),
        Value::Null,
    )
    .await;
    assert_eq!(list["total"], 0);
    h.submit(&bob, &form, good.clone()).await.unwrap();
    // Someone the form is not for cannot answer it, from anywhere.
    let e = h
        .command(&dave, &elsewhere, &format!("/form {id}"))
        .await
        .unwrap_err();
    assert!(e.to_string().contains("not addressed to you"), "{e}");
    let (status, _) = call(&h, &dave, None, "GET", &format!("forms/{id}"), Value::Null).await;
    assert_eq!(status, 404);
    // A closed form takes nothing, not even a form handed out before it closed.
    let again = press_form(&h, &bob, &card_id, "fill", &id).await;
    let (status, _) = call(
        &h,
        &alice,
        None,
        "POST",
        &format!("forms/{id}/close"),
        Value::Null,
    )
    .await;
    assert_eq!(status, 200);
    let e = h.submit(&bob, &again, good).await.unwrap_err();
    assert!(e.to_string().contains("closed"), "{e}");
    let (_, list) = call(
        &h,
        &alice,
        None,
        "GET",
        &format!("forms/{id}/submissions"),
        Value::Null,
    )
    .await;
    assert_eq!(
        (
            list["total"].as_u64(),
            list["submissions"][0]["edits"].as_u64()
        ),
        (Some(1), Some(0))
    );
    let (status, body) = call(
        &h,
        &alice,
        None,
        "POST",
        &format!("forms/{id}/close"),
        Value::Null,
    )
    .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (400, Some("illegal_status")),
        "{body}"
    );
    let (status, body) = call(&h, &alice, None, "GET", "forms/nope", Value::Null).await;
    assert_eq!((status, body["code"].as_str()), (404, Some("not_found")));
    let (status, _) = call(
        &h,
        &alice,
        None,
        "GET",
        &format!("forms/{id}/export.csv?table=nope"),
        Value::Null,
    )
    .await;
    assert_eq!(status, 404);

    // A form addressed to a person: the invitation in their direct conversation carries the
    // form, answered right there (a daily report: again and again).
    let (_, daily) = call(
        &h,
        &alice,
        None,
        "POST",
        "forms",
        json!({"template": "daily_report", "settings": {"audience": {"people": [dave.id]}, "repeatable": true}}),
    )
    .await;
    let daily_id = daily["id"].as_str().unwrap().to_owned();
    let (status, _) = call(
        &h,
        &alice,
        None,
        "POST",
        &format!("forms/{daily_id}/publish"),
        Value::Null,
    )
    .await;
    assert_eq!(status, 200);
    let inbox = h.inbox(&dave, PLUGIN).await.unwrap();
    let invitation = &inbox[0];
    assert!(card_text(invitation.card.as_ref().unwrap()).contains("{form answer}"));
    let report =
        json!({"report_date": "2026-11-30", "today": "对账", "tomorrow": "盘点", "hours": 7.5});
    let reply = h
        .submit_on_card(&dave, &invitation.id, "answer", report.clone())
        .await
        .unwrap();
    assert!(card_text(reply.message.unwrap().card.as_ref().unwrap()).contains("[Answered]"));
    let form = press_form(&h, &dave, &invitation.id, "fill", &daily_id).await;
    h.submit(&dave, &form, report).await.unwrap();
    let (_, list) = call(
        &h,
        &alice,
        None,
        "GET",
        &format!("forms/{daily_id}/submissions"),
        Value::Null,
    )
    .await;
    assert_eq!(list["total"], 2);
    let e = h
        .submit_on_card(&bob, &invitation.id, "answer", json!({}))
        .await
        .unwrap_err();
    assert!(e.to_string().contains("not found"), "{e}");
}

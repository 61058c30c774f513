//! What the leave plugin's harness tests share: signed-in sessions for the routes, and
//! readers for cards, forms and pages.
//!
//! The SDK harness runs commands, forms and pages as a `TestPerson`, but has no way to call
//! a plugin's HTTP routes or to act in Chinese; these helpers sign in through the host's
//! own API for that (the harness admin with the harness's fixed credentials, others created
//! here with credentials of their own).

#![allow(dead_code)]

use courtyard_host::app::auth::Auth;
use courtyard_host::app::groups::AddMember;
use courtyard_host::app::people::CreatePerson;
use courtyard_host::app::plugins::{PluginReply, RunCommand};
use courtyard_runtime::api::HttpRequest;
use courtyard_sdk::testing::{Harness, TestGroup, TestPerson};
use serde_json::{Value, json};

/// The harness's organization admin signs in with these (see `courtyard_sdk::testing`).
const ADMIN_EMAIL: &str = "admin@harness.example.com";
const PASSWORD: &str = "harness password 1234";

pub async fn start() -> Harness {
    Harness::start(env!("CARGO_MANIFEST_DIR")).await.unwrap()
}

/// A session of the harness admin (HR), in `locale`.
pub async fn admin_session(h: &Harness, locale: &str) -> Auth {
    let session = h.app.login(ADMIN_EMAIL, PASSWORD, None).await.unwrap();
    let mut auth = h.app.authenticate(&session.token).await.unwrap();
    auth.locale = locale.into();
    auth
}

/// A member created here, signed in, in `locale`: (id, session).
pub async fn member_session(h: &Harness, name: &str, email: &str, locale: &str) -> (String, Auth) {
    let admin = admin_session(h, "en").await;
    let created = h
        .app
        .create_person(
            &admin,
            &h.org_id,
            CreatePerson {
                email: email.into(),
                display_name: name.into(),
                password: Some("a long test password".into()),
                role: Some("member".into()),
                title: None,
                department_id: None,
                phone: None,
                avatar_url: None,
                company: None,
            },
        )
        .await
        .unwrap();
    let session = h
        .app
        .login(email, "a long test password", None)
        .await
        .unwrap();
    let mut auth = h.app.authenticate(&session.token).await.unwrap();
    auth.locale = locale.into();
    (created.id, auth)
}

/// Adds someone to a group the harness admin owns.
pub async fn add_member(h: &Harness, group: &TestGroup, person_id: &str) {
    let admin = admin_session(h, "en").await;
    h.app
        .add_member(
            &admin,
            &group.id,
            AddMember {
                person_id: person_id.into(),
                role: None,
            },
        )
        .await
        .unwrap();
}

/// Runs a slash command with a session of our own (e.g. in Chinese).
pub async fn command_as(
    h: &Harness,
    auth: &Auth,
    group: &TestGroup,
    text: &str,
) -> Result<PluginReply, courtyard_sdk::testing::AppError> {
    h.app
        .run_command(auth, &group.id, RunCommand { text: text.into() })
        .await
}

/// Calls one of the leave plugin's routes: (status, JSON or null, body text).
pub async fn route(
    h: &Harness,
    auth: &Auth,
    method: &str,
    path: &str,
    body: Value,
) -> (u16, Value, String) {
    let response = raw_route(h, auth, method, path, body).await;
    let text = String::from_utf8(response.body.clone()).unwrap();
    let json = serde_json::from_str(&text).unwrap_or(Value::Null);
    (response.status, json, text)
}

/// Calls one of the leave plugin's routes and returns the whole response.
pub async fn raw_route(
    h: &Harness,
    auth: &Auth,
    method: &str,
    path: &str,
    body: Value,
) -> courtyard_runtime::api::HttpResponse {
    let (path, query) = path.split_once('?').unwrap_or((path, ""));
    let request = HttpRequest {
        method: method.into(),
        url: path.into(),
        query: query.into(),
        headers: vec![("content-type".into(), "application/json".into())],
        body: if body.is_null() {
            Vec::new()
        } else {
            serde_json::to_vec(&body).unwrap()
        },
        timeout_ms: 0,
    };
    h.app
        .plugin_route(Some(auth), None, "leave", request)
        .await
        .unwrap()
}

/// `/leave` with `args`, then the form submitted with `values`.
pub async fn request_leave(
    h: &Harness,
    person: &TestPerson,
    group: &TestGroup,
    values: Value,
) -> Result<PluginReply, courtyard_sdk::testing::AppError> {
    let reply = h.command(person, group, "/leave").await.unwrap();
    let form = reply.form.expect("/leave answers a form");
    h.submit(person, &form, values).await
}

/// Form values for leave by the day, from the morning of `from` to the evening of `to`.
pub fn days(leave_type: &str, from: &str, to: &str) -> Value {
    json!({
        "leave_type": leave_type, "from_date": from, "from_half": "am",
        "to_date": to, "to_half": "pm",
    })
}

/// The help text a re-shown form has next to `field`.
pub fn help(reply: &PluginReply, field: &str) -> String {
    let form = &reply.form.as_ref().expect("the form again").form;
    form["fields"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["name"] == field)
        .and_then(|f| f["help"].as_str())
        .unwrap_or_default()
        .to_owned()
}

/// A card's title, fields, badges, table rows and button ids as text.
pub fn card_text(card: &Value) -> String {
    let mut out = vec![card["title"].as_str().unwrap_or_default().to_owned()];
    for b in card["blocks"].as_array().into_iter().flatten() {
        match b["type"].as_str().unwrap_or_default() {
            "text" => out.push(b["text"].as_str().unwrap_or_default().into()),
            "fields" => {
                for f in b["fields"].as_array().into_iter().flatten() {
                    out.push(format!(
                        "{}: {}",
                        f["label"].as_str().unwrap_or_default(),
                        f["value"].as_str().unwrap_or_default()
                    ));
                }
            }
            "badge" => out.push(format!("[{}]", b["text"].as_str().unwrap_or_default())),
            "buttons" => {
                for button in b["buttons"].as_array().into_iter().flatten() {
                    out.push(format!(
                        "<{}>",
                        button["action_id"].as_str().unwrap_or_default()
                    ));
                }
            }
            "table" => {
                for row in b["rows"].as_array().into_iter().flatten() {
                    let cells: Vec<&str> = row
                        .as_array()
                        .into_iter()
                        .flatten()
                        .map(|c| c.as_str().unwrap_or_default())
                        .collect();
                    out.push(cells.join(" | "));
                }
            }
            _ => {}
        }
    }
    out.join("\n")
}

/// Every card of a page as text.
pub fn page_text(cards: &[Value]) -> String {
    cards
        .iter()
        .map(card_text)
        .collect::<Vec<_>>()
        .join("\n---\n")
}

/// Sets up HR: the employee record and leave granted by an adjustment effective `from`.
pub async fn grant(
    h: &Harness,
    hr: &Auth,
    person_id: &str,
    leave_type: &str,
    amount: f64,
    from: &str,
) {
    let (status, body, _) = route(
        h,
        hr,
        "POST",
        "adjustments",
        json!({"person_id": person_id, "leave_type": leave_type, "amount": amount,
               "reason": "opening balance", "effective": from}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
}

/// The `balances` page of `person` as of a date, as text.
pub async fn balances(h: &Harness, person: &TestPerson, group: &TestGroup, as_of: &str) -> String {
    let page = h
        .page(
            person,
            group,
            "leave",
            "balances",
            &format!("as_of={as_of}"),
        )
        .await
        .unwrap();
    page_text(&page.cards)
}

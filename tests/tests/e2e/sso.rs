//! Single sign-on against a real OpenID Connect provider (the npm `oidc-provider`, run by
//! `common::external`): configuration checks, account linking by verified email,
//! just-in-time provisioning, "SSO only", and the attacks the flow exists to stop — a
//! forged or replayed `state`, a callback in another browser, a code injected into
//! another sign-in (PKCE), a provider's refusal — on SQLite and PostgreSQL.

use reqwest::redirect::Policy;
use serde_json::{Value, json};

use crate::common::external::{OidcProvider, skip_external};
use crate::common::{ADMIN_EMAIL, Backend, PASSWORD, TestServer};

const CLIENT_ID: &str = "courtyard";
const CLIENT_SECRET: &str = "provider-issued-secret";

/// A browser: keeps cookies, follows no redirects by itself.
fn browser() -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(Policy::none())
        .build()
        .unwrap()
}

fn location(res: &reqwest::Response) -> String {
    assert_eq!(
        res.status(),
        303,
        "expected a redirect, got {}",
        res.status()
    );
    res.headers()["location"].to_str().unwrap().to_owned()
}

fn absolute(base: &str, location: &str) -> String {
    if location.starts_with("http") {
        location.to_owned()
    } else {
        format!("{base}{location}")
    }
}

fn query_param(url: &str, name: &str) -> Option<String> {
    reqwest::Url::parse(url)
        .unwrap()
        .query_pairs()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

/// Starts a sign-in at the host; returns the provider's authorization URL.
async fn start(browser: &reqwest::Client, base: &str, org: &str, return_to: &str) -> String {
    let res = browser
        .get(format!("{base}/api/v1/auth/sso/{org}/start"))
        .query(&[("return_to", return_to)])
        .send()
        .await
        .unwrap();
    location(&res)
}

/// Signs in at the provider as `email`; returns the host callback URL it sends back to.
async fn at_provider(
    browser: &reqwest::Client,
    issuer: &str,
    authorize: &str,
    email: &str,
) -> String {
    let res = browser.get(authorize).send().await.unwrap();
    let interaction = absolute(issuer, &location(&res));
    let page = browser.get(&interaction).send().await.unwrap();
    assert_eq!(page.status(), 200);
    let res = browser
        .post(format!("{interaction}/login"))
        .form(&[("login", email)])
        .send()
        .await
        .unwrap();
    let resume = absolute(issuer, &location(&res));
    let res = browser.get(&resume).send().await.unwrap();
    location(&res)
}

/// The whole flow; returns the browser and the host's answer to the callback.
async fn sign_in(
    base: &str,
    provider: &OidcProvider,
    org: &str,
    email: &str,
) -> (reqwest::Client, reqwest::Response) {
    let browser = browser();
    let authorize = start(&browser, base, org, "/g/welcome").await;
    let callback = at_provider(&browser, &provider.issuer, &authorize, email).await;
    assert!(callback.starts_with(&format!("{base}/api/v1/auth/sso/callback?")));
    let res = browser.get(&callback).send().await.unwrap();
    (browser, res)
}

async fn error_of(res: reqwest::Response) -> (u16, String) {
    let status = res.status().as_u16();
    let body: Value = res.json().await.unwrap_or(Value::Null);
    assert!(
        body["message"].is_string() && body["message_zh"].is_string(),
        "{body}"
    );
    (status, body["code"].as_str().unwrap_or("").to_owned())
}

async fn me(browser: &reqwest::Client, base: &str) -> Value {
    let res = browser
        .get(format!("{base}/api/v1/me"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    res.json().await.unwrap()
}

async fn add_person(server: &TestServer, org: &str, email: &str, name: &str) -> String {
    let (status, p) = server
        .admin
        .post(
            &format!("/api/v1/orgs/{org}/people"),
            json!({"email": email, "display_name": name, "password": PASSWORD}),
        )
        .await;
    assert_eq!(status, 201, "{p}");
    p["id"].as_str().unwrap().to_owned()
}

async fn password_login(base: &str, email: &str, password: &str) -> (u16, Value) {
    let res = reqwest::Client::new()
        .post(format!("{base}/api/v1/auth/login"))
        .json(&json!({"email": email, "password": password}))
        .send()
        .await
        .unwrap();
    let status = res.status().as_u16();
    (status, res.json().await.unwrap_or(Value::Null))
}

async fn single_sign_on(backend: Backend) {
    if skip_external("an OpenID Connect provider") {
        return;
    }
    let server = TestServer::start(backend).await;
    let base = server.base.clone();
    let provider = OidcProvider::start(
        CLIENT_ID,
        CLIENT_SECRET,
        &format!("{base}/api/v1/auth/sso/callback"),
        json!([
            {"sub": "u-alice", "email": "alice@acme.test", "email_verified": true, "name": "Alice Zhang"},
            {"sub": "u-bob", "email": "bob@acme.test", "email_verified": true, "name": "鲍勃"},
            {"sub": "u-eve", "email": "eve@acme.test", "email_verified": false, "name": "Eve"},
            {"sub": "u-mallory", "email": "mallory@partner.test", "email_verified": true, "name": "Mallory"},
            {"sub": "u-dave", "email": "dave@elsewhere.test", "email_verified": true, "name": "Dave"},
        ]),
    )
    .await;
    let org = server.org("Acme").await;
    let partner = server.org("Partner").await;
    let alice = add_person(&server, &org, "alice@acme.test", "Alice").await;
    add_person(&server, &partner, "mallory@partner.test", "Mallory").await;
    let admin = &server.admin;
    let settings = format!("/api/v1/orgs/{org}/sso");
    let config = json!({
        "issuer": provider.issuer, "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET,
        "domains": ["ACME.test"],
    });

    // Nothing is configured yet, and nothing bad is stored.
    assert_eq!(admin.get(&settings).await.0, 404);
    for (patch, status, code) in [
        (
            json!({"issuer": "http://login.example.com"}),
            422,
            "invalid_issuer",
        ),
        (
            json!({"issuer": "http://127.0.0.1:1"}),
            422,
            "sso_discovery_failed",
        ),
        (json!({"client_secret": null}), 422, "invalid_field"),
        (json!({"domains": ["not a domain"]}), 422, "invalid_domain"),
    ] {
        let mut body = config.clone();
        for (k, v) in patch.as_object().unwrap() {
            body[k] = v.clone();
        }
        let (got, answer) = admin.put_json(&settings, body).await;
        assert_eq!(
            (got, answer["code"].as_str().unwrap()),
            (status, code),
            "{answer}"
        );
    }
    assert_eq!(admin.get(&settings).await.0, 404);
    let unknown_field = admin
        .put_json(
            &settings,
            json!({"issuer": provider.issuer, "client_id": "x", "client_secret": "y", "extra": 1}),
        )
        .await;
    assert_eq!(unknown_field.0, 422, "{}", unknown_field.1);

    let (status, view) = admin.put_json(&settings, config.clone()).await;
    assert_eq!(status, 200, "{view}");
    assert_eq!(view["domains"], json!(["acme.test"]));
    assert_eq!(
        view["redirect_uri"],
        format!("{base}/api/v1/auth/sso/callback")
    );
    assert_eq!(view["has_client_secret"], true);
    assert!(
        !view.to_string().contains(CLIENT_SECRET),
        "the secret is never shown"
    );
    // One organization per domain.
    let (status, taken) = admin
        .put_json(&format!("/api/v1/orgs/{partner}/sso"), config.clone())
        .await;
    assert_eq!(
        (status, taken["code"].as_str()),
        (409, Some("domain_taken")),
        "{taken}"
    );
    assert!(taken["message"].as_str().unwrap().contains("acme.test"));
    // Only the organization's admins see or change it.
    let (_, member) = server.person(&org, "Member", "member").await;
    assert_eq!(member.get(&settings).await.0, 403);

    // Discovery by email domain.
    let anon = server.client();
    let (status, found) = anon
        .post(
            "/api/v1/auth/sso/discover",
            json!({"email": "Alice@ACME.test"}),
        )
        .await;
    assert_eq!(status, 200, "{found}");
    assert_eq!(found["org_id"], org);
    assert_eq!(found["start_url"], format!("/api/v1/auth/sso/{org}/start"));
    let (status, none) = anon
        .post(
            "/api/v1/auth/sso/discover",
            json!({"email": "x@elsewhere.test"}),
        )
        .await;
    assert_eq!(
        (status, none["code"].as_str()),
        (404, Some("sso_not_configured"))
    );

    // An existing account is linked by its verified email and signed in.
    let (browser_a, res) = sign_in(&base, &provider, &org, "alice@acme.test").await;
    assert_eq!(location(&res), "/g/welcome");
    assert_eq!(me(&browser_a, &base).await["id"], alice);
    // The second time, by the link (a fresh browser).
    let (browser_b, res) = sign_in(&base, &provider, &org, "alice@acme.test").await;
    assert_eq!(res.status(), 303);
    assert_eq!(me(&browser_b, &base).await["id"], alice);

    // Nobody with Bob's email: refused, until the organization provisions just in time.
    let (_, res) = sign_in(&base, &provider, &org, "bob@acme.test").await;
    assert_eq!(error_of(res).await, (403, "sso_no_account".into()));
    let browser_html = browser();
    let authorize = start(&browser_html, &base, &org, "/").await;
    let callback = at_provider(&browser_html, &provider.issuer, &authorize, "bob@acme.test").await;
    let res = browser_html
        .get(&callback)
        .header("accept", "text/html,application/xhtml+xml")
        .send()
        .await
        .unwrap();
    assert_eq!(location(&res), "/login?sso_error=sso_no_account");
    let mut provisioning = config.clone();
    provisioning["auto_provision"] = json!(true);
    provisioning
        .as_object_mut()
        .unwrap()
        .remove("client_secret");
    let (status, view) = admin.put_json(&settings, provisioning.clone()).await;
    assert_eq!(status, 200, "{view}");
    let (browser_bob, res) = sign_in(&base, &provider, &org, "bob@acme.test").await;
    assert_eq!(res.status(), 303);
    let bob = me(&browser_bob, &base).await;
    assert_eq!(bob["display_name"], "鲍勃");
    assert_eq!(bob["email"], "bob@acme.test");
    assert_eq!(bob["org_id"], org);
    assert_eq!(bob["role"], "member");

    // Provisioning is for the organization's own domains only: a provider vouching for
    // someone elsewhere does not make them a member.
    let (_, res) = sign_in(&base, &provider, &org, "dave@elsewhere.test").await;
    assert_eq!(error_of(res).await, (403, "sso_no_account".into()));

    // An unverified email links nothing and creates nobody.
    let (_, res) = sign_in(&base, &provider, &org, "eve@acme.test").await;
    assert_eq!(error_of(res).await, (403, "sso_email_unverified".into()));
    // An account of another organization is not taken over through this one's provider.
    let (_, res) = sign_in(&base, &provider, &org, "mallory@partner.test").await;
    assert_eq!(error_of(res).await, (403, "sso_no_account".into()));

    // A forged state, a replayed callback, a callback in another browser.
    let res = browser()
        .get(format!(
            "{base}/api/v1/auth/sso/callback?state=forged&code=x"
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(error_of(res).await, (400, "sso_state_mismatch".into()));
    let browser_c = browser();
    let authorize = start(&browser_c, &base, &org, "/").await;
    let callback = at_provider(&browser_c, &provider.issuer, &authorize, "alice@acme.test").await;
    let elsewhere = browser().get(&callback).send().await.unwrap();
    assert_eq!(
        error_of(elsewhere).await,
        (400, "sso_state_mismatch".into())
    );
    let consumed = browser_c.get(&callback).send().await.unwrap();
    assert_eq!(
        error_of(consumed).await,
        (400, "sso_state_mismatch".into()),
        "a state is used once, even by a failed attempt"
    );
    let browser_d = browser();
    let authorize = start(&browser_d, &base, &org, "/").await;
    let callback = at_provider(&browser_d, &provider.issuer, &authorize, "alice@acme.test").await;
    assert_eq!(browser_d.get(&callback).send().await.unwrap().status(), 303);
    let replay = browser_d.get(&callback).send().await.unwrap();
    assert_eq!(error_of(replay).await, (400, "sso_state_mismatch".into()));

    // A code from one sign-in injected into another: PKCE (and the nonce) refuse it.
    let browser_e = browser();
    let first = start(&browser_e, &base, &org, "/").await;
    let stolen = at_provider(&browser_e, &provider.issuer, &first, "alice@acme.test").await;
    let code = query_param(&stolen, "code").unwrap();
    let second = start(&browser_e, &base, &org, "/").await;
    let state = query_param(&second, "state").unwrap();
    let res = browser_e
        .get(format!("{base}/api/v1/auth/sso/callback"))
        .query(&[("state", state.as_str()), ("code", code.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(error_of(res).await, (401, "sso_failed".into()));

    // An ID token for another sign-in: its nonce does not match this one's.
    let browser_g = browser();
    let authorize = start(&browser_g, &base, &org, "/").await;
    let callback = at_provider(&browser_g, &provider.issuer, &authorize, "alice@acme.test").await;
    server
        .tamper("UPDATE sso_logins SET nonce = 'a-nonce-of-another-sign-in'")
        .await;
    let res = browser_g.get(&callback).send().await.unwrap();
    let (status, body) = (res.status().as_u16(), res.json::<Value>().await.unwrap());
    assert_eq!(
        (status, body["code"].as_str()),
        (401, Some("sso_failed")),
        "{body}"
    );
    assert!(
        body["message"].as_str().unwrap().contains("nonce"),
        "{body}"
    );

    // The provider refusing.
    let browser_f = browser();
    let authorize = start(&browser_f, &base, &org, "/").await;
    let state = query_param(&authorize, "state").unwrap();
    let res = browser_f
        .get(format!("{base}/api/v1/auth/sso/callback"))
        .query(&[("state", state.as_str()), ("error", "access_denied")])
        .send()
        .await
        .unwrap();
    assert_eq!(error_of(res).await, (401, "sso_failed".into()));

    // SSO only: Alice's password no longer signs her in (a wrong one is still just wrong);
    // the platform admin's still does.
    let mut only = provisioning.clone();
    only["sso_only"] = json!(true);
    assert_eq!(admin.put_json(&settings, only).await.0, 200);
    let (status, body) = password_login(&base, "alice@acme.test", PASSWORD).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (403, Some("sso_required")),
        "{body}"
    );
    assert_eq!(
        password_login(&base, "alice@acme.test", "wrong password!!")
            .await
            .0,
        401
    );
    assert_eq!(password_login(&base, ADMIN_EMAIL, PASSWORD).await.0, 200);
    let (_, res) = sign_in(&base, &provider, &org, "alice@acme.test").await;
    assert_eq!(res.status(), 303, "SSO still signs her in");

    // A disabled account cannot sign in through the provider either.
    let (status, _) = admin
        .patch(
            &format!("/api/v1/people/{alice}"),
            json!({"status": "disabled"}),
        )
        .await;
    assert_eq!(status, 200);
    let (_, res) = sign_in(&base, &provider, &org, "alice@acme.test").await;
    assert_eq!(error_of(res).await, (403, "account_disabled".into()));
    let (status, _) = admin
        .patch(
            &format!("/api/v1/people/{alice}"),
            json!({"status": "active"}),
        )
        .await;
    assert_eq!(status, 200);

    // Every sign-in, link and setting is in the audit log.
    let (status, log) = admin
        .get(&format!("/api/v1/orgs/{org}/audit?limit=200"))
        .await;
    assert_eq!(status, 200, "{log}");
    let entries = log["entries"]
        .as_array()
        .or(log.as_array())
        .unwrap()
        .clone();
    let actions: Vec<&str> = entries
        .iter()
        .filter_map(|e| e["action"].as_str())
        .collect();
    for expected in [
        "sso.configured",
        "sso.linked",
        "person.created",
        "auth.signed_in",
    ] {
        assert!(actions.contains(&expected), "{expected} in {actions:?}");
    }
    assert!(
        entries
            .iter()
            .any(|e| e["action"] == "auth.signed_in" && e["detail"]["method"] == "sso")
    );

    // Removing the provider opens passwords again and closes SSO.
    assert_eq!(admin.delete(&settings).await.0, 204);
    assert_eq!(admin.delete(&settings).await.0, 404);
    assert_eq!(
        password_login(&base, "alice@acme.test", PASSWORD).await.0,
        200
    );
    let res = browser()
        .get(format!("{base}/api/v1/auth/sso/{org}/start"))
        .send()
        .await
        .unwrap();
    assert_eq!(error_of(res).await, (404, "sso_not_configured".into()));
    let res = browser()
        .get(format!("{base}/api/v1/auth/sso/{org}/start"))
        .header("accept", "text/html")
        .send()
        .await
        .unwrap();
    assert_eq!(location(&res), "/login?sso_error=sso_not_configured");
}

both_backends!(single_sign_on);

//! The swap test, run inside the OpenAPI walk (`openapi.rs`): every call of the walk whose
//! path takes ids, once it has succeeded (the positive control: the request is well formed
//! and allowed with the caller's own ids), is replayed with the ids of another organization's
//! objects and must be refused with 404 `not_found` — the answer for an id that does not
//! exist, so an id reveals nothing. With several ids, each one swapped alone must be
//! refused too (any 4xx). A call the platform admin made (who may see every organization)
//! is replayed by the admin of a third organization instead. Afterwards the other
//! organization's objects must be exactly as they were.

use std::cell::RefCell;
use std::collections::BTreeMap;

use serde_json::{Value, json};

use crate::common::{Client, TestServer};

/// Another organization's objects, by the name of the path parameter that takes them.
pub struct Foreign {
    ids: BTreeMap<&'static str, String>,
    owner: Client,
    /// Org admin of a third organization: stands in for the platform admin.
    stranger: Client,
    platform_token: Option<String>,
    before: Vec<(String, Value)>,
    /// `method template` of every replay made, and the number of requests.
    pub replayed: RefCell<Vec<String>>,
    pub requests: RefCell<usize>,
}

/// GETs that show the other organization's objects, compared before and after the walk.
fn views(ids: &BTreeMap<&'static str, String>) -> Vec<String> {
    vec![
        format!("/api/v1/orgs/{}", ids["org_id"]),
        format!("/api/v1/groups/{}", ids["group_id"]),
        format!("/api/v1/groups/{}/members", ids["group_id"]),
        format!("/api/v1/groups/{}/messages", ids["group_id"]),
        format!("/api/v1/groups/{}/pins", ids["group_id"]),
        format!("/api/v1/groups/{}/webhooks", ids["group_id"]),
        format!("/api/v1/people/{}", ids["person_id"]),
        format!("/api/v1/files/{}/info", ids["file_id"]),
        format!("/api/v1/messages/{}/replies", ids["message_id"]),
        format!("/api/v1/orgs/{}/plugins", ids["org_id"]),
        "/api/v1/me/tokens".to_owned(),
    ]
}

fn placeholders(template: &str) -> Vec<&str> {
    let path = template.split('?').next().unwrap_or(template);
    path.split('{')
        .skip(1)
        .filter_map(|p| p.split_once('}').map(|(name, _)| name))
        .collect()
}

pub fn fill(template: &str, args: &[&str]) -> String {
    let mut path = template.to_owned();
    for arg in args {
        let start = path.find('{').expect("a placeholder for every argument");
        let end = path[start..].find('}').unwrap() + start;
        path.replace_range(start..=end, arg);
    }
    path
}

impl Foreign {
    /// Builds the other organization: an org admin who owns a team with a member, a pinned
    /// message with a reply and a reaction, a file, a webhook, a token, and the bundled dice
    /// plugin enabled in the team.
    pub async fn build(server: &TestServer) -> Foreign {
        let org = server.org("Swap Target Co").await;
        let (owner_id, owner) = server.person(&org, "Tara Target", "org_admin").await;
        let (member_id, _) = server.person(&org, "Milo Member", "member").await;
        let (_, team) = owner
            .post(
                "/api/v1/groups",
                json!({"kind": "team", "name": "Target team", "member_ids": [member_id]}),
            )
            .await;
        let group = team["id"].as_str().unwrap().to_owned();
        let message = owner.say(&group, "the target's plans").await["id"]
            .as_str()
            .unwrap()
            .to_owned();
        let (s, _) = owner
            .post(
                &format!("/api/v1/groups/{group}/messages"),
                json!({"body": "a reply", "client_txn_id": "swap-reply", "thread_root_id": message}),
            )
            .await;
        assert_eq!(s, 201);
        let (s, _) = owner.put(&format!("/api/v1/messages/{message}/pin")).await;
        assert_eq!(s, 200);
        let (s, _) = owner
            .put(&format!("/api/v1/messages/{message}/reactions/👍"))
            .await;
        assert!(s < 300, "reaction: {s}");
        let res = owner
            .http
            .post(format!("{}/api/v1/files", owner.base))
            .query(&[("name", "target.txt")])
            .bearer_auth(owner.token.clone().unwrap())
            .body("the target's file")
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 201);
        let file: Value = res.json().await.unwrap();
        let (s, hook) = owner
            .post(
                &format!("/api/v1/groups/{group}/webhooks"),
                json!({"kind": "incoming", "name": "Target CI"}),
            )
            .await;
        assert_eq!(s, 201, "{hook}");
        let (s, token) = owner
            .post("/api/v1/me/tokens", json!({"name": "target bot"}))
            .await;
        assert_eq!(s, 201, "{token}");
        let (s, installed) = owner
            .post(
                &format!("/api/v1/orgs/{org}/plugins"),
                json!({"plugin_id": "dice"}),
            )
            .await;
        assert_eq!(s, 201, "{installed}");
        let (s, enabled) = owner
            .request(
                reqwest::Method::PUT,
                &format!("/api/v1/groups/{group}/plugins/dice"),
                Some(json!({})),
            )
            .await;
        assert_eq!(s, 200, "{enabled}");
        let ids = BTreeMap::from([
            ("org_id", org),
            ("group_id", group),
            ("person_id", owner_id),
            ("message_id", message),
            ("file_id", file["id"].as_str().unwrap().to_owned()),
            ("webhook_id", hook["id"].as_str().unwrap().to_owned()),
            ("id", token["id"].as_str().unwrap().to_owned()),
        ]);
        let third = server.org("Swap Bystander Co").await;
        let (_, stranger) = server.person(&third, "Sid Stranger", "org_admin").await;
        let mut before = Vec::new();
        for path in views(&ids) {
            let (s, v) = owner.get(&path).await;
            assert_eq!(s, 200, "{path}: {v}");
            before.push((path, v));
        }
        Foreign {
            ids,
            owner,
            stranger,
            platform_token: server.admin.token.clone(),
            before,
            replayed: Default::default(),
            requests: Default::default(),
        }
    }

    /// Replays a call that succeeded for `client` with the other organization's ids.
    pub async fn replay(
        &self,
        client: &Client,
        method: &str,
        template: &str,
        args: &[&str],
        body: Option<Value>,
    ) {
        if client.token.is_none() {
            return;
        }
        let names = placeholders(template);
        let swapped: Vec<&str> = names
            .iter()
            .zip(args)
            .map(|(name, own)| self.ids.get(name).map_or(*own, String::as_str))
            .collect();
        if swapped.as_slice() == args {
            return;
        }
        let client = if client.token == self.platform_token {
            &self.stranger
        } else {
            client
        };
        let m = reqwest::Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
        let path = fill(template, &swapped);
        let (status, answer) = client.request(m.clone(), &path, body.clone()).await;
        assert_eq!(
            (status, answer["code"].as_str()),
            (404, Some("not_found")),
            "{method} {template} with another organization's ids ({path}) answered {status}: {answer}"
        );
        *self.requests.borrow_mut() += 1;
        let swappable = names
            .iter()
            .zip(args)
            .filter(|(name, _)| self.ids.contains_key(*name))
            .count();
        if swappable > 1 {
            for (i, name) in names.iter().enumerate() {
                if swapped[i] == args[i] {
                    continue;
                }
                let mut mixed = args.to_vec();
                mixed[i] = swapped[i];
                let path = fill(template, &mixed);
                let (status, answer) = client.request(m.clone(), &path, body.clone()).await;
                assert!(
                    (400..500).contains(&status),
                    "{method} {template} with another organization's {name} ({path}) answered {status}: {answer}"
                );
                *self.requests.borrow_mut() += 1;
            }
        }
        let operation = template.split('?').next().unwrap_or(template);
        self.replayed
            .borrow_mut()
            .push(format!("{method} {operation}"));
    }

    /// Operations the walk did not call successfully (so there is no positive control):
    /// replayed with the other organization's ids by the third organization's admin, with
    /// a well-formed body, and refused with 404 all the same.
    pub async fn replay_blind(&self, operations: &[String]) -> Vec<String> {
        let mut wrong = Vec::new();
        for op in operations {
            let (method, template) = op.split_once(' ').unwrap();
            let names = placeholders(template);
            let args: Vec<&str> = names
                .iter()
                .map(|name| match *name {
                    "token" => "0123456789abcdef",
                    "sha256" => "ab".repeat(32).leak(),
                    "emoji" => "👍",
                    "page" => "board",
                    "n" => "0",
                    "plugin_id" => "dice",
                    other => self.ids.get(other).map(String::as_str).unwrap_or("x"),
                })
                .collect();
            let body = match (method, template.rsplit('/').next().unwrap()) {
                ("get" | "delete", _) => None,
                (_, "members") => Some(json!({"person_id": self.ids["person_id"]})),
                (_, "partners") => Some(json!({"org_id": self.ids["org_id"]})),
                (_, "actions") => Some(json!({"action_id": "roll"})),
                (_, "form") => Some(json!({"form_id": "f", "values": {}})),
                (_, "password") => Some(json!({"password": "a brand new password"})),
                (_, "sso") => Some(json!({
                    "issuer": "https://sso.example.com", "client_id": "x", "client_secret": "y"
                })),
                (_, "from-catalog") => Some(json!({
                    "source": "https://plugins.example.com/", "plugin_id": "dice", "version": "0.1.0"
                })),
                _ => Some(json!({})),
            };
            let m = reqwest::Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
            let path = fill(template, &args);
            let (status, answer) = self.stranger.request(m, &path, body).await;
            *self.requests.borrow_mut() += 1;
            // The anonymous sign-in start answers `sso_not_configured`, as for any
            // organization without single sign-on; everything else plain `not_found`.
            let code_ok = answer["code"] == "not_found"
                || (template.ends_with("/start") && answer["code"] == "sso_not_configured");
            if status != 404 || !code_ok {
                wrong.push(format!("{op} ({path}) answered {status}: {answer}"));
            }
            self.replayed.borrow_mut().push(op.clone());
        }
        wrong
    }

    /// The other organization's objects are as they were before the walk.
    pub async fn unchanged(&self) {
        for (path, before) in &self.before {
            let (s, now) = self.owner.get(path).await;
            assert_eq!(s, 200, "{path}: {now}");
            assert_eq!(&now, before, "{path} changed during the swap replays");
        }
    }
}

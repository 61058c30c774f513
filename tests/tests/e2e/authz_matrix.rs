//! The authorization matrix: proptest generates organizations — people with roles (org
//! admins, members, guests), groups of every kind the API creates with random members, a
//! direct conversation, archived groups, a stranger from another organization — builds
//! each one on the real server, and compares what every person gets from the API with a
//! small reference model of who may see what, written here from the product's rules rather
//! than from `host/domain/src/policy.rs`:
//!
//! - a member of a group sees and reads it; they post unless it is archived or it is an
//!   announcement channel they do not manage (owners and the organization's admins do);
//! - a staff member of the organization who is not a member sees departments, interest
//!   groups and announcement channels (not teams), reads none; org admins see every group
//!   of their organization except direct conversations;
//! - guests and people of other organizations see nothing they are not a member of;
//! - staff see everyone in their organization; guests and strangers see only people they
//!   share a group with (and themselves).
//!
//! - a file attached to a message is seen by whoever reads the message, and its uploader;
//! - only an organization's admins export it.
//!
//! Compared, for every person and every group: the group itself, whether it is listed,
//! its history, posting into it, message search, the WebSocket events, and the file
//! attached to the group's message; for every pair of people, the profile; for every
//! person, the organization export. Anything invisible must be 404, never 403.

use std::collections::BTreeSet;
use std::time::Duration;

use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use serde_json::json;

use crate::common::{Backend, Client, TestServer, Ws};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Role {
    OrgAdmin,
    Member,
    Guest,
}

impl Role {
    fn api(self) -> &'static str {
        match self {
            Role::OrgAdmin => "org_admin",
            Role::Member => "member",
            Role::Guest => "guest",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Team,
    Interest,
    Announcement,
    Department,
    Direct,
}

impl Kind {
    fn api(self) -> &'static str {
        match self {
            Kind::Team => "team",
            Kind::Interest => "interest",
            Kind::Announcement => "announcement",
            Kind::Department => "department",
            Kind::Direct => "direct",
        }
    }

    fn discoverable(self) -> bool {
        matches!(self, Kind::Interest | Kind::Announcement | Kind::Department)
    }
}

/// A generated group: its members are indexes into the organization's people; person 0
/// (the org admin who builds the world) owns every group but the direct conversation.
#[derive(Clone, Debug)]
struct GroupSpec {
    kind: Kind,
    members: BTreeSet<usize>,
    archived: bool,
}

#[derive(Clone, Debug)]
struct World {
    /// People 1.. of the organization (person 0 is always an org admin).
    roles: Vec<Role>,
    groups: Vec<GroupSpec>,
}

/// Who is asking: person `i` of the organization, or the stranger from another one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Who {
    Person(usize),
    Stranger,
}

#[derive(Debug, Default, PartialEq, Eq)]
struct Rights {
    see: bool,
    read: bool,
    post: bool,
    listed: bool,
}

impl World {
    fn role(&self, i: usize) -> Role {
        if i == 0 {
            Role::OrgAdmin
        } else {
            self.roles[i - 1]
        }
    }

    fn people(&self) -> usize {
        self.roles.len() + 1
    }

    /// The reference model (see the module docs).
    fn rights(&self, who: Who, g: &GroupSpec) -> Rights {
        let Who::Person(i) = who else {
            return Rights::default();
        };
        let role = self.role(i);
        let admin = role == Role::OrgAdmin && g.kind != Kind::Direct;
        if g.members.contains(&i) {
            let owner = i == 0 && g.kind != Kind::Direct;
            return Rights {
                see: true,
                read: true,
                post: !g.archived && (g.kind != Kind::Announcement || owner || admin),
                listed: true,
            };
        }
        if role == Role::Guest {
            return Rights::default();
        }
        Rights {
            see: g.kind.discoverable() || admin,
            read: false,
            post: false,
            listed: g.kind.discoverable(),
        }
    }

    fn sees_person(&self, who: Who, target: Who) -> bool {
        if who == target {
            return true;
        }
        let shares = self.groups.iter().any(|g| {
            matches!((who, target), (Who::Person(a), Who::Person(b))
                if g.members.contains(&a) && g.members.contains(&b))
        });
        match (who, target) {
            (Who::Person(i), Who::Person(_)) => self.role(i) != Role::Guest || shares,
            _ => false,
        }
    }
}

fn world() -> impl Strategy<Value = World> {
    let role = prop_oneof![
        1 => Just(Role::OrgAdmin),
        3 => Just(Role::Member),
        2 => Just(Role::Guest),
    ];
    let kind = prop_oneof![
        Just(Kind::Team),
        Just(Kind::Interest),
        Just(Kind::Announcement),
        Just(Kind::Department),
    ];
    (
        prop::collection::vec(role, 2..=5),
        prop::collection::vec((kind, any::<u8>(), prop::bool::weighted(0.25)), 1..=3),
        any::<u8>(),
    )
        .prop_map(|(roles, groups, dm)| {
            let n = roles.len() + 1;
            let role = |i: usize| if i == 0 { Role::OrgAdmin } else { roles[i - 1] };
            let mut specs: Vec<GroupSpec> = groups
                .into_iter()
                .map(|(kind, mask, archived)| {
                    let members = (0..n)
                        .filter(|&i| i == 0 || mask & (1 << (i - 1)) != 0)
                        // Guests join teams only.
                        .filter(|&i| i == 0 || (kind == Kind::Team || role(i) != Role::Guest))
                        .collect();
                    GroupSpec {
                        kind,
                        members,
                        archived,
                    }
                })
                .collect();
            // A direct conversation between the admin and a staff member, if one is drawn.
            let other = 1 + dm as usize % (n - 1);
            if role(other) != Role::Guest && dm % 3 != 0 {
                specs.push(GroupSpec {
                    kind: Kind::Direct,
                    members: [0, other].into(),
                    archived: false,
                });
            }
            World {
                roles,
                groups: specs,
            }
        })
}

/// The world as built on the server.
struct Built {
    org: String,
    people: Vec<(String, Client)>,
    stranger: (String, Client),
    groups: Vec<String>,
    /// The message person 0 posted in each group before anyone looked, with a word found
    /// nowhere else.
    secrets: Vec<(String, String)>,
    /// The file person 0 attached to that message.
    files: Vec<String>,
}

impl Built {
    fn client(&self, who: Who) -> &Client {
        match who {
            Who::Person(i) => &self.people[i].1,
            Who::Stranger => &self.stranger.1,
        }
    }

    fn id(&self, who: Who) -> &str {
        match who {
            Who::Person(i) => &self.people[i].0,
            Who::Stranger => &self.stranger.0,
        }
    }
}

async fn build(server: &TestServer, w: &World, case: usize) -> Built {
    let tag = &uuid::Uuid::new_v4().simple().to_string()[..8];
    let org = server.org(&format!("Matrix {case} {tag}")).await;
    let elsewhere = server.org(&format!("Elsewhere {case} {tag}")).await;
    let mut people = Vec::new();
    for i in 0..w.people() {
        let role = w.role(i);
        people.push(
            server
                .person(&org, &format!("P{i} {role:?}"), role.api())
                .await,
        );
    }
    let stranger = server.person(&elsewhere, "Stranger", "member").await;
    let root = &people[0].1;
    let mut groups = Vec::new();
    for (n, g) in w.groups.iter().enumerate() {
        let (status, group) = if g.kind == Kind::Direct {
            let other = g.members.iter().find(|&&i| i != 0).unwrap();
            root.post("/api/v1/direct", json!({"person_ids": [people[*other].0]}))
                .await
        } else {
            // The creator joins teams, interest groups and channels on their own; a
            // department's creator is not placed in it unless named.
            let members: Vec<&str> = g
                .members
                .iter()
                .filter(|&&i| i != 0 || g.kind == Kind::Department)
                .map(|&i| people[i].0.as_str())
                .collect();
            root.post(
                "/api/v1/groups",
                json!({"kind": g.kind.api(), "name": format!("G{n} {}", g.kind.api()), "member_ids": members}),
            )
            .await
        };
        assert!(
            status == 201 || status == 200,
            "creating {g:?}: {status} {group}"
        );
        groups.push(group["id"].as_str().unwrap().to_owned());
    }
    Built {
        org,
        people,
        stranger,
        groups,
        secrets: Vec::new(),
        files: Vec::new(),
    }
}

/// The ids of the `message.created` events a socket received until it went quiet.
async fn created_ids(ws: &mut Ws) -> BTreeSet<String> {
    let mut ids = BTreeSet::new();
    while let Some(frame) = ws.quiet_for(Duration::from_millis(300)).await {
        if frame["type"] == "message.created"
            && let Some(id) = frame["data"]["id"].as_str()
        {
            ids.insert(id.to_owned());
        }
    }
    ids
}

/// Builds one world and compares every answer with the model; returns the number of
/// comparisons, or every mismatch.
async fn check(server: &TestServer, w: &World, case: usize) -> Result<usize, Vec<String>> {
    let mut b = build(server, w, case).await;
    let everyone: Vec<Who> = (0..w.people())
        .map(Who::Person)
        .chain([Who::Stranger])
        .collect();
    let mut sockets = Vec::new();
    for &who in &everyone {
        sockets.push(b.client(who).websocket(None).await);
    }
    for (n, group) in b.groups.iter().enumerate() {
        let word = format!(
            "zq{case}x{n}{}",
            &uuid::Uuid::new_v4().simple().to_string()[..8]
        );
        let file = upload(&b.people[0].1, &format!("{word}.txt")).await;
        let (status, m) = b.people[0]
            .1
            .post(
                &format!("/api/v1/groups/{group}/messages"),
                json!({"body": format!("secret {word}"), "attachments": [file],
                       "client_txn_id": uuid::Uuid::new_v4().to_string()}),
            )
            .await;
        assert_eq!(status, 201, "posting the secret: {m}");
        b.secrets.push((m["id"].as_str().unwrap().to_owned(), word));
        b.files.push(file);
    }
    for (n, g) in w.groups.iter().enumerate() {
        if g.archived {
            let (s, v) = b.people[0]
                .1
                .patch(
                    &format!("/api/v1/groups/{}", b.groups[n]),
                    json!({"archived": true}),
                )
                .await;
            assert_eq!(s, 200, "archiving: {v}");
        }
    }

    let mut wrong = Vec::new();
    let mut compared = 0;
    let mut expect = |what: String, got: bool, want: bool, detail: &dyn std::fmt::Display| {
        compared += 1;
        if got != want {
            wrong.push(format!("{what}: got {got}, model says {want} ({detail})"));
        }
    };
    for (k, &who) in everyone.iter().enumerate() {
        let c = b.client(who);
        let heard = created_ids(&mut sockets[k]).await;
        let (_, listed) = c.get("/api/v1/groups").await;
        for (n, g) in w.groups.iter().enumerate() {
            let r = w.rights(who, g);
            let gid = &b.groups[n];
            let (secret, word) = &b.secrets[n];
            let tag = format!("{who:?} ({:?}) on {:?} group {n}", role_of(w, who), g.kind);

            let (s, v) = c.get(&format!("/api/v1/groups/{gid}")).await;
            expect(format!("{tag}: GET group"), s == 200, r.see, &v);
            if !r.see {
                expect(format!("{tag}: GET group is 404"), s == 404, true, &s);
            }
            let in_list = listed
                .as_array()
                .is_some_and(|l| l.iter().any(|x| x["id"] == gid.as_str()));
            expect(
                format!("{tag}: listed"),
                in_list,
                r.listed,
                &"GET /api/v1/groups",
            );

            let (s, v) = c.get(&format!("/api/v1/groups/{gid}/messages")).await;
            expect(format!("{tag}: history"), s == 200, r.read, &s);
            expect(
                format!("{tag}: history holds the secret"),
                v.to_string().contains(secret.as_str()),
                r.read,
                &s,
            );
            if !r.see {
                expect(format!("{tag}: history is 404"), s == 404, true, &s);
            }

            let (s, v) = c.get(&format!("/api/v1/search/messages?q={word}")).await;
            expect(
                format!("{tag}: search finds the secret"),
                s == 200 && v.to_string().contains(secret.as_str()),
                r.read,
                &s,
            );
            expect(
                format!("{tag}: WebSocket delivered the secret"),
                heard.contains(secret),
                r.read,
                &"message.created",
            );

            let (s, v) = c
                .post(
                    &format!("/api/v1/groups/{gid}/messages"),
                    json!({"body": "probe", "client_txn_id": uuid::Uuid::new_v4().to_string()}),
                )
                .await;
            expect(format!("{tag}: post"), s == 201, r.post, &v);
            if !r.see {
                expect(format!("{tag}: post is 404"), s == 404, true, &v);
            }

            let file = &b.files[n];
            let uploader = who == Who::Person(0);
            let (s, v) = c.get(&format!("/api/v1/files/{file}/info")).await;
            expect(
                format!("{tag}: attached file"),
                s == 200,
                r.read || uploader,
                &v,
            );
            if !(r.read || uploader) {
                expect(format!("{tag}: attached file is 404"), s == 404, true, &v);
            }
        }
        let (s, _) = c.get(&format!("/api/v1/orgs/{}/export", b.org)).await;
        let admin = role_of(w, who) == Some(Role::OrgAdmin);
        expect(
            format!("{who:?} exports the organization"),
            s == 200,
            admin,
            &s,
        );
        if who == Who::Stranger {
            expect(format!("{who:?} export is 404"), s == 404, true, &s);
        }
        for &target in &everyone {
            let (s, _) = c.get(&format!("/api/v1/people/{}", b.id(target))).await;
            let want = w.sees_person(who, target);
            expect(format!("{who:?} sees {target:?}"), s == 200, want, &s);
            if !want {
                expect(format!("{who:?} sees {target:?}: 404"), s == 404, true, &s);
            }
        }
    }
    for ws in sockets {
        ws.close().await;
    }
    if wrong.is_empty() {
        Ok(compared)
    } else {
        Err(wrong)
    }
}

fn role_of(w: &World, who: Who) -> Option<Role> {
    match who {
        Who::Person(i) => Some(w.role(i)),
        Who::Stranger => None,
    }
}

/// Cases per backend: each builds a whole organization over HTTP, so they are few; the
/// `AUTHZ_MATRIX_CASES` variable runs more by hand.
fn cases() -> u32 {
    std::env::var("AUTHZ_MATRIX_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(12)
}

async fn every_answer_matches_the_model(backend: Backend) {
    let server = TestServer::start(backend).await;
    let handle = tokio::runtime::Handle::current();
    let mut runner = TestRunner::new(Config {
        cases: cases(),
        max_shrink_iters: 24,
        failure_persistence: None,
        ..Config::default()
    });
    let counter = std::cell::Cell::new((0usize, 0usize));
    let result = tokio::task::block_in_place(|| {
        runner.run(&world(), |w| {
            let (case, _) = counter.get();
            let outcome = handle.block_on(check(&server, &w, case));
            match outcome {
                Ok(compared) => {
                    let (c, total) = counter.get();
                    counter.set((c + 1, total + compared));
                    Ok(())
                }
                Err(wrong) => {
                    counter.set((case + 1, counter.get().1));
                    Err(TestCaseError::fail(wrong.join("\n")))
                }
            }
        })
    });
    let (worlds, compared) = counter.get();
    eprintln!(
        "authorization matrix ({backend:?}): {worlds} generated organizations, {compared} \
         answers compared with the model"
    );
    if let Err(e) = result {
        panic!("the API disagrees with the model: {e}");
    }
}

both_backends!(every_answer_matches_the_model);

/// Uploads a small text file as `c`; its id.
async fn upload(c: &Client, name: &str) -> String {
    let mut req = c
        .http
        .post(format!("{}/api/v1/files", c.base))
        .query(&[("name", name)])
        .header("content-type", "application/octet-stream")
        .body(format!("the contents of {name}"));
    if let Some(t) = &c.token {
        req = req.bearer_auth(t);
    }
    let res = req.send().await.expect("upload");
    assert_eq!(res.status().as_u16(), 201, "uploading {name}");
    let file: serde_json::Value = res.json().await.expect("upload answer");
    file["id"].as_str().unwrap().to_owned()
}

//! The authorization matrix: proptest generates a world — a home organization whose people
//! are org admins, members and guests; a partner organization with its own admin, members
//! and guests; a stranger from a third organization; groups of every kind the API creates,
//! with random members, some of them group admins and some who joined on their own, shared
//! groups the partner was invited to (and accepted or not) with partner people in them,
//! archived groups and a direct conversation — builds it on the real server, and compares
//! what every person gets from the API with a small reference model of who may see what,
//! written here from the product's rules rather than from `host/domain/src/policy.rs`:
//!
//! - a member of a group sees and reads it; they post unless it is archived or it is an
//!   announcement channel they do not manage; the group's owners and admins manage it, and
//!   so do the home organization's admins (direct conversations excepted);
//! - a staff member of the home organization who is not a member sees departments, interest
//!   groups and announcement channels (not teams or shared groups), reads none, and joins
//!   interest groups and announcement channels that are not archived; org admins see every
//!   group of their organization except direct conversations;
//! - guests, the partner's people and strangers see nothing they are not a member of: an
//!   accepted partnership lets the partner's admin add its people, nothing more;
//! - staff see everyone in their organization; guests and people of other organizations
//!   see only people they share a group with (and themselves);
//! - a file attached to a message is seen by whoever reads the message, and its uploader;
//! - only an organization's admins export it;
//! - a plugin enabled in a group is listed to its readers and managers; its commands, card
//!   buttons, pages and routes follow the group: readers see pages and routes and the
//!   command list, posters run commands and press buttons.
//!
//! Compared, for every person and every group: the group itself, whether it is listed,
//! its members, its history, posting into it, changing it, message search, the WebSocket
//! events, the file attached to the group's message, the group's plugins, commands, a
//! plugin card's button, a plugin page and a plugin route; then joining it. For every pair
//! of people, the profile; for every person, the home organization's export. Anything
//! invisible must be 404, never 403.

use std::collections::BTreeSet;
use std::time::Duration;

use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use serde_json::json;

use crate::common::{Backend, Client, TestServer, Ws};
use crate::plugins::built;

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
enum Org {
    Home,
    Partner,
    Elsewhere,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Person {
    org: Org,
    role: Role,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Team,
    Interest,
    Announcement,
    Department,
    Shared,
    Direct,
}

impl Kind {
    fn api(self) -> &'static str {
        match self {
            Kind::Team => "team",
            Kind::Interest => "interest",
            Kind::Announcement => "announcement",
            Kind::Department => "department",
            Kind::Shared => "shared",
            Kind::Direct => "direct",
        }
    }

    fn discoverable(self) -> bool {
        matches!(self, Kind::Interest | Kind::Announcement | Kind::Department)
    }

    fn self_join(self) -> bool {
        matches!(self, Kind::Interest | Kind::Announcement)
    }
}

/// How far a shared group's invitation to the partner got.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Partnership {
    None,
    Invited,
    Accepted,
}

/// A generated group. Members are indexes into the world's people; the builder (person 0,
/// a home org admin) owns every group but the direct conversation.
#[derive(Clone, Debug)]
struct GroupSpec {
    kind: Kind,
    members: BTreeSet<usize>,
    /// Members the builder made group admins.
    admins: BTreeSet<usize>,
    /// Members who joined on their own rather than being added.
    joined: BTreeSet<usize>,
    partnership: Partnership,
    archived: bool,
}

/// People: the builder (0), the home organization's others, the partner's admin
/// (`partner_admin`) and others, and the stranger (last).
#[derive(Clone, Debug)]
struct World {
    people: Vec<Person>,
    partner_admin: usize,
    groups: Vec<GroupSpec>,
}

const BUILDER: usize = 0;

#[derive(Debug, Default, PartialEq, Eq)]
struct Rights {
    see: bool,
    read: bool,
    post: bool,
    listed: bool,
    manage: bool,
    join: bool,
}

impl Rights {
    fn list_members(&self, kind: Kind) -> bool {
        self.read || self.manage || (kind == Kind::Department && self.see)
    }
}

impl World {
    /// The reference model (see the module docs).
    fn rights(&self, who: usize, g: &GroupSpec) -> Rights {
        let p = self.people[who];
        let home_admin = p.org == Org::Home && p.role == Role::OrgAdmin && g.kind != Kind::Direct;
        if g.members.contains(&who) {
            let manager = g.kind != Kind::Direct && (who == BUILDER || g.admins.contains(&who));
            return Rights {
                see: true,
                read: true,
                post: !g.archived && (g.kind != Kind::Announcement || manager || home_admin),
                listed: true,
                manage: manager || home_admin,
                join: false,
            };
        }
        if p.org != Org::Home || p.role == Role::Guest {
            return Rights::default();
        }
        Rights {
            see: g.kind.discoverable() || home_admin,
            read: false,
            post: false,
            listed: g.kind.discoverable(),
            manage: home_admin,
            join: g.kind.self_join() && !g.archived,
        }
    }

    fn sees_person(&self, who: usize, target: usize) -> bool {
        let (a, b) = (self.people[who], self.people[target]);
        who == target
            || (a.org == b.org && a.role != Role::Guest)
            || self
                .groups
                .iter()
                .any(|g| g.members.contains(&who) && g.members.contains(&target))
    }

    fn exports_home(&self, who: usize) -> bool {
        self.people[who]
            == Person {
                org: Org::Home,
                role: Role::OrgAdmin,
            }
    }
}

fn world() -> impl Strategy<Value = World> {
    let home_role = prop_oneof![
        1 => Just(Role::OrgAdmin),
        3 => Just(Role::Member),
        2 => Just(Role::Guest),
    ];
    let partner_role = prop_oneof![
        1 => Just(Role::OrgAdmin),
        2 => Just(Role::Member),
        1 => Just(Role::Guest),
    ];
    let kind = prop_oneof![
        1 => Just(Kind::Team),
        1 => Just(Kind::Interest),
        1 => Just(Kind::Announcement),
        1 => Just(Kind::Department),
        2 => Just(Kind::Shared),
    ];
    let partnership = prop_oneof![
        1 => Just(Partnership::None),
        1 => Just(Partnership::Invited),
        3 => Just(Partnership::Accepted),
    ];
    let group = (
        kind,
        any::<u16>(),
        any::<u16>(),
        any::<u16>(),
        partnership,
        prop::bool::weighted(0.25),
    );
    (
        prop::collection::vec(home_role, 2..=4),
        prop::collection::vec(partner_role, 1..=2),
        prop::collection::vec(group, 1..=3),
        any::<u8>(),
    )
        .prop_map(|(home, partner, groups, dm)| {
            let mut people = vec![Person {
                org: Org::Home,
                role: Role::OrgAdmin,
            }];
            people.extend(home.iter().map(|&role| Person {
                org: Org::Home,
                role,
            }));
            let partner_admin = people.len();
            people.push(Person {
                org: Org::Partner,
                role: Role::OrgAdmin,
            });
            people.extend(partner.iter().map(|&role| Person {
                org: Org::Partner,
                role,
            }));
            people.push(Person {
                org: Org::Elsewhere,
                role: Role::Member,
            });
            let bit = |mask: u16, i: usize| mask & (1 << (i % 16)) != 0;
            let mut specs: Vec<GroupSpec> = groups
                .into_iter()
                .map(
                    |(kind, in_mask, admin_mask, join_mask, partnership, archived)| {
                        let partnership = if kind == Kind::Shared {
                            partnership
                        } else {
                            Partnership::None
                        };
                        let members: BTreeSet<usize> = (0..people.len())
                            .filter(|&i| {
                                i == BUILDER
                                    || (bit(in_mask, i)
                                        && match people[i].org {
                                            Org::Home => true,
                                            Org::Partner => partnership == Partnership::Accepted,
                                            Org::Elsewhere => false,
                                        })
                            })
                            .collect();
                        let home_member =
                            |i: &&usize| **i != BUILDER && people[**i].org == Org::Home;
                        let admins = members
                            .iter()
                            .filter(home_member)
                            .filter(|&&i| bit(admin_mask, i))
                            .copied()
                            .collect();
                        let joined = members
                            .iter()
                            .filter(home_member)
                            .filter(|&&i| {
                                kind.self_join()
                                    && people[i].role != Role::Guest
                                    && bit(join_mask, i)
                            })
                            .copied()
                            .collect();
                        GroupSpec {
                            kind,
                            members,
                            admins,
                            joined,
                            partnership,
                            archived,
                        }
                    },
                )
                .collect();
            // A direct conversation between the builder and a home staff member, if one is
            // drawn.
            let other = 1 + dm as usize % home.len();
            if people[other].role != Role::Guest && dm % 3 != 0 {
                specs.push(GroupSpec {
                    kind: Kind::Direct,
                    members: [BUILDER, other].into(),
                    admins: BTreeSet::new(),
                    joined: BTreeSet::new(),
                    partnership: Partnership::None,
                    archived: false,
                });
            }
            World {
                people,
                partner_admin,
                groups: specs,
            }
        })
}

/// A group as built on the server.
struct BuiltGroup {
    id: String,
    /// The message the builder posted before anyone looked, with a word found nowhere else.
    secret: String,
    word: String,
    /// The file attached to that message.
    file: String,
    /// The dice card the builder rolled there (not in direct conversations).
    card: Option<String>,
}

/// The world as built on the server.
struct Built {
    home: String,
    people: Vec<(String, Client)>,
    groups: Vec<BuiltGroup>,
}

fn ok(status: u16) -> bool {
    status == 200 || status == 201
}

async fn build(server: &TestServer, w: &World, case: usize) -> Built {
    let tag = &uuid::Uuid::new_v4().simple().to_string()[..8];
    let home = server.org(&format!("Matrix {case} {tag}")).await;
    let partner = server.org(&format!("Partner {case} {tag}")).await;
    let elsewhere = server.org(&format!("Elsewhere {case} {tag}")).await;
    let mut people = Vec::new();
    for (i, p) in w.people.iter().enumerate() {
        let org = match p.org {
            Org::Home => &home,
            Org::Partner => &partner,
            Org::Elsewhere => &elsewhere,
        };
        let name = format!("P{i} {:?} {:?}", p.org, p.role);
        people.push(server.person(org, &name, p.role.api()).await);
    }
    let builder = &people[BUILDER].1;
    for plugin in ["dice", "forms"] {
        let (s, v) = builder
            .post(
                &format!("/api/v1/orgs/{home}/plugins"),
                json!({"plugin_id": plugin}),
            )
            .await;
        assert_eq!(s, 201, "installing {plugin}: {v}");
    }
    let mut ids = Vec::new();
    for (n, g) in w.groups.iter().enumerate() {
        let (status, group) = if g.kind == Kind::Direct {
            let other = g.members.iter().find(|&&i| i != BUILDER).unwrap();
            builder
                .post("/api/v1/direct", json!({"person_ids": [people[*other].0]}))
                .await
        } else {
            // The creator joins teams, interest groups and channels on their own; a
            // department's creator is not placed in it unless named. Partner people come
            // later, through their admin; self-joiners join themselves.
            let members: Vec<&str> = g
                .members
                .iter()
                .filter(|&&i| i != BUILDER || g.kind == Kind::Department)
                .filter(|&&i| w.people[i].org == Org::Home && !g.joined.contains(&i))
                .map(|&i| people[i].0.as_str())
                .collect();
            builder
                .post(
                    "/api/v1/groups",
                    json!({"kind": g.kind.api(), "name": format!("G{n} {}", g.kind.api()), "member_ids": members}),
                )
                .await
        };
        assert!(ok(status), "creating {g:?}: {status} {group}");
        let gid = group["id"].as_str().unwrap().to_owned();
        for &i in &g.joined {
            let (s, v) = people[i]
                .1
                .post(&format!("/api/v1/groups/{gid}/join"), json!({}))
                .await;
            assert!(ok(s), "P{i} joining {g:?}: {s} {v}");
        }
        for &i in &g.admins {
            let (s, v) = builder
                .post(
                    &format!("/api/v1/groups/{gid}/members"),
                    json!({"person_id": people[i].0, "role": "admin"}),
                )
                .await;
            assert!(ok(s), "making P{i} a group admin: {s} {v}");
        }
        if g.partnership != Partnership::None {
            let (s, v) = builder
                .post(
                    &format!("/api/v1/groups/{gid}/partners"),
                    json!({"org_id": partner}),
                )
                .await;
            assert_eq!(s, 201, "inviting the partner: {v}");
        }
        if g.partnership == Partnership::Accepted {
            let partner_admin = &people[w.partner_admin].1;
            let (s, v) = partner_admin
                .post(
                    &format!("/api/v1/orgs/{partner}/partner-invitations/{gid}/accept"),
                    json!({}),
                )
                .await;
            assert_eq!(s, 200, "accepting the invitation: {v}");
            for &i in g
                .members
                .iter()
                .filter(|&&i| w.people[i].org == Org::Partner)
            {
                let (s, v) = partner_admin
                    .post(
                        &format!("/api/v1/groups/{gid}/members"),
                        json!({"person_id": people[i].0}),
                    )
                    .await;
                assert!(ok(s), "the partner adding P{i}: {s} {v}");
            }
        }
        if g.kind != Kind::Direct {
            for plugin in ["dice", "forms"] {
                let (s, v) = builder
                    .put_json(&format!("/api/v1/groups/{gid}/plugins/{plugin}"), json!({}))
                    .await;
                assert_eq!(s, 200, "enabling {plugin}: {v}");
            }
        }
        ids.push(gid);
    }
    let mut groups = Vec::new();
    for (n, (g, gid)) in w.groups.iter().zip(ids).enumerate() {
        let word = format!(
            "zq{case}x{n}{}",
            &uuid::Uuid::new_v4().simple().to_string()[..8]
        );
        let file = upload(builder, &format!("{word}.txt")).await;
        let (status, m) = builder
            .post(
                &format!("/api/v1/groups/{gid}/messages"),
                json!({"body": format!("secret {word}"), "attachments": [file],
                       "client_txn_id": uuid::Uuid::new_v4().to_string()}),
            )
            .await;
        assert_eq!(status, 201, "posting the secret: {m}");
        let card = if g.kind == Kind::Direct {
            None
        } else {
            let (s, v) = builder
                .post(
                    &format!("/api/v1/groups/{gid}/commands"),
                    json!({"text": "/roll"}),
                )
                .await;
            assert_eq!(s, 200, "rolling the dice: {v}");
            Some(v["message"]["id"].as_str().unwrap().to_owned())
        };
        groups.push(BuiltGroup {
            id: gid,
            secret: m["id"].as_str().unwrap().to_owned(),
            word,
            file,
            card,
        });
    }
    for (g, b) in w.groups.iter().zip(&groups) {
        if g.archived {
            let (s, v) = builder
                .patch(
                    &format!("/api/v1/groups/{}", b.id),
                    json!({"archived": true}),
                )
                .await;
            assert_eq!(s, 200, "archiving: {v}");
        }
    }
    Built {
        home,
        people,
        groups,
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

/// Answers compared with the model, and the ones that disagree.
#[derive(Default)]
struct Tally {
    compared: usize,
    wrong: Vec<String>,
}

impl Tally {
    fn expect(&mut self, what: String, got: bool, want: bool, detail: &dyn std::fmt::Display) {
        self.compared += 1;
        if got != want {
            self.wrong
                .push(format!("{what}: got {got}, model says {want} ({detail})"));
        }
    }

    /// `status` must be a success exactly when `want`, and 404 when `hidden`.
    fn answer(
        &mut self,
        what: String,
        status: u16,
        body: &serde_json::Value,
        want: bool,
        hidden: bool,
    ) {
        self.expect(what.clone(), ok(status), want, body);
        if hidden {
            self.expect(format!("{what} is 404"), status == 404, true, &status);
        }
    }
}

/// Builds one world and compares every answer with the model; returns the number of
/// comparisons, or every mismatch.
async fn check(server: &TestServer, w: &World, case: usize) -> Result<usize, Vec<String>> {
    let b = build(server, w, case).await;
    let everyone = 0..w.people.len();
    let mut sockets = Vec::new();
    for who in everyone.clone() {
        sockets.push(b.people[who].1.websocket(None).await);
    }
    // The sockets opened after the build; the secrets go out now, so each socket's events
    // are exactly what its person may hear.
    let mut live = Vec::new();
    for (g, built) in w.groups.iter().zip(&b.groups) {
        if g.archived {
            live.push(None);
            continue;
        }
        let (s, m) = b.people[BUILDER]
            .1
            .post(
                &format!("/api/v1/groups/{}/messages", built.id),
                json!({"body": format!("live {}", built.word),
                       "client_txn_id": uuid::Uuid::new_v4().to_string()}),
            )
            .await;
        assert_eq!(s, 201, "posting live: {m}");
        live.push(Some(m["id"].as_str().unwrap().to_owned()));
    }

    let mut t = Tally::default();
    for who in everyone.clone() {
        let c = &b.people[who].1;
        let heard = created_ids(&mut sockets[who]).await;
        let (_, listed) = c.get("/api/v1/groups").await;
        for (n, g) in w.groups.iter().enumerate() {
            let r = w.rights(who, g);
            let bg = &b.groups[n];
            let gid = &bg.id;
            let tag = format!("P{who} {:?} on {:?} group {n}", w.people[who], g.kind);
            let hidden = !r.see;

            let (s, v) = c.get(&format!("/api/v1/groups/{gid}")).await;
            t.answer(format!("{tag}: GET group"), s, &v, r.see, hidden);
            let in_list = listed
                .as_array()
                .is_some_and(|l| l.iter().any(|x| x["id"] == gid.as_str()));
            t.expect(
                format!("{tag}: listed"),
                in_list,
                r.listed,
                &"GET /api/v1/groups",
            );

            let (s, v) = c.get(&format!("/api/v1/groups/{gid}/members")).await;
            t.answer(
                format!("{tag}: members"),
                s,
                &v,
                r.list_members(g.kind),
                hidden,
            );

            let (s, v) = c.get(&format!("/api/v1/groups/{gid}/messages")).await;
            t.answer(format!("{tag}: history"), s, &v, r.read, hidden);
            t.expect(
                format!("{tag}: history holds the secret"),
                v.to_string().contains(bg.secret.as_str()),
                r.read,
                &s,
            );

            let (s, v) = c
                .get(&format!("/api/v1/search/messages?q={}", bg.word))
                .await;
            t.expect(
                format!("{tag}: search finds the secret"),
                s == 200 && v.to_string().contains(bg.secret.as_str()),
                r.read,
                &s,
            );
            if let Some(id) = &live[n] {
                t.expect(
                    format!("{tag}: WebSocket delivered the live message"),
                    heard.contains(id),
                    r.read,
                    &"message.created",
                );
            }

            let (s, v) = c
                .post(
                    &format!("/api/v1/groups/{gid}/messages"),
                    json!({"body": "probe", "client_txn_id": uuid::Uuid::new_v4().to_string()}),
                )
                .await;
            t.answer(format!("{tag}: post"), s, &v, r.post, hidden);

            let (s, v) = c
                .patch(
                    &format!("/api/v1/groups/{gid}"),
                    json!({"description": format!("checked by P{who}")}),
                )
                .await;
            t.answer(format!("{tag}: change"), s, &v, r.manage, hidden);

            let uploader = who == BUILDER;
            let (s, v) = c.get(&format!("/api/v1/files/{}/info", bg.file)).await;
            let may = r.read || uploader;
            t.answer(format!("{tag}: attached file"), s, &v, may, !may);

            if let Some(card) = &bg.card {
                check_plugins(&mut t, c, &tag, gid, card, &r).await;
            }
        }
        let (s, v) = c.get(&format!("/api/v1/orgs/{}/export", b.home)).await;
        let foreign = w.people[who].org != Org::Home;
        t.answer(
            format!("P{who} exports the home organization"),
            s,
            &v,
            w.exports_home(who),
            foreign,
        );
        for target in everyone.clone() {
            let (s, v) = c
                .get(&format!("/api/v1/people/{}", b.people[target].0))
                .await;
            let want = w.sees_person(who, target);
            t.answer(format!("P{who} sees P{target}"), s, &v, want, !want);
        }
    }
    for ws in sockets {
        ws.close().await;
    }
    // Joining last: it changes the world the other checks describe.
    for who in everyone {
        for (n, g) in w.groups.iter().enumerate() {
            if g.members.contains(&who) {
                continue;
            }
            let r = w.rights(who, g);
            let (s, v) = b.people[who]
                .1
                .post(
                    &format!("/api/v1/groups/{}/join", b.groups[n].id),
                    json!({}),
                )
                .await;
            let tag = format!("P{who} {:?} on {:?} group {n}", w.people[who], g.kind);
            t.answer(format!("{tag}: join"), s, &v, r.join, !r.see);
        }
    }
    if t.wrong.is_empty() {
        Ok(t.compared)
    } else {
        Err(t.wrong)
    }
}

/// The group's plugins: the list, the commands, the dice card's button, the forms page and
/// the forms route scoped to the group.
async fn check_plugins(t: &mut Tally, c: &Client, tag: &str, gid: &str, card: &str, r: &Rights) {
    let unread = !r.read;
    let (s, v) = c.get(&format!("/api/v1/groups/{gid}/plugins")).await;
    t.answer(format!("{tag}: plugins"), s, &v, r.read || r.manage, !r.see);
    let (s, v) = c.get(&format!("/api/v1/groups/{gid}/commands")).await;
    t.answer(format!("{tag}: commands"), s, &v, r.read, unread);
    let (s, v) = c
        .post(
            &format!("/api/v1/groups/{gid}/commands"),
            json!({"text": "/roll 6"}),
        )
        .await;
    t.answer(format!("{tag}: runs a command"), s, &v, r.post, unread);
    let (s, v) = c
        .post(
            &format!("/api/v1/messages/{card}/actions"),
            json!({"action_id": "roll", "value": "6"}),
        )
        .await;
    t.answer(
        format!("{tag}: presses a card's button"),
        s,
        &v,
        r.post,
        unread,
    );
    let (s, v) = c
        .get(&format!("/api/v1/groups/{gid}/plugins/forms/pages/forms"))
        .await;
    t.answer(format!("{tag}: plugin page"), s, &v, r.read, unread);
    let (s, v) = c
        .get(&format!("/api/v1/plugins/forms/forms?group_id={gid}"))
        .await;
    t.answer(format!("{tag}: plugin route"), s, &v, r.read, unread);
}

/// Cases per backend: each builds three organizations over HTTP, so they are few; the
/// `AUTHZ_MATRIX_CASES` variable runs more by hand.
fn cases() -> u32 {
    std::env::var("AUTHZ_MATRIX_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(12)
}

async fn every_answer_matches_the_model(backend: Backend) {
    let bundled = built("bundled-plugins");
    let server = TestServer::start_with(backend, move |c| {
        c.bundled_plugins_dir = Some(bundled.clone());
    })
    .await;
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
        "authorization matrix ({backend:?}): {worlds} generated worlds, {compared} \
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

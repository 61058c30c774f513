//! The polls plugin in a real in-process host, through the SDK's harness: polls from the
//! command line and from the form, single and multiple choice, votes changed and
//! withdrawn, the card updated in place, closing by hand and at the closing time, pages,
//! routes and CSV; thirty people voting at the same moment, all counted once; and anonymous
//! polls that name nobody anywhere the host shows — card, pages, routes, exports, logs,
//! the audit log and the organization's data export — while counting right.

use std::io::Read as _;
use std::sync::Arc;
use std::time::Duration;

use courtyard_host::app::audit::AuditSearch;
use courtyard_host::app::auth::Auth;
use courtyard_host::app::plugins::{RunAction, RunCommand};
use courtyard_sdk::testing::{Harness, PluginReply, TestGroup, TestPerson};
use serde_json::{Value, json};

const PLUGIN: &str = "polls";

async fn start() -> Harness {
    Harness::start(env!("CARGO_MANIFEST_DIR")).await.unwrap()
}

fn zh(who: &TestPerson) -> Auth {
    let mut auth = who.auth().clone();
    auth.locale = "zh-CN".into();
    auth
}

fn ephemeral(r: &PluginReply) -> String {
    r.ephemeral.clone().unwrap_or_default()
}

/// The poll's card in the group (the newest plugin card): (message id, card).
async fn card(h: &Harness, who: &TestPerson, group: &TestGroup) -> (String, Value) {
    h.messages(who, group)
        .await
        .unwrap()
        .into_iter()
        .find_map(|m| Some((m.id, m.card?)))
        .expect("a poll card")
}

/// A card's title, badges, fields, table, texts, buttons and form as text.
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
            "table" => {
                for row in b["rows"].as_array().into_iter().flatten() {
                    let cells: Vec<&str> = row
                        .as_array()
                        .unwrap()
                        .iter()
                        .map(|c| c.as_str().unwrap_or_default())
                        .collect();
                    out.push(format!("| {} |", cells.join(" | ")));
                }
            }
            "buttons" => {
                for x in b["buttons"].as_array().into_iter().flatten() {
                    out.push(format!(
                        "<{} {}>",
                        x["action_id"].as_str().unwrap_or_default(),
                        x["label"].as_str().unwrap_or_default()
                    ));
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

/// The results table: (option, votes, voters) per row.
fn rows(card: &Value) -> Vec<Vec<String>> {
    card["blocks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["type"] == "table")
        .expect("a results table")["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            r.as_array()
                .unwrap()
                .iter()
                .map(|c| c.as_str().unwrap().to_owned())
                .collect()
        })
        .collect()
}

fn votes(card: &Value) -> Vec<String> {
    rows(card).into_iter().map(|r| r[1].clone()).collect()
}

fn field<'a>(card: &'a Value, label: &str) -> &'a str {
    card["blocks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|b| b["type"] == "fields")
        .flat_map(|b| b["fields"].as_array().unwrap())
        .find(|f| f["label"] == label)
        .and_then(|f| f["value"].as_str())
        .unwrap_or_else(|| panic!("no field {label} in {card}"))
}

/// The value of the button that votes for option `i`.
fn vote_value(card: &Value, i: usize) -> String {
    card["blocks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|b| b["type"] == "buttons")
        .flat_map(|b| b["buttons"].as_array().unwrap())
        .filter(|b| b["action_id"] == "vote")
        .nth(i)
        .unwrap_or_else(|| panic!("no vote button {i} in {card}"))["value"]
        .as_str()
        .unwrap()
        .to_owned()
}

fn poll_id(card: &Value) -> String {
    card["blocks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|b| b["type"] == "buttons")
        .flat_map(|b| b["buttons"].as_array().unwrap())
        .find(|b| b["action_id"] == "close")
        .expect("a close button")["value"]
        .as_str()
        .unwrap()
        .to_owned()
}

fn has_buttons(card: &Value) -> bool {
    card["blocks"]
        .as_array()
        .unwrap()
        .iter()
        .any(|b| b["type"] == "buttons" || b["type"] == "form")
}

/// Calls a route as `who` (in `group`, if given): (status, body as text).
async fn route(
    h: &Harness,
    who: &TestPerson,
    method: &str,
    path: &str,
    group: Option<&TestGroup>,
) -> (u16, String) {
    let path = match group {
        Some(g) => {
            let sep = if path.contains('?') { '&' } else { '?' };
            format!("{path}{sep}group_id={}", g.id)
        }
        None => path.to_owned(),
    };
    let r = h.http(who, PLUGIN, method, &path, None).await.unwrap();
    (r.status, String::from_utf8(r.body).unwrap())
}

async fn route_json(
    h: &Harness,
    who: &TestPerson,
    method: &str,
    path: &str,
    group: Option<&TestGroup>,
) -> (u16, Value) {
    let (status, body) = route(h, who, method, path, group).await;
    (status, serde_json::from_str(&body).unwrap_or(json!(body)))
}

async fn page_text(h: &Harness, who: &TestPerson, group: &TestGroup, page: &str) -> String {
    let page = h.page(who, group, PLUGIN, page, "").await.unwrap();
    page.cards
        .iter()
        .map(card_text)
        .collect::<Vec<_>>()
        .join("\n---\n")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_named_single_choice_poll_from_vote_to_export() {
    let h = start().await;
    let alice = h.person("Alice").await.unwrap();
    let bob = h.person("Bob").await.unwrap();
    let carol = h.person("Carol").await.unwrap();
    let dave = h.person("Dave").await.unwrap();
    let outsider = h.person("Olga").await.unwrap();
    let group = h
        .group(&alice, "Team", &[&bob, &carol, &dave], json!({}))
        .await
        .unwrap();
    let other = h
        .group(&outsider, "Elsewhere", &[], json!({}))
        .await
        .unwrap();

    let r = h
        .command(&alice, &group, r#"/poll "Lunch?" Noodles Dumplings Rice"#)
        .await
        .unwrap();
    assert!(ephemeral(&r).contains("Poll posted"), "{r:?}");
    let (card_id, c) = card(&h, &alice, &group).await;
    let text = card_text(&c);
    assert!(
        text.starts_with("Lunch?\n[Open]\n[Single choice]"),
        "{text}"
    );
    assert!(
        text.contains("| 1. Noodles | 0 | 0% ░░░░░░░░░░ |  |"),
        "{text}"
    );
    assert!(text.contains("<vote Noodles>") && text.contains("<close Close poll>"));
    let id = poll_id(&c);

    // Votes update the card in place.
    let r = h
        .press(&bob, &card_id, "vote", &vote_value(&c, 0))
        .await
        .unwrap();
    assert_eq!(ephemeral(&r), "You voted for Noodles.");
    let (same, c) = card(&h, &alice, &group).await;
    assert_eq!(same, card_id);
    assert_eq!(votes(&c), ["1", "0", "0"]);
    assert_eq!(rows(&c)[0][3], "Bob");
    // Voting again replaces the vote.
    let r = h
        .press(&bob, &card_id, "vote", &vote_value(&c, 2))
        .await
        .unwrap();
    assert_eq!(ephemeral(&r), "Your vote is now Rice (it was Noodles).");
    let r = h
        .press(&bob, &card_id, "vote", &vote_value(&c, 2))
        .await
        .unwrap();
    assert_eq!(ephemeral(&r), "You already voted for Rice.");
    h.press(&carol, &card_id, "vote", &vote_value(&c, 2))
        .await
        .unwrap();
    h.press(&dave, &card_id, "vote", &vote_value(&c, 1))
        .await
        .unwrap();
    let (_, c) = card(&h, &alice, &group).await;
    assert_eq!(votes(&c), ["0", "1", "2"]);
    assert_eq!(field(&c, "Voters"), "3");
    assert_eq!(rows(&c)[2][2], "67% ███████░░░");
    assert_eq!(rows(&c)[2][3], "Bob, Carol");
    let r = h.press(&bob, &card_id, "mine", &id).await.unwrap();
    assert_eq!(ephemeral(&r), "Your vote: Rice.");
    // In Chinese.
    let r = h
        .app
        .run_action(
            &zh(&dave),
            &card_id,
            RunAction {
                action_id: "mine".into(),
                value: id.clone(),
            },
        )
        .await
        .unwrap();
    assert_eq!(ephemeral(&r), "你的投票：Dumplings。");
    // A button value pointing at another poll is refused.
    let e = h
        .press(&bob, &card_id, "vote", "someotherpoll:0")
        .await
        .unwrap_err();
    assert!(e.to_string().contains("no longer exists"), "{e}");

    // Withdrawing.
    let r = h.press(&bob, &card_id, "withdraw", &id).await.unwrap();
    assert_eq!(ephemeral(&r), "Your vote was withdrawn.");
    let (_, c) = card(&h, &alice, &group).await;
    assert_eq!(
        (votes(&c), field(&c, "Voters")),
        (vec!["0".into(), "1".into(), "1".into()], "2")
    );
    h.press(&bob, &card_id, "vote", &vote_value(&c, 0))
        .await
        .unwrap();

    // The routes: members of the group read it; only Alice (or an admin) exports it.
    let (status, got) = route_json(&h, &bob, "GET", &format!("polls/{id}"), Some(&group)).await;
    assert_eq!(status, 200, "{got}");
    assert_eq!(got["voters"], 3);
    assert_eq!(got["options"][2]["votes"], 1);
    assert_eq!(got["options"][2]["voters"][0]["name"], "Carol");
    assert_eq!(got["options"][2]["voters"][0]["id"], carol.id.as_str());
    let (status, _) = route_json(&h, &outsider, "GET", &format!("polls/{id}"), Some(&other)).await;
    assert_eq!(status, 404);
    let (status, _) = route(
        &h,
        &bob,
        "GET",
        &format!("polls/{id}/export.csv"),
        Some(&group),
    )
    .await;
    assert_eq!(status, 403);
    let (status, csv) = route(&h, &alice, "GET", &format!("polls/{id}/export.csv"), None).await;
    assert_eq!(status, 200);
    assert!(csv.starts_with('\u{feff}'), "UTF-8 with BOM");
    assert!(csv.contains("#,Option,Votes,Share of voters (%),Voters\r\n1,Noodles,1,33,Bob\r\n2,Dumplings,1,33,Dave\r\n3,Rice,1,33,Carol\r\n"), "{csv}");
    let (_, csv) = route(
        &h,
        &alice,
        "GET",
        &format!("polls/{id}/export.csv?lang=zh"),
        None,
    )
    .await;
    assert!(
        csv.contains("#,选项,票数,占投票人比例（%）,投票人"),
        "{csv}"
    );
    let (_, csv) = route(
        &h,
        &alice,
        "GET",
        &format!("polls/{id}/export.csv?by=voter"),
        None,
    )
    .await;
    assert!(
        csv.contains(&format!("Bob,{},Noodles\r\n", bob.id)),
        "{csv}"
    );
    let (_, listed) = route_json(&h, &carol, "GET", "polls", Some(&group)).await;
    assert_eq!(listed["polls"][0]["id"], id.as_str());

    // Pages.
    assert!(
        page_text(&h, &carol, &group, "polls")
            .await
            .contains("Lunch?")
    );
    let mine = page_text(&h, &alice, &group, "mine").await;
    assert!(
        mine.contains("Lunch?") && mine.contains("export.csv"),
        "{mine}"
    );
    assert!(
        page_text(&h, &bob, &group, "mine")
            .await
            .starts_with("No polls yet")
    );

    // Only Alice or an admin closes it; then the card shows the final result and no buttons.
    let e = h.press(&bob, &card_id, "close", &id).await.unwrap_err();
    assert!(
        e.to_string()
            .contains("Only the person who started the poll"),
        "{e}"
    );
    let (status, _) = route(&h, &bob, "POST", &format!("polls/{id}/close"), Some(&group)).await;
    assert_eq!(status, 403);
    let r = h.press(&alice, &card_id, "close", &id).await.unwrap();
    assert_eq!(ephemeral(&r), "Poll closed.");
    let (_, c) = card(&h, &bob, &group).await;
    let text = card_text(&c);
    assert!(
        text.contains("[Closed]") && text.contains("Final results."),
        "{text}"
    );
    assert!(
        field(&c, "Closed").contains("closed early by Alice"),
        "{text}"
    );
    assert_eq!(votes(&c), ["1", "1", "1"]);
    assert!(!has_buttons(&c), "{text}");
    // Its buttons are gone: the host refuses a press, and the plugin would too.
    assert!(
        h.press(&carol, &card_id, "vote", &format!("{id}:0"))
            .await
            .is_err()
    );
    let (_, got) = route_json(&h, &alice, "GET", &format!("polls/{id}"), None).await;
    assert_eq!(got["status"], "closed");
    let (_, csv) = route(&h, &alice, "GET", &format!("polls/{id}/export.csv"), None).await;
    assert!(csv.contains("Status,Closed"), "{csv}");

    let history = h.messages(&alice, &group).await.unwrap();
    assert_eq!(history.len(), 1, "one card, updated in place");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn multiple_choice_on_the_card_form_closing_at_its_time_and_hidden_results() {
    let h = start().await;
    let alice = h.person("Alice").await.unwrap();
    let bob = h.person("Bob").await.unwrap();
    let carol = h.person("Carol").await.unwrap();
    let group = h
        .group(&alice, "Team", &[&bob, &carol], json!({}))
        .await
        .unwrap();
    let r = h
        .app
        .run_command(
            &zh(&alice),
            &group.id,
            RunCommand {
                text: "/poll “周五团建？” 密室逃脱 K歌 保龄球 徒步 ——多选 ——最多 2 ——截止 2小时"
                    .into(),
            },
        )
        .await
        .unwrap();
    assert!(ephemeral(&r).starts_with("投票已发布，将于"), "{r:?}");
    let (card_id, c) = card(&h, &alice, &group).await;
    let text = card_text(&c);
    assert!(
        text.contains("[多选，最多 2 项]") && text.contains("{form ballot}"),
        "{text}"
    );
    assert!(text.contains("截止时间: "), "{text}");
    let form = c["blocks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["type"] == "form")
        .unwrap()["form"]
        .clone();
    let id = form["value"].as_str().unwrap().to_owned();

    let r = h
        .submit_on_card(&bob, &card_id, "ballot", json!({"choice": ["0", "1"]}))
        .await
        .unwrap();
    assert_eq!(ephemeral(&r), "You voted for 密室逃脱, K歌.");
    // The host keeps to --max: three choices are refused before the plugin sees them.
    assert!(
        h.submit_on_card(
            &carol,
            &card_id,
            "ballot",
            json!({"choice": ["0", "1", "2"]})
        )
        .await
        .is_err()
    );
    h.submit_on_card(&carol, &card_id, "ballot", json!({"choice": ["1"]}))
        .await
        .unwrap();
    // Sending again replaces the set.
    let r = h
        .submit_on_card(&bob, &card_id, "ballot", json!({"choice": ["3"]}))
        .await
        .unwrap();
    assert_eq!(
        ephemeral(&r),
        "Your vote is now 徒步 (it was 密室逃脱, K歌)."
    );
    let (_, c) = card(&h, &alice, &group).await;
    assert_eq!(votes(&c), ["0", "1", "0", "1"]);
    assert_eq!(field(&c, "投票人数"), "2");
    // Sending none withdraws.
    let r = h
        .submit_on_card(&carol, &card_id, "ballot", json!({"choice": []}))
        .await
        .unwrap();
    assert_eq!(ephemeral(&r), "Your vote was withdrawn.");
    h.submit_on_card(&carol, &card_id, "ballot", json!({"choice": ["1", "3"]}))
        .await
        .unwrap();

    // Nothing happens before the closing time; at it, the timer closes the poll.
    assert_eq!(h.advance(Duration::from_secs(3600)).await.unwrap(), 0);
    assert!(has_buttons(&card(&h, &alice, &group).await.1));
    assert_eq!(h.advance(Duration::from_secs(3601)).await.unwrap(), 1);
    let (_, c) = card(&h, &alice, &group).await;
    let text = card_text(&c);
    assert!(
        text.contains("[已结束]") && text.contains("最终结果。"),
        "{text}"
    );
    assert!(
        !text.contains("提前结束"),
        "closed by its time, not by a person: {text}"
    );
    assert_eq!(votes(&c), ["0", "1", "0", "2"]);
    assert_eq!(rows(&c)[3][3], "Bob、Carol");
    assert!(!has_buttons(&c));
    let (_, got) = route_json(&h, &alice, "GET", &format!("polls/{id}"), None).await;
    assert_eq!(
        (got["status"].as_str(), got["voters"].as_u64()),
        (Some("closed"), Some(2))
    );
    // It fires once.
    assert_eq!(h.advance(Duration::from_secs(86_400)).await.unwrap(), 0);

    // --hidden: the counts wait for the closing, for everyone, the creator included.
    h.command(&alice, &group, r#"/poll "Secret?" Yes No --hidden"#)
        .await
        .unwrap();
    let (card_id, c) = card(&h, &alice, &group).await;
    let hidden = poll_id(&c);
    h.press(&bob, &card_id, "vote", &vote_value(&c, 0))
        .await
        .unwrap();
    let (_, c) = card(&h, &alice, &group).await;
    assert_eq!(
        (votes(&c), field(&c, "Voters")),
        (vec!["—".into(), "—".into()], "1")
    );
    assert!(card_text(&c).contains("shown when the poll closes"));
    let (status, body) = route_json(
        &h,
        &alice,
        "GET",
        &format!("polls/{hidden}/export.csv"),
        None,
    )
    .await;
    assert_eq!((status, body["code"].as_str()), (403, Some("until_closed")));
    h.press(&alice, &card_id, "close", &hidden).await.unwrap();
    let (_, c) = card(&h, &alice, &group).await;
    assert_eq!(votes(&c), ["1", "0"]);
    assert_eq!(rows(&c)[0][3], "Bob");
}

/// Everything the host shows that could name a voter.
async fn everything_visible(
    h: &Harness,
    id: &str,
    group: &TestGroup,
    viewers: &[&TestPerson],
) -> Vec<(String, String)> {
    let admin = h.admin();
    let mut seen: Vec<(String, String)> = Vec::new();
    for who in viewers {
        for m in h.messages(who, group).await.unwrap() {
            seen.push((format!("message as {}", who.name), format!("{:?}", m.card)));
        }
        for page in ["polls", "mine"] {
            seen.push((
                format!("page {page} as {}", who.name),
                format!(
                    "{:?}",
                    h.page(who, group, PLUGIN, page, "").await.unwrap().cards
                ),
            ));
        }
        for path in [
            "polls".to_owned(),
            format!("polls/{id}"),
            format!("polls/{id}/export.csv"),
            format!("polls/{id}/export.csv?lang=zh"),
            format!("polls/{id}/export.csv?by=voter"),
        ] {
            for g in [None, Some(group)] {
                let (status, body) = route(h, who, "GET", &path, g).await;
                seen.push((format!("GET {path} as {} ({status})", who.name), body));
            }
        }
    }
    let logs = h.app.plugin_logs(admin.auth(), &h.org_id, PLUGIN).unwrap();
    seen.push(("plugin logs".into(), format!("{logs:?}")));
    let timers = h
        .app
        .plugin_timers(admin.auth(), &h.org_id, PLUGIN)
        .await
        .unwrap();
    seen.push(("plugin timers".into(), format!("{timers:?}")));
    let audit = h
        .app
        .audit_entries(admin.auth(), &h.org_id, AuditSearch::default())
        .await
        .unwrap();
    let about_polls: Vec<String> = audit
        .iter()
        .map(|e| format!("{e:?}"))
        .filter(|e| e.contains(id) || e.contains("polls"))
        .collect();
    seen.push(("audit log".into(), about_polls.join("\n")));
    for (name, text) in org_export(h).await {
        // The directory names everyone, by design; the plugin's data and the messages
        // must not.
        match name.as_str() {
            "plugin_records.jsonl" | "plugin_kv.jsonl" => {
                seen.push((format!("export {name}"), text));
            }
            "messages.jsonl" => {
                let cards: Vec<&str> = text
                    .lines()
                    .filter(|l| l.contains(r#""plugin_id":"polls""#))
                    .collect();
                assert!(!cards.is_empty(), "the poll's card is exported");
                seen.push((format!("export {name}"), cards.join("\n")));
            }
            _ => {}
        }
    }
    seen
}

/// The organization's data export, as an admin downloads it: (file, text) per file.
async fn org_export(h: &Harness) -> Vec<(String, String)> {
    let mut archive = h.app.export_org(h.admin().auth(), &h.org_id).await.unwrap();
    let mut bytes = Vec::new();
    while let Some(chunk) = archive.chunks.recv().await {
        bytes.extend_from_slice(&chunk.unwrap());
    }
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
    (0..zip.len())
        .map(|i| {
            let mut f = zip.by_index(i).unwrap();
            let name = f.name().unwrap().to_string();
            let mut text = String::new();
            f.read_to_string(&mut text).unwrap();
            (name, text)
        })
        .collect()
}

fn export_file(files: &[(String, String)], name: &str) -> String {
    files
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, t)| t.clone())
        .unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn anonymous_polls_name_nobody_anywhere_and_still_count() {
    let h = start().await;
    let admin = h.admin();
    let alice = h.person("Alice Creator").await.unwrap();
    let voters = [
        h.person("Bob Wang").await.unwrap(),
        h.person("Carol Li").await.unwrap(),
        h.person("Dave Sun").await.unwrap(),
        h.person("Erin Zhao").await.unwrap(),
    ];
    let [bob, carol, dave, erin] = &voters;
    let group = h
        .group(
            &alice,
            "Everyone",
            &[bob, carol, dave, erin, &admin],
            json!({}),
        )
        .await
        .unwrap();
    h.command(
        &alice,
        &group,
        r#"/poll "Rate the offsite?" Great OK Poor --anonymous"#,
    )
    .await
    .unwrap();
    let (card_id, c) = card(&h, &alice, &group).await;
    let id = poll_id(&c);
    assert!(card_text(&c).contains("[Anonymous]"));

    // One vote: nothing shown but that somebody voted — not to the creator, not to admins.
    let r = h
        .press(bob, &card_id, "vote", &vote_value(&c, 0))
        .await
        .unwrap();
    assert_eq!(
        ephemeral(&r),
        "You voted for Great. The vote is anonymous: only you can see this."
    );
    let (_, c) = card(&h, &alice, &group).await;
    assert_eq!(votes(&c), ["—", "—", "—"]);
    assert_eq!(field(&c, "Voters"), "1");
    assert!(card_text(&c).contains("appear once at least 3 people have voted"));
    for who in [&alice, &admin] {
        let (status, got) = route_json(&h, who, "GET", &format!("polls/{id}"), None).await;
        assert_eq!(
            (status, got["results_withheld"].as_str()),
            (200, Some("too_few_votes"))
        );
        assert!(got["options"][0].get("votes").is_none(), "{got}");
        let (status, body) =
            route_json(&h, who, "GET", &format!("polls/{id}/export.csv"), None).await;
        assert_eq!(
            (status, body["code"].as_str()),
            (403, Some("too_few_votes"))
        );
    }

    // More votes, a change of mind (Bob: Great → Poor), in Chinese too.
    h.press(carol, &card_id, "vote", &vote_value(&c, 1))
        .await
        .unwrap();
    let r = h
        .app
        .run_action(
            &zh(dave),
            &card_id,
            RunAction {
                action_id: "vote".into(),
                value: vote_value(&c, 2),
            },
        )
        .await
        .unwrap();
    assert_eq!(
        ephemeral(&r),
        "你投给了：Poor。本投票为匿名投票：只有你自己能看到这条消息。"
    );
    h.press(erin, &card_id, "vote", &vote_value(&c, 0))
        .await
        .unwrap();
    let r = h
        .press(bob, &card_id, "vote", &vote_value(&c, 2))
        .await
        .unwrap();
    assert!(ephemeral(&r).starts_with("Your vote is now Poor (it was Great)."));
    let (_, c) = card(&h, &alice, &group).await;
    assert_eq!(
        votes(&c),
        ["1", "1", "2"],
        "re-voting replaced Bob's ballot"
    );
    assert_eq!(field(&c, "Voters"), "4");
    assert_eq!(rows(&c)[0].len(), 3, "no column of voters");
    // Bob, and only Bob, learns his own vote.
    let r = h.press(bob, &card_id, "mine", &id).await.unwrap();
    assert_eq!(ephemeral(&r), "Your vote: Poor.");

    // Nothing the host shows names a voter: not the card, the pages, the routes, the CSV,
    // the logs, the timers, the audit log, the plugin's records and storage in the
    // organization's export — whoever looks, the creator and the admin included.
    let named = |text: &str| -> Option<String> {
        voters.iter().find_map(|v| {
            let first = v.name.split(' ').next().unwrap();
            (text.contains(&v.id) || text.contains(&v.name) || text.contains(first))
                .then(|| v.name.clone())
        })
    };
    let seen = everything_visible(&h, &id, &group, &[&alice, &admin, bob]).await;
    for (what, text) in &seen {
        assert_eq!(named(text), None, "{what} names a voter: {text}");
    }
    // …while the counts are right where they may be shown.
    let (_, got) = route_json(&h, &admin, "GET", &format!("polls/{id}"), None).await;
    let counts: Vec<u64> = (0..3)
        .map(|i| got["options"][i]["votes"].as_u64().unwrap())
        .collect();
    assert_eq!((counts, got["voters"].as_u64()), (vec![1, 1, 2], Some(4)));
    let (status, csv) = route(&h, &alice, "GET", &format!("polls/{id}/export.csv"), None).await;
    assert_eq!(status, 200);
    assert!(
        csv.contains(
            "#,Option,Votes,Share of voters (%)\r\n1,Great,1,25\r\n2,OK,1,25\r\n3,Poor,2,50\r\n"
        ),
        "{csv}"
    );
    let (status, _) = route(
        &h,
        &admin,
        "GET",
        &format!("polls/{id}/export.csv?by=voter"),
        None,
    )
    .await;
    assert_eq!(status, 403, "an anonymous poll has no list of voters");
    // The ballots are in the export — under pseudonyms, sealed — and the secret is not.
    let files = org_export(&h).await;
    let ballots_of = |records: &str| -> Vec<String> {
        records
            .lines()
            .filter(|l| l.contains(&format!(r#""collection":"ballots.{id}""#)))
            .map(str::to_owned)
            .collect()
    };
    let ballots = ballots_of(&export_file(&files, "plugin_records.jsonl"));
    assert!(!ballots.is_empty());
    for line in &ballots {
        // `{"ballots": {"<pseudonym>": {"n": "<nonce>", "c": "<sealed choice>"}}}`.
        assert!(
            line.contains(r#""n":"#) && !line.contains("choice"),
            "{line}"
        );
    }
    let kv = export_file(&files, "plugin_kv.jsonl");
    assert!(!kv.contains("sealed/"), "the secret never leaves: {kv}");

    // Closing keeps the count and deletes the ballots: nothing per voter remains.
    let (status, got) = route_json(&h, &admin, "POST", &format!("polls/{id}/close"), None).await;
    assert_eq!(
        (status, got["status"].as_str()),
        (200, Some("closed")),
        "{got}"
    );
    let (_, c) = card(&h, &alice, &group).await;
    assert_eq!(votes(&c), ["1", "1", "2"]);
    assert!(field(&c, "Closed").contains("closed early by Harness Admin"));
    let files = org_export(&h).await;
    let records = export_file(&files, "plugin_records.jsonl");
    assert_eq!(
        ballots_of(&records),
        Vec::<String>::new(),
        "ballots deleted"
    );
    assert!(records.contains(r#""counts":[1,1,2]"#), "{records}");
    let r = h.press(bob, &card_id, "mine", &id).await;
    assert!(r.is_err(), "the closed card has no buttons");
    for (what, text) in everything_visible(&h, &id, &group, &[&alice, &admin]).await {
        assert_eq!(
            named(&text),
            None,
            "{what} names a voter after closing: {text}"
        );
    }

    // An anonymous poll that closes with too few voters never shows its counts, and does
    // not keep them either.
    h.command(
        &alice,
        &group,
        r#"/poll "Second?" Yes No --anonymous --closes 1h"#,
    )
    .await
    .unwrap();
    let (card_id, c) = card(&h, &alice, &group).await;
    let second = poll_id(&c);
    h.press(bob, &card_id, "vote", &vote_value(&c, 0))
        .await
        .unwrap();
    h.press(carol, &card_id, "vote", &vote_value(&c, 0))
        .await
        .unwrap();
    assert_eq!(h.advance(Duration::from_secs(3601)).await.unwrap(), 1);
    let (_, c) = card(&h, &alice, &group).await;
    assert_eq!(
        (votes(&c), field(&c, "Voters")),
        (vec!["—".into(), "—".into()], "2")
    );
    let (_, got) = route_json(&h, &admin, "GET", &format!("polls/{second}"), None).await;
    assert_eq!(got["results_withheld"], "too_few_votes");
    let records = export_file(&org_export(&h).await, "plugin_records.jsonl");
    assert!(
        records.contains(r#""result":{"counts":null,"voters":2}"#),
        "{records}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn thirty_people_voting_at_the_same_moment_are_all_counted_once() {
    let h = Arc::new(start().await);
    let alice = h.person("Alice").await.unwrap();
    let mut people = Vec::new();
    for i in 0..30 {
        people.push(h.person(&format!("Voter {i}")).await.unwrap());
    }
    let refs: Vec<&TestPerson> = people.iter().collect();
    let group = h.group(&alice, "Everyone", &refs, json!({})).await.unwrap();
    for (flags, anonymous) in [("", false), ("--anonymous", true)] {
        h.command(
            &alice,
            &group,
            &format!(r#"/poll "Lunch?" Noodles Dumplings Rice {flags}"#),
        )
        .await
        .unwrap();
        let (card_id, c) = card(&h, &alice, &group).await;
        let id = poll_id(&c);
        let values: Vec<String> = (0..3).map(|i| vote_value(&c, i)).collect();
        // Everyone at once; then a third of them change their minds at once.
        for round in 0..2 {
            let mut tasks = tokio::task::JoinSet::new();
            for (i, who) in people.iter().enumerate() {
                if round == 1 && i % 3 != 0 {
                    continue;
                }
                let option = if round == 0 { i % 3 } else { 2 };
                let (h, who, card_id, value) = (
                    h.clone(),
                    who.clone(),
                    card_id.clone(),
                    values[option].clone(),
                );
                tasks.spawn(async move { h.press(&who, &card_id, "vote", &value).await });
            }
            while let Some(done) = tasks.join_next().await {
                let reply = done.unwrap().expect("every vote is taken");
                assert!(ephemeral(&reply).starts_with("You"), "{reply:?}");
            }
        }
        let expected = [0u64, 10, 20];
        let (_, got) = route_json(&h, &alice, "GET", &format!("polls/{id}"), Some(&group)).await;
        let counts: Vec<u64> = (0..3)
            .map(|i| got["options"][i]["votes"].as_u64().unwrap())
            .collect();
        assert_eq!(
            (counts.as_slice(), got["voters"].as_u64()),
            (&expected[..], Some(30))
        );
        if !anonymous {
            let named: usize = (0..3)
                .map(|i| got["options"][i]["voters"].as_array().unwrap().len())
                .sum();
            assert_eq!(named, 30);
        }
        // The card shows the last count: drawn by the last drawer, or — when a storm of
        // votes outlasted a call — by the redraw it handed to a timer.
        let pending = h
            .app
            .plugin_timers(h.admin().auth(), &h.org_id, PLUGIN)
            .await
            .unwrap();
        if pending.iter().any(|t| t.key.starts_with("refresh.")) {
            h.advance(Duration::from_secs(2)).await.unwrap();
        }
        let (_, c) = card(&h, &alice, &group).await;
        assert_eq!(votes(&c), ["0", "10", "20"], "{}", card_text(&c));
        assert_eq!(field(&c, "Voters"), "30");
    }
    // No vote failed to be drawn or stored.
    let logs = h
        .app
        .plugin_logs(h.admin().auth(), &h.org_id, PLUGIN)
        .unwrap();
    for line in &logs {
        assert_ne!(line.level, "warn", "{}", line.message);
        assert_ne!(line.level, "error", "{}", line.message);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_input_is_refused_in_both_languages_and_the_form_works() {
    let h = start().await;
    let alice = h.person("Alice").await.unwrap();
    let group = h.group(&alice, "Team", &[], json!({})).await.unwrap();
    let zh_command = |text: &str| {
        let (h, auth, group, text) = (&h, zh(&alice), group.clone(), text.to_owned());
        async move {
            h.app
                .run_command(&auth, &group.id, RunCommand { text })
                .await
        }
    };
    for (text, en, zh) in [
        (r#"/poll "Lunch? Noodles Rice"#, "never closed", "没有闭合"),
        (
            r#"/poll "Lunch?" Noodles"#,
            "at least 2 options",
            "至少需要 2 个选项",
        ),
        (r#"/poll "Lunch?" Rice rice"#, "there twice", "重复"),
        (r#"/poll "Lunch?" A B --max 1"#, "at least 2", "至少为 2"),
        (
            r#"/poll "Lunch?" A B --closes soon"#,
            "not a closing time",
            "不是有效的截止时间",
        ),
        (
            r#"/poll "Lunch?" A B --colour red"#,
            "Unknown flag",
            "不认识的参数",
        ),
        (
            r#"/poll "Lunch?" A B --closes 2020-01-01 10:00"#,
            "already passed",
            "已经过去",
        ),
    ] {
        let e = h
            .command(&alice, &group, text)
            .await
            .unwrap_err()
            .to_string();
        assert!(e.contains(en), "{text}: {e}");
        let e = zh_command(text).await.unwrap_err().to_string();
        assert!(e.contains(zh), "{text}: {e}");
    }
    let (_, listed) = route_json(&h, &alice, "GET", "polls", Some(&group)).await;
    assert_eq!(listed["polls"], json!([]), "nothing was stored");
    assert!(h.messages(&alice, &group).await.unwrap().is_empty());

    let help = ephemeral(&h.command(&alice, &group, "/poll help").await.unwrap());
    assert!(
        help.contains("--anonymous") && help.contains("--closes"),
        "{help}"
    );
    let help = ephemeral(&zh_command("/poll 帮助").await.unwrap());
    assert!(help.contains("--匿名"), "{help}");

    // `/poll` alone answers a form; what is wrong comes back on it.
    let form = h
        .command(&alice, &group, "/poll")
        .await
        .unwrap()
        .form
        .expect("a form");
    let again = h
        .submit(
            &alice,
            &form,
            json!({"question": "Where to?", "options": "Park\n\npark\n", "multi": false}),
        )
        .await
        .unwrap()
        .form
        .expect("the form again");
    let options = again.form["fields"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["name"] == "options")
        .unwrap()
        .clone();
    assert!(
        options["help"]
            .as_str()
            .unwrap()
            .contains("“park” is there twice"),
        "{options}"
    );
    let in_a_month = courtyard_sdk::time::Date::from_days(
        (std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs()
            / 86_400) as i64
            + 30,
    );
    let r = h
        .submit(
            &alice,
            &again,
            json!({"question": "Where to?", "options": "Park\nBeach\n Museum ", "multi": true,
                   "max": 2, "anonymous": true, "closes": format!("{in_a_month}T18:00")}),
        )
        .await
        .unwrap();
    assert!(
        ephemeral(&r).contains(&format!("It closes at {in_a_month} 18:00")),
        "{r:?}"
    );
    let (_, c) = card(&h, &alice, &group).await;
    let text = card_text(&c);
    assert!(
        text.starts_with("Where to?\n[Open]\n[Multiple choice, up to 2]\n[Anonymous]"),
        "{text}"
    );
    assert!(text.contains("| 3. Museum | — | — |"), "{text}");
}

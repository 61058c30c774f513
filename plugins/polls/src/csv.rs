//! CSV exports that open in Excel, Chinese included: UTF-8 with a byte-order mark, RFC
//! 4180 (commas, CRLF, quoted cells), and cells people typed defused against formula
//! injection (a leading `=`, `+`, `-`, `@`, tab or carriage return gets an apostrophe).
//!
//! - [`results`]: one row per option — votes and share of voters, and for a named poll who
//!   chose it — then the poll's particulars. For an anonymous poll: counts only.
//! - [`ballots`]: a named poll's ballots, one row per voter. There is none for an
//!   anonymous poll.

use crate::cards::kind_label;
use crate::model::{Lang, Poll, Tally, Voter, percent};

/// What Excel needs to read UTF-8.
pub const BOM: &str = "\u{feff}";

/// A cell, quoted when needed.
fn quote(text: &str) -> String {
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_owned()
    }
}

/// A cell of text people typed.
pub fn text_cell(text: &str) -> String {
    if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        quote(&format!("'{text}"))
    } else {
        quote(text)
    }
}

fn line(out: &mut String, cells: &[String]) {
    out.push_str(&cells.join(","));
    out.push_str("\r\n");
}

fn names(list: &[Voter]) -> String {
    list.iter()
        .map(|v| v.name.as_str())
        .collect::<Vec<_>>()
        .join("; ")
}

/// The results of a poll whose counts may be shown. `times`: the closing (or closed) time
/// as people read it, if any.
pub fn results(poll: &Poll, tally: &Tally, lang: Lang, times: Option<String>) -> String {
    let named = !poll.anonymous;
    let mut out = String::from(BOM);
    let mut header = vec![
        "#".to_owned(),
        lang.tr("Option", "选项").to_owned(),
        lang.tr("Votes", "票数").to_owned(),
        lang.tr("Share of voters (%)", "占投票人比例（%）")
            .to_owned(),
    ];
    if named {
        header.push(lang.tr("Voters", "投票人").to_owned());
    }
    line(&mut out, &header);
    let counts = tally.counts.clone().unwrap_or_default();
    for (i, option) in poll.options.iter().enumerate() {
        let n = counts.get(i).copied().unwrap_or(0);
        let mut cells = vec![
            (i + 1).to_string(),
            text_cell(option),
            n.to_string(),
            percent(n, tally.voters).to_string(),
        ];
        if named {
            cells.push(text_cell(
                &tally.names.get(i).map(|l| names(l)).unwrap_or_default(),
            ));
        }
        line(&mut out, &cells);
    }
    out.push_str("\r\n");
    let yes_no = |b: bool| lang.tr(if b { "Yes" } else { "No" }, if b { "是" } else { "否" });
    let status = if poll.is_open() {
        lang.tr("Open", "进行中")
    } else {
        lang.tr("Closed", "已结束")
    };
    let mut facts = vec![
        (lang.tr("Question", "问题"), text_cell(&poll.question)),
        (lang.tr("Voters", "投票人数"), tally.voters.to_string()),
        (lang.tr("Status", "状态"), status.to_owned()),
        (lang.tr("Kind", "类型"), text_cell(&kind_label(poll, lang))),
        (
            lang.tr("Anonymous", "匿名"),
            yes_no(poll.anonymous).to_owned(),
        ),
        (
            lang.tr("Started by", "发起人"),
            text_cell(&poll.creator_name),
        ),
    ];
    if let Some(t) = times {
        let label = if poll.is_open() {
            lang.tr("Closes", "截止时间")
        } else {
            lang.tr("Closed", "结束时间")
        };
        facts.push((label, text_cell(&t)));
    }
    for (label, value) in facts {
        line(&mut out, &[quote(label), value]);
    }
    out
}

/// A named poll's ballots: name, person id and choice, one row per voter, by name.
pub fn ballots(poll: &Poll, voters: &[(Voter, Vec<u8>)], lang: Lang) -> String {
    let mut out = String::from(BOM);
    line(
        &mut out,
        &[
            lang.tr("Name", "姓名").to_owned(),
            lang.tr("Person id", "人员 ID").to_owned(),
            lang.tr("Choice", "选择").to_owned(),
        ],
    );
    let mut rows: Vec<&(Voter, Vec<u8>)> = voters.iter().collect();
    rows.sort();
    for (voter, choice) in rows {
        let chosen: Vec<&str> = choice
            .iter()
            .filter_map(|&i| poll.options.get(usize::from(i)).map(String::as_str))
            .collect();
        line(
            &mut out,
            &[
                text_cell(&voter.name),
                text_cell(&voter.id),
                text_cell(&chosen.join("; ")),
            ],
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Status;

    fn poll(anonymous: bool) -> Poll {
        Poll {
            question: "=Lunch, today?".into(),
            options: vec!["面条".into(), "-Rice \"special\"".into()],
            multi: false,
            max: None,
            anonymous,
            hidden: false,
            group_id: "g".into(),
            creator_id: "c".into(),
            creator_name: "王芳".into(),
            lang: Lang::Zh,
            created_ms: 0,
            closes_ms: None,
            message_id: None,
            status: Status::Closed,
            closed_ms: Some(0),
            closed_by: None,
            result: None,
        }
    }

    #[test]
    fn results_open_in_excel_and_defuse_formulas() {
        let voter = |n: &str| Voter {
            name: n.into(),
            id: format!("id-{n}"),
        };
        let t = Tally {
            voters: 3,
            counts: Some(vec![2, 1]),
            names: vec![vec![voter("李雷"), voter("韩梅梅")], vec![voter("@Bob")]],
        };
        let csv = results(&poll(false), &t, Lang::Zh, Some("2026-12-24 18:00".into()));
        assert!(csv.starts_with(BOM));
        let lines: Vec<&str> = csv.trim_start_matches(BOM).split("\r\n").collect();
        assert_eq!(lines[0], "#,选项,票数,占投票人比例（%）,投票人");
        assert_eq!(lines[1], "1,面条,2,67,李雷; 韩梅梅");
        assert_eq!(lines[2], "2,\"'-Rice \"\"special\"\"\",1,33,'@Bob");
        assert!(lines.contains(&"问题,\"'=Lunch, today?\""));
        assert!(lines.contains(&"结束时间,2026-12-24 18:00"));

        let anonymous = results(&poll(true), &Tally { names: vec![], ..t }, Lang::En, None);
        assert!(anonymous.contains("#,Option,Votes,Share of voters (%)\r\n"));
        assert!(!anonymous.contains("李雷") && !anonymous.contains("id-"));
    }

    #[test]
    fn ballots_list_named_voters() {
        let csv = ballots(
            &poll(false),
            &[
                (
                    Voter {
                        name: "Zed".into(),
                        id: "p2".into(),
                    },
                    vec![1],
                ),
                (
                    Voter {
                        name: "Amy".into(),
                        id: "p1".into(),
                    },
                    vec![0, 1],
                ),
            ],
            Lang::En,
        );
        assert_eq!(
            csv,
            "\u{feff}Name,Person id,Choice\r\nAmy,p1,\"面条; -Rice \"\"special\"\"\"\r\nZed,p2,\"'-Rice \"\"special\"\"\"\r\n"
        );
    }
}

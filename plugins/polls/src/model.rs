//! What a poll is, what a ballot is, and how ballots are counted. Pure Rust (the HMAC comes
//! from the SDK's `storage::pseudonym`, which is plain code too).
//!
//! **Ballots.** Each voter has one ballot per poll, stored under their *pseudonym*:
//! `storage::pseudonym(secret, poll id, person id)`, an HMAC under the plugin's sealed
//! secret. A named poll's ballot says who voted (id and display name) and what. An
//! anonymous poll's ballot is [`Ballot::Sealed`]: a random nonce and the choices XORed with
//! a pad derived from the secret, the poll, the pseudonym and the nonce. Without the secret
//! — which sealed storage keeps out of every export — a ballot names nobody and says
//! nothing; and since every write draws a new nonce, two copies of the data taken before
//! and after a change of vote do not show what changed. Ballots carry no times.
//!
//! **Counting.** A voter is counted once: their ballot's key is their pseudonym. The
//! percentages are shares of the voters (in a multiple-choice poll they add up to more
//! than 100%).

use std::collections::BTreeMap;

use courtyard_sdk::storage::pseudonym;
use serde::{Deserialize, Serialize};

/// An anonymous poll shows its counts only once this many people have voted: with fewer,
/// counts name people by elimination ("the only vote was Bob's").
pub const MIN_ANONYMOUS_VOTERS: u32 = 3;

/// Ballots of a poll are spread over this many records, so that people voting at the
/// same moment rarely write the same one, and a poll holds some 5,000 named or 9,000
/// anonymous voters within the host's 64 KiB per record.
pub const SHARDS: usize = 16;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Lang {
    #[default]
    En,
    Zh,
}

impl Lang {
    pub fn from_locale(locale: &str) -> Lang {
        if locale.starts_with("zh") {
            Lang::Zh
        } else {
            Lang::En
        }
    }

    pub fn is_zh(self) -> bool {
        self == Lang::Zh
    }

    /// The English or the Chinese text.
    pub fn tr<T>(self, en: T, zh: T) -> T {
        if self.is_zh() { zh } else { en }
    }
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    #[default]
    Open,
    Closed,
}

/// A poll as stored (records, collection `polls`). It names its creator (who asked is no
/// secret) and never a voter.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Poll {
    pub question: String,
    pub options: Vec<String>,
    pub multi: bool,
    /// Multiple choice: the most options one may choose (`None`: any number).
    #[serde(default)]
    pub max: Option<u8>,
    pub anonymous: bool,
    /// Results are shown once the poll is closed.
    #[serde(default)]
    pub hidden: bool,
    pub group_id: String,
    pub creator_id: String,
    pub creator_name: String,
    /// The creator's language: the card in the group is drawn in it.
    pub lang: Lang,
    pub created_ms: i64,
    #[serde(default)]
    pub closes_ms: Option<i64>,
    /// The card in the group, once posted.
    #[serde(default)]
    pub message_id: Option<String>,
    #[serde(default)]
    pub status: Status,
    #[serde(default)]
    pub closed_ms: Option<i64>,
    /// Who closed it early (the creator or an organization admin); `None` when it closed
    /// at its closing time.
    #[serde(default)]
    pub closed_by: Option<String>,
    /// The final count, kept when the poll closes (an anonymous poll's ballots are then
    /// deleted: nothing per voter remains).
    #[serde(default)]
    pub result: Option<Final>,
}

/// A closed poll's count.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Final {
    pub voters: u32,
    /// Per option; `None` for an anonymous poll with too few voters to show them.
    pub counts: Option<Vec<u32>>,
}

impl Poll {
    pub fn is_open(&self) -> bool {
        self.status == Status::Open
    }

    /// The most options one person may choose.
    pub fn most(&self) -> usize {
        if self.multi {
            self.max.map_or(self.options.len(), usize::from)
        } else {
            1
        }
    }

    /// Checks a choice: option indexes, sorted and deduplicated. An empty choice withdraws
    /// a vote.
    pub fn check_choice(&self, mut choice: Vec<u8>, lang: Lang) -> Result<Vec<u8>, String> {
        choice.sort_unstable();
        choice.dedup();
        if choice.iter().any(|&i| usize::from(i) >= self.options.len()) {
            return Err(lang
                .tr("That option is not in this poll.", "投票中没有这个选项。")
                .into());
        }
        if choice.len() > self.most() {
            let most = self.most();
            return Err(lang.tr(
                format!("Choose at most {most} options."),
                format!("最多选择 {most} 项。"),
            ));
        }
        Ok(choice)
    }
}

/// One voter's ballot.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Ballot {
    /// A named poll: who, and what.
    Named {
        id: String,
        name: String,
        choice: Vec<u8>,
    },
    /// An anonymous poll: `c` is the choice as a bit set, XORed with a pad only the plugin
    /// can compute; `n` is a fresh random nonce per write.
    Sealed { n: String, c: String },
}

/// A share of a poll's ballots, keyed by pseudonym; `closed` once the poll is closed, after
/// which no ballot is taken.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Shard {
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub closed: bool,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub ballots: BTreeMap<String, Ballot>,
}

/// The shard a pseudonym's ballot lives in.
pub fn shard_of(pseudonym: &str) -> usize {
    pseudonym
        .get(..2)
        .and_then(|h| usize::from_str_radix(h, 16).ok())
        .unwrap_or(0)
        % SHARDS
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn pad(secret: &[u8], poll_id: &str, key: &str, nonce: &str) -> u32 {
    let mac = pseudonym(
        secret,
        &format!("polls/ballot/{poll_id}"),
        &format!("{key}/{nonce}"),
    );
    u32::from_str_radix(&mac[..8], 16).unwrap_or(0)
}

fn mask(choice: &[u8]) -> u32 {
    choice.iter().fold(0, |m, &i| m | 1u32 << (i % 32))
}

/// An anonymous ballot for `choice`, under the voter's pseudonym `key`.
pub fn seal(secret: &[u8], poll_id: &str, key: &str, choice: &[u8], nonce: &[u8]) -> Ballot {
    let n = hex(nonce);
    let c = mask(choice) ^ pad(secret, poll_id, key, &n);
    Ballot::Sealed {
        n,
        c: format!("{c:08x}"),
    }
}

/// What a ballot chose (for the plugin only: an anonymous ballot needs the secret). `None`
/// for a ballot that does not read as a choice of this poll.
pub fn open(
    secret: &[u8],
    poll_id: &str,
    key: &str,
    ballot: &Ballot,
    options: usize,
) -> Option<Vec<u8>> {
    let choice = match ballot {
        Ballot::Named { choice, .. } => choice.clone(),
        Ballot::Sealed { n, c } => {
            let bits = u32::from_str_radix(c, 16).ok()? ^ pad(secret, poll_id, key, n);
            (0..32u8).filter(|i| bits & (1 << i) != 0).collect()
        }
    };
    (!choice.is_empty() && choice.iter().all(|&i| usize::from(i) < options)).then_some(choice)
}

/// A person named on a named poll's results.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Voter {
    pub name: String,
    pub id: String,
}

/// The count of a poll at one moment.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Tally {
    pub voters: u32,
    /// Per option; `None` when not known (an anonymous poll closed with too few voters).
    pub counts: Option<Vec<u32>>,
    /// Named polls: who chose each option, by name.
    pub names: Vec<Vec<Voter>>,
}

/// Counts ballots. Named polls also list who chose what.
pub fn tally<'a>(
    secret: &[u8],
    poll_id: &str,
    poll: &Poll,
    ballots: impl IntoIterator<Item = (&'a String, &'a Ballot)>,
) -> Tally {
    let n = poll.options.len();
    let mut counts = vec![0u32; n];
    let mut names: Vec<Vec<Voter>> = vec![Vec::new(); if poll.anonymous { 0 } else { n }];
    let mut voters = 0;
    for (key, ballot) in ballots {
        let Some(choice) = open(secret, poll_id, key, ballot, n) else {
            continue;
        };
        if choice.len() > poll.most() {
            continue;
        }
        voters += 1;
        for &i in &choice {
            counts[usize::from(i)] += 1;
            if let (Ballot::Named { id, name, .. }, Some(list)) =
                (ballot, names.get_mut(usize::from(i)))
            {
                list.push(Voter {
                    name: name.clone(),
                    id: id.clone(),
                });
            }
        }
    }
    for list in &mut names {
        list.sort();
    }
    Tally {
        voters,
        counts: Some(counts),
        names,
    }
}

/// Why a poll's counts are not shown.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Withheld {
    /// Anonymous, and fewer than [`MIN_ANONYMOUS_VOTERS`] voted.
    TooFew,
    /// Results are shown once the poll closes.
    UntilClosed,
}

/// Whether the counts of `poll` may be shown now (to anyone: creator and admins included).
pub fn withheld(poll: &Poll, tally: &Tally) -> Option<Withheld> {
    if poll.anonymous && (tally.voters < MIN_ANONYMOUS_VOTERS || tally.counts.is_none()) {
        Some(Withheld::TooFew)
    } else if poll.hidden && poll.is_open() {
        Some(Withheld::UntilClosed)
    } else {
        None
    }
}

/// A share of the voters as a whole percentage.
pub fn percent(count: u32, voters: u32) -> u32 {
    if voters == 0 {
        0
    } else {
        ((u64::from(count) * 100 + u64::from(voters) / 2) / u64::from(voters)) as u32
    }
}

/// Who may close a poll early and export it: its creator and the organization's admins.
pub fn may_manage(poll: &Poll, person_id: &str, org_admin: bool) -> bool {
    org_admin || poll.creator_id == person_id
}

#[cfg(test)]
mod tests {
    use super::*;

    fn poll(anonymous: bool, multi: bool, max: Option<u8>) -> Poll {
        Poll {
            question: "Lunch?".into(),
            options: vec!["Noodles".into(), "Dumplings".into(), "Rice".into()],
            multi,
            max,
            anonymous,
            hidden: false,
            group_id: "g".into(),
            creator_id: "c".into(),
            creator_name: "Carol".into(),
            lang: Lang::En,
            created_ms: 0,
            closes_ms: None,
            message_id: None,
            status: Status::Open,
            closed_ms: None,
            closed_by: None,
            result: None,
        }
    }

    #[test]
    fn sealed_ballots_read_only_with_the_secret_and_never_repeat() {
        let secret = [7u8; 32];
        let key = pseudonym(&secret, "p1", "person-1");
        let a = seal(&secret, "p1", &key, &[0, 2], &[1; 8]);
        let b = seal(&secret, "p1", &key, &[0, 2], &[2; 8]);
        assert_ne!(a, b, "a fresh nonce hides that the choice is the same");
        assert_eq!(open(&secret, "p1", &key, &a, 3), Some(vec![0, 2]));
        assert_eq!(open(&secret, "p1", &key, &b, 3), Some(vec![0, 2]));
        // Another secret, poll or voter reads garbage (here: not a choice of the poll).
        let wrong = open(&[8u8; 32], "p1", &key, &a, 3);
        assert_ne!(wrong, Some(vec![0, 2]));
        let text = serde_json::to_string(&a).unwrap();
        assert!(!text.contains("person-1"), "{text}");
    }

    #[test]
    fn counts_each_voter_once_and_names_only_named_polls() {
        let secret = [1u8; 32];
        let named = poll(false, true, Some(2));
        let mut ballots = BTreeMap::new();
        for (i, (id, choice)) in [("a", vec![0u8, 1]), ("b", vec![1]), ("c", vec![1, 2])]
            .into_iter()
            .enumerate()
        {
            ballots.insert(
                format!("k{i}"),
                Ballot::Named {
                    id: id.into(),
                    name: id.to_uppercase(),
                    choice,
                },
            );
        }
        // A ballot with more choices than allowed does not count.
        ballots.insert(
            "k9".into(),
            Ballot::Named {
                id: "d".into(),
                name: "D".into(),
                choice: vec![0, 1, 2],
            },
        );
        let t = tally(&secret, "p", &named, &ballots);
        assert_eq!(t.voters, 3);
        assert_eq!(t.counts, Some(vec![1, 3, 1]));
        assert_eq!(
            t.names[1]
                .iter()
                .map(|v| v.name.as_str())
                .collect::<Vec<_>>(),
            ["A", "B", "C"]
        );
        assert_eq!(withheld(&named, &t), None);

        let anon = poll(true, false, None);
        let mut ballots = BTreeMap::new();
        for (i, person) in ["a", "b"].iter().enumerate() {
            let key = pseudonym(&secret, "p", person);
            ballots.insert(
                key.clone(),
                seal(&secret, "p", &key, &[i as u8], &[i as u8; 8]),
            );
        }
        let t = tally(&secret, "p", &anon, &ballots);
        assert_eq!((t.voters, t.counts.clone()), (2, Some(vec![1, 1, 0])));
        assert!(t.names.is_empty());
        assert_eq!(withheld(&anon, &t), Some(Withheld::TooFew));
        let key = pseudonym(&secret, "p", "c");
        ballots.insert(key.clone(), seal(&secret, "p", &key, &[2], &[9; 8]));
        let t = tally(&secret, "p", &anon, &ballots);
        assert_eq!(withheld(&anon, &t), None);
        let mut hidden = anon.clone();
        hidden.hidden = true;
        assert_eq!(withheld(&hidden, &t), Some(Withheld::UntilClosed));
        hidden.status = Status::Closed;
        assert_eq!(withheld(&hidden, &t), None);
    }

    #[test]
    fn choices_are_checked() {
        let single = poll(false, false, None);
        assert_eq!(single.check_choice(vec![2], Lang::En), Ok(vec![2]));
        assert!(single.check_choice(vec![0, 1], Lang::En).is_err());
        assert!(
            single
                .check_choice(vec![3], Lang::Zh)
                .unwrap_err()
                .contains("没有")
        );
        let multi = poll(false, true, Some(2));
        assert_eq!(multi.check_choice(vec![2, 0, 2], Lang::En), Ok(vec![0, 2]));
        assert!(multi.check_choice(vec![0, 1, 2], Lang::En).is_err());
        assert_eq!(multi.check_choice(vec![], Lang::En), Ok(vec![]));
        assert_eq!(percent(1, 3), 33);
        assert_eq!(percent(2, 3), 67);
        assert_eq!(percent(0, 0), 0);
        assert_eq!(shard_of("ff00"), 255 % SHARDS);
    }
}

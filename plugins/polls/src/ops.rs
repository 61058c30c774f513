//! Every operation on the host: creating a poll, voting, closing (by hand or by its
//! timer), reading a poll with its count, and keeping its card current.
//!
//! Nothing here logs a voter, and no error names one: plugin logs are visible to admins.

use courtyard_sdk::prelude::*;

use crate::cards;
use crate::model::{
    Ballot, Final, Lang, MIN_ANONYMOUS_VOTERS, Poll, Status, Tally, Voter, may_manage, open, seal,
    tally,
};
use crate::parse::{Closing, MAX_MINUTES};
use crate::store::{self, HostKv, Put, Refreshed};

pub const POLLS: Collection<Poll> = Collection::new("polls");

/// The name of the sealed secret behind pseudonyms and sealed ballots.
const SECRET: &str = "polls";

pub fn now() -> i64 {
    clock::now_ms()
}

fn secret() -> Result<Vec<u8>> {
    storage::sealed_secret(SECRET)
}

fn random_bytes<const N: usize>() -> Result<[u8; N]> {
    let mut out = [0u8; N];
    getrandom::fill(&mut out).map_err(|e| {
        Error::new(
            ErrorKind::Unavailable,
            format!("no random source: {e} / 无法获得随机数"),
        )
    })?;
    Ok(out)
}

fn close_key(id: &str) -> String {
    format!("close.{id}")
}

fn refresh_key(id: &str) -> String {
    format!("refresh.{id}")
}

pub fn user(lang: Lang, en: impl Into<String>, zh: impl Into<String>) -> Error {
    Error::user(if lang.is_zh() { zh.into() } else { en.into() })
}

/// A closing time as typed, as an instant; refused when past or more than a year ahead.
pub fn resolve_closing(closing: Closing, lang: Lang) -> Result<i64> {
    let now = now();
    let at_local = |date: time::Date, minute: u16| {
        time::parse_datetime(&format!("{date}T{:02}:{:02}", minute / 60, minute % 60))
    };
    let at = match closing {
        Closing::After { minutes } => now + i64::from(minutes) * 60_000,
        Closing::At { date, minute } => at_local(date, minute)?,
        Closing::EndOf { date } => date.add_days(1).start_ms(),
        Closing::Time { minute } => {
            let today = time::Date::today();
            let at = at_local(today, minute)?;
            if at > now {
                at
            } else {
                at_local(today.add_days(1), minute)?
            }
        }
    };
    check_closing(at, lang)
}

/// A closing instant must lie ahead, within a year.
pub fn check_closing(at: i64, lang: Lang) -> Result<i64> {
    let now = now();
    if at <= now {
        let shown = time::format_datetime(at);
        return Err(user(
            lang,
            format!("The closing time {shown} has already passed."),
            format!("截止时间 {shown} 已经过去了。"),
        ));
    }
    if at > now + i64::from(MAX_MINUTES) * 60_000 {
        return Err(user(
            lang,
            "A poll closes within a year.",
            "截止时间须在一年之内。",
        ));
    }
    Ok(at)
}

/// A poll about to be created.
pub struct NewPoll {
    pub question: String,
    pub options: Vec<String>,
    pub multi: bool,
    pub max: Option<u8>,
    pub anonymous: bool,
    pub hidden: bool,
    pub closes_ms: Option<i64>,
}

fn empty_tally(poll: &Poll) -> Tally {
    let n = poll.options.len();
    Tally {
        voters: 0,
        counts: Some(vec![0; n]),
        names: if poll.anonymous {
            Vec::new()
        } else {
            vec![Vec::new(); n]
        },
    }
}

/// Creates a poll, sets its closing timer and posts its card in the context's group.
pub fn create(ctx: &Context, new: NewPoll) -> Result<(String, Poll)> {
    let me = ctx.person()?;
    let group = ctx.group()?.to_owned();
    let lang = Lang::from_locale(ctx.locale());
    let mut poll = Poll {
        question: new.question,
        options: new.options,
        multi: new.multi,
        max: new.max,
        anonymous: new.anonymous,
        hidden: new.hidden,
        group_id: group.clone(),
        creator_id: me.id.clone(),
        creator_name: me.display_name.clone(),
        lang,
        created_ms: now(),
        closes_ms: new.closes_ms,
        message_id: None,
        status: Status::Open,
        closed_ms: None,
        closed_by: None,
        result: None,
    };
    let record = POLLS.insert(
        poll.clone(),
        vec![
            Link::person("creator", me.id.clone()),
            Link::group("group", group.clone()),
        ],
    )?;
    let id = record.id.clone();
    if let Some(at) = poll.closes_ms
        && let Err(e) = timers::set(&close_key(&id), at, &id)
    {
        let _ = POLLS.delete(&id);
        return Err(e);
    }
    let card = cards::card(&id, &poll, &empty_tally(&poll), lang, true);
    let message = match messages::post_card(&group, card) {
        Ok(m) => m,
        Err(e) => {
            let _ = timers::cancel(&close_key(&id));
            let _ = POLLS.delete(&id);
            return Err(e);
        }
    };
    let stored = POLLS.update_with(&id, |r| {
        r.value.message_id = Some(message.clone());
        r.link("card", Target::message(message.clone()));
        Ok(())
    })?;
    poll.message_id = Some(message);
    // Somebody may have voted on the card before it was linked to the poll.
    if store::shards(&HostKv::default(), &id)?
        .iter()
        .any(|s| !s.ballots.is_empty())
    {
        refresh_card(&id);
    }
    log::info(&format!(
        "poll {id} created ({} options{}{})",
        stored.options.len(),
        if stored.multi {
            ", multiple choice"
        } else {
            ""
        },
        if stored.anonymous { ", anonymous" } else { "" },
    ));
    Ok((id, poll))
}

/// A poll with its count as it may be read now.
#[derive(Clone, Debug)]
pub struct Snapshot {
    pub id: String,
    pub poll: Poll,
    pub tally: Tally,
}

/// Counts a poll: a closed anonymous poll from its kept result (its ballots are gone),
/// anything else from its ballots.
pub fn count(id: &str, poll: &Poll) -> Result<Tally> {
    if poll.anonymous
        && let Some(result) = &poll.result
    {
        return Ok(Tally {
            voters: result.voters,
            counts: result.counts.clone(),
            names: Vec::new(),
        });
    }
    let secret = secret()?;
    let shards = store::shards(&HostKv::default(), id)?;
    Ok(tally(
        &secret,
        id,
        poll,
        shards.iter().flat_map(|s| &s.ballots),
    ))
}

pub fn snapshot(id: &str) -> Result<Option<Snapshot>> {
    let Some(record) = POLLS.get(id)? else {
        return Ok(None);
    };
    let tally = count(id, &record.value)?;
    Ok(Some(Snapshot {
        id: id.to_owned(),
        poll: record.value,
        tally,
    }))
}

/// Redraws the card from a fresh read.
fn draw(id: &str) -> Result<()> {
    let Some(s) = snapshot(id)? else {
        return Ok(());
    };
    let Some(message) = &s.poll.message_id else {
        return Ok(());
    };
    let card = cards::card(id, &s.poll, &s.tally, s.poll.lang, true);
    messages::update_card(message, card)
}

/// Makes the card show the poll as it is now (see `store::refresh`).
pub fn refresh_card(id: &str) {
    let me = random_bytes::<8>()
        .map(|b| b.iter().map(|x| format!("{x:02x}")).collect::<String>())
        .unwrap_or_else(|_| format!("call-{}", now()));
    let later = || {
        if let Err(e) = timers::set(&refresh_key(id), now() + 1_000, &id) {
            log::warn(&format!("poll {id}: could not schedule a redraw: {e}"));
        }
    };
    match store::refresh(&HostKv::default(), id, &me, &now, &mut || draw(id)) {
        Ok(Refreshed::Busy) => later(),
        Ok(_) => {}
        Err(e) => {
            // The change may not be drawn: a timer draws it in a second.
            log::warn(&format!("poll {id}: could not redraw the card now: {e}"));
            later();
        }
    }
}

/// The poll a card's button or form is about, checked against the card it was on.
fn poll_for_card(id: &str, message_id: Option<&str>, lang: Lang) -> Result<Poll> {
    let poll = POLLS
        .get(id)?
        .map(|r| r.value)
        .ok_or_else(|| user(lang, "This poll no longer exists.", "这个投票已不存在。"))?;
    if message_id.is_none() || poll.message_id.as_deref() != message_id {
        return Err(user(
            lang,
            "This button does not belong to that poll.",
            "这个按钮不属于该投票。",
        ));
    }
    Ok(poll)
}

fn option_list(poll: &Poll, choice: &[u8], lang: Lang) -> String {
    let names: Vec<&str> = choice
        .iter()
        .filter_map(|&i| poll.options.get(usize::from(i)).map(String::as_str))
        .collect();
    names.join(lang.tr(", ", "、"))
}

fn closed_text(lang: Lang) -> String {
    lang.tr(
        "This poll is closed: votes are no longer taken.",
        "投票已结束，不再接受投票。",
    )
    .into()
}

/// Closes a poll whose closing time has passed but whose timer has not fired yet.
fn closed_by_now(id: &str, poll: &Poll) -> bool {
    if poll.is_open() && poll.closes_ms.is_some_and(|at| at <= now()) {
        if let Err(e) = close(id, None) {
            log::warn(&format!("poll {id}: closing at its time failed: {e}"));
        }
        return true;
    }
    !poll.is_open()
}

/// Casts, changes (`choice`) or withdraws (an empty `choice`) the acting person's vote.
pub fn vote(ctx: &Context, message_id: Option<&str>, id: &str, choice: Vec<u8>) -> Result<String> {
    let me = ctx.person()?;
    let lang = Lang::from_locale(ctx.locale());
    let poll = poll_for_card(id, message_id, lang)?;
    if closed_by_now(id, &poll) {
        return Ok(closed_text(lang));
    }
    let choice = poll.check_choice(choice, lang).map_err(Error::user)?;
    let secret = secret()?;
    // The only key a ballot has: nobody can tell whose it is without the sealed secret.
    let key = storage::pseudonym(&secret, id, &me.id);
    let closed = || -> Result<bool> { Ok(POLLS.get(id)?.is_none_or(|r| !r.value.is_open())) };
    let put = store::put_ballot(&HostKv::default(), id, &key, &closed, || {
        if choice.is_empty() {
            return Ok(None);
        }
        Ok(Some(if poll.anonymous {
            seal(&secret, id, &key, &choice, &random_bytes::<8>()?)
        } else {
            Ballot::Named {
                id: me.id.clone(),
                name: me.display_name.clone(),
                choice: choice.clone(),
            }
        }))
    })?;
    let previous = match put {
        Put::Closed => return Ok(closed_text(lang)),
        Put::Done { previous } => {
            previous.and_then(|b| open(&secret, id, &key, &b, poll.options.len()))
        }
    };
    refresh_card(id);
    let chosen = option_list(&poll, &choice, lang);
    let mut text = match (&previous, choice.is_empty()) {
        (None, true) => lang.tr("You had not voted.", "你还没有投票。").to_owned(),
        (Some(_), true) => lang
            .tr("Your vote was withdrawn.", "你的投票已撤回。")
            .to_owned(),
        (Some(before), false) if *before == choice => lang.tr(
            format!("You already voted for {chosen}."),
            format!("你已经投给了：{chosen}。"),
        ),
        (Some(before), false) => {
            let before = option_list(&poll, before, lang);
            lang.tr(
                format!("Your vote is now {chosen} (it was {before})."),
                format!("你的投票已改为：{chosen}（原为：{before}）。"),
            )
        }
        (None, false) => lang.tr(
            format!("You voted for {chosen}."),
            format!("你投给了：{chosen}。"),
        ),
    };
    if poll.anonymous && !choice.is_empty() {
        text.push_str(lang.tr(
            " The vote is anonymous: only you can see this.",
            "本投票为匿名投票：只有你自己能看到这条消息。",
        ));
    }
    Ok(text)
}

/// The acting person's own vote, told only to them.
pub fn my_vote(ctx: &Context, message_id: Option<&str>, id: &str) -> Result<String> {
    let me = ctx.person()?;
    let lang = Lang::from_locale(ctx.locale());
    let poll = poll_for_card(id, message_id, lang)?;
    if poll.anonymous && poll.result.is_some() {
        return Ok(lang
            .tr(
                "The poll is closed; its anonymous ballots were deleted and only the count was kept.",
                "投票已结束；匿名选票已删除，只保留了统计结果。",
            )
            .into());
    }
    let secret = secret()?;
    let key = storage::pseudonym(&secret, id, &me.id);
    let mine = store::ballot_of(&HostKv::default(), id, &key)?
        .and_then(|b| open(&secret, id, &key, &b, poll.options.len()));
    Ok(match mine {
        Some(choice) => {
            let chosen = option_list(&poll, &choice, lang);
            lang.tr(
                format!("Your vote: {chosen}."),
                format!("你的投票：{chosen}。"),
            )
        }
        None => lang.tr("You have not voted.", "你还没有投票。").into(),
    })
}

/// Who closes a poll early.
pub struct Closer<'a> {
    pub id: &'a str,
    pub name: &'a str,
    pub admin: bool,
    pub lang: Lang,
}

/// What closing did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Closed {
    Now,
    Already,
}

/// Closes a poll: by its creator or an organization admin (`by`), or at its closing time
/// (`None`). Every ballot shard is closed first (so no vote comes after), the count is
/// kept in the poll, an anonymous poll's ballots are deleted, and the card shows the final
/// result. Running it again finishes what an interrupted run left.
pub fn close(id: &str, by: Option<Closer>) -> Result<Closed> {
    let lang = by.as_ref().map_or(Lang::En, |b| b.lang);
    let record = POLLS
        .get(id)?
        .ok_or_else(|| user(lang, "This poll no longer exists.", "这个投票已不存在。"))?;
    if let Some(b) = &by
        && !may_manage(&record.value, b.id, b.admin)
    {
        return Err(user(
            lang,
            "Only the person who started the poll or an organization admin can close it.",
            "只有投票发起人或组织管理员可以结束投票。",
        ));
    }
    if record.status == Status::Closed && record.result.is_some() {
        return Ok(Closed::Already);
    }
    let closer = by.as_ref().map(|b| b.name.to_owned());
    let poll = POLLS.update(id, |p| {
        if p.is_open() {
            p.status = Status::Closed;
            p.closed_ms = Some(now());
            p.closed_by = closer.clone();
        }
        Ok(())
    })?;
    let shards = store::close_all(&HostKv::default(), id)?;
    let secret = secret()?;
    let t = tally(&secret, id, &poll, shards.iter().flat_map(|s| &s.ballots));
    let result = Final {
        voters: t.voters,
        counts: t
            .counts
            .filter(|_| !poll.anonymous || t.voters >= MIN_ANONYMOUS_VOTERS),
    };
    POLLS.update(id, |p| {
        p.result = Some(result.clone());
        Ok(())
    })?;
    if poll.anonymous {
        store::delete_all(&HostKv::default(), id)?;
    }
    let _ = timers::cancel(&close_key(id));
    refresh_card(id);
    log::info(&format!("poll {id} closed ({} voters)", result.voters));
    Ok(Closed::Now)
}

/// A named poll's ballots: who chose what (none for an anonymous poll).
pub fn named_ballots(id: &str, poll: &Poll) -> Result<Vec<(Voter, Vec<u8>)>> {
    if poll.anonymous {
        return Ok(Vec::new());
    }
    let shards = store::shards(&HostKv::default(), id)?;
    Ok(shards
        .iter()
        .flat_map(|s| s.ballots.values())
        .filter_map(|b| match b {
            Ballot::Named { id, name, choice }
                if !choice.is_empty()
                    && choice.iter().all(|&i| usize::from(i) < poll.options.len()) =>
            {
                Some((
                    Voter {
                        name: name.clone(),
                        id: id.clone(),
                    },
                    choice.clone(),
                ))
            }
            _ => None,
        })
        .collect())
}

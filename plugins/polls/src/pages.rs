//! Pages: `polls` (this group's polls, open ones first) and `mine` (the polls I started).
//! Each poll is its card without buttons, in the reader's language, under the same rules
//! as the card in the group: an anonymous poll names nobody and shows no counts before
//! three people voted.

use courtyard_sdk::prelude::*;

use crate::cards;
use crate::model::{Lang, Poll, may_manage};
use crate::ops::{self, POLLS};

/// Polls a page lists.
const SHOWN: u32 = 20;

fn poll_card(ctx: &Context, id: &str, poll: &Poll, lang: Lang) -> Result<Card> {
    let tally = ops::count(id, poll)?;
    let mut card =
        cards::card(id, poll, &tally, lang, false).field(lang.tr("Poll id", "投票 ID"), id);
    if ctx
        .actor_id()
        .is_some_and(|me| may_manage(poll, me, ctx.is_admin()))
    {
        card = card.text(lang.tr(
            format!("Export: GET /api/v1/plugins/polls/polls/{id}/export.csv"),
            format!("导出：GET /api/v1/plugins/polls/polls/{id}/export.csv?lang=zh"),
        ));
    }
    Ok(card)
}

fn page_of(
    ctx: &Context,
    title: String,
    found: Vec<Versioned<Poll>>,
    group: Option<&str>,
) -> Result<Page> {
    let lang = Lang::from_locale(ctx.locale());
    let mut polls: Vec<&Versioned<Poll>> = found
        .iter()
        .filter(|r| group.is_none_or(|g| r.group_id == g))
        .collect();
    // Open polls first; newest first within each (the order records come in).
    polls.sort_by_key(|r| !r.is_open());
    let mut page = Page::new(title);
    if polls.is_empty() {
        return Ok(page.card(Card::new(lang.tr(
            "No polls yet. Start one: /poll \"Lunch?\" Noodles Dumplings Rice",
            "还没有投票。发起一个：/poll “午饭吃什么？” 面条 饺子 米饭",
        ))));
    }
    for r in polls {
        page = page.card(poll_card(ctx, &r.id, &r.value, lang)?);
    }
    Ok(page)
}

pub fn polls(ctx: &Context) -> Result<Page> {
    let group = ctx.group()?.to_owned();
    let found = POLLS.find("group", &Target::group(group.clone()), None, SHOWN)?;
    let lang = Lang::from_locale(ctx.locale());
    page_of(
        ctx,
        lang.tr("Polls in this group", "本群投票").into(),
        found.items,
        Some(&group),
    )
}

pub fn mine(ctx: &Context) -> Result<Page> {
    let me = ctx.person()?.id.clone();
    let found = POLLS.find("creator", &Target::person(me), None, SHOWN)?;
    let lang = Lang::from_locale(ctx.locale());
    page_of(
        ctx,
        lang.tr("My polls", "我发起的投票").into(),
        found.items,
        None,
    )
}

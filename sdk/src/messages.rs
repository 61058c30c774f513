//! Messages and cards (capability `messages`): only in groups where the plugin is enabled,
//! only the plugin's own cards. A card may be for part of a group only
//! ([`post_card_for`]).

use std::borrow::Borrow;

use crate::bindings::courtyard::plugin::messages as raw;
use crate::{Card, Result};

/// Posts text to a group; returns the message id.
pub fn post(group_id: &str, body: &str) -> Result<String> {
    Ok(raw::post(group_id, body)?)
}

/// Posts a card to a group; returns the message id.
pub fn post_card(group_id: &str, card: Card) -> Result<String> {
    Ok(raw::post_card(group_id, &card.into())?)
}

/// Replies in the thread of `parent_id` with text and, optionally, a card.
pub fn reply(parent_id: &str, body: &str, card: Option<Card>) -> Result<String> {
    let card = card.map(Into::into);
    Ok(raw::reply(parent_id, body, card.as_ref())?)
}

/// Replaces one of the plugin's own cards.
pub fn update_card(message_id: &str, card: Card) -> Result<()> {
    Ok(raw::update_card(message_id, &card.into())?)
}

/// Sends a card to a person, in their direct conversation with the plugin (an approver's
/// to-do, a reminder); returns the message id.
pub fn send_card(person_id: &str, card: Card) -> Result<String> {
    Ok(raw::send_card(person_id, &card.into())?)
}

/// Posts a card that only `audience` (person ids of members of the group, 1 to 100) sees:
/// in the group's history, its thread, real-time events and everywhere else. Replies in its
/// thread have the same audience. For business shared with some of a group's partners and
/// not others. Returns the message id. Accepts a `Card` or a `&Card`.
///
/// ```ignore
/// let id = messages::post_card_for(ctx.group()?, &card, &[&shipper.id, &me.id])?;
/// ```
pub fn post_card_for<S: AsRef<str>>(
    group_id: &str,
    card: impl Borrow<Card>,
    audience: &[S],
) -> Result<String> {
    let card = card.borrow().clone().into();
    Ok(raw::post_card_for(group_id, &card, &ids(audience))?)
}

/// Changes who sees one of the plugin's [`post_card_for`] cards and its thread.
pub fn set_audience<S: AsRef<str>>(message_id: &str, audience: &[S]) -> Result<()> {
    Ok(raw::set_audience(message_id, &ids(audience))?)
}

fn ids<S: AsRef<str>>(ids: &[S]) -> Vec<String> {
    ids.iter().map(|id| id.as_ref().to_owned()).collect()
}

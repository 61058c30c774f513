//! Messages and cards (capability `messages`): only in groups where the plugin is enabled,
//! only the plugin's own cards.

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

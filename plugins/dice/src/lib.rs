//! Dice: the smallest useful Courtyard plugin. `/roll [sides]` posts a card with the result
//! and a "roll again" button; a per-group tally lives in plugin storage.

use courtyard_sdk::prelude::*;
use serde::{Deserialize, Serialize};

pub struct Dice;

#[derive(Default, Serialize, Deserialize)]
struct Tally {
    rolls: u64,
}

#[derive(Deserialize)]
struct Settings {
    max_sides: f64,
}

/// A roll from the host clock's low bits: fair enough for a game, and deterministic plugins
/// need no random source.
fn roll(sides: u32) -> u32 {
    let now = clock::now_ms() as u64;
    let mixed = now.wrapping_mul(6364136223846793005).rotate_left(17);
    1 + (mixed % sides as u64) as u32
}

fn parse_sides(ctx: &Context, text: Option<&str>) -> Result<u32> {
    let max = ctx
        .settings::<Settings>()
        .map(|s| s.max_sides as u32)
        .unwrap_or(100);
    let sides: u32 = match text {
        None | Some("") => 6,
        Some(t) => t
            .parse()
            .map_err(|_| Error::user(format!("“{t}” is not a number of sides / 面数必须是数字")))?,
    };
    if !(2..=max).contains(&sides) {
        return Err(Error::user(format!(
            "choose 2 to {max} sides / 面数须在 2 到 {max} 之间"
        )));
    }
    Ok(sides)
}

fn card(ctx: &Context, sides: u32) -> Result<Card> {
    let tally = storage::update_json("tally", true, |t: &mut Tally| {
        t.rolls += 1;
        Ok(())
    })?;
    let result = roll(sides);
    Ok(
        Card::new(format!("🎲 {} rolled {result}", ctx.actor_name()))
            .field("Die / 骰子", format!("d{sides}"))
            .field("Result / 结果", result.to_string())
            .field("Rolls in this group / 本群次数", tally.rolls.to_string())
            .button(
                Button::new("roll", "Roll again / 再掷一次")
                    .primary()
                    .value(sides.to_string()),
            ),
    )
}

impl Plugin for Dice {
    fn command(ctx: &Context, command: &str, args: &Args) -> Result<Reply> {
        match command {
            "roll" => {
                let sides = parse_sides(ctx, args.get(0))?;
                Ok(Reply::Card(card(ctx, sides)?))
            }
            other => Err(Error::user(format!("unknown command /{other}"))),
        }
    }

    fn action(ctx: &Context, action: &Action) -> Result<ActionReply> {
        match action.action_id.as_str() {
            "roll" => {
                let sides = parse_sides(ctx, Some(&action.value))?;
                Ok(ActionReply::UpdateCard(card(ctx, sides)?))
            }
            _ => Ok(ActionReply::None),
        }
    }
}

courtyard_sdk::plugin!(Dice);

//! A plugin that misbehaves on request, so tests can prove the sandbox holds: every
//! behaviour must be stopped or refused while the host keeps serving everyone else.

use courtyard_sdk::prelude::*;

pub struct Hostile;

#[allow(unconditional_recursion)]
fn recurse(depth: u64) -> u64 {
    let local = [depth; 64];
    recurse(depth + 1) + local[(depth % 64) as usize]
}

fn spin() -> Reply {
    let mut x: u64 = 0;
    loop {
        x = std::hint::black_box(x.wrapping_add(1));
        if x == u64::MAX {
            return Reply::message("unreachable");
        }
    }
}

impl Plugin for Hostile {
    fn command(_ctx: &Context, _command: &str, args: &Args) -> Result<Reply> {
        match args.get(0).unwrap_or("") {
            "loop" => Ok(spin()),
            "recurse" => Ok(Reply::message(recurse(0).to_string())),
            "grow" => {
                let mut hoard: Vec<Vec<u8>> = Vec::new();
                loop {
                    hoard.push(vec![1u8; 1 << 20]);
                    std::hint::black_box(&hoard);
                }
            }
            "trap" => panic!("deliberate panic"),
            "huge" => Ok(Reply::message("x".repeat(8 << 20))),
            "spam" => {
                let chunk = vec![7u8; 60 * 1024];
                for i in 0..1000 {
                    storage::set(&format!("spam-{i}"), &chunk, false, None)?;
                }
                Ok(Reply::message("stored everything"))
            }
            "forge" => {
                let group = args.get(1).unwrap_or("");
                let id = messages::post(group, "forged")?;
                Ok(Reply::message(format!("posted {id}")))
            }
            "peek" => {
                let person = people::get(args.get(1).unwrap_or(""))?;
                Ok(Reply::message(format!("saw {}", person.display_name)))
            }
            "ok" => Ok(Reply::ephemeral("fine")),
            other => Err(Error::user(format!("unknown behaviour `{other}`"))),
        }
    }

    fn event(ctx: &Context, event: &Event) {
        // Echo back what it heard, so tests can see events arrive (and what they carry).
        let body = event.data["body"].as_str().unwrap_or_default();
        if event.kind == "message.created"
            && body.contains("echo-event")
            && let Ok(group) = ctx.group()
        {
            let author = event.data["author"]["display_name"]
                .as_str()
                .unwrap_or("nobody");
            let actor = if ctx.actor_name().is_empty() {
                "nobody"
            } else {
                ctx.actor_name()
            };
            let _ = messages::post(group, &format!("heard from {author} (actor {actor})"));
        }
    }

    fn before_message(_ctx: &Context, body: &str) -> Decision {
        if body.contains("loop-hook") {
            spin();
        }
        if body.contains("trap-hook") {
            panic!("deliberate panic in the hook");
        }
        if body.contains("reject-me") {
            return Decision::Reject("rejected by the hostile plugin".into());
        }
        if body.contains("rewrite-me") {
            return Decision::Rewrite(body.replace("rewrite-me", "rewritten"));
        }
        Decision::Allow
    }
}

courtyard_sdk::plugin!(Hostile);

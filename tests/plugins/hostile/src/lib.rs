//! A plugin that misbehaves on request, so tests can prove the sandbox holds: every
//! behaviour must be stopped or refused while the host keeps serving everyone else.
//!
//! The behaviours that ask the host for too much (`http-anywhere`, `records-spam`,
//! `timer-spam`, `call-self`) answer with an ephemeral text saying what the host answered,
//! e.g. `records-spam: wrote 170 records, then the host answered quota: …`.

use courtyard_sdk::prelude::*;
use serde_json::{Value, json};

pub struct Hostile;

#[allow(unconditional_recursion)]
/// Unbounded recursion with a frame the optimiser cannot fold into a loop: `black_box`
/// keeps the local array alive across the call, so every level costs real stack.
fn recurse(depth: u64) -> u64 {
    let local = std::hint::black_box([depth; 64]);
    let below = recurse(std::hint::black_box(depth + 1));
    std::hint::black_box(below) + local[(depth % 64) as usize]
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

/// How a host error reads in replies: `denied: …`, `quota: …`, `not-found`, `conflict`.
fn describe(e: &Error) -> String {
    let kind = match e.kind {
        ErrorKind::NotFound => return "not-found".into(),
        ErrorKind::Conflict => return "conflict".into(),
        ErrorKind::Denied => "denied",
        ErrorKind::Invalid => "invalid",
        ErrorKind::Quota => "quota",
        ErrorKind::Unavailable => "unavailable",
        ErrorKind::Status(_) => "status",
        ErrorKind::Data => "data",
        _ => "error",
    };
    format!("{kind}: {}", e.message)
}

/// Upper bound for the spam loops; the host must say no long before.
const SPAM_LIMIT: u32 = 1_000_000;

fn http_anywhere() -> String {
    match http::get("http://example.com/") {
        Ok(r) => format!(
            "http-anywhere: fetched http://example.com/ with status {}",
            r.status
        ),
        Err(e) => format!("http-anywhere: the host answered {}", describe(&e)),
    }
}

fn records_spam() -> String {
    let spam: Collection<Value> = Collection::new("spam");
    let filler = "x".repeat(60 * 1024);
    let run = clock::now_ms();
    for i in 0..SPAM_LIMIT {
        let value = json!({"i": i, "filler": filler});
        if let Err(e) = spam.put(&format!("{run}-{i}"), &value, &[], 0) {
            return format!(
                "records-spam: wrote {i} records, then the host answered {}",
                describe(&e)
            );
        }
    }
    format!("records-spam: wrote {SPAM_LIMIT} records and the host never said no")
}

fn timer_spam() -> String {
    let due = clock::now_ms() + 24 * 3600 * 1000;
    for i in 0..SPAM_LIMIT {
        if let Err(e) = timers::set(&format!("spam-{i}"), due, &i) {
            return format!(
                "timer-spam: set {i} timers, then the host answered {}",
                describe(&e)
            );
        }
    }
    format!("timer-spam: set {SPAM_LIMIT} timers and the host never said no")
}

/// Passes the largest text this instance's memory comfortably holds (40 of its 64 MiB) to
/// a host function: the host must copy it out and refuse it, not choke on it.
fn big_string(ctx: &Context) -> String {
    let text = "x".repeat(40 << 20);
    let answer = ctx.group().and_then(|group| messages::post(group, &text));
    match answer {
        Ok(id) => format!("big-string: the host stored 40 MiB as {id}"),
        Err(e) => format!("big-string: the host answered {}", describe(&e)),
    }
}

/// A million-element list argument: a million (empty) ids as a card's audience.
fn many_ids() -> String {
    let ids = vec![String::new(); 1_000_000];
    match courtyard_sdk::bindings::courtyard::plugin::messages::set_audience("no-such-card", &ids) {
        Ok(()) => "many-ids: the host accepted a million ids".into(),
        Err(e) => format!("many-ids: the host answered {}", describe(&e.into())),
    }
}

/// Opens WASI stdout handles and never closes them, each one an entry in the host's
/// resource table, until the host says no (or the deadline stops the call).
#[cfg(target_arch = "wasm32")]
fn handles() -> String {
    let mut opened = 0u32;
    loop {
        // `get-stdout` cannot fail; a full table traps the call instead.
        std::mem::forget(wasi::cli::stdout::get_stdout());
        opened += 1;
        if opened == SPAM_LIMIT * 10 {
            return format!("handles: opened {opened} handles and the host never said no");
        }
    }
}

#[cfg(not(target_arch = "wasm32"))]
fn handles() -> String {
    "handles: only as WebAssembly".into()
}

fn call_self() -> String {
    match interop::call::<_, Value>("hostile", "recurse", &json!({"depth": 1})) {
        Ok(deepest) => format!(
            "call-self: {} nested calls, then the host answered {}",
            deepest["depth"],
            deepest["answer"].as_str().unwrap_or("nothing")
        ),
        Err(e) => format!("call-self: the host answered {}", describe(&e)),
    }
}

impl Plugin for Hostile {
    fn command(ctx: &Context, _command: &str, args: &Args) -> Result<Reply> {
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
            "http-anywhere" => Ok(Reply::ephemeral(http_anywhere())),
            "records-spam" => Ok(Reply::ephemeral(records_spam())),
            "timer-spam" => Ok(Reply::ephemeral(timer_spam())),
            "call-self" => Ok(Reply::ephemeral(call_self())),
            "big-string" => Ok(Reply::ephemeral(big_string(ctx))),
            "many-ids" => Ok(Reply::ephemeral(many_ids())),
            "handles" => Ok(Reply::ephemeral(handles())),
            "ok" => Ok(Reply::ephemeral("fine")),
            // Not hostile: N calls of the cheapest host function, for the host-call bench.
            "clock" => {
                let times: u32 = args.get(1).and_then(|n| n.parse().ok()).unwrap_or(0);
                let mut last = 0;
                for _ in 0..times {
                    last = std::hint::black_box(clock::now_ms());
                }
                Ok(Reply::ephemeral(format!(
                    "clock: {times} calls, last {last}"
                )))
            }
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

    /// `recurse`: calls itself one level deeper until the host refuses; the deepest level
    /// answers with its depth and what the host said, and every level passes that up.
    fn call(_ctx: &Context, _caller: &str, operation: &str, input: Value) -> Result<Value> {
        match operation {
            "recurse" => {
                let depth = input["depth"].as_u64().unwrap_or(0);
                match interop::call::<_, Value>("hostile", "recurse", &json!({"depth": depth + 1}))
                {
                    Ok(deepest) => Ok(deepest),
                    Err(e) => Ok(json!({"depth": depth, "answer": describe(&e)})),
                }
            }
            other => Err(Error::user(format!("unknown operation `{other}`"))),
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

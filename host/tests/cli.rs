//! The `courtyard` binary as operators run it. Having this test also makes `cargo test`
//! build the binary itself, which the browser tests then start (see xtask).

use std::process::Command;

fn courtyard(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_courtyard"))
        .args(args)
        .output()
        .expect("the courtyard binary runs")
}

#[test]
fn help_names_every_command() {
    let out = courtyard(&["--help"]);
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    for command in ["serve", "admin", "openapi", "plugin"] {
        assert!(text.contains(command), "{command} missing from:\n{text}");
    }
}

#[test]
fn openapi_prints_the_served_document() {
    let out = courtyard(&["openapi"]);
    assert!(out.status.success());
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert!(
        doc["openapi"].as_str().is_some_and(|v| v.starts_with("3.")),
        "{doc}"
    );
    for path in [
        "/api/v1/groups",
        "/api/v1/auth/session",
        "/api/v1/orgs/{org_id}/audit",
    ] {
        assert!(doc["paths"].get(path).is_some(), "{path} is not documented");
    }
}

#[test]
fn unknown_flags_are_refused_with_usage() {
    let out = courtyard(&["serve", "--no-such-flag"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("--no-such-flag"));
}

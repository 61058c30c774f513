//! Writes the generated seeds and checks the hand-written ones (stable Rust, no
//! instrumentation):
//!
//!     cargo run --manifest-path fuzz/Cargo.toml --example seeds
//!
//! - `corpus/package_read/`: small packages written by `Package::write` (the dice plugin's
//!   manifest and descriptions with a stand-in component, since a real component is
//!   megabytes), unsigned, signed with a fixed test key, and with an icon and screenshots;
//! - `corpus/plugin_boundary/`: a few deterministic pseudo-random inputs (the target decodes
//!   any bytes with `arbitrary`);
//! - then every seed and every saved regression is run through its target, and the form
//!   seeds are reported as checked and accepted, so a seed that stopped being valid shows.

use std::path::Path;

use courtyard_fuzz::form::{self, Form};
use courtyard_fuzz::package::Package;

fn main() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    let corpus = dir.join("corpus");
    write_packages(&corpus.join("package_read"));
    write_random(&corpus.join("plugin_boundary"));
    report_forms(&corpus.join("form_schema"));
    replay(&corpus);
    replay(&dir.join("regressions"));
}

fn write_packages(out: &Path) {
    std::fs::create_dir_all(out).unwrap();
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let read = |p: &str| std::fs::read_to_string(root.join(p)).unwrap();
    let png = |tag: &[u8]| [b"\x89PNG\r\n\x1a\n".as_slice(), tag].concat();
    let mut pkg = Package {
        manifest: read("plugins/dice/courtyard.toml"),
        // The header of a WebAssembly component; the reader does not look further.
        component: b"\0asm\x0d\0\x01\0".to_vec(),
        descriptions: [
            ("en".to_owned(), read("plugins/dice/description.en.md")),
            (
                "zh-CN".to_owned(),
                read("plugins/dice/description.zh-CN.md"),
            ),
        ]
        .into(),
        ..Package::default()
    };
    std::fs::write(out.join("dice-unsigned.cyplugin"), pkg.write()).unwrap();
    let key = ed25519_dalek::SigningKey::from_bytes(&[42; 32]);
    let mut signed = pkg.clone();
    signed.sign("Courtyard fuzz seeds", &key).expect("a valid name");
    std::fs::write(out.join("dice-signed.cyplugin"), signed.write()).unwrap();
    pkg.icon = Some(png(b"icon"));
    pkg.screenshots = vec![png(b"one"), png(b"two")];
    pkg.sign("Courtyard fuzz seeds", &key).expect("a valid name");
    std::fs::write(out.join("dice-full-signed.cyplugin"), pkg.write()).unwrap();
}

fn write_random(out: &Path) {
    std::fs::create_dir_all(out).unwrap();
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    for i in 0..4 {
        let bytes: Vec<u8> = (0..512)
            .map(|_| {
                // xorshift64
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                state as u8
            })
            .collect();
        std::fs::write(out.join(format!("random-{i}")), bytes).unwrap();
    }
}

fn report_forms(dir: &Path) {
    for (name, text) in files(dir) {
        let text = String::from_utf8(text).unwrap();
        let [form_text, values] = courtyard_fuzz::parts::<2>(&text);
        let form: Form = match serde_json::from_str(form_text) {
            Ok(f) => f,
            Err(e) => {
                println!("form_schema/{name}: not a form: {e}");
                continue;
            }
        };
        let values = serde_json::from_str(values).unwrap_or_default();
        println!(
            "form_schema/{name}: check {:?}; submission {:?}",
            form.check(),
            form::validate_submission(&form, &values).map(|s| s.values)
        );
    }
}

type Target = fn(&[u8]);

const TARGETS: &[(&str, Target)] = &[
    ("markup", courtyard_fuzz::markup),
    ("manifest", courtyard_fuzz::manifest),
    ("form_schema", courtyard_fuzz::form_schema),
    ("formula", courtyard_fuzz::formula),
    ("package_read", courtyard_fuzz::package_read),
    ("search_query", courtyard_fuzz::search_query),
    ("plugin_boundary", courtyard_fuzz::plugin_boundary),
];

/// Runs every file of `<dir>/<target>/` through its target; a panic stops with its name.
fn replay(dir: &Path) {
    for (target, run) in TARGETS {
        let files = files(&dir.join(target));
        for (name, data) in &files {
            println!("replaying {target}/{name}");
            run(data);
        }
    }
}

fn files(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut out: Vec<(String, Vec<u8>)> = entries
        .filter_map(Result::ok)
        .filter(|e| e.path().is_file())
        .map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            (name, std::fs::read(e.path()).unwrap())
        })
        .collect();
    out.sort();
    out
}

//! The bodies of Courtyard's fuzz targets (each `fuzz_targets/<name>.rs` calls one function
//! of [`targets`]), and the host code they exercise.
//!
//! # Why some host source files are compiled here directly
//!
//! `courtyard-domain` is a small crate and is used as a dependency. The manifest, form and
//! card checks live in `courtyard-runtime` and the package reader in `courtyard-host`, whose
//! dependencies (wasmtime and cranelift; sqlx, axum, rustls, object_store…) would all be
//! compiled with coverage instrumentation for a few hundred lines of parsing: many minutes
//! per build on a small machine. The files fuzzed here depend only on external crates, so
//! they are compiled straight from the host's source tree with `#[path]`: the code fuzzed is
//! the code shipped, byte for byte. Should one of them start to use another module of its
//! crate, this crate stops compiling (loudly), and the target should then depend on the
//! crate instead. `Cargo.lock` here started as a copy of the root one, so the external crates
//! are the same versions.

#![forbid(unsafe_code)]

/// `host/runtime/src/manifest.rs`: `courtyard_runtime::manifest`.
#[path = "../../host/runtime/src/manifest.rs"]
#[allow(dead_code, clippy::all)]
pub mod manifest;

/// `host/runtime/src/schedule.rs`, which the manifest's validation uses.
#[path = "../../host/runtime/src/schedule.rs"]
#[allow(dead_code, clippy::all)]
pub mod schedule;

/// `host/runtime/src/form.rs` and `form/`: `courtyard_runtime::form`. (Through an inline
/// module, so that `form.rs` finds its submodules in `form/` as it does in its crate.)
#[path = "../../host/runtime/src"]
#[allow(dead_code, clippy::all)]
mod runtime_src {
    pub mod form;
}
pub use runtime_src::form;

/// `host/runtime/src/card.rs`: `courtyard_runtime::card`.
#[path = "../../host/runtime/src/card.rs"]
#[allow(dead_code, clippy::all)]
pub mod card;

/// `host/src/package.rs`: `courtyard_host::package`.
#[path = "../../host/src/package.rs"]
#[allow(dead_code, clippy::all)]
pub mod package;

pub mod boundary;
pub mod targets;

pub use boundary::plugin_boundary;
pub use targets::{form_schema, formula, manifest, markup, package_read, search_query};

/// Separates the parts of a target's input that is made of several texts (a form and a
/// submission, a query and a message…): a line holding only `%%`. It cannot occur inside a
/// JSON string (a raw line break is not allowed there), so hand-written seeds stay readable.
pub const PART_SEPARATOR: &str = "\n%%\n";

/// The input split into exactly `N` parts at [`PART_SEPARATOR`] (missing parts are empty; the
/// last part keeps any further separators).
pub fn parts<const N: usize>(text: &str) -> [&str; N] {
    let mut out = [""; N];
    let mut rest = text;
    for (i, slot) in out.iter_mut().enumerate() {
        if i + 1 == N {
            *slot = rest;
            break;
        }
        match rest.split_once(PART_SEPARATOR) {
            Some((head, tail)) => {
                *slot = head;
                rest = tail;
            }
            None => {
                *slot = rest;
                rest = "";
            }
        }
    }
    out
}

#![no_main]
//! See `courtyard_fuzz::plugin_boundary` for what this target checks.

libfuzzer_sys::fuzz_target!(|data: &[u8]| courtyard_fuzz::plugin_boundary(data));

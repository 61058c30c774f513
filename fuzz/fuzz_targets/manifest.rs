#![no_main]
//! See `courtyard_fuzz::manifest` for what this target checks.

libfuzzer_sys::fuzz_target!(|data: &[u8]| courtyard_fuzz::manifest(data));

#![no_main]
//! See `courtyard_fuzz::package_read` for what this target checks.

libfuzzer_sys::fuzz_target!(|data: &[u8]| courtyard_fuzz::package_read(data));

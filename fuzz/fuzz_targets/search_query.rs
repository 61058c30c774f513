#![no_main]
//! See `courtyard_fuzz::search_query` for what this target checks.

libfuzzer_sys::fuzz_target!(|data: &[u8]| courtyard_fuzz::search_query(data));

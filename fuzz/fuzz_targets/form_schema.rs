#![no_main]
//! See `courtyard_fuzz::form_schema` for what this target checks.

libfuzzer_sys::fuzz_target!(|data: &[u8]| courtyard_fuzz::form_schema(data));

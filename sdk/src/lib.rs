//! The Courtyard plugin SDK. Empty until the plugin runtime lands: the WIT contract in
//! `wit/` comes first, then typed bindings and the test harness live here.

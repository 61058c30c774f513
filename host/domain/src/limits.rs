//! Documented size limits. The HTTP layer enforces the request-level ones; the domain checks
//! the rest, so every entry point shares the same numbers.

/// Largest message body, in bytes of UTF-8 (16 KiB).
pub const MAX_MESSAGE_BYTES: usize = 16 * 1024;
/// Largest request body the API accepts, in bytes (64 KiB).
pub const MAX_REQUEST_BYTES: usize = 64 * 1024;
/// Longest display name, group name or title, in characters.
pub const MAX_NAME_CHARS: usize = 100;
/// Longest free-text profile or description field, in characters.
pub const MAX_TEXT_CHARS: usize = 2000;
/// Groups up to this size keep per-person read receipts ("who has read").
pub const MAX_READ_RECEIPT_GROUP: usize = 500;
/// People in one ad-hoc direct-message group.
pub const MAX_DM_MEMBERS: usize = 20;
/// Client transaction ids are at most this many bytes.
pub const MAX_TXN_ID_BYTES: usize = 128;
/// Longest reaction (an emoji shortcode or a single emoji sequence), in bytes.
pub const MAX_REACTION_BYTES: usize = 64;
/// Burn-after-read delays range over one second to one week.
pub const BURN_AFTER_SECS: std::ops::RangeInclusive<i64> = 1..=7 * 24 * 3600;
/// Page size bounds for every list endpoint.
pub const MAX_PAGE: i64 = 200;
pub const DEFAULT_PAGE: i64 = 50;
/// Shortest password accepted.
pub const MIN_PASSWORD_CHARS: usize = 10;
/// Longest password accepted (argon2 input is bounded so a login cannot burn CPU).
pub const MAX_PASSWORD_BYTES: usize = 1024;
/// Longest file display name, in characters (longer names are shortened, keeping the
/// extension).
pub const MAX_FILE_NAME_CHARS: usize = 200;

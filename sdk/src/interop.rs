//! Calling other plugins (capability `interop`; list them under `calls` in the manifest).
//! One engine per concern: the leave plugin asks the approvals plugin to run its flow.
//!
//! ```ignore
//! #[derive(Serialize)]
//! struct Start<'a> { template: &'a str, subject: String }
//! #[derive(Deserialize)]
//! struct Started { id: String }
//!
//! let start = Start { template: "leave", subject: format!("{} days off", leave.dates.days()) };
//! let started: Started = interop::call("approvals", "start", &start)?;
//! ```
//!
//! The other side implements [`crate::Plugin::call`] for the operations its manifest offers
//! (`operations = [...]`).

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::bindings::courtyard::plugin::interop as raw;
use crate::{Error, ErrorKind, Result};

/// Calls `operation` of `plugin` with `input` as JSON and reads its JSON answer as `O`.
pub fn call<I, O>(plugin: &str, operation: &str, input: &I) -> Result<O>
where
    I: Serialize + ?Sized,
    O: DeserializeOwned,
{
    let input = serde_json::to_string(input)?;
    let output = raw::call(plugin, operation, &input)?;
    serde_json::from_str(&output).map_err(|e| {
        Error::new(
            ErrorKind::Data,
            format!("the answer of `{plugin}` to `{operation}` does not fit: {e}"),
        )
    })
}

//! Files people uploaded in the plugin's organization (capability `files`, contract 0.3.0).
//!
//! A person uploads a file (`POST /api/v1/files`) and attaches it to a form through a
//! [`crate::Field::file`] field; the plugin receives the file's id as the field's value. Only
//! the uploader and the people a file is shared with may download it, so a plugin that
//! routes a request to an approver shares its attachments with them:
//!
//! ```ignore
//! #[derive(Deserialize)]
//! struct Expense { amount: Money, receipt: Option<String> }
//!
//! let expense: Expense = action.form_as()?;
//! if let Some(id) = &expense.receipt {
//!     let receipt = files::get(id)?;                 // name, type, size, uploader
//!     files::share(id, &[&approver.id])?;            // the approver may download it too
//!     card = card.field(ctx.tr("Receipt", "收据"), format!("{} ({} bytes)", receipt.name, receipt.size));
//! }
//! ```

use serde::{Deserialize, Serialize};

use crate::Result;
use crate::bindings::courtyard::plugin::files as raw;

/// What the host knows about an uploaded file.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileInfo {
    pub id: String,
    /// The name the uploader gave, cleaned for display.
    pub name: String,
    /// Detected from the content, not from the name (`application/pdf`, `image/png`,
    /// `text/plain`, `application/octet-stream`…).
    pub content_type: String,
    /// Bytes.
    pub size: u64,
    /// The person who uploaded it.
    pub uploaded_by: String,
    /// When it was uploaded, in milliseconds since the Unix epoch.
    pub created_ms: i64,
}

impl From<raw::FileInfo> for FileInfo {
    fn from(f: raw::FileInfo) -> Self {
        Self {
            id: f.id,
            name: f.name,
            content_type: f.content_type,
            size: f.size,
            uploaded_by: f.uploaded_by,
            created_ms: f.created_ms,
        }
    }
}

/// The file `id` of the plugin's organization; an `ErrorKind::NotFound` error for any other.
pub fn get(id: &str) -> Result<FileInfo> {
    Ok(raw::get(id)?.into())
}

/// Lets `people` (person ids, at most 100) download the file `id` as well, in addition to
/// whoever may already.
pub fn share<S: AsRef<str>>(id: &str, people: &[S]) -> Result<()> {
    let people: Vec<String> = people.iter().map(|p| p.as_ref().to_owned()).collect();
    Ok(raw::share(id, &people)?)
}

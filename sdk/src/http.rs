//! HTTP: requests to the plugin's routes ([`Request`] → [`Response`], see
//! [`crate::Plugin::http`]), and outbound requests (capability `http`) to the hosts listed
//! under `http_hosts` in the manifest and granted by an admin — nowhere else. Anything else
//! is refused by the host with a [`crate::ErrorKind::Denied`] error before any connection is
//! made.
//!
//! ```ignore
//! #[derive(Deserialize)]
//! struct Tracking { status: String, events: Vec<Checkpoint> }
//!
//! let t: Tracking = http::get_json(&format!("https://api.example.com/track/{number}"))?;
//! let created: Created = http::post_json("https://api.example.com/orders", &order)?;
//! let raw = http::Fetch::post("https://api.example.com/hook")
//!     .bearer(&token)
//!     .json(&event)?
//!     .timeout_ms(3000)
//!     .send()?;
//! ```

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::Result;
use crate::bindings::courtyard::plugin::http as raw;

pub use crate::web::{Request, Response};

/// How long a request may take unless you say otherwise (the host allows 100 ms to 10 s).
pub const DEFAULT_TIMEOUT_MS: u32 = 5_000;

/// An outbound request, built step by step and sent with [`Fetch::send`].
#[derive(Clone, Debug)]
pub struct Fetch {
    method: String,
    url: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
    timeout_ms: u32,
}

impl Fetch {
    pub fn new(method: impl Into<String>, url: impl Into<String>) -> Self {
        Fetch {
            method: method.into(),
            url: url.into(),
            headers: Vec::new(),
            body: Vec::new(),
            timeout_ms: DEFAULT_TIMEOUT_MS,
        }
    }

    pub fn get(url: impl Into<String>) -> Self {
        Fetch::new("GET", url)
    }

    pub fn post(url: impl Into<String>) -> Self {
        Fetch::new("POST", url)
    }

    pub fn put(url: impl Into<String>) -> Self {
        Fetch::new("PUT", url)
    }

    pub fn patch(url: impl Into<String>) -> Self {
        Fetch::new("PATCH", url)
    }

    pub fn delete(url: impl Into<String>) -> Self {
        Fetch::new("DELETE", url)
    }

    pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }

    /// `Authorization: Bearer <token>`.
    pub fn bearer(self, token: &str) -> Self {
        self.header("authorization", format!("Bearer {token}"))
    }

    pub fn body(mut self, body: impl Into<Vec<u8>>) -> Self {
        self.body = body.into();
        self
    }

    /// `value` as a JSON body, with its content type.
    pub fn json<T: Serialize + ?Sized>(self, value: &T) -> Result<Self> {
        let body = serde_json::to_vec(value)?;
        Ok(self.header("content-type", "application/json").body(body))
    }

    pub fn timeout_ms(mut self, timeout_ms: u32) -> Self {
        self.timeout_ms = timeout_ms;
        self
    }

    /// Sends the request. Any status is a response; host refusals and network failures are
    /// errors.
    pub fn send(self) -> Result<Response> {
        let response = raw::fetch(&raw::Request {
            method: self.method,
            url: self.url,
            headers: self.headers,
            body: self.body,
            timeout_ms: self.timeout_ms,
        })?;
        Ok(Response {
            status: response.status,
            headers: response.headers,
            body: response.body,
        })
    }
}

/// `GET url`, any status.
pub fn get(url: &str) -> Result<Response> {
    Fetch::get(url).send()
}

/// `GET url` expecting 2xx and a JSON body of type `O`.
pub fn get_json<O: DeserializeOwned>(url: &str) -> Result<O> {
    Fetch::get(url)
        .header("accept", "application/json")
        .send()?
        .error_for_status()?
        .parse_json()
}

/// `POST url` with `input` as JSON, expecting 2xx and a JSON body of type `O`.
pub fn post_json<I, O>(url: &str, input: &I) -> Result<O>
where
    I: Serialize + ?Sized,
    O: DeserializeOwned,
{
    Fetch::post(url)
        .header("accept", "application/json")
        .json(input)?
        .send()?
        .error_for_status()?
        .parse_json()
}

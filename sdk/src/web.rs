//! HTTP shapes shared by routes (`[[routes]]` → [`crate::Plugin::http`]) and outbound
//! requests ([`crate::http`]), and URL query strings (routes and pages).

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::bindings::courtyard::plugin::types as t;
use crate::{Error, ErrorKind, Result};

fn find_header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

fn parse_body<T: DeserializeOwned>(body: &[u8]) -> Result<T> {
    serde_json::from_slice(body).map_err(|e| {
        Error::new(
            ErrorKind::Data,
            format!("the body is not the expected JSON: {e}"),
        )
    })
}

/// A URL query string, decoded: `?status=open&page=2`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Query {
    raw: String,
    pairs: Vec<(String, String)>,
}

fn decode(part: &str) -> String {
    let bytes = part.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).ok();
                match hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                    Some(b) => {
                        out.push(b);
                        i += 2;
                    }
                    None => out.push(b'%'),
                }
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

impl Query {
    /// Parses `a=1&b=two%20words` (with or without a leading `?`).
    pub fn parse(raw: &str) -> Self {
        let trimmed = raw.strip_prefix('?').unwrap_or(raw);
        let pairs = trimmed
            .split('&')
            .filter(|p| !p.is_empty())
            .map(|p| {
                let (k, v) = p.split_once('=').unwrap_or((p, ""));
                (decode(k), decode(v))
            })
            .collect();
        Query {
            raw: trimmed.to_owned(),
            pairs,
        }
    }

    /// The first value of `name`.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.pairs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// Every value of `name`, in order.
    pub fn get_all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> {
        self.pairs
            .iter()
            .filter(move |(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.pairs.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }

    /// The query as received, without `?`.
    pub fn raw(&self) -> &str {
        &self.raw
    }

    pub fn is_empty(&self) -> bool {
        self.pairs.is_empty()
    }
}

/// A request to one of the plugin's routes, `/api/v1/plugins/{plugin}/{path}`.
#[derive(Clone, Debug)]
pub struct Request {
    /// `GET`, `POST`, …
    pub method: String,
    /// The part after the plugin id, without a leading `/` and without the query, as routes
    /// are declared: `partner/events`.
    pub path: String,
    pub query: Query,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Request {
    /// A header's value (names compare case-insensitively).
    pub fn header(&self, name: &str) -> Option<&str> {
        find_header(&self.headers, name)
    }

    /// The body as JSON of your own type.
    pub fn parse_json<T: DeserializeOwned>(&self) -> Result<T> {
        parse_body(&self.body)
    }

    /// The body as text (invalid UTF-8 replaced).
    pub fn body_text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

impl From<t::HttpRequest> for Request {
    fn from(r: t::HttpRequest) -> Self {
        Request {
            method: r.method.to_ascii_uppercase(),
            path: r.path.trim_start_matches('/').to_owned(),
            query: Query::parse(&r.query),
            headers: r.headers,
            body: r.body,
        }
    }
}

/// An HTTP response: what a route answers, and what an outbound request received.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Response {
    /// An empty response with this status.
    pub fn new(status: u16) -> Self {
        Response {
            status,
            headers: Vec::new(),
            body: Vec::new(),
        }
    }

    /// 200 with `value` as JSON (500 if it cannot be serialized).
    pub fn json<T: Serialize + ?Sized>(value: &T) -> Self {
        match serde_json::to_vec(value) {
            Ok(body) => Response::new(200)
                .with_header("content-type", "application/json")
                .with_body(body),
            Err(e) => Response::text(e.to_string()).with_status(500),
        }
    }

    /// 200 with plain text.
    pub fn text(text: impl Into<String>) -> Self {
        Response::new(200)
            .with_header("content-type", "text/plain; charset=utf-8")
            .with_body(text.into().into_bytes())
    }

    pub fn no_content() -> Self {
        Response::new(204)
    }

    pub fn not_found() -> Self {
        Response::text("not found").with_status(404)
    }

    pub fn bad_request(message: impl Into<String>) -> Self {
        Response::text(message).with_status(400)
    }

    /// An error in the host's own shape, `{"code": …, "message": …}`, with `status`: what
    /// clients of every route expect (`code` is stable, `message` is for people).
    pub fn error(status: u16, code: &str, message: impl Into<String>) -> Self {
        Response::json(&serde_json::json!({"code": code, "message": message.into()}))
            .with_status(status)
    }

    pub fn unauthorized() -> Self {
        Response::text("unauthorized").with_status(401)
    }

    pub fn with_status(mut self, status: u16) -> Self {
        self.status = status;
        self
    }

    pub fn with_header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }

    pub fn with_body(mut self, body: impl Into<Vec<u8>>) -> Self {
        self.body = body.into();
        self
    }

    /// A header's value (names compare case-insensitively).
    pub fn header(&self, name: &str) -> Option<&str> {
        find_header(&self.headers, name)
    }

    /// 2xx.
    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }

    /// The body as JSON of your own type.
    pub fn parse_json<T: DeserializeOwned>(&self) -> Result<T> {
        parse_body(&self.body)
    }

    /// The body as text (invalid UTF-8 replaced).
    pub fn body_text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// `self` if 2xx, otherwise an [`ErrorKind::Status`] error.
    pub fn error_for_status(self) -> Result<Self> {
        if self.is_success() {
            Ok(self)
        } else {
            Err(Error::new(
                ErrorKind::Status(self.status),
                format!("the server answered {}", self.status),
            ))
        }
    }
}

impl From<Response> for t::HttpResponse {
    fn from(r: Response) -> Self {
        t::HttpResponse {
            status: r.status,
            headers: r.headers,
            body: r.body,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queries_decode() {
        let q = Query::parse("?status=open&name=Li+Lei&x=%E4%BD%A0&flag&x=2&bad=%zz");
        assert_eq!(q.get("status"), Some("open"));
        assert_eq!(q.get("name"), Some("Li Lei"));
        assert_eq!(q.get("x"), Some("你"));
        assert_eq!(q.get_all("x").collect::<Vec<_>>(), vec!["你", "2"]);
        assert_eq!(q.get("flag"), Some(""));
        assert_eq!(q.get("bad"), Some("%zz"));
        assert!(Query::parse("").is_empty());
    }
}

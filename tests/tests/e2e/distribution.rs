//! Signed plugin packages and catalogs, over the API: a package is staged (read, its
//! signature checked, shown with its publisher and capabilities), then installed by its
//! digest. Trusted publishers install plainly; unsigned and unknown-key packages only with
//! `allow_untrusted`; a tampered package never. A catalog directory lists versions; the
//! host offers upgrades and refuses packages built for a contract it does not run.

use serde_json::{Value, json};

use crate::common::{Backend, Client, TestServer};
use courtyard_host::package::{self, Package};

const PNG: &[u8] = b"\x89PNG\r\n\x1a\nnot really an image, but a PNG by its signature";

fn publisher() -> ed25519_dalek::SigningKey {
    ed25519_dalek::SigningKey::from_bytes(&[42; 32])
}

fn stranger() -> ed25519_dalek::SigningKey {
    ed25519_dalek::SigningKey::from_bytes(&[7; 32])
}

/// The dice plugin under the id `dice-pro` at `version`, built for contract `wit`.
fn dice_package(version: &str, wit: &str) -> Package {
    let dir = crate::plugins::built("bundled-plugins").join("dice");
    let manifest = std::fs::read_to_string(dir.join("courtyard.toml"))
        .unwrap()
        .replace("id = \"dice\"", "id = \"dice-pro\"")
        .replace("version = \"0.1.0\"", &format!("version = \"{version}\""))
        .replace("wit = \"0.3.0\"", &format!("wit = \"{wit}\""));
    Package {
        manifest,
        component: std::fs::read(dir.join("plugin.wasm")).unwrap(),
        descriptions: [
            ("en".to_owned(), "Dice, professionally.".to_owned()),
            ("zh-CN".to_owned(), "专业掷骰子。".to_owned()),
        ]
        .into(),
        icon: Some(PNG.to_vec()),
        screenshots: vec![PNG.to_vec()],
        signature: None,
    }
}

struct World {
    server: TestServer,
    org: String,
    admin: Client,
    catalog: std::path::PathBuf,
}

async fn world(backend: Backend) -> World {
    let catalog = std::env::temp_dir().join(format!("cy-catalog-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&catalog).unwrap();
    let source = catalog.display().to_string();
    let key = package::format_key(&publisher().verifying_key());
    let server = TestServer::start_with(backend, move |c| {
        c.trusted_publishers = vec![courtyard_host::config::TrustedPublisher {
            name: "Courtyard Labs".into(),
            key: key.clone(),
        }];
        c.plugin_catalogs = vec![source.clone()];
    })
    .await;
    let org = server.org("Package Co").await;
    let (_, admin) = server.person(&org, "Admin", "org_admin").await;
    World {
        server,
        org,
        admin,
        catalog,
    }
}

async fn stage(client: &Client, org: &str, bytes: Vec<u8>) -> (u16, Value) {
    let res = client
        .http
        .post(format!("{}/api/v1/orgs/{org}/plugin-packages", client.base))
        .bearer_auth(client.token.clone().unwrap())
        .header("content-type", "application/octet-stream")
        .header("accept-language", "zh-CN")
        .body(bytes)
        .send()
        .await
        .unwrap();
    let status = res.status().as_u16();
    (status, res.json().await.unwrap_or(Value::Null))
}

async fn install(client: &Client, org: &str, sha: &Value, allow: bool) -> (u16, Value) {
    client
        .post(
            &format!("/api/v1/orgs/{org}/plugins"),
            json!({"package_sha256": sha, "allow_untrusted": allow}),
        )
        .await
}

async fn signature_decides_how_a_package_installs(backend: Backend) {
    let w = world(backend).await;

    // Signed by the trusted publisher: shown with its configured name, installs plainly.
    let mut trusted = dice_package("1.0.0", "0.3.0");
    trusted
        .sign("Someone claiming anything", &publisher())
        .unwrap();
    let (status, staged) = stage(&w.admin, &w.org, trusted.write()).await;
    assert_eq!(status, 201, "{staged}");
    assert_eq!(staged["trust"]["status"], "trusted");
    assert_eq!(staged["trust"]["publisher"], "Courtyard Labs");
    assert!(staged["trust"]["warning"].is_null());
    assert_eq!(staged["package"]["capabilities"], json!(["storage"]));
    assert_eq!(staged["descriptions"]["zh-CN"], "专业掷骰子。");
    assert_eq!(
        (staged["icon"].as_bool(), staged["screenshots"].as_u64()),
        (Some(true), Some(1))
    );
    let sha = staged["package"]["sha256"].clone();
    let icon = w
        .admin
        .http
        .get(format!(
            "{}/api/v1/orgs/{}/plugin-packages/{}/icon",
            w.admin.base,
            w.org,
            sha.as_str().unwrap()
        ))
        .bearer_auth(w.admin.token.clone().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(icon.headers()["content-type"], "image/png");
    assert_eq!(icon.bytes().await.unwrap().as_ref(), PNG);
    let (status, installed) = install(&w.admin, &w.org, &sha, false).await;
    assert_eq!(status, 201, "{installed}");
    assert_eq!(installed["package"]["version"], "1.0.0");

    // Signed by a key nobody configured: staged with a warning, installed only when allowed.
    let mut unknown = dice_package("1.0.1", "0.3.0");
    unknown.sign("Courtyard Labs", &stranger()).unwrap();
    let (status, staged) = stage(&w.admin, &w.org, unknown.write()).await;
    assert_eq!(status, 201, "{staged}");
    assert_eq!(staged["trust"]["status"], "untrusted");
    assert_eq!(staged["trust"]["publisher"], "Courtyard Labs");
    assert!(
        staged["trust"]["warning"]["zh-CN"]
            .as_str()
            .unwrap()
            .contains("不在本服务器信任")
    );
    assert_eq!(staged["installed_version"], "1.0.0");
    assert_eq!(staged["upgrade"], true);
    let sha = staged["package"]["sha256"].clone();
    let (status, refused) = install(&w.admin, &w.org, &sha, false).await;
    assert_eq!(status, 422, "{refused}");
    assert_eq!(refused["code"], "untrusted_package");
    let (status, installed) = install(&w.admin, &w.org, &sha, true).await;
    assert_eq!(status, 201, "{installed}");
    assert_eq!(installed["package"]["version"], "1.0.1");

    // Unsigned: the same rule.
    let (status, staged) = stage(&w.admin, &w.org, dice_package("1.0.2", "0.3.0").write()).await;
    assert_eq!(status, 201);
    assert_eq!(staged["trust"]["status"], "unsigned");
    let (status, refused) = install(&w.admin, &w.org, &staged["package"]["sha256"], false).await;
    assert_eq!(
        (status, refused["code"].as_str()),
        (422, Some("untrusted_package"))
    );
    // So is a bare manifest and component.
    let dice = dice_package("1.0.3", "0.3.0");
    let bare = json!({"package": {
        "manifest": dice.manifest,
        "wasm_base64": base64::Engine::encode(&base64::engine::general_purpose::STANDARD, &dice.component),
    }});
    let (status, refused) = w
        .admin
        .post(&format!("/api/v1/orgs/{}/plugins", w.org), bare)
        .await;
    assert_eq!(
        (status, refused["code"].as_str()),
        (422, Some("untrusted_package"))
    );

    // Changed after signing: refused at once, whatever an admin allows.
    let mut tampered = dice_package("1.0.4", "0.3.0");
    tampered.sign("Courtyard Labs", &publisher()).unwrap();
    tampered
        .descriptions
        .insert("en".into(), "Now with a free crypto miner.".into());
    let (status, refused) = stage(&w.admin, &w.org, tampered.write()).await;
    assert_eq!(status, 422, "{refused}");
    assert_eq!(refused["code"], "bad_signature");
    assert!(
        refused["message_zh"].as_str().unwrap().contains("签名"),
        "answered in Chinese too: {refused}"
    );

    // Garbage is a clear 422, not a crash.
    let (status, refused) = stage(&w.admin, &w.org, b"PK\x03\x04 nonsense".to_vec()).await;
    assert_eq!(
        (status, refused["code"].as_str()),
        (422, Some("invalid_package"))
    );

    // Members stage nothing; another organization sees nothing of this one's uploads.
    let (_, member) = w.server.person(&w.org, "Member", "member").await;
    let (status, _) = stage(&member, &w.org, trusted.write()).await;
    assert_eq!(status, 403);
    let other = w.server.org("Other Co").await;
    let (_, other_admin) = w.server.person(&other, "Other Admin", "org_admin").await;
    let (status, _) = other_admin
        .get(&format!(
            "/api/v1/orgs/{other}/plugin-packages/{}",
            sha.as_str().unwrap()
        ))
        .await;
    assert_eq!(status, 404);
    let (status, _) = install(&other_admin, &other, &sha, true).await;
    assert_eq!(status, 404);
    let _ = std::fs::remove_dir_all(&w.catalog);
}

async fn a_catalog_offers_installs_and_upgrades(backend: Backend) {
    let w = world(backend).await;
    let add = |p: Package, name: &str| {
        let file = w.catalog.join(format!("upload-{name}.cyplugin"));
        std::fs::write(&file, p.write()).unwrap();
        courtyard_host::publish::catalog_add(&w.catalog, &file, Some("Labs catalog"), false)
            .unwrap();
        std::fs::remove_file(file).unwrap();
    };
    for (version, wit) in [("1.0.0", "0.3.0"), ("1.1.0", "0.3.0"), ("2.0.0", "9.0.0")] {
        let mut p = dice_package(version, wit);
        p.sign("Courtyard Labs", &publisher()).unwrap();
        add(p, version);
    }
    let listing = || async {
        let (status, items) = w
            .admin
            .get(&format!("/api/v1/orgs/{}/plugin-catalog", w.org))
            .await;
        assert_eq!(status, 200, "{items}");
        items.as_array().unwrap().clone()
    };
    let items = listing().await;
    let versions: Vec<&str> = items
        .iter()
        .map(|i| i["version"].as_str().unwrap())
        .collect();
    assert_eq!(versions, ["2.0.0", "1.1.0", "1.0.0"], "newest first");
    assert_eq!(items[0]["compatible"], false);
    assert!(
        items[0]["incompatible"]["en"]
            .as_str()
            .unwrap()
            .contains("9.0.0")
    );
    assert_eq!(items[1]["trust"]["status"], "trusted");
    assert_eq!(items[1]["catalog_name"], "Labs catalog");
    assert!(items[1]["icon_base64"].is_string());
    let source = items[1]["source"].clone();

    let from_catalog = |version: &str| {
        let body = json!({"source": source, "plugin_id": "dice-pro", "version": version});
        let (admin, org) = (w.admin.clone(), w.org.clone());
        async move {
            admin
                .post(
                    &format!("/api/v1/orgs/{org}/plugin-packages/from-catalog"),
                    body,
                )
                .await
        }
    };
    let (status, staged) = from_catalog("1.0.0").await;
    assert_eq!(status, 201, "{staged}");
    assert_eq!(staged["trust"]["status"], "trusted");
    let (status, _) = install(&w.admin, &w.org, &staged["package"]["sha256"], false).await;
    assert_eq!(status, 201);

    // Now 1.1.0 is an upgrade; 2.0.0 is not, whatever its number.
    let items = listing().await;
    let by_version = |v: &str| items.iter().find(|i| i["version"] == v).unwrap().clone();
    assert_eq!(by_version("1.1.0")["upgrade"], true);
    assert_eq!(by_version("1.1.0")["installed_version"], "1.0.0");
    assert_eq!(by_version("2.0.0")["upgrade"], false);
    let (status, refused) = from_catalog("2.0.0").await;
    assert_eq!(status, 422, "{refused}");
    assert_eq!(refused["code"], "incompatible_contract");
    assert!(
        refused["message"].as_str().unwrap().contains("0.3.0"),
        "{refused}"
    );
    let (status, staged) = from_catalog("1.1.0").await;
    assert_eq!(status, 201, "{staged}");
    assert_eq!(staged["upgrade"], true);
    let (status, installed) = install(&w.admin, &w.org, &staged["package"]["sha256"], false).await;
    assert_eq!(status, 201, "{installed}");
    assert_eq!(installed["package"]["version"], "1.1.0");
    assert!(listing().await.iter().all(|i| i["upgrade"] == false));

    // A catalog file that is not what the index says is refused.
    let mut evil = dice_package("1.1.0", "0.3.0");
    evil.sign("Courtyard Labs", &publisher()).unwrap();
    evil.descriptions
        .insert("en".into(), "Swapped on the server.".into());
    evil.sign("Courtyard Labs", &stranger()).unwrap();
    std::fs::write(w.catalog.join("dice-pro-1.1.0.cyplugin"), evil.write()).unwrap();
    let (status, refused) = from_catalog("1.1.0").await;
    assert_eq!(
        (status, refused["code"].as_str()),
        (422, Some("catalog_mismatch"))
    );
    let (status, _) = w
        .admin
        .post(
            &format!("/api/v1/orgs/{}/plugin-packages/from-catalog", w.org),
            json!({"source": "/etc", "plugin_id": "dice-pro", "version": "1.0.0"}),
        )
        .await;
    assert_eq!(status, 404, "only configured catalogs are read");
    let _ = std::fs::remove_dir_all(&w.catalog);
}

/// Serves the files of `dir` over HTTP on a free port, as any static web server would;
/// returns its base URL.
async fn serve_directory(dir: std::path::PathBuf) -> String {
    use axum::extract::Path;
    let app = axum::Router::new().route(
        "/catalog/{*file}",
        axum::routing::get(move |Path(file): Path<String>| {
            let dir = dir.clone();
            async move {
                match std::fs::read(dir.join(file.replace("..", ""))) {
                    Ok(bytes) => (axum::http::StatusCode::OK, bytes),
                    Err(_) => (axum::http::StatusCode::NOT_FOUND, Vec::new()),
                }
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    format!("http://{addr}/catalog/")
}

/// The same catalog, served by a web server: listed, staged and installed over HTTP.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_catalog_over_http() {
    let dir = std::env::temp_dir().join(format!("cy-web-catalog-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut p = dice_package("3.0.0", "0.3.0");
    p.sign("Courtyard Labs", &publisher()).unwrap();
    let file = dir.join("upload.cyplugin");
    std::fs::write(&file, p.write()).unwrap();
    courtyard_host::publish::catalog_add(&dir, &file, Some("Web catalog"), false).unwrap();
    let url = serve_directory(dir.clone()).await;
    let key = package::format_key(&publisher().verifying_key());
    let source = url.clone();
    let server = TestServer::start_with(Backend::Sqlite, move |c| {
        c.trusted_publishers = vec![courtyard_host::config::TrustedPublisher {
            name: "Courtyard Labs".into(),
            key: key.clone(),
        }];
        c.plugin_catalogs = vec![source.clone(), "http://127.0.0.1:9/unreachable/".into()];
    })
    .await;
    let org = server.org("Web Co").await;
    let (_, admin) = server.person(&org, "Admin", "org_admin").await;
    // The unreachable catalog is left out; the other one answers.
    let (status, items) = admin
        .get(&format!("/api/v1/orgs/{org}/plugin-catalog"))
        .await;
    assert_eq!(status, 200, "{items}");
    assert_eq!(items.as_array().unwrap().len(), 1, "{items}");
    assert_eq!(items[0]["catalog_name"], "Web catalog");
    let (status, staged) = admin
        .post(
            &format!("/api/v1/orgs/{org}/plugin-packages/from-catalog"),
            json!({"source": url, "plugin_id": "dice-pro", "version": "3.0.0"}),
        )
        .await;
    assert_eq!(status, 201, "{staged}");
    let (status, installed) = install(&admin, &org, &staged["package"]["sha256"], false).await;
    assert_eq!(status, 201, "{installed}");
    assert_eq!(installed["trust"]["status"], "trusted");
    let (status, refused) = admin
        .post(
            &format!("/api/v1/orgs/{org}/plugin-packages/from-catalog"),
            json!({"source": "http://127.0.0.1:9/unreachable/", "plugin_id": "dice-pro", "version": "3.0.0"}),
        )
        .await;
    assert_eq!(
        (status, refused["code"].as_str()),
        (503, Some("catalog_unavailable"))
    );
    let _ = std::fs::remove_dir_all(dir);
}

both_backends!(
    signature_decides_how_a_package_installs,
    a_catalog_offers_installs_and_upgrades
);

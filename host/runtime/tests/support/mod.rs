//! An in-memory host for running plugins in tests and benchmarks without a server.

#![allow(dead_code)]

use std::collections::BTreeMap;

use courtyard_runtime::api::{
    FileInfo, Group, HostApi, HostError, HostResult, HttpRequest, HttpResponse, Link, LogLevel,
    Organization, Person, Record, RecordPage, Scope, Target,
};
use parking_lot::Mutex;

#[derive(Default)]
pub struct FakeHost {
    kv: Mutex<BTreeMap<String, Vec<u8>>>,
    /// Organizations by id (the scope's own is always known, as "Org").
    pub orgs: Mutex<BTreeMap<String, String>>,
    /// Cards posted with `post_card_for`, by message id.
    pub restricted: Mutex<BTreeMap<String, RestrictedCard>>,
    /// Uploaded files by id, and who they were shared with.
    pub files: Mutex<BTreeMap<String, (FileInfo, Vec<String>)>>,
}

/// A card only `audience` sees.
#[derive(Clone, Debug)]
pub struct RestrictedCard {
    pub group_id: String,
    pub card: serde_json::Value,
    pub audience: Vec<String>,
}

impl FakeHost {
    /// Makes a file known, as if `uploaded_by` had uploaded it.
    pub fn add_file(&self, id: &str, name: &str, uploaded_by: &str) {
        let info = FileInfo {
            id: id.into(),
            name: name.into(),
            content_type: "text/plain".into(),
            size: 5,
            uploaded_by: uploaded_by.into(),
            created_ms: 1_700_000_000_000,
        };
        self.files.lock().insert(id.into(), (info, Vec::new()));
    }

    /// Whom a file was shared with.
    pub fn shared_with(&self, id: &str) -> Vec<String> {
        self.files
            .lock()
            .get(id)
            .map(|(_, people)| people.clone())
            .unwrap_or_default()
    }
}

fn key(scope: &Scope, key: &str, group_scoped: bool) -> String {
    format!(
        "{}/{}/{key}",
        scope.org_id,
        if group_scoped {
            scope.group_id.clone().unwrap_or_default()
        } else {
            String::new()
        }
    )
}

#[async_trait::async_trait]
impl HostApi for FakeHost {
    async fn person(&self, _: &Scope, _: &str) -> HostResult<Person> {
        Err(HostError::NotFound)
    }
    async fn search_people(&self, _: &Scope, _: &str, _: u32) -> HostResult<Vec<Person>> {
        Ok(vec![])
    }
    async fn managers(&self, _: &Scope, _: &str, _: u32) -> HostResult<Vec<Person>> {
        Ok(vec![])
    }
    async fn group(&self, _: &Scope, _: &str) -> HostResult<Group> {
        Err(HostError::NotFound)
    }
    async fn members(&self, _: &Scope, _: &str) -> HostResult<Vec<Person>> {
        Ok(vec![])
    }
    async fn post(
        &self,
        _: &Scope,
        _: &str,
        _: String,
        _: Option<serde_json::Value>,
    ) -> HostResult<String> {
        Ok("m1".into())
    }
    async fn update_card(&self, _: &Scope, _: &str, _: serde_json::Value) -> HostResult<()> {
        Ok(())
    }
    async fn send_card(&self, _: &Scope, _: &str, _: serde_json::Value) -> HostResult<String> {
        Ok("m2".into())
    }
    async fn kv_get(&self, s: &Scope, k: &str, g: bool) -> HostResult<Option<Vec<u8>>> {
        Ok(self.kv.lock().get(&key(s, k, g)).cloned())
    }
    async fn kv_set(
        &self,
        s: &Scope,
        k: &str,
        v: Vec<u8>,
        g: bool,
        _: Option<u64>,
    ) -> HostResult<()> {
        self.kv.lock().insert(key(s, k, g), v);
        Ok(())
    }
    async fn kv_delete(&self, s: &Scope, k: &str, g: bool) -> HostResult<bool> {
        Ok(self.kv.lock().remove(&key(s, k, g)).is_some())
    }
    async fn kv_compare_and_set(
        &self,
        s: &Scope,
        k: &str,
        expected: Option<Vec<u8>>,
        v: Vec<u8>,
        g: bool,
    ) -> HostResult<bool> {
        let mut kv = self.kv.lock();
        let k = key(s, k, g);
        if kv.get(&k) == expected.as_ref() {
            kv.insert(k, v);
            Ok(true)
        } else {
            Ok(false)
        }
    }
    async fn kv_scan(
        &self,
        _: &Scope,
        _: &str,
        _: Option<String>,
        _: u32,
        _: bool,
    ) -> HostResult<Vec<(String, Vec<u8>)>> {
        Ok(vec![])
    }
    fn log(&self, _: &Scope, _: LogLevel, _: &str) {}
    async fn with_role(&self, _: &Scope, _: &str, _: u32) -> HostResult<Vec<Person>> {
        Ok(vec![])
    }
    async fn is_member(&self, _: &Scope, _: &str, _: &str) -> HostResult<bool> {
        Ok(false)
    }
    async fn reply(
        &self,
        _: &Scope,
        _: &str,
        _: String,
        _: Option<serde_json::Value>,
    ) -> HostResult<String> {
        Ok("m3".into())
    }
    async fn record_get(&self, _: &Scope, _: &str, _: &str) -> HostResult<Option<Record>> {
        Ok(None)
    }
    async fn record_put(
        &self,
        _: &Scope,
        _: &str,
        _: &str,
        _: String,
        _: Vec<Link>,
        expected: u64,
    ) -> HostResult<u64> {
        Ok(expected + 1)
    }
    async fn record_delete(&self, _: &Scope, _: &str, _: &str) -> HostResult<bool> {
        Ok(false)
    }
    async fn record_find(
        &self,
        _: &Scope,
        _: &str,
        _: Option<&str>,
        _: &Target,
        _: Option<String>,
        _: u32,
    ) -> HostResult<RecordPage> {
        Ok((vec![], None))
    }
    async fn record_list(
        &self,
        _: &Scope,
        _: &str,
        _: Option<String>,
        _: u32,
    ) -> HostResult<RecordPage> {
        Ok((vec![], None))
    }
    async fn timer_set(&self, _: &Scope, _: &str, _: i64, _: String) -> HostResult<String> {
        Ok("t1".into())
    }
    async fn timer_cancel(&self, _: &Scope, _: &str) -> HostResult<bool> {
        Ok(false)
    }
    async fn http_fetch(&self, _: &Scope, _: HttpRequest) -> HostResult<HttpResponse> {
        Err(HostError::Unavailable("no network in tests".into()))
    }
    async fn interop_call(&self, _: &Scope, _: &str, _: &str, _: String) -> HostResult<String> {
        Err(HostError::NotFound)
    }
    async fn organization(&self, scope: &Scope, id: &str) -> HostResult<Organization> {
        let name = if id == scope.org_id {
            Some("Org".to_owned())
        } else {
            self.orgs.lock().get(id).cloned()
        };
        name.map(|name| Organization {
            id: id.into(),
            name,
        })
        .ok_or(HostError::NotFound)
    }
    async fn post_card_for(
        &self,
        _: &Scope,
        group_id: &str,
        card: serde_json::Value,
        audience: Vec<String>,
    ) -> HostResult<String> {
        if audience.is_empty() {
            return Err(HostError::Invalid("an empty audience".into()));
        }
        let mut restricted = self.restricted.lock();
        let id = format!("r{}", restricted.len() + 1);
        restricted.insert(
            id.clone(),
            RestrictedCard {
                group_id: group_id.into(),
                card,
                audience,
            },
        );
        Ok(id)
    }
    async fn set_audience(
        &self,
        _: &Scope,
        message_id: &str,
        audience: Vec<String>,
    ) -> HostResult<()> {
        match self.restricted.lock().get_mut(message_id) {
            Some(card) => {
                card.audience = audience;
                Ok(())
            }
            None => Err(HostError::NotFound),
        }
    }
    async fn file_get(&self, _: &Scope, id: &str) -> HostResult<FileInfo> {
        self.files
            .lock()
            .get(id)
            .map(|(info, _)| info.clone())
            .ok_or(HostError::NotFound)
    }
    async fn file_share(&self, _: &Scope, id: &str, people: Vec<String>) -> HostResult<()> {
        let mut files = self.files.lock();
        let (_, shared) = files.get_mut(id).ok_or(HostError::NotFound)?;
        for p in people {
            if !shared.contains(&p) {
                shared.push(p);
            }
        }
        Ok(())
    }
}

pub fn grants(capabilities: &[&str]) -> std::sync::Arc<courtyard_runtime::api::Grants> {
    std::sync::Arc::new(courtyard_runtime::api::Grants {
        capabilities: capabilities.iter().map(|c| c.to_string()).collect(),
        http_hosts: vec![],
    })
}

pub fn wasm(name: &str) -> Vec<u8> {
    let root =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/wasm32-wasip2/release");
    let path = root.join(format!("{name}.wasm"));
    std::fs::read(&path).unwrap_or_else(|e| {
        panic!(
            "{} is missing ({e}): build plugins first with `cargo xtask build-plugins`",
            path.display()
        )
    })
}

pub fn scope() -> Scope {
    Scope {
        plugin_id: "dice".into(),
        org_id: "org".into(),
        group_id: Some("group".into()),
        actor: Some(courtyard_runtime::api::Actor {
            id: "p1".into(),
            display_name: "张三".into(),
            role: "member".into(),
            org_id: "org".into(),
        }),
        request_id: "r1".into(),
        settings: serde_json::json!({"max_sides": 100}),
        locale: "en".into(),
        time_zone: "Asia/Shanghai".into(),
        call_depth: 0,
    }
}

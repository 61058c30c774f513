//! Signing in and out, sessions, personal access tokens, login throttling and the first
//! platform admin.

use std::net::IpAddr;

use courtyard_domain::limits::{MAX_PASSWORD_BYTES, MIN_PASSWORD_CHARS};
use courtyard_domain::policy::{self, Actor};
use courtyard_domain::{MessageId, OrgId, PersonId, PersonStatus, Role};

use super::views::{CurrentSessionView, PersonView, SessionView, TokenView};
use super::{App, AppError, Result, actor_of, parse_id};
use crate::config::Config;
use crate::crypto;
use crate::store::people::PersonRow;
use crate::store::sessions::{self, SessionRow};
use crate::store::{now_millis, orgs, people, throttle};

const SESSION_PREFIX: &str = "cys_";
const TOKEN_PREFIX: &str = "cyp_";

/// An authenticated request's identity.
#[derive(Clone, Debug)]
pub struct Auth {
    pub actor: Actor,
    pub person: PersonRow,
    pub session_id: String,
    pub token_hash: String,
    /// `session` (signed in with a password) or `token` (personal access token).
    pub kind: String,
    /// `en` or `zh-CN`, from the request's `Accept-Language`: what plugins answer in.
    pub locale: String,
    /// The client's address as this server saw it, for the audit log.
    pub ip: Option<String>,
}

/// The supported language a request prefers: `zh-CN` for any Chinese, else `en`.
pub fn locale_from_accept_language(header: Option<&str>) -> &'static str {
    let first = header
        .unwrap_or("")
        .split(',')
        .map(|part| {
            part.split(';')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase()
        })
        .find(|tag| tag.starts_with("zh") || tag.starts_with("en"));
    match first {
        Some(tag) if tag.starts_with("zh") => "zh-CN",
        _ => "en",
    }
}

/// Throttles failed sign-ins per account and per client address within a window. The
/// counts live in the database (`store::throttle`), so every node of a cluster refuses
/// the same attempts.
pub struct LoginLimiter {
    per_account: i64,
    per_ip: i64,
    window_millis: i64,
}

impl LoginLimiter {
    pub fn new(config: &Config) -> Self {
        Self {
            per_account: i64::from(config.login_failures_per_account),
            per_ip: i64::from(config.login_failures_per_ip),
            window_millis: (config.login_window_secs as i64).saturating_mul(1000),
        }
    }

    /// The counter keys of an attempt and the limit of each.
    fn keys(&self, email: &str, ip: Option<IpAddr>) -> Vec<(String, i64)> {
        let mut keys = vec![(format!("account:{email}"), self.per_account)];
        if let Some(ip) = ip {
            keys.push((format!("ip:{}", ip.to_canonical()), self.per_ip));
        }
        keys
    }

    fn window_from(&self, now: i64) -> i64 {
        now.saturating_sub(self.window_millis)
    }
}

impl App {
    async fn login_allowed(&self, email: &str, ip: Option<IpAddr>) -> Result<bool> {
        let limiter = &self.login_limiter;
        let keys = limiter.keys(email, ip);
        let names: Vec<String> = keys.iter().map(|(k, _)| k.clone()).collect();
        let counts =
            throttle::failures(&self.store.read, &names, limiter.window_from(now_millis())).await?;
        Ok(counts.iter().all(|(key, n)| {
            keys.iter()
                .find(|(k, _)| k == key)
                .is_none_or(|(_, limit)| n < limit)
        }))
    }

    async fn record_login_failure(&self, email: &str, ip: Option<IpAddr>) -> Result<()> {
        let keys: Vec<String> = self
            .login_limiter
            .keys(email, ip)
            .into_iter()
            .map(|(k, _)| k)
            .collect();
        let now = now_millis();
        let window_from = self.login_limiter.window_from(now);
        self.writer
            .write(move |tx| {
                Box::pin(async move {
                    throttle::prune(tx, window_from).await?;
                    for key in &keys {
                        throttle::record(tx, key, now, window_from).await?;
                    }
                    Ok(())
                })
            })
            .await?;
        Ok(())
    }

    async fn clear_login_failures(&self, email: &str) -> Result<()> {
        let key = format!("account:{email}");
        self.writer
            .write(move |tx| Box::pin(async move { throttle::clear(tx, &key).await }))
            .await?;
        Ok(())
    }
}

pub fn normalize_email(email: &str) -> Result<String> {
    let email = email.trim().to_lowercase();
    let valid = email.len() <= 254
        && email.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty() && domain.contains('.') && !domain.starts_with('.')
        })
        && !email.chars().any(|c| c.is_whitespace() || c.is_control());
    if !valid {
        return Err(AppError::invalid(
            "invalid_email",
            "email address is not valid",
        ));
    }
    Ok(email)
}

pub fn check_password(password: &str) -> Result<()> {
    if password.chars().count() < MIN_PASSWORD_CHARS {
        return Err(AppError::invalid(
            "weak_password",
            format!("password must have at least {MIN_PASSWORD_CHARS} characters"),
        ));
    }
    if password.len() > MAX_PASSWORD_BYTES {
        return Err(AppError::invalid(
            "invalid_password",
            "password is too long",
        ));
    }
    Ok(())
}

impl App {
    pub(crate) async fn hash_password(&self, password: &str) -> Result<String> {
        let _permit = self
            .password_work
            .acquire()
            .await
            .map_err(|e| AppError::Internal(e.into()))?;
        let password = password.to_owned();
        tokio::task::spawn_blocking(move || crypto::hash_password(&password))
            .await
            .map_err(|e| AppError::Internal(e.into()))
    }

    async fn verify_password(&self, password: &str, hash: &str) -> Result<bool> {
        let _permit = self
            .password_work
            .acquire()
            .await
            .map_err(|e| AppError::Internal(e.into()))?;
        let (password, hash) = (password.to_owned(), hash.to_owned());
        tokio::task::spawn_blocking(move || crypto::verify_password(&password, &hash))
            .await
            .map_err(|e| AppError::Internal(e.into()))
    }

    /// Records a failed sign-in of a known account. Written in the background: a wrong
    /// password for a real account must take as long to answer as one for no account.
    pub(crate) fn audit_sign_in_failure(
        &self,
        person: &PersonRow,
        ip: Option<IpAddr>,
        reason: &str,
    ) {
        let mut row = self.audit_row(
            None,
            &person.org_id,
            "auth.sign_in_failed",
            &person.id,
            serde_json::json!({ "reason": reason }),
        );
        row.actor_id = Some(person.id.clone());
        row.ip = ip.map(|ip| ip.to_string());
        let app = self.clone();
        tokio::spawn(async move { app.audit(row).await });
    }

    pub fn csrf_token_for(&self, token_hash: &str) -> String {
        crypto::keyed_digest(&self.secret, &["csrf", token_hash])
    }

    /// The caller's session as a browser needs it after a reload: who it is and the CSRF
    /// token its cookie requires (the token itself stays in the HttpOnly cookie).
    pub fn current_session(&self, auth: &Auth) -> CurrentSessionView {
        CurrentSessionView {
            csrf_token: self.csrf_token_for(&auth.token_hash),
            kind: auth.kind.clone(),
            person: PersonView::from(auth.person.clone()),
        }
    }

    /// Whether the first-run setup is still open (no platform admin yet). Another node of
    /// a cluster may have completed it: the database decides, and this node's token is
    /// dropped once it has.
    pub async fn setup_pending(&self) -> Result<bool> {
        if self.setup_token.lock().is_none() {
            return Ok(false);
        }
        if people::any_platform_admin(&self.store.read).await? {
            *self.setup_token.lock() = None;
            return Ok(false);
        }
        Ok(true)
    }

    /// Signs in with email and password. Unknown accounts, wrong passwords and disabled
    /// accounts get the same answer after the same work.
    pub async fn login(
        &self,
        email: &str,
        password: &str,
        ip: Option<IpAddr>,
    ) -> Result<SessionView> {
        let email = email.trim().to_lowercase();
        // No stored email has control characters (and PostgreSQL refuses NUL in a query).
        if password.len() > MAX_PASSWORD_BYTES
            || email.len() > 254
            || email.chars().any(char::is_control)
        {
            return Err(AppError::Unauthenticated);
        }
        if !self.login_allowed(&email, ip).await? {
            return Err(AppError::RateLimited(
                "too many failed sign-ins; try again later",
            ));
        }
        let found = people::credentials(&self.store.read, &email).await?;
        let hash = found
            .as_ref()
            .and_then(|(_, h)| h.clone())
            .unwrap_or_else(|| crypto::decoy_hash().to_owned());
        let verified = self.verify_password(password, &hash).await?;
        let person = match found {
            Some((person, Some(_))) if verified => person,
            other => {
                self.record_login_failure(&email, ip).await?;
                if let Some((person, _)) = other {
                    self.audit_sign_in_failure(&person, ip, "wrong_password");
                }
                return Err(AppError::Unauthenticated);
            }
        };
        let status = PersonStatus::parse(&person.status).unwrap_or(PersonStatus::Disabled);
        if !policy::may_sign_in(status) {
            self.record_login_failure(&email, ip).await?;
            self.audit_sign_in_failure(&person, ip, "disabled");
            return Err(AppError::Unauthenticated);
        }
        self.clear_login_failures(&email).await?;
        // Checked only once the password held: it tells nothing to someone without it.
        if person.role != Role::PlatformAdmin.as_str()
            && crate::store::sso::sso_only(&self.store.read, &person.org_id).await?
        {
            self.audit_sign_in_failure(&person, ip, "sso_required");
            return Err(AppError::said(
                super::Refusal::Forbidden,
                "sso_required",
                "your organization signs in with single sign-on only",
                "你的组织仅允许通过单点登录（SSO）登录",
            ));
        }
        self.open_session(person, ip, serde_json::json!({"method": "password"}))
            .await
    }

    /// Starts a browser or API session for someone who just proved who they are, and
    /// audits the sign-in with `detail` (how they proved it).
    pub(crate) async fn open_session(
        &self,
        person: PersonRow,
        ip: Option<IpAddr>,
        detail: serde_json::Value,
    ) -> Result<SessionView> {
        let ttl = self.config.session_ttl_hours * 3600 * 1000;
        let (token, row) = new_session(&person.id, "session", "", Some(ttl));
        let stored = row.clone();
        let mut audit = self.audit_row(None, &person.org_id, "auth.signed_in", &person.id, detail);
        audit.actor_id = Some(person.id.clone());
        audit.ip = ip.map(|ip| ip.to_string());
        self.writer
            .write(move |tx| {
                Box::pin(async move {
                    sessions::insert(tx, &stored).await?;
                    crate::store::plugins::audit(tx, &audit).await
                })
            })
            .await?;
        Ok(SessionView {
            csrf_token: self.csrf_token_for(&row.token_hash),
            token,
            expires_at: row.expires_at,
            person: PersonView::from(person),
        })
    }

    pub async fn authenticate(&self, token: &str) -> Result<Auth> {
        if !(token.starts_with(SESSION_PREFIX) || token.starts_with(TOKEN_PREFIX))
            || token.len() > 128
        {
            return Err(AppError::Unauthenticated);
        }
        let token_hash = crypto::token_hash(token);
        let owner = sessions::lookup(&self.store.read, &token_hash, now_millis())
            .await?
            .ok_or(AppError::Unauthenticated)?;
        if owner.person.status != PersonStatus::Active.as_str() {
            return Err(AppError::Unauthenticated);
        }
        Ok(Auth {
            actor: actor_of(&owner.person),
            person: owner.person,
            session_id: owner.session_id,
            token_hash,
            kind: owner.session_kind,
            locale: "en".into(),
            ip: None,
        })
    }

    /// Whether a session (by token hash) is still valid and its person active.
    pub async fn authenticate_hash(&self, token_hash: &str) -> Result<bool> {
        let owner = sessions::lookup(&self.store.read, token_hash, now_millis()).await?;
        Ok(owner.is_some_and(|o| o.person.status == PersonStatus::Active.as_str()))
    }

    pub async fn logout(&self, auth: &Auth) -> Result<()> {
        let hash = auth.token_hash.clone();
        self.writer
            .write(move |tx| Box::pin(async move { sessions::delete_by_hash(tx, &hash).await }))
            .await?;
        self.end_sessions(&auth.actor.person_id, Some(&auth.session_id), None);
        Ok(())
    }

    pub async fn change_password(&self, auth: &Auth, current: &str, new: &str) -> Result<()> {
        check_password(new)?;
        let (_, hash) = people::credentials(&self.store.read, &auth.person.email)
            .await?
            .ok_or(AppError::Unauthenticated)?;
        let hash = hash.unwrap_or_else(|| crypto::decoy_hash().to_owned());
        if !self.verify_password(current, &hash).await? {
            return Err(AppError::invalid(
                "wrong_password",
                "the current password is wrong",
            ));
        }
        self.set_password(&auth.actor.person_id, new, Some(auth.token_hash.clone()))
            .await?;
        self.end_sessions(&auth.actor.person_id, None, Some(&auth.session_id));
        self.audited(
            auth,
            &auth.person.org_id,
            "auth.password_changed",
            auth.actor.person_id.as_str(),
            serde_json::json!({}),
        )
        .await;
        Ok(())
    }

    /// Sets a password and ends every session but `keep` (if given).
    pub(crate) async fn set_password(
        &self,
        person: &PersonId,
        password: &str,
        keep: Option<String>,
    ) -> Result<()> {
        check_password(password)?;
        let hash = self.hash_password(password).await?;
        let person = person.clone();
        self.writer
            .write(move |tx| {
                Box::pin(async move {
                    people::set_password(tx, &person, &hash).await?;
                    sessions::delete_all_for(tx, &person, keep.as_deref()).await
                })
            })
            .await?;
        Ok(())
    }

    pub async fn create_token(
        &self,
        auth: &Auth,
        name: &str,
        expires_in_days: Option<i64>,
    ) -> Result<TokenView> {
        let name = super::check_name("name", name, 100)?;
        let ttl = match expires_in_days {
            Some(days) if !(1..=3650).contains(&days) => {
                return Err(AppError::invalid(
                    "invalid_field",
                    "expires_in_days must be 1 to 3650",
                ));
            }
            Some(days) => Some(days * 24 * 3600 * 1000),
            None => None,
        };
        let (token, row) = new_session(&auth.person.id, "token", &name, ttl);
        let stored = row.clone();
        self.writer
            .write(move |tx| Box::pin(async move { sessions::insert(tx, &stored).await }))
            .await?;
        self.audited(
            auth,
            &auth.person.org_id,
            "token.created",
            &row.id,
            serde_json::json!({"name": row.name, "expires_at": row.expires_at}),
        )
        .await;
        Ok(TokenView {
            id: row.id,
            name: row.name,
            created_at: row.created_at,
            expires_at: row.expires_at,
            last_used_at: row.last_used_at,
            token: Some(token),
        })
    }

    pub async fn list_tokens(&self, auth: &Auth) -> Result<Vec<TokenView>> {
        let rows = sessions::list_tokens(&self.store.read, &auth.actor.person_id).await?;
        Ok(rows
            .into_iter()
            .map(|r| TokenView {
                id: r.id,
                name: r.name,
                created_at: r.created_at,
                expires_at: r.expires_at,
                last_used_at: r.last_used_at,
                token: None,
            })
            .collect())
    }

    pub async fn revoke_token(&self, auth: &Auth, id: &str) -> Result<()> {
        let person = auth.actor.person_id.clone();
        // Token ids are ids like any other (see `new_session`); anything else names nothing.
        let id = parse_id("token", id, MessageId::parse)?.into_string();
        let id_for_hub = id.clone();
        let removed = self
            .writer
            .write(move |tx| {
                Box::pin(async move { sessions::delete_token(tx, &person, &id).await })
            })
            .await?;
        if removed {
            self.end_sessions(&auth.actor.person_id, Some(id_for_hub.as_str()), None);
            self.audited(
                auth,
                &auth.person.org_id,
                "token.revoked",
                &id_for_hub,
                serde_json::json!({}),
            )
            .await;
            Ok(())
        } else {
            Err(AppError::NotFound("token"))
        }
    }

    /// Creates the first platform admin (with a home organization). Refuses once one exists.
    pub async fn bootstrap_admin(
        &self,
        email: &str,
        password: &str,
        display_name: &str,
        org_name: &str,
    ) -> Result<PersonView> {
        let email = normalize_email(email)?;
        check_password(password)?;
        let display_name = super::check_name("display_name", display_name, 100)?;
        let org_name = super::check_name("org_name", org_name, 100)?;
        if people::any_platform_admin(&self.store.read).await? {
            return Err(AppError::Conflict("a platform admin exists already".into()));
        }
        let hash = self.hash_password(password).await?;
        let now = now_millis();
        let org = orgs::OrgRow {
            id: OrgId::generate().into_string(),
            slug: super::orgs::slugify(&org_name),
            name: org_name,
            read_receipts_enabled: true,
            anonymous_posts_enabled: false,
            created_at: now,
            time_zone: "UTC".into(),
            message_retention_days: None,
        };
        let person = super::people::new_person_row(
            &OrgId::from_trusted(org.id.clone()),
            &email,
            &display_name,
            Role::PlatformAdmin,
            now,
        );
        let stored = person.clone();
        self.writer
            .write(move |tx| {
                Box::pin(async move {
                    // Checked again inside the write so two racing bootstraps make one admin.
                    if people::any_platform_admin_in(tx).await? {
                        return Err(crate::store::StoreError::Conflict(
                            "a platform admin exists already",
                        ));
                    }
                    orgs::insert(tx, &org).await?;
                    people::insert(tx, &stored, Some(&hash)).await
                })
            })
            .await?;
        *self.setup_token.lock() = None;
        Ok(PersonView::from(person))
    }

    /// First-run setup through the web: the one-time token printed at start.
    pub async fn setup(
        &self,
        setup_token: &str,
        email: &str,
        password: &str,
        display_name: &str,
        org_name: &str,
    ) -> Result<PersonView> {
        let expected = self.setup_token.lock().clone();
        match expected {
            Some(expected) if crypto::constant_time_eq(&expected, setup_token) => {}
            _ => {
                return Err(AppError::Forbidden(
                    "setup is not available or the setup token is wrong",
                ));
            }
        }
        self.bootstrap_admin(email, password, display_name, org_name)
            .await
    }
}

fn new_session(
    person_id: &str,
    kind: &str,
    name: &str,
    ttl_millis: Option<i64>,
) -> (String, SessionRow) {
    let prefix = if kind == "token" {
        TOKEN_PREFIX
    } else {
        SESSION_PREFIX
    };
    let token = crypto::new_token(prefix);
    let now = now_millis();
    let row = SessionRow {
        id: uuid_like(),
        token_hash: crypto::token_hash(&token),
        person_id: person_id.to_owned(),
        kind: kind.to_owned(),
        name: name.to_owned(),
        created_at: now,
        expires_at: ttl_millis.map(|t| now + t),
        last_used_at: now,
    };
    (token, row)
}

fn uuid_like() -> String {
    // Session ids reuse the id scheme of every other entity.
    courtyard_domain::MessageId::generate().into_string()
}

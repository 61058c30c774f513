//! Single sign-on with OpenID Connect: the authorization code flow with PKCE, through the
//! `openidconnect` crate (discovery, the token exchange, and the ID token's signature,
//! issuer, audience, expiry and nonce checks are all its).
//!
//! Each organization may name one identity provider (`sso_configs`) and the email domains
//! whose people it signs in (`sso_domains`). A sign-in: `start` records the PKCE verifier
//! and the nonce under a digest of a fresh `state` (`sso_logins`, ten minutes, used once)
//! and sends the browser to the provider with the state also in a cookie; `finish` takes
//! that record back (only with the same browser's cookie), exchanges the code, verifies
//! the ID token and finds the person: an account linked before by (issuer, subject); else
//! the organization's account with the token's *verified* email, linked now; else, when
//! the organization provisions just in time, a new member. Every outcome is audited.

use std::net::IpAddr;
use std::sync::OnceLock;
use std::time::Duration;

use openidconnect::core::{CoreAuthenticationFlow, CoreClient, CoreProviderMetadata};
use openidconnect::{
    AuthorizationCode, ClientId, ClientSecret, CsrfToken, IssuerUrl, Nonce, PkceCodeChallenge,
    PkceCodeVerifier, RedirectUrl, Scope, TokenResponse,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::auth::{Auth, normalize_email};
use super::views::SessionView;
use super::{App, AppError, Refusal, Result};
use crate::crypto;
use crate::store::sso::{self, LoginRow, SsoConfigRow};
use crate::store::{now_millis, orgs, people};
use courtyard_domain::{OrgId, PersonStatus, Role, policy};

/// How long a sign-in may take at the provider.
const LOGIN_TTL_MILLIS: i64 = 10 * 60 * 1000;
/// Email domains one organization may claim.
const MAX_DOMAINS: usize = 50;
/// The callback every provider is told to send people back to.
pub const CALLBACK_PATH: &str = "/api/v1/auth/sso/callback";

/// An organization's single sign-on settings as its admins see them (never the secret).
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct SsoConfigView {
    pub issuer: String,
    pub client_id: String,
    /// Always true: a client secret is stored (it is never shown).
    pub has_client_secret: bool,
    /// Email domains whose people sign in through this provider.
    pub domains: Vec<String>,
    /// Create a member on first sign-in when no account has the person's verified email.
    pub auto_provision: bool,
    /// Password sign-in is closed for the organization's people (platform admins excepted).
    pub sso_only: bool,
    /// What to register at the provider as the redirect URI.
    pub redirect_uri: String,
    pub updated_at: i64,
}

/// Sets an organization's identity provider.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PutSsoConfig {
    /// The provider's issuer URL (`https://…`; `http://` only for this machine). Its
    /// discovery document is fetched and checked before anything is saved.
    pub issuer: String,
    pub client_id: String,
    /// Required the first time; absent keeps the stored one.
    pub client_secret: Option<String>,
    #[serde(default)]
    pub domains: Vec<String>,
    #[serde(default)]
    pub auto_provision: bool,
    #[serde(default)]
    pub sso_only: bool,
}

/// Where a person with this email signs in.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct SsoDiscovery {
    pub org_id: String,
    /// Send the browser here (`GET`) to sign in.
    pub start_url: String,
}

/// The answer of `start`: where to send the browser, and the state its cookie must carry.
pub struct SsoStart {
    pub redirect_to: String,
    pub state: String,
}

/// A finished sign-in: the new session and where the person was going.
pub struct SsoSignedIn {
    pub session: SessionView,
    pub return_to: String,
}

fn http() -> &'static reqwest::Client {
    static CLIENT: OnceLock<reqwest::Client> = OnceLock::new();
    CLIENT.get_or_init(|| {
        reqwest::Client::builder()
            // The OpenID Connect specification's advice: a redirect from a provider's
            // endpoint is not followed (it could point anywhere).
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(Duration::from_secs(5))
            .timeout(Duration::from_secs(15))
            .build()
            .expect("an HTTP client")
    })
}

fn refused(refusal: Refusal, code: &'static str, en: &str, zh: &str) -> AppError {
    AppError::said(refusal, code, en, zh)
}

fn not_configured() -> AppError {
    refused(
        Refusal::NotFound,
        "sso_not_configured",
        "single sign-on is not set up for this organization",
        "该组织尚未配置单点登录",
    )
}

fn bad_state() -> AppError {
    refused(
        Refusal::BadRequest,
        "sso_state_mismatch",
        "this sign-in is unknown, expired or was already used, or was started in another browser; start again",
        "此次登录无效、已过期、已使用或在其他浏览器中发起，请重新登录",
    )
}

fn failed(detail: impl std::fmt::Display) -> AppError {
    AppError::said(
        Refusal::Unauthorized,
        "sso_failed",
        format!("the identity provider's answer could not be verified: {detail}"),
        format!("无法验证身份提供方的响应：{detail}"),
    )
}

fn unreachable_provider(detail: impl std::fmt::Display) -> AppError {
    AppError::said(
        Refusal::Invalid,
        "sso_discovery_failed",
        format!("the identity provider could not be reached or described itself wrongly: {detail}"),
        format!("无法连接身份提供方，或其发现文档有误：{detail}"),
    )
}

/// A path on this host to go to after signing in; anything else (another origin, a
/// scheme-relative `//host`) becomes `/`.
pub fn safe_return_to(raw: Option<&str>) -> String {
    match raw {
        Some(p)
            if p.starts_with('/')
                && !p.starts_with("//")
                && !p.starts_with("/\\")
                && p.len() <= 500
                && !p.chars().any(|c| c.is_control()) =>
        {
            p.to_owned()
        }
        _ => "/".to_owned(),
    }
}

/// An issuer URL the host will talk to: HTTPS, or HTTP on this machine (test providers).
fn check_issuer(raw: &str) -> Result<IssuerUrl> {
    let issuer = raw.trim().trim_end_matches('/');
    let url = reqwest::Url::parse(issuer).map_err(|_| invalid_issuer())?;
    let loopback = matches!(url.host_str(), Some("127.0.0.1" | "localhost" | "[::1]"));
    if !(url.scheme() == "https" || (url.scheme() == "http" && loopback))
        || url.query().is_some()
        || url.fragment().is_some()
        || issuer.len() > 500
    {
        return Err(invalid_issuer());
    }
    IssuerUrl::new(issuer.to_owned()).map_err(|_| invalid_issuer())
}

fn invalid_issuer() -> AppError {
    refused(
        Refusal::Invalid,
        "invalid_issuer",
        "the issuer must be an https:// URL without query or fragment",
        "签发者（issuer）必须是不带查询参数和片段的 https:// 地址",
    )
}

fn check_domain(raw: &str) -> Result<String> {
    let domain = raw.trim().trim_start_matches('@').to_ascii_lowercase();
    let valid = domain.len() <= 253
        && domain.contains('.')
        && domain.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        });
    if valid {
        Ok(domain)
    } else {
        Err(AppError::said(
            Refusal::Invalid,
            "invalid_domain",
            format!("`{raw}` is not an email domain such as example.com"),
            format!("“{raw}”不是有效的邮箱域名（例如 example.com）"),
        ))
    }
}

async fn discover(issuer: IssuerUrl) -> Result<CoreProviderMetadata> {
    CoreProviderMetadata::discover_async(issuer, http())
        .await
        .map_err(unreachable_provider)
}

impl App {
    fn redirect_uri(&self) -> String {
        format!("{}{CALLBACK_PATH}", self.config.public_url())
    }

    fn sso_view(&self, row: SsoConfigRow, domains: Vec<String>) -> SsoConfigView {
        SsoConfigView {
            issuer: row.issuer,
            client_id: row.client_id,
            has_client_secret: !row.client_secret.is_empty(),
            domains,
            auto_provision: row.auto_provision,
            sso_only: row.sso_only,
            redirect_uri: self.redirect_uri(),
            updated_at: row.updated_at,
        }
    }

    pub async fn get_sso(&self, auth: &Auth, org_id: &str) -> Result<SsoConfigView> {
        let org = self.administered_org(auth, org_id)?;
        let row = sso::config(&self.store.read, org.as_str())
            .await?
            .ok_or_else(not_configured)?;
        let domains = sso::domains(&self.store.read, org.as_str()).await?;
        Ok(self.sso_view(row, domains))
    }

    /// Sets the organization's provider after checking it answers discovery.
    pub async fn put_sso(
        &self,
        auth: &Auth,
        org_id: &str,
        input: PutSsoConfig,
    ) -> Result<SsoConfigView> {
        let org = self.administered_org(auth, org_id)?;
        orgs::get(&self.store.read, &org)
            .await
            .map_err(|_| AppError::NotFound("organization"))?;
        let issuer = check_issuer(&input.issuer)?;
        let client_id = input.client_id.trim().to_owned();
        if client_id.is_empty() || client_id.len() > 500 {
            return Err(AppError::said(
                Refusal::Invalid,
                "invalid_field",
                "client_id must be 1 to 500 characters",
                "client_id 必须为 1 到 500 个字符",
            ));
        }
        let stored = sso::config(&self.store.read, org.as_str()).await?;
        let client_secret = match (input.client_secret, stored) {
            (Some(s), _) if !s.is_empty() && s.len() <= 1000 => s,
            (None, Some(old)) => old.client_secret,
            _ => {
                return Err(AppError::said(
                    Refusal::Invalid,
                    "invalid_field",
                    "client_secret is required (at most 1000 characters)",
                    "必须填写 client_secret（最多 1000 个字符）",
                ));
            }
        };
        if input.domains.len() > MAX_DOMAINS {
            return Err(AppError::said(
                Refusal::Invalid,
                "invalid_field",
                format!("at most {MAX_DOMAINS} domains"),
                format!("最多 {MAX_DOMAINS} 个域名"),
            ));
        }
        let mut domains = input
            .domains
            .iter()
            .map(|d| check_domain(d))
            .collect::<Result<Vec<_>>>()?;
        domains.sort();
        domains.dedup();
        for domain in &domains {
            if sso::domain_owner(&self.store.read, domain)
                .await?
                .is_some_and(|owner| owner != org.as_str())
            {
                return Err(AppError::said(
                    Refusal::Conflict,
                    "domain_taken",
                    format!(
                        "the email domain {domain} already signs in with another organization's provider"
                    ),
                    format!("邮箱域名 {domain} 已用于另一个组织的单点登录"),
                ));
            }
        }
        discover(issuer.clone()).await?;
        let row = SsoConfigRow {
            org_id: org.as_str().to_owned(),
            issuer: issuer.as_str().to_owned(),
            client_id,
            client_secret,
            auto_provision: input.auto_provision,
            sso_only: input.sso_only,
            updated_by: auth.actor.person_id.as_str().to_owned(),
            updated_at: now_millis(),
        };
        let (stored, claimed) = (row.clone(), domains.clone());
        self.writer
            .write(move |tx| Box::pin(async move { sso::put(tx, &stored, &claimed).await }))
            .await?;
        self.audited(
            auth,
            org.as_str(),
            "sso.configured",
            org.as_str(),
            serde_json::json!({
                "issuer": row.issuer, "client_id": row.client_id, "domains": domains,
                "auto_provision": row.auto_provision, "sso_only": row.sso_only,
            }),
        )
        .await;
        Ok(self.sso_view(row, domains))
    }

    pub async fn delete_sso(&self, auth: &Auth, org_id: &str) -> Result<()> {
        let org = self.administered_org(auth, org_id)?;
        let id = org.as_str().to_owned();
        let removed = self
            .writer
            .write(move |tx| Box::pin(async move { sso::remove(tx, &id).await }))
            .await?;
        if !removed {
            return Err(not_configured());
        }
        self.audited(
            auth,
            org.as_str(),
            "sso.removed",
            org.as_str(),
            serde_json::json!({}),
        )
        .await;
        Ok(())
    }

    /// Which organization's provider signs in someone with this email (by its domain).
    pub async fn discover_sso(&self, email: &str) -> Result<SsoDiscovery> {
        let email = normalize_email(email)?;
        let domain = email.rsplit_once('@').map(|(_, d)| d).unwrap_or_default();
        let org = sso::domain_owner(&self.store.read, domain)
            .await?
            .ok_or_else(not_configured)?;
        Ok(SsoDiscovery {
            start_url: format!("/api/v1/auth/sso/{org}/start"),
            org_id: org,
        })
    }

    /// Begins a sign-in at the organization's provider.
    pub async fn start_sso(&self, org_id: &str, return_to: Option<&str>) -> Result<SsoStart> {
        let org = OrgId::parse(org_id).ok_or_else(not_configured)?;
        let config = sso::config(&self.store.read, org.as_str())
            .await?
            .ok_or_else(not_configured)?;
        let client = self.oidc_client(&config).await?;
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let (url, state, nonce) = client
            .authorize_url(
                CoreAuthenticationFlow::AuthorizationCode,
                CsrfToken::new_random,
                Nonce::new_random,
            )
            .add_scope(Scope::new("email".into()))
            .add_scope(Scope::new("profile".into()))
            .set_pkce_challenge(challenge)
            .url();
        let now = now_millis();
        let row = LoginRow {
            state_digest: crypto::token_hash(state.secret()),
            org_id: org.as_str().to_owned(),
            verifier: verifier.secret().clone(),
            nonce: nonce.secret().clone(),
            return_to: safe_return_to(return_to),
            created_at: now,
        };
        self.writer
            .write(move |tx| {
                Box::pin(async move { sso::begin_login(tx, &row, now - LOGIN_TTL_MILLIS).await })
            })
            .await?;
        Ok(SsoStart {
            redirect_to: url.to_string(),
            state: state.secret().clone(),
        })
    }

    async fn oidc_client(
        &self,
        config: &SsoConfigRow,
    ) -> Result<
        CoreClient<
            openidconnect::EndpointSet,
            openidconnect::EndpointNotSet,
            openidconnect::EndpointNotSet,
            openidconnect::EndpointNotSet,
            openidconnect::EndpointMaybeSet,
            openidconnect::EndpointMaybeSet,
        >,
    > {
        let issuer = IssuerUrl::new(config.issuer.clone()).map_err(|_| invalid_issuer())?;
        let metadata = discover(issuer).await?;
        let redirect = RedirectUrl::new(self.redirect_uri())
            .map_err(|e| AppError::Internal(anyhow::anyhow!("redirect URI: {e}")))?;
        Ok(CoreClient::from_provider_metadata(
            metadata,
            ClientId::new(config.client_id.clone()),
            Some(ClientSecret::new(config.client_secret.clone())),
        )
        .set_redirect_uri(redirect))
    }

    /// Finishes a sign-in the provider sent back: `state` from the query, `cookie_state`
    /// from the browser that started it, and either a `code` or the provider's `error`.
    pub async fn finish_sso(
        &self,
        state: &str,
        cookie_state: Option<&str>,
        code: Option<&str>,
        provider_error: Option<&str>,
        ip: Option<IpAddr>,
    ) -> Result<SsoSignedIn> {
        if state.is_empty() || state.len() > 200 {
            return Err(bad_state());
        }
        let digest = crypto::token_hash(state);
        let login = self
            .writer
            .write(move |tx| Box::pin(async move { sso::take_login(tx, &digest).await }))
            .await?
            .filter(|l| l.created_at >= now_millis() - LOGIN_TTL_MILLIS)
            .ok_or_else(bad_state)?;
        // Login CSRF: the answer must come back to the browser that asked.
        if !cookie_state.is_some_and(|c| crypto::constant_time_eq(c, state)) {
            return Err(bad_state());
        }
        if let Some(error) = provider_error {
            let error: String = error
                .chars()
                .filter(|c| !c.is_control())
                .take(100)
                .collect();
            return Err(failed(format!(
                "the provider refused the sign-in ({error})"
            )));
        }
        let code = code
            .filter(|c| !c.is_empty() && c.len() <= 2000)
            .ok_or_else(|| failed("no authorization code"))?;
        let config = sso::config(&self.store.read, &login.org_id)
            .await?
            .ok_or_else(not_configured)?;
        let client = self.oidc_client(&config).await?;
        let tokens = client
            .exchange_code(AuthorizationCode::new(code.to_owned()))
            .map_err(failed)?
            .set_pkce_verifier(PkceCodeVerifier::new(login.verifier.clone()))
            .request_async(http())
            .await
            .map_err(|e| failed(format!("token exchange: {e}")))?;
        let id_token = tokens
            .id_token()
            .ok_or_else(|| failed("the provider returned no ID token"))?;
        let claims = id_token
            .claims(
                &client.id_token_verifier(),
                &Nonce::new(login.nonce.clone()),
            )
            .map_err(|e| failed(format!("ID token: {e}")))?;
        let identity = Identity {
            issuer: config.issuer.clone(),
            subject: claims.subject().as_str().to_owned(),
            email: claims.email().map(|e| e.as_str().to_owned()),
            email_verified: claims.email_verified().unwrap_or(false),
            name: claims
                .name()
                .and_then(|n| n.get(None))
                .map(|n| n.as_str().to_owned()),
        };
        let person = self.person_for(&config, &identity, ip).await?;
        let session = self
            .open_session(
                person,
                ip,
                serde_json::json!({"method": "sso", "issuer": identity.issuer}),
            )
            .await?;
        Ok(SsoSignedIn {
            session,
            return_to: login.return_to,
        })
    }

    /// The person a verified provider account signs in as: linked before, linked now by
    /// verified email, or created now (when the organization provisions just in time).
    async fn person_for(
        &self,
        config: &SsoConfigRow,
        identity: &Identity,
        ip: Option<IpAddr>,
    ) -> Result<people::PersonRow> {
        let linked =
            sso::linked_person(&self.store.read, &identity.issuer, &identity.subject).await?;
        let person = match linked {
            Some(id) => people::get(
                &self.store.read,
                &courtyard_domain::PersonId::from_trusted(id),
            )
            .await
            .ok(),
            None => None,
        };
        let person = match person {
            Some(p) => p,
            None => self.link_or_provision(config, identity).await?,
        };
        if person.org_id != config.org_id {
            return Err(no_account());
        }
        let status = PersonStatus::parse(&person.status).unwrap_or(PersonStatus::Disabled);
        if !policy::may_sign_in(status) {
            self.audit_sign_in_failure(&person, ip, "disabled");
            return Err(refused(
                Refusal::Forbidden,
                "account_disabled",
                "this account is disabled",
                "此帐号已停用",
            ));
        }
        Ok(person)
    }

    async fn link_or_provision(
        &self,
        config: &SsoConfigRow,
        identity: &Identity,
    ) -> Result<people::PersonRow> {
        let email = identity
            .email
            .as_deref()
            .and_then(|e| normalize_email(e).ok())
            .filter(|_| identity.email_verified)
            .ok_or_else(|| {
                refused(
                    Refusal::Forbidden,
                    "sso_email_unverified",
                    "the identity provider did not vouch for an email address; ask your administrator",
                    "身份提供方未提供已验证的邮箱地址，请联系管理员",
                )
            })?;
        let now = now_millis();
        if let Some((person, _)) = people::credentials(&self.store.read, &email).await? {
            if person.org_id != config.org_id {
                return Err(no_account());
            }
            let (issuer, subject, id) = (
                identity.issuer.clone(),
                identity.subject.clone(),
                person.id.clone(),
            );
            self.writer
                .write(move |tx| {
                    Box::pin(async move { sso::link(tx, &issuer, &subject, &id, now).await })
                })
                .await?;
            self.audit_system(
                &config.org_id,
                "sso.linked",
                &person.id,
                serde_json::json!({"issuer": identity.issuer, "email": email}),
            )
            .await;
            return Ok(person);
        }
        // Only addresses of the organization's own domains become its people: a shared
        // provider (a public one, or a group's) vouches for everyone it knows.
        let domain = email.rsplit_once('@').map(|(_, d)| d).unwrap_or_default();
        if !config.auto_provision
            || !sso::domains(&self.store.read, &config.org_id)
                .await?
                .iter()
                .any(|d| d == domain)
        {
            return Err(no_account());
        }
        let name = identity
            .name
            .as_deref()
            .map(|n| n.trim().chars().take(100).collect::<String>())
            .filter(|n| !n.is_empty())
            .unwrap_or_else(|| email.split('@').next().unwrap_or_default().to_owned());
        let org = OrgId::from_trusted(config.org_id.clone());
        let row = super::people::new_person_row(&org, &email, &name, Role::Member, now);
        let (stored, issuer, subject) = (
            row.clone(),
            identity.issuer.clone(),
            identity.subject.clone(),
        );
        self.writer
            .write(move |tx| {
                Box::pin(async move {
                    people::insert(tx, &stored, None).await?;
                    sso::link(tx, &issuer, &subject, &stored.id, now).await
                })
            })
            .await?;
        self.audit_system(
            &config.org_id,
            "person.created",
            &row.id,
            serde_json::json!({"email": row.email, "role": row.role, "via": "sso"}),
        )
        .await;
        Ok(row)
    }

    /// An audit entry for something the host did on its own behalf (no acting person).
    async fn audit_system(&self, org: &str, action: &str, target: &str, detail: serde_json::Value) {
        let row = self.audit_row(None, org, action, target, detail);
        self.audit(row).await;
    }
}

fn no_account() -> AppError {
    refused(
        Refusal::Forbidden,
        "sso_no_account",
        "there is no account for you in this organization; ask your administrator to add you",
        "你在该组织中没有帐号，请联系管理员添加",
    )
}

/// What a verified ID token says about its person.
struct Identity {
    issuer: String,
    subject: String,
    email: Option<String>,
    email_verified: bool,
    name: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn return_to_stays_on_this_host() {
        assert_eq!(safe_return_to(Some("/g/abc?x=1")), "/g/abc?x=1");
        for hostile in [
            "//evil.example/x",
            "/\\evil.example",
            "https://evil.example/",
            "javascript:alert(1)",
            "",
            "/a\nb",
        ] {
            assert_eq!(safe_return_to(Some(hostile)), "/", "{hostile}");
        }
        assert_eq!(safe_return_to(None), "/");
    }

    #[test]
    fn issuers_are_https_or_this_machine() {
        assert!(check_issuer("https://login.example.com/realms/acme").is_ok());
        assert!(check_issuer("http://127.0.0.1:9000").is_ok());
        for bad in [
            "http://login.example.com",
            "ftp://x.example",
            "https://x.example/?a=b",
            "not a url",
        ] {
            assert!(check_issuer(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn domains_are_normalised_or_refused() {
        assert_eq!(check_domain(" @Acme.COM ").unwrap(), "acme.com");
        for bad in ["acme", "-x.com", "a..com", "a b.com", "ex_ample.com", ""] {
            assert!(check_domain(bad).is_err(), "{bad}");
        }
    }
}

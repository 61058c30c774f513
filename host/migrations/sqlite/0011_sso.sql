-- Single sign-on with OpenID Connect, per organization. The same text runs on SQLite and
-- PostgreSQL: keep it identical in ../sqlite and ../postgres.

-- An organization's identity provider. `client_secret` is what the provider issued to
-- this host; it is never shown again through the API.
CREATE TABLE sso_configs (
    org_id          TEXT PRIMARY KEY REFERENCES organizations(id),
    issuer          TEXT NOT NULL,
    client_id       TEXT NOT NULL,
    client_secret   TEXT NOT NULL,
    -- Create a member on first sign-in when no account has the person's verified email.
    auto_provision  BOOLEAN NOT NULL DEFAULT FALSE,
    -- People of the organization may not sign in with a password (platform admins may).
    sso_only        BOOLEAN NOT NULL DEFAULT FALSE,
    updated_by      TEXT NOT NULL,
    updated_at      BIGINT NOT NULL
);

-- Email domains whose people are sent to an organization's provider; one organization
-- per domain.
CREATE TABLE sso_domains (
    domain  TEXT PRIMARY KEY,
    org_id  TEXT NOT NULL REFERENCES organizations(id)
);
CREATE INDEX sso_domains_org ON sso_domains(org_id);

-- Which provider account is which person: linked at the first sign-in by verified email
-- (or created then), matched by (issuer, subject) afterwards.
CREATE TABLE sso_identities (
    issuer      TEXT NOT NULL,
    subject     TEXT NOT NULL,
    person_id   TEXT NOT NULL REFERENCES people(id),
    created_at  BIGINT NOT NULL,
    PRIMARY KEY (issuer, subject)
);
CREATE INDEX sso_identities_person ON sso_identities(person_id);

-- Sign-ins in progress: between the redirect to the provider and its answer. Keyed by a
-- digest of the `state` value; the PKCE verifier and the nonce never leave the host.
CREATE TABLE sso_logins (
    state_digest TEXT PRIMARY KEY,
    org_id       TEXT NOT NULL,
    verifier     TEXT NOT NULL,
    nonce        TEXT NOT NULL,
    return_to    TEXT NOT NULL,
    created_at   BIGINT NOT NULL
);
CREATE INDEX sso_logins_created ON sso_logins(created_at);

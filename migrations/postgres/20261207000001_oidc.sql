-- Sign-in through an OpenID Connect provider. An account made at a first sign-in is bound to the
-- provider's (issuer, subject) pair, never to a name or an e-mail address.
ALTER TABLE portal_accounts ADD COLUMN oidc_issuer TEXT;
ALTER TABLE portal_accounts ADD COLUMN oidc_subject TEXT;
CREATE UNIQUE INDEX portal_accounts_oidc ON portal_accounts (oidc_issuer, oidc_subject);

-- One sign-in attempt: found by the hash of the random id in the browser's attempt cookie; the state is
-- kept as a hash; the PKCE verifier is not kept at all (it is derived from the attempt id, which only the
-- browser holds); rows older than twenty minutes are deleted by the session cleanup.
CREATE TABLE oidc_attempts (
    id_hash TEXT PRIMARY KEY,
    state_hash TEXT NOT NULL,
    nonce TEXT NOT NULL,
    purpose TEXT NOT NULL,
    return_to TEXT NOT NULL,
    started_by TEXT,
    started_at BIGINT NOT NULL,
    stage TEXT NOT NULL,
    result TEXT
);
CREATE INDEX oidc_attempts_started ON oidc_attempts (started_at);

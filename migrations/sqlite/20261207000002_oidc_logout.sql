-- The identity provider's session each keydesk session belongs to (a hash of the issuer and the
-- provider's session id), so a back-channel logout ends all of them on every instance.
ALTER TABLE sessions ADD COLUMN idp_session TEXT;
CREATE INDEX sessions_idp_session ON sessions (idp_session);

-- Back-channel logout tokens already acted on (the hash of their jti), kept until the token's time is
-- up: a replayed token is refused.
CREATE TABLE oidc_logout_tokens (
    jti_hash TEXT PRIMARY KEY,
    expires_at BIGINT NOT NULL
);

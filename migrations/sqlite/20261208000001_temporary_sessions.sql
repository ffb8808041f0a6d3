-- The ledger of temporary credentials keydesk issued: which person got a session of which work role,
-- named by the session's access key id (what CloudTrail records; never the secret or the token). It
-- answers "whose ASIA… key is this", lists a person's live sessions, counts issuances for the review,
-- and tells revocation how long a deny must stay. Rows are dropped 90 days after the session expired
-- (CloudTrail's event history is 90 days).
CREATE TABLE temporary_sessions (
    access_key_id TEXT PRIMARY KEY,
    portal_user TEXT NOT NULL,
    role_id TEXT NOT NULL,
    role_arn TEXT NOT NULL,
    role_name TEXT NOT NULL,
    issued_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX temporary_sessions_user ON temporary_sessions (portal_user, expires_at);
CREATE INDEX temporary_sessions_issued ON temporary_sessions (issued_at);

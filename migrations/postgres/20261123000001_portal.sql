-- Portal accounts, sessions and the append-only audit log.
-- Instants are Unix seconds; flags are 0/1 (see server/src/db/mod.rs).

CREATE TABLE portal_accounts (
    username        TEXT PRIMARY KEY,
    display_name    TEXT NOT NULL,
    password_hash   TEXT NOT NULL,
    role            TEXT NOT NULL CHECK (role IN ('employee', 'helpdesk', 'admin')),
    iam_user        TEXT NOT NULL,
    disabled        BIGINT NOT NULL DEFAULT 0 CHECK (disabled IN (0, 1)),
    created_at      BIGINT NOT NULL,
    updated_at      BIGINT NOT NULL,
    last_sign_in_at BIGINT
);

CREATE TABLE sessions (
    id         TEXT PRIMARY KEY,
    data       TEXT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX sessions_expires_at ON sessions (expires_at);

CREATE TABLE audit_events (
    id           BIGSERIAL PRIMARY KEY,
    at           BIGINT NOT NULL,
    actor        TEXT,
    actor_role   TEXT,
    target_user  TEXT,
    action       TEXT NOT NULL,
    subject      TEXT,
    outcome      TEXT NOT NULL,
    detail       TEXT,
    reason       TEXT,
    request_id   TEXT,
    client_ip    TEXT
);
CREATE INDEX audit_events_at ON audit_events (at);
CREATE INDEX audit_events_target ON audit_events (target_user, at);

CREATE FUNCTION audit_events_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'audit_events is append-only';
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER audit_events_no_update BEFORE UPDATE OR DELETE ON audit_events
    FOR EACH ROW EXECUTE FUNCTION audit_events_append_only();
CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON audit_events
    FOR EACH STATEMENT EXECUTE FUNCTION audit_events_append_only();

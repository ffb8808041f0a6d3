-- Four-eyes help desk: actions that need a second person wait here until another help-desk member or an
-- administrator approves (then keydesk executes them once) or rejects them, or they lapse. Instants are
-- Unix seconds. Nothing secret is stored: a password reset generates its password at execution.
CREATE TABLE helpdesk_requests (
    id            TEXT PRIMARY KEY,
    action        TEXT NOT NULL,
    target_user   TEXT NOT NULL,
    subject       TEXT,
    reason        TEXT NOT NULL,
    ticket        TEXT,
    requested_by  TEXT NOT NULL,
    requested_at  BIGINT NOT NULL,
    expires_at    BIGINT NOT NULL,
    state         TEXT NOT NULL,
    decided_by    TEXT,
    decided_at    BIGINT,
    outcome       TEXT
);
CREATE INDEX helpdesk_requests_state ON helpdesk_requests (state, requested_at);

-- Key deadlines, reminders and notices (notifications in the portal, e-mail through an outbox).
-- Instants are Unix seconds. IAM user names are stored folded (lower case), as IAM compares them.

-- The address notices go to; without one, a person gets in-portal notices only.
ALTER TABLE portal_accounts ADD COLUMN email TEXT;

-- In-portal notices, per IAM user (whoever signs in for that user sees them).
CREATE TABLE notifications (
    id        BIGSERIAL PRIMARY KEY,
    iam_user  TEXT NOT NULL,
    at        BIGINT NOT NULL,
    kind      TEXT NOT NULL,
    title     TEXT NOT NULL,
    body      TEXT NOT NULL,
    link      TEXT,
    read_at   BIGINT
);
CREATE INDEX notifications_user ON notifications (iam_user, at);

-- E-mail waiting to be delivered, delivered, or given up on. Delivery never blocks a change.
CREATE TABLE email_outbox (
    id              BIGSERIAL PRIMARY KEY,
    iam_user        TEXT NOT NULL,
    recipient       TEXT NOT NULL,
    subject         TEXT NOT NULL,
    body            TEXT NOT NULL,
    created_at      BIGINT NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at BIGINT NOT NULL,
    sent_at         BIGINT,
    failed_at       BIGINT,
    last_error      TEXT
);
CREATE INDEX email_outbox_due ON email_outbox (sent_at, failed_at, next_attempt_at);

-- One reminder per key per stage, ever: the primary key makes the job idempotent across restarts and
-- instances (whoever inserts the row sends the notice).
CREATE TABLE key_reminders (
    key_id   TEXT NOT NULL,
    stage    TEXT NOT NULL,
    iam_user TEXT NOT NULL,
    sent_at  BIGINT NOT NULL,
    PRIMARY KEY (key_id, stage)
);

-- Users whose keys the deadline does not apply to until a date, set by an administrator with a reason.
CREATE TABLE key_exemptions (
    iam_user   TEXT PRIMARY KEY,
    reason     TEXT NOT NULL,
    until_at   BIGINT NOT NULL,
    created_by TEXT NOT NULL,
    created_at BIGINT NOT NULL
);

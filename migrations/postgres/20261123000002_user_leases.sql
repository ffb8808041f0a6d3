-- Per-IAM-user leases: credential mutations for one IAM user are serialised across every keydesk
-- instance. A lease that outlives a crashed holder expires on its own.
CREATE TABLE iam_user_leases (
    iam_user   TEXT PRIMARY KEY,
    holder     TEXT NOT NULL,
    expires_at BIGINT NOT NULL
);

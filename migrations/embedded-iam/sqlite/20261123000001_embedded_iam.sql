-- The embedded IAM's own database (never the portal's). One JSON document per IAM user and per
-- virtual MFA device, each with a version for optimistic concurrency; an index from credential ids to
-- their owner; account-wide settings (password policy, credential report).

CREATE TABLE iam_users (
    name_fold TEXT PRIMARY KEY,
    doc       TEXT NOT NULL,
    version   BIGINT NOT NULL
);

CREATE TABLE iam_virtual_mfa (
    serial    TEXT PRIMARY KEY,
    doc       TEXT NOT NULL,
    version   BIGINT NOT NULL,
    user_fold TEXT
);

CREATE TABLE iam_credential_index (
    id        TEXT PRIMARY KEY,
    kind      TEXT NOT NULL,
    user_fold TEXT NOT NULL
);

CREATE TABLE iam_account (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

-- Settings administrators change in the portal (self-service entitlements), one JSON document per name,
-- shared by every keydesk instance on this database. Each change is also in the audit log.
CREATE TABLE portal_settings (
    name       TEXT PRIMARY KEY,
    value      TEXT NOT NULL,
    updated_at BIGINT NOT NULL,
    updated_by TEXT NOT NULL
);

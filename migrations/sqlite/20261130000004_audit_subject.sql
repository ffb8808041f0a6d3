-- The leaked-key triage finds a key's events (and the owner of a deleted key) by its id.
CREATE INDEX IF NOT EXISTS audit_events_subject ON audit_events (subject);

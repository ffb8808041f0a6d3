-- A final audit record names the intent it completes (until now only inside `detail`, as
-- `intent=<id>`). Indexed, so finding intents that never got a final record — keydesk stopped between
-- the intent and IAM's answer — is one index probe per intent, not a scan of the whole log.
ALTER TABLE audit_events ADD COLUMN intent_id BIGINT;
CREATE INDEX audit_events_intent ON audit_events (intent_id);
CREATE INDEX audit_events_pending ON audit_events (outcome, at);

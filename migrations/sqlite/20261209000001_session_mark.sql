-- The sign-in mark of each session row (also in its data), so the statement that loads a session can
-- count the person's unread notices (those not of this sign-in's doing) in the same round trip.
-- Filled in by the session store from the session's data on every save.
ALTER TABLE sessions ADD COLUMN mark TEXT;

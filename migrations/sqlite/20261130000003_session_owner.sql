-- Whose session each row is, so a person can list their own sessions and sign out the others
-- ("My activity"). Filled in by the session store from the session's data on every save.
ALTER TABLE sessions ADD COLUMN username TEXT;
CREATE INDEX sessions_username ON sessions (username);

-- The sign-in (a random mark kept in the session, never the session id) whose change a notice tells
-- of: the notice is read there and unread in the owner's other sessions. NULL: made by someone else.
ALTER TABLE notifications ADD COLUMN origin TEXT;

-- Sign-in throttling shared by every instance (SECURITY.md G10). One row per account name as typed
-- (`user:<lower-case name>`, whether or not the account exists, so a lock-out reveals nothing) and per
-- client address (`ip:<address>`). Attempts are counted before the password is checked, so concurrent
-- guesses cannot slip past the limit; a successful sign-in clears its account's row.
CREATE TABLE sign_in_throttle (
    subject       TEXT PRIMARY KEY,
    failures      BIGINT NOT NULL,
    first_at      BIGINT NOT NULL,
    last_at       BIGINT NOT NULL,
    blocked_until BIGINT NOT NULL
);

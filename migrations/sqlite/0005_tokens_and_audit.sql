-- Bearer tokens, kept only as the SHA-256 of the token: the token itself is
-- shown once, when it is created. role is admin, operator, reader or
-- service:NAME. expires_at and revoked_at are NULL while they do not apply.
CREATE TABLE hub_tokens (
    id VARCHAR(32) PRIMARY KEY,
    token_sha256 CHAR(64) NOT NULL UNIQUE,
    role VARCHAR(120) NOT NULL,
    description VARCHAR(200) NOT NULL DEFAULT '',
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP,
    revoked_at TIMESTAMP
);
-- Every write the hub was asked for, allowed or refused: who (token id and
-- description), from where, what, when, and the answer.
CREATE TABLE hub_audit (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at TIMESTAMP NOT NULL,
    token_id VARCHAR(40) NOT NULL,
    token_description VARCHAR(200) NOT NULL DEFAULT '',
    role VARCHAR(120) NOT NULL DEFAULT '',
    address VARCHAR(64) NOT NULL DEFAULT '',
    action VARCHAR(300) NOT NULL,
    target VARCHAR(300) NOT NULL DEFAULT '',
    status INTEGER NOT NULL,
    message VARCHAR(500) NOT NULL DEFAULT ''
);
CREATE INDEX hub_audit_at ON hub_audit (at);

-- Each service's circuit that is not simply CLOSED: open (with when it opened)
-- or set by an operator (DISABLED, FORCED_OPEN, with who did). A restarted hub
-- takes them back, so a failing service does not get full traffic at once.
CREATE TABLE hub_circuits (
    service_name VARCHAR(100) PRIMARY KEY,
    state VARCHAR(20) NOT NULL,
    opened_at TIMESTAMP,
    changed_at TIMESTAMP NOT NULL,
    set_by VARCHAR(200) NOT NULL DEFAULT ''
);

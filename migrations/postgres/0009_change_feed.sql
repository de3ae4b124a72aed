-- Several hubs on one database: every stored change of an instance or a config,
-- one row each, written in the change's own transaction. Writers take one
-- advisory lock per transaction, so revisions grow in commit order; the other
-- hubs, woken by NOTIFY hub_changes, read the rows after the last revision they
-- applied and take the changed rows into memory. Old rows are pruned: a hub
-- further behind than the oldest row reloads everything instead.
CREATE TABLE hub_changes (
    revision BIGSERIAL PRIMARY KEY,
    hub_id VARCHAR(100) NOT NULL,
    kind VARCHAR(20) NOT NULL,
    service_name VARCHAR(100) NOT NULL,
    instance_id VARCHAR(255) NOT NULL DEFAULT '',
    at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP
);
CREATE INDEX hub_changes_by_time ON hub_changes (at);

-- Every change of which config version is active (updates and rollbacks), in
-- order. revision is hub-wide and only grows: watchers hold the revision they
-- have and ask for anything newer. service_configs keeps the seed's rows; the
-- global config's rows are named '*'.
CREATE TABLE config_changes (
    revision INTEGER PRIMARY KEY AUTOINCREMENT,
    service_name VARCHAR(100) NOT NULL,
    version INTEGER NOT NULL,
    action VARCHAR(20) NOT NULL,
    created_by VARCHAR(100),
    created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP
);
CREATE INDEX config_changes_service ON config_changes (service_name, revision);

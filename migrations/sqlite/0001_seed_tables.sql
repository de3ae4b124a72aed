-- The seed's four tables in SQLite's types: SERIAL becomes an INTEGER primary
-- key, JSONB is JSON text, BOOLEAN is 0/1. Column names are the seed's.
CREATE TABLE service_registry (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    service_name VARCHAR(100) NOT NULL,
    status VARCHAR(50) NOT NULL,
    last_heartbeat TIMESTAMP NOT NULL,
    version VARCHAR(50),
    host VARCHAR(255),
    port INTEGER,
    dependencies TEXT,
    metadata TEXT,
    created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP,
    updated_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP
);

CREATE TABLE service_configs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    service_name VARCHAR(100) NOT NULL,
    config_data TEXT NOT NULL,
    version INTEGER NOT NULL DEFAULT 1,
    active BOOLEAN DEFAULT 1,
    created_by VARCHAR(100),
    created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP,
    UNIQUE(service_name, version)
);

CREATE TABLE health_metrics (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    service_name VARCHAR(100),
    metric_type VARCHAR(100),
    metric_value FLOAT,
    -- Not in the seed's table, but its Example 7 uptime query counts health_metrics by status:
    -- each heartbeat's status is recorded here so that query works as written.
    status VARCHAR(50),
    timestamp TIMESTAMP DEFAULT CURRENT_TIMESTAMP
);

CREATE TABLE infrastructure_status (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    component_name VARCHAR(100),
    status VARCHAR(50),
    response_time_ms FLOAT,
    error_message TEXT,
    checked_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP
);

-- The four tables of the seed, with its column names and types, so the seed's
-- SQL (its Example 7) runs against a hub's database unchanged.
CREATE TABLE service_registry (
    id SERIAL PRIMARY KEY,
    service_name VARCHAR(100) NOT NULL,
    status VARCHAR(50) NOT NULL,
    last_heartbeat TIMESTAMP NOT NULL,
    version VARCHAR(50),
    host VARCHAR(255),
    port INTEGER,
    dependencies JSONB,
    metadata JSONB,
    created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP,
    updated_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP
);

CREATE TABLE service_configs (
    id SERIAL PRIMARY KEY,
    service_name VARCHAR(100) NOT NULL,
    config_data JSONB NOT NULL,
    version INTEGER NOT NULL DEFAULT 1,
    active BOOLEAN DEFAULT TRUE,
    created_by VARCHAR(100),
    created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP,
    UNIQUE(service_name, version)
);

CREATE TABLE health_metrics (
    id SERIAL PRIMARY KEY,
    service_name VARCHAR(100),
    metric_type VARCHAR(100),
    metric_value FLOAT,
    -- Not in the seed's table, but its Example 7 uptime query counts health_metrics by status:
    -- each heartbeat's status is recorded here so that query works as written.
    status VARCHAR(50),
    timestamp TIMESTAMP DEFAULT CURRENT_TIMESTAMP
);

CREATE TABLE infrastructure_status (
    id SERIAL PRIMARY KEY,
    component_name VARCHAR(100),
    status VARCHAR(50),
    response_time_ms FLOAT,
    error_message TEXT,
    checked_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP
);

-- What the registry keeps beyond the seed's columns. One row per instance,
-- keyed by (service_name, instance_id); the seed's columns keep their meaning.
ALTER TABLE service_registry
    ADD COLUMN instance_id VARCHAR(255) NOT NULL DEFAULT '',
    ADD COLUMN protocol VARCHAR(20) NOT NULL DEFAULT 'http',
    ADD COLUMN health_endpoint VARCHAR(255) NOT NULL DEFAULT '',
    ADD COLUMN weight INTEGER NOT NULL DEFAULT 100,
    ADD COLUMN tags JSONB NOT NULL DEFAULT '[]',
    ADD COLUMN down_since TIMESTAMP;
CREATE UNIQUE INDEX service_registry_instance ON service_registry (service_name, instance_id);
CREATE INDEX health_metrics_service_time ON health_metrics (service_name, timestamp);

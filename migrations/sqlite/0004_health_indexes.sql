-- Health monitoring reads the newest rows per component and per service and
-- prunes by time: indexes for both.
CREATE INDEX infrastructure_status_component_time ON infrastructure_status (component_name, checked_at);
CREATE INDEX infrastructure_status_time ON infrastructure_status (checked_at);
CREATE INDEX health_metrics_time ON health_metrics (timestamp);

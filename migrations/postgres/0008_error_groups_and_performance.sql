-- Error groups (POST /errors): each fingerprint's group as a JSON document (its
-- pattern, counts per service and version, hosts, newest samples, its rate and
-- baseline), written every few seconds while it changes, so a restarted hub
-- knows which errors are old (no new_error again) and what their normal rate is.
CREATE TABLE hub_error_groups (
    fingerprint VARCHAR(32) PRIMARY KEY,
    service_name VARCHAR(100) NOT NULL,
    error_type TEXT NOT NULL,
    first_seen TIMESTAMP NOT NULL,
    last_seen TIMESTAMP NOT NULL,
    event_count BIGINT NOT NULL,
    document TEXT NOT NULL
);
CREATE INDEX hub_error_groups_by_last_seen ON hub_error_groups (last_seen);

-- Each service's error rate and baseline, which its spikes are judged against.
CREATE TABLE hub_error_rates (
    service_name VARCHAR(100) PRIMARY KEY,
    document TEXT NOT NULL,
    updated_at TIMESTAMP NOT NULL
);

-- What services' PerformanceTrackers reported (POST /performance): per service
-- and operation, the histogram's bucket counts (a JSON array over the hub's
-- fixed bounds), its count and sum, since the first report.
CREATE TABLE hub_operation_timings (
    service_name VARCHAR(100) NOT NULL,
    operation VARCHAR(200) NOT NULL,
    buckets TEXT NOT NULL,
    event_count BIGINT NOT NULL,
    sum_ms DOUBLE PRECISION NOT NULL,
    last_report TIMESTAMP NOT NULL,
    PRIMARY KEY (service_name, operation)
);

-- Several hubs on one database know each other: each live hub beats its row
-- every second, in the database's own time, so the hubs' clocks need not agree.
-- A row not beaten for a few seconds is a hub gone (stopped, killed, cut off);
-- the others share its health checks out among themselves. A hub that stops
-- deletes its row; stale rows of killed hubs are deleted after an hour.
CREATE TABLE hub_members (
    hub_id VARCHAR(100) PRIMARY KEY,
    address VARCHAR(300) NOT NULL,
    version VARCHAR(50) NOT NULL,
    started_at TIMESTAMPTZ NOT NULL,
    beat_at TIMESTAMPTZ NOT NULL,
    applied_revision BIGINT NOT NULL DEFAULT 0
);
-- The liveness leader reads only the heartbeats flushed since its last read.
CREATE INDEX service_registry_by_heartbeat ON service_registry (last_heartbeat);
-- Alerts every hub may observe on its own (a new error, a spike, a circuit that opens) are sent by
-- the first hub to claim them here, so operators get each once.
CREATE TABLE hub_alert_claims (
    alert_key VARCHAR(700) PRIMARY KEY,
    claimed_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    hub_id VARCHAR(100) NOT NULL
);
CREATE INDEX hub_alert_claims_by_time ON hub_alert_claims (claimed_at);

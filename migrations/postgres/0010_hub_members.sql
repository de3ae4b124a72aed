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

-- Deployments: each rollout's whole state as a JSON document, written at every
-- change before it takes effect, so a hub restarted mid-rollout (even by kill -9)
-- resumes it where it stood. At most one active rollout per service.
CREATE TABLE hub_rollouts (
    id VARCHAR(64) PRIMARY KEY,
    service_name VARCHAR(100) NOT NULL,
    phase VARCHAR(20) NOT NULL,
    document TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX hub_rollouts_by_service ON hub_rollouts (service_name, created_at);
CREATE UNIQUE INDEX hub_rollouts_one_active ON hub_rollouts (service_name)
    WHERE phase IN ('progressing', 'paused', 'rolling_back');

-- Each run of a backup job (snapshots and the YAML's commands): when, how it
-- ended, what it wrote. GET /backups and the jobs' health come from here.
CREATE TABLE hub_backup_runs (
    id INTEGER PRIMARY KEY,
    job VARCHAR(100) NOT NULL,
    started_at TIMESTAMP NOT NULL,
    duration_ms BIGINT NOT NULL,
    succeeded BOOLEAN NOT NULL,
    exit_code INTEGER NOT NULL,
    size_bytes BIGINT NOT NULL,
    output VARCHAR(1000) NOT NULL DEFAULT '',
    message VARCHAR(2000) NOT NULL DEFAULT ''
);
CREATE INDEX hub_backup_runs_by_job ON hub_backup_runs (job, started_at);

-- Schema version 3: the archive/delete workflow's own bookkeeping (reccb archive / reccb delete).
-- archive_copies and deletion_audit (version 1) hold the results; these tables hold the plans
-- and every per-recording attempt, so a failure always has its reason on record.

-- One row per plan file written by `reccb archive plan` / `reccb delete plan`. plan_hash is the
-- SHA-256 of the file's bytes: `apply` refuses a file whose bytes no longer hash to a known plan.
CREATE TABLE archive_plans (
    plan_hash           VARCHAR PRIMARY KEY,
    kind                VARCHAR NOT NULL,      -- 'archive' | 'delete'
    path                VARCHAR NOT NULL,      -- where it was written (absolute)
    format              VARCHAR NOT NULL,      -- 'csv' | 'parquet'
    recordings          BIGINT NOT NULL,
    stored_minutes      BIGINT,
    monthly_saving      DOUBLE,
    as_of               DATE NOT NULL,
    archive_after_days  INTEGER,
    delete_after_days   INTEGER,
    legal_hold          VARCHAR,               -- the hold file's path, if any
    created_at          TIMESTAMPTZ NOT NULL
);

-- One row per recording per archive attempt (and per refusal while planning or deleting).
-- outcome: 'archived' | 'already-archived' | 'failed' | 'refused'.
CREATE TABLE archive_attempts (
    attempted_at  TIMESTAMPTZ NOT NULL,
    plan_hash     VARCHAR,
    phase         VARCHAR NOT NULL,            -- 'plan' | 'archive' | 'delete'
    account_sid   VARCHAR,
    sid           VARCHAR NOT NULL,            -- as found (escaped and truncated when malformed)
    outcome       VARCHAR NOT NULL,
    reason        VARCHAR,
    http_status   INTEGER,
    location      VARCHAR,
    bytes         BIGINT
);

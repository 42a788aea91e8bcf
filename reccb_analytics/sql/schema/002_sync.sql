-- Schema version 2: the state of `reccb sync` (live sync from the Twilio API), per account,
-- so a crash, a kill or Ctrl-C resumes where it stopped. No credential is ever stored here.

CREATE SEQUENCE IF NOT EXISTS sync_run_id_seq START 1;

-- One row per `reccb sync` run. A row still 'running' after its process ended was killed; the
-- next run resumes from sync_coverage, whatever its arguments.
CREATE TABLE sync_runs (
    run_id        BIGINT PRIMARY KEY,
    started_at    TIMESTAMPTZ NOT NULL,
    finished_at   TIMESTAMPTZ,
    status        VARCHAR NOT NULL,         -- 'running' | 'completed' | 'failed' | 'interrupted'
    since         DATE,                     -- as asked (NULL: each account's creation day)
    until         DATE,                     -- as asked (NULL: today, UTC)
    accounts      VARCHAR[],                -- as asked with --account (NULL: all)
    message       VARCHAR
);

-- The parent account and its subaccounts as the Accounts list showed them (never their tokens).
CREATE TABLE sync_accounts (
    account_sid        VARCHAR PRIMARY KEY,
    owner_account_sid  VARCHAR,
    friendly_name      VARCHAR,
    status             VARCHAR,
    type               VARCHAR,
    date_created       TIMESTAMPTZ,
    first_seen_at      TIMESTAMPTZ NOT NULL,
    last_seen_at       TIMESTAMPTZ NOT NULL,
    last_synced_at     TIMESTAMPTZ,           -- when a run last completed this account
    last_run_id        BIGINT,
    recordings_listed  BIGINT,                -- distinct recordings listed by that run
    last_error         VARCHAR
);

-- UTC days of date_created whose listing (with IncludeSoftDeleted) completed and was loaded.
-- Planning skips ranges listed after their last day ended and less than --sweep-days ago.
CREATE TABLE sync_coverage (
    account_sid   VARCHAR NOT NULL,
    day_from      DATE NOT NULL,
    day_to        DATE NOT NULL,
    listed_at     TIMESTAMPTZ NOT NULL,       -- when the listing of the range began
    recordings    BIGINT NOT NULL,            -- distinct recordings it returned
    run_id        BIGINT,
    ingest_id     BIGINT                      -- the load that stored them (NULL when merged)
);

-- Recordings a fetch by SID answered 404 for (gone for good): not re-fetched again.
CREATE TABLE sync_gone (
    sid          VARCHAR PRIMARY KEY,
    account_sid  VARCHAR,
    checked_at   TIMESTAMPTZ NOT NULL,
    run_id       BIGINT
);

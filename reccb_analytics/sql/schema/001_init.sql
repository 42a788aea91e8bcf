-- Schema version 1: the store every report stands on.
-- Times are TIMESTAMPTZ (exact instants); connections run with TimeZone = 'UTC'.

CREATE SEQUENCE IF NOT EXISTS ingest_id_seq START 1;

-- One row per ingest of one file (a re-ingest of the same file adds a row of duplicates).
CREATE TABLE ingest_files (
    ingest_id     BIGINT PRIMARY KEY,
    path          VARCHAR NOT NULL,
    sha256        VARCHAR,
    size_bytes    BIGINT,
    format        VARCHAR,
    kind          VARCHAR NOT NULL,         -- 'recordings' | 'callbacks'
    origin        VARCHAR NOT NULL,         -- 'file' | 'api:<AccountSid>'
    records_read  BIGINT NOT NULL DEFAULT 0,
    loaded        BIGINT NOT NULL DEFAULT 0,
    duplicates    BIGINT NOT NULL DEFAULT 0,
    rejected      BIGINT NOT NULL DEFAULT 0,
    started_at    TIMESTAMPTZ NOT NULL,
    finished_at   TIMESTAMPTZ
);

-- One row per Recording SID: its latest known state (newest date_updated wins).
CREATE TABLE recordings (
    sid             VARCHAR PRIMARY KEY,
    account_sid     VARCHAR,
    call_sid        VARCHAR,
    conference_sid  VARCHAR,
    status          VARCHAR,
    source          VARCHAR,
    channels        INTEGER,
    track           VARCHAR,
    duration_s      INTEGER,
    start_time      TIMESTAMPTZ,
    date_created    TIMESTAMPTZ,
    date_updated    TIMESTAMPTZ,
    price           DECIMAL(18, 6),
    price_unit      VARCHAR,
    error_code      INTEGER,
    media_url       VARCHAR,
    encrypted       BOOLEAN,
    raw             JSON,
    first_seen_at   TIMESTAMPTZ NOT NULL,
    first_seen_in   VARCHAR NOT NULL,       -- file path or 'api:<AccountSid>'
    last_seen_at    TIMESTAMPTZ NOT NULL,
    last_seen_in    VARCHAR NOT NULL,
    ingest_id       BIGINT                  -- the ingest that set the current state
);

-- One row per logged callback request. No primary key on purpose: an ART index on a hash
-- is the dominant ingest cost; uniqueness of delivery_id is kept by the set-based anti-join
-- in sql/ingest/insert_callbacks.sql.
CREATE TABLE callback_deliveries (
    delivery_id        VARCHAR NOT NULL,    -- md5 of receive time + sorted parameters
    received_at        TIMESTAMPTZ,
    recording_sid      VARCHAR NOT NULL,
    account_sid        VARCHAR,
    call_sid           VARCHAR,
    conference_sid     VARCHAR,
    status             VARCHAR,
    duration_s         INTEGER,
    channels           INTEGER,
    start_time         TIMESTAMPTZ,
    source             VARCHAR,
    track              VARCHAR,
    error_code         INTEGER,
    recording_url      VARCHAR,
    idempotency_token  VARCHAR,
    http_status        INTEGER,
    signature_valid    BOOLEAN,
    params             JSON,
    source_file        VARCHAR,
    source_line        BIGINT,
    ingest_id          BIGINT
);

-- Deliveries collapsed to one row per (recording_sid, status): Twilio retries are deliveries too.
CREATE VIEW callback_events AS
SELECT
    recording_sid,
    status,
    arg_min(account_sid, coalesce(received_at, TIMESTAMPTZ '9999-12-31'))    AS account_sid,
    arg_min(call_sid, coalesce(received_at, TIMESTAMPTZ '9999-12-31'))       AS call_sid,
    arg_min(conference_sid, coalesce(received_at, TIMESTAMPTZ '9999-12-31')) AS conference_sid,
    max(duration_s)      AS duration_s,
    max(channels)        AS channels,
    min(start_time)      AS start_time,
    arg_min(source, coalesce(received_at, TIMESTAMPTZ '9999-12-31'))         AS source,
    arg_min(track, coalesce(received_at, TIMESTAMPTZ '9999-12-31'))          AS track,
    max(error_code)      AS error_code,
    min(received_at)     AS first_received_at,
    max(received_at)     AS last_received_at,
    count(*)             AS deliveries,
    count(*) FILTER (WHERE http_status IS NOT NULL AND (http_status < 200 OR http_status > 299))
                         AS non_2xx_deliveries,
    count(*) FILTER (WHERE signature_valid = false) AS invalid_signatures
FROM callback_deliveries
GROUP BY recording_sid, status;

-- Records set aside with their reason: nothing is silently lost.
CREATE TABLE rejects (
    ingest_id    BIGINT NOT NULL,
    source_file  VARCHAR NOT NULL,
    source_line  BIGINT,                  -- line number, or record number inside a JSON document
    raw_text     VARCHAR,                 -- truncated to 2,000 characters
    reason       VARCHAR NOT NULL
);

-- Verified archived copies of recordings' media (filled by `reccb archive apply`).
CREATE TABLE archive_copies (
    sid          VARCHAR NOT NULL,
    account_sid  VARCHAR,
    location     VARCHAR NOT NULL,
    bytes        BIGINT NOT NULL,
    sha256       VARCHAR NOT NULL,
    format       VARCHAR NOT NULL,        -- 'wav' | 'mp3'
    channels     INTEGER,
    plan_hash    VARCHAR,
    verified_at  TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (sid, location)
);

-- Every deletion attempt made by `reccb delete apply --execute` (the audit trail).
-- outcome: 'deleted' | 'already-deleted' (404) | 'refused' | 'failed'.
CREATE TABLE deletion_audit (
    audited_at     TIMESTAMPTZ NOT NULL,
    plan_hash      VARCHAR NOT NULL,
    account_sid    VARCHAR,
    sid            VARCHAR NOT NULL,
    outcome        VARCHAR NOT NULL,
    http_status    INTEGER,
    response       VARCHAR
);

-- Twilio Usage Records (categories 'recordingstorage' and 'recordings'), per account and
-- month, as Twilio billed them (filled by `reccb sync`); compared with our storage estimate.
CREATE TABLE usage_records (
    account_sid   VARCHAR NOT NULL,
    category      VARCHAR NOT NULL,
    start_date    DATE NOT NULL,
    end_date      DATE NOT NULL,
    usage         DECIMAL(18, 6),
    usage_unit    VARCHAR,
    count         DECIMAL(18, 6),
    count_unit    VARCHAR,
    price         DECIMAL(18, 6),
    price_unit    VARCHAR,
    raw           JSON,
    fetched_at    TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (account_sid, category, start_date, end_date)
);

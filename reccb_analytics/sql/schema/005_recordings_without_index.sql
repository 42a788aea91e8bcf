-- Schema version 5: `recordings` keeps one row per SID without a PRIMARY KEY index. The ingest
-- guarantees it (each load picks one state per SID and appends only SIDs not stored, inside
-- the one write transaction DuckDB allows per store; tests check it). The index cost every
-- load a fifth of its time (a sync of 200,000 recordings: 6.4 s median with it, 5.7 s
-- without; its inserts, its share of each commit and of each checkpoint), and no query uses
-- it: reports aggregate, and lookups by SID come in batches, joined by hash.
-- DuckDB 2.0 cannot drop a PRIMARY KEY in place ('No support for that ALTER TABLE option'),
-- so the table is rebuilt, spelled out like 004's: a migration is a frozen snapshot.
CREATE TABLE recordings_v5 (
    sid             VARCHAR NOT NULL,
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
    media_url       VARCHAR USING COMPRESSION zstd,
    encrypted       BOOLEAN,
    raw             JSON USING COMPRESSION zstd,
    first_seen_at   TIMESTAMPTZ NOT NULL,
    first_seen_in   VARCHAR NOT NULL,
    last_seen_at    TIMESTAMPTZ NOT NULL,
    last_seen_in    VARCHAR NOT NULL,
    ingest_id       BIGINT
);
INSERT INTO recordings_v5 SELECT * FROM recordings;
DROP TABLE recordings;
ALTER TABLE recordings_v5 RENAME TO recordings;

-- Schema version 4: the wide text columns (whole requests, whole Recording objects, URLs,
-- delivery ids) use ZSTD. DuckDB's default for strings (dictionary + FSST) cost twice the
-- time of the rest of the load on these columns and kept them 4x larger (measured on 1M
-- callback lines: writing `params` 2.4 s and 203 MB with the default, 1.2 s and 51 MB with
-- ZSTD). A column's compression can only be chosen when its table is created, so both
-- tables are rebuilt with the same columns in the same order; views bind by name and
-- survive the swap.

CREATE TABLE callback_deliveries_v4 (
    delivery_id        VARCHAR NOT NULL USING COMPRESSION zstd,
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
    recording_url      VARCHAR USING COMPRESSION zstd,
    idempotency_token  VARCHAR,
    http_status        INTEGER,
    signature_valid    BOOLEAN,
    params             JSON USING COMPRESSION zstd,
    source_file        VARCHAR,
    source_line        BIGINT,
    ingest_id          BIGINT
);
INSERT INTO callback_deliveries_v4 SELECT * FROM callback_deliveries;
DROP TABLE callback_deliveries;
ALTER TABLE callback_deliveries_v4 RENAME TO callback_deliveries;

CREATE TABLE recordings_v4 (
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
    media_url       VARCHAR USING COMPRESSION zstd,
    encrypted       BOOLEAN,
    raw             JSON USING COMPRESSION zstd,
    first_seen_at   TIMESTAMPTZ NOT NULL,
    first_seen_in   VARCHAR NOT NULL,
    last_seen_at    TIMESTAMPTZ NOT NULL,
    last_seen_in    VARCHAR NOT NULL,
    ingest_id       BIGINT
);
INSERT INTO recordings_v4 SELECT * FROM recordings;
DROP TABLE recordings;
ALTER TABLE recordings_v4 RENAME TO recordings;

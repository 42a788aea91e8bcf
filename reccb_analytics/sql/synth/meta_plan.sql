-- Which recording (in which state) goes into which metadata export file.
-- state 'current' is the newest export (taken at the end of the period); state 'older' is an
-- earlier one: recordings fetched while still in progress, and deleted recordings before their
-- deletion. Each recording has one primary export format and ~8% appear in a second one.
CREATE OR REPLACE TABLE syn_meta_rows AS
WITH f AS (
    SELECT ['pages', 'ndjson', 'array', 'cli', 'csv', 'tsv'] AS fmts
), cur AS (
    SELECT i, 'current' AS state, CASE WHEN single THEN 'single' ELSE fmt END AS fmt
    FROM syn_rec WHERE in_meta
    UNION ALL
    SELECT i, 'current' AS state,
           f.fmts[(list_position(f.fmts, fmt) + second_shift) % 6 + 1] AS fmt
    FROM syn_rec, f WHERE in_meta AND in_second_export AND NOT single
    UNION ALL
    SELECT i, 'older' AS state, 'older' AS fmt
    FROM syn_rec WHERE in_meta AND (deleted OR early)
)
SELECT c.i, c.state, c.fmt, r.acct_idx, r.start_ts, r.sid
FROM cur c JOIN syn_rec r USING (i);

CREATE OR REPLACE TABLE syn_meta_plan AS
WITH ordered AS (
    SELECT *,
           CASE WHEN fmt = 'pages'
                -- the List API returns newest first
                THEN row_number() OVER (PARTITION BY fmt, acct_idx ORDER BY start_ts DESC, sid) - 1
                ELSE row_number() OVER (PARTITION BY fmt ORDER BY start_ts, sid) - 1 END AS pos
    FROM syn_meta_rows
), chunked AS (
    SELECT *,
           CASE WHEN fmt = 'pages' THEN acct_idx
                WHEN fmt IN ('array', 'cli') THEN pos // $max_json_records
                ELSE pos // $max_file_records END AS chunk,
           CASE WHEN fmt = 'pages' THEN pos // $page_size END AS page
    FROM ordered
), body AS (
    SELECT fmt, chunk, page, 0 AS section, pos, 0 AS sub, 'ok' AS kind, NULL AS reason, i, state,
           pos = max(pos) OVER (PARTITION BY fmt, chunk) AS is_last
    FROM chunked
), bad_kinds AS (
    SELECT * FROM (VALUES ('ndjson', 'invalid_json'), ('csv', 'bad_recording_sid')) t(fmt, reason)
), bad AS (
    -- a half-written line in the NDJSON export, a mangled SID in the CSV one
    SELECT b.fmt, b.chunk, b.page, 0 AS section, b.pos, 1 AS sub, 'bad' AS kind, k.reason, b.i, b.state,
           false AS is_last
    FROM body b JOIN bad_kinds k USING (fmt)
    QUALIFY row_number() OVER (PARTITION BY b.fmt ORDER BY syn_h($seed, 'mbad', b.i), b.i)
            <= greatest(1, round(0.00001 * count(*) OVER (PARTITION BY b.fmt)))
), frame AS (
    -- header lines (CSV/TSV) and the brackets of the JSON array files
    SELECT DISTINCT fmt, chunk, NULL::BIGINT AS page, -1 AS section, -1 AS pos, 0 AS sub, 'header' AS kind,
           NULL AS reason, NULL::BIGINT AS i, NULL AS state, false AS is_last
    FROM body WHERE fmt IN ('csv', 'tsv', 'array', 'cli')
    UNION ALL
    SELECT DISTINCT fmt, chunk, NULL::BIGINT AS page, 1 AS section, -1 AS pos, 0 AS sub, 'footer' AS kind,
           NULL AS reason, NULL::BIGINT AS i, NULL AS state, false AS is_last
    FROM body WHERE fmt IN ('array', 'cli')
)
SELECT * FROM body UNION ALL SELECT * FROM bad UNION ALL SELECT * FROM frame;

-- One row per export file (the API pages are one file per page, see meta_pages.sql).
CREATE OR REPLACE TABLE syn_meta_files AS
WITH g AS (
    SELECT fmt, chunk, count(*) FILTER (WHERE kind IN ('ok', 'bad')) AS n_records,
           (SELECT count(DISTINCT chunk) FROM syn_meta_plan q WHERE q.fmt = p.fmt) AS n_chunks,
           min(i) FILTER (WHERE kind = 'ok') AS any_i
    FROM syn_meta_plan p
    WHERE fmt <> 'pages'
    GROUP BY fmt, chunk
)
SELECT g.fmt, g.chunk, g.n_records,
       'recordings/'
       || CASE g.fmt WHEN 'ndjson' THEN 'export-' || $end_label WHEN 'csv' THEN 'export-' || $end_label
                     WHEN 'array' THEN 'array-' || $end_label WHEN 'cli' THEN 'cli-' || $end_label
                     WHEN 'tsv' THEN 'cli-' || $end_label WHEN 'single' THEN 'fetch-' || r.sid
                     ELSE 'snapshot-older' END
       || CASE WHEN g.n_chunks > 1 THEN '-' || lpad((g.chunk + 1)::VARCHAR, 4, '0') ELSE '' END
       || CASE g.fmt WHEN 'ndjson' THEN '.ndjson.gz' WHEN 'older' THEN '.ndjson' WHEN 'csv' THEN '.csv'
                     WHEN 'tsv' THEN '.tsv.gz' ELSE '.json' END AS path,
       g.fmt IN ('ndjson', 'tsv') AS gz,
       CASE g.fmt WHEN 'ndjson' THEN 'recording-ndjson' WHEN 'older' THEN 'recording-ndjson'
                  WHEN 'array' THEN 'recording-json-array' WHEN 'cli' THEN 'twilio-cli-json'
                  WHEN 'csv' THEN 'recording-csv' WHEN 'tsv' THEN 'recording-tsv'
                  ELSE 'recording-json-object' END AS format
FROM g JOIN syn_rec r ON r.i = g.any_i;

-- One row per page of the List API export, per account.
CREATE OR REPLACE TABLE syn_pages AS
WITH g AS (
    SELECT p.chunk AS acct_idx, p.page, count(*) AS n_records, min(p.pos) AS first_pos, max(p.pos) AS last_pos,
           arg_min(r.sid, p.pos) AS first_sid, arg_max(r.sid, p.pos) AS last_sid
    FROM syn_meta_plan p JOIN syn_rec r USING (i)
    WHERE p.fmt = 'pages'
    GROUP BY p.chunk, p.page
)
SELECT g.*, a.account_sid,
       lag(last_sid) OVER (PARTITION BY acct_idx ORDER BY page) AS prev_last_sid,
       page = max(page) OVER (PARTITION BY acct_idx) AS is_last_page,
       'recordings/api-pages/' || a.account_sid || '/page-' || lpad(page::VARCHAR, 4, '0')
           || CASE WHEN page % 2 = 1 THEN '.json.gz' ELSE '.json' END AS path,
       page % 2 = 1 AS gz
FROM g JOIN syn_accounts a USING (acct_idx);

-- Which line goes into which callback log file, in which order, and what it is. Text is built
-- later (callback_lines.sql) from this plan, so the manifest is counted from the same rows
-- that are written. stream = the logger (envelope / flat / form / csv / notime); part = the
-- rotated file. Lines are ordered by (section, recv, tb, sub) within a file.
CREATE OR REPLACE TABLE syn_cb_base AS
SELECT 'd' AS src, dk AS ref, stream, recv, dk AS tb, relogged FROM syn_dlv
UNION ALL
SELECT 'c' AS src, j AS ref, stream, recv, 4 * $n + j AS tb, false AS relogged FROM syn_cs;

-- Files per stream: rotated by time into equal periods, at least 2 parts (4 for the flat logs,
-- whose logger changed its time key each period), more when a part would exceed max_file_lines.
CREATE OR REPLACE TABLE syn_cb_streams AS
SELECT stream, count(*) AS n_lines,
       greatest(CASE stream WHEN 'flat' THEN 4 WHEN 'notime' THEN 1 ELSE 2 END,
                ceil(count(*) / $max_file_lines))::INTEGER AS n_parts
FROM syn_cb_base
GROUP BY stream;

CREATE OR REPLACE TABLE syn_cb_parts AS
SELECT b.*,
       least(s.n_parts - 1, floor(date_diff('millisecond', $t0, b.recv)
             / date_diff('millisecond', $t0, $t_end) * s.n_parts))::INTEGER AS part
FROM syn_cb_base b JOIN syn_cb_streams s USING (stream);

DROP TABLE syn_cb_base;

-- Rotation overlap: the first lines of each envelope/form part after the first are repeated at
-- the end of the part before (a copytruncate rotation). Only deliveries: the head stops before
-- the first call status line, so no rejected line is ever repeated. A top-k, not a sort.
CREATE OR REPLACE TABLE syn_cb_heads AS
WITH firsts AS (
    SELECT stream, part, count(*) AS n,
           arg_min({'src': src, 'ref': ref, 'recv': recv, 'tb': tb}, {'recv': recv, 'tb': tb}, 50) AS head
    FROM syn_cb_parts
    WHERE stream IN ('envelope', 'form') AND part > 0
    GROUP BY stream, part
), sized AS (
    SELECT stream, part, head,
           least(least(50, greatest(3, n // 500)),
                 coalesce(list_position(list_transform(head, lambda x: x.src), 'c'), 51) - 1) AS ov
    FROM firsts
)
SELECT stream, part, ov, head[ov].recv AS last_recv, head[ov].tb AS last_tb
FROM sized
WHERE ov > 0;

CREATE OR REPLACE TABLE syn_cb_plan AS
WITH body AS (
    SELECT p.stream, p.part AS file_part, 0 AS section, p.recv, p.tb, 0 AS sub,
           CASE WHEN p.src = 'd' THEN 'ok' ELSE 'call_status' END AS kind,
           CASE WHEN p.src = 'd' THEN NULL ELSE 'not_a_recording_callback' END AS reason,
           p.src, p.ref, p.part, p.relogged,
           -- inside the head that the previous file repeats?
           h.last_recv IS NOT NULL AND {'recv': p.recv, 'tb': p.tb} <= {'recv': h.last_recv, 'tb': h.last_tb} AS in_head
    FROM syn_cb_parts p LEFT JOIN syn_cb_heads h USING (stream, part)
), dups AS (
    -- the same line written twice (re-logged), right after the first copy
    SELECT stream, file_part, 0 AS section, recv, tb, 1 AS sub, 'dup' AS kind, NULL AS reason,
           src, ref, part, relogged, in_head
    FROM body WHERE kind = 'ok' AND relogged
), bad_kinds AS (
    SELECT * FROM (VALUES
        ('envelope', 'invalid_json', 2), ('envelope', 'truncated', 3), ('envelope', 'bad_recording_sid', 4),
        ('flat', 'invalid_json', 2), ('flat', 'truncated', 3), ('flat', 'bad_recording_sid', 4),
        ('form', 'truncated', 3), ('form', 'bad_recording_sid', 4),
        ('csv', 'wrong_column_count', 2), ('csv', 'bad_recording_sid', 4)
    ) t(stream, reason, sub)
), bad_candidates AS MATERIALIZED (
    -- bad lines follow a real delivery they were derived from, never inside an overlap head
    SELECT b.stream, b.file_part, b.recv, b.tb, k.sub, k.reason, b.src, b.ref, b.part,
           syn_part(syn_h($seed, 'bad:' || k.reason, b.ref), 0) AS u
    FROM body b JOIN bad_kinds k USING (stream)
    WHERE b.kind = 'ok' AND NOT b.in_head
), bad AS (
    -- about one line in 10,000 for each kind of damage, at least one per stream
    SELECT c.stream, c.file_part, 0 AS section, c.recv, c.tb, c.sub, 'bad' AS kind, c.reason,
           c.src, c.ref, c.part, false AS relogged, false AS in_head
    FROM bad_candidates c
    JOIN (SELECT stream, reason, min(u) AS min_u FROM bad_candidates GROUP BY stream, reason) m USING (stream, reason)
    WHERE c.u <= greatest(0.0001, m.min_u)
), main AS (
    SELECT * FROM body UNION ALL SELECT * FROM dups UNION ALL SELECT * FROM bad
), tails AS (
    SELECT stream, part - 1 AS file_part, 1 AS section, recv, tb, sub, kind, reason,
           src, ref, part, relogged, in_head
    FROM main WHERE in_head AND kind IN ('ok', 'dup')
), headers AS (
    SELECT DISTINCT stream, part AS file_part, -1 AS section, NULL::TIMESTAMP AS recv, -1 AS tb, 0 AS sub,
           'header' AS kind, NULL AS reason, NULL AS src, NULL::BIGINT AS ref, part,
           false AS relogged, false AS in_head
    FROM syn_cb_parts WHERE stream = 'csv'
)
-- src_part: the file a line was first written to; an overlap copy keeps that file's text variant
SELECT stream, file_part, part AS src_part, section, recv, tb, sub, kind, reason, src, ref, section = 1 AS overlap_copy
FROM (SELECT * FROM main UNION ALL SELECT * FROM tails UNION ALL SELECT * FROM headers);

DROP TABLE syn_cb_parts;

-- One row per callback log file, with the variant its logger wrote.
CREATE OR REPLACE TABLE syn_cb_files AS
SELECT stream, file_part,
       'callbacks/' || CASE stream WHEN 'notime' THEN 'bodies-notime' ELSE stream END
           || '-' || lpad((file_part + 1)::VARCHAR, 4, '0')
           || CASE stream WHEN 'envelope' THEN '.ndjson' WHEN 'flat' THEN '.ndjson'
                          WHEN 'csv' THEN '.csv' ELSE '.log' END
           || CASE WHEN file_part % 2 = 1 THEN '.gz' ELSE '' END AS path,
       file_part % 2 = 1 AS gz,
       CASE stream WHEN 'envelope' THEN 'callback-envelope-ndjson' WHEN 'flat' THEN 'callback-flat-ndjson'
                   WHEN 'csv' THEN 'callback-csv' ELSE 'callback-form' END AS format,
       -- flat logs: the receive-time key and its offset changed with each logger version
       ['received_at', 'timestamp', 'time', '@timestamp'][file_part % 4 + 1] AS time_key,
       [0, 120, 0, -300][file_part % 4 + 1] AS time_off,
       CASE WHEN file_part % 2 = 0 THEN 'http_status' ELSE 'response_status' END AS status_key,
       file_part % 2 = 1 AS form_plus,                       -- '+' for spaces, space separator
       count(*) AS n_lines
FROM syn_cb_plan
GROUP BY stream, file_part;

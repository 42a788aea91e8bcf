-- Ground truth per metadata export file (API pages one row per page).
-- expected_duplicates: records that cannot change the store when the files are ingested in
-- path order, because an earlier file already had that recording with the same or a newer
-- date_updated; older_than_latest: records older than the newest state of their recording in
-- any file (they must never win, whatever the order). Files are numbered in path order so the
-- comparisons are on integers.
WITH files AS (
    SELECT fmt, chunk, -1 AS page, path, format, gz FROM syn_meta_files
    UNION ALL
    SELECT 'pages' AS fmt, acct_idx AS chunk, page, path, 'twilio-rest-page' AS format, gz FROM syn_pages
), numbered AS (
    SELECT *, row_number() OVER (ORDER BY path) AS file_no FROM files
), rows AS (
    SELECT n.file_no, s.kind, s.reason, s.i, s.status, s.updated_ts,
           -- the Twilio CLI prints each object over 24 lines (28 with encryption_details)
           CASE WHEN s.fmt = 'cli' THEN 24 + 4 * s.encrypted::INTEGER ELSE 1 END AS record_lines
    FROM syn_rest_state s
    JOIN numbered n ON n.fmt = s.fmt AND n.chunk = s.chunk AND n.page = coalesce(s.page, -1)
    WHERE s.kind IN ('ok', 'bad')
), ok AS (
    SELECT file_no, i, updated_ts FROM rows WHERE kind = 'ok'
), superseded AS (
    SELECT DISTINCT a.file_no, a.i
    FROM ok a JOIN ok b ON a.i = b.i AND b.file_no < a.file_no AND b.updated_ts >= a.updated_ts
), newest AS (
    SELECT i, max(updated_ts) AS newest_ts FROM ok GROUP BY i
), flagged AS (
    SELECT r.*,
           r.kind = 'ok' AND s.i IS NOT NULL AS is_dup,
           r.kind = 'ok' AND r.updated_ts < nw.newest_ts AS stale
    FROM rows r
    LEFT JOIN superseded s ON s.file_no = r.file_no AND s.i = r.i
    LEFT JOIN newest nw ON nw.i = r.i
), per_file AS (
    SELECT file_no,
           count(*) AS records,
           count(*) FILTER (WHERE kind = 'bad') AS rejected,
           count(DISTINCT i) FILTER (WHERE kind = 'ok') AS recordings,
           count(*) FILTER (WHERE is_dup) AS expected_duplicates,
           count(*) FILTER (WHERE stale) AS older_than_latest,
           sum(record_lines) AS record_lines
    FROM flagged GROUP BY file_no
), bad AS (
    SELECT file_no, json_group_object(reason, n) AS bad
    FROM (SELECT file_no, reason, count(*) AS n FROM flagged WHERE kind = 'bad' GROUP BY ALL ORDER BY ALL)
    GROUP BY file_no
), statuses AS (
    SELECT file_no, json_group_object(status, n) AS statuses
    FROM (SELECT file_no, status, count(*) AS n FROM flagged WHERE kind = 'ok' GROUP BY ALL ORDER BY ALL)
    GROUP BY file_no
), frame AS (
    SELECT n.file_no, count(*) AS frame_lines
    FROM syn_meta_plan p JOIN numbered n ON n.fmt = p.fmt AND n.chunk = p.chunk AND n.page = -1
    WHERE p.kind IN ('header', 'footer')
    GROUP BY n.file_no
)
SELECT n.path, n.format, n.gz, pf.records, pf.rejected, coalesce(b.bad::VARCHAR, '{}') AS bad,
       pf.recordings, pf.expected_duplicates, pf.older_than_latest,
       coalesce(st.statuses::VARCHAR, '{}') AS statuses, coalesce(fr.frame_lines, 0) AS frame_lines,
       pf.record_lines, n.fmt
FROM numbered n
JOIN per_file pf USING (file_no)
LEFT JOIN bad b USING (file_no)
LEFT JOIN statuses st USING (file_no)
LEFT JOIN frame fr USING (file_no)
ORDER BY n.path;

-- Ground truth per metadata export file (API pages one row per page).
-- expected_duplicates: records that cannot change the store when the files are ingested in
-- path order, because an earlier file already had that SID with the same or a newer
-- date_updated; older_than_latest: records older than the newest state of their SID in any
-- file (they must never win, whatever the order).
WITH rows AS (
    SELECT CASE WHEN o.fmt = 'pages' THEN pg.path ELSE mf.path END AS path,
           CASE WHEN o.fmt = 'pages' THEN 'twilio-rest-page' ELSE mf.format END AS format,
           CASE WHEN o.fmt = 'pages' THEN pg.gz ELSE mf.gz END AS gz,
           o.kind, o.reason, o.sid, o.status, o.updated_ts, o.pos, o.sub, o.fmt,
           -- the Twilio CLI prints each object over 24 lines (28 with encryption_details)
           CASE WHEN o.fmt = 'cli' THEN 24 + 4 * o.encrypted::INTEGER ELSE 1 END AS record_lines
    FROM syn_rest_state o
    LEFT JOIN syn_meta_files mf ON o.fmt <> 'pages' AND mf.fmt = o.fmt AND mf.chunk = o.chunk
    LEFT JOIN syn_pages pg ON o.fmt = 'pages' AND pg.acct_idx = o.chunk AND pg.page = o.page
), ok AS (
    SELECT path, sid, updated_ts FROM rows WHERE kind = 'ok'
), superseded AS (
    SELECT DISTINCT a.path, a.sid
    FROM ok a JOIN ok b ON a.sid = b.sid AND b.path < a.path AND b.updated_ts >= a.updated_ts
), newest AS (
    SELECT sid, max(updated_ts) AS newest_ts FROM ok GROUP BY sid
), ranked AS (
    SELECT r.*,
           r.kind = 'ok' AND s.sid IS NOT NULL AS is_dup,
           r.kind = 'ok' AND r.updated_ts < n.newest_ts AS stale
    FROM rows r
    LEFT JOIN superseded s ON s.path = r.path AND s.sid = r.sid
    LEFT JOIN newest n ON n.sid = r.sid
), bad AS (
    SELECT path, json_group_object(reason, n) AS bad
    FROM (SELECT path, reason, count(*) AS n FROM ranked WHERE kind = 'bad' GROUP BY path, reason)
    GROUP BY path
), statuses AS (
    SELECT path, json_group_object(status, n) AS statuses
    FROM (SELECT path, status, count(*) AS n FROM ranked WHERE kind = 'ok' GROUP BY path, status ORDER BY status)
    GROUP BY path
), frame AS (
    SELECT mf.path, count(*) AS frame_lines
    FROM syn_meta_plan p JOIN syn_meta_files mf USING (fmt, chunk)
    WHERE p.kind IN ('header', 'footer')
    GROUP BY mf.path
)
SELECT r.path, any_value(r.format) AS format, any_value(r.gz) AS gz,
       count(*) AS records,
       count(*) FILTER (WHERE kind = 'bad') AS rejected,
       coalesce(any_value(b.bad)::VARCHAR, '{}') AS bad,
       count(DISTINCT sid) FILTER (WHERE kind = 'ok') AS recordings,
       count(*) FILTER (WHERE is_dup) AS expected_duplicates,
       count(*) FILTER (WHERE stale) AS older_than_latest,
       coalesce(any_value(s.statuses)::VARCHAR, '{}') AS statuses,
       coalesce(any_value(fr.frame_lines), 0) AS frame_lines,
       sum(record_lines) AS record_lines,
       any_value(fmt) AS fmt
FROM ranked r
LEFT JOIN bad b USING (path)
LEFT JOIN statuses s USING (path)
LEFT JOIN frame fr USING (path)
GROUP BY r.path
ORDER BY r.path;

-- Ground truth per callback log file, counted from the very plan the files were written from.
-- expected_*: what an ingest of every callback file in path order must report: the first copy
-- of a delivery loads, every later copy (same line again, or an overlap repeated in the next
-- file) is a duplicate, bad lines and call status callbacks are rejected.
WITH p AS (
    SELECT p.kind, p.reason, p.src, p.ref, p.overlap_copy, f.path, f.stream
    FROM syn_cb_plan p JOIN syn_cb_files f USING (stream, file_part)
), copies AS (
    SELECT src, ref, min(path) AS first_path
    FROM p WHERE kind IN ('ok', 'dup')
    GROUP BY src, ref
), loaded AS (
    SELECT first_path AS path, count(*) AS loaded FROM copies GROUP BY first_path
), per_file AS (
    SELECT path,
           count(*) AS lines,
           count(*) FILTER (WHERE kind = 'header') AS header_lines,
           count(*) FILTER (WHERE kind IN ('ok', 'dup')) AS delivery_lines,
           count(DISTINCT ref) FILTER (WHERE kind IN ('ok', 'dup')) AS deliveries,
           count(*) FILTER (WHERE overlap_copy) AS overlap_next_lines,
           count(*) FILTER (WHERE kind IN ('bad', 'call_status')) AS rejected
    FROM p GROUP BY path
), sig AS (
    SELECT p.path, count(*) FILTER (WHERE d.sig_bad) AS invalid_signature_lines, count(*) AS signed_lines
    FROM p JOIN syn_dlv d ON p.src = 'd' AND d.dk = p.ref
    WHERE p.stream = 'envelope' AND p.kind IN ('ok', 'dup')
    GROUP BY p.path
), bad AS (
    SELECT path, json_group_object(reason, n) AS bad
    FROM (SELECT path, reason, count(*) AS n FROM p WHERE reason IS NOT NULL GROUP BY path, reason ORDER BY path, reason)
    GROUP BY path
), nxt AS (
    SELECT path, lead(path) OVER (PARTITION BY stream ORDER BY file_part) AS next_path
    FROM syn_cb_files
)
SELECT f.path, f.format, f.gz, pf.lines, pf.header_lines, pf.lines - pf.header_lines AS records,
       coalesce(b.bad::VARCHAR, '{}') AS bad,
       pf.delivery_lines - pf.deliveries AS duplicate_lines,
       pf.overlap_next_lines,
       CASE WHEN pf.overlap_next_lines > 0 THEN n.next_path END AS overlaps_with,
       coalesce(l.loaded, 0) AS expected_loaded,
       pf.delivery_lines - coalesce(l.loaded, 0) AS expected_duplicates,
       pf.rejected AS expected_rejected,
       pf.deliveries,
       coalesce(s.signed_lines, 0) AS signed_lines,
       coalesce(s.invalid_signature_lines, 0) AS invalid_signature_lines,
       f.stream, f.time_key, f.status_key, f.form_plus
FROM syn_cb_files f
JOIN per_file pf USING (path)
LEFT JOIN loaded l USING (path)
LEFT JOIN sig s USING (path)
LEFT JOIN bad b USING (path)
LEFT JOIN nxt n USING (path)
ORDER BY f.path;

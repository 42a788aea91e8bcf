-- Ground truth per callback log file, counted from the very plan the files were written from.
-- expected_*: what an ingest of every callback file in path order must report: the first copy
-- of a delivery loads, every later copy (same line again, or an overlap repeated in the next
-- file) is a duplicate, bad lines and call status callbacks are rejected. Files are numbered
-- in path order so the aggregations are on integers.
WITH numbered AS (
    SELECT *, row_number() OVER (ORDER BY path) AS file_no,
           lead(path) OVER (PARTITION BY stream ORDER BY file_part) AS next_path
    FROM syn_cb_files
), p AS (
    SELECT n.file_no, p.kind, p.reason, p.src, p.ref, p.overlap_copy, n.stream
    FROM syn_cb_plan p JOIN numbered n USING (stream, file_part)
), firsts AS (
    SELECT min(file_no) AS file_no, count(*) AS copies
    FROM p WHERE kind IN ('ok', 'dup')
    GROUP BY src, ref
), loaded AS (
    SELECT file_no, count(*) AS loaded FROM firsts GROUP BY file_no
), per_file AS (
    SELECT file_no,
           count(*) AS lines,
           count(*) FILTER (WHERE kind = 'header') AS header_lines,
           count(*) FILTER (WHERE kind IN ('ok', 'dup')) AS delivery_lines,
           count(DISTINCT ref) FILTER (WHERE kind IN ('ok', 'dup')) AS deliveries,
           count(*) FILTER (WHERE overlap_copy) AS overlap_next_lines,
           count(*) FILTER (WHERE kind IN ('bad', 'call_status')) AS rejected
    FROM p GROUP BY file_no
), sig AS (
    SELECT p.file_no, count(*) FILTER (WHERE d.sig_bad) AS invalid_signature_lines, count(*) AS signed_lines
    FROM p JOIN syn_dlv d ON p.src = 'd' AND d.dk = p.ref
    WHERE p.stream = 'envelope' AND p.kind IN ('ok', 'dup')
    GROUP BY p.file_no
), bad AS (
    SELECT file_no, json_group_object(reason, n) AS bad
    FROM (SELECT file_no, reason, count(*) AS n FROM p WHERE reason IS NOT NULL GROUP BY ALL ORDER BY ALL)
    GROUP BY file_no
)
SELECT n.path, n.format, n.gz, pf.lines, pf.header_lines, pf.lines - pf.header_lines AS records,
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
       n.stream, n.time_key, n.status_key, n.form_plus
FROM numbered n
JOIN per_file pf USING (file_no)
LEFT JOIN loaded l USING (file_no)
LEFT JOIN sig s USING (file_no)
LEFT JOIN bad b USING (file_no)
ORDER BY n.path;

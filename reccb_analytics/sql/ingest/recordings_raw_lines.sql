-- (CTE rec_raw) NDJSON of Recording objects: one object per line.
SELECT line IS NULL OR trim(line) = '' AS skip,
       line AS raw_text,
       CASE WHEN line IS NULL OR trim(line) = '' THEN NULL
            WHEN length(line) > $max_record_chars
                 THEN 'line is ' || length(line) || ' characters long (limit ' || $max_record_chars || ')'
            WHEN NOT json_valid(line) THEN 'invalid JSON'
            WHEN json_type(line) <> 'OBJECT' THEN 'not a JSON object'
       END AS parse_error,
       CASE WHEN length(line) <= $max_record_chars AND json_valid(line)
            THEN CASE WHEN json_type(line) = 'OBJECT' THEN CAST(line AS JSON) END END AS j
FROM ingest_lines

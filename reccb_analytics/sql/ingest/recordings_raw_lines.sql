-- (CTE rec_raw) NDJSON of Recording objects: one object per line, parsed once (try() gives
-- NULL for a line that is not JSON; its reason is worked out only then).
WITH lines AS (
    SELECT line,
           line IS NULL OR trim(line) = '' AS skip,
           CASE WHEN length(line) <= $max_record_chars AND starts_with(ltrim(line), '{')
                THEN try(reccb_recording_fields(line)) END AS f
    FROM ingest_lines
)
SELECT skip,
       line AS raw_text,
       CASE WHEN skip THEN NULL
            WHEN length(line) > $max_record_chars
                 THEN reccb_too_long(line, $max_record_chars)
            WHEN f IS NULL AND NOT json_valid(line) THEN 'invalid JSON'
            WHEN f IS NULL THEN 'not a JSON object'
       END AS parse_error,
       CASE WHEN f IS NOT NULL THEN CAST(line AS JSON) END AS j,
       f
FROM lines

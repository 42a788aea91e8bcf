-- (CTE rec_raw) NDJSON of Recording objects: one object per line, parsed once (try() gives
-- NULL for a line that is not JSON; its reason is worked out only then).
-- Blank lines, the size limit and objects after blanks: macros.sql (reccb_blank_line...).
WITH lines AS (
    SELECT line,
           reccb_blank_line(line) AS skip,
           reccb_fits(line, $max_record_chars) AS fits
    FROM ingest_lines
), parsed AS (
    SELECT line, skip, fits,
           CASE WHEN fits AND reccb_starts_object(line) THEN try(reccb_recording_fields(line)) END AS f
    FROM lines
)
SELECT skip,
       line AS raw_text,
       CASE WHEN skip THEN NULL
            WHEN NOT fits THEN reccb_too_long(line, $max_record_chars)
            WHEN f IS NULL AND NOT json_valid(line) THEN 'invalid JSON'
            WHEN f IS NULL THEN 'not a JSON object'
       END AS parse_error,
       CASE WHEN f IS NOT NULL THEN CAST(line AS JSON) END AS j,
       f
FROM parsed

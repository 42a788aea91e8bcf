-- (CTE rec_raw) NDJSON of Recording objects: one object per line, parsed once (try() gives
-- NULL for a line that is not JSON; its reason is worked out only then).
-- JSON allows blanks (space, tab, CR) around a value: a line of them is blank, and an object
-- may follow them. Whole-line functions cost as much as the JSON parse on lines of 1 KB (trim
-- and ltrim copy the line, length() counts its characters), so each runs only when a cheap
-- test (starts with '{', byte length within the limit: never fewer bytes than characters)
-- cannot decide; CASE, not OR, says so (with OR the whole-line side ran for every line: the
-- staging took 40% longer).
WITH lines AS (
    SELECT line,
           CASE WHEN line IS NULL THEN true WHEN starts_with(line, '{') THEN false
                ELSE trim(line, ' ' || chr(9) || chr(13)) = '' END AS skip,
           CASE WHEN strlen(line) <= $max_record_chars THEN true
                ELSE length(line) <= $max_record_chars END AS fits
    FROM ingest_lines
), parsed AS (
    SELECT line, skip, fits,
           CASE WHEN fits AND CASE WHEN starts_with(line, '{') THEN true
                               ELSE starts_with(ltrim(line, ' ' || chr(9) || chr(13)), '{') END
                THEN try(reccb_recording_fields(line)) END AS f
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

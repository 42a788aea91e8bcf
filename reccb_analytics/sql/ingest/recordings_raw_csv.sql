-- (CTE rec_raw) CSV/TSV exports of Recordings with a header ($header: column names already
-- mapped to the API's snake_case names by the loader). A line equal to the header
-- (concatenated exports) is not a record.
WITH lines AS (
    SELECT line,
           line IS NULL OR trim(line) = '' OR line = $header_text AS skip,
           CASE WHEN length(line) <= $max_record_chars THEN reccb_csv_fields(line, $sep) END AS fields,
           length(line) <= $max_record_chars AND reccb_csv_consumed(line, $sep) AS well_quoted
    FROM ingest_lines
)
SELECT skip,
       line AS raw_text,
       CASE WHEN skip THEN NULL
            WHEN length(line) > $max_record_chars
                 THEN reccb_too_long(line, $max_record_chars)
            WHEN NOT well_quoted THEN 'malformed CSV quoting'
            WHEN len(fields) <> len($header)
                 THEN 'row has ' || len(fields) || ' fields, the header has ' || len($header)
       END AS parse_error,
       j,
       reccb_recording_fields(j) AS f
FROM (
    SELECT *, CASE WHEN NOT skip AND well_quoted AND len(fields) = len($header)
                   THEN to_json(map($header, list_transform(fields, lambda f: nullif(f, '')))) END AS j
    FROM lines
)

-- (CTE rec_raw) CSV/TSV exports of Recordings with a header ($header: column names already
-- mapped to the API's snake_case names by the loader). A line equal to the header
-- (concatenated exports) is not a record.
WITH parts AS (
    SELECT line,
           line IS NULL OR trim(line) = '' OR line = $header_text AS skip,
           reccb_fits(line, $max_record_chars) AS fits,
           CASE WHEN reccb_fits(line, $max_record_chars) THEN reccb_csv_parts(line, $sep) END AS parts
    FROM ingest_lines
), lines AS (
    SELECT line, skip,
           CASE WHEN fits THEN reccb_csv_fields(line, $sep, parts) END AS fields,
           fits AND reccb_csv_well_quoted(parts, $sep) AS well_quoted
    FROM parts
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
                   THEN CAST('{' || array_to_string(list_transform(fields, lambda f, i:
                            to_json($header[i]) || ':' || coalesce(to_json(nullif(f, '')), 'null')), ',')
                             || '}' AS JSON) END AS j
    FROM lines
)

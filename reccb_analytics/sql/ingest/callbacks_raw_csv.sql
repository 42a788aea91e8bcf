-- (CTE cb_raw) CSV/TSV callback logs: a header of Twilio parameter names (mapped by the loader:
-- the receive-time column is named received_at, the webhook's answer http_status). Lines are
-- split here, so each row keeps its line number and a row that does not fit the header is
-- rejected on its own. A line equal to the header (concatenated logs) is not a record.
WITH lines AS (
    SELECT line_no, line,
           line IS NULL OR trim(line) = '' OR line = $header_text AS skip,
           CASE WHEN length(line) <= $max_record_chars THEN reccb_csv_fields(line, $sep) END AS fields,
           length(line) <= $max_record_chars AND reccb_csv_consumed(line, $sep) AS well_quoted
    FROM ingest_lines
), rows AS (
    SELECT line_no, line, skip,
           CASE WHEN skip THEN NULL
                WHEN length(line) > $max_record_chars
                     THEN reccb_too_long(line, $max_record_chars)
                WHEN NOT well_quoted THEN 'malformed CSV quoting'
                WHEN len(fields) <> len($header)
                     THEN 'row has ' || len(fields) || ' fields, the header has ' || len($header)
           END AS parse_error,
           CASE WHEN NOT skip AND well_quoted AND len(fields) = len($header)
                THEN map($header, list_transform(fields, lambda f: nullif(f, ''))) END AS m
    FROM lines
), params AS (
    SELECT *,
           CASE WHEN m IS NOT NULL
                THEN to_json(map_from_entries(list_filter(map_entries(m),
                         lambda e: e.key NOT IN ('received_at', 'http_status') AND e.value IS NOT NULL)))
           END AS params
    FROM rows
)
SELECT
    line_no,
    skip,
    line AS raw_text,
    parse_error,
    m['received_at'] AS received_raw,
    CAST(NULL AS VARCHAR) AS method,
    CAST(NULL AS VARCHAR) AS request_url,
    m['http_status'] AS http_status_raw,
    CAST(NULL AS VARCHAR) AS signature,
    CAST(NULL AS VARCHAR) AS signature_settings,
    CAST(NULL AS VARCHAR) AS idempotency_token,
    params,
    reccb_twilio_params(params) AS p
FROM params

-- (CTE cb_raw) CSV/TSV callback logs: a header of Twilio parameter names (mapped by the loader:
-- the receive-time column is named received_at, the webhook's answer http_status). Lines are
-- split here, so each row keeps its line number and a row that does not fit the header is
-- rejected on its own. A line equal to the header (concatenated logs) is not a record.
-- $param_names is the header with the columns that are not request parameters (received_at,
-- http_status) set to NULL: params leaves them out, as it leaves out empty fields.
WITH lines AS (
    SELECT line_no, line,
           line IS NULL OR trim(line) = '' OR line = $header_text AS skip,
           reccb_fits(line, $max_record_chars) AS fits,
           CASE WHEN reccb_fits(line, $max_record_chars) THEN reccb_csv_parts(line, $sep) END AS parts
    FROM ingest_lines
), rows AS (
    SELECT line_no, line, skip, fits,
           CASE WHEN fits THEN reccb_csv_fields(line, $sep, parts) END AS fields,
           fits AND reccb_csv_well_quoted(parts, $sep) AS well_quoted
    FROM lines
), fitted AS (
    SELECT line_no, line, skip,
           CASE WHEN skip THEN NULL
                WHEN NOT fits THEN reccb_too_long(line, $max_record_chars)
                WHEN NOT well_quoted THEN 'malformed CSV quoting'
                WHEN len(fields) <> len($header)
                     THEN 'row has ' || len(fields) || ' fields, the header has ' || len($header)
           END AS parse_error,
           CASE WHEN NOT skip AND well_quoted AND len(fields) = len($header)
                THEN list_transform(fields, lambda f: nullif(f, '')) END AS vals
    FROM rows
)
SELECT
    line_no,
    skip,
    line AS raw_text,
    parse_error,
    vals[list_position($header, 'received_at')] AS received_raw,
    CAST(NULL AS VARCHAR) AS method,
    CAST(NULL AS VARCHAR) AS request_url,
    vals[list_position($header, 'http_status')] AS http_status_raw,
    CAST(NULL AS VARCHAR) AS signature,
    CAST(NULL AS VARCHAR) AS signature_settings,
    CAST(NULL AS VARCHAR) AS idempotency_token,
    reccb_pairs_json($param_names, vals) AS params,
    reccb_twilio_params_of($header, vals) AS p
FROM fitted

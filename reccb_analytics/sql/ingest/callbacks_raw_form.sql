-- (CTE cb_raw) Form-encoded request bodies, one per line, optionally preceded by an ISO-8601
-- time and a tab or a space. Only a line starting with a digit can carry a time, so the regex
-- runs on those alone. Names and values are decoded once, into two lists (macros.sql,
-- reccb_form_...): params is the JSON text built from them, p a lookup in them.
WITH lines AS (
    SELECT line_no, line,
           line IS NULL OR trim(line) = '' AS skip,
           CASE WHEN regexp_matches(line, '^[0-9]')
                THEN regexp_extract(line, '^(\d{4}-\d{2}-\d{2}[T ][0-9:.]+(?:Z|[+-]\d{2}:?\d{2})?)[\t ]', 1)
                ELSE '' END AS ts
    FROM ingest_lines
), split AS (
    SELECT line_no, line, skip, nullif(ts, '') AS received_raw,
           trim(CASE WHEN ts <> '' THEN substr(line, length(ts) + 2) ELSE line END) AS body
    FROM lines
), items AS (
    SELECT *, CASE WHEN NOT skip AND reccb_fits(line, $max_record_chars) AND contains(body, '=')
                   THEN reccb_form_items(body) END AS items
    FROM split
), decoded AS (
    SELECT line_no, line, skip, received_raw, body,
           reccb_form_names(items) AS names, reccb_form_values(items) AS vals
    FROM items
), judged AS (
    SELECT *, reccb_pairs_problem(names, vals) AS problem
    FROM decoded
)
SELECT
    line_no,
    skip,
    line AS raw_text,
    CASE WHEN skip THEN NULL
         WHEN NOT reccb_fits(line, $max_record_chars) THEN reccb_too_long(line, $max_record_chars)
         WHEN NOT contains(body, '=') THEN 'not a form-encoded request body'
         ELSE problem
    END AS parse_error,
    received_raw,
    CAST(NULL AS VARCHAR) AS method,
    CAST(NULL AS VARCHAR) AS request_url,
    CAST(NULL AS VARCHAR) AS http_status_raw,
    CAST(NULL AS VARCHAR) AS signature,
    CAST(NULL AS VARCHAR) AS signature_settings,
    CAST(NULL AS VARCHAR) AS idempotency_token,
    CASE WHEN problem IS NULL THEN reccb_pairs_json(names, vals) END AS params,
    reccb_twilio_params_of(names, vals) AS p
FROM judged

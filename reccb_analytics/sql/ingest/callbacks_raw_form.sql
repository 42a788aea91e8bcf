-- (CTE cb_raw) Form-encoded request bodies, one per line, optionally preceded by an ISO-8601
-- time and a tab or a space.
WITH lines AS (
    SELECT line_no, line,
           line IS NULL OR trim(line) = '' AS skip,
           regexp_extract(line, '^(\d{4}-\d{2}-\d{2}[T ][0-9:.]+(?:Z|[+-]\d{2}:?\d{2})?)[\t ]', 1) AS ts
    FROM ingest_lines
), split AS (
    SELECT line_no, line, skip, nullif(ts, '') AS received_raw,
           trim(CASE WHEN ts <> '' THEN substr(line, length(ts) + 2) ELSE line END) AS body
    FROM lines
), decoded AS (
    SELECT *, CASE WHEN NOT skip AND length(line) <= $max_record_chars AND body LIKE '%=%'
                   THEN reccb_form_to_json(body) END AS params
    FROM split
)
SELECT
    line_no,
    skip,
    line AS raw_text,
    CASE WHEN skip THEN NULL
         WHEN length(line) > $max_record_chars
              THEN reccb_too_long(line, $max_record_chars)
         WHEN body NOT LIKE '%=%' THEN 'not a form-encoded request body'
         WHEN params IS NULL THEN 'a parameter name appears more than once'
    END AS parse_error,
    received_raw,
    CAST(NULL AS VARCHAR) AS method,
    CAST(NULL AS VARCHAR) AS request_url,
    CAST(NULL AS VARCHAR) AS http_status_raw,
    CAST(NULL AS VARCHAR) AS signature,
    CAST(NULL AS VARCHAR) AS signature_settings,
    CAST(NULL AS VARCHAR) AS idempotency_token,
    params,
    reccb_twilio_params(params) AS p
FROM decoded

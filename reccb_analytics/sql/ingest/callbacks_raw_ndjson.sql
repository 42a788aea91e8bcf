-- (CTE cb_raw) NDJSON callback logs: each line a flat object (Twilio's parameters at top level
-- plus a receive time) or an envelope (received_at, method, url, headers, params|form|body,
-- http_status|response_status). One JSON parse per line: json_transform picks out every key
-- either shape uses; a line that is not JSON gives NULL and is explained in parse_error.
-- For flat lines, params is the logged object as it is (it also carries its receive time).
-- Blank lines, the size limit and objects after blanks: macros.sql (reccb_blank_line...).
WITH sized AS (
    SELECT line_no, line,
           reccb_blank_line(line) AS skip,
           reccb_fits(line, $max_record_chars) AS fits,
           reccb_starts_object(line) AS is_object
    FROM ingest_lines
), lines AS (
    SELECT line_no, line, skip, fits, is_object,
           CASE WHEN fits
                THEN try(json_transform(line, '{"received_at":"VARCHAR","timestamp":"VARCHAR",
                    "time":"VARCHAR","@timestamp":"VARCHAR","method":"VARCHAR","url":"VARCHAR",
                    "headers":"JSON","params":"JSON","form":"JSON","body":"JSON",
                    "http_status":"VARCHAR","response_status":"VARCHAR",
                    "AccountSid":"VARCHAR","CallSid":"VARCHAR","ConferenceSid":"VARCHAR",
                    "RecordingSid":"VARCHAR","RecordingUrl":"VARCHAR","RecordingStatus":"VARCHAR",
                    "RecordingDuration":"VARCHAR","RecordingChannels":"VARCHAR",
                    "RecordingStartTime":"VARCHAR","RecordingSource":"VARCHAR",
                    "RecordingTrack":"VARCHAR","ErrorCode":"VARCHAR","CallStatus":"VARCHAR"}'))
           END AS e
    FROM sized
), shaped AS (
    SELECT line_no, line, skip, fits, e, is_object,
           e.params IS NULL AND e.form IS NULL AND e.body IS NULL AS is_flat,
           CASE
               WHEN e IS NULL OR NOT is_object THEN NULL
               WHEN e.params IS NULL AND e.form IS NULL AND e.body IS NULL THEN CAST(line AS JSON)
               WHEN json_type(e.params) = 'OBJECT' THEN e.params
               WHEN json_type(e.form) = 'OBJECT' THEN e.form
               WHEN json_type(e.body) = 'OBJECT' THEN e.body
               WHEN json_type(e.body) = 'VARCHAR' THEN reccb_form_to_json(e.body ->> '$')
               WHEN json_type(e.form) = 'VARCHAR' THEN reccb_form_to_json(e.form ->> '$')
           END AS params
    FROM lines
)
SELECT
    line_no,
    skip,
    line AS raw_text,
    CASE WHEN skip THEN NULL
         WHEN NOT fits THEN reccb_too_long(line, $max_record_chars)
         WHEN e IS NULL THEN 'invalid JSON'
         WHEN NOT is_object THEN 'not a JSON object'
         -- a raw form body that decodes to no parameters says why (shaped's order of choice)
         WHEN params IS NULL AND json_type(e.body) = 'VARCHAR' THEN reccb_form_problem(e.body ->> '$')
         WHEN params IS NULL AND json_type(e.form) = 'VARCHAR' THEN reccb_form_problem(e.form ->> '$')
    END AS parse_error,
    coalesce(e.received_at, e."timestamp", e.time, e."@timestamp") AS received_raw,
    upper(e.method) AS method,
    e.url AS request_url,
    coalesce(e.http_status, e.response_status) AS http_status_raw,
    CASE WHEN e.headers IS NOT NULL THEN reccb_header(e.headers, 'x-twilio-signature') END AS signature,
    CASE WHEN e.headers IS NOT NULL
         THEN reccb_header(e.headers, 'x-twilio-webhooks-signature-settings') END AS signature_settings,
    CASE WHEN e.headers IS NOT NULL
         THEN reccb_header(e.headers, 'i-twilio-idempotency-token') END AS idempotency_token,
    params,
    CASE WHEN is_flat
         THEN {'AccountSid': e.AccountSid, 'CallSid': e.CallSid, 'ConferenceSid': e.ConferenceSid,
               'RecordingSid': e.RecordingSid, 'RecordingUrl': e.RecordingUrl,
               'RecordingStatus': e.RecordingStatus, 'RecordingDuration': e.RecordingDuration,
               'RecordingChannels': e.RecordingChannels, 'RecordingStartTime': e.RecordingStartTime,
               'RecordingSource': e.RecordingSource, 'RecordingTrack': e.RecordingTrack,
               'ErrorCode': e.ErrorCode, 'CallStatus': e.CallStatus}
         ELSE reccb_twilio_params(params) END AS p
FROM shaped

-- (CTE cb_stage) Type, validate and identify every raw callback line (from any format's
-- cb_raw), one row per line with its line_no: blank and header lines are `skip` rows, a bad
-- record gets its reject_reason. delivery_id is the md5 of the receive instant (microseconds
-- since the epoch) and the Recording Status Callback parameters in a fixed order, so the same
-- request logged as NDJSON, form or CSV gets the same id.
WITH parsed AS (
    SELECT
        t.*,
        reccb_instant_iso(received_raw) AS received_at,
        try_cast(p.RecordingDuration AS INTEGER) AS duration_s,
        try_cast(p.RecordingChannels AS INTEGER) AS channels,
        reccb_instant(p.RecordingStartTime) AS start_time,
        try_cast(p.ErrorCode AS INTEGER) AS error_code_any,
        try_cast(http_status_raw AS INTEGER) AS http_status,
        -- one match per SID present: cheaper than one match over the SIDs joined together
        regexp_full_match(p.RecordingSid, 'RE[0-9a-fA-F]{32}')
            AND (p.AccountSid IS NULL OR regexp_full_match(p.AccountSid, 'AC[0-9a-fA-F]{32}'))
            AND (p.CallSid IS NULL OR regexp_full_match(p.CallSid, 'CA[0-9a-fA-F]{32}'))
            AND (p.ConferenceSid IS NULL OR regexp_full_match(p.ConferenceSid, 'CF[0-9a-fA-F]{32}')) AS sids_ok
    FROM cb_raw t
), judged AS (
    SELECT *,
        CASE
            WHEN skip THEN NULL
            WHEN parse_error IS NOT NULL THEN parse_error
            WHEN sids_ok AND p.RecordingStatus IS NOT NULL AND p.RecordingStatus <> ''
                 AND (received_raw IS NULL OR received_at IS NOT NULL)
                 AND (p.RecordingDuration IS NULL OR duration_s IS NOT NULL)
                 AND (p.RecordingChannels IS NULL OR channels IS NOT NULL)
                 AND (p.ErrorCode IS NULL OR error_code_any IS NOT NULL)
                 AND (p.RecordingStartTime IS NULL OR start_time IS NOT NULL)
                 AND (http_status_raw IS NULL OR http_status IS NOT NULL)
                THEN NULL
            WHEN params IS NULL THEN 'no request parameters found'
            WHEN p.RecordingSid IS NULL AND p.CallStatus IS NOT NULL
                THEN 'not a Recording Status Callback (a call status callback, CallStatus=' || p.CallStatus || ')'
            WHEN p.RecordingSid IS NULL THEN 'not a Recording Status Callback: no RecordingSid'
            WHEN NOT regexp_full_match(p.RecordingSid, 'RE[0-9a-fA-F]{32}')
                THEN 'malformed RecordingSid ' || left(p.RecordingSid, 60)
            WHEN p.RecordingStatus IS NULL OR p.RecordingStatus = '' THEN 'missing RecordingStatus'
            WHEN p.AccountSid IS NOT NULL AND NOT regexp_full_match(p.AccountSid, 'AC[0-9a-fA-F]{32}')
                THEN 'malformed AccountSid ' || left(p.AccountSid, 60)
            WHEN p.CallSid IS NOT NULL AND NOT regexp_full_match(p.CallSid, 'CA[0-9a-fA-F]{32}')
                THEN 'malformed CallSid ' || left(p.CallSid, 60)
            WHEN p.ConferenceSid IS NOT NULL AND NOT regexp_full_match(p.ConferenceSid, 'CF[0-9a-fA-F]{32}')
                THEN 'malformed ConferenceSid ' || left(p.ConferenceSid, 60)
            WHEN received_raw IS NOT NULL AND received_at IS NULL
                THEN 'unreadable receive time ' || left(received_raw, 60)
            WHEN p.RecordingDuration IS NOT NULL AND duration_s IS NULL
                THEN 'RecordingDuration is not an integer: ' || left(p.RecordingDuration, 60)
            WHEN p.RecordingChannels IS NOT NULL AND channels IS NULL
                THEN 'RecordingChannels is not an integer: ' || left(p.RecordingChannels, 60)
            WHEN p.ErrorCode IS NOT NULL AND error_code_any IS NULL
                THEN 'ErrorCode is not an integer: ' || left(p.ErrorCode, 60)
            WHEN p.RecordingStartTime IS NOT NULL AND start_time IS NULL
                THEN 'unreadable RecordingStartTime ' || left(p.RecordingStartTime, 60)
            WHEN http_status_raw IS NOT NULL AND http_status IS NULL
                THEN 'HTTP status is not an integer: ' || left(http_status_raw, 60)
            ELSE 'invalid record'
        END AS reject_reason
    FROM parsed
)
SELECT
    line_no,
    skip,
    reject_reason,
    CASE WHEN reject_reason IS NOT NULL THEN left(raw_text, 2000) END AS reject_text,
    CASE WHEN reject_reason IS NULL AND NOT skip
         THEN md5(coalesce(epoch_us(received_at)::VARCHAR, '') || chr(30) || reccb_params_fingerprint(p))
    END AS delivery_id,
    received_at,
    p.RecordingSid AS recording_sid,
    p.AccountSid AS account_sid,
    p.CallSid AS call_sid,
    p.ConferenceSid AS conference_sid,
    p.RecordingStatus AS status,
    duration_s,
    channels,
    start_time,
    p.RecordingSource AS source,
    p.RecordingTrack AS track,
    nullif(error_code_any, 0) AS error_code,
    p.RecordingUrl AS recording_url,
    idempotency_token,
    http_status,
    method,
    request_url,
    signature,
    signature_settings,
    params
FROM judged

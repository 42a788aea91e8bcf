-- Type and validate Recording objects from any format (snake_case API names or the CLI's
-- camelCase), keeping the original object as raw JSON.
-- rec_raw gives each record's fields already picked out (f, from reccb_recording_fields).
WITH named AS (
    SELECT skip, raw_text, parse_error, j,
           trim(f.sid) AS sid,
           trim(coalesce(f.account_sid, f.accountSid)) AS account_sid,
           trim(coalesce(f.call_sid, f.callSid)) AS call_sid,
           trim(coalesce(f.conference_sid, f.conferenceSid)) AS conference_sid,
           trim(f.status) AS status,
           f.source AS source,
           f.channels AS channels_raw,
           f.track AS track,
           f.duration AS duration_raw,
           coalesce(f.start_time, f.startTime) AS start_raw,
           coalesce(f.date_created, f.dateCreated) AS created_raw,
           coalesce(f.date_updated, f.dateUpdated) AS updated_raw,
           f.price AS price_raw,
           coalesce(f.price_unit, f.priceUnit) AS price_unit,
           coalesce(f.error_code, f.errorCode) AS error_raw,
           coalesce(f.media_url, f.mediaUrl,
                    CASE WHEN f.uri LIKE '/2010-04-01/%.json'
                         THEN 'https://api.twilio.com' || f.uri[:-6] END) AS media_url,
           coalesce(f.encryption_details, f.encryptionDetails) AS encryption_details,
           f.encrypted AS encrypted_raw
    FROM rec_raw
), parsed AS (
    SELECT n.*,
           try_cast(trim(channels_raw) AS INTEGER) AS channels,
           try_cast(trim(duration_raw) AS INTEGER) AS duration_s,
           reccb_instant(start_raw) AS start_time,
           reccb_instant(created_raw) AS date_created,
           reccb_instant(updated_raw) AS date_updated,
           try_cast(trim(price_raw) AS DECIMAL(18, 6)) AS price,
           try_cast(trim(error_raw) AS INTEGER) AS error_code_any
    FROM named n
), judged AS (
    -- Computed once here: an alias referred to again in the same SELECT is expanded, which
    -- evaluated this whole CASE twice. Good records take the first test alone (every SID in
    -- one match, each value present or readable); only the others are explained.
    SELECT *,
    CASE
        WHEN skip THEN NULL
        WHEN parse_error IS NOT NULL THEN parse_error
        WHEN regexp_full_match(
                 coalesce(sid, '') || '|' || coalesce(account_sid, 'AC00000000000000000000000000000000')
                 || '|' || coalesce(nullif(call_sid, ''), 'CA00000000000000000000000000000000')
                 || '|' || coalesce(nullif(conference_sid, ''), 'CF00000000000000000000000000000000'),
                 'RE[0-9a-fA-F]{32}\|AC[0-9a-fA-F]{32}\|CA[0-9a-fA-F]{32}\|CF[0-9a-fA-F]{32}')
             AND (channels IS NOT NULL OR channels_raw IS NULL OR trim(channels_raw) = '')
             AND (duration_s IS NOT NULL OR duration_raw IS NULL OR trim(duration_raw) = '')
             AND (start_time IS NOT NULL OR start_raw IS NULL OR trim(start_raw) = '')
             AND (date_created IS NOT NULL OR created_raw IS NULL OR trim(created_raw) = '')
             AND (date_updated IS NOT NULL OR updated_raw IS NULL OR trim(updated_raw) = '')
             AND (price IS NOT NULL OR price_raw IS NULL OR trim(price_raw) = '')
             AND (error_code_any IS NOT NULL OR error_raw IS NULL OR trim(error_raw) = '')
            THEN NULL
        WHEN sid IS NULL OR sid = '' THEN 'missing sid'
        WHEN NOT regexp_full_match(sid, 'RE[0-9a-fA-F]{32}') THEN 'malformed sid ' || left(sid, 60)
        WHEN account_sid IS NOT NULL AND NOT regexp_full_match(account_sid, 'AC[0-9a-fA-F]{32}')
            THEN 'malformed account_sid ' || left(account_sid, 60)
        WHEN call_sid IS NOT NULL AND call_sid <> '' AND NOT regexp_full_match(call_sid, 'CA[0-9a-fA-F]{32}')
            THEN 'malformed call_sid ' || left(call_sid, 60)
        WHEN conference_sid IS NOT NULL AND conference_sid <> ''
             AND NOT regexp_full_match(conference_sid, 'CF[0-9a-fA-F]{32}')
            THEN 'malformed conference_sid ' || left(conference_sid, 60)
        WHEN channels_raw IS NOT NULL AND trim(channels_raw) <> '' AND channels IS NULL
            THEN 'channels is not an integer: ' || left(channels_raw, 60)
        WHEN duration_raw IS NOT NULL AND trim(duration_raw) <> '' AND duration_s IS NULL
            THEN 'duration is not an integer: ' || left(duration_raw, 60)
        WHEN start_raw IS NOT NULL AND trim(start_raw) <> '' AND start_time IS NULL
            THEN 'unreadable start_time ' || left(start_raw, 60)
        WHEN created_raw IS NOT NULL AND trim(created_raw) <> '' AND date_created IS NULL
            THEN 'unreadable date_created ' || left(created_raw, 60)
        WHEN updated_raw IS NOT NULL AND trim(updated_raw) <> '' AND date_updated IS NULL
            THEN 'unreadable date_updated ' || left(updated_raw, 60)
        WHEN price_raw IS NOT NULL AND trim(price_raw) <> '' AND price IS NULL
            THEN 'price is not a decimal number: ' || left(price_raw, 60)
        WHEN error_raw IS NOT NULL AND trim(error_raw) <> '' AND error_code_any IS NULL
            THEN 'error_code is not an integer: ' || left(error_raw, 60)
    END AS reject_reason
    FROM parsed
)
SELECT
    skip,
    reject_reason,
    CASE WHEN reject_reason IS NOT NULL THEN left(raw_text, 2000) END AS reject_text,
    sid, account_sid, nullif(call_sid, '') AS call_sid, nullif(conference_sid, '') AS conference_sid,
    status, source, channels, track, duration_s, start_time, date_created, date_updated,
    price, price_unit, nullif(error_code_any, 0) AS error_code, media_url,
    coalesce(CASE WHEN lower(trim(encrypted_raw)) IN ('true', '1', 'yes') THEN true
                  WHEN lower(trim(encrypted_raw)) IN ('false', '0', 'no') THEN false END,
             encryption_details IS NOT NULL AND trim(encryption_details::VARCHAR) NOT IN ('', 'null', '{}', '""'))
        AS encrypted,
    j AS raw,
    -- a later state of the same date_updated wins by how final its status is
    CASE status WHEN 'deleted' THEN 4
                WHEN 'completed' THEN 3 WHEN 'absent' THEN 3 WHEN 'failed' THEN 3
                WHEN 'processing' THEN 2 WHEN 'stopped' THEN 2
                WHEN 'in-progress' THEN 1 WHEN 'paused' THEN 1 ELSE 0 END AS status_rank
FROM judged

-- The lines of one metadata export file ($fmt, $chunk), in order (the API pages are written by
-- meta_pages.sql). The writer wraps this query in COPY ... TO.
WITH objs AS (
    SELECT section, pos, sub,
           CASE WHEN kind = 'bad' AND reason = 'invalid_json'
                     -- a half-written last line (the exporter was killed)
                     THEN left(snake_json, floor(length(snake_json) * (0.4 + 0.4 * syn_part(syn_h($seed, 'mcut', i), 0)))::INTEGER)
                WHEN kind = 'bad' AND reason = 'bad_recording_sid' THEN replace(csv_row, sid, 'RE123')
                WHEN fmt IN ('ndjson', 'older', 'single') THEN snake_json
                WHEN fmt = 'array' THEN snake_json || CASE WHEN is_last THEN '' ELSE ',' END
                WHEN fmt = 'cli' THEN cli_json || CASE WHEN is_last THEN '' ELSE ',' END
                WHEN fmt = 'csv' THEN csv_row
                WHEN fmt = 'tsv' THEN tsv_row
           END AS line
    FROM syn_rest_obj
    WHERE fmt = $fmt AND chunk = $chunk
), frame AS (
    SELECT section, pos, sub,
           CASE WHEN kind = 'footer' THEN ']'
                WHEN fmt IN ('array', 'cli') THEN '['
                WHEN fmt = 'csv' THEN 'sid,account_sid,call_sid,conference_sid,date_created,date_updated,start_time,'
                     || 'duration,price,price_unit,status,channels,source,error_code,uri,media_url,encryption_details'
                ELSE array_to_string(['sid', 'accountSid', 'callSid', 'conferenceSid', 'dateCreated', 'dateUpdated',
                     'startTime', 'duration', 'price', 'priceUnit', 'status', 'channels', 'source', 'errorCode',
                     'uri', 'mediaUrl', 'encryptionDetails'], chr(9))
           END AS line
    FROM syn_meta_plan
    WHERE fmt = $fmt AND chunk = $chunk AND kind IN ('header', 'footer')
)
SELECT line FROM (SELECT * FROM objs UNION ALL SELECT * FROM frame)
ORDER BY section, pos, sub;

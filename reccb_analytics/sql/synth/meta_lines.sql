-- The lines of one metadata export file ($fmt, $chunk), in order (the API pages are written by
-- meta_pages.sql). The writer wraps this query in COPY ... TO; syn_rest_text returns the rows
-- sorted, and the projection keeps that order.
SELECT CASE WHEN kind = 'footer' THEN ']'
            WHEN kind = 'header' AND fmt IN ('array', 'cli') THEN '['
            WHEN kind = 'header' AND fmt = 'csv' THEN
                 'sid,account_sid,call_sid,conference_sid,date_created,date_updated,start_time,'
                 || 'duration,price,price_unit,status,channels,source,error_code,uri,media_url,encryption_details'
            WHEN kind = 'header' THEN
                 array_to_string(['sid', 'accountSid', 'callSid', 'conferenceSid', 'dateCreated', 'dateUpdated',
                     'startTime', 'duration', 'price', 'priceUnit', 'status', 'channels', 'source', 'errorCode',
                     'uri', 'mediaUrl', 'encryptionDetails'], chr(9))
            WHEN kind = 'bad' AND reason = 'invalid_json'
                 -- a half-written line (the exporter was killed)
                 THEN left(snake_json, floor(length(snake_json) * (0.4 + 0.4 * syn_part(syn_h($seed, 'mcut', i), 0)))::INTEGER)
            WHEN kind = 'bad' AND reason = 'bad_recording_sid' THEN replace(csv_row, sid, 'RE123')
            WHEN fmt IN ('ndjson', 'older', 'single') THEN snake_json
            WHEN fmt = 'array' THEN snake_json || CASE WHEN is_last THEN '' ELSE ',' END
            WHEN fmt = 'cli' THEN cli_json || CASE WHEN is_last THEN '' ELSE ',' END
            WHEN fmt = 'csv' THEN csv_row
            WHEN fmt = 'tsv' THEN tsv_row
       END AS line
FROM syn_rest_text($fmt, $chunk, 0, 0)

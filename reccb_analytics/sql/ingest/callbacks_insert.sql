-- (final SELECT of the INSERT INTO callback_deliveries) Every good record of the piece, straight
-- from the lines (CTEs ingest_lines, cb_raw, cb_stage): the wide row is written once.
-- Duplicates are taken out after the whole file is in (callbacks_drop_stored.sql,
-- callbacks_drop_repeats.sql): they are rare, and finding them here would cost every line.
-- The signature check (reccb_signature_valid, registered by the loader) runs only when asked
-- and only on records that carry a signature.
SELECT delivery_id, received_at, recording_sid, account_sid, call_sid, conference_sid,
       status, duration_s, channels, start_time, source, track, error_code,
       recording_url, idempotency_token, http_status,
       CASE WHEN $check_signatures AND signature IS NOT NULL
            THEN reccb_signature_valid(coalesce($callback_url, request_url), method,
                                       params::VARCHAR, signature, signature_settings)
       END AS signature_valid,
       params, $source_file, line_no, $ingest_id
FROM cb_stage
WHERE reject_reason IS NULL AND NOT skip

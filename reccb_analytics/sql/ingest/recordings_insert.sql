-- Upsert, step 2 of 2: SIDs not stored yet (rec_best.stored is false) are appended.
INSERT INTO recordings (sid, account_sid, call_sid, conference_sid, status, source, channels,
    track, duration_s, start_time, date_created, date_updated, price, price_unit, error_code,
    media_url, encrypted, raw, first_seen_at, first_seen_in, last_seen_at, last_seen_in, ingest_id)
SELECT sid, account_sid, call_sid, conference_sid, status, source, channels,
    track, duration_s, start_time, date_created, date_updated, price, price_unit, error_code,
    media_url, encrypted, raw, $now, $source_file, $now, $source_file, $ingest_id
FROM rec_best
WHERE NOT stored

-- Upsert, step 2 of 2: SIDs not stored yet (rec_best.stored is false) are appended, each with
-- the row rec_best picked for it (its rowid in rec_stage), and where it was seen: $source_file,
-- or with $per_account (a sync batch of several accounts) api:<its own account_sid>.
INSERT INTO recordings (sid, account_sid, call_sid, conference_sid, status, source, channels,
    track, duration_s, start_time, date_created, date_updated, price, price_unit, error_code,
    media_url, encrypted, raw, first_seen_at, first_seen_in, last_seen_at, last_seen_in, ingest_id)
SELECT s.sid, s.account_sid, s.call_sid, s.conference_sid, s.status, s.source, s.channels,
    s.track, s.duration_s, s.start_time, s.date_created, s.date_updated, s.price, s.price_unit,
    s.error_code, s.media_url, s.encrypted, s.raw,
    $now, CASE WHEN $per_account THEN coalesce('api:' || s.account_sid, $source_file) ELSE $source_file END,
    $now, CASE WHEN $per_account THEN coalesce('api:' || s.account_sid, $source_file) ELSE $source_file END,
    $ingest_id
FROM rec_stage s
JOIN rec_best b ON s.rowid = b.line_no
WHERE NOT b.stored

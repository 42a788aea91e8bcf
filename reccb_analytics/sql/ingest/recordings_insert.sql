-- Upsert, step 2 of 2: SIDs not stored yet (rec_best.stored is false) are appended, each with
-- the row rec_best picked for it (its rowid in rec_stage), and where it was seen: $source_file,
-- or with $per_account (a sync batch of several accounts) api:<its own account_sid>.
INSERT INTO recordings (sid, account_sid, call_sid, conference_sid, status, source, channels,
    track, duration_s, start_time, date_created, date_updated, price, price_unit, error_code,
    media_url, encrypted, raw, first_seen_at, first_seen_in, last_seen_at, last_seen_in, ingest_id)
SELECT sid, account_sid, call_sid, conference_sid, status, source, channels,
    track, duration_s, start_time, date_created, date_updated, price, price_unit,
    error_code, media_url, encrypted, raw, $now, seen_in, $now, seen_in, $ingest_id
FROM (
    SELECT s.*, reccb_seen_in(s.account_sid, $per_account, $source_file) AS seen_in
    FROM rec_stage s
    JOIN rec_best b ON s.rowid = b.line_no
    WHERE NOT b.stored
)

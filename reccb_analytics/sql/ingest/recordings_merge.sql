-- Upsert: a newer state replaces the stored one; every SID seen gets its last-seen stamp.
MERGE INTO recordings r
USING rec_best b ON r.sid = b.sid
WHEN MATCHED AND b.newer THEN UPDATE SET
    account_sid = b.account_sid, call_sid = b.call_sid, conference_sid = b.conference_sid,
    status = b.status, source = b.source, channels = b.channels, track = b.track,
    duration_s = b.duration_s, start_time = b.start_time, date_created = b.date_created,
    date_updated = b.date_updated, price = b.price, price_unit = b.price_unit,
    error_code = b.error_code, media_url = b.media_url, encrypted = b.encrypted, raw = b.raw,
    last_seen_at = $now, last_seen_in = $source_file, ingest_id = $ingest_id
WHEN MATCHED THEN UPDATE SET last_seen_at = $now, last_seen_in = $source_file
WHEN NOT MATCHED THEN INSERT (sid, account_sid, call_sid, conference_sid, status, source, channels,
    track, duration_s, start_time, date_created, date_updated, price, price_unit, error_code,
    media_url, encrypted, raw, first_seen_at, first_seen_in, last_seen_at, last_seen_in, ingest_id)
VALUES (b.sid, b.account_sid, b.call_sid, b.conference_sid, b.status, b.source, b.channels,
    b.track, b.duration_s, b.start_time, b.date_created, b.date_updated, b.price, b.price_unit,
    b.error_code, b.media_url, b.encrypted, b.raw, $now, $source_file, $now, $source_file, $ingest_id)

-- New deliveries only: the first copy (lowest line) of each delivery_id in this file, and none
-- already stored. Repeats are rare, so the grouped set of repeated ids is small and both
-- filters are anti-joins (no window over every row). rowid - $first_rowid + $first_line is the line number (cb_stage
-- keeps one row per line, in file order).
INSERT INTO callback_deliveries
SELECT s.delivery_id, s.received_at, s.recording_sid, s.account_sid, s.call_sid, s.conference_sid,
       s.status, s.duration_s, s.channels, s.start_time, s.source, s.track, s.error_code,
       s.recording_url, s.idempotency_token, s.http_status, s.signature_valid, s.params,
       $source_file, s.rowid - $first_rowid + $first_line, $ingest_id
FROM cb_stage s
ANTI JOIN (
    SELECT delivery_id, min(rowid) AS first_row
    FROM cb_stage
    WHERE delivery_id IS NOT NULL
    GROUP BY delivery_id
    HAVING count(*) > 1
) r ON r.delivery_id = s.delivery_id AND s.rowid <> r.first_row
-- A delivery id includes its receive time, so only stored deliveries received within this
-- piece's time range (or without a time) can match: zone maps skip the rest of the table.
-- $check_timed / $check_untimed are false when nothing stored (before this file, or from its
-- earlier pieces) can overlap: rows this transaction already appended have no zone maps,
-- and scanning them again for every piece made big files quadratic.
ANTI JOIN (SELECT delivery_id FROM callback_deliveries
           WHERE $check_timed AND received_at BETWEEN $first_received AND $last_received) d
     ON d.delivery_id = s.delivery_id
ANTI JOIN (SELECT delivery_id FROM callback_deliveries WHERE $check_untimed AND received_at IS NULL) u
     ON u.delivery_id = s.delivery_id
WHERE s.delivery_id IS NOT NULL

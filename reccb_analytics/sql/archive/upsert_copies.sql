-- A batch of verified copies (registered as copy_batch); re-verifying a location replaces its
-- row, so there are never duplicates. Batches never hold the same location twice.
INSERT INTO archive_copies (sid, account_sid, location, bytes, sha256, format, channels, plan_hash, verified_at)
SELECT sid, account_sid, location, bytes, sha256, format, channels, plan_hash, verified_at
FROM copy_batch
ON CONFLICT (sid, location) DO UPDATE SET
    account_sid = excluded.account_sid, bytes = excluded.bytes, sha256 = excluded.sha256,
    format = excluded.format, channels = excluded.channels, plan_hash = excluded.plan_hash,
    verified_at = excluded.verified_at;

-- A verified copy; re-verifying the same location replaces its row (no duplicates).
INSERT INTO archive_copies (sid, account_sid, location, bytes, sha256, format, channels, plan_hash, verified_at)
VALUES ($sid, $account_sid, $location, $bytes, $sha256, $format, $channels, $plan_hash, now())
ON CONFLICT (sid, location) DO UPDATE SET
    account_sid = excluded.account_sid, bytes = excluded.bytes, sha256 = excluded.sha256,
    format = excluded.format, channels = excluded.channels, plan_hash = excluded.plan_hash,
    verified_at = excluded.verified_at;

-- Record the accounts a run will sync (lists bound in parallel, one element per account).
INSERT INTO sync_accounts AS s (account_sid, owner_account_sid, friendly_name, status, type,
                                date_created, first_seen_at, last_seen_at)
SELECT unnest($sids::VARCHAR[]), unnest($owners::VARCHAR[]), unnest($names::VARCHAR[]),
       unnest($statuses::VARCHAR[]), unnest($types::VARCHAR[]),
       unnest($created::TIMESTAMPTZ[]), $now, $now
ON CONFLICT (account_sid) DO UPDATE SET
    owner_account_sid = excluded.owner_account_sid, friendly_name = excluded.friendly_name,
    status = excluded.status, type = excluded.type, date_created = excluded.date_created,
    last_seen_at = excluded.last_seen_at

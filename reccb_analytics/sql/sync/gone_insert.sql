-- Recordings that a fetch by SID no longer finds (lists bound in parallel).
INSERT OR REPLACE INTO sync_gone (sid, account_sid, checked_at, run_id)
SELECT unnest($sids::VARCHAR[]), $account_sid, $now, $run_id

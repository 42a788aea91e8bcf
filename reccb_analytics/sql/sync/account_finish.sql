-- An account's part of a run ended: completed (error NULL) or stopped by an error.
UPDATE sync_accounts SET
    last_synced_at = CASE WHEN $error IS NULL THEN $now ELSE last_synced_at END,
    last_run_id = $run_id,
    recordings_listed = CASE WHEN $error IS NULL THEN $listed ELSE recordings_listed END,
    last_error = $error
WHERE account_sid = $account_sid

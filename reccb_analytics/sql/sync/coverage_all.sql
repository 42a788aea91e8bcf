-- Every coverage row of one account, for merging.
SELECT day_from, day_to, listed_at, recordings, run_id
FROM sync_coverage
WHERE account_sid = $account_sid
ORDER BY day_from, listed_at

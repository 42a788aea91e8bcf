-- What is known to be listed for one account.
SELECT day_from, day_to, listed_at
FROM sync_coverage
WHERE account_sid = $account_sid
ORDER BY day_from, listed_at

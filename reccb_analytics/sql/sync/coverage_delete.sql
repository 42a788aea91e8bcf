-- Forget one account's coverage (before writing it back merged).
DELETE FROM sync_coverage WHERE account_sid = $account_sid

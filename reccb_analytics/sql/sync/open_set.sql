-- Recordings of one account not yet final: still recording or processing, or completed without
-- price or duration. They are fetched again by SID until they are final.
SELECT r.sid
FROM recordings r
WHERE r.account_sid = $account_sid
  AND (r.status IN ('in-progress', 'paused', 'stopped', 'processing')
       OR (r.status = 'completed' AND (r.price IS NULL OR r.duration_s IS NULL)))
  AND NOT EXISTS (SELECT 1 FROM sync_gone g WHERE g.sid = r.sid)
ORDER BY r.sid

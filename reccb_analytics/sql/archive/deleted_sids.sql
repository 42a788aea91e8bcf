-- Recordings this toolkit has already deleted (or found deleted): a rerun does not call again.
SELECT DISTINCT sid
FROM deletion_audit
WHERE outcome IN ('deleted', 'already-deleted')
  AND sid IN (SELECT unnest($sids::VARCHAR[]));

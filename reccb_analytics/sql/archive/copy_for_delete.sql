-- The recorded copies of the recordings a delete plan names (checked again before deleting).
SELECT sid, location, bytes, sha256, format
FROM archive_copies
WHERE sid IN (SELECT unnest($sids::VARCHAR[]));

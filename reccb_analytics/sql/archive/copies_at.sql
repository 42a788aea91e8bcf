-- Copies already recorded at the given locations (resuming an apply skips these when intact).
SELECT location, sid, bytes, sha256
FROM archive_copies
WHERE location IN (SELECT unnest($locations::VARCHAR[]));

-- A delivery this file holds more than once (a request logged twice, rotated logs concatenated)
-- keeps its first copy, the one on the lowest line; the others are duplicates. Repeats are
-- rare: candidates are found by grouping 64-bit hashes of the ids (half the time of grouping the
-- ids themselves), then checked on the ids, so a hash collision costs nothing but a look.
DELETE FROM callback_deliveries d
USING (SELECT delivery_id, min(source_line) AS kept_line
       FROM callback_deliveries
       WHERE ingest_id = $ingest_id
         AND hash(delivery_id) IN (SELECT hash(delivery_id)
                                   FROM callback_deliveries
                                   WHERE ingest_id = $ingest_id
                                   GROUP BY ALL
                                   HAVING count(*) > 1)
       GROUP BY delivery_id
       HAVING count(*) > 1) r
WHERE d.ingest_id = $ingest_id AND d.delivery_id = r.delivery_id AND d.source_line <> r.kept_line

-- Deliveries of this file that were stored before it (an overlapping rotated log, the same
-- requests logged again) are duplicates: remove this file's copies. A delivery id contains its
-- receive time, so only stored deliveries received within the file's time range (or without a
-- time) can match, and zone maps skip the rest of the table. The loader runs this only when
-- the file's time range overlaps what was stored before it.
DELETE FROM callback_deliveries
WHERE ingest_id = $ingest_id
  AND delivery_id IN (
      SELECT delivery_id FROM callback_deliveries
      WHERE ingest_id IS DISTINCT FROM $ingest_id
        AND (received_at BETWEEN $first_received AND $last_received
             OR ($check_untimed AND received_at IS NULL)))

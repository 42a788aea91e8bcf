-- Records set aside, with their line (or record) number (one staged row per line, in order; $first_line: where this piece of the file starts)
-- and their reason.
INSERT INTO rejects (ingest_id, source_file, source_line, raw_text, reason)
SELECT $ingest_id, $source_file, rowid - $first_rowid + $first_line, reject_text, reject_reason
FROM rec_stage
WHERE reject_reason IS NOT NULL

-- Records set aside, with their line (or record) number (rowid - $first_rowid + 1: one staged row per line)
-- and their reason.
INSERT INTO rejects (ingest_id, source_file, source_line, raw_text, reason)
SELECT $ingest_id, $source_file, rowid - $first_rowid + 1, reject_text, reject_reason
FROM rec_stage
WHERE reject_reason IS NOT NULL

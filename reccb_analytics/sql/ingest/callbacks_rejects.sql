-- Records set aside, with their line number in the file and their reason.
INSERT INTO rejects (ingest_id, source_file, source_line, raw_text, reason)
SELECT $ingest_id, $source_file, line_no, reject_text, reject_reason
FROM cb_unloaded
WHERE reject_reason IS NOT NULL

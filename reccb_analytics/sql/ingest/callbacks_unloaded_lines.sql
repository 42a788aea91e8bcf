-- (CTE ingest_lines) The piece's lines that callbacks_insert.sql did not load: blank lines, a
-- CSV header, and the records to reject. Usually a handful, so finding their reasons here
-- (the same raw and stage statements once more) costs next to nothing.
SELECT l.line_no, l.line
FROM (SELECT rowid - $first_rowid + $first_line AS line_no, line FROM cb_lines) l
ANTI JOIN (SELECT source_line FROM callback_deliveries
           WHERE ingest_id = $ingest_id AND source_line BETWEEN $first_line AND $last_line) d
     ON d.source_line = l.line_no

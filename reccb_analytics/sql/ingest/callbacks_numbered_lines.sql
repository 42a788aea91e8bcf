-- (CTE ingest_lines) The piece's lines with their line numbers in the file. cb_lines holds the
-- lines in file order (read_lines.sql), so a line's rowid gives its number: numbering them
-- while reading (a window) would serialise the whole pipeline.
SELECT rowid - $first_rowid + $first_line AS line_no, line
FROM cb_lines

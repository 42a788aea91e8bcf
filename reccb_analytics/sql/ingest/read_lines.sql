-- Every physical line of a text file (plain or gzip), in file order. NUL is the column
-- delimiter and quoting is off, so a line is never split or unquoted; blank lines come back as
-- NULL. No line number here: a window would serialise the whole pipeline. Callback logs keep
-- these lines in a table (cb_lines), whose rowid then numbers them; recordings read them as
-- the CTE ingest_lines into a staged table with one row per line, whose rowid does the same.
SELECT line
FROM read_csv($path, columns = {'line': 'VARCHAR'}, header = false, delim = $nul,
              quote = '', escape = '', auto_detect = false, strict_mode = false,
              max_line_size = $max_line_bytes, buffer_size = $buffer_bytes,
              compression = $compression)

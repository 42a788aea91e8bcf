-- How many threads DuckDB uses on this connection (restored after a sync).
SELECT current_setting('threads')

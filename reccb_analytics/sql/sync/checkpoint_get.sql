-- How much write-ahead log DuckDB lets grow before it checkpoints (restored after a sync).
SELECT current_setting('checkpoint_threshold')

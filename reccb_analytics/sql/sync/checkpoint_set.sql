-- Let the write-ahead log grow to $threshold (e.g. '256 MiB') before DuckDB checkpoints.
SET checkpoint_threshold = $threshold

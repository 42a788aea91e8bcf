-- DuckDB's threads for this connection's queries.
SET threads = $threads

-- A new sync run; returns its id.
INSERT INTO sync_runs (run_id, started_at, status, since, until, accounts)
VALUES (nextval('sync_run_id_seq'), $started_at, 'running', $since, $until, $accounts)
RETURNING run_id

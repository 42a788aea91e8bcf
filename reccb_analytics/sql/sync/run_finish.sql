-- Close a run with its outcome.
UPDATE sync_runs SET finished_at = $finished_at, status = $status, message = $message
WHERE run_id = $run_id

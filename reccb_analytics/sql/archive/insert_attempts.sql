-- A batch of per-recording outcomes (registered as attempt_batch).
INSERT INTO archive_attempts (attempted_at, plan_hash, phase, account_sid, sid, outcome, reason,
                              http_status, location, bytes)
SELECT attempted_at, plan_hash, phase, account_sid, sid, outcome, reason, http_status, location, bytes
FROM attempt_batch;

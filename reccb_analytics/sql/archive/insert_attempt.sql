INSERT INTO archive_attempts (attempted_at, plan_hash, phase, account_sid, sid, outcome, reason,
                              http_status, location, bytes)
VALUES (now(), $plan_hash, $phase, $account_sid, $sid, $outcome, $reason, $http_status, $location, $bytes);

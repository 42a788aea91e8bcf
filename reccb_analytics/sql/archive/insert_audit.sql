INSERT INTO deletion_audit (audited_at, plan_hash, account_sid, sid, outcome, http_status, response)
VALUES (now(), $plan_hash, $account_sid, $sid, $outcome, $http_status, $response);

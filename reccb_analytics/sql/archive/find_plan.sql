-- The plan a file claims to be: by its hash, else (to explain a refusal) the last plan written
-- to the same path.
SELECT plan_hash, kind, path, recordings, created_at::VARCHAR AS created_at,
       (plan_hash = $plan_hash) AS exact, legal_hold
FROM archive_plans
WHERE plan_hash = $plan_hash OR path = $path
ORDER BY exact DESC, created_at DESC
LIMIT 1;

-- Rows of an archive or delete plan: the chosen candidates (registered as plan_candidates) with
-- what apply needs from the store: duration and channels to check a WAV copy against.
SELECT
    c.sid,
    c.account_sid,
    c.action,
    c.reason,
    CAST(c.age_days AS INTEGER)          AS age_days,
    r.duration_s,
    r.channels,
    CAST(c.stored_minutes AS BIGINT)     AS stored_minutes,
    CAST(c.monthly_saving AS DOUBLE)     AS monthly_saving
FROM plan_candidates AS c
LEFT JOIN recordings AS r USING (sid)
WHERE c.action = $action
ORDER BY c.account_sid, c.sid;

-- One row per recording with media (outcome completed): its account, stored minutes, the UTC
-- day it was created and the UTC day it was deleted (NULL while it exists). Included by the
-- storage and forecast queries. A recording is stored on UTC day d when
-- created_day <= d < deleted_day; a deletion before creation is moved to the creation day, so
-- such a recording is never counted.
SELECT
    account_sid,
    stored_minutes                                               AS minutes,
    CAST(created_at AS DATE)                                     AS created_day,
    CASE WHEN deleted_at IS NOT NULL
         THEN greatest(CAST(deleted_at AS DATE), CAST(created_at AS DATE)) END AS deleted_day
FROM (
    {{_recording_outcomes}}
)
WHERE outcome = 'completed' AND created_at IS NOT NULL AND stored_minutes > 0

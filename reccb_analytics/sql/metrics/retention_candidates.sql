-- retention_candidates: every recording stored at Twilio on $as_of with its action.
-- Parameters: those of _retention_classified, plus $rate (price per stored minute per month).
-- The reason is returned as a small code and turned into text in Python (retention.py): a
-- million distinct strings cost more to hand to pandas than the whole query.
SELECT
    sid,
    account_sid,
    action,
    CASE
        WHEN action = 'hold' AND held_by_sid THEN 0
        WHEN action = 'hold' THEN 1
        WHEN action = 'delete' AND verified_copy THEN 2
        WHEN action = 'delete' THEN 3
        WHEN action = 'archive' AND age_days < $delete_after THEN 4
        WHEN action = 'archive' THEN 5
        WHEN verified_copy THEN 6
        ELSE 7
    END                                              AS reason_code,
    age_days,
    stored_minutes,
    CAST(stored_minutes * $rate AS DOUBLE)           AS monthly_saving,
    verified_copy
FROM ({{_retention_classified}})
ORDER BY CASE action WHEN 'delete' THEN 1 WHEN 'archive' THEN 2 WHEN 'hold' THEN 3 ELSE 4 END,
         age_days DESC, sid

-- Call SIDs of the recordings a delete plan names (a legal hold may list either SID).
SELECT sid, call_sid
FROM recordings
WHERE sid IN (SELECT unnest($sids::VARCHAR[])) AND call_sid IS NOT NULL;

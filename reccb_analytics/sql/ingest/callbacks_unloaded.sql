-- (final SELECT of cb_unloaded) What each line the insert did not load is: a line that is not a
-- record (skip) or a reject with its reason.
SELECT line_no, skip, reject_reason, reject_text
FROM cb_stage

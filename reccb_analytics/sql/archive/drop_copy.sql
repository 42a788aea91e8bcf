-- A copy that exists but no longer matches what was verified is no longer a verified copy.
DELETE FROM archive_copies WHERE sid = $sid AND location = $location;

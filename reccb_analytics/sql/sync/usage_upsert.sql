-- Usage Records as the API returned them ($records: one JSON object per element); a record
-- fetched again (same account, category and period) replaces the stored one.
INSERT OR REPLACE INTO usage_records
SELECT account_sid, category, start_date, end_date, usage, usage_unit, count, count_unit,
       price, price_unit, raw, $fetched_at
FROM (
    SELECT json_extract_string(j, '$.account_sid') AS account_sid,
           json_extract_string(j, '$.category') AS category,
           CAST(json_extract_string(j, '$.start_date') AS DATE) AS start_date,
           CAST(json_extract_string(j, '$.end_date') AS DATE) AS end_date,
           TRY_CAST(json_extract_string(j, '$.usage') AS DECIMAL(18, 6)) AS usage,
           json_extract_string(j, '$.usage_unit') AS usage_unit,
           TRY_CAST(json_extract_string(j, '$.count') AS DECIMAL(18, 6)) AS count,
           json_extract_string(j, '$.count_unit') AS count_unit,
           TRY_CAST(json_extract_string(j, '$.price') AS DECIMAL(18, 6)) AS price,
           json_extract_string(j, '$.price_unit') AS price_unit,
           j AS raw
    FROM (SELECT unnest($records::JSON[]) AS j)
)
WHERE account_sid IS NOT NULL AND category IS NOT NULL
  AND start_date IS NOT NULL AND end_date IS NOT NULL
QUALIFY row_number() OVER (PARTITION BY account_sid, category, start_date, end_date) = 1

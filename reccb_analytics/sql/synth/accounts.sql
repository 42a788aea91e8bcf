-- The parent account (acct_idx 0) and its subaccounts, with their share of the traffic.
-- Voice Recording Encryption is on for one account only: the first subaccount (the parent when
-- there are no subaccounts); only its recordings carry encryption_details and can fail.
CREATE OR REPLACE TABLE syn_accounts AS
WITH a AS (
    SELECT a::INTEGER AS acct_idx FROM range(0, $nsub + 1) t(a)
), w AS (
    SELECT acct_idx,
           CASE WHEN $nsub = 0 THEN 1.0
                WHEN acct_idx = 0 THEN 0.4
                -- subaccounts share the rest unevenly (1, 1/2, 1/3, ...), as real tenants do
                ELSE 0.6 * (1.0 / acct_idx) / (SELECT sum(1.0 / acct_idx) FROM a WHERE acct_idx > 0)
           END AS weight
    FROM a
)
SELECT acct_idx,
       'AC' || syn_hex($seed, 'AC', acct_idx) AS account_sid,
       acct_idx = 0 AS is_parent,
       acct_idx = least($nsub, 1) AS encrypted,
       'CR' || syn_hex($seed, 'CR', acct_idx) AS enc_key_sid,
       weight,
       sum(weight) OVER (ORDER BY acct_idx) - weight AS lo,
       -- the last bound is 2 so that float rounding can never leave a draw without an account
       CASE WHEN acct_idx = $nsub THEN 2.0 ELSE sum(weight) OVER (ORDER BY acct_idx) END AS hi,
       -- the account's local time zone (hours from UTC), for business-hours traffic
       [-5, -8, 1, -6, 0, 10][acct_idx % 6 + 1] AS tz_h,
       'https://voice.example.com/twilio/recording-status'
           || CASE WHEN acct_idx = 0 THEN '' ELSE '?tenant=sub' || acct_idx END AS callback_url
FROM w;

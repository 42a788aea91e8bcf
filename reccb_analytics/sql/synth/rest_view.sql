-- Recording resources as the exports show them: one row per planned metadata line (records,
-- CSV/TSV headers, array brackets), with the state the recording had in that export, and its
-- text in each shape (REST snake_case JSON, Twilio CLI camelCase JSON, CSV, TSV).
CREATE OR REPLACE VIEW syn_rest_state AS
SELECT p.fmt, p.chunk, p.page, p.section, p.pos, p.sub, p.kind, p.reason, p.is_last, p.state,
       r.i, r.sid, r.account_sid, r.call_sid, r.conference_sid, r.channels, r.source, r.off_min,
       r.start_ts, a.encrypted, a.enc_key_sid,
       CASE WHEN p.state = 'current' THEN CASE WHEN r.deleted THEN 'deleted' ELSE r.outcome END
            WHEN r.deleted THEN 'completed' ELSE 'in-progress' END AS status,
       CASE WHEN p.state = 'current' THEN coalesce(r.del_ts, r.done_at)
            WHEN r.deleted THEN r.done_at ELSE r.start_ts END AS updated_ts,
       CASE WHEN p.state = 'older' AND NOT r.deleted THEN NULL ELSE r.dur::VARCHAR END AS duration,
       -- the one-time recording charge, negative, per started minute; null until known and
       -- for recordings that produced no file
       CASE WHEN (p.state = 'older' AND NOT r.deleted) OR r.outcome <> 'completed' THEN NULL
            ELSE printf('%.5f', -0.0025 * ceil(r.dur / 60)) END AS price,
       CASE WHEN p.state = 'older' AND NOT r.deleted THEN NULL ELSE r.error_code END AS error_code,
       '/2010-04-01/Accounts/' || r.account_sid || '/Recordings/' || r.sid AS path_base
FROM syn_meta_plan p
LEFT JOIN syn_rec r USING (i)
LEFT JOIN syn_accounts a ON a.acct_idx = r.acct_idx;

-- The lines of one export file (fmt_, chunk_; for the API pages also a page range), sorted
-- while still narrow, with their texts built after the sort. Only the text a writer selects is
-- ever computed. Values are written without JSON escaping where they never need it (SIDs,
-- enum words, digits, URLs, dates): syn_q.
CREATE OR REPLACE MACRO syn_rest_text(fmt_, chunk_, first_page, last_page) AS TABLE
WITH sorted AS (
    SELECT * FROM syn_rest_state
    WHERE fmt = fmt_ AND chunk = chunk_ AND (page IS NULL OR page BETWEEN first_page AND last_page)
    ORDER BY section, pos, sub
), s AS (
    SELECT *,
           CASE WHEN encrypted THEN
               {'encryption_public_key_sid': enc_key_sid,
                -- an RSA-2048-sized wrapped key and a 12-byte IV, derived from the SID
                'encryption_cek': to_base64(unhex(array_to_string(list_transform(range(8),
                                      lambda k: sha256(sid || ':cek:' || k)), ''))),
                'encryption_iv': to_base64(unhex(left(md5(sid || ':iv'), 24)))}
           END AS enc,
           'https://api.twilio.com' || path_base AS media_url,
           path_base || '.json' AS uri,
           path_base || '/AddOnResults.json' AS add_on_results,
           path_base || '/Transcriptions.json' AS transcriptions
    FROM sorted
)
SELECT *,
       -- the REST API's own JSON: snake_case, RFC 2822 dates, duration and price as strings.
       -- (concat(), not a chain of ||: each || copies the whole string built so far.)
       concat('{"account_sid": ', syn_q(account_sid), ', "api_version": "2010-04-01"',
              ', "call_sid": ', syn_q(call_sid), ', "conference_sid": ', syn_q(conference_sid),
              ', "channels": ', channels,
              ', "date_created": ', syn_q(syn_rfc2822(start_ts, off_min)),
              ', "date_updated": ', syn_q(syn_rfc2822(updated_ts, off_min)),
              ', "start_time": ', syn_q(syn_rfc2822(start_ts, off_min)),
              ', "price": ', syn_q(price), ', "price_unit": "USD", "duration": ', syn_q(duration),
              ', "sid": ', syn_q(sid), ', "source": ', syn_q(source), ', "status": ', syn_q(status),
              ', "error_code": ', coalesce(error_code::VARCHAR, 'null'), ', "uri": ', syn_q(uri),
              ', "subresource_uris": {"add_on_results": ', syn_q(add_on_results),
              ', "transcriptions": ', syn_q(transcriptions), '}, "encryption_details": ',
              CASE WHEN enc IS NULL THEN 'null'
                   ELSE concat('{"encryption_public_key_sid": ', syn_q(enc.encryption_public_key_sid),
                               ', "encryption_cek": ', syn_q(enc.encryption_cek),
                               ', "encryption_iv": ', syn_q(enc.encryption_iv), '}') END,
              ', "media_url": ', syn_q(media_url), '}') AS snake_json,
       -- `twilio api:core:recordings:list -o json`: the Node SDK's camelCase properties,
       -- ISO-8601 dates, printed with JSON.stringify(..., null, 2) inside the array
       concat('  {', chr(10),
              '    "accountSid": ', syn_q(account_sid), ',', chr(10),
              '    "apiVersion": "2010-04-01",', chr(10),
              '    "callSid": ', syn_q(call_sid), ',', chr(10),
              '    "conferenceSid": ', syn_q(conference_sid), ',', chr(10),
              '    "dateCreated": ', syn_q(syn_iso(start_ts, 0)), ',', chr(10),
              '    "dateUpdated": ', syn_q(syn_iso(updated_ts, 0)), ',', chr(10),
              '    "startTime": ', syn_q(syn_iso(start_ts, 0)), ',', chr(10),
              '    "duration": ', syn_q(duration), ',', chr(10),
              '    "sid": ', syn_q(sid), ',', chr(10),
              '    "price": ', syn_q(price), ',', chr(10),
              '    "priceUnit": "USD",', chr(10),
              '    "status": ', syn_q(status), ',', chr(10),
              '    "channels": ', channels, ',', chr(10),
              '    "source": ', syn_q(source), ',', chr(10),
              '    "errorCode": ', coalesce(error_code::VARCHAR, 'null'), ',', chr(10),
              '    "uri": ', syn_q(uri), ',', chr(10),
              '    "encryptionDetails": ',
              CASE WHEN enc IS NULL THEN 'null'
                   ELSE concat('{', chr(10),
                               '      "encryption_public_key_sid": ', syn_q(enc.encryption_public_key_sid), ',', chr(10),
                               '      "encryption_cek": ', syn_q(enc.encryption_cek), ',', chr(10),
                               '      "encryption_iv": ', syn_q(enc.encryption_iv), chr(10),
                               '    }') END,
              ',', chr(10),
              '    "subresourceUris": {', chr(10),
              '      "add_on_results": ', syn_q(add_on_results), ',', chr(10),
              '      "transcriptions": ', syn_q(transcriptions), chr(10),
              '    },', chr(10),
              '    "mediaUrl": ', syn_q(media_url), chr(10),
              '  }') AS cli_json,
       -- CSV: the dates (a comma) and the JSON text are quoted, nothing else ever needs it
       concat_ws(',', sid, account_sid, coalesce(call_sid, ''), coalesce(conference_sid, ''),
                 '"' || syn_rfc2822(start_ts, off_min) || '"', '"' || syn_rfc2822(updated_ts, off_min) || '"',
                 '"' || syn_rfc2822(start_ts, off_min) || '"', coalesce(duration, ''), coalesce(price, ''), 'USD',
                 status, channels::VARCHAR, source, coalesce(error_code::VARCHAR, ''), uri, media_url,
                 CASE WHEN enc IS NULL THEN '' ELSE '"' || replace(to_json(enc)::VARCHAR, '"', '""') || '"' END) AS csv_row,
       array_to_string([
           sid, account_sid, coalesce(call_sid, ''), coalesce(conference_sid, ''),
           syn_iso(start_ts, 0), syn_iso(updated_ts, 0), syn_iso(start_ts, 0),
           coalesce(duration, ''), coalesce(price, ''), 'USD', status, channels::VARCHAR, source,
           coalesce(error_code::VARCHAR, ''), uri, media_url,
           coalesce(CASE WHEN enc IS NOT NULL THEN to_json(enc)::VARCHAR END, '')], chr(9)) AS tsv_row
FROM s;

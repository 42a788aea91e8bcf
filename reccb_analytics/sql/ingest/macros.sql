-- Helpers shared by the ingest statements (temporary: they live as long as the connection).
-- The reason a line over the record size limit is rejected.
CREATE OR REPLACE TEMP MACRO reccb_too_long(line, limit_chars) AS
    'line is ' || length(line) || ' characters long (limit ' || limit_chars || ')';
-- Lines of JSON (the NDJSON readers). JSON's blanks are space, tab and CR: a line of them is
-- blank, and an object may follow them. Whole-line functions (trim and ltrim copy the line,
-- length() counts its characters) cost as much as the JSON parse on lines of 1 KB, so each
-- runs only when a cheap test (starts with '{'; byte length within the limit, never fewer
-- bytes than characters) cannot decide. CASE, not OR, says so: with OR the whole-line side ran
-- for every line (staging 40% longer).
CREATE OR REPLACE TEMP MACRO reccb_blank_line(line) AS
    CASE WHEN line IS NULL THEN true WHEN starts_with(line, '{') THEN false
         ELSE trim(line, ' ' || chr(9) || chr(13)) = '' END;
CREATE OR REPLACE TEMP MACRO reccb_fits(line, limit_chars) AS
    CASE WHEN strlen(line) <= limit_chars THEN true ELSE length(line) <= limit_chars END;
CREATE OR REPLACE TEMP MACRO reccb_starts_object(line) AS
    CASE WHEN starts_with(line, '{') THEN true
         ELSE starts_with(ltrim(line, ' ' || chr(9) || chr(13)), '{') END;
-- Form-encoded bodies (application/x-www-form-urlencoded): the name=value items of a body,
-- empty ones dropped; each item's name and its value (everything after the first '=', '' when
-- there is none), decoded. Names and values stay two lists: a MAP (unique keys checked per
-- row) and to_json of it cost four times as much as building the JSON text below.
CREATE OR REPLACE TEMP MACRO reccb_form_items(body) AS
    list_filter(string_split(body, '&'), lambda kv: kv <> '');
-- '+' is a space and %XX a byte. NULL when the decoded bytes are not UTF-8: url_decode raises
-- an error for them, which would stop the whole file instead of rejecting the one line. The
-- SIDs, statuses and numbers that make up most of Twilio's bodies need no decoding.
CREATE OR REPLACE TEMP MACRO reccb_form_decode(s) AS
    CASE WHEN contains(s, '%') OR contains(s, '+') THEN try(url_decode(replace(s, '+', ' '))) ELSE s END;
CREATE OR REPLACE TEMP MACRO reccb_form_names(items) AS
    list_transform(items, lambda kv: reccb_form_decode(split_part(kv, '=', 1)));
CREATE OR REPLACE TEMP MACRO reccb_form_values(items) AS
    list_transform(items, lambda kv: reccb_form_decode(CASE WHEN contains(kv, '=')
                                                            THEN substr(kv, strpos(kv, '=') + 1) ELSE '' END));
-- Why decoded names and values are no set of request parameters; NULL when they are one (a
-- repeated name is rejected, not guessed at).
CREATE OR REPLACE TEMP MACRO reccb_pairs_problem(names, vals) AS
    CASE WHEN list_count(names) < len(names) OR list_count(vals) < len(vals)
             THEN 'a parameter is not valid percent-encoded UTF-8'
         WHEN len(list_distinct(names)) < len(names) THEN 'a parameter name appears more than once' END;
-- Names and text values (NULL values left out) as the JSON object of the request's parameters,
-- in their order: the same text to_json gives for a MAP of them.
CREATE OR REPLACE TEMP MACRO reccb_pairs_json(names, vals) AS
    CAST('{' || array_to_string(list_transform(names, lambda k, i:
                                    CASE WHEN vals[i] IS NOT NULL THEN to_json(k) || ':' || to_json(vals[i]) END),
                                ',') || '}' AS JSON);
-- A whole body as JSON parameters (envelope logs whose body is the raw form string); NULL when
-- reccb_form_problem says why not.
CREATE OR REPLACE TEMP MACRO reccb_form_to_json(body) AS
    list_transform([reccb_form_items(body)], lambda items:
        list_transform([{'n': reccb_form_names(items), 'v': reccb_form_values(items)}], lambda nv:
            CASE WHEN reccb_pairs_problem(nv.n, nv.v) IS NULL THEN reccb_pairs_json(nv.n, nv.v) END)[1])[1];
CREATE OR REPLACE TEMP MACRO reccb_form_problem(body) AS
    list_transform([reccb_form_items(body)], lambda items:
        reccb_pairs_problem(reccb_form_names(items), reccb_form_values(items)))[1];
CREATE OR REPLACE TEMP MACRO reccb_header(headers, name) AS
    list_filter(map_entries(json_transform(headers, '"MAP(VARCHAR, VARCHAR)"')),
                lambda e: lower(e.key) = name)[1].value;
-- An exact instant from RFC 2822 (Twilio REST and callbacks; the offset is honoured), ISO-8601
-- (a value without an offset is taken as UTC), or Unix epoch seconds. COALESCE evaluates
-- lazily, so the common form is tried first: RFC 2822 for Twilio's own fields...
-- The fallback trims the value once, inside a lambda: written out, trim(s) would appear several
-- times, and DuckDB's common-subexpression pass would compute it for every row, needed or not.
CREATE OR REPLACE TEMP MACRO reccb_instant_fallback(s) AS
    list_transform([trim(s)], lambda t:
        coalesce(try_strptime(t, '%a, %d %b %Y %H:%M:%S %z'),
                 try_strptime(t, '%d %b %Y %H:%M:%S %z'),
                 try_cast(t AS TIMESTAMPTZ),
                 CASE WHEN regexp_full_match(t, '[0-9]{9,10}(\.[0-9]+)?')
                      THEN to_timestamp(CAST(t AS DOUBLE))
                      -- epoch milliseconds, as JavaScript loggers write them
                      WHEN regexp_full_match(t, '[0-9]{12,13}')
                      THEN to_timestamp(CAST(t AS DOUBLE) / 1000) END))[1];
CREATE OR REPLACE TEMP MACRO reccb_instant(s) AS
    coalesce(try_strptime(s, '%a, %d %b %Y %H:%M:%S %z'),
             try_cast(s AS TIMESTAMPTZ),
             reccb_instant_fallback(s));
-- ...and ISO-8601 for receive times written by users' loggers.
CREATE OR REPLACE TEMP MACRO reccb_instant_iso(s) AS
    coalesce(try_cast(s AS TIMESTAMPTZ),
             try_strptime(s, '%a, %d %b %Y %H:%M:%S %z'),
             reccb_instant_fallback(s));
-- The Recording Status Callback parameters, typed as text, from a JSON object of parameters.
CREATE OR REPLACE TEMP MACRO reccb_twilio_params(j) AS
    json_transform(j, '{"AccountSid":"VARCHAR","CallSid":"VARCHAR","ConferenceSid":"VARCHAR",
        "RecordingSid":"VARCHAR","RecordingUrl":"VARCHAR","RecordingStatus":"VARCHAR",
        "RecordingDuration":"VARCHAR","RecordingChannels":"VARCHAR","RecordingStartTime":"VARCHAR",
        "RecordingSource":"VARCHAR","RecordingTrack":"VARCHAR","ErrorCode":"VARCHAR",
        "CallStatus":"VARCHAR"}');
-- The same, from parameter names and their values (form bodies, CSV rows): a lookup in the
-- names list instead of writing the JSON object and parsing it again.
CREATE OR REPLACE TEMP MACRO reccb_twilio_params_of(names, vals) AS
    {'AccountSid': vals[list_position(names, 'AccountSid')], 'CallSid': vals[list_position(names, 'CallSid')],
     'ConferenceSid': vals[list_position(names, 'ConferenceSid')],
     'RecordingSid': vals[list_position(names, 'RecordingSid')],
     'RecordingUrl': vals[list_position(names, 'RecordingUrl')],
     'RecordingStatus': vals[list_position(names, 'RecordingStatus')],
     'RecordingDuration': vals[list_position(names, 'RecordingDuration')],
     'RecordingChannels': vals[list_position(names, 'RecordingChannels')],
     'RecordingStartTime': vals[list_position(names, 'RecordingStartTime')],
     'RecordingSource': vals[list_position(names, 'RecordingSource')],
     'RecordingTrack': vals[list_position(names, 'RecordingTrack')],
     'ErrorCode': vals[list_position(names, 'ErrorCode')], 'CallStatus': vals[list_position(names, 'CallStatus')]};
-- The known parameters in a fixed order, NULL marked, for delivery ids.
CREATE OR REPLACE TEMP MACRO reccb_params_fingerprint(p) AS
    concat_ws(chr(31), coalesce(p.AccountSid, chr(0)), coalesce(p.CallSid, chr(0)),
              coalesce(p.ConferenceSid, chr(0)), coalesce(p.RecordingSid, chr(0)),
              coalesce(p.RecordingUrl, chr(0)), coalesce(p.RecordingStatus, chr(0)),
              coalesce(p.RecordingDuration, chr(0)), coalesce(p.RecordingChannels, chr(0)),
              coalesce(p.RecordingStartTime, chr(0)), coalesce(p.RecordingSource, chr(0)),
              coalesce(p.RecordingTrack, chr(0)), coalesce(p.ErrorCode, chr(0)),
              coalesce(p.CallStatus, chr(0)));
-- CSV fields honour double quotes ("" inside quotes is a quote); TSV, as the Twilio CLI writes
-- it, has no quoting: a tab always separates. A line with no quote splits at every separator.
-- A line with quotes is split at its quotes (reccb_csv_parts; NULL when string_split does):
-- the odd parts lie outside quotes, the even ones inside. Well quoted means an even number of
-- quotes, each opening quote at the start of a field, each closing one at its end (an empty
-- outside part between two inside ones is a "" escape). The fields are then the inside parts as
-- they are, the escapes as '"', and the outside parts cut at their separators. A regex over
-- the line did the same at a hundred times the cost.
CREATE OR REPLACE TEMP MACRO reccb_csv_parts(line, sep) AS
    CASE WHEN sep <> chr(9) AND contains(line, '"') THEN string_split(line, '"') END;
CREATE OR REPLACE TEMP MACRO reccb_csv_well_quoted(parts, sep) AS
    parts IS NULL
    OR (len(parts) % 2 = 1
        AND list_bool_and(list_transform(parts, lambda s, i:
                CASE WHEN i % 2 = 0 THEN true
                     WHEN i = 1 THEN s = '' OR ends_with(s, sep)
                     WHEN i = len(parts) THEN s = '' OR starts_with(s, sep)
                     ELSE s = '' OR (starts_with(s, sep) AND ends_with(s, sep)) END)));
CREATE OR REPLACE TEMP MACRO reccb_csv_fields(line, sep, parts) AS
    CASE WHEN parts IS NULL THEN string_split(line, sep)
         ELSE string_split(array_to_string(list_transform(parts, lambda s, i:
                  CASE WHEN i % 2 = 0 THEN s
                       WHEN s = '' AND i > 1 AND i < len(parts) THEN '"'
                       ELSE replace(s, sep, chr(0)) END), ''), chr(0)) END;
-- The Recording fields either naming uses (the API's snake_case, the Twilio CLI's camelCase),
-- as text, from a JSON object.
CREATE OR REPLACE TEMP MACRO reccb_recording_fields(j) AS
    json_transform(j, '{"sid":"VARCHAR","account_sid":"VARCHAR","accountSid":"VARCHAR",
               "call_sid":"VARCHAR","callSid":"VARCHAR","conference_sid":"VARCHAR","conferenceSid":"VARCHAR",
               "status":"VARCHAR","source":"VARCHAR","channels":"VARCHAR","track":"VARCHAR",
               "duration":"VARCHAR","start_time":"VARCHAR","startTime":"VARCHAR",
               "date_created":"VARCHAR","dateCreated":"VARCHAR","date_updated":"VARCHAR","dateUpdated":"VARCHAR",
               "price":"VARCHAR","price_unit":"VARCHAR","priceUnit":"VARCHAR",
               "error_code":"VARCHAR","errorCode":"VARCHAR","media_url":"VARCHAR","mediaUrl":"VARCHAR",
               "uri":"VARCHAR","encryption_details":"JSON","encryptionDetails":"JSON",
               "encrypted":"VARCHAR"}');
-- Keep this one last: the loader probes it to know that every macro above exists.
-- Where a recording was seen (first_seen_in/last_seen_in): the file, or 'api:<AccountSid>' of
-- the account listed; for a sync load of several accounts (per_account), each recording's own.
CREATE OR REPLACE TEMP MACRO reccb_seen_in(account_sid, per_account, source_file) AS
    CASE WHEN per_account THEN coalesce('api:' || account_sid, source_file) ELSE source_file END;

-- Pages $first_page..$last_page of account $acct_idx's List API export: one JSON document per
-- page, as GET /2010-04-01/Accounts/{AccountSid}/Recordings.json returns it. The writer copies
-- this with PARTITION_BY (acct_idx, page), one small file per page, then moves each to its
-- path. A batch of pages at a time: string_agg holds its groups in memory.
WITH objs AS (
    SELECT chunk AS acct_idx, page, string_agg(snake_json, ', ' ORDER BY pos) AS items
    FROM syn_rest_text('pages', $acct_idx, $first_page, $last_page)
    GROUP BY chunk, page
), pg AS (
    SELECT p.*, o.items,
           '/2010-04-01/Accounts/' || p.account_sid || '/Recordings.json?IncludeSoftDeleted=true&PageSize='
               || $page_size::VARCHAR AS list_uri
    FROM syn_pages p JOIN objs o USING (acct_idx, page)
)
SELECT acct_idx, page,
       -- one concat() call: chained || would copy the megabyte-sized item list once per operator
       concat('{"recordings": [', items, '], "page": ', page, ', "page_size": ', $page_size,
              ', "start": ', first_pos, ', "end": ', last_pos,
              ', "uri": ', syn_js(list_uri || '&Page=' || page::VARCHAR
                                  || CASE WHEN page > 0 THEN '&PageToken=PA' || prev_last_sid ELSE '' END),
              ', "first_page_uri": ', syn_js(list_uri || '&Page=0'),
              ', "next_page_uri": ', CASE WHEN is_last_page THEN 'null'
                                          ELSE syn_js(list_uri || '&Page=' || (page + 1)::VARCHAR || '&PageToken=PA' || last_sid) END,
              ', "previous_page_uri": ', CASE WHEN page = 0 THEN 'null'
                                              ELSE syn_js(list_uri || '&Page=' || (page - 1)::VARCHAR || '&PageToken=PB' || first_sid) END,
              '}') AS text
FROM pg

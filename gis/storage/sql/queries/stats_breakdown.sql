-- Cases per source channel and category class in a window (五情 and class mix of the briefing).
SELECT c.source_channel, left(c.category_code, 2) AS class_code, count(*)::bigint
FROM cases c
WHERE c.created_at >= %s AND c.created_at < %s AND {filters} AND {region}
GROUP BY 1, 2

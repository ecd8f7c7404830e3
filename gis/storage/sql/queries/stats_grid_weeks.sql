-- Cases per stored grid code and week (0 = the week starting at the first parameter), filtered.
SELECT c.grid_code, floor(extract(epoch FROM c.created_at - %s) / 604800)::int AS week, count(*)::bigint
FROM cases c
WHERE c.created_at >= %s AND c.created_at < %s AND {filters} AND {region}
GROUP BY 1, 2

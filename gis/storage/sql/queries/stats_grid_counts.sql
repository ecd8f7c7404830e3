-- Cases per stored grid code (no spatial join: the grid was found at intake), filtered.
SELECT c.grid_code, count(*)::bigint
FROM cases c
WHERE c.created_at >= %s AND c.created_at < %s AND {filters} AND {region}
GROUP BY c.grid_code

-- Located points of the filtered cases (for H3 cells and the heat map); cases given by grid code only are left out.
SELECT c.lon, c.lat
FROM cases c
WHERE c.lon IS NOT NULL AND c.created_at >= %s AND c.created_at < %s AND {filters} AND {region}
LIMIT %s

-- Every area of a generation: code, name, tier, parent code, population, area (m2) and WKB geometry.
SELECT a.code, a.name, a.tier, p.code, coalesce(a.population, 0)::float8, a.area_m2, ST_AsBinary(a.geom)
FROM areas a LEFT JOIN areas p ON p.id = a.parent_id
WHERE a.generation_id = %s
ORDER BY a.tier, a.code

-- The overdue and warning board: pending cases with a yellow/red warning or past their due time.
SELECT c.id, c.case_no, c.title, c.category_code, c.town_code, c.village_code, c.grid_code, c.handling_tier,
       c.handling_unit, c.status, c.warning_level, c.created_at, c.due_at, (c.due_at <= %s) AS overdue,
       (SELECT count(*) FROM case_supervisions s WHERE s.case_id = c.id)::int AS supervisions,
       count(*) OVER ()::bigint AS total
FROM cases c
WHERE c.status = ANY(%s) AND (c.warning_level IN ('yellow', 'red') OR c.due_at <= %s) AND {filters} AND {region}
ORDER BY c.due_at, c.id
LIMIT %s OFFSET %s

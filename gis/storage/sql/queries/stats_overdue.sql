-- The overdue and warning board: pending cases with a yellow/red warning or overdue (fq_is_overdue, schema 126).
-- Parameters: the instant, the workflow's states before resolution (twice), filters, region, limit, offset.
SELECT c.id, c.case_no, c.title, c.category_code, c.town_code, c.village_code, c.grid_code, c.handling_tier,
       c.handling_unit, c.status, c.warning_level, c.created_at, c.due_at, c.overdue,
       (SELECT count(*) FROM case_supervisions s WHERE s.case_id = c.id)::int AS supervisions,
       count(*) OVER ()::bigint AS total,
       count(*) FILTER (WHERE c.overdue) OVER ()::bigint AS overdue_total
FROM (SELECT c.*, fq_is_overdue(c.status, c.due_at, %s, %s) AS overdue
      FROM cases c WHERE c.status = ANY(%s) AND {filters} AND {region}) c
WHERE c.warning_level IN ('yellow', 'red') OR c.overdue
ORDER BY c.due_at, c.id
LIMIT %s OFFSET %s

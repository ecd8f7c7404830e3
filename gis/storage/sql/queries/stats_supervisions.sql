-- Supervision records (督办) with their case, newest first.
SELECT s.id, s.level, s.reason, s.handling_tier, s.at, c.id AS case_id, c.case_no, c.title, c.category_code,
       c.town_code, c.village_code, c.status, c.due_at, c.handling_unit, count(*) OVER ()::bigint AS total
FROM case_supervisions s JOIN cases c ON c.id = s.case_id
WHERE {filters} AND {region}
ORDER BY s.at DESC, s.id DESC
LIMIT %s OFFSET %s

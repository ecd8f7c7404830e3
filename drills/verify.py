"""After a drill: are the acknowledged cases there, whole and once; is the cluster's storage sound."""

from __future__ import annotations

import subprocess
from dataclasses import dataclass, field

import psycopg

from drills.cluster import DrillCluster


@dataclass
class Verdict:
    """What the database holds of the drill's cases."""

    acknowledged: int
    present: int
    missing: list[str] = field(default_factory=list)
    duplicated: list[str] = field(default_factory=list)
    wrong_id: list[str] = field(default_factory=list)
    without_transition: list[int] = field(default_factory=list)
    without_audit: list[int] = field(default_factory=list)
    stored: int = 0

    @property
    def ok(self) -> bool:
        """Every acknowledged case present, none twice, none half-written."""
        return not (self.missing or self.duplicated or self.wrong_id or self.without_transition
                    or self.without_audit)

    def figures(self) -> dict[str, object]:
        """The numbers a drill prints."""
        return {"acknowledged": self.acknowledged, "present": self.present, "stored_drill_cases": self.stored,
                "missing": len(self.missing), "duplicated": len(self.duplicated), "wrong_id": len(self.wrong_id),
                "without_transition": len(self.without_transition), "without_audit": len(self.without_audit)}


CASES = """
SELECT c.id, substr(c.description, 12) AS key,
       EXISTS (SELECT 1 FROM case_transitions t WHERE t.case_id = c.id AND t.action = 'register') AS has_transition,
       EXISTS (SELECT 1 FROM audit_log a WHERE a.action = 'case.create' AND a.object_type = 'case'
               AND a.object_id = c.id::text) AS has_audit
FROM cases c WHERE c.description LIKE 'drill case %'
"""


def verify_cases(db_url: str, acked: dict[str, int]) -> Verdict:
    """Compare the acknowledged cases (key -> id) with every drill case the database holds."""
    with psycopg.connect(db_url, connect_timeout=5) as conn:
        rows = conn.execute(CASES).fetchall()
    by_key: dict[str, list[int]] = {}
    verdict = Verdict(acknowledged=len(acked), present=0, stored=len(rows))
    for case_id, key, has_transition, has_audit in rows:
        by_key.setdefault(key, []).append(case_id)
        if not has_transition:
            verdict.without_transition.append(case_id)
        if not has_audit:
            verdict.without_audit.append(case_id)
    verdict.duplicated = sorted(k for k, ids in by_key.items() if len(ids) > 1)
    for key, case_id in acked.items():
        ids = by_key.get(key)
        if not ids:
            verdict.missing.append(key)
            continue
        verdict.present += 1
        if case_id not in ids:
            verdict.wrong_id.append(key)
    return verdict


def amcheck(cluster: DrillCluster, dbname: str = "fengqiao") -> tuple[bool, str]:
    """``pg_amcheck`` over every table and index of the database (heap and B-tree, all index entries)."""
    done = subprocess.run(
        [str(cluster.bindir / "pg_amcheck"), "-h", "127.0.0.1", "-p", str(cluster.port), "-U", "postgres",
         "--install-missing", "--heapallindexed", "--no-strict-names", dbname],
        capture_output=True, text=True, timeout=600)
    output = (done.stdout + done.stderr).strip()
    return done.returncode == 0, output

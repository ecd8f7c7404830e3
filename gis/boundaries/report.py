"""The validation report GIS staff read before committing: findings in JSON and as a text table."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

TIER_PLURALS = {1: "counties", 2: "towns", 3: "villages", 4: "grids"}


@dataclass(frozen=True)
class Finding:
    """One problem: errors block a commit, warnings do not."""

    severity: str  # "error" | "warning"
    code: str
    message: str
    feature: str = ""
    tier: int | None = None
    area_m2: float | None = None
    location: tuple[float, float] | None = None  # lon, lat of a point on the problem
    repair: str | None = None


@dataclass
class Report:
    """Everything a load found, plus counts and notes on how the file was read."""

    source: str
    notes: list[str] = field(default_factory=list)
    counts: dict[int, int] = field(default_factory=dict)
    findings: list[Finding] = field(default_factory=list)
    previews: dict[int, list[dict[str, str]]] = field(default_factory=dict)  # tier -> first rows

    def add(self, severity: str, code: str, message: str, **details: Any) -> None:
        """Record a finding."""
        self.findings.append(Finding(severity, code, message, **details))

    @property
    def errors(self) -> list[Finding]:
        """Findings that block the commit."""
        return [f for f in self.findings if f.severity == "error"]

    @property
    def ok(self) -> bool:
        """True when nothing blocks the commit."""
        return not self.errors

    def summary(self) -> dict[str, int]:
        """Number of findings per code."""
        out: dict[str, int] = {}
        for f in self.findings:
            out[f.code] = out.get(f.code, 0) + 1
        return dict(sorted(out.items()))

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {"source": self.source, "ok": self.ok, "notes": self.notes,
                "counts": {str(k): v for k, v in sorted(self.counts.items())}, "summary": self.summary(),
                "errors": len(self.errors), "warnings": len(self.findings) - len(self.errors),
                "preview": {str(k): v for k, v in sorted(self.previews.items())},
                "findings": [asdict(f) for f in self.findings]}

    def as_table(self, limit: int = 200) -> str:
        """A readable table for the terminal."""
        lines = [f"Validation report for {self.source}: {'OK' if self.ok else 'BLOCKED'} "
                 f"({len(self.errors)} errors, {len(self.findings) - len(self.errors)} warnings)"]
        lines += [f"  note: {n}" for n in self.notes]
        lines.append("  features per tier: " + ", ".join(f"tier {t}: {n}" for t, n in sorted(self.counts.items())))
        for tier, rows in sorted(self.previews.items()):
            lines.append(f"  first {TIER_PLURALS.get(tier, tier)} (code / name / parent):")
            lines += [f"    {r['code']:18} {r['name']:16} {r['parent_name']}".rstrip() for r in rows]
        if self.findings:
            lines.append(f"  {'severity':8} {'code':24} {'feature':18} {'area m2':>12}  where / message")
        for f in self.findings[:limit]:
            area = f"{f.area_m2:,.1f}" if f.area_m2 is not None else ""
            where = f"({f.location[0]:.6f}, {f.location[1]:.6f}) " if f.location else ""
            repair = f" [repair: {f.repair}]" if f.repair else ""
            lines.append(f"  {f.severity:8} {f.code:24} {f.feature[:18]:18} {area:>12}  {where}{f.message}{repair}")
        if len(self.findings) > limit:
            lines.append(f"  ... and {len(self.findings) - limit} more (see the JSON report)")
        return "\n".join(lines)

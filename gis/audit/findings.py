"""What verifying the audit chain reports: one finding per problem, and the chain's starting hash."""

from __future__ import annotations

from dataclasses import dataclass

GENESIS = b"\x00" * 32  # the "previous hash" of the first link


@dataclass(frozen=True)
class Finding:
    """One problem found: a machine-readable reason, a Chinese message, and the chain position concerned."""

    reason: str
    message: str
    seq: int | None = None

    def as_dict(self) -> dict[str, object]:
        """For ``--json`` and the API."""
        return {"reason": self.reason, "message": self.message, "seq": self.seq}

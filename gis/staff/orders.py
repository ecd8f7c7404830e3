"""Dispatch order statuses: the one definition (the schema's CHECK constraint is tested against it).

dispatched -> accepted (报到) -> en_route -> on_scene -> completed; declined, returned and cancelled end
an order and need a reason; only the centre cancels.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class OrderStatus:
    """One step of an order."""

    code: str
    label: str
    active: bool  # holds a capacity slot of the staff member
    next: tuple[str, ...] = ()
    needs_reason: bool = False
    centre_only: bool = False
    action: str = ""  # the verb on the button that takes an order to this status (the label is the state)

    @property
    def stamp_column(self) -> str:
        """The column recording when an order reached this status."""
        return f"{self.code}_at"


ORDER_STATUSES: dict[str, OrderStatus] = {
    s.code: s
    for s in (
        OrderStatus("dispatched", "已派单", True, ("accepted", "declined", "cancelled"), action="派单"),
        OrderStatus("accepted", "已接单", True, ("en_route", "returned", "cancelled"), action="接单"),
        OrderStatus("en_route", "在途", True, ("on_scene", "returned", "cancelled"), action="出发"),
        OrderStatus("on_scene", "已到场", True, ("completed", "returned", "cancelled"), action="到场"),
        OrderStatus("completed", "已完成", False, action="完成"),
        OrderStatus("declined", "已拒单", False, needs_reason=True, action="拒单"),
        OrderStatus("returned", "已退单", False, needs_reason=True, action="退单"),
        OrderStatus("cancelled", "已撤销", False, needs_reason=True, centre_only=True, action="撤销"),
    )
}
ACTIVE_ORDER_STATUSES = tuple(s.code for s in ORDER_STATUSES.values() if s.active)
ORDER_ROLES: dict[str, str] = {"lead": "主办", "assist": "协办"}

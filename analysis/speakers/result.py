"""The speaker stage's whole result as a report carries it: who speaks when, and who is who."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from analysis.speakers.activity import SpeakerActivity
from analysis.speakers.roles import OrderCheck, RoleAssignment

__all__ = ["SpeakerResult"]


@dataclass(frozen=True)
class SpeakerResult:
    """Speaker activity (regions, source, the one-or-two decision) and the role assignment.

    Its JSON form is the activity's, with the roles under ``"roles"`` (report.json's ``speakers``).
    """

    activity: SpeakerActivity
    roles: RoleAssignment | None = None

    @property
    def source(self) -> str:
        return self.activity.source

    @property
    def order_check(self) -> OrderCheck | None:
        return None if self.roles is None else self.roles.check

    def to_dict(self) -> dict[str, Any]:
        return {**self.activity.to_dict(), **({"roles": self.roles.to_dict()} if self.roles else {})}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "SpeakerResult":
        roles = d.get("roles")
        return cls(activity=SpeakerActivity.from_dict(d), roles=RoleAssignment.from_dict(roles) if roles else None)

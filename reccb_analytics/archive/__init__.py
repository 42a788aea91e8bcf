"""Archive recordings to verified copies, then delete them from Twilio: two-phase and audited.

* ``build_plan(con, "archive", policy, out)`` / ``build_delete_plan(con, policy, out)``: plan
  files of ``retention_candidates``' archive / delete candidates, hashed and registered.
* ``apply_archive_plan(con, plan, dest, ...)``: stream, verify and record each copy.
* ``apply_delete_plan(con, plan, execute=False, reverify=False)``: dry run by default; deletes
  only recordings whose verified copy is still there, auditing each attempt.
* ``archive_status(con, as_of=None)``: archived and deleted recordings and the saving achieved.

See docs/archive.md for the workflow and its safety rules.
"""

from __future__ import annotations

from .apply import ApplyResult, CopyOutcome, apply_archive_plan
from .delete import DeleteOutcome, DeleteResult, apply_delete_plan, build_delete_plan
from .plan import (
    LoadedPlan,
    PlanResult,
    Policy,
    build_plan,
    read_plan,
    resolve_legal_hold,
    resolve_policy,
)
from .status import archive_status

__all__ = [
    "ApplyResult",
    "CopyOutcome",
    "DeleteOutcome",
    "DeleteResult",
    "LoadedPlan",
    "PlanResult",
    "Policy",
    "apply_archive_plan",
    "apply_delete_plan",
    "archive_status",
    "build_delete_plan",
    "build_plan",
    "read_plan",
    "resolve_legal_hold",
    "resolve_policy",
]

"""One shape for every status machine: the states, the moves, and the roles allowed per move.

The case, requisition, station and alert machines are built with it (their own modules hold
the tables), and the API and the sync push ("state_machine" merge policy) both check moves
through them, so a move refused online is refused offline too. Scope (whose row it is) is the
services' business; a machine only knows roles.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from domain.errors import TransitionNotAllowed
from domain.models.enums import Role

S = TypeVar("S", bound=enum.Enum)


@dataclass(frozen=True)
class StateMachine(Generic[S]):
    """A status machine over the states of one enum.

    ``transitions`` maps (from, to) to the roles that may make that move. ``order``, for a
    machine that only moves forward (an alert), ranks the states so that asking for one
    already passed can be told from a refused move. ``cannot`` is the message of a move that
    does not exist, with ``{noun}``, ``{current}`` and ``{target}`` to fill in.
    """

    noun: str
    transitions: Mapping[tuple[S, S], frozenset[Role]]
    order: Sequence[S] = ()
    cannot: str = "a {noun} cannot go from {current} to {target}"
    terminal: frozenset[S] = field(init=False)

    def __post_init__(self) -> None:
        starts = {frm for frm, _ in self.transitions}
        states = starts | {to for _, to in self.transitions}
        object.__setattr__(self, "terminal", frozenset(states - starts))

    def allowed_targets(self, current: S, role: Role) -> list[S]:
        """The states ``role`` may move a row in ``current`` to, in table order."""
        return [to for (frm, to), roles in self.transitions.items()
                if frm is current and role in roles]

    def allows(self, current: S, target: S, role: Role) -> bool:
        """Whether ``role`` may move a row from ``current`` to ``target``."""
        return role in self.transitions.get((current, target), frozenset())

    def check(self, current: S, target: S, role: Role) -> None:
        """Raise TransitionNotAllowed (field ``status``, carrying the current state) unless
        ``role`` may make the move."""
        roles = self.transitions.get((current, target))
        if roles is None:
            raise TransitionNotAllowed(
                self.cannot.format(noun=self.noun, current=current.value, target=target.value),
                field="status", current=current.value,
            )
        if role not in roles:
            raise TransitionNotAllowed(
                f"a {role.value} may not move a {self.noun} from {current.value} to "
                f"{target.value}", field="status", current=current.value,
            )

    def reached(self, target: S, current: S) -> bool:
        """Whether a row in ``current`` is at or past ``target`` (forward-only machines)."""
        if not self.order:
            return target is current
        return self.order.index(target) <= self.order.index(current)

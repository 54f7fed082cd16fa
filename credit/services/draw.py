"""The random inspection draw (双随机), algorithm ``jms-draw/1``: a pure function of its inputs.

No database, no clock, no ``random`` module: every choice comes from HMAC-SHA256 keyed with the
plan's seed, so the same inputs give the same selection on any machine and any Python version,
and nobody can predict or steer it without the seed.

Enterprises. Each stratum (one jurisdiction, one grade) has an eligible list of USCCs and a
ratio. ``k = ceil(ratio * n)`` (exact decimal arithmetic) are drawn: every USCC gets the rank
``HMAC-SHA256(seed, "jms-draw/1|enterprise|<period>|<uscc>")``, read as a big-endian number,
and the k smallest ranks win (ties, which need a SHA-256 collision, fall to the smaller USCC).

Inspectors. For each drawn enterprise, the sorted pool of its jurisdiction is shuffled lazily
by Fisher-Yates, the swaps taken from the number stream
``HMAC-SHA256(seed, "jms-draw/1|team|<period>|<uscc>|<counter>")`` (each digest gives four
64-bit numbers; a number is turned into an index below m by rejection, so without bias).
Inspectors join the team in shuffled order, except that a second member of the team that
inspected the enterprise last time is passed over; passed-over inspectors fill the team only
when the pool has nobody else. So a team of two never repeats last time's pair while anyone
else is available, and a larger team never keeps two of last time's members.
"""

from __future__ import annotations

import hashlib
import json
import math
import zlib
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from operator import attrgetter

ALGORITHM = "jms-draw/1"
_SPACE = 1 << 64


class DrawError(ValueError):
    """The inputs do not allow a draw (e.g. a pool smaller than a team)."""


@dataclass(frozen=True)
class Stratum:
    """The eligible enterprises of one jurisdiction and grade, and the share to draw."""

    jurisdiction: str
    grade: str
    ratio: Decimal
    usccs: tuple[str, ...]  # ascending, no duplicates

    @property
    def size(self) -> int:
        return sample_size(self.ratio, len(self.usccs))


@dataclass(frozen=True)
class DrawInputs:
    """Everything the draw depends on; the plan records all of it."""

    seed: str
    period: str
    strata: tuple[Stratum, ...]
    pools: Mapping[str, tuple[str, ...]]  # jurisdiction -> badge numbers, ascending
    previous: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # uscc -> last team
    team_size: int = 2


@dataclass(frozen=True)
class Drawn:
    uscc: str
    jurisdiction: str
    grade: str
    rank: int  # 1 = drawn first in its stratum
    inspectors: tuple[str, ...] = ()


def sample_size(ratio: Decimal, eligible: int) -> int:
    """``ceil(ratio * eligible)``, exactly (ratios are decimals, never binary floats)."""
    if not Decimal(0) <= ratio <= Decimal(1):
        raise DrawError(f"ratio {ratio} is not between 0 and 1")
    return min(eligible, math.ceil(ratio * eligible))


class Keyed:
    """HMAC-SHA256 under the seed, with the padded key hashed once (RFC 2104; the same bytes
    as ``hmac.digest(seed, message, "sha256")``, about three times faster in a loop)."""

    def __init__(self, seed: str) -> None:
        if not seed:
            raise DrawError("the seed is empty")
        key = seed.encode("utf-8")
        if len(key) > 64:  # SHA-256's block size
            key = hashlib.sha256(key).digest()
        key = key.ljust(64, b"\0")
        self._inner = hashlib.sha256(bytes(b ^ 0x36 for b in key))
        self._outer = hashlib.sha256(bytes(b ^ 0x5C for b in key))

    def prefixed(self, prefix: bytes) -> Keyed:
        """A copy that has already absorbed ``prefix`` (messages share it)."""
        other = object.__new__(Keyed)
        other._inner = self._inner.copy()
        other._inner.update(prefix)
        other._outer = self._outer
        return other

    def mac(self, message: bytes) -> bytes:
        inner = self._inner.copy()
        inner.update(message)
        outer = self._outer.copy()
        outer.update(inner.digest())
        return outer.digest()


def draw_positions(seed: str, period: str, stratum: Stratum) -> list[int]:
    """Positions (in ``stratum.usccs``) of the drawn enterprises, best rank first.

    Each USCC's rank is its HMAC read as a 256-bit number; the number is shifted left by 32
    bits and the USCC's position in the ascending list added, so that one sort of plain
    integers orders by rank and then by USCC.
    """
    k = stratum.size
    if k == 0:
        return []
    keyed = Keyed(seed).prefixed(f"{ALGORITHM}|enterprise|{period}|".encode())
    mac, from_bytes = keyed.mac, int.from_bytes
    ranks = [(from_bytes(mac(u.encode("ascii")), "big") << 32) | i
             for i, u in enumerate(stratum.usccs)]
    ranks.sort()
    return [r & 0xFFFFFFFF for r in ranks[:k]]


def draw_stratum(seed: str, period: str, stratum: Stratum) -> list[str]:
    """The drawn USCCs of one stratum, best rank first."""
    return [stratum.usccs[i] for i in draw_positions(seed, period, stratum)]


def _numbers(keyed: Keyed, label: bytes) -> Iterator[int]:
    """An endless stream of 64-bit numbers: HMAC(label + counter), four a digest."""
    counter = 0
    while True:
        block = keyed.mac(label + counter.to_bytes(4, "big"))
        for i in range(0, 32, 8):
            yield int.from_bytes(block[i:i + 8], "big")
        counter += 1


def _below(numbers: Iterator[int], m: int) -> int:
    """A uniform index in [0, m), by rejection (no modulo bias)."""
    limit = _SPACE - _SPACE % m
    for x in numbers:
        if x < limit:
            return x % m
    raise AssertionError("unreachable")  # pragma: no cover


def draw_team(seed: str | Keyed, period: str, uscc: str, pool: Sequence[str],
              previous: Sequence[str] = (), size: int = 2) -> tuple[str, ...]:
    """The inspectors for one enterprise, in drawn order (the first leads)."""
    if size < 2:
        raise DrawError("a team has at least two inspectors")
    order = list(pool)
    n = len(order)
    if n < size:
        raise DrawError(f"the pool has {n} inspector(s); a team needs {size}")
    keyed = seed if isinstance(seed, Keyed) else Keyed(seed)
    numbers = _numbers(keyed, f"{ALGORITHM}|team|{period}|{uscc}|".encode())
    last = set(previous)
    team: list[str] = []
    passed: list[str] = []
    for i in range(n):
        j = i + _below(numbers, n - i)
        order[i], order[j] = order[j], order[i]
        candidate = order[i]
        if candidate in last and any(member in last for member in team):
            passed.append(candidate)  # would keep two of last time's team
        else:
            team.append(candidate)
        if len(team) == size:
            return tuple(team)
    return tuple(team + passed[: size - len(team)])  # nobody else available


def select_enterprises(seed: str, period: str, strata: Sequence[Stratum]) -> list[Drawn]:
    """The enterprise half of the draw (teams not yet assigned)."""
    drawn = []
    for stratum in strata:
        for rank, uscc in enumerate(draw_stratum(seed, period, stratum), start=1):
            drawn.append(Drawn(uscc, stratum.jurisdiction, stratum.grade, rank))
    return drawn


def assign_teams(seed: str, period: str, drawn: Sequence[Drawn],
                 pools: Mapping[str, Sequence[str]], previous: Mapping[str, Sequence[str]],
                 size: int) -> list[Drawn]:
    """The same enterprises, each with its team from its jurisdiction's pool."""
    for jurisdiction in {d.jurisdiction for d in drawn}:
        pool = pools.get(jurisdiction, ())
        if len(pool) < size:
            raise DrawError(f"{jurisdiction} has {len(pool)} active inspector(s) in its pool; "
                            f"each drawn enterprise needs {size}")
    keyed = Keyed(seed)
    return [
        Drawn(d.uscc, d.jurisdiction, d.grade, d.rank,
              draw_team(keyed, period, d.uscc, pools[d.jurisdiction],
                        previous.get(d.uscc, ()), size))
        for d in drawn
    ]


def draw(inputs: DrawInputs) -> list[Drawn]:
    """The whole draw: enterprises by stratum, then their teams."""
    drawn = select_enterprises(inputs.seed, inputs.period, inputs.strata)
    return assign_teams(inputs.seed, inputs.period, drawn, inputs.pools, inputs.previous,
                        inputs.team_size)


# -- recording ---------------------------------------------------------------------------------


def pack_usccs(usccs: Sequence[str]) -> bytes:
    """A sorted list of USCCs as stored with the plan: one a line, zlib-compressed."""
    return zlib.compress("\n".join(usccs).encode("ascii"), 6)


def unpack_usccs(blob: bytes) -> tuple[str, ...]:
    text = zlib.decompress(blob).decode("ascii")
    return tuple(text.split("\n")) if text else ()


def list_digest(usccs: Sequence[str]) -> str:
    """SHA-256 of the list as text (USCCs ascending, joined by newlines)."""
    return hashlib.sha256("\n".join(usccs).encode("ascii")).hexdigest()


def _canonical(value: object) -> bytes:
    return json.dumps(value, ensure_ascii=False, sort_keys=True,
                      separators=(",", ":")).encode("utf-8")


def inputs_digest(inputs: DrawInputs, *, kind: str) -> str:
    """SHA-256 over every input of the draw (the lists by their digests)."""
    return hashlib.sha256(_canonical({
        "algorithm": ALGORITHM,
        "seed": inputs.seed,
        "period": inputs.period,
        "kind": kind,
        "team_size": inputs.team_size,
        "strata": [[s.jurisdiction, s.grade, str(s.ratio), len(s.usccs), list_digest(s.usccs)]
                   for s in inputs.strata],
        "pools": {j: list(p) for j, p in inputs.pools.items()},
        "previous": {u: list(t) for u, t in inputs.previous.items() if t},
    })).hexdigest()


def selection_digest(drawn: Sequence[Drawn]) -> str:
    """SHA-256 over the selection: one line per drawn enterprise in USCC order, its fields
    separated by tabs (USCC, jurisdiction, grade, rank, then the team's badge numbers, which
    never hold a tab or a newline)."""
    lines = "\n".join("\t".join((d.uscc, d.jurisdiction, d.grade, str(d.rank), *d.inspectors))
                      for d in sorted(drawn, key=attrgetter("uscc")))
    return hashlib.sha256(lines.encode("utf-8")).hexdigest()

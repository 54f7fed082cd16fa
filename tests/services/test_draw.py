"""The draw algorithm jms-draw/1 as a pure function: exact sizes, reproducibility, fairness,
inspector teams, and a reference implementation written the obvious way."""

from __future__ import annotations

import hashlib
import hmac
from collections import Counter
from decimal import Decimal

import pytest

from credit.services import draw
from credit.uscc import make_uscc

USCCS = tuple(sorted(make_uscc("91", "230800", f"{i:08d}") for i in range(1000)))
POOL = tuple(f"B{i:02d}" for i in range(8))


def stratum(ratio: str, usccs=USCCS, grade="C", jurisdiction="向阳区") -> draw.Stratum:
    return draw.Stratum(jurisdiction, grade, Decimal(ratio), tuple(usccs))


@pytest.mark.parametrize(("ratio", "n", "k"), [
    ("0.15", 100, 15),  # 0.15 * 100 is 15.000000000000002 in binary floating point
    ("0.05", 1, 1), ("0.05", 20, 1), ("0.05", 21, 2), ("0.4", 7, 3), ("1", 9, 9),
    ("0", 50, 0), ("0.07", 0, 0), ("0.3333", 3, 1),
])
def test_sample_size_is_exact_ceiling(ratio, n, k):
    assert draw.sample_size(Decimal(ratio), n) == k


def test_sample_size_refuses_ratios_outside_0_1():
    with pytest.raises(draw.DrawError):
        draw.sample_size(Decimal("1.01"), 10)


@pytest.mark.parametrize("seed", ["s", "种子", "x" * 64, "长" * 40])
def test_keyed_mac_is_hmac_sha256(seed):
    keyed = draw.Keyed(seed)
    assert keyed.mac(b"abc") == hmac.digest(seed.encode(), b"abc", "sha256")
    prefixed = keyed.prefixed(b"pre|")
    assert prefixed.mac(b"abc") == hmac.digest(seed.encode(), b"pre|abc", "sha256")


def reference_draw(seed: str, period: str, usccs, ratio: str) -> list[str]:
    """The specification, written naively: rank by HMAC-SHA256, k smallest."""
    k = draw.sample_size(Decimal(ratio), len(usccs))
    ranked = sorted(usccs, key=lambda u: (hmac.new(
        seed.encode(), f"jms-draw/1|enterprise|{period}|{u}".encode(), hashlib.sha256
    ).digest(), u))
    return ranked[:k]


@pytest.mark.parametrize("ratio", ["0.05", "0.15", "0.4", "1"])
def test_the_draw_is_the_specified_one(ratio):
    got = draw.draw_stratum("seed-1", "2026-11", stratum(ratio))
    assert got == reference_draw("seed-1", "2026-11", USCCS, ratio)


def test_known_answer_never_changes():
    """Fixed inputs, fixed output: a change here means plans drawn before can no longer be
    verified (a new algorithm needs a new name)."""
    usccs = USCCS[:20]
    assert draw.draw_stratum("jms", "2026-11", stratum("0.15", usccs)) == [
        USCCS[i] for i in KNOWN_ENTERPRISES]
    assert draw.draw_team("jms", "2026-11", USCCS[0], POOL, (), 2) == KNOWN_TEAM
    assert draw.draw_team("jms", "2026-11", USCCS[0], POOL, KNOWN_TEAM, 2) == KNOWN_TEAM_AFTER


KNOWN_ENTERPRISES = [10, 14, 16]
KNOWN_TEAM = ("B03", "B06")
KNOWN_TEAM_AFTER = ("B03", "B00")


def test_same_seed_same_selection_other_seed_other_selection():
    s = stratum("0.15")
    first = draw.draw_stratum("alpha", "2026-11", s)
    assert draw.draw_stratum("alpha", "2026-11", s) == first
    assert draw.draw_stratum("beta", "2026-11", s) != first
    assert draw.draw_stratum("alpha", "2026-12", s) != first  # the period is in the key
    assert len(first) == 150 and len(set(first)) == 150


def test_every_enterprise_has_the_same_chance():
    """Over 400 seeds each of 1,000 enterprises is drawn Binomial(400, 0.15) times: mean 60,
    sd 7.14. Every count within 6 sd, the spread of counts close to the binomial one, and no
    link between the position in the list and being drawn."""
    s = stratum("0.15")
    counts = Counter()
    for i in range(400):
        counts.update(draw.draw_stratum(f"seed-{i}", "2026-11", s))
    values = [counts[u] for u in USCCS]
    assert sum(values) == 400 * 150
    assert min(values) > 60 - 6 * 7.14 and max(values) < 60 + 6 * 7.14
    mean = sum(values) / len(values)
    variance = sum((v - mean) ** 2 for v in values) / (len(values) - 1)
    assert 0.8 * 51 < variance < 1.2 * 51  # binomial variance 400 * 0.15 * 0.85 = 51
    first_half = sum(values[:500])
    # 30,000 draws split between halves: hypergeometric, sd below 90; allow 5 sd
    assert abs(first_half - 30_000) < 450


def test_team_is_distinct_members_of_the_pool():
    for uscc in USCCS[:200]:
        team = draw.draw_team("s", "2026-11", uscc, POOL, (), 2)
        assert len(team) == 2 and len(set(team)) == 2 and set(team) <= set(POOL)
    assert len(draw.draw_team("s", "2026-11", USCCS[0], POOL, (), 3)) == 3


def test_team_never_repeats_last_pair_when_others_are_available():
    for uscc in USCCS[:300]:
        last = draw.draw_team("s", "2026-10", uscc, POOL, (), 2)
        now = draw.draw_team("s", "2026-10", uscc, POOL, last, 2)
        assert set(now) != set(last)
        assert len(set(now)) == 2


def test_pool_of_three_gives_a_new_pair_every_time():
    pool = ("X1", "X2", "X3")
    for uscc in USCCS[:100]:
        assert set(draw.draw_team("s", "p", uscc, pool, ("X1", "X2"), 2)) != {"X1", "X2"}


def test_pool_of_two_must_repeat_the_pair():
    assert set(draw.draw_team("s", "p", USCCS[0], ("X1", "X2"), ("X1", "X2"), 2)) == {"X1", "X2"}


def test_larger_team_keeps_at_most_one_of_last_time():
    pool = ("a", "b", "c", "d", "e")
    for uscc in USCCS[:100]:
        team = draw.draw_team("s", "p", uscc, pool, ("a", "b", "c"), 3)
        assert len(set(team) & {"a", "b", "c"}) == 1 and {"d", "e"} <= set(team)


def test_pool_smaller_than_a_team_is_refused():
    with pytest.raises(draw.DrawError, match="the pool has 1 inspector"):
        draw.draw_team("s", "p", USCCS[0], ("only",), (), 2)
    with pytest.raises(draw.DrawError, match="at least two"):
        draw.draw_team("s", "p", USCCS[0], POOL, (), 1)
    drawn = draw.select_enterprises("s", "p", [stratum("0.1", grade="D")])
    with pytest.raises(draw.DrawError, match="向阳区 has 1 active inspector"):
        draw.assign_teams("s", "p", drawn, {"向阳区": ("only",)}, {}, 2)


def test_inspectors_are_drawn_evenly():
    counts = Counter()
    for uscc in USCCS:
        counts.update(draw.draw_team("s", "p", uscc, POOL, (), 2))
    # each of 8 is in a team of 2 with probability 1/4: 250 of 1,000, sd 13.7
    assert all(abs(counts[b] - 250) < 6 * 13.7 for b in POOL)
    leads = Counter(draw.draw_team("s", "p", u, POOL, (), 2)[0] for u in USCCS)
    assert all(abs(leads[b] - 125) < 6 * 10.5 for b in POOL)


def test_lists_pack_and_digests_cover_every_input():
    assert draw.unpack_usccs(draw.pack_usccs(USCCS)) == USCCS
    assert draw.unpack_usccs(draw.pack_usccs(())) == ()
    inputs = draw.DrawInputs("s", "2026-11", (stratum("0.15"),), {"向阳区": POOL},
                             {USCCS[0]: ("B01", "B02")})
    digest = draw.inputs_digest(inputs, kind="routine")
    changed = [
        draw.DrawInputs("t", "2026-11", inputs.strata, inputs.pools, inputs.previous),
        draw.DrawInputs("s", "2026-12", inputs.strata, inputs.pools, inputs.previous),
        draw.DrawInputs("s", "2026-11", (stratum("0.15", USCCS[1:]),), inputs.pools,
                        inputs.previous),
        draw.DrawInputs("s", "2026-11", (stratum("0.16"),), inputs.pools, inputs.previous),
        draw.DrawInputs("s", "2026-11", inputs.strata, {"向阳区": POOL[1:]}, inputs.previous),
        draw.DrawInputs("s", "2026-11", inputs.strata, inputs.pools, {}),
        draw.DrawInputs("s", "2026-11", inputs.strata, inputs.pools, inputs.previous, 3),
    ]
    assert all(draw.inputs_digest(c, kind="routine") != digest for c in changed)
    assert draw.inputs_digest(inputs, kind="licence_review") != digest
    selection = draw.draw(inputs)
    assert draw.selection_digest(selection) == draw.selection_digest(list(reversed(selection)))
    assert draw.selection_digest(selection[1:]) != draw.selection_digest(selection)

"""Hard rules, near-miss reasons and score explanations, table by table."""

from __future__ import annotations

import dataclasses
from datetime import date, timedelta

import numpy as np
import pytest

from matcher.domain.geo import haversine_km
from matcher.domain.matching import (
    COMPONENTS,
    RULE_IDS,
    RULES,
    MatchingSettings,
    OfferPool,
    OfferSnapshot,
    Reason,
    RequestProfile,
    ScoringWeights,
    day_number,
    priority_weight,
    rank,
)

TODAY = date(2024, 5, 1)
NEEDED = date(2024, 5, 3)
KRAKOW = (50.0614, 19.9366)


def make_offer(**overrides) -> OfferSnapshot:
    """An offer in Kraków that suits make_request() exactly."""
    values = dict(
        id=1,
        lat=KRAKOW[0],
        lon=KRAKOW[1],
        beds=4,
        last_confirmed=TODAY,
        available_from=NEEDED,
        available_until=None,
        pets_ok=True,
        children_ok=True,
        step_free=True,
        languages=("uk", "pl"),
    )
    return OfferSnapshot(**(values | overrides))


def make_request(**overrides) -> RequestProfile:
    """Two adults and two children needing a place near Kraków from NEEDED for 60 days."""
    values = dict(
        id=100,
        lat=KRAKOW[0],
        lon=KRAKOW[1],
        adults=2,
        children=2,
        max_distance_km=200.0,
        needed_from=NEEDED,
        duration_days=60,
        languages=("uk",),
        place_name="Kraków",
    )
    return RequestProfile(**(values | overrides))


def rank_one(offer=None, request=None, **kwargs):
    """Rank a pool of one offer."""
    pool = OfferPool.from_snapshots([offer or make_offer()])
    return rank(request or make_request(), pool, today=TODAY, **kwargs)


def outcome(ranking) -> tuple[str, str | None]:
    """('candidate', None), ('near_miss', 'rule: reason') or ('excluded', None) for a one-offer ranking."""
    if ranking.candidates:
        return "candidate", None
    if ranking.near_misses:
        miss = ranking.near_misses[0]
        return "near_miss", f"{miss.rule}: {miss.reason.render_en()}"
    return "excluded", None


def north_of_krakow(km: float) -> float:
    """Latitude of the point km kilometres due north of Kraków (on the matcher's sphere)."""
    return KRAKOW[0] + np.degrees(km / 6371.0088)


RULE_TABLE = [
    # (case, offer overrides, request overrides, settings overrides, expected)
    ("all fine", {}, {}, {}, ("candidate", None)),
    ("paused", {"status": "paused"}, {}, {}, ("near_miss", "status: paused")),
    ("withdrawn", {"status": "withdrawn"}, {}, {}, ("near_miss", "status: withdrawn")),
    (
        "stale",
        {"last_confirmed": TODAY - timedelta(days=40)},
        {},
        {},
        ("near_miss", "status: not confirmed for 40 days"),
    ),
    ("fresh at the limit", {"last_confirmed": TODAY - timedelta(days=30)}, {}, {}, ("candidate", None)),
    (
        "stale by one day, window 0",
        {"last_confirmed": TODAY - timedelta(days=1)},
        {},
        {"freshness_days": 0},
        ("near_miss", "status: not confirmed for 1 day"),
    ),
    ("one bed short", {"beds": 3}, {}, {}, ("near_miss", "beds: 1 bed short")),
    ("two beds short", {"beds": 2}, {}, {}, ("near_miss", "beds: 2 beds short")),
    (
        "held beds count",
        {"beds": 5, "held_beds": 2, "open_matches": 1, "shareable": True},
        {},
        {},
        ("near_miss", "beds: 1 bed short"),
    ),
    (
        "shareable with room",
        {"beds": 6, "held_beds": 2, "open_matches": 1, "shareable": True},
        {},
        {},
        ("candidate", None),
    ),
    (
        "not shareable, one open match",
        {"beds": 10, "held_beds": 1, "open_matches": 1},
        {},
        {},
        ("near_miss", "beds: already holds another household"),
    ),
    ("exact fit", {"beds": 4}, {}, {}, ("candidate", None)),
    ("slack boundary", {"available_from": NEEDED + timedelta(days=7)}, {}, {}, ("candidate", None)),
    (
        "past the slack",
        {"available_from": NEEDED + timedelta(days=8)},
        {},
        {},
        ("near_miss", "dates: free from 11 May, 8 days late"),
    ),
    (
        "custom slack",
        {"available_from": NEEDED + timedelta(days=1)},
        {},
        {"date_slack_days": 0},
        ("near_miss", "dates: free from 4 May, 1 day late"),
    ),
    ("until exactly long enough", {"available_until": NEEDED + timedelta(days=60)}, {}, {}, ("candidate", None)),
    (
        "until one day short",
        {"available_until": NEEDED + timedelta(days=59)},
        {},
        {},
        ("near_miss", "dates: free until 1 July, 1 day too short"),
    ),
    (
        "until twelve days short",
        {"available_until": NEEDED + timedelta(days=48)},
        {},
        {},
        ("near_miss", "dates: free until 20 June, 12 days too short"),
    ),
    ("open-ended until", {"available_until": None}, {"duration_days": 3000}, {}, ("candidate", None)),
    ("available early", {"available_from": NEEDED - timedelta(days=30)}, {}, {}, ("candidate", None)),
    ("pets refused", {"pets_ok": False}, {"pets": True}, {}, ("near_miss", "pets: no pets")),
    ("no pets, no problem", {"pets_ok": False}, {"pets": False}, {}, ("candidate", None)),
    ("children refused", {"children_ok": False}, {}, {}, ("near_miss", "children: no children")),
    ("adults only welcome", {"children_ok": False}, {"children": 0, "adults": 3}, {}, ("candidate", None)),
    ("steps", {"step_free": False}, {"step_free_needed": True}, {}, ("near_miss", "step_free: not step-free")),
    ("steps are fine", {"step_free": False}, {"step_free_needed": False}, {}, ("candidate", None)),
    ("two rules fail", {"pets_ok": False, "beds": 1}, {"pets": True}, {}, ("excluded", None)),
    ("paused and short", {"status": "paused", "beds": 1}, {}, {}, ("excluded", None)),
]


@pytest.mark.parametrize(
    ("offer_kw", "request_kw", "settings_kw", "expected"),
    [row[1:] for row in RULE_TABLE],
    ids=[row[0] for row in RULE_TABLE],
)
def test_rule_table(offer_kw, request_kw, settings_kw, expected):
    ranking = rank_one(make_offer(**offer_kw), make_request(**request_kw), settings=MatchingSettings(**settings_kw))
    assert outcome(ranking) == expected


@pytest.mark.parametrize(
    ("km", "max_km", "expected"),
    [
        (199.9, 200.0, ("candidate", None)),
        (212.4, 200.0, ("near_miss", "distance: 212 km, limit 200 km")),
        (299.9, 200.0, ("near_miss", "distance: 300 km, limit 200 km")),  # min(1.5 x 200, 200 + 100) = 300
        (300.1, 200.0, ("excluded", None)),
        (74.9, 50.0, ("near_miss", "distance: 75 km, limit 50 km")),  # 1.5 x 50 = 75 is the tighter band
        (75.1, 50.0, ("excluded", None)),
        (399.0, 300.0, ("near_miss", "distance: 399 km, limit 300 km")),  # 300 + 100 is the tighter band
        (401.0, 300.0, ("excluded", None)),
    ],
)
def test_distance_band(km, max_km, expected):
    offer = make_offer(lat=north_of_krakow(km))
    assert outcome(rank_one(offer, make_request(max_distance_km=max_km))) == expected


def test_distance_boundary_is_inclusive():
    offer = make_offer(lat=51.0, lon=21.0)
    exact = rank_one(offer, make_request(max_distance_km=1000)).candidates[0].distance_km
    assert outcome(rank_one(offer, make_request(max_distance_km=exact))) == ("candidate", None)
    assert outcome(rank_one(offer, make_request(max_distance_km=np.nextafter(exact, 0))))[0] == "near_miss"


def test_distance_matches_geo_haversine():
    offer = make_offer(lat=52.2297, lon=21.0122)
    candidate = rank_one(offer, make_request(max_distance_km=300)).candidates[0]
    assert candidate.distance_km == pytest.approx(float(haversine_km(*KRAKOW, 52.2297, 21.0122)), abs=1e-9)


def test_zero_distance_limit_admits_the_same_point():
    assert outcome(rank_one(make_offer(), make_request(max_distance_km=0.0))) == ("candidate", None)


def test_refused_offer_is_a_near_miss():
    ranking = rank_one(excluded_offer_ids={1})
    assert outcome(ranking) == ("near_miss", "refused: declined or excluded before")


def test_every_rule_has_an_id_title_and_reason():
    assert RULE_IDS == ("status", "beds", "dates", "pets", "children", "step_free", "distance", "refused")
    assert all(rule.title for rule in RULES)


@pytest.mark.parametrize(
    ("offer_kw", "request_kw", "reasons"),
    [
        (
            {},
            {},
            ["0 km from Kraków", "4 beds for a household of 4", "speaks Ukrainian", "free from 3 May"],
        ),
        (
            {"lat": north_of_krakow(18.2), "beds": 6, "available_until": date(2024, 9, 1)},
            {},
            [
                "18 km from Kraków",
                "6 beds for a household of 4",
                "speaks Ukrainian",
                "free from 3 May until 1 September",
            ],
        ),
        (
            {"beds": 1, "languages": ("ru", "de"), "available_from": date(2024, 5, 5)},
            {"adults": 1, "children": 0, "languages": ("uk", "ru")},
            ["0 km from Kraków", "1 bed for a household of 1", "speaks Russian", "free from 5 May, 2 days late"],
        ),
        ({"languages": ("de",)}, {"place_name": ""}, ["0 km away", None, "no shared language", None]),
        ({}, {"languages": ()}, [None, None, "no language given", None]),
        ({"lat": north_of_krakow(2.46)}, {}, ["2.5 km from Kraków", None, None, None]),
    ],
)
def test_component_reasons(offer_kw, request_kw, reasons):
    candidate = rank_one(make_offer(**offer_kw), make_request(**request_kw)).candidates[0]
    rendered = [r.render_en() for r in candidate.reasons]
    assert [got if want is not None else None for got, want in zip(rendered, reasons, strict=True)] == reasons


def test_reason_keeps_raw_params_for_the_web_layer():
    candidate = rank_one(make_offer(languages=("ru", "uk")), make_request(languages=("uk", "ru"))).candidates[0]
    proximity, capacity, language, dates = candidate.reasons
    assert proximity.message == "%(km)s km from %(place)s" and proximity.params["place"] == "Kraków"
    assert isinstance(proximity.params["km"], float)
    assert capacity.plural == "%(beds)s beds for a household of %(people)s" and capacity.count == 4
    assert language.params == {"languages": ("uk", "ru")}
    assert dates.params == {"date": NEEDED}


def test_reason_render_en_picks_plural_form():
    forms = ("%(n)s bed short", "%(n)s beds short")
    assert Reason("x", forms[0], {"n": 1}, forms[1], 1).render_en() == "1 bed short"
    assert Reason("x", forms[0], {"n": 3}, forms[1], 3).render_en() == "3 beds short"
    assert Reason("y", "speaks %(l)s", {"l": ("uk", "ru", "xx")}).render_en() == "speaks Ukrainian, Russian and xx"


def test_perfect_candidate_scores_100_and_components_add_up():
    candidate = rank_one().candidates[0]
    assert candidate.score == 100.0
    assert list(candidate.components) == list(COMPONENTS)
    assert candidate.components == {"proximity": 40.0, "capacity": 25.0, "language": 20.0, "dates": 15.0}


@pytest.mark.parametrize(
    ("offer_kw", "request_kw", "expected"),
    [
        ({"beds": 8}, {}, {"capacity": 12.5}),  # 4 people in 8 beds: half the fit
        ({"lat": north_of_krakow(100)}, {}, {"proximity": 20.0}),  # half the 200 km limit
        ({"languages": ("ru",)}, {"languages": ("uk", "ru")}, {"language": 14.0}),  # not the preferred language
        ({"languages": ("pl",)}, {}, {"language": 0.0}),
        ({"available_from": NEEDED + timedelta(days=4)}, {}, {"dates": 7.5}),  # 4 of 8 days of slack used
    ],
)
def test_component_points(offer_kw, request_kw, expected):
    candidate = rank_one(make_offer(**offer_kw), make_request(**request_kw)).candidates[0]
    for name, points in expected.items():
        assert candidate.components[name] == pytest.approx(points, abs=0.01)
    assert candidate.score == pytest.approx(sum(candidate.components.values()), abs=0.02)


def test_weights_are_overridable_and_normalised():
    offer = make_offer(languages=("pl",))
    even = ScoringWeights(proximity=1, capacity=1, language=1, dates=1)
    candidate = rank_one(offer, weights=even).candidates[0]
    assert candidate.components == {"proximity": 25.0, "capacity": 25.0, "language": 0.0, "dates": 25.0}
    assert candidate.score == 75.0
    assert sum(ScoringWeights().points().values()) == pytest.approx(100.0)
    with pytest.raises(ValueError):
        ScoringWeights(proximity=-1)
    with pytest.raises(ValueError):
        ScoringWeights(0, 0, 0, 0)


def test_big_home_is_kept_for_a_big_family():
    pool = OfferPool.from_snapshots([make_offer(id=1, beds=8), make_offer(id=2, beds=2)])
    couple = rank(make_request(adults=2, children=0), pool, today=TODAY)
    assert [c.offer_id for c in couple.candidates] == [2, 1]


def test_ties_break_by_offer_id():
    pool = OfferPool.from_snapshots([make_offer(id=i) for i in (9, 3, 5)])
    ranking = rank(make_request(), pool, today=TODAY)
    assert [c.offer_id for c in ranking.candidates] == [3, 5, 9]
    assert len({c.score for c in ranking.candidates}) == 1


def test_limits_and_counts():
    offers = [make_offer(id=i, lat=north_of_krakow(i)) for i in range(1, 11)]
    offers += [make_offer(id=100 + i, pets_ok=False, lat=north_of_krakow(i)) for i in range(1, 6)]
    pool = OfferPool.from_snapshots(offers)
    ranking = rank(make_request(pets=True), pool, today=TODAY, limit=3, near_miss_limit=2)
    assert [c.offer_id for c in ranking.candidates] == [1, 2, 3]
    assert [m.offer_id for m in ranking.near_misses] == [101, 102]
    assert (ranking.candidate_count, ranking.near_miss_count) == (10, 5)
    everything = rank(make_request(pets=True), pool, today=TODAY, limit=None, near_miss_limit=None)
    assert len(everything.candidates) == 10 and len(everything.near_misses) == 5


def test_candidate_carries_verified_flag_and_free_beds():
    candidate = rank_one(make_offer(verified=True, beds=6, held_beds=1, open_matches=1, shareable=True)).candidates[0]
    assert candidate.verified is True and candidate.free_beds == 5


def test_pool_with_holds_updates_free_beds_only():
    pool = OfferPool.from_snapshots([make_offer(id=1), make_offer(id=2, beds=6, shareable=True)])
    held = pool.with_holds([2, 1], held_beds=[3, 0], open_matches=[1, 0])
    assert held.xyz is pool.xyz
    assert dict(zip(held.ids.tolist(), held.free_beds.tolist(), strict=True)) == {1: 4, 2: 3}
    assert dict(zip(pool.ids.tolist(), pool.free_beds.tolist(), strict=True)) == {1: 4, 2: 6}
    assert outcome(rank(make_request(), held, today=TODAY, limit=1)) == ("candidate", None)
    with pytest.raises(KeyError):
        pool.with_holds([7], [1], [1])


def test_rules_follow_new_holds_and_statuses():
    # The pool derives narrow rule columns from holds and statuses: a replaced pool must not keep stale ones.
    pool = OfferPool.from_snapshots([make_offer(id=1)])
    assert outcome(rank(make_request(), pool, today=TODAY)) == ("candidate", None)
    taken = pool.with_holds([1], held_beds=[1], open_matches=[1])
    assert outcome(rank(make_request(), taken, today=TODAY)) == ("near_miss", "beds: already holds another household")
    paused = dataclasses.replace(pool, status=np.array([1], dtype=np.int8))
    assert outcome(rank(make_request(), paused, today=TODAY)) == ("near_miss", "status: paused")


@pytest.mark.parametrize(("beds", "expected"), [(200, ("candidate", None)), (149, ("near_miss", "beds: 1 bed short"))])
def test_very_large_households_are_counted_exactly(beds, expected):
    # Free beds are kept in a narrow column clipped at 127; bigger households take the exact path.
    request = make_request(adults=150, children=0, pets=False)
    assert outcome(rank_one(make_offer(beds=beds), request)) == expected


def test_pool_accepts_day_numbers_and_dates_alike():
    offers = [make_offer(id=i, available_until=date(2025, 1, i)) for i in range(1, 4)]
    by_dates = OfferPool.from_snapshots(offers)
    columns = {f.name: [getattr(o, f.name) for o in offers] for f in dataclasses.fields(OfferSnapshot)}
    columns["ids"] = columns.pop("id")
    for name in ("last_confirmed", "available_from", "available_until"):
        columns[name] = np.array([day_number(d) for d in columns[name]])
    by_days = OfferPool.from_columns(**columns)
    assert np.array_equal(by_dates.available_until, by_days.available_until)
    assert np.array_equal(by_dates.last_confirmed, by_days.last_confirmed)


def test_many_languages_use_several_mask_words():
    codes = [f"l{i:03d}" for i in range(150)]
    pool = OfferPool.from_snapshots([make_offer(id=i + 1, languages=(code,)) for i, code in enumerate(codes)])
    assert pool.lang.shape[1] == 3
    ranking = rank(make_request(languages=("l149",)), pool, today=TODAY, limit=1)
    assert ranking.candidates[0].offer_id == 150
    assert ranking.candidates[0].reasons[2].params == {"languages": ("l149",)}


def test_invalid_inputs_are_refused():
    with pytest.raises(ValueError):
        make_request(adults=0, children=0)
    with pytest.raises(ValueError):
        make_request(priority=0.5)
    with pytest.raises(ValueError):
        OfferPool.from_snapshots([make_offer(id=1), make_offer(id=1)])
    with pytest.raises(ValueError):
        OfferPool.from_snapshots([make_offer(lat=91.0)])
    with pytest.raises(ValueError):
        MatchingSettings(near_miss_distance_factor=0.5)


def test_priority_weight():
    assert priority_weight([]) == 1.0
    assert priority_weight(["medical", "infant", "unknown"]) == 1.75
    assert priority_weight(["unaccompanied_minor"] * 3 + ["medical", "disability", "pregnancy"] * 3) == 3.5

"""The place pickers' autocomplete: any script finds a city, and names read as the reader should see them."""

from __future__ import annotations

import pytest

WARSAW, KYIV, FRANKFURT_ODER = 756135, 703448, 2925535


def suggestions(client, **args) -> list[dict]:
    response = client.get("/places/search", query_string=args)
    assert response.status_code == 200 and response.is_json
    return response.get_json()["places"]


@pytest.mark.parametrize("query", ["Warsaw", "Warsz", "Варш", "Warschau", "WARSZ", "warszawa"])
def test_every_spelling_suggests_warsaw_in_its_local_form(app, client, login_as, query):
    login_as("host")
    first = suggestions(client, q=query)[0]
    assert (first["geoname_id"], first["name"], first["country"]) == (WARSAW, "Warszawa", "PL")
    assert first["label"].startswith("Warszawa — Poland")


@pytest.mark.parametrize(
    ("locale", "name", "label"),
    [("en", "Київ (Kyiv)", "Київ (Kyiv) — Ukraine"), ("pl", "Київ (Kyiv)", "Київ (Kyiv) — Ukraina"),
     ("uk", "Київ", "Київ — Україна")],
)  # fmt: skip
def test_a_city_in_another_script_reads_for_the_reader(app, client, login_as, locale, name, label):
    login_as("refugee")
    client.post("/language", data={"locale": locale})
    for query in ("Kyiv", "Київ", "Kiev", "Киев"):
        first = suggestions(client, q=query, country="UA")[0]
        assert (first["geoname_id"], first["name"]) == (KYIV, name), query
        assert first["label"].startswith(label)


def test_suggestions_keep_to_the_chosen_country_and_their_names_resolve(app, client, login_as):
    login_as("host")
    found = suggestions(client, q="Frankfurt", country="de")
    assert {p["country"] for p in found} == {"DE"} and FRANKFURT_ODER in {p["geoname_id"] for p in found}
    oder = next(p for p in found if p["geoname_id"] == FRANKFURT_ODER)
    assert oder["label"] == "Frankfurt (Oder) — 80 km from Berlin, Germany"
    assert suggestions(client, q="") == [] and suggestions(client, q="Xyzzyville") == []
    assert len(suggestions(client, q="a", country="nowhere")) == 10


def test_the_autocomplete_is_for_signed_in_people(app, client):
    assert client.get("/places/search?q=War").status_code == 302


def test_the_place_picker_points_its_script_at_the_autocomplete(app, client, login_as):
    login_as("host")
    html = client.get("/offers/new").get_data(as_text=True)
    assert 'data-place-search="/places/search"' in html and 'data-place-input="place"' in html

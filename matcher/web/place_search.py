"""Place autocomplete for the place pickers: gazetteer places named in any script or spelling, shown as the reader
should see them ("Київ (Kyiv)" in English); forms.js turns the answer into the input's suggestions."""

from __future__ import annotations

from flask import Blueprint, jsonify, request
from flask_login import login_required

from matcher.services import places
from matcher.web.place_forms import place_option_label

bp = Blueprint("place_search", __name__, url_prefix="/places")


@bp.get("/search")
@login_required
def search():
    """Up to ten places whose name starts with ?q=, in ?country= when given, most populous first."""
    found = places.suggest(request.args.get("q"), request.args.get("country"))
    return jsonify(
        places=[
            {
                "geoname_id": place.geoname_id,
                "name": places.display_name(place.name, place.geoname_id),
                "country": place.country,
                "label": place_option_label(place),
            }
            for place in found
        ]
    )

"""Take a household from registration to a proposed placement with the matcher API, using only the standard library.

    python examples/api_walkthrough.py --base http://127.0.0.1:5000 --token mt_...

The token is a coordinator's (create one at /account/tokens, or with
`flask --app wsgi create-token --email coordinator@example.org`). The script registers a household as a
coordinator does at a reception desk, lists its ranked candidates with their reasons, proposes the best one,
which holds its beds, and reads the proposal back. Every call sends `Authorization: Bearer <token>`.
"""

from __future__ import annotations

import argparse
import json
import sys
import urllib.error
import urllib.request
from datetime import date


def call(base: str, token: str, method: str, path: str, body: dict | None = None) -> dict:
    """One API call; prints the error body and exits on a 4xx or 5xx."""
    data = None if body is None else json.dumps(body).encode("utf-8")
    request = urllib.request.Request(base.rstrip("/") + path, data=data, method=method)
    request.add_header("Authorization", f"Bearer {token}")
    request.add_header("Accept", "application/json")
    if data is not None:
        request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310  (the base URL is the user's)
            return json.load(response)
    except urllib.error.HTTPError as error:
        problem = json.load(error)
        sys.exit(
            f"{method} {path}: {error.code} {problem.get('error')}: {problem.get('message')} {problem.get('fields')}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", default="http://127.0.0.1:5000", help="Where matcher runs.")
    parser.add_argument("--token", required=True, help="A coordinator's API token.")
    parser.add_argument("--phone", default="+380501234567", help="The household's phone (unique per person).")
    parser.add_argument("--city", default="Kraków")
    parser.add_argument("--country", default="PL")
    args = parser.parse_args()

    household = {
        "contact_name": "Iryna Bondarenko",
        "phone": args.phone,
        "language": "uk",
        "adults": 2,
        "children": 0,
        "city": args.city,
        "country": args.country,
        "needed_from": date.today().isoformat(),
    }
    created = call(args.base, args.token, "POST", "/api/v1/requests", household)
    print(
        f"registered request {created['id']} in {created['city']}; claim code for the person: {created['claim_code']}"
    )

    ranked = call(args.base, args.token, "GET", f"/api/v1/requests/{created['id']}/candidates?limit=5")
    if not ranked["candidates"]:
        for miss in ranked["near_misses"]:
            print(f"near-miss: offer {miss['offer_id']}: {miss['reason']}")
        sys.exit("no offer fits this household yet")
    for candidate in ranked["candidates"]:
        print(f"offer {candidate['offer_id']}: score {candidate['score']} - " + "; ".join(candidate["reasons"]))

    best = ranked["candidates"][0]
    match = call(
        args.base,
        args.token,
        "POST",
        "/api/v1/matches",
        {"request_id": created["id"], "offer_id": best["offer_id"], "score": best["score"]},
    )
    match = call(args.base, args.token, "GET", f"/api/v1/matches/{match['id']}")
    print(f"proposed match {match['id']}: {match['status']}, beds held until {match['hold_expires_at']}")


if __name__ == "__main__":
    main()

"""A listing that ends leaves every public place the day it ends: the enterprise page, the
lists, the CSV, the API, search results, and the feeds announce the removal."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from credit.models import RepairApplication
from credit.workflows import repair
from tests.portal.conftest import publish_d


def presence(client, enterprise) -> dict[str, bool]:
    """Where the enterprise's D listing shows."""
    uscc = enterprise.uscc
    page = client.get(f"/enterprises/{uscc}").get_data(as_text=True)
    one = client.get(f"/api/v1/enterprises/{uscc}").get_json()
    (item,) = client.get(f"/api/v1/search?q={uscc}").get_json()["items"]
    search_page = client.get(f"/search?q={uscc}").get_data(as_text=True)
    return {
        "page": "严重失信企业名单" in page.split('id="main"')[1].split("</main>")[0],
        "list": uscc in client.get("/listings/d").get_data(as_text=True),
        "list_api": any(i["uscc"] == uscc for i in
                        client.get("/api/v1/listings?kind=D").get_json()["items"]),
        "csv": uscc in client.get("/api/v1/listings.csv?kind=D").data.decode("utf-8-sig"),
        "api": any(x["kind"] == "D" for x in one["listings"]),
        "search_api": any(x["kind"] == "D" for x in item["listings"]),
        "search_page": "badge-d" in search_page,
        "home": uscc in client.get("/").get_data(as_text=True).split("最近撤下")[0],
    }


def test_repair_removes_the_listing_everywhere_and_the_feeds_say_so(client, db, world):
    listing = publish_d(db, world)
    db.session.commit()
    firm = world.e["d"]
    assert all(presence(client, firm).values()), presence(client, firm)
    world.pin("2027-10-15")
    item = repair.apply_for_repair(world.u["ent_d"], listing, "已整改")
    repair.accept_repair(world.u["admin"], item)
    repair.approve_repair(world.u["admin"], db.session.scalar(select(RepairApplication)))
    db.session.commit()
    assert not any(presence(client, firm).values()), presence(client, firm)
    changes = client.get("/api/v1/changes").get_json()["items"]
    assert [(c["uscc"], c["change"]) for c in changes][-1] == (firm.uscc, "removed")
    feed = client.get("/feed.atom").get_data(as_text=True)
    assert f"{firm.name} 从严重失信企业名单撤下" in feed
    home = client.get("/").get_data(as_text=True)
    assert firm.name in home.split("最近撤下")[1]


def test_expiry_removes_it_the_day_it_ends_before_tick(client, db, world):
    listing = publish_d(db, world)
    db.session.commit()
    firm = world.e["d"]
    world.pin(listing.expires_on - dt.timedelta(days=1))
    assert all(presence(client, firm).values())
    world.pin(listing.expires_on)
    gone = presence(client, firm)
    assert not any(gone.values()), gone

"""¶1, ¶8–27: the catalogue holds 4 pillars, 11 policy areas and 35 joint-action commitments."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from models.catalogue import COMMITMENTS, PILLARS, POLICY_AREAS, amended_areas, area_of
from starter import app

EXPECTED_REFS = (
    "9a 9b 9c 11a 11b 13a 13b 13c 13d 15a 15b 15c 15d 16a 16b 16c 18 20a 20b 20c "
    "22a 22b 22c 24a 24b 24c 25a 25b 25c 25d 25e 25f 27a 27b 27c"
).split()


def test_the_catalogue_is_complete():
    assert [p.number for p in PILLARS] == [1, 2, 3, 4]
    assert len(POLICY_AREAS) == 11
    assert list(COMMITMENTS) == EXPECTED_REFS
    assert {a.pillar for a in POLICY_AREAS} == {1, 2, 3, 4}
    assert all(c.paragraph == int(c.ref.rstrip("abcdef")) for c in COMMITMENTS.values())
    assert area_of("9b").slug == "telecoms" and area_of("25f").pillar == 4


def test_catalogue_cli_json_and_filters():
    runner = CliRunner()
    everything = json.loads(runner.invoke(app, ["catalogue", "--json"]).stdout)
    refs = [c["ref"] for p in everything for a in p["areas"] for c in a["commitments"]]
    assert refs == EXPECTED_REFS

    pillar4 = json.loads(runner.invoke(app, ["catalogue", "--json", "--pillar", "4"]).stdout)
    assert [a["slug"] for a in pillar4[0]["areas"]] == ["cyber-security", "online-safety"]

    ai = runner.invoke(app, ["catalogue", "--area", "Artificial intelligence"])
    assert ai.exit_code == 0 and "13d" in ai.stdout and "9a" not in ai.stdout

    unknown = runner.invoke(app, ["catalogue", "--area", "space"])
    assert unknown.exit_code == 2 and "known areas: telecoms" in unknown.stderr


def test_the_catalogue_as_amended():
    from models.amendment import CatalogueChange

    changes = [
        CatalogueChange(action="add-policy-area", area="space", title="Space", pillar=1),
        CatalogueChange(action="add-commitment", ref="34a", title="Satellite data", area="space"),
        CatalogueChange(action="retire-commitment", ref="22c"),
    ]
    areas = {a.slug: a for a in amended_areas(changes)}
    assert [c.ref for c in areas["space"].commitments] == ["34a"] and areas["space"].pillar == 1
    assert "22c" not in [c.ref for c in areas["internet-governance"].commitments]
    assert len(areas) == 12

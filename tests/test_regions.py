import pytest

from corpus.errors import InvalidInput
from corpus.regions import regions


def test_short_and_full_names_resolve_to_the_same_region() -> None:
    table = regions()
    assert table.resolve("江西").name == "江西省"
    assert table.resolve("内蒙古").name == "内蒙古自治区"
    assert table.resolve("赣州").name == "赣州市"
    assert table.resolve("赣州市").level == "prefecture"


def test_a_city_inherits_its_province_and_the_nation() -> None:
    assert regions().applicable_names("九江市") == {"九江市", "江西省", "全国"}
    assert regions().applicable_names("全国") == {"全国"}


def test_municipality_districts_sit_under_the_municipality() -> None:
    assert "北京市" in regions().applicable_names("东城区")


def test_unknown_region_is_a_clear_error() -> None:
    with pytest.raises(InvalidInput) as err:
        regions().resolve("火星省")
    assert err.value.code == "unknown_region"
    assert "火星省" in err.value.message


def test_there_are_over_300_prefecture_level_regions() -> None:
    prefectures = regions().prefectures()
    assert len(prefectures) > 300
    assert all(p.name not in {"市辖区", "县"} for p in prefectures)


def test_a_county_name_is_read_inside_its_city() -> None:
    """Two cities have a 西湖区: the catalog's 南昌市 / 西湖区 is 南昌's."""
    table = regions()
    nanchang = table.find("南昌市")
    inside = table.find_within("西湖区", nanchang)
    assert inside is not None and nanchang in table.lineage(inside)
    assert table.find_within("西湖区", None) == table.find("西湖区")
    assert table.find_within("赣州市", table.find("江西省")) == table.find("赣州市")

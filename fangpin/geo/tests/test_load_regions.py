import pytest
from django.core.management import CommandError, call_command

from fangpin.core.models import ObjectChange
from fangpin.geo.models import Region


@pytest.mark.django_db
def test_load_regions_ships_xianning_and_is_idempotent():
    call_command("load-regions".replace("-", "_"))
    assert Region.objects.filter(level="county", parent__code="421200").count() == 6
    assert Region.objects.filter(level="township").count() == 89
    poor = set(Region.objects.filter(is_poor_county=True).values_list("name", flat=True))
    assert poor == {"通城县", "崇阳县", "通山县"}
    baiyi = Region.objects.get(code="421223104")
    assert (baiyi.name, baiyi.parent.code, baiyi.path) == ("白霓镇", "421223", "421223104")
    assert set(
        Region.objects.subtree(Region.objects.get(code="421223"))
        .filter(level="township")
        .values_list("code", flat=True)
    ) == {r.code for r in Region.objects.filter(parent__code="421223")}
    logged = ObjectChange.objects.filter(source="command:load-regions").count()
    assert logged == 97
    call_command("load_regions")
    assert Region.objects.count() == 97
    assert ObjectChange.objects.filter(source="command:load-regions").count() == logged  # nothing changed


@pytest.mark.django_db
def test_load_regions_refuses_a_bad_file_and_writes_nothing(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "code,name,level,kind,parent\n420000,湖北省,province,省,\n4212,咸宁市,city,市,420000\n",
        encoding="utf-8",
    )
    with pytest.raises(CommandError, match="第3行"):
        call_command("load_regions", str(bad))
    assert Region.objects.count() == 0
    with pytest.raises(CommandError, match="不存在"):
        call_command("load_regions", str(tmp_path / "missing.csv"))

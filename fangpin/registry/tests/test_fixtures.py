"""The shared fixtures build what the other tests assume: a head and spouse, one income, the summary."""


def test_households_fixture(households, cast):
    a = households["a"]
    assert a.member_count == 2 and a.head_name == "张建国"
    assert a.per_capita_income == 18000

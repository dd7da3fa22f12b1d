"""Shared pytest fixtures: the region tree, the cast (one user per role and level), households in each village."""

import pytest

from fangpin.core import testing


def pytest_configure(config):
    from django.conf import settings

    # Real password hashing costs ~0.3 s per user; the cast has nine.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # The live server's thread must not keep a connection open, or PostgreSQL cannot drop the test database.
    settings.DATABASES["default"]["CONN_MAX_AGE"] = 0


@pytest.fixture
def tree(db):
    return testing.build_tree()


@pytest.fixture
def cast(tree):
    return testing.build_cast(tree)


@pytest.fixture
def households(tree):
    """One household in each village: a, b (same township), c (other township), d (other county)."""
    return {
        "a": testing.make_household(tree.village_a),
        "b": testing.make_household(tree.village_b),
        "c": testing.make_household(tree.village_c),
        "d": testing.make_household(tree.village_d),
    }


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    """Uploads and dataset Parquet files go to the test's own directory, never to var/media."""
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT

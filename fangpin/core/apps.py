import contextlib

from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "fangpin.core"
    verbose_name = "核心"

    def ready(self) -> None:
        from fangpin.core import changelog

        changelog.connect_signals()
        _memoise_table_signatures()
        _compile_translations()


def _memoise_table_signatures() -> None:
    """django-tables2 inspects the signature of a column's render function for every cell it draws (about a
    third of a 50-row page's time). A function's signature never changes, so remember it."""
    import functools

    from django_tables2 import utils

    if not hasattr(utils.signature, "cache_info"):
        utils.signature = functools.lru_cache(maxsize=4096)(utils.signature)


def _compile_translations() -> None:
    """The English catalogue is compiled from its .po when missing or stale (see core.translations); a
    read-only installation keeps the .mo its build step made."""
    from fangpin.core.translations import compile_catalogues

    with contextlib.suppress(OSError):
        compile_catalogues()

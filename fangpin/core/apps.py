from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "fangpin.core"
    verbose_name = "核心"

    def ready(self) -> None:
        from fangpin.core import changelog

        changelog.connect_signals()

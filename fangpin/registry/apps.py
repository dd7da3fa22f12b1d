from django.apps import AppConfig


class RegistryConfig(AppConfig):
    name = "fangpin.registry"
    verbose_name = "户籍信息库"

    def ready(self) -> None:
        from fangpin.registry import importers  # noqa: F401  (registers the registry importer)

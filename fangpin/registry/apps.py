from django.apps import AppConfig


class RegistryConfig(AppConfig):
    name = "fangpin.registry"
    verbose_name = "户籍信息库"

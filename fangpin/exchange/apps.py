from django.apps import AppConfig


class ExchangeConfig(AppConfig):
    name = "fangpin.exchange"
    verbose_name = "部门数据交换"

    def ready(self):
        # Registers one importer per catalogue kind ("dataset:<code>") with the import runner.
        from fangpin.exchange import importers  # noqa: F401
        from fangpin.exchange.services import sources_panel
        from fangpin.registry.panels import register_household_panel

        register_household_panel(sources_panel)

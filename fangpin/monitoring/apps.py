from django.apps import AppConfig


class MonitoringConfig(AppConfig):
    name = "fangpin.monitoring"
    verbose_name = "动态监测"

    def ready(self):
        from fangpin.monitoring.services import warnings_panel
        from fangpin.registry.panels import register_household_panel

        register_household_panel(warnings_panel)

from django.apps import AppConfig
from django.db.models.signals import post_delete, post_save, pre_save


class MonitoringConfig(AppConfig):
    name = "fangpin.monitoring"
    verbose_name = "动态监测"

    def ready(self):
        from fangpin.exchange.models import DepartmentDataset
        from fangpin.monitoring import case_views, quality_views, services
        from fangpin.registry.models import Household, HouseholdIncome, Person
        from fangpin.registry.panels import register_home_panel, register_household_panel

        register_household_panel(case_views.household_cases_panel)
        register_household_panel(services.warnings_panel)
        register_household_panel(quality_views.quality_panel)
        register_home_panel(case_views.worklist_panel)
        # Incremental re-screening: connected after the change log's own receivers (core is ready first), so
        # the "before" snapshot it took is there to compare with.
        for model in (Household, Person, HouseholdIncome):
            pre_save.connect(
                services.remember_before, sender=model, dispatch_uid=f"screening-before-{model.__name__}"
            )
            post_save.connect(
                services.registry_changed, sender=model, dispatch_uid=f"screening-{model.__name__}"
            )
        for model in (Person, HouseholdIncome):
            post_delete.connect(
                services.registry_changed, sender=model, dispatch_uid=f"screening-del-{model.__name__}"
            )
        post_save.connect(
            services.dataset_arrived, sender=DepartmentDataset, dispatch_uid="screening-dataset"
        )

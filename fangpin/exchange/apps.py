from django.apps import AppConfig


class ExchangeConfig(AppConfig):
    name = "fangpin.exchange"
    verbose_name = "部门数据交换"

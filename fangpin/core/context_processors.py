from django.utils.translation import gettext as _


def navigation(request):
    """The menu a user sees; entries appear only with the permission behind them (labels in the user's
    language: Chinese, or English if they chose it)."""
    user = getattr(request, "user", None)
    if not user or not user.is_authenticated:
        return {}
    items = [("home", _("工作台"))]
    if user.has_perm("monitoring.view_monitoringcase"):
        items.append(("monitoring:worklist", _("待办")))
        items.append(("monitoring:case_list", _("监测对象")))
    if user.has_perm("registry.view_household"):
        items.append(("registry:household_list", _("农户")))
        items.append(("registry:person_list", _("人员")))
    if user.has_perm("monitoring.view_warning"):
        items.append(("monitoring:warning_list", _("预警")))
        items.append(("monitoring:run_list", _("筛查")))
    if user.has_perm("supervision.view_clue"):
        items.append(("supervision:clue_list", _("问题线索")))
        items.append(("supervision:ledger", _("整改台账")))
    if user.has_perm("supervision.view_talk"):
        items.append(("supervision:talk_list", _("约谈")))
    if user.has_perm("supervision.view_leadervisit"):
        items.append(("supervision:leadervisit_list", _("遍访")))
    if user.has_perm("supervision.view_assessmentresult"):
        items.append(("supervision:assessment_list", _("年度考核")))
    if user.has_perm("monitoring.view_monitoringcase"):
        items.append(("monitoring:quality_list", _("数据质量")))
    if user.has_perm("monitoring.print_notice"):
        items.append(("monitoring:paper_index", _("公示公告")))
    if user.has_perm("monitoring.export_ledger"):
        items.append(("monitoring:ledger", _("台账")))
    if user.has_perm("monitoring.view_monitoringcase"):
        items.append(("monitoring:ledger_share", _("监测占比")))
    items.append(("imports", _("数据导入")))
    items.append(("geo:region_list", _("行政区划")))
    return {"nav_items": items}

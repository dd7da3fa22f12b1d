def navigation(request):
    """The menu a user sees; entries appear only with the permission behind them."""
    user = getattr(request, "user", None)
    if not user or not user.is_authenticated:
        return {}
    items = [("home", "工作台")]
    if user.has_perm("monitoring.view_monitoringcase"):
        items.append(("monitoring:worklist", "待办"))
        items.append(("monitoring:case_list", "监测对象"))
    if user.has_perm("registry.view_household"):
        items.append(("registry:household_list", "农户"))
        items.append(("registry:person_list", "人员"))
    if user.has_perm("monitoring.view_warning"):
        items.append(("monitoring:warning_list", "预警"))
        items.append(("monitoring:run_list", "筛查"))
    if user.has_perm("supervision.view_clue"):
        items.append(("supervision:clue_list", "问题线索"))
        items.append(("supervision:ledger", "整改台账"))
    if user.has_perm("supervision.view_talk"):
        items.append(("supervision:talk_list", "约谈"))
    if user.has_perm("supervision.view_leadervisit"):
        items.append(("supervision:leadervisit_list", "遍访"))
    if user.has_perm("supervision.view_assessmentresult"):
        items.append(("supervision:assessment_list", "年度考核"))
    if user.has_perm("monitoring.view_monitoringcase"):
        items.append(("monitoring:quality_list", "数据质量"))
    if user.has_perm("monitoring.print_notice"):
        items.append(("monitoring:paper_index", "公示公告"))
    if user.has_perm("monitoring.export_ledger"):
        items.append(("monitoring:ledger", "台账"))
    if user.has_perm("monitoring.view_monitoringcase"):
        items.append(("monitoring:ledger_share", "监测占比"))
    items.append(("imports", "数据导入"))
    items.append(("geo:region_list", "行政区划"))
    return {"nav_items": items}

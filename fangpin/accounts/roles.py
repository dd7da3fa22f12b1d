"""Roles, declared once: each is a Django group with named permissions and the region level it belongs to.

What a user may *see* is their region's subtree (core.scoping); what they may *do* is their role's
permissions. Personal data (full ID numbers, phones) is shown only to roles holding
`registry.view_personal_data`: the offices that enter, verify and match records. Leaders and supervisors see
masked values.
"""

from __future__ import annotations

from dataclasses import dataclass

REGISTRY_EDIT = (
    "registry.add_household",
    "registry.change_household",
    "registry.view_household",
    "registry.add_person",
    "registry.change_person",
    "registry.delete_person",
    "registry.view_person",
    "registry.add_householdincome",
    "registry.change_householdincome",
    "registry.delete_householdincome",
    "registry.view_householdincome",
)
REGISTRY_VIEW = ("registry.view_household", "registry.view_person", "registry.view_householdincome")
PERSONAL = ("registry.view_personal_data",)
EXPORT = ("registry.export_household",)
WARNINGS = ("monitoring.view_warning", "monitoring.view_screeningrun", "monitoring.view_policyparameter")
SCREENING = ("monitoring.run_screening",)
PARAMETERS = ("monitoring.add_policyparameter", "monitoring.change_policyparameter")
CASES_VIEW = ("monitoring.view_monitoringcase", "monitoring.view_visit", "assistance.view_assistancemeasure")
MEASURES = (
    "assistance.add_assistancemeasure",
    "assistance.change_assistancemeasure",
    "assistance.delete_assistancemeasure",
)
CASE_PAPERS = ("monitoring.print_notice", "monitoring.export_ledger")
# Supervision (spec §7): supervisors hand clues over, hold to account, close and escalate; the county and
# township units, and the line departments of the city and counties, verify and rectify what is handed to them;
# city departments spot-check (not their own department's clues).
CLUES_VIEW = ("supervision.view_clue", "supervision.view_cluebatch", "supervision.view_clueevidence")
CLUES_HANDLE = CLUES_VIEW + ("supervision.handle_clue", "supervision.add_clueevidence")
CLUES_SUPERVISE = CLUES_VIEW + (
    "supervision.add_clueevidence",
    "supervision.supervise_clue",
    "supervision.add_clue",
    "supervision.add_cluebatch",
    "supervision.view_clue_personal_data",
    "supervision.export_clue",
    "supervision.add_talk",
    "supervision.change_talk",
    "supervision.view_talk",
    "supervision.view_leadervisit",
    "supervision.view_assessmentresult",
    "supervision.view_assessmentindicator",
)
CLUES_SPOT_CHECK = CLUES_VIEW + ("supervision.spot_check_clue", "supervision.add_clueevidence")
GOVERNANCE = (
    "supervision.add_leadervisit",
    "supervision.view_leadervisit",
    "supervision.add_assessmentindicator",
    "supervision.change_assessmentindicator",
    "supervision.view_assessmentindicator",
    "supervision.add_assessmentresult",
    "supervision.view_assessmentresult",
    "supervision.view_talk",
)
# Who owns each workflow step (spec §3.7, §3.9): the village checks, reviews and gives notice; the county
# compares department data and approves; the township audits and announces.
VILLAGE_STEPS = (
    "monitoring.add_monitoringcase",
    "monitoring.check_case",
    "monitoring.review_case",
    "monitoring.reject_case",
    "monitoring.propose_elimination",
    "monitoring.withdraw_elimination",
    "monitoring.add_visit",
)
TOWNSHIP_STEPS = (
    "monitoring.add_monitoringcase",
    "monitoring.audit_case",
    "monitoring.announce_case",
    "monitoring.reject_case",
    "monitoring.check_elimination",
    "monitoring.withdraw_elimination",
    "monitoring.assign_cadre",
    "monitoring.add_visit",
)
COUNTY_STEPS = (
    "monitoring.add_monitoringcase",
    "monitoring.compare_case",
    "monitoring.approve_case",
    "monitoring.record_case",
    "monitoring.reject_case",
    "monitoring.approve_elimination",
    "monitoring.withdraw_elimination",
    "monitoring.assign_cadre",
)


@dataclass(frozen=True)
class Role:
    code: str
    label: str
    levels: tuple[str, ...]  # the region levels a user of this role may belong to
    permissions: tuple[str, ...]

    @property
    def group_name(self) -> str:
        return f"{self.label}（{self.code}）"


ROLES: dict[str, Role] = {
    r.code: r
    for r in [
        Role(
            "city",
            "市级管理员",
            ("city",),
            REGISTRY_EDIT
            + PERSONAL
            + EXPORT
            + WARNINGS
            + SCREENING
            + PARAMETERS
            + CASES_VIEW
            + CASE_PAPERS
            + CLUES_SPOT_CHECK
            + GOVERNANCE
            + (
                "registry.cancel_household",
                "accounts.add_user",
                "accounts.change_user",
                "accounts.view_user",
                "geo.add_region",
                "geo.change_region",
            ),
        ),
        Role(
            "county",
            "县级防贫办",
            ("county",),
            REGISTRY_EDIT
            + PERSONAL
            + EXPORT
            + WARNINGS
            + SCREENING
            + CASES_VIEW
            + COUNTY_STEPS
            + MEASURES
            + CASE_PAPERS
            + CLUES_HANDLE
            + GOVERNANCE
            + ("registry.cancel_household",),
        ),
        Role(
            "township",
            "乡镇经办人",
            ("township",),
            REGISTRY_EDIT
            + PERSONAL
            + EXPORT
            + WARNINGS
            + CASES_VIEW
            + TOWNSHIP_STEPS
            + MEASURES
            + CASE_PAPERS
            + CLUES_HANDLE
            + ("supervision.add_leadervisit", "supervision.view_leadervisit")
            + ("registry.cancel_household",),
        ),
        Role(
            "village",
            "村干部/驻村工作队",
            ("village",),
            REGISTRY_EDIT
            + PERSONAL
            + EXPORT
            + WARNINGS
            + CASES_VIEW
            + VILLAGE_STEPS
            + MEASURES
            + CASE_PAPERS,
        ),
        Role(
            "department",
            "行业部门",
            ("city", "county"),
            REGISTRY_VIEW
            + PERSONAL
            + EXPORT
            + WARNINGS
            + CASES_VIEW
            + MEASURES
            + CLUES_SPOT_CHECK
            # the clues handed to their own department (services.workflow.handles)
            + ("supervision.handle_clue",)
            + ("monitoring.export_ledger",),
        ),
        Role(
            "supervisor",
            "纪检监督/审计",
            ("city", "county"),
            REGISTRY_VIEW + EXPORT + WARNINGS + CASES_VIEW + CLUES_SUPERVISE + ("monitoring.export_ledger",),
        ),
        Role(
            "leader",
            "领导（只读）",
            ("province", "city", "county", "township"),
            REGISTRY_VIEW + WARNINGS + CASES_VIEW,
        ),
    ]
}


def sync_role_groups(**kwargs) -> None:
    """Create or update one group per role with exactly its permissions (runs after every app's migrate)."""
    from django.contrib.auth.models import Group, Permission

    for role in ROLES.values():
        group, _ = Group.objects.get_or_create(name=role.group_name)
        perms = []
        for dotted in role.permissions:
            app_label, codename = dotted.split(".")
            perm = Permission.objects.filter(content_type__app_label=app_label, codename=codename).first()
            if perm is not None:
                perms.append(perm)
        group.permissions.set(perms)


def assign_role(user, role_code: str) -> None:
    from django.contrib.auth.models import Group

    group = Group.objects.filter(name=ROLES[role_code].group_name).first()
    if group is None or not group.permissions.exists():
        sync_role_groups()
        group = Group.objects.get(name=ROLES[role_code].group_name)
    user.groups.add(group)

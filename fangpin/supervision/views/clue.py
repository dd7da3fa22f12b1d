"""One clue's pages: the list, the clue with the steps the user may take now, its evidence files (upload and a
download that checks the clue's visibility). Views parse, authorise, call a service and render; a refused step
re-renders the page with the service's Chinese reason and nothing changed. Every render of a clue's page is a
view of its personal data and is logged (clues.log_access)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin, PermissionRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404
from django.http.multipartparser import MultiPartParser
from django.middleware.csrf import CsrfViewMiddleware
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.utils.encoding import force_str
from django.views import View
from django.views.decorators.csrf import csrf_exempt

from fangpin.core.validators import mask_mobile
from fangpin.core.views import ObjectListView
from fangpin.core.workflow import status_history
from fangpin.supervision import forms as f
from fangpin.supervision.choices import RectificationAction
from fangpin.supervision.filters import ClueFilterSet
from fangpin.supervision.models import Clue
from fangpin.supervision.services import clues, evidence
from fangpin.supervision.services.workflow import CLUE_WORKFLOW, may_spot_check, steps_for
from fangpin.supervision.tables import ClueTable, clue_id_number, sees_clue_personal_data

DETAIL_TEMPLATE = "supervision/clue_detail.html"
S = Clue.Status


def refusal(exc: ValidationError) -> str:
    """A refusal's Chinese reason(s), as one line."""
    return "；".join(exc.messages)


# Model fields a service names in its refusals, and the form field that carries them on our pages.
FIELD_ALIASES = {"assigned_region": "unit"}


def show_errors(form, exc: ValidationError) -> None:
    """Attach a service's refusal to the form fields it names (the rest to the form as a whole)."""
    if not hasattr(exc, "error_dict"):
        return
    for field, errors in exc.message_dict.items():
        field = FIELD_ALIASES.get(field, field)
        form.add_error(field if field in form.fields else None, errors)


def clue_phone(value: str, user) -> str:
    return value if not value or sees_clue_personal_data(user) else mask_mobile(value)


def transition_of(clue: Clue, name: str):
    if name == "resume":
        return CLUE_WORKFLOW.by_name.get(f"resume_{clue.escalated_from}")
    return CLUE_WORKFLOW.by_name.get(name)


def clue_context(clue: Clue, user, bound: dict) -> dict:
    """Everything the clue page shows. `bound` holds the forms of a refused action, to show them as typed."""
    steps = []
    for name, t in steps_for(clue, user):
        form = bound.get(name) or f.step_form(name, user=user)
        steps.append({"name": name, "transition": t, "form": form, "open": name in bound})
    labels = dict(S.choices)
    history = [
        (s, CLUE_WORKFLOW.by_name[s.transition].label if s.transition in CLUE_WORKFLOW.by_name else "登记线索",
         labels.get(s.from_status, s.from_status), labels.get(s.to_status, s.to_status))
        for s in status_history(clue)
    ]  # fmt: skip
    person = clue.person
    household = clue.household
    can_upload = evidence.upload_refusal(clue, user) is None and clue.status not in Clue.FINISHED
    actions = dict(RectificationAction.choices)
    return {
        "clue": clue,
        "household": household,
        "person": person,
        "person_id_number": clue_id_number(person.id_number, user) if person else "",
        "household_phone": clue_phone(household.phone, user) if household else "",
        "sees_personal_data": sees_clue_personal_data(user),
        "inputs": (clue.evidence or {}).get("inputs", []) if isinstance(clue.evidence, dict) else [],
        "sources": [s for s in clue.sources.split("；") if s],
        "actions": [actions.get(a, a) for a in clue.actions or []],
        "overdue": clues.overdue(clue, clues.today()),
        "steps": steps,
        "history": history,
        "files": clue.files.select_related("uploaded_by"),
        "evidence_form": (bound.get("evidence") or f.EvidenceForm(prefix="evidence")) if can_upload else None,
        "max_mb": evidence.max_bytes() // 1048576,
    }


class ClueListView(ObjectListView):
    model = Clue
    table_class = ClueTable
    filterset_class = ClueFilterSet
    template_name = "supervision/clue_list.html"
    permission_required = "supervision.view_clue"
    export_permission = "supervision.export_clue"
    export_filename = "问题线索台账"
    title = "问题线索"

    def get_queryset(self):
        return (
            clues.clues_visible_to(self.request.user)
            .select_related("region", "assigned_region", "household", "person", "batch")
            .order_by("-created_at", "-id")
        )

    def get_add_url(self):
        user = self.request.user
        return reverse("supervision:clue_add") if user.has_perm("supervision.supervise_clue") else None

    def get_context_data(self, **kwargs):
        return super().get_context_data(**kwargs) | {"may_spot_check": may_spot_check(self.request.user)}

    def export(self, request):
        response = super().export(request)
        if isinstance(response, FileResponse):
            # An export carries the clues' people: each exported clue counts as a view of its personal data.
            filterset = self.get_filterset(self.get_filterset_class())
            for clue in filterset.qs.select_related(None).only("pk"):
                clues.log_access(clue, request.user, "export")
        return response


class ClueMixin(LoginRequiredMixin, PermissionRequiredMixin):
    """A view of one clue the user can see: out of scope is 404, exactly like a clue that does not exist."""

    permission_required = "supervision.view_clue"

    def get_clue(self) -> Clue:
        return get_object_or_404(
            clues.clues_visible_to(self.request.user).select_related(
                "region__parent__parent", "assigned_region", "household__region", "person", "batch"
            ),
            pk=self.kwargs["pk"],
        )

    def page(self, clue, bound=None):
        """The clue page (a view of its personal data, so logged), with `bound` ({slot: form}) replacing the
        empty forms after a refusal."""
        clues.log_access(clue, self.request.user, "page")
        return render(self.request, DETAIL_TEMPLATE, clue_context(clue, self.request.user, bound or {}))

    def act(self, clue, slot, form, call, success: str):
        """Validate `form`, run `call(cleaned_data)`; on success redirect to the clue, else show the reason."""
        if form.is_valid():
            try:
                call(form.cleaned_data)
            except ValidationError as exc:  # TransitionRefused is a ValidationError
                messages.error(self.request, refusal(exc))
                show_errors(form, exc)
            else:
                messages.success(self.request, success)
                return redirect(clue)
        else:
            messages.error(self.request, "请检查填写的内容")
        clue.refresh_from_db()
        return self.page(clue, {slot: form})


class ClueDetailView(ClueMixin, View):
    def get(self, request, pk):
        return self.page(self.get_clue())


class ClueStepView(ClueMixin, View):
    """POST one lifecycle step with its form."""

    def post(self, request, pk, name):
        clue = self.get_clue()
        if name not in f.STEPS:
            raise Http404("操作不存在")
        transition = transition_of(clue, name)
        if transition is None:  # "resume" of a clue never escalated (a stale page)
            if not request.user.has_perm("supervision.supervise_clue"):
                raise PermissionDenied("您没有权限执行“恢复办理”")
            messages.error(request, "该问题线索未被督办，无需恢复办理")
            return self.page(clue)
        if not request.user.has_perm(transition.permission):
            raise PermissionDenied(f"您没有权限执行“{transition.label}”")
        form = f.step_form(name, request.POST, user=request.user)
        call = f.STEPS[name][1]
        return self.act(
            clue, name, form, lambda data: call(clue, request.user, data), f"已完成：{transition.label}"
        )


class NamedUploadParser(MultiPartParser):
    """Keeps each uploaded file's name as the client sent it (`client_name`). Django quietly strips a path from
    an upload's name; a name with a path is the mark of a crafted request, and the evidence rules refuse it
    with a reason rather than store it under a name the uploader did not choose."""

    def sanitize_file_name(self, file_name):
        self._client_name = file_name
        return super().sanitize_file_name(file_name)

    def handle_file_complete(self, old_field_name, counters):
        super().handle_file_complete(old_field_name, counters)
        uploaded = self._files.getlist(force_str(old_field_name, self._encoding, errors="replace"))
        if uploaded and not hasattr(uploaded[-1], "client_name"):
            uploaded[-1].client_name = self._client_name


@method_decorator(csrf_exempt, name="dispatch")  # checked below, once the upload is parsed our way
class EvidenceAddView(ClueMixin, View):
    """上传佐证材料 to the clue's current step (multipart form)."""

    def post(self, request, pk):
        request.multipart_parser_class = NamedUploadParser
        rejected = CsrfViewMiddleware(lambda r: None).process_view(request, None, (), {})
        if rejected is not None:
            return rejected
        clue = self.get_clue()
        if not request.user.has_perm("supervision.add_clueevidence"):
            raise PermissionDenied("您没有权限上传佐证材料")
        form = f.EvidenceForm(request.POST, request.FILES, prefix="evidence")

        def upload(data):
            upload = data["file"]
            name = getattr(upload, "client_name", None) or upload.name
            evidence.add_evidence(
                clue, user=request.user, name=name, content=upload.read(), note=data["note"]
            )

        return self.act(clue, "evidence", form, upload, "已上传佐证材料")


class EvidenceDownloadView(LoginRequiredMixin, PermissionRequiredMixin, View):
    """A file of a clue the user can see, under its original name; any other file is "not found"."""

    permission_required = "supervision.view_clueevidence"

    def get(self, request, pk, file_pk):
        item = get_object_or_404(
            evidence.evidence_visible_to(request.user).select_related("clue"), pk=file_pk, clue_id=pk
        )
        clues.log_access(item.clue, request.user, "file")
        return FileResponse(
            item.file.open("rb"),
            as_attachment=True,
            filename=item.original_name,
            content_type=item.content_type,
        )

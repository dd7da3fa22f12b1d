"""Generic scoped views. Per-model views are declarations on top of these.

Every queryset comes from `Model.objects.visible_to(request.user)`: an object outside the user's region is a
404, exactly like one that does not exist. Edits go through a service function that saves inside the scope.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin, PermissionRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.http import content_disposition_header
from django.views import View
from django.views.generic import DetailView, TemplateView
from django.views.generic.edit import FormView
from django_filters.views import FilterView
from django_tables2 import SingleTableMixin
from django_tables2.paginators import LazyPaginator

from fangpin.core.spreadsheets import xlsx_response


class ScopedQuerysetMixin(LoginRequiredMixin):
    model: Any = None

    def get_queryset(self):
        return self.model.objects.visible_to(self.request.user)


class ObjectListView(ScopedQuerysetMixin, PermissionRequiredMixin, SingleTableMixin, FilterView):
    """A filtered, paginated table of the user's rows, exportable to Excel with the same columns and rows.

    Pagination does not count the whole result (LazyPaginator): the first page of a million rows is as fast
    as the first page of ten. The total is fetched separately (`?count=1`) so the page never waits for it.
    """

    template_name = "core/object_list.html"
    # Only the table paginates (setting paginate_by here would make ListView run the page query a second time).
    table_pagination = {"per_page": 50, "paginator_class": LazyPaginator}
    export_permission: str | None = None
    export_filename = "export"
    # Other layouts than the table's columns, e.g. {"registry": rows_in_the_import_layout(queryset, user)}.
    export_layouts: dict[str, Callable[..., Any]] = {}
    title = ""

    def get(self, request, *args, **kwargs):
        if request.GET.get("export") == "xlsx" or request.GET.get("export") in self.export_layouts:
            return self.export(request)
        if request.GET.get("count") == "1":
            from django.http import HttpResponse

            filterset = self.get_filterset(self.get_filterset_class())
            qs = filterset.qs if filterset.is_valid() else self.get_queryset().none()
            return HttpResponse(f"共 {qs.count():,} 条")
        return super().get(request, *args, **kwargs)

    def get_table_kwargs(self):
        return {"user": self.request.user}

    def export(self, request):
        if self.export_permission and not request.user.has_perm(self.export_permission):
            raise PermissionDenied("您的角色没有导出权限")
        filterset = self.get_filterset(self.get_filterset_class())
        if not filterset.is_valid():
            messages.error(request, "筛选条件有误，未导出")
            return HttpResponseRedirect(request.path)
        qs = filterset.qs
        limit = settings.EXPORT_MAX_ROWS
        if qs[limit : limit + 1].exists():
            messages.error(request, f"结果超过 {limit:,} 行，请缩小筛选范围后再导出")
            return HttpResponseRedirect(request.get_full_path().replace("export=xlsx", ""))
        layout = self.export_layouts.get(request.GET.get("export"))
        if layout is not None:
            header, values = layout(qs, request.user)
        else:
            table = self.get_table_class()(qs, exclude=getattr(self, "export_exclude", ()), user=request.user)
            values = table.as_values()
            header = next(values)
        return xlsx_response(header, values, f"{self.export_filename}.xlsx", sheet_title=self.title or "清单")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["title"] = self.title or self.model._meta.verbose_name_plural
        context["can_export"] = not self.export_permission or self.request.user.has_perm(
            self.export_permission
        )
        context["add_url"] = self.get_add_url()
        context["export_url"] = self._with_param("export", "xlsx")
        context["layout_urls"] = [
            (label, self._with_param("export", name))
            for name, label in getattr(self, "export_layout_labels", {}).items()
        ]
        context["count_url"] = self._with_param("count", "1")
        context["more_filters_used"] = any(
            v for k, v in self.request.GET.items() if k not in ("q", "page", "sort")
        )
        return context

    def _with_param(self, key: str, value: str) -> str:
        params = self.request.GET.copy()
        params.pop("page", None)
        params[key] = value
        return f"{self.request.path}?{params.urlencode()}"

    def get_add_url(self) -> str | None:
        return None


class ObjectDetailView(ScopedQuerysetMixin, PermissionRequiredMixin, DetailView):
    template_name_suffix = "_detail"


class ObjectEditView(ScopedQuerysetMixin, PermissionRequiredMixin, FormView):
    """Create or edit one object through a service function `save(obj, *, user)`.

    The form sees the user (to scope its choices); the service validates with the model's rules and saves
    inside the user's scope. Any refusal becomes a form error and nothing is written.
    """

    template_name = "core/object_edit.html"
    form_class: Any = None
    service: Callable[..., Any] | None = None
    object: Any = None

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        self.object = self.get_object()
        return super().dispatch(request, *args, **kwargs)

    def get_object(self):
        pk = self.kwargs.get("pk")
        if pk is None:
            return None
        return get_object_or_404(self.get_queryset(), pk=pk)

    def get_permission_required(self):
        name = self.model._meta.model_name
        verb = "change" if self.object is not None else "add"
        return (f"{self.model._meta.app_label}.{verb}_{name}",)

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        kwargs["instance"] = self.object if self.object is not None else self.new_object()
        kwargs["user"] = self.request.user
        return kwargs

    def new_object(self):
        return self.model()

    def form_valid(self, form):
        obj = form.save(commit=False)
        try:
            type(self).service(obj, user=self.request.user)
        except ValidationError as exc:
            if hasattr(exc, "error_dict"):
                for field, errors in exc.message_dict.items():
                    form.add_error(field if field in form.fields else None, errors)
            else:
                form.add_error(None, exc.messages)
            return self.form_invalid(form)
        except PermissionDenied as exc:
            form.add_error(None, str(exc) or "没有权限")
            return self.form_invalid(form)
        messages.success(self.request, f"已保存：{obj}")
        return HttpResponseRedirect(self.get_success_url(obj))

    def get_success_url(self, obj) -> str:
        return obj.get_absolute_url()

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["object"] = self.object
        context["verbose_name"] = self.model._meta.verbose_name
        return context


class ImportView(LoginRequiredMixin, TemplateView):
    """数据导入: upload a file (drag and drop, with a progress bar) and see the batches of one's region."""

    template_name = "core/imports.html"

    def get_context_data(self, **kwargs):
        from fangpin.core.importing import IMPORTERS, batches_visible_to

        context = super().get_context_data(**kwargs)
        user = self.request.user
        context["kinds"] = [(k, cls.label) for k, cls in IMPORTERS.items() if cls().allowed(user)]
        context["batches"] = batches_visible_to(user).select_related("user")[:50]
        context["max_mb"] = settings.IMPORT_MAX_BYTES // 1048576
        return context

    def post(self, request):
        from fangpin.core.importing import import_upload

        try:
            batch = import_upload(request.POST.get("kind", ""), request.FILES.get("file"), user=request.user)
        except (ValidationError, PermissionDenied) as exc:
            messages.error(request, "；".join(getattr(exc, "messages", None) or [str(exc)]))
            return HttpResponseRedirect(reverse("imports"))
        return HttpResponseRedirect(reverse("import_detail", args=[batch.pk]))


class ImportBatchDetailView(LoginRequiredMixin, DetailView):
    template_name = "core/import_detail.html"
    context_object_name = "batch"

    def get_queryset(self):
        from fangpin.core.importing import batches_visible_to

        return batches_visible_to(self.request.user).select_related("user")


class ImportErrorsView(ImportBatchDetailView):
    """The error workbook of a batch the user can see (never served from a public media URL)."""

    def get(self, request, *args, **kwargs):
        batch = self.get_object()
        if not batch.error_file:
            raise Http404("该批次没有错误说明工作簿")
        return FileResponse(
            batch.error_file.open("rb"), as_attachment=True, filename=f"错误说明-{batch.pk}.xlsx"
        )


class ImportTemplateView(LoginRequiredMixin, View):
    """A blank template for one kind of import, with header notes and drop-down lists."""

    def get(self, request, kind):
        from fangpin.core.importing import IMPORTERS, template_workbook

        if kind not in IMPORTERS:
            raise Http404("导入类型不存在")
        importer = IMPORTERS[kind]()
        response = HttpResponse(
            template_workbook(importer),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
        response["Content-Disposition"] = content_disposition_header(True, f"{importer.label}-导入模板.xlsx")
        return response

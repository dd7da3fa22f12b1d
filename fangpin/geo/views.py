from fangpin.core.tables import ScopedTable
from fangpin.core.views import ObjectListView
from fangpin.geo.filters import RegionFilterSet
from fangpin.geo.models import Region


class RegionTable(ScopedTable):
    class Meta:
        model = Region
        fields = [
            "code",
            "name",
            "level",
            "kind",
            "parent",
            "is_poor_county",
            "is_poor_village",
            "is_synthetic",
        ]
        attrs = {"class": "table"}


class RegionListView(ObjectListView):
    model = Region
    permission_required = ()
    table_class = RegionTable
    filterset_class = RegionFilterSet
    export_filename = "行政区划"
    title = "行政区划"

    def get_queryset(self):
        return super().get_queryset().select_related("parent")

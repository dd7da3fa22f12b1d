from rest_framework import serializers

from fangpin.core.api import ScopedViewSet
from fangpin.geo.filters import RegionFilterSet
from fangpin.geo.models import Region


class RegionSerializer(serializers.ModelSerializer):
    parent = serializers.SlugRelatedField(slug_field="code", read_only=True)

    class Meta:
        model = Region
        fields = [
            "id",
            "code",
            "name",
            "level",
            "kind",
            "parent",
            "is_poor_county",
            "is_poor_village",
            "is_synthetic",
        ]


class RegionViewSet(ScopedViewSet):
    """行政区划 (read-only): the caller's region and everything below it."""

    model = Region
    serializer_class = RegionSerializer
    filterset_class = RegionFilterSet
    permission_classes = ScopedViewSet.permission_classes[:1]
    http_method_names = ["get", "head", "options"]

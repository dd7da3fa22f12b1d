from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.views.i18n import set_language

from fangpin.core import views as core_views
from fangpin.registry import views as registry_views

urlpatterns = [
    path("", registry_views.HomeView.as_view(), name="home"),
    path("login/", auth_views.LoginView.as_view(template_name="core/login.html"), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("language/", set_language, name="set_language"),
    path("imports/", core_views.ImportView.as_view(), name="imports"),
    path("imports/<int:pk>/", core_views.ImportBatchDetailView.as_view(), name="import_detail"),
    path("imports/template/<str:kind>/", core_views.ImportTemplateView.as_view(), name="import_template"),
    path("imports/<int:pk>/errors/", core_views.ImportErrorsView.as_view(), name="import_errors"),
    path("geo/", include("fangpin.geo.urls")),
    path("registry/", include("fangpin.registry.urls")),
    path("monitoring/", include("fangpin.monitoring.urls")),
    path("supervision/", include("fangpin.supervision.urls")),
    path("api/", include("fangpin.api_urls")),
]

from django.contrib.auth import views as auth_views
from django.urls import include, path

from fangpin.registry import views as registry_views

urlpatterns = [
    path("", registry_views.HomeView.as_view(), name="home"),
    path("login/", auth_views.LoginView.as_view(template_name="core/login.html"), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("geo/", include("fangpin.geo.urls")),
    path("registry/", include("fangpin.registry.urls")),
    path("api/", include("fangpin.api_urls")),
]

"""fangpin settings: everything comes from the environment, read once here.

FANGPIN_DATABASE_URL (or DATABASE_URL)  sqlite:///path or postgres://user@host:port/db; default SQLite under ./var/
FANGPIN_SECRET_KEY                      required when FANGPIN_DEBUG is off
FANGPIN_DEBUG                           true/false (default false)
FANGPIN_ALLOWED_HOSTS                   comma-separated (default 127.0.0.1,localhost)
FANGPIN_VAR_DIR                         where the default SQLite file and uploads live (default ./var)
FANGPIN_EXPORT_MAX_ROWS                 the largest list one Excel export may hold (default 200000)
FANGPIN_IMPORT_MAX_BYTES                the largest file one import may upload (default 50 MiB)
FANGPIN_IMPORT_BACKGROUND_BYTES         files larger than this are imported in the background (default 2 MiB)
"""

import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent


def envbool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    if value.lower() in ("1", "true", "yes", "on"):
        return True
    if value.lower() in ("0", "false", "no", "off"):
        return False
    raise ImproperlyConfigured(f"{name} must be true or false, not {value!r}")


def envint(name: str, default: int) -> int:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    try:
        return int(value)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {value!r}") from exc


DEBUG = envbool("FANGPIN_DEBUG", False)
SECRET_KEY = os.environ.get("FANGPIN_SECRET_KEY", "")
if not SECRET_KEY:
    # A fresh machine must run `make demo` with no configuration; production sets the variable.
    SECRET_KEY = "fangpin-insecure-development-key-not-for-production"

ALLOWED_HOSTS = [
    h.strip() for h in os.environ.get("FANGPIN_ALLOWED_HOSTS", "127.0.0.1,localhost").split(",") if h.strip()
]
CSRF_TRUSTED_ORIGINS = [
    o.strip() for o in os.environ.get("FANGPIN_CSRF_TRUSTED_ORIGINS", "").split(",") if o.strip()
]

VAR_DIR = Path(os.environ.get("FANGPIN_VAR_DIR", Path.cwd() / "var")).resolve()
EXPORT_MAX_ROWS = envint("FANGPIN_EXPORT_MAX_ROWS", 200_000)
IMPORT_MAX_BYTES = envint("FANGPIN_IMPORT_MAX_BYTES", 50 * 1024 * 1024)
IMPORT_BACKGROUND_BYTES = envint("FANGPIN_IMPORT_BACKGROUND_BYTES", 2 * 1024 * 1024)

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_filters",
    "django_tables2",
    "django_htmx",
    "fangpin.core",
    "fangpin.geo",
    "fangpin.accounts",
    "fangpin.registry",
    "fangpin.exchange",
    "fangpin.monitoring",
    "fangpin.assistance",
    "fangpin.supervision",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "fangpin.core.middleware.LanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "fangpin.core.middleware.ChangeContextMiddleware",
]

ROOT_URLCONF = "fangpin.urls"
WSGI_APPLICATION = "fangpin.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "fangpin.core.context_processors.navigation",
            ],
        },
    },
]


def _database_config() -> dict:
    url = os.environ.get("FANGPIN_DATABASE_URL") or os.environ.get("DATABASE_URL")
    if not url:
        VAR_DIR.mkdir(parents=True, exist_ok=True)
        url = f"sqlite:///{VAR_DIR / 'fangpin.sqlite3'}"
    config = dj_database_url.parse(url, conn_max_age=60)
    if config["ENGINE"] == "django.db.backends.sqlite3":
        config["CONN_MAX_AGE"] = 0
        config["OPTIONS"] = {
            # WAL lets readers work while one writer writes; IMMEDIATE takes the write lock at BEGIN so two
            # writers queue instead of failing with "database is locked" half-way through a transaction.
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;"
            " PRAGMA busy_timeout=10000; PRAGMA cache_size=-65536;",
            "transaction_mode": "IMMEDIATE",
        }
    elif config["ENGINE"] == "django.db.backends.postgresql":
        config["ENGINE"] = "django.db.backends.postgresql"
    else:
        raise ImproperlyConfigured(f"FANGPIN_DATABASE_URL must be sqlite:// or postgres://, not {url!r}")
    return config


DATABASES = {"default": _database_config()}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 8}},
]

# Chinese is the interface language whatever the browser asks for: every template and message is Chinese.
LANGUAGE_CODE = "zh-hans"
FORMAT_MODULE_PATH = ["fangpin.formats"]
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

MEDIA_ROOT = VAR_DIR / "media"
MEDIA_URL = "/media/"  # never served directly: files go out through views that check who may see them
STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # whitenoise warns on every request otherwise
WHITENOISE_USE_FINDERS = True
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

DATA_UPLOAD_MAX_MEMORY_SIZE = envint("FANGPIN_UPLOAD_MAX_BYTES", 20 * 1024 * 1024)
SESSION_COOKIE_AGE = 8 * 3600

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "fangpin.core.rest.Pagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_RENDERER_CLASSES": [
        "rest_framework.renderers.JSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
        "fangpin.core.rest.XlsxRenderer",
    ],
    "EXCEPTION_HANDLER": "fangpin.core.rest.exception_handler",
}

SPECTACULAR_SETTINGS = {
    "TITLE": "fangpin 防贫 API",
    "DESCRIPTION": "咸宁市稳定脱贫长效机制信息平台的接口。所有数据按调用者的行政区划和角色限定范围。",
    "VERSION": "0.1.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    # Swagger UI and Redoc are served from the vendored sidecar package: no CDN on a government intranet.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

DJANGO_TABLES2_TEMPLATE = "core/table.html"
FILTERS_EMPTY_CHOICE_LABEL = "全部"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("FANGPIN_LOG_LEVEL", "WARNING")},
}

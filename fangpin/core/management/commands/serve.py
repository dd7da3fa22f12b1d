"""fangpin serve [--host H] [--port P]: the production server (gunicorn), not Django's runserver."""

import os
import sys

from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "用 gunicorn 启动平台（生产级服务器）"

    def add_arguments(self, parser):
        parser.add_argument("--host", default=os.environ.get("FANGPIN_HOST", "127.0.0.1"))
        parser.add_argument("--port", type=int, default=int(os.environ.get("FANGPIN_PORT", "8000")))
        parser.add_argument("--workers", type=int, default=int(os.environ.get("FANGPIN_WORKERS", "3")))

    def handle(self, *args, host, port, workers, **options):
        self.stdout.write(f"防贫监测平台：http://{host}:{port}/  （Ctrl-C 停止）")
        sys.stdout.flush()
        os.execvp(
            sys.executable,
            [
                sys.executable,
                "-m",
                "gunicorn",
                "fangpin.wsgi:application",
                "--bind",
                f"{host}:{port}",
                "--workers",
                str(workers),
                "--threads",
                "4",
                "--access-logfile",
                "-",
                "--timeout",
                "120",
            ],
        )

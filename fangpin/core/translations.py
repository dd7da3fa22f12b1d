"""The interface's second language. Chinese is the source language (the msgids are the Chinese texts); English
translations live in fangpin/locale/en/LC_MESSAGES/django.po, compiled to the .mo Django reads when the
process starts (`compile_catalogues`), so no gettext tools are needed on the machine. The compiled file is a
build artefact, never committed."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

LOCALE_DIR = Path(__file__).resolve().parents[1] / "locale"


def compile_catalogues(root: Path = LOCALE_DIR) -> list[Path]:
    """Compile every django.po below `root` whose .mo is missing or older; return the files written. The .mo is
    written to a temporary file and renamed, so concurrent workers never read half a catalogue."""
    import polib

    written = []
    for po_path in sorted(root.glob("*/LC_MESSAGES/django.po")):
        mo_path = po_path.with_suffix(".mo")
        if mo_path.exists() and mo_path.stat().st_mtime >= po_path.stat().st_mtime:
            continue
        catalogue = polib.pofile(str(po_path))
        handle, temporary = tempfile.mkstemp(dir=po_path.parent, suffix=".mo.tmp")
        os.close(handle)
        try:
            catalogue.save_as_mofile(temporary)
            os.replace(temporary, mo_path)
        finally:
            if os.path.exists(temporary):
                os.remove(temporary)
        written.append(mo_path)
    return written

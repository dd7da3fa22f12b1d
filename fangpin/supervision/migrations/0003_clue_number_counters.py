"""Clue numbers come from a per-year counter ("clue:<year>") from now on: start each year's counter after the
highest number already given that year (numbers were XS<year><7-digit id>), so no number is given twice."""

import re

from django.db import migrations

NUMBER = re.compile(r"^XS(\d{4})(\d+)$")


def start_counters(apps, schema_editor):
    Clue = apps.get_model("supervision", "Clue")
    Counter = apps.get_model("core", "Counter")
    highest: dict[str, int] = {}
    for number in Clue.objects.values_list("number", flat=True).iterator():
        match = NUMBER.match(number)
        if match:
            year, serial = match.group(1), int(match.group(2))
            highest[year] = max(highest.get(year, 0), serial)
    for year, value in highest.items():
        counter, _ = Counter.objects.get_or_create(name=f"clue:{year}")
        if counter.value < value:
            counter.value = value
            counter.save(update_fields=["value"])


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0005_counter"),
        ("supervision", "0002_department_units"),
    ]

    operations = [migrations.RunPython(start_counters, migrations.RunPython.noop)]

"""Table base: every table knows its user, so personal-data columns mask themselves for roles that must not see."""

import django_tables2 as tables

from fangpin.core.privacy import shown


class ScopedTable(tables.Table):
    def __init__(self, *args, user=None, **kwargs):
        self.user = user
        super().__init__(*args, **kwargs)


class PersonalDataColumn(tables.Column):
    """An ID number or phone column: whole for roles that need it, masked for the rest (also in exports)."""

    def __init__(self, *args, kind: str, **kwargs):
        self.kind = kind
        super().__init__(*args, **kwargs)

    def render(self, value, table, **kwargs):
        return shown(value, self.kind, table.user)

    def value(self, value, table, **kwargs):
        return shown(value, self.kind, table.user)

"""Model and form fields for identity data: they normalise input before any length or format check, so
" 4212231980 0101123x" typed on a phone is the same number as "42122319800101123X"."""

from django import forms
from django.db import models

from fangpin.core.validators import normalize_digits, normalize_mobile, validate_id_number, validate_mobile


class NormalizedFormField(forms.CharField):
    normalize = staticmethod(normalize_digits)

    def to_python(self, value):
        return self.normalize(super().to_python(value))


class IdNumberFormField(NormalizedFormField):
    pass


class MobileFormField(NormalizedFormField):
    normalize = staticmethod(normalize_mobile)


class IdNumberField(models.CharField):
    """An 18-digit resident ID number (GB 11643), stored normalised."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("max_length", 18)
        super().__init__(*args, **kwargs)
        self.validators.append(validate_id_number)

    def to_python(self, value):
        return normalize_digits(super().to_python(value)) if value is not None else value

    def formfield(self, **kwargs):
        return super().formfield(**{"form_class": IdNumberFormField, "max_length": 40, **kwargs})


class MobileField(models.CharField):
    """An 11-digit mainland mobile number, stored normalised (no +86, no spaces)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("max_length", 11)
        super().__init__(*args, **kwargs)
        self.validators.append(validate_mobile)

    def to_python(self, value):
        return normalize_mobile(value) if value else ("" if value == "" else value)

    def formfield(self, **kwargs):
        return super().formfield(**{"form_class": MobileFormField, "max_length": 30, **kwargs})

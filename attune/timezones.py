"""The IANA time zones a user may choose from."""

import zoneinfo
from functools import cache

from django.core.exceptions import ValidationError


@cache
def timezone_names() -> tuple[str, ...]:
    # The legacy aliases ("US/Pacific", "Etc/GMT+3", ...) confuse more than they help.
    return tuple(
        sorted(
            name
            for name in zoneinfo.available_timezones()
            if ("/" in name and not name.startswith(("Etc/", "SystemV/", "US/"))) or name == "UTC"
        )
    )


def validate_timezone(value: str) -> None:
    if value not in timezone_names():
        raise ValidationError(
            "Choose a time zone from the list, such as Europe/Berlin.", code="invalid_timezone"
        )

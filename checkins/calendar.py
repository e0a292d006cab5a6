"""Calendar files for agreed revisits, made with icalendar."""

from datetime import timedelta

from django.utils import timezone
from icalendar import Calendar, Event

from checkins.models import Revisit

DURATION = timedelta(minutes=30)


def revisit_ics(revisit: Revisit, *, url: str) -> bytes:
    """One VEVENT with a stable UID, so importing it again after a move updates the same
    event. The summary says nothing private: a lock screen may show it."""
    calendar = Calendar()
    calendar.add("prodid", "-//Attune//Revisit//EN")
    calendar.add("version", "2.0")
    calendar.add("method", "PUBLISH")
    event = Event()
    event.add("uid", f"{revisit.uid}@attune")
    event.add("sequence", revisit.sequence)
    event.add("dtstamp", timezone.now())
    event.add("dtstart", revisit.scheduled_for)
    event.add("dtend", revisit.scheduled_for + DURATION)
    event.add("summary", "Attune: time to come back together")
    event.add("description", f"Your planned revisit. Open Attune: {url}")
    event.add("url", url)
    calendar.add_component(event)
    return calendar.to_ical()

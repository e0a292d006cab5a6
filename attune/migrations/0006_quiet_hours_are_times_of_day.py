from django.db import migrations


class Migration(migrations.Migration):
    """Once a state-only change of the quiet hours to a TimeField subclass, since undone:
    the fields are plain TimeFields again (see fields.W161 in attune/settings.py). Kept,
    empty, so databases that applied it and databases that did not agree."""

    dependencies = [
        ("attune", "0005_alter_notification_kind"),
    ]

    operations = []

import datetime

from django.db import migrations

import attune.models


class Migration(migrations.Migration):
    """The quiet hours become TimeOfDayFields: the same column, one system check fewer.

    State only, so SQLite does not rebuild the user table for a change it cannot see.
    """

    dependencies = [
        ("attune", "0005_alter_notification_kind"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="user",
                    name="quiet_hours_end",
                    field=attune.models.TimeOfDayField(default=datetime.time(8, 0)),
                ),
                migrations.AlterField(
                    model_name="user",
                    name="quiet_hours_start",
                    field=attune.models.TimeOfDayField(default=datetime.time(22, 0)),
                ),
            ],
        ),
    ]

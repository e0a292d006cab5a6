from django.contrib.auth.management import create_permissions
from django.db import migrations

EDITOR_PERMISSIONS = [
    ("content", "add_article"),
    ("content", "change_article"),
    ("content", "view_article"),
    ("content", "view_articlerevision"),
    ("content", "change_articlerevision"),
    ("content", "add_topic"),
    ("content", "change_topic"),
    ("content", "view_topic"),
]


def create_editor_group(apps, schema_editor):
    # Permissions are normally made after all migrations; editors need them now.
    config = apps.get_app_config("content")
    config.models_module = True  # the migration state's stub lacks it
    create_permissions(config, apps=apps, verbosity=0)
    config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _ = Group.objects.get_or_create(name="editor")
    for app_label, codename in EDITOR_PERMISSIONS:
        group.permissions.add(
            Permission.objects.get(content_type__app_label=app_label, codename=codename)
        )


class Migration(migrations.Migration):
    dependencies = [
        ("content", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    operations = [migrations.RunPython(create_editor_group, migrations.RunPython.noop)]

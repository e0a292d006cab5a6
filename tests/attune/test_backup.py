"""`manage.py backup` and `manage.py restore` on the database the suite runs on (PostgreSQL
through pg_dump and pg_restore, SQLite through its backup API): back up, wipe, restore, and
every row is back as it was."""

import stat
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from attune.models import Couple, Membership, Notification, User
from attune.services import couple_link
from checkins.models import Answer, CheckIn
from tests.factories import CheckInFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)

TABLES = (User, Couple, Membership, CheckIn, Answer, Notification)


def snapshot() -> dict:
    return {model.__name__: sorted(model.objects.values_list()) for model in TABLES}


@pytest.fixture(autouse=True)
def tools():
    if connection.vendor == "postgresql":
        import shutil

        if not (shutil.which("pg_dump") and shutil.which("pg_restore")):
            pytest.skip("pg_dump and pg_restore are not installed")


def test_backup_wipe_restore_brings_every_row_back(tmp_path):
    a, b = UserFactory(), UserFactory()
    couple_link(first=a, second=b)
    CheckInFactory(author=a, state="activated", note="only for me", note_visibility="only_me")
    for _ in range(30):
        CheckInFactory(author=b, stressors=["work", "sleep"])
    Answer.objects.create(
        checkin=CheckIn.objects.filter(author=b).first(),
        author=a,
        kind="see_you",
        couple=CheckIn.objects.first().couple,
    )
    before = snapshot()

    out = StringIO()
    call_command("backup", folder=tmp_path, stdout=out)
    (written,) = tmp_path.glob("attune-*")
    assert str(written) in out.getvalue()
    assert stat.S_IMODE(written.stat().st_mode) == 0o600  # it holds every note

    CheckIn.objects.all().delete()
    User.objects.all().delete()
    assert CheckIn.objects.count() == 0

    call_command("restore", str(written), interactive=False, stdout=StringIO())
    assert snapshot() == before
    # And the app works on it: a new row takes the next id, not one the backup holds.
    assert CheckInFactory(author=a).pk > max(pk for pk, *_ in before["CheckIn"])


def test_backups_are_kept_to_the_newest_few(tmp_path):
    UserFactory()
    for _ in range(4):
        call_command("backup", folder=tmp_path, keep=2, stdout=StringIO())
    assert len(list(tmp_path.glob("attune-*"))) == 2
    with pytest.raises(CommandError, match="--keep must be 1 or more"):
        call_command("backup", folder=tmp_path, keep=0, stdout=StringIO())


def test_restore_refuses_what_is_not_a_backup_of_this_database(tmp_path):
    with pytest.raises(CommandError, match="no backup at"):
        call_command("restore", str(tmp_path / "missing.dump"), interactive=False)
    other = tmp_path / "attune-1.txt"
    other.write_text("not a backup")
    with pytest.raises(CommandError, match="is not a"):
        call_command("restore", str(other), interactive=False)
    assert User.objects.count() == 0  # nothing touched

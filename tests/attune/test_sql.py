"""attune.sql builds model instances from plain rows as the ORM builds them."""

from django.db import connection
from django.db.models import signals

from attune.models import User
from attune.sql import RowBuilder, builder, columns, table
from checkins.models import CheckIn
from tests.factories import CheckInFactory


def _row(model, fields, pk):
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {columns(model, 't', fields)} FROM {table(model)} t WHERE t.id = %s",  # noqa: S608
            [pk],
        )
        return cursor.fetchone()


def _values(instance) -> dict:
    return {k: v for k, v in vars(instance).items() if k != "_state"}


def test_an_instance_built_from_a_row_is_the_one_the_orm_loads(partner_a, partner_b):
    made = CheckInFactory(
        author=partner_b, note="only mine", body_cues=["tight chest"], stressors=["work"]
    )
    fields = [f for f in CheckIn._meta.concrete_fields if f.attname != "note"]
    built = builder(CheckIn, fields).build(_row(CheckIn, fields, made.pk))
    loaded = CheckIn.objects.defer("note").get(pk=made.pk)
    assert type(built) is CheckIn
    assert _values(built) == _values(loaded)
    assert built.body_cues == ["tight chest"]  # JSON read as the ORM reads it
    assert (built._state.adding, built._state.db) == (False, loaded._state.db)
    assert built.get_deferred_fields() == loaded.get_deferred_fields() == {"note"}
    assert built.note == "only mine"  # a field not selected is read when asked for
    assert built.author == partner_b
    # Saved again, it updates its row rather than inserting one.
    built.intensity = 5
    built.save(update_fields=["intensity"])
    assert CheckIn.objects.get(pk=made.pk).intensity == 5
    assert CheckIn.objects.count() == 1


def test_a_model_with_an_init_receiver_is_built_through_from_db(partner_a):
    seen = []

    def receiver(sender, instance, **kwargs):
        seen.append(instance)

    signals.post_init.connect(receiver, sender=User)
    try:
        build = RowBuilder(User)
        assert not build.direct
        user = build.build(_row(User, None, partner_a.pk))
    finally:
        signals.post_init.disconnect(receiver, sender=User)
    assert seen == [user]
    assert user.email == partner_a.email
    assert RowBuilder(User).direct

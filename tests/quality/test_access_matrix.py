"""Every URL the project defines, requested as every kind of visitor.

The routes are read from the URL resolver, so a new URL fails this test until it has a row
in MATRIX. Each row gives the expected status per role for a GET; object ids in the URL are
the couple's own. A second test tries each object URL with another couple's ids (IDOR).
"""

from datetime import timedelta

import pytest
from django.contrib.auth.models import Group
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone

from attune.models import Invitation, TherapistProfile
from attune.services import (
    couple_link,
    invitation_create,
    therapist_consent,
    therapist_invite,
    therapist_join,
    therapist_revoke,
)
from checkins.models import Flag, Revisit
from tests.factories import ArticleFactory, CheckInFactory, TherapistFactory, UserFactory

ROLES = [
    "anon",
    "alex",
    "sam",
    "outsider",
    "unlinked",
    "t_none",
    "t_half",
    "t_one",
    "t_revoked",
    "t_full",
    "editor",
]
# Library URL trees: allauth's and the admin's own rules apply there.
LIBRARY_PREFIXES = ("accounts/", "admin/")

LOGIN = 302  # to the login page


def row(
    anon=LOGIN, partners=200, outsider=None, unlinked=None, therapists=403, t_full=None, editor=None
):
    """Expected statuses: `partners` for Alex and Sam; the others default sensibly."""
    outsider = partners if outsider is None else outsider
    unlinked = outsider if unlinked is None else unlinked
    t_full = therapists if t_full is None else t_full
    editor = unlinked if editor is None else editor
    return {
        "anon": anon,
        "alex": partners,
        "sam": partners,
        "outsider": outsider,
        "unlinked": unlinked,
        "t_none": therapists,
        "t_half": therapists,
        "t_one": therapists,
        "t_revoked": therapists,
        "t_full": t_full,
        "editor": editor,
    }


PUBLIC = row(anon=200, partners=200, therapists=200)
POST_ONLY = row(partners=405, therapists=405)
PARTNER_POST_ONLY = row(partners=405)  # therapists: 403 before the method check
OWN_OBJECT_POST_ONLY = row(partners=405, therapists=405)

MATRIX = {
    "": row(anon=200, partners=302, therapists=302),
    "favicon.ico": row(anon=301, partners=301, therapists=301),
    "sitemap.xml": PUBLIC,
    "partner/": row(),
    "partner/invite/email/": PARTNER_POST_ONLY,
    "partner/invite/code/": PARTNER_POST_ONLY,
    "partner/invitations/<int:pk>/withdraw/": PARTNER_POST_ONLY,
    "partner/code/": row(),
    "partner/code/accept/": PARTNER_POST_ONLY,
    "partner/unlink/": row(partners=302, outsider=302, unlinked=302),  # reauthenticate first
    "invite/<str:token>/": row(anon=200, partners=200, therapists=200),
    "partner/therapist/": row(),
    "partner/therapist/invite/": PARTNER_POST_ONLY,
    "partner/therapist/<int:pk>/consent/": PARTNER_POST_ONLY,
    "partner/therapist/<int:pk>/renew/": PARTNER_POST_ONLY,
    "partner/therapist/<int:pk>/revoke/": PARTNER_POST_ONLY,
    "therapist/": row(partners=403, therapists=200),
    "therapist/setup/": row(partners=200, therapists=200),
    "therapist/join/": row(partners=403, therapists=200),
    "therapist/couples/<int:pk>/": row(partners=403, therapists=404, t_full=200),
    "therapist/couples/<int:pk>/summary/": row(partners=403, therapists=404, t_full=200),
    "settings/": row(therapists=200),
    "settings/sharing/": row(unlinked=302),  # nothing to pause without a partner
    "safety/": PUBLIC,
    "sw.js": PUBLIC,
    "manifest.webmanifest": PUBLIC,
    "offline/": PUBLIC,
    "settings/push/": PARTNER_POST_ONLY,
    "settings/push/off/": POST_ONLY,
    "settings/push/<int:pk>/remove/": OWN_OBJECT_POST_ONLY,
    "settings/export.json": row(partners=302, therapists=302),  # reauthenticate first
    "settings/export.csv": row(partners=302, therapists=302),
    "settings/delete/": row(partners=302, therapists=302),
    "notifications/": row(therapists=200),
    "notifications/bell/": row(therapists=200),
    "timeline/": row(therapists=302),  # therapists go to their couples
    # anon: an HX-Redirect to the login; nothing new for those without a couple: 204.
    "timeline/poll/": row(anon=200, partners=200, unlinked=204, therapists=204),
    "timeline/patterns/": row(),  # an unlinked partner is asked to link first
    "timeline/checkins/": POST_ONLY,
    "timeline/checkins/<int:pk>/delete/": OWN_OBJECT_POST_ONLY,
    "timeline/checkins/<int:pk>/answer/": OWN_OBJECT_POST_ONLY,
    "timeline/flags/<int:pk>/": row(outsider=404, unlinked=404, therapists=404),
    "timeline/revisits/new/": row(therapists=200),
    "timeline/revisits/<int:pk>/": row(outsider=404, unlinked=404, therapists=404),
    "timeline/revisits/<int:pk>/calendar.ics": row(
        partners=404,
        outsider=404,
        unlinked=404,
        therapists=404,  # only once agreed
    ),
    "timeline/revisits/<int:pk>/accept/": POST_ONLY,
    "timeline/revisits/<int:pk>/decline/": POST_ONLY,
    "timeline/revisits/<int:pk>/cancel/": POST_ONLY,
    "timeline/revisits/<int:pk>/done/": POST_ONLY,
    "timeline/revisits/<int:pk>/rate/": POST_ONLY,
    "timeline/revisits/<int:pk>/more-time/": POST_ONLY,
    "timeline/revisits/<int:pk>/change/": POST_ONLY,
    "articles/": PUBLIC,
    "articles/search/": PUBLIC,
    "articles/feed/": PUBLIC,
    "articles/<slug:slug>/": PUBLIC,
}


def project_routes() -> list[str]:
    routes = []

    def walk(patterns, prefix=""):
        for pattern in patterns:
            route = prefix + str(pattern.pattern)
            if isinstance(pattern, URLResolver):
                if not route.startswith(LIBRARY_PREFIXES):
                    walk(pattern.url_patterns, route)
            elif isinstance(pattern, URLPattern):
                routes.append(route)

    walk(get_resolver().url_patterns)
    return routes


def test_every_route_has_a_rule():
    missing = sorted(set(project_routes()) - set(MATRIX))
    assert not missing, f"add these to MATRIX: {missing}"
    stale = sorted(set(MATRIX) - set(project_routes()))
    assert not stale, f"no longer routes: {stale}"


@pytest.fixture
def world(db):
    """Two couples with all their objects, and one of each other kind of visitor."""
    alex, sam = UserFactory(display_name="Alex"), UserFactory(display_name="Sam")
    robin, kim = UserFactory(display_name="Robin"), UserFactory(display_name="Kim")
    ours, theirs = couple_link(first=alex, second=sam), couple_link(first=robin, second=kim)
    people = {
        "alex": alex,
        "sam": sam,
        "outsider": robin,
        "unlinked": UserFactory(display_name="Jo"),
    }
    editor = UserFactory(is_staff=True)
    editor.groups.add(Group.objects.get(name="editor"))
    people["editor"] = editor

    def therapist(name):
        user = TherapistFactory()
        TherapistProfile.objects.create(user=user, professional_name=name, practice="P")
        return user

    accesses = {}
    # t_half joined and nobody consented; t_one has Alex's consent only (a code handed to
    # a therapist by one partner); t_revoked had both, then Sam ended it.
    for role in ("t_half", "t_one", "t_revoked", "t_full"):
        people[role] = therapist(role)
        _access, code = therapist_invite(partner=alex, duration_days=90)
        access = therapist_join(therapist=people[role], code=code)
        if role != "t_half":
            access = therapist_consent(partner=alex, access=access)
        if role not in ("t_half", "t_one"):
            access = therapist_consent(partner=sam, access=access)
        if role == "t_revoked":
            therapist_revoke(partner=sam, access=access)
        accesses[role] = access
    people["t_none"] = therapist("none")

    objects = {}
    pairs = (("ours", ours, sam), ("theirs", theirs, kim))
    for key, couple, partner in pairs:
        checkin = CheckInFactory(author=partner)
        flag = Flag.objects.create(couple=couple, pattern="mutual_escalation")
        revisit = Revisit.objects.create(
            couple=couple, proposed_by=partner, scheduled_for=timezone.now() + timedelta(hours=1)
        )
        invitation, _raw = invitation_create(
            inviter=UserFactory(), channel=Invitation.Channel.CODE, accept_url=str
        )
        objects[key] = {
            "checkin": checkin,
            "flag": flag,
            "revisit": revisit,
            "invitation": invitation,
        }
    _inv, token = invitation_create(
        inviter=people["unlinked"], channel="email", email="x@example.com", accept_url=str
    )
    ArticleFactory(slug="an-article")
    return {"people": people, "objects": objects, "accesses": accesses, "token": token}


# Each thing a partner can do to a revisit has its own view and URL.
ACTIONS = ["accept", "decline", "cancel", "done", "rate", "more-time", "change"]


def url_for(route: str, world: dict, whose: str = "ours") -> str:
    objects = world["objects"][whose]
    values = {
        "partner/invitations/<int:pk>/withdraw/": objects["invitation"].pk,
        **{
            f"partner/therapist/<int:pk>/{action}/": world["accesses"]["t_full"].pk
            for action in ("consent", "renew", "revoke")
        },
        "therapist/couples/<int:pk>/": world["accesses"]["t_full"].pk,
        "therapist/couples/<int:pk>/summary/": world["accesses"]["t_full"].pk,
        "timeline/checkins/<int:pk>/delete/": objects["checkin"].pk,
        "timeline/checkins/<int:pk>/answer/": objects["checkin"].pk,
        "timeline/flags/<int:pk>/": objects["flag"].pk,
        "timeline/revisits/<int:pk>/": objects["revisit"].pk,
        "timeline/revisits/<int:pk>/calendar.ics": objects["revisit"].pk,
        **{f"timeline/revisits/<int:pk>/{action}/": objects["revisit"].pk for action in ACTIONS},
    }
    url = "/" + route
    url = url.replace("<int:pk>", str(values.get(route, 0)))
    url = url.replace("<slug:action>", "accept").replace("<slug:slug>", "an-article")
    url = url.replace("<str:token>", world["token"])
    return url + ("?checkin=0&answer=0" if route == "timeline/poll/" else "")


@pytest.mark.parametrize("role", ROLES)
def test_each_role_gets_what_the_matrix_says(client, world, role):
    if role != "anon":
        client.force_login(world["people"][role])
    wrong = []
    for route, expected in MATRIX.items():
        status = client.get(url_for(route, world)).status_code
        if status != expected[role]:
            wrong.append(f"{route}: {status}, expected {expected[role]}")
    assert not wrong, "\n".join(wrong)


OBJECT_POSTS = [
    "partner/invitations/<int:pk>/withdraw/",
    "timeline/checkins/<int:pk>/delete/",
    "timeline/checkins/<int:pk>/answer/",
    *(f"timeline/revisits/<int:pk>/{action}/" for action in ACTIONS),
]
OBJECT_GETS = [
    "timeline/flags/<int:pk>/",
    "timeline/revisits/<int:pk>/",
    "timeline/revisits/<int:pk>/calendar.ics",
]


@pytest.mark.parametrize("role", ["alex", "sam"])
def test_another_couples_ids_are_not_found(client, world, role):
    client.force_login(world["people"][role])
    theirs = world["objects"]["theirs"]
    before = (
        theirs["checkin"].__class__.objects.filter(pk=theirs["checkin"].pk).count(),
        Revisit.objects.get(pk=theirs["revisit"].pk).status,
    )
    for route in OBJECT_POSTS:
        response = client.post(url_for(route, world, "theirs"), {"kind": "see_you"})
        assert response.status_code == 404, route
    for route in OBJECT_GETS:
        assert client.get(url_for(route, world, "theirs")).status_code == 404, route
    after = (
        theirs["checkin"].__class__.objects.filter(pk=theirs["checkin"].pk).count(),
        Revisit.objects.get(pk=theirs["revisit"].pk).status,
    )
    assert before == after

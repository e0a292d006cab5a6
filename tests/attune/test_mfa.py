import re
import time

import time_machine
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value
from django.urls import reverse
from pytest_django.asserts import assertContains

from tests.attune.test_linking import reauthenticate
from tests.factories import TEST_PASSWORD


def test_totp_is_set_up_with_recovery_codes_and_then_asked_at_login(client, partner_a):
    client.force_login(partner_a)
    assert "/accounts/reauthenticate/" in client.get(reverse("mfa_activate_totp")).url
    reauthenticate(client, partner_a)
    page = client.get(reverse("mfa_activate_totp"))
    secret = re.search(r'id="authenticator_secret"[^>]*value="([A-Z2-7]+)"', page.content.decode())
    secret = secret or re.search(r'value="([A-Z2-7]{32})"', page.content.decode())
    # The clock stands still between working out the code and the server checking it: a
    # 30-second step passing in between made the code stale (TOTP tolerance is 0).
    with time_machine.travel(time.time(), tick=False):
        code = format_hotp_value(hotp_value(secret.group(1), int(time.time()) // 30))
        response = client.post(reverse("mfa_activate_totp"), {"code": code})
    assert response.status_code == 302
    assert set(Authenticator.objects.filter(user=partner_a).values_list("type", flat=True)) == {
        "totp",
        "recovery_codes",
    }

    client.logout()
    login = client.post(
        reverse("account_login"), {"login": partner_a.email, "password": TEST_PASSWORD}
    )
    assert login.url == reverse("mfa_authenticate")
    assertContains(client.get(reverse("mfa_authenticate")), "Two-Factor Authentication")

"""The error handler: a database out of reach is a calm 503 that says when to come back;
anything else is the plain 500 page. (tests/faults/ stops a real database under gunicorn.)"""

from django.db import InterfaceError, OperationalError

from attune.views import UNAVAILABLE_RETRY_SECONDS, server_error


def handled(error: Exception, rf):
    # handler500 runs while Django handles the exception, as here.
    try:
        raise error
    except Exception:
        return server_error(rf.get("/timeline/"))


def test_a_database_out_of_reach_is_a_503_with_retry_after(rf):
    for error in (OperationalError("connection refused"), InterfaceError("connection closed")):
        response = handled(error, rf)
        assert response.status_code == 503
        assert response["Retry-After"] == str(UNAVAILABLE_RETRY_SECONDS)
        assert "no-store" in response["Cache-Control"]
        page = response.content.decode()
        assert "Attune is back in a moment" in page
        assert "Leave quickly" in page
        assert "connection refused" not in page  # nothing of the error itself


def test_any_other_error_is_the_plain_500(rf):
    response = handled(ValueError("a bug"), rf)
    assert response.status_code == 500
    assert "Something went wrong on our side" in response.content.decode()
    assert "Retry-After" not in response

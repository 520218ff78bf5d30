"""Fixtures for the JSON API tests: a personal token for a user, and a test client that sends it."""
import pytest

from extensions import db
from sales.api.auth import create_token


@pytest.fixture
def token_for(app):
    def make(user, expires_on=None):
        with app.app_context():
            from models import User

            _row, token = create_token(db.session.get(User, user.id), "tests", expires_on)
            db.session.commit()
            return token

    return make


@pytest.fixture
def api(client, token_for):
    """api(user).get(...): the test client with the user's token on every request."""

    class Api:
        def __init__(self, token):
            self.headers = {"Authorization": f"Bearer {token}"}

        def open(self, url, method="GET", headers=None, **kwargs):
            return client.open(url, method=method, headers={**self.headers, **(headers or {})}, **kwargs)

        def get(self, url, **kwargs):
            return self.open(url, **kwargs)

        def post(self, url, **kwargs):
            return self.open(url, "POST", **kwargs)

        def patch(self, url, **kwargs):
            return self.open(url, "PATCH", **kwargs)

    return lambda user: Api(token_for(user))

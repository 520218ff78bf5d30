"""The demo shop command."""
from sqlalchemy import func, select

from extensions import db
from models import Customer, User


def test_demo_fills_an_empty_shop(runner, app):
    result = runner.invoke(args=["demo", "--customers", "20"])
    assert result.exit_code == 0, result.output
    assert "owner@ruedalibre.example" in result.output and "password:" in result.output
    with app.app_context():
        roles = sorted(db.session.scalars(select(User.role)).all())
        assert roles == ["owner", "seller", "seller", "support"]
        assert db.session.scalar(select(func.count()).select_from(Customer)) == 20
        companies = db.session.scalar(select(func.count()).where(Customer.kind == "company"))
        assert companies == 8
        assert all(c.owner_id for c in db.session.scalars(select(Customer)))


def test_demo_refuses_a_shop_with_users(runner, owner):
    result = runner.invoke(args=["demo"])
    assert result.exit_code != 0
    assert "already has users" in result.output


def test_demo_password_is_random(runner, app):
    result = runner.invoke(args=["demo", "--customers", "1"])
    password = result.output.split("password: ")[1].split()[0]
    assert len(password) >= 12 and password != "demo-password"

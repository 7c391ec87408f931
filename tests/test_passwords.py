"""What a staff password must be: long enough, not the username, not a common password, and not easy to
guess by zxcvbn's estimate (with the person's username and name and the hospital's words as what a guesser
knows). A refusal says why and how to choose a better one, in the reader's language."""

import pytest
from sqlalchemy import select

from intranet.core.extensions import db
from intranet.core.passwords import password_problem
from intranet.core.users import User
from tests.conftest import csrf_token, login
from tests.factories import PASSWORD

ADVICE = ("Choose three or four words that do not belong together (a short sentence only you would think of), "
          "or a longer password.")
EASY = "This password is easy to guess. "


@pytest.mark.parametrize(("password", "username", "name", "problem"), [
    ("short", "", "", "Use at least 8 characters."),
    ("x" * 129, "", "", "Use at most 128 characters."),
    ("new-person", "new-person", "", "The password cannot be the username."),
    ("password", "", "", "This is one of the most common passwords: choose another."),
    ("12345678", "", "", "This is one of the most common passwords: choose another."),
    ("aaaaaaaa", "", "", EASY + "Repeated characters or groups, such as “aaaa” or “abcabc”, are easy to guess. "
     + ADVICE),
    ("zzzzzzzzzz", "", "", EASY + "Repeated characters or groups, such as “aaaa” or “abcabc”, are easy to guess. "
     + ADVICE),
    ("abcdefgh", "", "", EASY + "Sequences such as “abcd” or “6543” are easy to guess. " + ADVICE),
    ("1990-05-17", "", "", EASY + "Dates and years are easy to guess. " + ADVICE),
    ("wangxiaoming88", "wangxm", "wangxiaoming", EASY + "It contains your name, your username, or the hospital's "
     "name or words. " + ADVICE),
    ("headcard2026", "head-card", "", EASY + "It contains your name, your username, or the hospital's name or "
     "words. " + ADVICE),
    ("hospital123!", "", "", EASY + "It contains your name, your username, or the hospital's name or words. "
     + ADVICE),
    ("demo-password", "", "", EASY + "A common word or name, even with a few letters changed, is easy to guess. "
     + ADVICE),
    ("correct horse battery staple", "", "", None),
    ("plum tree by the gate", "head-card", "张主任", None),
    ("医院投诉处理2026年", "", "", None),
    ("lantern over the river " * 5, "", "", None),  # beyond what the estimator reads: long, so strong
])
def test_what_a_password_may_not_be_and_why(app_ctx, password, username, name, problem):
    with app_ctx.test_request_context("/?lang=en"):
        found = password_problem(password, username, name)
        assert (str(found) if found else None) == problem


def test_the_hospitals_name_is_what_a_guesser_knows_too(app_ctx, monkeypatch):
    monkeypatch.setitem(app_ctx.config, "HOSPITAL_NAME", "Xuhui Binjiang")
    with app_ctx.test_request_context("/?lang=en"):
        assert password_problem("xuhuibinjiang") is not None
        monkeypatch.setitem(app_ctx.config, "HOSPITAL_NAME", "")
        assert password_problem("xuhuibinjiang") is None


@pytest.mark.parametrize(("password", "refused"), [
    ("aaaaaaaa", True), ("abcdefgh", True), ("zzzzzzzzzz", True), ("new-person", True), ("short", True),
    ("correct horse battery staple", False),
])
def test_the_users_command_refuses_them(app_ctx, world, password, refused):
    result = app_ctx.test_cli_runner().invoke(args=["users", "create", "new-person", "--role", "reception",
                                                    "--password", password])
    assert (result.exit_code != 0) == refused, result.output
    assert (db.session.scalar(select(User).where(User.username == "new-person")) is None) == refused


@pytest.mark.parametrize(("lang", "words"), [
    ("en", ["This password is easy to guess.", "Sequences such as “abcd” or “6543” are easy to guess.",
            "Choose three or four words that do not belong together"]),
    ("zh", ["这个密码很容易被猜到。", "“abcd”或“6543”这样的连续字符很容易被猜到。", "请选三四个互不相干的词"]),
])
def test_the_change_password_form_says_why_in_the_readers_language(world, client, lang, words):
    login(client, world.head)
    token = csrf_token(client, "/account/password")
    refused = client.post(f"/account/password?lang={lang}", data={
        "csrf_token": token, "current_password": PASSWORD, "new_password": "abcdefgh", "confirm": "abcdefgh"})
    assert refused.status_code == 422
    html = refused.get_data(as_text=True)
    for word in words:
        assert word in html
    db.session.expire_all()
    assert db.session.get(User, world.head.id).check_password(PASSWORD)  # unchanged

"""The reply letter (答复函): every answer given in writing is written as a letter, from the template an
administrator keeps per language, in the complainant's language, with where they may go if not satisfied
(the health commission's line, the mediation committee, the courts); kept on the complaint as it was sent,
so a later edit of the template leaves it as it is, and vouched for by the chain."""

from html import unescape

import pytest
from sqlalchemy import select, text

from intranet.complaints import audit, letters, operations
from intranet.complaints.lifecycle import Action, State
from intranet.complaints.models import ComplaintLetter
from intranet.core import hospital as hospital_module
from intranet.core.extensions import db
from intranet.core.hospital import HospitalRecord
from tests import factories
from tests.conftest import csrf_token, login

DETAILS = {
    "name_zh": "示范市第一人民医院", "name_en": "Demo City First People's Hospital",
    "office_address_zh": "门诊楼一楼 患者服务中心", "office_address_en": "the Patient Service Centre",
    "office_phone": "0571-8765 4321", "office_hours": "08:30–17:00",
    "commission_name_zh": "示范市卫生健康委员会", "commission_name_en": "Demo City Health Commission",
    "commission_phone": "12320",
    "mediation_name_zh": "示范市医疗纠纷人民调解委员会",
    "mediation_name_en": "Demo City Medical Dispute People's Mediation Committee",
    "mediation_address_zh": "人民路 88 号 3 楼", "mediation_address_en": "3rd floor, 88 Renmin Road",
    "mediation_phone": "0571-8765 0000",
}
TOLD = "We are sorry. Delays are now announced every 30 minutes."
WHAT = "候诊三个小时没有人解释原因。 Waited three hours with no explanation."


@pytest.fixture(autouse=True)
def details(world):
    db.session.execute(HospitalRecord.__table__.delete())  # the migration's row, or another test's
    db.session.add(HospitalRecord(id=1, version=1, unlimited_networks="", **DETAILS))
    db.session.commit()
    hospital_module.forget()


def answer(world, complaint, method="written", told=TOLD, by=None):
    operations.perform(by or world.reception, Action.respond, complaint, {"method": method, "told_text": told},
                       complaint.version)
    db.session.commit()
    return complaint


def signed_off(world, **data):
    return factories.make_complaint(world, State.signed_off, **data)


def english_letter(reference: str) -> str:
    return f"""Demo City First People's Hospital
Our answer to your complaint

Reference: {reference}

Dear 王女士,

We received your complaint on 18 November 2026; thank you for telling us. You told us: {WHAT}

We have looked into it, and this is our answer.

{TOLD}

What we are doing to put it right: Apology.

If you are not satisfied with this answer, you may complain to Demo City Health Commission on 12320.

You may also ask Demo City Medical Dispute People's Mediation Committee to mediate: 3rd floor, 88 Renmin Road, phone 0571-8765 0000.

You may also take the matter to the courts.

If anything in this letter is unclear, please call our complaints office on 0571-8765 4321.

Demo City First People's Hospital
18 November 2026"""  # noqa: E501


def chinese_letter(reference: str) -> str:
    return f"""示范市第一人民医院
投诉答复函

编号：{reference}

尊敬的王女士：

我院于2026年11月18日收到您的投诉，感谢您把遇到的问题告诉我们。您反映：{WHAT}

我院已对此进行调查核实，现答复如下：

{TOLD}

我院就此采取的补救措施：Apology.

如您对本答复仍不满意，可向示范市卫生健康委员会反映，投诉电话：12320。

您也可以向示范市医疗纠纷人民调解委员会申请调解，地址：人民路 88 号 3 楼，电话：0571-8765 0000。

您还可以依法向人民法院提起诉讼。

如对本函有任何疑问，请联系我院投诉办公室，电话：0571-8765 4321。

示范市第一人民医院
2026年11月18日"""


@pytest.mark.parametrize(("language", "expected"), [("en", english_letter), ("zh", chinese_letter)])
def test_a_written_answer_is_a_letter_in_the_complainants_language(world, language, expected):
    complaint = answer(world, signed_off(world, language=language))
    [letter] = complaint.letters
    assert (letter.round, letter.language, letter.addressed_to, letter.template_version) == (1, language, "王女士", 0)
    assert letter.text == expected(complaint.reference)
    assert letter.answer is complaint.answers[0] and letter.created_by_id == world.reception.id
    assert letter.template_digest == letters.Template(language, 0, letters.DEFAULTS[language]).digest


@pytest.mark.parametrize("method", ["written", "email"])
def test_a_letter_or_an_email_is_written(world, method):
    assert len(answer(world, signed_off(world), method=method).letters) == 1


@pytest.mark.parametrize("method", ["phone", "in_person", "sms"])
def test_an_answer_told_another_way_has_no_letter(world, method):
    assert answer(world, signed_off(world), method=method).letters == []


def test_resolved_on_the_spot_in_writing_it_has_its_letter(world):
    complaint = factories.make_complaint(world, State.registered, language="en")
    operations.perform(world.reception, Action.resolve_on_the_spot, complaint,
                       {"what_was_done": "Explained the delay in writing.", "method": "written"}, complaint.version)
    db.session.commit()
    [letter] = complaint.letters
    assert "\n\nExplained the delay in writing.\n\n" in letter.text


def test_a_paragraph_with_nothing_to_say_is_left_out(world):
    """(An English letter prints a detail kept only in Chinese, as every English page does.)"""
    row = db.session.get(HospitalRecord, 1)
    row.mediation_address_zh = row.mediation_address_en = ""  # no committee's address: its whole paragraph goes
    db.session.commit()
    hospital_module.forget()
    letter_text = answer(world, signed_off(world, language="en")).letters[0].text
    assert "mediate" not in letter_text
    assert "courts" in letter_text and "Demo City Health Commission on 12320" in letter_text


def test_a_placeholder_fills_in_once_and_what_it_holds_is_never_read_as_one(world):
    rendered = letters.render("To {complainant}: {response}\n\n{remedy}: gone", {
        "complainant": "Ms {reference}", "response": "{hospital} said so", "remedy": "", "reference": "X"})
    assert rendered == "To Ms {reference}: {hospital} said so"


def save_template(client, language, version, text_):
    token = csrf_token(client, f"/admin/letters/{language}")
    return client.post(f"/admin/letters/{language}?lang=en",
                       data={"csrf_token": token, "version": version, "text": text_})


NEW_TEMPLATE = "{hospital}\nLetter {reference}\n\nDear {complainant},\n\n{response}\n\n{date}"


def test_the_letter_as_sent_survives_a_template_edit(world, client):
    complaint = answer(world, signed_off(world, language="en"))
    reference = complaint.reference
    login(client, world.admin)
    assert save_template(client, "en", 0, NEW_TEMPLATE).status_code == 302
    db.session.expire_all()
    [sent] = db.session.scalars(select(ComplaintLetter)).all()
    assert sent.text == english_letter(reference) and sent.template_version == 0
    # Not satisfied, reopened, answered in writing again: a second letter from the new template; the first
    # stays as it was.
    operations.perform(world.reception, Action.follow_up, complaint,
                       {"method": "phone", "satisfied": False, "comment": "Still waiting."}, complaint.version)
    operations.perform(world.head, Action.sign_off, complaint, {"response_text": "Now a nurse calls."},
                       complaint.version)
    db.session.commit()
    answer(world, complaint, told="Now a nurse calls every hour.", by=world.head)
    first, second = complaint.letters
    assert first.text == english_letter(reference)
    assert (second.round, second.template_version) == (2, 1)
    assert second.text == (f"Demo City First People's Hospital\nLetter {reference}\n\nDear 王女士,\n\n"
                           "Now a nurse calls every hour.\n\n18 November 2026")
    assert audit.record_problems(complaint) == []


def test_an_unknown_placeholder_is_refused_beside_the_field_with_the_text_kept(world, client):
    login(client, world.admin)
    response = save_template(client, "zh", 0, "尊敬的{complainant}：\n\n{answer} {respons}")
    assert response.status_code == 422
    html = unescape(response.get_data(as_text=True))
    assert 'id="text-error"' in html
    assert "{answer}, {respons}: no such placeholder. Use only those listed below, in braces, as {reference}." in html
    assert "尊敬的{complainant}：\n\n{answer} {respons}</textarea>" in html
    assert letters.current("zh").version == 0


def test_two_administrators_saving_at_once_the_second_is_told_with_their_text_kept(world, client):
    login(client, world.admin)
    assert save_template(client, "en", 0, NEW_TEMPLATE).status_code == 302
    response = save_template(client, "en", 0, "{hospital}\n\nMine.")  # opened before the first save
    assert response.status_code == 409
    html = unescape(response.get_data(as_text=True))
    assert "Someone else saved this letter since you opened it (version 1, " in html
    assert "{hospital}\n\nMine.</textarea>" in html and 'name="version" type="hidden" value="1"' in html
    assert letters.current("en").text == NEW_TEMPLATE
    assert [(v.version, v.created_by_id) for v in letters.versions("en")] == [(1, world.admin.id)]


def test_saving_the_same_text_adds_no_version(world, client):
    login(client, world.admin)
    assert save_template(client, "zh", 0, letters.DEFAULTS["zh"]).status_code == 302
    assert letters.versions("zh") == []


def test_only_the_administrator_edits_the_template(world, client):
    login(client, world.reception)
    assert client.get("/admin/letters/zh").status_code == 403


@pytest.mark.parametrize(("who", "status", "name_shown"), [
    ("reception", 200, True), ("leadership", 200, True), ("head", 200, False), ("other_head", 404, False),
    ("admin", 404, False),
])
def test_the_letter_page_shows_it_to_those_who_see_the_complaint(world, client, who, status, name_shown):
    # Confidential: the department does not see the complainant's name, in the letter either.
    complaint = answer(world, signed_off(world, language="en", confidential=True))
    path = f"/complaints/{complaint.reference}/letters/{complaint.letters[0].id}?lang=en"
    login(client, getattr(world, who))
    response = client.get(path)
    assert response.status_code == status
    if status == 200:
        html = unescape(response.get_data(as_text=True))
        assert '<header class="letter-heading">Demo City First People\'s Hospital\nOur answer to your complaint' \
               '</header>' in html
        assert ("Dear 王女士," in html) == name_shown
        assert ("Dear (name not shown)," in html) == (not name_shown)
        assert '<p class="letter-signature">Demo City First People\'s Hospital\n18 November 2026</p>' in html


def test_the_complaint_page_links_each_letter(world, client):
    complaint = answer(world, signed_off(world))
    login(client, world.reception)
    html = client.get(f"/complaints/{complaint.reference}?lang=en").get_data(as_text=True)
    assert f'href="/complaints/{complaint.reference}/letters/{complaint.letters[0].id}"' in html


def test_a_letter_of_another_complaint_is_not_found(world, client):
    first = answer(world, signed_off(world))
    second = answer(world, signed_off(world))
    login(client, world.reception)
    assert client.get(f"/complaints/{second.reference}/letters/{first.letters[0].id}").status_code == 404


def _edit_letter(sql: str, **params) -> None:
    """As the database owner would: the trigger that refuses an UPDATE lifted, the letter changed, put back."""
    db.session.commit()
    with db.engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(text("ALTER TABLE complaint_letters DISABLE TRIGGER complaint_letters_no_update"))
            connection.execute(text(sql), params)
            connection.execute(text("ALTER TABLE complaint_letters ENABLE TRIGGER complaint_letters_no_update"))
        else:
            trigger = connection.execute(text(
                "SELECT sql FROM sqlite_master WHERE name = 'complaint_letters_no_update'")).scalar_one()
            connection.execute(text("DROP TRIGGER complaint_letters_no_update"))
            connection.execute(text(sql), params)
            connection.execute(text(trigger))
    db.session.expire_all()


def test_a_sent_letter_is_never_changed_and_one_changed_in_the_database_fails_verify(world, app_ctx):
    complaint = answer(world, signed_off(world, language="en"))
    reference = complaint.reference
    with pytest.raises(Exception, match="append-only"):
        db.session.execute(text("UPDATE complaint_letters SET text = 'Nothing.'"))
        db.session.flush()
    db.session.rollback()
    result = app_ctx.test_cli_runner().invoke(args=["audit", "verify"])
    assert result.exit_code == 0, result.output
    _edit_letter("UPDATE complaint_letters SET text = :told", told="We found nothing wrong.")
    result = app_ctx.test_cli_runner().invoke(args=["audit", "verify"])
    assert result.exit_code == 1
    assert f"{reference}: letters is not what its timeline recorded" in result.output


def test_the_hospital_page_keeps_where_a_complainant_may_go_next(world, client):
    login(client, world.admin)
    token = csrf_token(client, "/admin/hospital")
    response = client.post("/admin/hospital", data={"csrf_token": token, "version": 1, **{
        **DETAILS, "commission_phone": "0571-12320"}, "unlimited_networks": "", "repeat_alert_upheld": "3",
        "remedy_threshold": "2000"})
    assert response.status_code == 302
    hospital_module.forget()
    assert hospital_module.hospital().commission_phone == "0571-12320"
    html = unescape(client.get("/admin/hospital?lang=en").get_data(as_text=True))
    assert "Health commission: complaint line" in html and "Commission" in html

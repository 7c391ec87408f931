"""The hospital's own details, kept by an administrator on /admin/hospital: its name and its complaints
office's address, phone and hours, which the public pages, the header and messages to complainants print.
Until saved, the environment's values (REDRESS_HOSPITAL_NAME, REDRESS_OFFICE_PHONE, REDRESS_OFFICE_HOURS)."""

from html import unescape

import pytest
from sqlalchemy import select

from intranet.core import hospital as hospital_module
from intranet.core.admin_events import AdminEvent
from intranet.core.extensions import db
from intranet.core.hospital import HospitalRecord
from tests.conftest import csrf_token, login

SAVED = {
    "name_zh": "示范市第一人民医院", "name_en": "Demo City First People's Hospital",
    "office_address_zh": "门诊楼一楼 患者服务中心",
    "office_address_en": "the Patient Service Centre, outpatient building",
    "office_phone": "0571-8765 4321", "office_hours": "08:30–17:00", "unlimited_networks": "",
    "repeat_alert_upheld": "3",
    "remedy_threshold": "2000",
}


@pytest.fixture(autouse=True)
def as_migrated(world):
    """The row as the migration writes it (other tests empty the tables)."""
    db.session.execute(HospitalRecord.__table__.delete())
    db.session.execute(HospitalRecord.__table__.insert().values(
        id=1, name_zh="", name_en="", office_address_zh="", office_address_en="", office_phone="",
        office_hours="", version=1))
    db.session.commit()
    hospital_module.forget()


def save(client, version, **values):
    token = csrf_token(client, "/admin/hospital")
    return client.post("/admin/hospital?lang=en", data={"csrf_token": token, "version": version,
                                                         **{**SAVED, **values}})


def test_until_saved_the_pages_show_the_environments_details(client):
    landing = client.get("/?lang=en").get_data(as_text=True)
    assert "Call the complaints office on 0571-8888 1234 (08:00–17:30, working days), visit it in person" in landing
    assert "<title>Make a complaint</title>" in landing.replace("\n", "")


@pytest.mark.parametrize(("lang", "title", "office"), [
    ("zh", "我要投诉 · 示范市第一人民医院",
     "拨打投诉办公室电话 0571-8765 4321（工作日 08:30–17:00），或到门诊楼一楼 患者服务中心当面反映，或写信寄到该处。"),
    ("en", "Make a complaint · Demo City First People's Hospital",
     "Call the complaints office on 0571-8765 4321 (08:30–17:00, working days), visit it at the Patient "
     "Service Centre, outpatient building, or write to it there."),
])
def test_the_landing_page_names_the_hospital_and_where_its_office_is(world, client, lang, title, office):
    login(client, world.admin)
    assert save(client, 1).status_code == 302
    client.get("/logout")
    landing = unescape(client.get(f"/?lang={lang}").get_data(as_text=True))
    assert f"<title>{title}</title>" in " ".join(landing.split())
    assert office in landing


def test_a_rejected_form_keeps_what_was_typed_and_saves_nothing(world, client):
    login(client, world.admin)
    response = save(client, 1, name_zh="", office_phone="")
    assert response.status_code == 422
    html = unescape(response.get_data(as_text=True))
    assert "Enter the hospital's name." in html and "Enter the complaints office's phone number." in html
    assert "门诊楼一楼 患者服务中心" in html
    assert db.session.scalar(select(HospitalRecord.name_zh)) == ""


def test_two_administrators_saving_at_once_the_second_is_told_and_nothing_is_overwritten(world, client):
    login(client, world.admin)
    assert save(client, 1).status_code == 302
    response = save(client, 1, office_phone="0571-1111 2222")  # the page they opened before the first save
    assert response.status_code == 409
    assert "changed this at" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.scalar(select(HospitalRecord.office_phone)) == "0571-8765 4321"


def test_every_change_is_in_the_history_with_who_made_it(world, client):
    login(client, world.admin)
    save(client, 1)
    save(client, 2, office_hours="08:00–17:30")
    changes = [e.data for e in db.session.scalars(
        select(AdminEvent).where(AdminEvent.subject == "hospital").order_by(AdminEvent.id))]
    assert changes[1] == {"office_hours": ["08:30–17:00", "08:00–17:30"]}
    # "" was "" already, the repeat alert was 3 already, and ¥2,000 is the threshold as migrated.
    assert sorted(changes[0]) == sorted(name for name, value in SAVED.items()
                                        if value and name not in ("repeat_alert_upheld", "remedy_threshold"))
    page = client.get("/admin/hospital?lang=en").get_data(as_text=True)
    assert "Complaints office: hours on working days: 08:30–17:00 → 08:00–17:30" in page


def test_a_wrong_address_in_the_unlimited_list_is_named_and_nothing_is_saved(world, client):
    login(client, world.admin)
    response = save(client, 1, unlimited_networks="10.20.0.0/16\nkiosk-3")
    assert response.status_code == 422
    assert "“kiosk-3” is not an address or a network (e.g. 10.20.0.0/16)." in response.get_data(as_text=True)
    assert db.session.scalar(select(HospitalRecord.unlimited_networks)) == ""


@pytest.mark.parametrize(("typed", "error"), [
    ("0", "Enter a number from 1 to 100."), ("101", "Enter a number from 1 to 100."),
    ("", "Enter how many upheld complaints raise the alert."), ("three", "Not a valid integer value."),
])
def test_the_repeat_alert_is_a_number_from_1_to_100(world, client, typed, error):
    login(client, world.admin)
    response = save(client, 1, repeat_alert_upheld=typed, office_hours="08:00–17:30")
    assert response.status_code == 422
    html = unescape(response.get_data(as_text=True))
    assert error in html and 'value="08:00–17:30"' in html
    assert db.session.scalar(select(HospitalRecord.repeat_alert_upheld)) == 3


def test_the_repeat_alert_saved_is_on_the_history(world, client):
    login(client, world.admin)
    assert save(client, 1, repeat_alert_upheld="4").status_code == 302
    assert hospital_module.hospital().repeat_alert_upheld == 4
    page = client.get("/admin/hospital?lang=en").get_data(as_text=True)
    assert "Repeat alert: complaints upheld against one person within twelve months: 3 → 4" in page

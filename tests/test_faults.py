"""When the database goes away, people get the hospital's page, not a bare 500: a 503 with the office's
phone number and a Retry-After, the real cause in the log, and recovery on its own."""

import logging

import pytest

from intranet import create_app

DEAD = {
    "sqlite": "sqlite:////nonexistent-folder/redress.sqlite3",
    "postgresql": "postgresql+psycopg://postgres@127.0.0.1:1/redress?connect_timeout=2",
}


@pytest.mark.parametrize("kind", list(DEAD))
def test_an_unavailable_database_is_the_hospitals_503_page(kind, caplog, tmp_path):
    app = create_app("testing", SQLALCHEMY_DATABASE_URI=DEAD[kind], PROPAGATE_EXCEPTIONS=False)
    from intranet import config

    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = config.engine_options(DEAD[kind])
    client = app.test_client()
    with caplog.at_level(logging.ERROR):
        response = client.get("/complain", headers={"Accept-Language": "en"})
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "30"
    html = response.get_data(as_text=True)
    assert "The complaints service is not available just now" in html
    assert app.config["COMPLAINTS_OFFICE_PHONE"] in html
    assert "database unavailable" in caplog.text  # the real cause, for the operator
    chinese = client.get("/complain", headers={"Accept-Language": "zh-CN"}).get_data(as_text=True)
    assert "投诉服务暂时无法使用" in chinese

"""A home for the hand-out and case tests: a small catalog imported the normal way (with
hostile values and an extra 培训地点 column), two counselors and an admin."""

from __future__ import annotations

import csv
from pathlib import Path

from fastapi.testclient import TestClient

from api.users import create_user
from corpus.settings import Settings

KEY = "k-partner-handout-0123"
JOB_CENTER = "赣州市章贡区就业服务中心"
HYPERLINK = '=HYPERLINK("http://evil.example/x","点我领补贴")'
BASE = {"provider": "赣州市职业技能培训学校", "province": "江西省", "city": "赣州市",
        "mode": "线下", "start_date": "2027-03-01", "end_date": "2027-05-01", "hours": "200",
        "fee_yuan": "1500", "subsidized": "是", "capacity": "40"}
CATALOG = [
    {**BASE, "program_id": "E4", "title": "电工（四级/中级工）培训", "occupation": "电工",
     "level": "四级", "contact": "0797-8123456", "schedule": "周末班", "days": "30",
     "prerequisite": "初中及以上文化程度", "培训地点": "章贡区红旗大道 88 号实训楼"},
    {**BASE, "program_id": "W5", "title": "焊工（五级/初级工）培训", "occupation": "焊工",
     "level": "五级", "subsidized": "否", "fee_yuan": "2800",
     "provider": "赣州市焊接技术学校", "county": "章贡区"},
    {**BASE, "program_id": "EVIL", "title": HYPERLINK, "occupation": "电工", "level": "五级",
     "provider": "@SUM(1+1)*cmd|' /C calc'!A0", "contact": "+86 797 1234567",
     "prerequisite": "-2+3", "培训地点": "<script>alert(1)</script>"},
    {**BASE, "program_id": "YOUNG", "title": "电工青年班", "occupation": "电工", "level": "五级",
     "min_age": "16", "max_age": "25", "provider": "赣州青年培训学校"},
    *({**BASE, "program_id": f"F{n:02d}", "title": f"电工（五级）培训{n}期", "occupation": "电工",
       "level": "五级", "provider": f"赣州第{n}培训点"} for n in range(1, 22)),
]
VETERAN = {"province": "江西省", "city": "赣州市", "age": 40, "groups": ["退役军人"],
           "interests_text": "想学电工"}


def write_catalog(path: Path, rows: list[dict[str, str]]) -> Path:
    keys = list(dict.fromkeys(k for row in rows for k in row))
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=keys)
        writer.writeheader()
        writer.writerows(rows)
    return path


def make_home(folder: Path) -> Settings:
    from matcher.catalog import import_catalog

    settings = Settings(home=folder / "home", job_center=JOB_CENTER,  # type: ignore[call-arg]
                        api_keys=f"partner:{KEY}")
    import_catalog(settings, write_catalog(folder / "catalog.csv", CATALOG))
    create_user(settings, "guwen-a", "counsel-secret-a", "counselor")
    create_user(settings, "guwen-b", "counsel-secret-b", "counselor")
    create_user(settings, "admin", "admin-secret-1", "admin")
    return settings


def login(client: TestClient, username: str, password: str) -> dict[str, str]:
    r = client.post("/v1/auth/login", json={"username": username, "password": password})
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['token']}"}

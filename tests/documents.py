"""Valid base documents of each kind for the scenario tests, `deep_update` to vary them, and
`generated_documents`: reproducible batches of every kind and outcome."""
from __future__ import annotations

import copy
import datetime as dt
import random
from typing import Any

DROP = object()
"""An override value that removes the key from the base document."""


def deep_update(base: dict[str, Any], overrides: dict[str, Any]) -> dict[str, Any]:
    """`base` updated in place with `overrides`: nested dicts merge, `DROP` deletes, anything else replaces."""
    for key, value in overrides.items():
        if value is DROP:
            base.pop(key, None)
        elif isinstance(value, dict) and isinstance(base.get(key), dict):
            deep_update(base[key], value)
        else:
            base[key] = copy.deepcopy(value)
    return base


def registration(**overrides: Any) -> dict[str, Any]:
    """A fresh valid registration: ESP G2 weekday 3 years, registered during the warranty."""
    doc = {
        "kind": "registration",
        "id": "REG-2025-0001",
        "registration_date": "2025-04-20",
        "server": {
            "model": "Express5800/R120h-1M",
            "serial": "4300123",
            "warranty_start": "2025-04-01",
            "warranty_years": 1,
        },
        "pack": {
            "generation": "ESP_G2",
            "coverage": "weekday",
            "term_years": 3,
            "purchase_date": "2025-04-10",
        },
        "requests": {
            "periodic_maintenance": False,
            "express_notification_24x365": False,
            "discount_without_express_notification": False,
            "ups_battery_replacement": False,
        },
        "customer": {
            "name": "Example Co., Ltd.",
            "site": "1-2-3 Shiba, Minato-ku, Tokyo",
            "contact": {"name": "Taro Yamada", "phone": "03-0000-0000", "email": "taro@example.com"},
        },
    }
    return deep_update(doc, overrides)


def change_request(**overrides: Any) -> dict[str, Any]:
    """A fresh valid change_request: a site change on Monday 2026-06-01."""
    doc = {
        "kind": "change_request",
        "id": "CHG-2026-0001",
        "request_date": "2026-06-01",
        "registration": {
            "generation": "ESP_G2",
            "coverage": "weekday",
            "term_years": 3,
            "server_serial": "4300123",
            "warranty_start": "2025-04-01",
            "registered_on": "2025-04-20",
        },
        "change": {"type": "site", "to": "2-3-4 Shiba, Minato-ku"},
    }
    return deep_update(doc, overrides)


def service_request(**overrides: Any) -> dict[str, Any]:
    """A fresh valid service_request: a repair on Thursday 2026-05-07 10:15 JST, weekday pack active."""
    doc = {
        "kind": "service_request",
        "id": "SRV-2026-0001",
        "requested_at": "2026-05-07T10:15:00+09:00",
        "server": {"serial": "4300123", "warranty_start": "2025-04-01", "warranty_years": 1},
        "registration": {
            "generation": "ESP_G2",
            "coverage": "weekday",
            "term_years": 3,
            "registered_on": "2025-04-20",
        },
        "service": {"type": "repair"},
    }
    return deep_update(doc, overrides)


def generated_documents(count: int, seed: int = 5) -> list[dict[str, Any]]:
    """`count` documents of every kind and outcome, near the boundaries, reproducibly."""
    rng = random.Random(seed)
    day = lambda: dt.date(2024, 1, 1) + dt.timedelta(days=rng.randrange(0, 1500))  # noqa: E731
    out: list[dict[str, Any]] = []
    for i in range(count):
        start = day()
        if i % 3 == 0:
            out.append({
                "kind": "registration", "id": f"R-{i}", "registration_date": (start + dt.timedelta(
                    days=rng.choice([0, 20, 364, 365, 366, 1095, 1096, 2000]))).isoformat(),
                "server": {"model": "m", "serial": "4300123", "warranty_start": start.isoformat(),
                           "warranty_years": rng.randint(1, 5)},
                "pack": {"generation": rng.choice(["ESP", "ESP_G2"]), "coverage": rng.choice(["weekday", "24x365"]),
                         "term_years": rng.randint(1, 10), "purchase_date": start.isoformat()},
                "history": [{"generation": rng.choice(["ESP", "ESP_G2"]), "term_years": 3,
                             "registered_on": "2021-05-01"}] * rng.randint(0, 2),
                "requests": {"ups_battery_replacement": rng.random() < 0.1},
            })
        elif i % 3 == 1:
            moment = dt.datetime.combine(day(), dt.time(rng.choice([8, 17, 12, 23]), rng.choice([29, 30, 0])),
                                         tzinfo=dt.timezone(dt.timedelta(hours=9)))
            out.append({
                "kind": "service_request", "id": f"S-{i}", "requested_at": moment.isoformat(),
                "server": {"serial": "4300123", "warranty_start": start.isoformat(), "warranty_years": 1},
                "registration": {"generation": "ESP_G2", "coverage": rng.choice(["weekday", "24x365"]),
                                 "term_years": 3, "registered_on": (start + dt.timedelta(days=10)).isoformat()},
                "service": {"type": rng.choice(["repair", "periodic_maintenance"])},
            })
        else:
            out.append({
                "kind": "change_request", "id": f"C-{i}", "request_date": day().isoformat(),
                "registration": {"generation": "ESP_G2", "coverage": rng.choice(["weekday", "24x365"]),
                                 "term_years": 3, "server_serial": "4300123", "warranty_start": start.isoformat(),
                                 "registered_on": start.isoformat()},
                "change": {"type": rng.choice(["site", "contact", "term", "express_notification_hours", "reissue"]),
                           "to": rng.choice([4, 7, "6 years", "x"])},
            })
        if i % 17 == 0:
            out[-1]["id"] = 12345          # an invalid one now and then
    return out

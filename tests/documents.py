"""Valid base documents of each kind for the scenario tests, and `deep_update` to vary them."""
from __future__ import annotations

import copy
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

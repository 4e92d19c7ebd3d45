"""A seeded corpus of documents for the benchmark: all three kinds (contract §1), plain JSON values.

    from corpus import generate
    docs = generate(20_000, seed=6)          # list of dicts; dates and datetimes as ISO strings

About a third of the documents break some rule (deny or review), a few percent are invalid
(schema errors), and the rest are allowed, many with a warn or info finding (registration after
the warranty, service outside the weekday hours or on a national holiday, site/contact changes).
The same seed always gives the same documents (`random.Random(seed)`, no other randomness).

Run as a script to write the corpus as JSON Lines: `python benchmarks/corpus.py -n 20000 > c.jsonl`.
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import sys
from collections.abc import Callable
from typing import Any

JST = dt.timezone(dt.timedelta(hours=9))
D = dt.date

MODELS = ("Express5800/R120h-1M", "Express5800/T120h", "Express5800/R110j-1", "Express5800/GT110j",
          "Express5800/R120i-2M", "Express5800/T110k")
PARTS = ("hdd", "fan", "memory", "power_supply", "raid_controller", "motherboard")
INVALID_SHARE = 0.04
BREAK_SHARE = 0.34


def last_day(start: dt.date, years: int) -> dt.date:
    """Contract §2 (Civil Code art. 143): the day before the anniversary; 28 Feb for a 29 Feb start."""
    try:
        return start.replace(year=start.year + years) - dt.timedelta(days=1)
    except ValueError:
        return D(start.year + years, 2, 28)


def _holidays(years: range) -> list[dt.date]:
    """Japanese national holidays that fall on Monday–Friday (from the `holidays` package)."""
    try:
        import holidays
    except ImportError:  # the corpus still generates; the holiday scenario uses fixed dates
        return [D(2026, 5, 6), D(2026, 1, 12), D(2025, 11, 3), D(2026, 7, 20), D(2027, 3, 22)]
    return sorted(d for d in holidays.Japan(years=years) if d.weekday() < 5)


class _Gen:
    def __init__(self, seed: int) -> None:
        self.r = random.Random(seed)
        self.holidays = _holidays(range(2019, 2032))

    # ---- small pieces ----
    def date(self, first: dt.date, last: dt.date) -> dt.date:
        return first + dt.timedelta(days=self.r.randint(0, max(0, (last - first).days)))

    def serial(self) -> str:
        alphabet = "0123456789ABCDEFGHJKLMNPQRSTUVWXYZ"
        s = "".join(self.r.choice(alphabet) for _ in range(self.r.randint(6, 12)))
        return s if self.r.random() < 0.7 else s[:4] + "-" + s[4:]

    def warranty_start(self) -> dt.date:
        if self.r.random() < 0.01:
            return D(self.r.choice((2020, 2024)), 2, 29)
        return self.date(D(2019, 1, 1), D(2026, 6, 30))

    def generation(self) -> str:
        return "ESP_G2" if self.r.random() < 0.75 else "ESP"

    def term(self, generation: str) -> int:
        return self.r.choice((3, 4, 5)) if generation == "ESP_G2" else self.r.choice((1, 2, 3, 4, 5))

    def coverage(self) -> str:
        return "weekday" if self.r.random() < 0.6 else "24x365"

    def moment(self, day: dt.date, minute: int) -> str:
        """An instant given in Japan time, written with one of several UTC offsets."""
        local = dt.datetime.combine(day, dt.time(minute // 60, minute % 60, self.r.randint(0, 59)), JST)
        p = self.r.random()
        if p < 0.7:
            return local.isoformat(timespec="seconds")
        if p < 0.85:
            return local.astimezone(dt.UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
        offset = self.r.choice((-5 * 60, 5 * 60 + 30, 0, 2 * 60, -8 * 60))
        return local.astimezone(dt.timezone(dt.timedelta(minutes=offset))).isoformat(timespec="seconds")

    # ---- registration ----
    def registration(self, n: int, breaks: list[str]) -> dict[str, Any]:
        r = self.r
        ws = self.warranty_start()
        wy = r.choice((1, 1, 1, 2, 3, 5))
        gen = self.generation()
        term = self.term(gen)
        coverage = self.coverage()
        history: list[dict[str, Any]] | None = None
        if gen == "ESP":  # a renewal: the server had first-generation packs before
            history = [{"generation": "ESP", "term_years": r.choice((1, 2, 3)),
                        "registered_on": self.date(ws, ws + dt.timedelta(days=60)).isoformat()}
                       for _ in range(r.randint(1, 2))]
        elif r.random() < 0.15:
            history = [{"generation": "ESP_G2", "term_years": 3,
                        "registered_on": self.date(ws, ws + dt.timedelta(days=90)).isoformat()}]
        wl = last_day(ws, wy)
        sl = last_day(ws, term)
        reg = self.date(ws, min(wl, sl))
        if "after-warranty" in breaks and sl > wl:  # allowed, with the Q1 warning
            reg = self.date(wl + dt.timedelta(days=1), sl)
        purchase = self.date(ws, reg)
        requests: dict[str, bool] | None = None
        if r.random() < 0.6:
            requests = {}
            for flag in ("periodic_maintenance", "express_notification_24x365",
                         "discount_without_express_notification", "ups_battery_replacement"):
                if r.random() < 0.5:
                    requests[flag] = False
        for b in breaks:
            if b == "mixed-generations":
                other = "ESP" if gen == "ESP_G2" else "ESP_G2"
                entry = {"generation": other, "term_years": r.choice((1, 2, 3)),
                         "registered_on": self.date(ws, reg).isoformat()}
                history = (history or []) + [entry]
            elif b == "term-6":
                term = r.choice((6, 6, 6, 7, 8, 10))
            elif b == "g2-short-term":
                gen, term = "ESP_G2", r.choice((1, 2))
                history = [h for h in history or [] if h["generation"] == "ESP_G2"] or None
            elif b == "after-service":
                reg = last_day(ws, term) + dt.timedelta(days=r.randint(1, 500))
            elif b in ("periodic-maintenance", "discount", "ups-battery"):
                flag = {"periodic-maintenance": "periodic_maintenance", "ups-battery": "ups_battery_replacement",
                        "discount": "discount_without_express_notification"}[b]
                requests = dict(requests or {}, **{flag: True})
            elif b == "weekday-24x365":
                coverage = "weekday"
                requests = dict(requests or {}, express_notification_24x365=True)
            elif b == "esp-without-history":
                gen, term = "ESP", r.choice((1, 2, 3, 4, 5))
                history = None if r.random() < 0.7 else []
            elif b == "purchase-after-registration":
                purchase = reg + dt.timedelta(days=r.randint(1, 40))
            elif b == "warranty-start-after-registration":
                ws = reg + dt.timedelta(days=r.randint(1, 40))
        if requests is not None and not requests and r.random() < 0.5:
            requests = None
        doc: dict[str, Any] = {
            "kind": "registration", "id": f"REG-{n:07d}", "registration_date": reg.isoformat(),
            "server": {"model": r.choice(MODELS), "serial": self.serial(),
                       "warranty_start": ws.isoformat(), "warranty_years": wy},
            "pack": {"generation": gen, "coverage": coverage, "term_years": term,
                     "purchase_date": purchase.isoformat()},
        }
        if history is not None:
            doc["history"] = history
        if requests is not None:
            doc["requests"] = requests
        if r.random() < 0.4:
            doc["customer"] = {"name": f"Customer {n} Co., Ltd.", "site": f"{r.randint(1, 9)}-{r.randint(1, 30)} Shiba, Minato-ku",
                               "contact": {"name": "Taro Yamada", "phone": "03-0000-0000",
                                           "email": f"user{n}@example.co.jp"}}
        return doc

    # ---- change_request ----
    def change_request(self, n: int, breaks: list[str]) -> dict[str, Any]:
        r = self.r
        ws = self.warranty_start()
        gen = self.generation()
        registration = {"generation": gen, "coverage": self.coverage(), "term_years": self.term(gen),
                        "server_serial": self.serial(), "warranty_start": ws.isoformat(),
                        "registered_on": self.date(ws, ws + dt.timedelta(days=300)).isoformat()}
        request_date = D.fromisoformat(registration["registered_on"]) + dt.timedelta(days=r.randint(1, 900))
        kind = breaks[0] if breaks else r.choice(("site", "site", "contact", "contact", "express-24x365"))
        change: dict[str, Any]
        if kind == "site":
            change = {"type": "site", "to": f"{r.randint(1, 9)}-{r.randint(1, 30)} Shiba, Minato-ku"}
        elif kind == "contact":
            change = {"type": "contact", "to": "Hanako Suzuki"}
        elif kind == "express-24x365":
            registration["coverage"] = "24x365"
            change = {"type": "express_notification_hours", "to": "24x365"}
        elif kind == "express-weekday":
            registration["coverage"] = "weekday"
            change = {"type": "express_notification_hours", "to": "24x365"}
        elif kind == "coverage":
            change = {"type": "coverage", "to": "24x365"}
        elif kind == "term":
            change = {"type": "term", "to": r.choice((4, 5, 5, 6, 7, "5 years", "6 years", "7", "3年"))}
        elif kind == "server":
            change = {"type": "server", "to": self.serial()}
        elif kind == "generation":
            change = {"type": "generation", "to": "ESP" if gen == "ESP_G2" else "ESP_G2"}
        else:  # reissue
            change = {"type": "reissue"}
        if r.random() < 0.3:
            change["reason"] = "requested by the customer"
        doc: dict[str, Any] = {"kind": "change_request", "id": f"CHG-{n:07d}",
                               "request_date": request_date.isoformat()}
        if not (change["type"] == "reissue" and r.random() < 0.6):
            doc["registration"] = registration
        doc["change"] = change
        return doc

    # ---- service_request ----
    def service_request(self, n: int, breaks: list[str]) -> dict[str, Any]:
        r = self.r
        ws = self.warranty_start()
        wy = r.choice((1, 1, 2, 3))
        gen = self.generation()
        term = self.term(gen)
        coverage = self.coverage()
        registered_on = self.date(ws, ws + dt.timedelta(days=200))
        sl = last_day(ws, term)
        registration: dict[str, Any] | None = {"generation": gen, "coverage": coverage, "term_years": term,
                                               "registered_on": registered_on.isoformat()}
        day = self.date(registered_on, sl)
        minute = r.randint(8 * 60 + 30, 17 * 60 + 29)
        scenario = breaks[0] if breaks else r.choice(("plain", "plain", "plain", "outside-hours", "holiday"))
        if scenario == "outside-hours":  # allowed; a warning on the weekday plan
            if r.random() < 0.5:
                minute = r.choice((r.randint(0, 8 * 60 + 29), r.randint(17 * 60 + 30, 24 * 60 - 1)))
            else:
                day += dt.timedelta(days=(5 - day.weekday()) % 7 + r.randint(0, 1))  # Saturday or Sunday
        elif scenario == "holiday":  # allowed; covered on a weekday holiday (info)
            candidates = [h for h in self.holidays if registered_on <= h <= sl]
            if candidates:
                day = r.choice(candidates)
        elif scenario == "no-registration":
            registration = None
        elif scenario == "before-registration":
            day = registered_on - dt.timedelta(days=r.randint(1, 120))
        elif scenario == "after-service-end":
            day = sl + dt.timedelta(days=r.randint(1, 400))
        if scenario not in ("outside-hours", "holiday") and day.weekday() >= 5 and r.random() < 0.7:
            day += dt.timedelta(days=7 - day.weekday())  # most requests come on weekdays
        service: dict[str, Any] = {"type": r.choice(("repair", "repair", "part_replacement"))}
        if service["type"] == "part_replacement" or r.random() < 0.2:
            service["part"] = r.choice(PARTS)
        for b in breaks:
            if b == "periodic-maintenance":
                service = {"type": "periodic_maintenance"}
            elif b == "ups-battery":
                service = {"type": "part_replacement", "part": "ups_battery"}
        doc: dict[str, Any] = {"kind": "service_request", "id": f"SRV-{n:07d}",
                               "requested_at": self.moment(day, minute),
                               "server": {"serial": self.serial(), "warranty_start": ws.isoformat(),
                                          "warranty_years": wy}}
        if registration is not None:
            doc["registration"] = registration
        doc["service"] = service
        return doc

    # ---- invalid documents ----
    def make_invalid(self, doc: dict[str, Any]) -> None:
        r = self.r
        how = r.choice(("typo", "bad-date", "no-offset", "number-serial"))
        kind = doc["kind"]
        if how == "no-offset" and kind != "service_request":
            how = "bad-date"
        if how == "typo":
            if kind == "registration" and "requests" in doc and r.random() < 0.5:
                doc["requets"] = doc.pop("requests")
            elif kind == "registration":
                doc["registraton_date"] = doc.pop("registration_date")
            elif kind == "change_request":
                doc["change"]["tpye"] = doc["change"].pop("type")
            else:
                doc["server"]["serail"] = doc["server"].pop("serial")
        elif how == "bad-date":
            bad = r.choice(("2026-02-30", "2025-02-29", "2026-13-01", "2026-4-1"))
            if kind == "registration":
                doc["registration_date"] = bad
            elif kind == "change_request":
                doc["request_date"] = bad
            else:
                doc["server"]["warranty_start"] = bad
        elif how == "no-offset":
            doc["requested_at"] = doc["requested_at"][:19]
        else:
            target = doc["server"] if kind != "change_request" else doc.get("registration")
            if target is None:
                doc["request_date"] = "2026-02-30"
            else:
                key = "serial" if kind != "change_request" else "server_serial"
                target[key] = r.randint(1_000_000, 9_999_999)


BREAKS: dict[str, tuple[str, ...]] = {
    "registration": ("mixed-generations", "term-6", "g2-short-term", "after-service", "periodic-maintenance",
                     "weekday-24x365", "discount", "ups-battery", "esp-without-history",
                     "purchase-after-registration", "warranty-start-after-registration"),
    "change_request": ("coverage", "term", "server", "generation", "reissue", "express-weekday"),
    "service_request": ("no-registration", "before-registration", "after-service-end", "periodic-maintenance",
                        "ups-battery"),
}
_KINDS = ("registration", "change_request", "service_request")
_WEIGHTS = (0.4, 0.25, 0.35)


def generate(n: int = 20_000, seed: int = 6) -> list[dict[str, Any]]:
    """`n` documents; the same (n, seed) always gives the same list."""
    g = _Gen(seed)
    r = g.r
    makers: dict[str, Callable[[int, list[str]], dict[str, Any]]] = {
        "registration": g.registration, "change_request": g.change_request, "service_request": g.service_request}
    docs = []
    for i in range(n):
        kind = r.choices(_KINDS, _WEIGHTS)[0]
        breaks: list[str] = []
        p = r.random()
        if p < BREAK_SHARE:
            breaks.append(r.choice(BREAKS[kind]))
            if kind == "registration" and r.random() < 0.1:
                breaks.append(r.choice(BREAKS[kind]))
        elif kind == "registration" and p < BREAK_SHARE + 0.12:
            breaks.append("after-warranty")
        doc = makers[kind](i, breaks)
        if r.random() < INVALID_SHARE:
            g.make_invalid(doc)
        docs.append(doc)
    return docs


def registrations(n: int, seed: int = 7) -> list[dict[str, Any]]:
    """`n` valid-looking registration documents (for the whole-process file benchmarks)."""
    g = _Gen(seed)
    return [g.registration(i, [g.r.choice(BREAKS["registration"])] if g.r.random() < BREAK_SHARE else [])
            for i in range(n)]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("-n", type=int, default=20_000)
    ap.add_argument("--seed", type=int, default=6)
    args = ap.parse_args(argv)
    for doc in generate(args.n, args.seed):
        sys.stdout.write(json.dumps(doc, ensure_ascii=False) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())

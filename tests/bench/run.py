"""Marketplace benchmark: ratios measured in one run, on this machine, against PostgreSQL.

    make bench            # or: .venv/bin/python tests/bench/run.py

It creates a scratch database, starts gunicorn with the production settings on it, seeds 1×
and then 100× listings, and prints:

- listing-page throughput ÷ a bare Django view's (``/livez``) on the same server;
- listing-page throughput at 100× data ÷ at 1×;
- pledge transactions per second (create + pay, through the services) ÷ ``pgbench -N``
  transactions per second on the same database with the same number of clients, all on one
  line and spread over a line per client;
- spread pledges all matched from one shared pool ÷ the same without matching (the cost of
  the pool's row locks).

Ratios, not absolute numbers, are the result: they travel between machines. Every phase is
bounded in time; the whole run takes about two minutes. Traffic goes to 127.0.0.1 only.
"""

import http.client
import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import threading
import time
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PYTHON = sys.executable
DB_NAME = "linli_bench"
PG = os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432")
PORT = int(os.environ.get("BENCH_PORT", "8765"))
SECONDS = float(os.environ.get("BENCH_SECONDS", "8"))
CLIENTS = int(os.environ.get("BENCH_CLIENTS", "8"))
BASE_LISTINGS = 20


def env() -> dict[str, str]:
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
        "DATABASE_URL": f"{PG}/{DB_NAME}",
        "REDIS_URL": os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/9"),
        "SECRET_KEY": secrets.token_urlsafe(64),
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "PERSONAL_DATA_KEYS": "YmVuY2gtb25seS1wZXJzb25hbC1kYXRhLWtleS0zMmI=",
        "BLIND_INDEX_KEY": "bench-only-blind-index-key-32-characters",
        "OFFLINE_BANK_ACCOUNT": "bench account",
        "SECURE_SSL_REDIRECT": "0",
        "SECURE_HSTS_SECONDS": "0",
        "LOG_LEVEL": "WARNING",
        "PYTHONPATH": str(ROOT),
    }


def manage(*args: str) -> None:
    subprocess.run([PYTHON, "manage.py", *args], cwd=ROOT, env=env(), check=True)


def psql(sql: str, database: str = "postgres") -> None:
    subprocess.run(["psql", f"{PG}/{database}", "-q", "-c", sql], check=True, capture_output=True)


def django_setup() -> None:
    os.environ.update(env())
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def seed(listings: int) -> None:
    """Bring the number of open listings up to *listings*, each with three lines and a few
    confirmed pledges (bulk inserts: this is load, not behaviour)."""
    from django.contrib.contenttypes.models import ContentType

    from accounts.models import Region, User
    from marketplace.models import Listing, ListingLine, Pledge, PledgeStatus

    have = Listing.objects.count()
    if have >= listings:
        return
    communities = list(Region.objects.communities())
    donors = list(User.objects.all()[:10])
    source_type = ContentType.objects.get_for_model(Region)  # any model: a stand-in source
    now_listings = [
        Listing(
            reference=f"LB-{i:06d}",
            kind="wish",
            source_type=source_type,
            source_id=10_000_000 + i,
            title=f"第{i}号心愿：为老人添置轮椅",
            story="老人腿脚不便，需要轮椅出门就医。" * 3,
            category="elder_care",
            urgency="urgent" if i % 3 else "normal",
            community=communities[i % len(communities)],
            need_index=Decimal(i % 100),
        )
        for i in range(have, listings)
    ]
    Listing.objects.bulk_create(now_listings, batch_size=500)
    created = Listing.objects.filter(reference__startswith="LB-", lines__isnull=True)
    lines = []
    for listing in created:
        lines += [
            ListingLine(
                listing=listing, kind="money", target=Decimal("1200"), confirmed=Decimal("300")
            ),
            ListingLine(listing=listing, kind="goods", target=Decimal("2"), description="轮椅"),
            ListingLine(listing=listing, kind="service", target=Decimal("4"), description="陪诊"),
        ]
    ListingLine.objects.bulk_create(lines, batch_size=1000)
    from django.utils import timezone

    pledges = [
        Pledge(
            line=line,
            donor=donors[n % len(donors)],
            quantity=Decimal("100"),
            status=PledgeStatus.CONFIRMED,
            reference=f"PB-{line.pk}-{n}",
            expires_at=timezone.now(),
            confirmed_at=timezone.now(),
        )
        for line in ListingLine.objects.filter(
            kind="money", listing__reference__startswith="LB-", pledges__isnull=True
        )
        for n in range(3)
    ]
    Pledge.objects.bulk_create(pledges, batch_size=1000)


def throughput(path: str, seconds: float = SECONDS) -> float:
    """Requests per second for GET *path* with CLIENTS keep-alive connections."""
    stop = time.monotonic() + seconds
    counts = [0] * CLIENTS
    errors: list[str] = []

    def client(i: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=30)
        while time.monotonic() < stop:
            conn.request("GET", path, headers={"Host": "127.0.0.1"})
            response = conn.getresponse()
            response.read()
            if response.status != 200:
                errors.append(f"{path}: {response.status}")
                return
            counts[i] += 1
        conn.close()

    threads = [threading.Thread(target=client, args=(i,)) for i in range(CLIENTS)]
    started = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise SystemExit(f"benchmark request failed: {errors[0]}")
    return sum(counts) / (time.monotonic() - started)


def _bench_lines(count: int):
    """*count* money lines of the bench listings, each given room for the whole run."""
    from marketplace.models import ListingLine

    lines = list(
        ListingLine.objects.filter(kind="money", listing__reference__startswith="LB-").order_by(
            "pk"
        )[:count]
    )
    ListingLine.objects.filter(pk__in=[line.pk for line in lines]).update(
        target=Decimal("9999999999"), confirmed=0
    )
    for line in lines:
        line.refresh_from_db()
    return lines


def pledge_tps(*, spread: bool, seconds: float = SECONDS) -> float:
    """Pledge + payment transactions per second through the services, CLIENTS threads: all on
    one line, or each client on a line of its own (*spread*)."""
    from django.db import connections

    from accounts.models import User
    from marketplace import services
    from tests.marketplace.money import pay

    lines = _bench_lines(CLIENTS if spread else 1)
    donors = list(User.objects.order_by("pk")[: CLIENTS * 5])
    stop = time.monotonic() + seconds
    counts = [0] * CLIENTS

    def worker(i: int) -> None:
        line = lines[i % len(lines)]
        n = 0
        try:
            while time.monotonic() < stop:
                pledge = services.pledge_create(
                    donor=donors[(i + n * CLIENTS) % len(donors)], line=line, quantity=Decimal("10")
                )
                pay(pledge)
                counts[i] += 1
                n += 1
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(CLIENTS)]
    started = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return sum(counts) / (time.monotonic() - started)


def matching_on(enabled: bool) -> None:
    """Pause every campaign; with *enabled*, start one 1:1 campaign whose pool and fund
    cover the whole run, so every pledge draws on that one pool."""
    from datetime import timedelta

    from django.utils import timezone

    from accounts.models import Region, User
    from marketplace import funds
    from marketplace.models import Campaign, CampaignStatus

    Campaign.objects.exclude(status=CampaignStatus.CLOSED).update(status=CampaignStatus.PAUSED)
    if not enabled:
        return
    admin = User.objects.filter(is_superuser=True).first()
    city = Region.objects.filter(parent__isnull=True).first()
    fund = funds.fund_create(actor=admin, name="Bench matching fund", owner="city", region=city)
    funds.fund_top_up(
        actor=admin, fund=fund, kind="appropriation", amount=Decimal("90000000"), reference="bench"
    )
    campaign = funds.campaign_create(
        actor=admin,
        fund=fund,
        rules=funds.CampaignRules(
            name="Bench 1:1",
            tiers=[{"up_to": None, "ratio": "1.00"}],
            pool_cap=Decimal("90000000"),
            region=city,
            starts_at=timezone.now() - timedelta(minutes=1),
        ),
    )
    funds.campaign_move(actor=admin, campaign=campaign, to=CampaignStatus.ACTIVE)


def pgbench_tps(seconds: float = SECONDS) -> float:
    if not shutil.which("pgbench"):
        raise SystemExit(
            "pgbench is needed (Debian package postgresql-client or postgresql-contrib)"
        )
    url = f"{PG}/{DB_NAME}"
    subprocess.run(["pgbench", "-i", "-s", "1", "-q", url], check=True, capture_output=True)
    out = subprocess.run(
        ["pgbench", "-N", "-c", str(CLIENTS), "-j", "2", "-T", str(int(seconds)), url],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    match = re.search(r"tps = ([\d.]+)", out)
    return float(match.group(1))


def main() -> None:
    print(f"Linli marketplace benchmark: {CLIENTS} clients, {SECONDS:.0f} s per measurement")
    psql(f"DROP DATABASE IF EXISTS {DB_NAME}")
    psql(f"CREATE DATABASE {DB_NAME}")
    manage("migrate", "--noinput", "-v0")
    manage("seed_demo", "--force", "--quiet-logins")
    manage("collectstatic", "--noinput", "-v0")
    django_setup()
    seed(BASE_LISTINGS)
    server = subprocess.Popen(
        [
            PYTHON,
            "-m",
            "gunicorn",
            "config.wsgi",
            "--workers",
            "2",
            "--threads",
            "4",
            "--bind",
            f"127.0.0.1:{PORT}",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env(),
    )
    try:
        for _ in range(100):
            try:
                http.client.HTTPConnection("127.0.0.1", PORT, timeout=1).request("GET", "/livez")
                break
            except OSError:
                time.sleep(0.1)
        listing_path = os.environ.get("BENCH_PATH", "/zh-hans/give/")
        throughput("/livez", 2)  # warm up both
        throughput(listing_path, 2)
        bare = throughput("/livez")
        at_1x = throughput(listing_path)
        seed(BASE_LISTINGS * 100)
        throughput(listing_path, 2)
        at_100x = throughput(listing_path)
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
    matching_on(False)
    pledges = pledge_tps(spread=False)
    spread = pledge_tps(spread=True)
    matching_on(True)
    matched = pledge_tps(spread=True)
    pgbench = pgbench_tps()
    print(f"bare Django view (/livez):             {bare:8.1f} req/s")
    print(f"listing page, 1x  ({BASE_LISTINGS} listings):     {at_1x:8.1f} req/s")
    print(f"listing page, 100x ({BASE_LISTINGS * 100} listings):  {at_100x:8.1f} req/s")
    print(f"pledge + payment, one line:           {pledges:8.1f} tx/s")
    print(f"pledge + payment, a line per client:  {spread:8.1f} tx/s")
    print(f"  the same, all matched from one pool: {matched:8.1f} tx/s")
    print(f"pgbench -N (same database):           {pgbench:8.1f} tx/s")
    print("Ratios (measured in this run):")
    print(f"  listing page / bare view      = {at_1x / bare:.3f}")
    print(f"  listing page 100x / 1x        = {at_100x / at_1x:.3f}")
    print(f"  pledge tx/s / pgbench -N tx/s = {pledges / pgbench:.3f}")
    print(f"  spread pledges / pgbench -N   = {spread / pgbench:.3f}")
    print(f"  matched / unmatched (spread)  = {matched / spread:.3f}")


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Faults under load for scripts/cluster: `scripts/cluster chaos` runs this.

A steady mix of reads, creates, approvals and orders goes through the
balancer while the cluster is hurt on a timetable:

  10% of the run   SIGKILL crm-host 1 (its supervisor starts it again)
  25%              stop NATS server 2 for --nats-down seconds, then start it
  55%              restart Redis
  70%              start a reassignment saga and SIGKILL the host holding it
  85%              a plugin's operation crashes the last host (SIGSEGV), when
                   the fixture plugin with that operation is loaded; the time
                   until the host is ready again is printed

A fault's window lasts from its start until it is repaired (the host ready
again, the server back) plus a grace for the balancer to notice. The report
counts the requests that failed (no answer, or 5xx) inside the windows and
outside them; then the checks: every acknowledged write is present, every
event reached every consumer once, every workflow instance finished, no
lease or schedule is stuck. Exit status 0 when the targets hold (at most 1%
failed inside the windows, none outside, every check passing), 1 otherwise.

Only the standard library; psql for the checks. Everything on 127.0.0.1.
"""
import argparse
import json
import os
import random
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import uuid

FINAL = ("COMPLETED", "COMPENSATED", "CANCELLED", "FAILED")


def log(message):
    print(f"chaos: {message}", flush=True)


# ------------------------------------------------------------------ HTTP

class Client:
    """JSON over HTTP to one base URL; every call recorded for the report."""

    def __init__(self, base, recorder=None):
        self.base = base
        self.recorder = recorder

    def call(self, method, path, body=None, token=None, op=None, timeout=10, expect=(), expect_detail=""):
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.base + path, data=data, method=method)
        request.add_header("Content-Type", "application/json")
        if token:
            request.add_header("Authorization", "Bearer " + token)
        started = time.monotonic()
        status, payload = 0, None
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                status = response.status
                raw = response.read()
        except urllib.error.HTTPError as e:
            status = e.code
            raw = e.read()
        except Exception:  # no answer: refused, reset, timed out
            raw = b""
        if raw:
            try:
                payload = json.loads(raw)
            except ValueError:
                payload = None
        if self.recorder is not None and op is not None:
            # A 4xx the load expects (e.g. an approval still being routed) is
            # not one of the run's refusals.
            detail = payload.get("detail", "") if isinstance(payload, dict) else ""
            expected = status in expect and expect_detail in detail
            self.recorder.add(op, started, time.monotonic(), status, expected)
        return status, payload


# ------------------------------------------------------------------ records

class Recorder:
    def __init__(self):
        self.lock = threading.Lock()
        self.calls = []  # (op, started, ended, status, expected)

    def add(self, op, started, ended, status, expected=False):
        with self.lock:
            self.calls.append((op, started, ended, status, expected))


class Acked:
    """What the platform said it did: each must be there afterwards."""

    def __init__(self):
        self.lock = threading.Lock()
        self.customers, self.approvals, self.orders = [], [], []

    def add(self, kind, value):
        with self.lock:
            getattr(self, kind).append(value)


# ------------------------------------------------------------------ the cluster

class Cluster:
    def __init__(self, args):
        self.script = args.cluster_script
        self.hosts = args.hosts
        self.ports = args.host_ports
        self.sql_dsn = args.dsn

    def run(self, *words):
        subprocess.run([self.script, *words], check=False, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def ready(self, i):
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.ports[i - 1]}/health/ready", timeout=1) as r:
                return r.status == 200
        except Exception:
            return False

    def wait_ready(self, i, seconds):
        deadline = time.monotonic() + seconds
        # A killed host answers nothing for a moment: wait for it to go first.
        time.sleep(0.3)
        while time.monotonic() < deadline:
            if self.ready(i):
                return True
            time.sleep(0.1)
        return False

    def session(self):
        return PsqlSession(self.sql_dsn)

    def sql(self, query):
        out = subprocess.run(["psql", self.sql_dsn, "-XAtq", "-v", "ON_ERROR_STOP=1", "-c", query],
                             check=True, capture_output=True, text=True)
        return out.stdout.strip()


class PsqlSession:
    """One psql kept open, for polling many times a second (a psql started
    per query takes most of a second on a busy machine)."""

    def __init__(self, dsn):
        self.process = subprocess.Popen(["psql", dsn, "-XAtq", "-v", "ON_ERROR_STOP=1"], stdin=subprocess.PIPE,
                                        stdout=subprocess.PIPE, text=True, bufsize=1)

    def query(self, query):
        self.process.stdin.write(query.rstrip(";") + ";\n\\echo __end__\n")
        self.process.stdin.flush()
        lines = []
        for line in self.process.stdout:
            if line.rstrip("\n") == "__end__":
                break
            lines.append(line.rstrip("\n"))
        return "\n".join(lines)

    def close(self):
        self.process.stdin.close()
        self.process.wait(5)


# ------------------------------------------------------------------ set-up

def set_up(client, admin_email, admin_password, tag):
    """An admin, a manager and three sellers, real users signed in, registered
    by the first admin; a customer to buy and ask approvals for; the
    reassignment saga's owner with customers to hand over; a product with
    plenty of stock when the orders plugins are loaded."""
    password = "Chaos-" + uuid.uuid4().hex[:12] + "!"

    def register(email, role, manager=None):
        body = {"email": email, "password": password, "name": email.split("@")[0], "role": role}
        if manager:
            body["managerId"] = manager
        status, user = client.call("POST", "/api/auth/register", body, first_admin)
        if status != 201:
            raise SystemExit(f"chaos: cannot register {email}: {status} {user}")
        return user["id"]

    def sign_in(email, secret=password):
        for _ in range(50):
            status, reply = client.call("POST", "/api/auth/login", {"email": email, "password": secret})
            if status == 200:
                return reply["accessToken"]
            time.sleep(0.2)
        raise SystemExit(f"chaos: {email} cannot sign in")

    first_admin = sign_in(admin_email, admin_password)
    users = {}
    register(f"admin-{tag}@chaos.example", "ADMIN")
    manager = register(f"manager-{tag}@chaos.example", "MANAGER")
    for name in ("seller", "leaver", "heir"):
        users[name] = register(f"{name}-{tag}@chaos.example", "SALES", manager)
    tokens = {name: sign_in(f"{name}-{tag}@chaos.example") for name in ("seller", "leaver")}
    tokens["admin"] = sign_in(f"admin-{tag}@chaos.example")
    tokens["manager"] = sign_in(f"manager-{tag}@chaos.example")

    status, customer = client.call("POST", "/api/customers", {"name": "Chaos Buyer"}, tokens["seller"])
    if status != 201:
        raise SystemExit(f"chaos: cannot create a customer: {status} {customer}")
    for n in range(300):
        status, _ = client.call("POST", "/api/customers", {"name": f"Handed over {n}"}, tokens["leaver"])
        if status != 201:
            raise SystemExit(f"chaos: cannot create the leaver's customers: {status}")

    sku = None
    status, _ = client.call("GET", "/api/products?limit=1", None, tokens["admin"])
    if status == 200:
        sku = f"chaos-{tag}"
        status, reply = client.call("POST", "/api/products", {"sku": sku, "name": "Chaos Widget", "price": "5.00",
                                                             "currency": "USD", "stock": 10000000}, tokens["admin"])
        if status != 201:
            raise SystemExit(f"chaos: cannot create the product: {status} {reply}")
    return {"users": users, "tokens": tokens, "customer": customer["id"], "sku": sku}


# ------------------------------------------------------------------ load

def worker(client, world, acked, stop, rate, seed):
    rng = random.Random(seed)
    t = world["tokens"]
    address = {"name": "Ann Buyer", "line1": "1 Main St", "city": "Springfield", "postalCode": "12345",
               "country": "US"}
    period = 1.0 / rate
    next_at = time.monotonic()
    routing = []  # approvals asked for, approved once the workflow has routed them
    while not stop.is_set():
        roll = rng.random()
        if roll < 0.30:
            client.call("GET", "/api/customers?limit=20", None, t["seller"], op="read customers")
        elif roll < 0.40:
            client.call("GET", "/api/dashboard", None, t["seller"], op="read dashboard")
        elif roll < 0.65:
            status, reply = client.call("POST", "/api/customers", {"name": f"Chaos {uuid.uuid4().hex[:8]}"},
                                        t["seller"], op="create customer")
            if status == 201 and reply:
                acked.add("customers", reply["id"])
        elif roll < 0.72 or (not world["sku"] and roll < 0.86):
            status, reply = client.call("POST", "/api/approvals",
                                        {"customerId": world["customer"], "title": "Chaos discount", "amount": 100},
                                        t["seller"], op="request approval")
            if status == 201 and reply:
                routing.append(reply["id"])
        elif roll < 0.80 or not world["sku"]:
            if routing:
                approval = routing.pop(0)
                status, _ = client.call("PATCH", f"/api/approvals/{approval}/approve", {"comment": "ok"}, t["admin"],
                                        op="approve", expect=(409,), expect_detail="awaits routing")
                if status == 200:
                    acked.add("approvals", approval)
                elif status == 409 or status == 0 or status >= 500:
                    routing.append(approval)  # not routed yet, or not answered: again later
        else:
            status, reply = client.call("POST", "/api/orders",
                                        {"customerId": world["customer"], "items": [{"sku": world["sku"], "quantity": 1}],
                                         "payment": {"token": "tok_ok"}, "shippingAddress": address},
                                        t["seller"], op="place order")
            if status == 201 and reply:
                acked.add("orders", reply["id"])
        next_at += period
        delay = next_at - time.monotonic()
        if delay > 0:
            stop.wait(delay)
        else:
            next_at = time.monotonic()


# ------------------------------------------------------------------ faults

class Windows:
    def __init__(self):
        self.spans = []  # (name, start, end)

    def add(self, name, start, end):
        self.spans.append((name, start, end))

    def inside(self, started, ended):
        return any(started <= end and ended >= start for _, start, end in self.spans)


def faults(cluster, client, world, windows, t0, duration, nats_down, grace, events):
    def at(fraction):
        # Each fault hits a whole cluster: every host ready, and back in the
        # balancer's rotation (its prober looks each second), however late
        # that makes the fault.
        deadline = time.monotonic() + 60
        while not all(cluster.ready(i) for i in range(1, cluster.hosts + 1)) and time.monotonic() < deadline:
            time.sleep(0.1)
        time.sleep(2.0)
        delay = t0 + fraction * duration - time.monotonic()
        if delay > 0:
            time.sleep(delay)

    at(0.10)
    start = time.monotonic()
    log("SIGKILL crm-host 1")
    cluster.run("kill-host", "1")
    ok = cluster.wait_ready(1, 60)
    windows.add("crm-host 1 killed", start, time.monotonic() + grace)
    events.append(f"crm-host 1 killed: ready again after {time.monotonic() - start:.1f} s" if ok
                  else "crm-host 1 killed: NOT ready again within 60 s")

    at(0.25)
    start = time.monotonic()
    log(f"NATS server 2 stopped for {nats_down:.0f} s")
    cluster.run("stop-nats", "2")
    time.sleep(nats_down)
    cluster.run("start-nats", "2")
    windows.add("NATS server 2 down", start, time.monotonic() + grace)
    events.append(f"NATS server 2 down for {time.monotonic() - start:.1f} s")

    at(0.55)
    start = time.monotonic()
    log("Redis restarted")
    cluster.run("restart-redis")
    windows.add("Redis restarted", start, time.monotonic() + grace)
    events.append(f"Redis restarted in {time.monotonic() - start:.1f} s")

    at(0.70)
    start = time.monotonic()
    users, tokens = world["users"], world["tokens"]
    db = cluster.session()  # open before the saga starts: it lasts well under a second
    db.query("select 1")
    status, reply = client.call("POST", "/api/sagas/reassignment",
                                {"fromUserId": users["leaver"], "toUserId": users["heir"]}, tokens["admin"])
    if status != 202 or not reply:
        db.close()
        events.append(f"reassignment saga NOT started: {status} {reply}")
        return None
    instance = reply["workflowInstanceId"]
    owner, status = "", "RUNNING"
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and status == "RUNNING" and not owner.startswith("host-"):
        status, _, owner = db.query(f"select status || '|' || coalesce(lease_owner, '') from "
                                    f"platform.workflow_instances where id = '{instance}'").partition("|")
    db.close()
    if owner.startswith("host-"):
        victim = owner[len("host-"):]
        log(f"SIGKILL crm-host {victim}, which runs reassignment saga {instance}")
        cluster.run("kill-host", victim)
        ok = cluster.wait_ready(int(victim), 60)
        windows.add("the saga's host killed", start, time.monotonic() + grace)
        events.append(f"crm-host {victim} killed while running saga {instance}: "
                      + (f"ready again after {time.monotonic() - start:.1f} s" if ok else "NOT ready within 60 s"))
    else:
        windows.add("the saga's host killed", start, time.monotonic() + grace)
        events.append(f"saga {instance} finished before its host could be found and killed")

    at(0.85)
    crash_plugin(cluster, world, windows, grace, events)
    return instance


def crash_plugin(cluster, world, windows, grace, events):
    """A plugin's operation crashes the last host with SIGSEGV: the time from
    the crash to that host answering ready again is the time it was out."""
    victim = cluster.hosts
    base = f"http://127.0.0.1:{cluster.ports[victim - 1]}"
    direct = Client(base)
    status, plugins = direct.call("GET", "/api/plugins", None, world["tokens"]["admin"])
    if "fixture_slow" not in json.dumps(plugins):
        events.append("plugin crash: skipped (the fixture plugin with the crashing operation is not loaded)")
        return
    start = time.monotonic()
    log(f"a plugin operation crashes crm-host {victim} (SIGSEGV)")
    status, _ = direct.call("POST", "/api/fixture-slow/crash", {}, world["tokens"]["admin"], timeout=5)
    deadline = start + 60
    went = False
    while time.monotonic() < deadline:
        up = cluster.ready(victim)
        went = went or not up
        if went and up:
            break
        time.sleep(0.01)
    out = time.monotonic() - start
    windows.add("a plugin crashed its host", start, time.monotonic() + grace)
    if status != 0:
        events.append(f"plugin crash: the crashing operation answered {status}; the host did not crash")
    elif went and out < 60:
        events.append(f"plugin crash: crm-host {victim} out for {out:.2f} s (SIGSEGV to ready again)  target <= 2 s")
    else:
        events.append(f"plugin crash: crm-host {victim} NOT ready again within 60 s")


# ------------------------------------------------------------------ checks

def eventually(check, seconds):
    deadline = time.monotonic() + seconds
    while True:
        ok, detail = check()
        if ok or time.monotonic() >= deadline:
            return ok, detail
        time.sleep(0.5)


def checks(cluster, client, world, acked, saga, settle):
    results = []
    sql = cluster.sql

    def ids(values):
        return ",".join(f"'{v}'" for v in values) or "null"

    # Every acknowledged write is there.
    n = len(acked.customers)
    found = int(sql(f"select count(*) from customer.customers where id in ({ids(acked.customers)})")) if n else 0
    results.append((found == n, f"acknowledged customers present: {found} of {n}"))

    if acked.orders:
        def orders_final():
            rows = sql(f"select count(*) filter (where status in ('SHIPPED', 'DELIVERED', 'FAILED', 'CANCELLED')), "
                       f"count(*) from orders.orders where id in ({ids(acked.orders)})").split("|")
            return int(rows[0]) == len(acked.orders), f"{rows[0]} of {len(acked.orders)} acknowledged orders final ({rows[1]} present)"
        results.append(eventually(orders_final, settle))

    approved = acked.approvals
    if approved:
        def approvals_decided():
            admin = world["tokens"]["admin"]
            missing = [a for a in approved
                       if (client.call("GET", f"/api/approvals/{a}", None, admin)[1] or {}).get("status") != "APPROVED"]
            return not missing, f"acknowledged approvals APPROVED: {len(approved) - len(missing)} of {len(approved)}"
        results.append(eventually(approvals_decided, settle))

    # Every event reached every consumer once: each published event of a
    # consumer's type is in its inbox or its dead letters (the inbox's key
    # makes twice impossible).
    def consumers_complete():
        consumers = consumer_types(cluster)
        short = []
        for durable, event_type in consumers:
            schema = durable.split("__")[0]
            outboxes = [s for s in sql("select table_schema from information_schema.tables "
                                       "where table_name = 'crm_outbox'").split("\n") if s]
            union = " union all ".join(f"select id from {s}.crm_outbox where type = '{event_type}' "
                                       f"and published_at is not null" for s in outboxes)
            missing = int(sql(f"select count(*) from ({union}) e where not exists (select 1 from {schema}.crm_inbox i "
                              f"where i.event_id = e.id and i.consumer = '{durable}') and not exists (select 1 from "
                              f"platform.dead_letters d where d.event_id = e.id and d.consumer = '{durable}')"))
            if missing:
                short.append(f"{durable}: {missing} missing")
        return not short, (f"{len(consumers)} consumers, every published event handled once by each"
                           if not short else "events not handled: " + "; ".join(short))
    results.append(eventually(consumers_complete, settle))

    # Every workflow instance finished (a state machine may wait for a person).
    def instances_done():
        rows = sql("select count(*) filter (where status = 'RUNNING'), count(*) filter (where status = 'WAITING' and "
                   "kind = 'saga'), count(*) filter (where status = 'WAITING'), count(*) from platform.workflow_instances"
                   ).split("|")
        running, saga_waiting, waiting, total = map(int, rows)
        return running == 0 and saga_waiting == 0, (f"workflow instances: {total}, none running "
                                                    f"({waiting} state machines waiting for a person)"
                                                    if running == 0 and saga_waiting == 0 else
                                                    f"workflow instances still running: {running} of {total}")
    results.append(eventually(instances_done, settle))
    if saga:
        status = sql(f"select status from platform.workflow_instances where id = '{saga}'")
        results.append((status == "COMPLETED", f"the reassignment saga whose host was killed: {status}"))

    # No lease or schedule stuck.
    stuck = int(sql("select count(*) from platform.workflow_instances where lease_owner is not null "
                    "and lease_until < now() - interval '5 seconds'"))
    results.append((stuck == 0, f"expired workflow leases not taken back: {stuck}"))
    late = int(sql("select count(*) from platform.schedules "
                   "where next_run_at < now() - make_interval(secs => every_seconds * 3 + 30)"))
    results.append((late == 0, f"schedules overdue: {late}"))
    return results


def consumer_types(cluster):
    """(durable, event type) of every plugin consumer, from the inboxes' and
    the dead letters' consumer names and the NATS consumer filters."""
    url = f"http://127.0.0.1:{os.environ['CHAOS_NATS_MONITOR']}/jsz?accounts=true&streams=true&consumers=true&config=true"
    with urllib.request.urlopen(url, timeout=5) as r:
        jsz = json.load(r)
    out = []
    for account in jsz.get("account_details", []):
        for stream in account.get("stream_detail", []):
            for consumer in stream.get("consumer_detail", []) or []:
                name = consumer.get("name", "")
                subject = (consumer.get("config") or {}).get("filter_subject", "")
                # Plugin consumers only: the host's own (workflow triggers and
                # waits) keep no inbox.
                if "__" not in name or name.startswith("workflow") or not subject:
                    continue
                prefix = os.environ.get("CHAOS_SUBJECT_PREFIX", "crm") + "."
                if subject.startswith(prefix):
                    out.append((name, subject[len(prefix):]))
    return sorted(set(out))


# ------------------------------------------------------------------ main

def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--base", required=True, help="the balancer's URL")
    p.add_argument("--cluster-script", required=True)
    p.add_argument("--hosts", type=int, required=True)
    p.add_argument("--host-ports", type=lambda s: [int(x) for x in s.split(",")], required=True)
    p.add_argument("--dsn", required=True)
    p.add_argument("--admin-email", required=True, help="the first admin, who registers the load's users")
    p.add_argument("--admin-password", required=True)
    p.add_argument("--seconds", type=float, default=90)
    p.add_argument("--nats-down", type=float, default=20)
    p.add_argument("--clients", type=int, default=8)
    p.add_argument("--rate", type=float, default=5, help="requests per second per client")
    p.add_argument("--grace", type=float, default=5, help="seconds a window lasts after its repair")
    p.add_argument("--settle", type=float, default=90, help="seconds the checks wait for the cluster to settle")
    args = p.parse_args()

    cluster = Cluster(args)
    recorder, acked, windows, events = Recorder(), Acked(), Windows(), []
    plain = Client(args.base)
    log(f"set-up through {args.base}")
    world = set_up(plain, args.admin_email, args.admin_password, uuid.uuid4().hex[:8])

    loaded = Client(args.base, recorder)
    stop = threading.Event()
    t0 = time.monotonic()
    threads = [threading.Thread(target=worker, args=(loaded, world, acked, stop, args.rate, i), daemon=True)
               for i in range(args.clients)]
    for t in threads:
        t.start()
    log(f"load: {args.clients} clients at {args.rate:g} requests/s each for {args.seconds:g} s")
    saga = faults(cluster, plain, world, windows, t0, args.seconds, args.nats_down, args.grace, events)
    remaining = t0 + args.seconds - time.monotonic()
    if remaining > 0:
        time.sleep(remaining)
    stop.set()
    for t in threads:
        t.join(30)

    inside = [c for c in recorder.calls if windows.inside(c[1], c[2])]
    outside = [c for c in recorder.calls if not windows.inside(c[1], c[2])]

    def failed(calls):
        return [c for c in calls if c[3] == 0 or c[3] >= 500]

    def refused(calls):
        return [c for c in calls if 400 <= c[3] < 500 and not c[4]]

    print()
    print("faults:")
    for e in events:
        print(f"  {e}")
    print("requests:")
    print(f"  {len(recorder.calls)} in {args.seconds:g} s ({len(recorder.calls) / args.seconds:.0f}/s)")
    share = 100.0 * len(failed(inside)) / max(1, len(inside))
    print(f"  inside the fault windows: {len(inside)}, failed {len(failed(inside))} ({share:.2f}%)  target <= 1%")
    print(f"  outside them: {len(outside)}, failed {len(failed(outside))}  target 0")
    by_op = {}
    for c in failed(recorder.calls):
        by_op[(c[0], c[3])] = by_op.get((c[0], c[3]), 0) + 1
    for (op, status), n in sorted(by_op.items()):
        print(f"    {op}: {n} x {'no answer' if status == 0 else status}")
    bad = refused(recorder.calls)
    if bad:
        print(f"  answered 4xx (not expected of this load): {len(bad)}")
        kinds = {}
        for c in bad:
            kinds[(c[0], c[3])] = kinds.get((c[0], c[3]), 0) + 1
        for (op, status), n in sorted(kinds.items()):
            print(f"    {op}: {n} x {status}")
    print("checks:")
    results = checks(cluster, plain, world, acked, saga, args.settle)
    for ok, detail in results:
        print(f"  {'ok  ' if ok else 'FAIL'} {detail}")

    passed = share <= 1.0 and not failed(outside) and all(ok for ok, _ in results) and not bad
    print(f"chaos: {'PASSED' if passed else 'FAILED'}")
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())

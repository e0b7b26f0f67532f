"""The measuring half of scripts/bench/alerts (read its header first).

Signs in as the admin, sets up instruments, prices and rules, holds the
admin's notification WebSocket open and runs the rounds; prints the latency
figures and the exactly-once check. Settings come from the environment
scripts/bench/alerts exports (BENCH_BASE, BENCH_EMAIL, BENCH_PASSWORD,
BENCH_ROUNDS, BENCH_PAUSE_MS, CRM_DB_DSN, PGPASSWORD).
"""
import base64
import datetime
import json
import os
import socket
import struct
import subprocess
import sys
import time
import urllib.parse
import urllib.request

BASE = os.environ["BENCH_BASE"]
SYMBOLS = [f"S{i:03d}" for i in range(100)]
START = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0) - datetime.timedelta(hours=2)


def request(method, path, body=None, token=None):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(BASE + path, data=data, method=method)
    req.add_header("Content-Type", "application/json")
    if token:
        req.add_header("Authorization", "Bearer " + token)
    with urllib.request.urlopen(req, timeout=30) as answer:
        text = answer.read()
        return answer.status, json.loads(text) if text else None


def sign_in():
    deadline = time.time() + 30
    while True:
        try:
            _, answer = request("POST", "/api/auth/login",
                                {"email": os.environ["BENCH_EMAIL"], "password": os.environ["BENCH_PASSWORD"]})
            return answer["accessToken"]
        except Exception:  # the admin is made at the first start: retry a while
            if time.time() > deadline:
                raise
            time.sleep(0.2)


def subject_of(token):
    payload = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))["sub"]


def psql(sql):
    return subprocess.run(["psql", os.environ["CRM_DB_DSN"], "-XAtq", "-v", "ON_ERROR_STOP=1", "-c", sql],
                          check=True, capture_output=True, text=True).stdout.strip()


def at(seconds):
    return (START + datetime.timedelta(seconds=seconds)).strftime("%Y-%m-%dT%H:%M:%SZ")


class NotificationStream:
    """A minimal WebSocket client of /api/notifications/stream (RFC 6455)."""

    def __init__(self, token):
        url = urllib.parse.urlparse(BASE)
        self.sock = socket.create_connection((url.hostname, url.port))
        key = base64.b64encode(os.urandom(16)).decode()
        self.sock.sendall((f"GET /api/notifications/stream?access_token={token} HTTP/1.1\r\n"
                           f"Host: {url.hostname}:{url.port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                           f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n").encode())
        self.buffer = b""
        while b"\r\n\r\n" not in self.buffer:
            self.buffer += self._recv()
        head, self.buffer = self.buffer.split(b"\r\n\r\n", 1)
        if b" 101 " not in head.split(b"\r\n")[0]:
            raise RuntimeError("the stream was refused: " + head.decode(errors="replace"))

    def _recv(self):
        chunk = self.sock.recv(65536)
        if not chunk:
            raise RuntimeError("the stream closed")
        return chunk

    def _take(self, n):
        while len(self.buffer) < n:
            self.buffer += self._recv()
        out, self.buffer = self.buffer[:n], self.buffer[n:]
        return out

    def _send(self, opcode, payload):
        mask = os.urandom(4)
        masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
        self.sock.sendall(bytes([0x80 | opcode, 0x80 | len(payload)]) + mask + masked)

    def next(self, timeout):
        """The next text frame as JSON, or None when none comes in time."""
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            self.sock.settimeout(left)
            try:
                first, second = self._take(2)
                length = second & 0x7F
                if length == 126:
                    length = struct.unpack(">H", self._take(2))[0]
                elif length == 127:
                    length = struct.unpack(">Q", self._take(8))[0]
                payload = self._take(length)
            except socket.timeout:
                return None
            opcode = first & 0x0F
            if opcode == 0x9:
                self._send(0xA, payload)
            elif opcode == 0x8:
                raise RuntimeError("the stream closed")
            elif opcode == 0x1:
                return json.loads(payload)


def main():
    rounds = int(os.environ.get("BENCH_ROUNDS", "200"))
    pause = int(os.environ.get("BENCH_PAUSE_MS", "50")) / 1000
    token = sign_in()
    me = subject_of(token)
    for symbol in SYMBOLS:
        request("POST", "/api/market/instruments",
                {"symbol": symbol, "name": symbol + " Corp", "exchange": "XNAS", "currency": "USD"}, token)
    # 100 rules per symbol: the admin's two at 100, four ABOVE (100.1-100.4) and
    # four BELOW (99.6-99.9) of other users, 45 ABOVE 105-150 and 45 BELOW
    # 50-95. Armed as the API would arm them at 99.5.
    psql(f"""
      insert into alerts.rules (user_id, symbol, kind, threshold, armed)
      select case when r.n < 2 then '{me}'::uuid
                  else md5('bench-user-' || ((s.i * 100 + r.n) % 500))::uuid end,
             'S' || lpad(s.i::text, 3, '0'), r.kind, r.threshold,
             not (case when r.kind = 'ABOVE' then 99.5 >= r.threshold else 99.5 <= r.threshold end)
      from generate_series(0, 99) s (i)
      cross join (
        select 0 n, 'ABOVE' kind, 100.0::float8 threshold union all select 1, 'BELOW', 100.0
        union all select 1 + k, 'ABOVE', 100.0 + k / 10.0 from generate_series(1, 4) k
        union all select 5 + k, 'BELOW', 100.0 - k / 10.0 from generate_series(1, 4) k
        union all select 9 + k, 'ABOVE', 104.0 + k from generate_series(1, 45) k
        union all select 54 + k, 'BELOW', 96.0 - k from generate_series(1, 45) k) r""")
    print("  rules:", psql("select count(*) from alerts.rules"), "over",
          psql("select count(distinct symbol) from alerts.rules"), "symbols")

    price = {symbol: 99.5 for symbol in SYMBOLS}

    def post_batch(second):
        items = [{"symbol": s, "at": at(second), "price": price[s]} for s in SYMBOLS]
        status, _ = request("POST", "/api/market/prices", {"prices": items}, token)
        if status != 202:
            raise RuntimeError(f"POST /api/market/prices answered {status}")

    post_batch(0)
    stream = NotificationStream(token)
    ready = stream.next(10)
    if not ready or ready.get("type") != "ready":
        raise RuntimeError(f"no ready frame: {ready}")
    time.sleep(2)  # the first batch's events evaluated before the clock starts

    latencies, missed = [], 0
    started = time.monotonic()
    for r in range(rounds):
        symbol = SYMBOLS[r % 100]
        price[symbol] = 100.5 if price[symbol] < 100 else 99.5
        post_batch(r + 1)
        committed = time.monotonic()
        while True:
            frame = stream.next(max(0.0, 5 - (time.monotonic() - committed)))
            if frame is None:
                missed += 1
                break
            data = frame.get("data") or {}
            if data.get("kind") == "PRICE_ALERT" and data.get("title", "").startswith(symbol + " "):
                latencies.append((time.monotonic() - committed) * 1000)
                break
        time.sleep(pause)
    elapsed = time.monotonic() - started

    latencies.sort()

    def pct(p):
        return latencies[min(len(latencies) - 1, int(round(p / 100 * (len(latencies) - 1))))]

    if latencies:
        print(f"batch commit -> PRICE_ALERT frame: {len(latencies)} rounds, p50 {pct(50):.1f} ms, "
              f"p90 {pct(90):.1f} ms, p99 {pct(99):.1f} ms, max {latencies[-1]:.1f} ms"
              f"{f'  [{missed} rounds without a frame within 5 s]' if missed else ''} ({elapsed:.1f} s)")
    time.sleep(2)  # the last round's other notifications
    notified = int(psql("select count(*) from analytics.notifications where kind = 'PRICE_ALERT'"))
    fired = int(psql("select count(*) from alerts.fired_alerts"))
    print(f"  {fired} crossings recorded, {notified} PRICE_ALERT notifications; expected {5 * rounds} of each "
          f"({'ok' if fired == notified == 5 * rounds else 'MISMATCH'})")
    return 0 if latencies and not missed else 1


if __name__ == "__main__":
    sys.exit(main())

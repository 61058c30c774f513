#!/usr/bin/env python3
"""One workload, three chat servers: Courtyard, a Matrix homeserver (Synapse) and an XMPP
server's group chat (Prosody's MUC), measured the same way.

U users in one room (Courtyard: a team group; Matrix: a public room all of them joined;
XMPP: a MUC room, its offline users affiliated as members). P of them post, at R messages/s
in total (open loop: every post has a scheduled time and latency counts from it, so a server
that falls behind shows in the latency), or flat out with `--rate 0` (each poster sends its
next message as soon as the previous one is acknowledged). L of them listen. Every body ends
with ` #t=<send time, unix µs> #id=<poster>-<n>`; listeners time each message from that send
time to its arrival and check that every acknowledged message reached every listener once.

Acknowledgement: Courtyard, the `201` of `POST /api/v1/groups/{id}/messages`; Matrix, the
`200` of `PUT /_matrix/client/v3/rooms/{id}/send/m.room.message/{txn}` (the event is
persisted); XMPP, the room's reflection of the message back to its sender (with Prosody's
mod_muc_mam, after it is archived). Delivery: Courtyard, the `message.created` frame on
`/api/v1/ws` (bearer token); Matrix, the event in a `/sync?since=…&timeout=30000` answer;
XMPP, the groupchat stanza on the listener's own connection.

Poster i and listener i are user i, so a server pushes each message to L connections (for
XMPP, where only occupants may post and every occupant receives, to max(P, L)).

The XMPP client is a few lines over an asyncio stream (SASL PLAIN on a loopback socket
without TLS, resource binding, MUC join) that finds stanzas by substring rather than parsing
XML: an XML library in Python would spend more CPU per stanza than the server does, on the
same two cores, and the Courtyard and Matrix clients here do not parse more than they must.

With `--server-pid`, the server's CPU seconds over the measured window and its peak RSS
(VmHWM, over its whole life including setup) come from /proc; the driver's own CPU seconds
are reported too, so a reader can tell when the client, not the server, is the limit.
"""

import argparse
import asyncio
import base64
import codecs
import hashlib
import hmac
import json
import os
import re
import sys
import time
import urllib.parse
from collections import Counter

import aiohttp

BODY_RE = re.compile(r"#t=(\d+) #id=([0-9a-z-]+)")
END_ID = "end"


def now_us():
    return time.monotonic_ns() // 1000 + CLOCK_OFFSET_US


# Monotonic time, anchored to the wall clock once: send and arrival times come from it.
CLOCK_OFFSET_US = time.time_ns() // 1000 - time.monotonic_ns() // 1000


def percentiles(samples_us):
    if not samples_us:
        return None
    s = sorted(samples_us)

    def rank(p):
        return s[min(len(s) - 1, max(0, int(-(-p * len(s) // 100)) - 1))] / 1000

    return {"p50": rank(50), "p95": rank(95), "p99": rank(99), "max": s[-1] / 1000, "n": len(s)}


class PostError(Exception):
    pass


def proc_cpu_ticks(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return int(fields[11]) + int(fields[12])
    except OSError:
        return None


def proc_status(pid):
    out = {}
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                k, _, v = line.partition(":")
                if k in ("VmHWM", "VmRSS"):
                    out[k] = round(int(v.split()[0]) / 1024, 1)
    except OSError:
        pass
    return out


def machine_ticks():
    with open("/proc/stat") as f:
        parts = [int(x) for x in f.readline().split()[1:]]
    idle = parts[3] + parts[4]
    return sum(parts), idle


class Tally:
    """What the run saw: shared by posters and listeners."""

    def __init__(self, listeners, window):
        self.window = window  # (from_us, to_us) of send times
        self.ack_us = []
        self.send_lag_us = []
        self.errors = Counter()
        self.posted = set()  # ids sent in the window and acknowledged
        self.acked_in_window = 0
        self.deliver_us = []
        self.seen = [Counter() for _ in range(listeners)]
        self.done = [asyncio.Event() for _ in range(listeners)]
        self.gaps = 0  # Matrix: `limited` timelines (events skipped by a sync)
        self.unsent = 0  # posts scheduled in the window that a poster, behind, never sent

    def heard(self, listener, sent_us, mid, arrived_us):
        if mid == END_ID:
            self.done[listener].set()
            return
        if self.window[0] <= sent_us < self.window[1]:
            self.deliver_us.append(arrived_us - sent_us)
            self.seen[listener][mid] += 1

    def heard_text(self, listener, text, arrived_us):
        for m in BODY_RE.finditer(text):
            self.heard(listener, int(m.group(1)), m.group(2), arrived_us)


# --------------------------------------------------------------------------- Courtyard


class Courtyard:
    name = "courtyard"

    def __init__(self, args, http):
        self.base = args.url.rstrip("/")
        self.args = args
        self.http = http
        self.tokens = []
        self.wss = []

    async def _call(self, method, path, token=None, body=None, want=None):
        headers = {"authorization": f"Bearer {token}"} if token else {}
        async with self.http.request(method, self.base + path, json=body, headers=headers) as r:
            text = await r.text()
            if want is not None and r.status != want:
                raise RuntimeError(f"{method} {path}: {r.status} {text[:300]}")
            return r.status, (json.loads(text) if text else None)

    async def _login(self, email, password):
        _, b = await self._call("POST", "/api/v1/auth/login", body={"email": email, "password": password}, want=200)
        return b["token"]

    async def setup(self, users):
        run = f"{int(time.time() * 1000):x}"
        admin = await self._login(self.args.admin_email, self.args.admin_password)
        _, org = await self._call("POST", "/api/v1/orgs", admin, {"name": f"Peers {run}"}, 201)
        password = "peers bench password 0123"
        sem = asyncio.Semaphore(4)

        async def person(i):
            async with sem:
                email = f"u{i}-{run}@peers.example.com"
                _, p = await self._call(
                    "POST",
                    f"/api/v1/orgs/{org['id']}/people",
                    admin,
                    {"email": email, "display_name": f"User {i}", "password": password,
                     "role": "org_admin" if i == 0 else "member"},
                    201,
                )
                return p["id"], await self._login(email, password)

        people = await asyncio.gather(*(person(i) for i in range(users)))
        self.tokens = [t for _, t in people]
        _, g = await self._call(
            "POST", "/api/v1/groups", self.tokens[0],
            {"kind": "team", "name": f"Peers {run}", "member_ids": [p for p, _ in people[1:]]}, 201,
        )
        self.group = g["id"]
        self.path = f"/api/v1/groups/{self.group}/messages"

    async def listen(self, i, tally):
        ws = await self.http.ws_connect(
            self.base.replace("http", "ws", 1) + "/api/v1/ws",
            headers={"authorization": f"Bearer {self.tokens[i]}"},
            autoping=True, max_msg_size=0,
        )
        hello = await asyncio.wait_for(ws.receive(), 10)
        if hello.type != aiohttp.WSMsgType.TEXT or '"hello"' not in hello.data:
            raise RuntimeError(f"listener {i}: expected hello, got {hello}")
        self.wss.append(ws)
        kind, group = '"type":"message.created"', f'"group_id":"{self.group}"'

        async def run():
            async for msg in ws:
                arrived = now_us()
                if msg.type != aiohttp.WSMsgType.TEXT:
                    break
                d = msg.data
                if kind in d and group in d:
                    # The body comes before its rendered segments: the first marker is its.
                    m = BODY_RE.search(d)
                    if m:
                        tally.heard(i, int(m.group(1)), m.group(2), arrived)
            tally.errors[f"listener {i}: stream closed"] += 0 if tally.done[i].is_set() else 1

        return asyncio.ensure_future(run())

    async def post(self, i, body, txn):
        try:
            status, b = await self._call("POST", self.path, self.tokens[i], {"body": body, "client_txn_id": txn})
        except (aiohttp.ClientError, asyncio.TimeoutError) as e:
            raise PostError(f"transport {type(e).__name__}") from e
        if status != 201:
            raise PostError(f"{status} {(b or {}).get('code', '')}".strip())

    async def close(self):
        for ws in self.wss:
            await ws.close()


# --------------------------------------------------------------------------- Matrix


class Matrix:
    name = "matrix"

    def __init__(self, args, http):
        self.base = args.url.rstrip("/")
        self.args = args
        self.http = http
        self.tokens = []

    async def _call(self, method, path, token=None, body=None, want=200, timeout=None):
        headers = {"authorization": f"Bearer {token}"} if token else {}
        kw = {"timeout": aiohttp.ClientTimeout(total=timeout)} if timeout else {}
        async with self.http.request(method, self.base + path, json=body, headers=headers, **kw) as r:
            text = await r.text()
            if want is not None and r.status != want:
                raise RuntimeError(f"{method} {path}: {r.status} {text[:300]}")
            return r.status, (json.loads(text) if text else None)

    async def _register(self, user, password):
        # Shared-secret registration (Synapse's admin API): HMAC-SHA1 over the nonce, the
        # user, the password and the admin flag with `registration_shared_secret`.
        _, n = await self._call("GET", "/_synapse/admin/v1/register")
        mac = hmac.new(self.args.shared_secret.encode(), digestmod=hashlib.sha1)
        for part in (n["nonce"], user, password):
            mac.update(part.encode())
            mac.update(b"\x00")
        mac.update(b"notadmin")
        _, r = await self._call("POST", "/_synapse/admin/v1/register", body={
            "nonce": n["nonce"], "username": user, "password": password,
            "admin": False, "mac": mac.hexdigest()})
        return r["access_token"]

    async def setup(self, users):
        run = f"{int(time.time() * 1000):x}"
        sem = asyncio.Semaphore(4)

        async def reg(i):
            async with sem:
                return await self._register(f"u{i}-{run}", "peers bench password 0123")

        self.tokens = await asyncio.gather(*(reg(i) for i in range(users)))
        _, room = await self._call("POST", "/_matrix/client/v3/createRoom", self.tokens[0],
                                   {"preset": "public_chat", "name": f"Peers {run}"})
        self.room = room["room_id"]
        q = urllib.parse.quote(self.room, safe="")
        self.send_path = f"/_matrix/client/v3/rooms/{q}/send/m.room.message/"

        async def join(i):
            async with sem:
                await self._call("POST", f"/_matrix/client/v3/join/{q}", self.tokens[i], {})

        await asyncio.gather(*(join(i) for i in range(1, users)))
        # A stored filter per user, as clients do (an inline filter is re-validated on
        # every /sync): the room's timeline only, no presence, receipts or account data.
        none = {"types": []}
        body = {"presence": none, "account_data": none,
                "room": {"rooms": [self.room], "timeline": {"limit": 1000},
                         "state": none, "ephemeral": none, "account_data": none}}

        async def store_filter(i):
            async with sem:
                _, me = await self._call("GET", "/_matrix/client/v3/account/whoami", self.tokens[i])
                _, f = await self._call("POST", f"/_matrix/client/v3/user/{urllib.parse.quote(me['user_id'])}/filter",
                                        self.tokens[i], body)
                return f["filter_id"]

        self.filters = await asyncio.gather(*(store_filter(i) for i in range(users)))

    async def listen(self, i, tally):
        token, filt = self.tokens[i], self.filters[i]
        _, first = await self._call("GET", f"/_matrix/client/v3/sync?filter={filt}&timeout=0", token,
                                    timeout=60)
        since = first["next_batch"]

        async def run():
            nonlocal since
            while not tally.done[i].is_set():
                try:
                    async with self.http.get(
                        f"{self.base}/_matrix/client/v3/sync?filter={filt}&timeout=30000&since={since}",
                        headers={"authorization": f"Bearer {token}"},
                        timeout=aiohttp.ClientTimeout(total=90),
                    ) as r:
                        raw = await r.read()
                        arrived = now_us()
                        if r.status != 200:
                            tally.errors[f"sync {r.status}"] += 1
                            await asyncio.sleep(0.1)
                            continue
                except (aiohttp.ClientError, asyncio.TimeoutError) as e:
                    tally.errors[f"sync transport {type(e).__name__}"] += 1
                    await asyncio.sleep(0.1)
                    continue
                b = json.loads(raw)
                since = b["next_batch"]
                room = b.get("rooms", {}).get("join", {}).get(self.room)
                if not room:
                    continue
                tl = room.get("timeline", {})
                if tl.get("limited"):
                    tally.gaps += 1
                for ev in tl.get("events", []):
                    if ev.get("type") == "m.room.message":
                        m = BODY_RE.search(ev.get("content", {}).get("body", ""))
                        if m:
                            tally.heard(i, int(m.group(1)), m.group(2), arrived)

        return asyncio.ensure_future(run())

    async def post(self, i, body, txn):
        try:
            async with self.http.put(
                self.base + self.send_path + txn,
                json={"msgtype": "m.text", "body": body},
                headers={"authorization": f"Bearer {self.tokens[i]}"},
            ) as r:
                text = await r.text()
                status = r.status
        except (aiohttp.ClientError, asyncio.TimeoutError) as e:
            raise PostError(f"transport {type(e).__name__}") from e
        if status != 200:
            try:
                code = json.loads(text).get("errcode", "")
            except ValueError:
                code = ""
            raise PostError(f"{status} {code}".strip())

    async def close(self):
        pass


# --------------------------------------------------------------------------- XMPP


class XConn:
    """One XMPP client connection: raw stream, substring matching (see the module docs)."""

    HEADER = ("<?xml version='1.0'?><stream:stream xmlns='jabber:client' "
              "xmlns:stream='http://etherx.jabber.org/streams' to='{domain}' version='1.0'>")

    def __init__(self, host, port, domain):
        self.host, self.port, self.domain = host, port, domain
        self.buf = ""
        self.dec = codecs.getincrementaldecoder("utf-8")()
        self.pending = {}

    async def _until(self, pattern, timeout=20):
        rx = re.compile(pattern, re.S)
        deadline = time.monotonic() + timeout
        while True:
            m = rx.search(self.buf)
            if m:
                self.buf = self.buf[m.end():]
                return m
            left = deadline - time.monotonic()
            if left <= 0:
                raise RuntimeError(f"XMPP: no {pattern!r} within {timeout} s; have {self.buf[-300:]!r}")
            data = await asyncio.wait_for(self.reader.read(65536), left)
            if not data:
                raise RuntimeError(f"XMPP: stream closed waiting for {pattern!r}: {self.buf[-300:]!r}")
            self.buf += self.dec.decode(data)

    def send(self, s):
        self.writer.write(s.encode())

    async def open(self, user, password, register):
        self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        self.user = user
        self.send(self.HEADER.format(domain=self.domain))
        await self._until(r"</stream:features>")
        if register:
            self.send(f"<iq type='set' id='reg'><query xmlns='jabber:iq:register'><username>{user}</username>"
                      f"<password>{password}</password></query></iq>")
            m = await self._until(r"<iq[^>]*\bid=['\"]reg['\"][^>]*?(?:/>|>.*?</iq>)")
            if "type='result'" not in m.group(0) and 'type="result"' not in m.group(0):
                raise RuntimeError(f"XMPP registration of {user}: {m.group(0)}")
        plain = base64.b64encode(f"\0{user}\0{password}".encode()).decode()
        self.send(f"<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>{plain}</auth>")
        m = await self._until(r"<(success|failure)\b")
        if m.group(1) != "success":
            raise RuntimeError(f"XMPP auth of {user} failed: {self.buf[:300]}")
        self.send(self.HEADER.format(domain=self.domain))
        await self._until(r"</stream:features>")
        self.send("<iq type='set' id='bind'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'>"
                  "<resource>bench</resource></bind></iq>")
        await self._until(r"</iq>")

    async def join(self, room, nick):
        self.room = room
        self.send(f"<presence to='{room}/{nick}'><x xmlns='http://jabber.org/protocol/muc'>"
                  f"<history maxstanzas='0'/></x></presence>")
        await self._until(r"code=['\"]110['\"].*?</presence>")

    async def iq(self, iq_id, xml):
        self.send(xml)
        m = await self._until(r"<iq[^>]*\bid=['\"]" + iq_id + r"['\"][^>]*?(?:/>|>.*?</iq>)")
        if "type='result'" not in m.group(0) and 'type="result"' not in m.group(0):
            raise RuntimeError(f"XMPP iq {iq_id}: {m.group(0)[:300]}")

    async def pump(self, listener, tally):
        """Reads stanzas until the stream ends: acknowledges own posts, reports deliveries."""
        buf = self.buf
        while True:
            while True:
                end = buf.find("</message>")
                if end < 0:
                    break
                chunk, buf = buf[:end], buf[end + 10:]
                arrived = now_us()
                m = BODY_RE.search(chunk)
                if not m:
                    continue
                mid = m.group(2)
                fut = self.pending.pop(mid, None)
                if "type='error'" in chunk or 'type="error"' in chunk:
                    if fut and not fut.done():
                        fut.set_exception(PostError("xmpp error stanza"))
                    else:
                        tally.errors["xmpp error stanza"] += 1
                    continue
                if fut and not fut.done():
                    fut.set_result(arrived)
                if listener is not None:
                    tally.heard(listener, int(m.group(1)), mid, arrived)
            data = await self.reader.read(262144)
            if not data:
                break
            buf += self.dec.decode(data)
        for fut in self.pending.values():
            if not fut.done():
                fut.set_exception(PostError("xmpp stream closed"))

    async def close(self):
        try:
            self.send("</stream:stream>")
            self.writer.close()
        except Exception:
            pass


class Xmpp:
    name = "xmpp"

    def __init__(self, args, http):
        self.args = args
        host, _, port = args.url.removeprefix("xmpp://").partition(":")
        self.host, self.port = host, int(port or 5222)
        self.domain = args.xmpp_domain
        self.room = f"peers{int(time.time() * 1000):x}@{args.xmpp_muc}"
        self.conns = []
        self.pumps = {}
        self.tally = None

    async def setup(self, users):
        run = f"{int(time.time() * 1000):x}"
        password = "peers bench password 0123"
        connected = max(self.args.posters, self.args.listeners)
        sem = asyncio.Semaphore(4)

        async def conn(i):
            async with sem:
                c = XConn(self.host, self.port, self.domain)
                await c.open(f"u{i}-{run}", password, register=True)
                return c

        self.conns = list(await asyncio.gather(*(conn(i) for i in range(connected))))
        # The first to join creates the room (unlocked at once: muc_room_locking = false).
        await self.conns[0].join(self.room, "u0")
        await asyncio.gather(*(c.join(self.room, f"u{i}") for i, c in enumerate(self.conns) if i > 0))
        # Users beyond those connected are registered and made members, offline.
        offline = list(await asyncio.gather(*(conn(i) for i in range(connected, users))))
        if offline:
            items = "".join(f"<item affiliation='member' jid='{c.user}@{self.domain}'/>" for c in offline)
            await self.conns[0].iq("aff", f"<iq type='set' id='aff' to='{self.room}'>"
                                          f"<query xmlns='http://jabber.org/protocol/muc#admin'>{items}</query></iq>")
            for c in offline:
                await c.close()

    async def listen(self, i, tally):
        self.tally = tally
        self.pumps[i] = asyncio.ensure_future(self.conns[i].pump(i, tally))
        return self.pumps[i]

    def start_posters(self, tally):
        for i, c in enumerate(self.conns):
            if i not in self.pumps:
                self.pumps[i] = asyncio.ensure_future(c.pump(None, tally))

    async def post(self, i, body, txn):
        c = self.conns[i]
        mid = BODY_RE.search(body).group(2)
        fut = asyncio.get_running_loop().create_future()
        c.pending[mid] = fut
        c.send(f"<message to='{self.room}' type='groupchat' id='{txn}'><body>{body}</body></message>")
        try:
            await asyncio.wait_for(fut, 30)
        except asyncio.TimeoutError as e:
            c.pending.pop(mid, None)
            raise PostError("no echo within 30 s") from e

    async def close(self):
        for c in self.conns:
            await c.close()


ADAPTERS = {"courtyard": Courtyard, "matrix": Matrix, "xmpp": Xmpp}


# --------------------------------------------------------------------------- the run


async def poster(adapter, i, args, tally, start, measure_from, measure_to):
    """Poster i posts as user i: at its share of the rate, or flat out, until the window closes.

    Paced, a poster that falls behind (the server acknowledges more slowly than the rate
    asks) sends its overdue posts at once, their latency still counted from their scheduled
    times; it gives up `--grace` seconds after the window, and what it never sent is reported
    as `unsent`.
    """
    period = args.posters / args.rate if args.rate else None
    offset = i / args.rate if args.rate else 0.0
    give_up = measure_to + args.grace
    n = 0
    while True:
        if period is not None:
            due = start + offset + n * period
            if due >= measure_to:
                break
            now = time.monotonic()
            if now >= give_up:
                k = n
                while start + offset + k * period < measure_to:
                    tally.unsent += start + offset + k * period >= measure_from
                    k += 1
                break
            if due > now:
                await asyncio.sleep(due - now)
            sent = due
            lag = time.monotonic() - due
        else:
            sent = time.monotonic()
            if sent >= measure_to:
                break
            lag = 0.0
        sent_us = int(sent * 1e6) + CLOCK_OFFSET_US
        mid = f"{i}-{n}"
        n += 1
        body = f"peers bench {mid}: the quick brown fox jumps over the lazy dog #t={sent_us} #id={mid}"
        in_window = sent >= measure_from
        try:
            await adapter.post(i, body, f"pb-{i}-{n}-{sent_us}")
            acked = time.monotonic()
            if measure_from <= acked < measure_to:
                tally.acked_in_window += 1
            if not in_window:
                continue
            tally.posted.add(mid)
            tally.ack_us.append(int((acked - sent) * 1e6))
            tally.send_lag_us.append(int(lag * 1e6))
        except PostError as e:
            if in_window:
                tally.errors[str(e)] += 1


async def run(args):
    connector = aiohttp.TCPConnector(limit=0, force_close=False)
    async with aiohttp.ClientSession(connector=connector, timeout=aiohttp.ClientTimeout(total=60)) as http:
        adapter = ADAPTERS[args.server](args, http)
        t0 = time.monotonic()
        await adapter.setup(args.users)
        setup_s = time.monotonic() - t0
        lead = 0.5
        start = time.monotonic() + lead + 0.5
        measure_from = start + args.warmup
        measure_to = measure_from + args.seconds
        to_us = lambda t: int(t * 1e6) + CLOCK_OFFSET_US  # noqa: E731
        tally = Tally(args.listeners, (to_us(measure_from), to_us(measure_to)))
        listeners = [await adapter.listen(i, tally) for i in range(args.listeners)]
        if isinstance(adapter, Xmpp):
            adapter.start_posters(tally)
        print(f"{args.label or args.server}: setup {setup_s:.1f} s ({args.users} users); "
              f"{args.listeners} listeners; {args.posters} posters at "
              f"{f'{args.rate:g} msg/s' if args.rate else 'full speed'} for {args.warmup}+{args.seconds} s",
              file=sys.stderr)
        posters = [asyncio.ensure_future(poster(adapter, i, args, tally, start, measure_from, measure_to))
                   for i in range(args.posters)]
        await asyncio.sleep(max(0, measure_from - time.monotonic()))
        before = (proc_cpu_ticks(args.server_pid) if args.server_pid else None, time.process_time(),
                  machine_ticks())
        await asyncio.sleep(max(0, measure_to - time.monotonic()))
        after = (proc_cpu_ticks(args.server_pid) if args.server_pid else None, time.process_time(),
                 machine_ticks())
        await asyncio.gather(*posters)
        # One more message, after all others: a listener that hears it has heard everything
        # before it (each room's stream is in order).
        end_error = None
        try:
            await adapter.post(0, f"peers bench end #t=0 #id={END_ID}", f"pb-end-{time.time_ns()}")
        except PostError as e:
            end_error = str(e)
        try:
            await asyncio.wait_for(asyncio.gather(*(d.wait() for d in tally.done)), args.drain)
            drained = True
        except asyncio.TimeoutError:
            drained = False
        for task in listeners:
            task.cancel()
        status = proc_status(args.server_pid) if args.server_pid else {}
        await adapter.close()

    missing = dups = 0
    for seen in tally.seen:
        missing += sum(1 for mid in tally.posted if mid not in seen)
        dups += sum(c - 1 for c in seen.values() if c > 1)
    tick = os.sysconf("SC_CLK_TCK")
    mt = (after[2][0] - before[2][0], after[2][1] - before[2][1])
    report = {
        "server": args.server,
        "label": args.label or args.server,
        "version": args.version,
        "rate": args.rate or "max",
        "users": args.users, "posters": args.posters, "listeners": args.listeners,
        "seconds": args.seconds, "warmup": args.warmup,
        "throughput_per_s": round(tally.acked_in_window / args.seconds, 1),
        "acked": tally.acked_in_window,
        "posted_in_window": len(tally.posted),
        "unsent": tally.unsent,
        "ack_ms": percentiles(tally.ack_us),
        "delivered_ms": percentiles(tally.deliver_us),
        "deliveries": len(tally.deliver_us),
        "expected_deliveries": len(tally.posted) * args.listeners,
        "missing": missing,
        "duplicates": dups,
        "sync_gaps": tally.gaps,
        "drained": drained,
        "end_marker_error": end_error,
        "errors": dict(tally.errors),
        "send_lag_ms_p99": (percentiles(tally.send_lag_us) or {}).get("p99"),
        "server_stats": {
            "cpu_s": round((after[0] - before[0]) / tick, 2) if before[0] is not None and after[0] is not None else None,
            "peak_rss_mib": status.get("VmHWM"),
            "rss_mib_end": status.get("VmRSS"),
        },
        "client_cpu_s": round(after[1] - before[1], 2),
        "machine_busy_pct": round(100 * (1 - mt[1] / mt[0]), 1) if mt[0] else None,
        "setup_s": round(setup_s, 1),
        # CPU seconds the rest of the machine (neither the server nor this driver) used in
        # the window: other work on the machine competing for the same cores.
        "other_cpu_s": round((mt[0] - mt[1]) / tick - (after[1] - before[1])
                             - ((after[0] - before[0]) / tick if before[0] is not None and after[0] is not None else 0), 1),
        "cores": os.cpu_count(),
        "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    return report


def print_table(rows, out=sys.stdout):
    head = ["server", "rate", "msg/s", "ack p50", "ack p99", "dlv p50", "dlv p95", "dlv p99", "dlv max",
            "missing", "unsent", "errors", "srv CPU s", "peak RSS MiB", "client CPU s", "others CPU s", "busy %"]
    table = [head]
    for r in rows:
        a, d, s = r["ack_ms"] or {}, r["delivered_ms"] or {}, r["server_stats"]
        f = lambda v: "-" if v is None else f"{v:.1f}"  # noqa: E731
        table.append([r["label"], str(r["rate"]), f"{r['throughput_per_s']:.0f}", f(a.get("p50")), f(a.get("p99")),
                      f(d.get("p50")), f(d.get("p95")), f(d.get("p99")), f(d.get("max")),
                      str(r["missing"]), str(r.get("unsent", 0)), str(sum(r["errors"].values())), str(s["cpu_s"]),
                      str(s["peak_rss_mib"]), str(r["client_cpu_s"]), str(r.get("other_cpu_s")), str(r["machine_busy_pct"])])
    w = [max(len(row[i]) for row in table) for i in range(len(head))]
    for row in table:
        print("  ".join(c.rjust(w[i]) for i, c in enumerate(row)), file=out)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--server", choices=sorted(ADAPTERS), help="which adapter")
    p.add_argument("--url", help="http://host:port (Courtyard, Matrix) or xmpp://host:port")
    p.add_argument("--admin-email", default=os.environ.get("PEERS_ADMIN_EMAIL"), help="Courtyard platform admin")
    p.add_argument("--admin-password", default=os.environ.get("PEERS_ADMIN_PASSWORD"))
    p.add_argument("--shared-secret", default=os.environ.get("PEERS_SHARED_SECRET"),
                   help="Synapse's registration_shared_secret")
    p.add_argument("--xmpp-domain", default="localhost")
    p.add_argument("--xmpp-muc", default="conference.localhost")
    p.add_argument("--users", type=int, default=20)
    p.add_argument("--posters", type=int, default=10)
    p.add_argument("--listeners", type=int, default=10)
    p.add_argument("--rate", type=float, default=100.0, help="total msg/s; 0: flat out")
    p.add_argument("--seconds", type=int, default=15)
    p.add_argument("--warmup", type=int, default=2)
    p.add_argument("--drain", type=float, default=30.0,
                   help="seconds to wait, once posting is over, for the last deliveries")
    p.add_argument("--grace", type=float, default=10.0,
                   help="paced posters that fell behind stop this long after the window")
    p.add_argument("--server-pid", type=int)
    p.add_argument("--label", default="")
    p.add_argument("--version", default="")
    p.add_argument("--json", help="append the report as one JSON line to this file")
    p.add_argument("--table", help="print the table of a JSON-lines file and exit")
    args = p.parse_args()
    if args.table:
        with open(args.table) as f:
            print_table([json.loads(line) for line in f if line.strip()])
        return
    if not args.server or not args.url:
        p.error("--server and --url are needed")
    if args.users < max(args.posters, args.listeners) or args.posters < 1:
        p.error("--users must be at least --posters and --listeners; --posters at least 1")
    try:
        import uvloop
    except ImportError:
        report = asyncio.run(run(args))
    else:
        report = uvloop.run(run(args))
    print_table([report])
    if report["errors"] or report["missing"]:
        print(f"errors: {report['errors']}; missing deliveries: {report['missing']}; "
              f"gaps: {report['sync_gaps']}; drained: {report['drained']}", file=sys.stderr)
    if args.json:
        with open(args.json, "a") as f:
            f.write(json.dumps(report) + "\n")


if __name__ == "__main__":
    main()

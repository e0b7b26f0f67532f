#!/usr/bin/python3
"""A local SMTP server that keeps every message it receives as a file.

Usage: scripts/smtp-sink.py PORT FOLDER [--login USER:PASSWORD]

Listens on 127.0.0.1:PORT (loopback only) and accepts any sender and
recipient. With --login it offers AUTH (LOGIN and PLAIN, without TLS: it is
loopback only) and takes mail only from a client that logged in as USER with
PASSWORD, as a real relay would. Each message is written to FOLDER as one file, <time>-<n>.eml: two
header lines with the envelope (X-Sink-Mail-From, X-Sink-Rcpt-To, the
recipients separated by ", "), then the message exactly as received. A file
appears whole or not at all (written under a dot-name, then renamed), so a
reader polling the folder never sees half a message. SIGTERM or SIGINT stops it.

scripts/services runs it next to PostgreSQL, NATS and Redis; tests read what it
received. Needs Debian's python3-aiosmtpd (scripts/bootstrap installs it).
"""
import asyncio
import itertools
import os
import signal
import sys
import time

from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword


class FolderHandler:
    """Writes each message to a file of its own in the folder."""

    def __init__(self, folder):
        self.folder = folder
        self.sequence = itertools.count(1)

    async def handle_DATA(self, server, session, envelope):
        name = "%d-%06d.eml" % (time.time_ns(), next(self.sequence))
        head = "X-Sink-Mail-From: %s\r\nX-Sink-Rcpt-To: %s\r\n" % (
            envelope.mail_from, ", ".join(envelope.rcpt_tos))
        body = envelope.original_content or b""
        temporary = os.path.join(self.folder, "." + name)
        with open(temporary, "wb") as out:
            out.write(head.encode("utf-8"))
            out.write(body)
        os.rename(temporary, os.path.join(self.folder, name))
        return "250 Message accepted for delivery"


def authenticator_for(login):
    """Accepts exactly USER:PASSWORD."""
    user, _, password = login.partition(":")
    expected = LoginPassword(user.encode(), password.encode())

    def authenticate(server, session, envelope, mechanism, auth_data):
        return AuthResult(success=isinstance(auth_data, LoginPassword) and auth_data == expected)
    return authenticate


def main():
    args = sys.argv[1:]
    login = None
    if len(args) == 4 and args[2] == "--login":
        login = args[3]
    elif len(args) != 2:
        sys.exit("usage: smtp-sink.py PORT FOLDER [--login USER:PASSWORD]")
    port, folder = int(args[0]), args[1]
    auth = {}
    if login is not None:
        auth = dict(authenticator=authenticator_for(login), auth_required=True, auth_require_tls=False)
    os.makedirs(folder, exist_ok=True)
    handler = FolderHandler(folder)
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    # The SMTP factory: a large enough limit for a digest; AUTH only with --login.
    server = loop.run_until_complete(loop.create_server(
        lambda: SMTP(handler, hostname="smtp-sink.localhost", data_size_limit=10 * 1024 * 1024,
                     enable_SMTPUTF8=True, **auth),
        host="127.0.0.1", port=port, reuse_address=True))
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, loop.stop)
    print("smtp-sink: listening on 127.0.0.1:%d, messages in %s" % (port, folder), flush=True)
    try:
        loop.run_forever()
    finally:
        server.close()
        loop.run_until_complete(server.wait_closed())
        loop.close()


if __name__ == "__main__":
    main()

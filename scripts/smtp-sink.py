#!/usr/bin/python3
"""A local SMTP server that keeps every message it receives as a file.

Usage: scripts/smtp-sink.py PORT FOLDER [--login USER:PASSWORD]
                            [--tls-cert CERT --tls-key KEY [--require-tls]]

Listens on 127.0.0.1:PORT (loopback only) and accepts any sender and
recipient. Each message is written to FOLDER as one file, <time>-<n>.eml: two
header lines with the envelope (X-Sink-Mail-From, X-Sink-Rcpt-To, the
recipients separated by ", "), then the message exactly as received. A file
appears whole or not at all (written under a dot-name, then renamed), so a
reader polling the folder never sees half a message. SIGTERM or SIGINT stops it.

--login USER:PASSWORD: it offers AUTH (LOGIN and PLAIN) and takes mail only
from a client that logged in as USER with PASSWORD, as a real relay would.
Without --tls-cert AUTH is offered in clear (it is loopback only); with it,
only after STARTTLS.

--tls-cert CERT --tls-key KEY (PEM files): it offers STARTTLS with that
certificate; --require-tls refuses every command but EHLO, HELO, NOOP, QUIT and
STARTTLS until the client has switched to TLS.

With --login or --tls-cert each file has a third line before the message,
X-Sink-Session: tls=<TLS version or none> sni=<the name the client asked for
in the handshake, or none> auth=<the user logged in as, or none>, so that a
test can see how the message came. Without either option the files are as
they always were.

scripts/services runs it next to PostgreSQL, NATS and Redis; tests read what it
received, and start their own with the options above. Needs Debian's
python3-aiosmtpd (scripts/bootstrap installs it).
"""
import argparse
import asyncio
import itertools
import os
import signal
import ssl
import time

from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword


class FolderHandler:
    """Writes each message to a file of its own in the folder."""

    def __init__(self, folder, record_session):
        self.folder = folder
        self.record_session = record_session
        self.sequence = itertools.count(1)

    async def handle_DATA(self, server, session, envelope):
        name = "%d-%06d.eml" % (time.time_ns(), next(self.sequence))
        head = "X-Sink-Mail-From: %s\r\nX-Sink-Rcpt-To: %s\r\n" % (
            envelope.mail_from, ", ".join(envelope.rcpt_tos))
        if self.record_session:
            head += "X-Sink-Session: %s\r\n" % describe_session(session)
        body = envelope.original_content or b""
        temporary = os.path.join(self.folder, "." + name)
        with open(temporary, "wb") as out:
            out.write(head.encode("utf-8"))
            out.write(body)
        os.rename(temporary, os.path.join(self.folder, name))
        return "250 Message accepted for delivery"


def describe_session(session):
    """tls=... sni=... auth=... of the session a message came in."""
    tls = sni = "none"
    if session.ssl is not None:
        channel = session.ssl.get("ssl_object")
        if channel is not None:
            tls = channel.version() or "unknown"
            sni = getattr(channel, "sink_server_name", None) or "none"
    user = session.auth_data if session.authenticated else None
    return "tls=%s sni=%s auth=%s" % (tls, sni, user or "none")


def authenticator_for(login):
    """Accepts exactly USER:PASSWORD; the session then knows USER."""
    user, _, password = login.partition(":")
    expected = LoginPassword(user.encode(), password.encode())

    def authenticate(server, session, envelope, mechanism, auth_data):
        if isinstance(auth_data, LoginPassword) and auth_data == expected:
            return AuthResult(success=True, auth_data=user)
        # Not handled here: aiosmtpd answers "535 ... credentials invalid"
        # (handled=True, its default, would leave the client waiting).
        return AuthResult(success=False, handled=False)
    return authenticate


def tls_context_for(cert, key):
    """The server side of STARTTLS; keeps the name each client asked for (SNI)."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)

    def remember_server_name(channel, server_name, _context):
        channel.sink_server_name = server_name
    context.sni_callback = remember_server_name
    return context


def parse_arguments():
    parser = argparse.ArgumentParser(prog="smtp-sink.py", description="A local SMTP server that keeps each message "
                                     "it receives as a file.")
    parser.add_argument("port", type=int)
    parser.add_argument("folder")
    parser.add_argument("--login", metavar="USER:PASSWORD", help="take mail only after AUTH as USER with PASSWORD")
    parser.add_argument("--tls-cert", metavar="CERT", help="offer STARTTLS with this certificate (PEM)")
    parser.add_argument("--tls-key", metavar="KEY", help="the certificate's private key (PEM)")
    parser.add_argument("--require-tls", action="store_true", help="take no mail before STARTTLS")
    args = parser.parse_args()
    if bool(args.tls_cert) != bool(args.tls_key):
        parser.error("--tls-cert and --tls-key go together")
    if args.require_tls and not args.tls_cert:
        parser.error("--require-tls needs --tls-cert and --tls-key")
    return args


def main():
    args = parse_arguments()
    options = {}
    if args.tls_cert:
        options.update(tls_context=tls_context_for(args.tls_cert, args.tls_key), require_starttls=args.require_tls)
    if args.login is not None:
        # AUTH in clear only when the sink has no TLS to offer.
        options.update(authenticator=authenticator_for(args.login), auth_required=True,
                       auth_require_tls=bool(args.tls_cert))
    os.makedirs(args.folder, exist_ok=True)
    handler = FolderHandler(args.folder, record_session=bool(args.tls_cert or args.login is not None))
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    # The SMTP factory: a large enough limit for a digest; STARTTLS and AUTH
    # only as asked.
    server = loop.run_until_complete(loop.create_server(
        lambda: SMTP(handler, hostname="smtp-sink.localhost", data_size_limit=10 * 1024 * 1024,
                     enable_SMTPUTF8=True, **options),
        host="127.0.0.1", port=args.port, reuse_address=True))
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, loop.stop)
    print("smtp-sink: listening on 127.0.0.1:%d, messages in %s%s%s" % (
        args.port, args.folder, ", STARTTLS" + (" required" if args.require_tls else "") if args.tls_cert else "",
        ", AUTH required" if args.login is not None else ""), flush=True)
    try:
        loop.run_forever()
    finally:
        server.close()
        loop.run_until_complete(server.wait_closed())
        loop.close()


if __name__ == "__main__":
    main()

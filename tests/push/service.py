"""A push service of our own on 127.0.0.1, standing in for the browser vendor's: it takes
Web Push POSTs (RFC 8030), checks each VAPID JWT (RFC 8292) against the application server's
public key, and decrypts the aes128gcm payload (RFC 8291) with the private key only the
"phone" holds, so a test reads exactly what would reach the lock screen."""

import base64
import json
import os
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from io import StringIO

import http_ece
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature


def vapid_pair() -> tuple[str, str]:
    """A fresh application server key pair, from the command an operator runs."""
    from django.core.management import call_command

    out = StringIO()
    call_command("vapid_keys", stdout=out)
    lines = dict(line.split("=", 1) for line in out.getvalue().split())
    return lines["VAPID_PUBLIC_KEY"], lines["VAPID_PRIVATE_KEY"]


def b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass
class Phone:
    """One browser's push subscription: its keys, as a browser makes them."""

    endpoint: str
    private_key: ec.EllipticCurvePrivateKey = field(
        default_factory=lambda: ec.generate_private_key(ec.SECP256R1())
    )
    auth: bytes = field(default_factory=lambda: os.urandom(16))

    @property
    def p256dh(self) -> str:
        return b64url(
            self.private_key.public_key().public_bytes(
                serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
            )
        )

    def subscription(self) -> dict:
        return {
            "endpoint": self.endpoint,
            "keys": {"p256dh": self.p256dh, "auth": b64url(self.auth)},
        }


@dataclass
class Delivery:
    path: str
    payload: dict
    claims: dict
    ttl: int


class PushService:
    def __init__(self, vapid_public_key: str) -> None:
        self.vapid_public_key = vapid_public_key
        self.phones: dict[str, Phone] = {}
        self.gone: set[str] = set()  # paths answered 410, as for an uninstalled browser
        self.deliveries: list[Delivery] = []
        self.refused: list[str] = []
        service = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - the stdlib's name
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                status = service.receive(self.path, self.headers, body)
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> "PushService":
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()

    def phone(self, name: str) -> Phone:
        phone = Phone(endpoint=f"{self.url}/push/{name}")
        self.phones[f"/push/{name}"] = phone
        return phone

    def receive(self, path: str, headers, body: bytes) -> int:
        if path in self.gone:
            return 410
        phone = self.phones.get(path)
        if phone is None:
            return 404
        try:
            claims = self.check_vapid(headers.get("Authorization", ""))
        except (ValueError, InvalidSignature) as error:
            self.refused.append(f"{path}: {error}")
            return 403
        if headers.get("Content-Encoding") != "aes128gcm":
            self.refused.append(f"{path}: encoding {headers.get('Content-Encoding')}")
            return 415
        plain = http_ece.decrypt(
            body, private_key=phone.private_key, auth_secret=phone.auth, version="aes128gcm"
        )
        self.deliveries.append(
            Delivery(path, json.loads(plain), claims, int(headers.get("TTL", "0")))
        )
        return 201

    def check_vapid(self, authorization: str) -> dict:
        """`vapid t=<JWT>, k=<public key>`: signed ES256 by the key we know, for us, unexpired."""
        scheme, _, params = authorization.partition(" ")
        if scheme.lower() != "vapid":
            raise ValueError(f"no VAPID authorization: {authorization!r}")
        parts = dict(item.strip().split("=", 1) for item in params.split(","))
        if parts.get("k") != self.vapid_public_key:
            raise ValueError("signed by another application server key")
        header, claims, signature = parts["t"].split(".")
        if json.loads(unb64url(header)) != {"typ": "JWT", "alg": "ES256"}:
            raise ValueError("not an ES256 JWT")
        raw = unb64url(signature)
        key = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), unb64url(parts["k"]))
        key.verify(
            encode_dss_signature(int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big")),
            f"{header}.{claims}".encode(),
            ec.ECDSA(hashes.SHA256()),
        )
        data = json.loads(unb64url(claims))
        if data.get("aud") != self.url:
            raise ValueError(f"audience {data.get('aud')!r} is not this push service")
        if not time.time() < data.get("exp", 0) <= time.time() + 24 * 3600:
            raise ValueError("expired, or valid for more than a day")
        return data

"""MQTT passwords: random generation and Mosquitto 2.0's ``$7$`` PBKDF2-SHA512 hashes.

Central keeps only the hash (the same string goes into Mosquitto's password_file), so a
leaked database does not hand out scale logins. Format, as ``mosquitto_passwd`` writes it:
``$7$<iterations>$<base64 salt (12 bytes)>$<base64 PBKDF2-HMAC-SHA512 (64 bytes)>``.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets

ITERATIONS = 101  # mosquitto_passwd's default; raise for a slower, stronger hash
SALT_BYTES = 12


def generate_password() -> str:
    """24 URL-safe characters (~143 bits): typed once into the scale's configuration."""
    return secrets.token_urlsafe(18)


def hash_password(password: str, *, iterations: int = ITERATIONS) -> str:
    salt = secrets.token_bytes(SALT_BYTES)
    digest = hashlib.pbkdf2_hmac("sha512", password.encode("utf-8"), salt, iterations)
    return f"$7${iterations}${base64.b64encode(salt).decode()}${base64.b64encode(digest).decode()}"


def check_password(password: str, stored: str) -> bool:
    try:
        _, kind, iterations, salt, digest = stored.split("$")
        if kind != "7":
            return False
        expected = base64.b64decode(digest)
        actual = hashlib.pbkdf2_hmac("sha512", password.encode("utf-8"), base64.b64decode(salt), int(iterations))
    except (ValueError, binascii.Error):
        return False
    return hmac.compare_digest(actual, expected)

"""Secrets inside links: what other users and the logs must not see.

Users queue links that carry credentials: `https://user:password@host/…`, pre-signed S3, GCS,
Azure or CloudFront URLs (`X-Amz-Signature=…`, `sig=…`, `Signature=…`), API keys and tokens in
the query string. The owner needs the whole link; everybody else sees it with the userinfo
removed and the value of every parameter that names a secret replaced by `REDACTED` (the name
stays, so a reader can tell the link was signed). The same applies to every URL in a log line,
aria2's own output included.

A parameter is secret when its name (case-insensitive, `-` read as `_`) is in SECRET_NAMES or
contains one of SECRET_PARTS. The lists lean towards redacting: hiding a harmless value costs a
reader little, showing a signature gives the file away. Magnet links keep their content hash and
name but lose their tracker URLs (private trackers put the user's passkey in them). Secrets
inside a path segment cannot be told apart from a file name and are shown as they are.
"""

from __future__ import annotations

import re
from urllib.parse import unquote_plus, urlsplit, urlunsplit

REDACTED = "REDACTED"
SECRET_NAMES = frozenset(
    {
        # cloud storage pre-signed URLs: AWS S3 (SigV4 and V2), GCS, Azure SAS, CloudFront
        "x_amz_signature",
        "x_amz_credential",
        "x_amz_security_token",
        "awsaccesskeyid",
        "x_goog_signature",
        "x_goog_credential",
        "googleaccessid",
        "sig",
        "signature",
        "policy",
        "key_pair_id",
        # OAuth, sessions and generic credentials
        "code",
        "auth",
        "key",
        "jwt",
        "pass",
        "pwd",
        "sid",
        "session",
        "sessionid",
        "hmac",
        "hash",
        "otp",
        "passkey",
    }
)
SECRET_PARTS = ("token", "secret", "passw", "signature", "apikey", "api_key", "credential")
MAGNET_SECRET_NAMES = frozenset({"tr", "ws", "as", "xs"})
_URL = re.compile(r"""[A-Za-z][A-Za-z0-9+.\-]*://[^\s"'<>\\]+|magnet:\?[^\s"'<>\\]+""")


def is_secret_name(name: str) -> bool:
    """Whether a query parameter of this name carries a secret."""
    folded = unquote_plus(name).strip().lower().replace("-", "_")
    return folded in SECRET_NAMES or any(part in folded for part in SECRET_PARTS)


def _redact_pairs(text: str, secret: frozenset[str] = frozenset()) -> str:
    """`a=1&sig=2` as `a=1&sig=REDACTED`, keeping every other byte as it was."""
    if not text:
        return text
    parts = []
    for pair in text.split("&"):
        name, equals, _value = pair.partition("=")
        folded = unquote_plus(name).strip().lower()
        if equals and (is_secret_name(name) or folded in secret):
            parts.append(f"{name}={REDACTED}")
        else:
            parts.append(pair)
    return "&".join(parts)


def redact_link(link: str) -> str:
    """`link` as users other than its owner see it: no userinfo, no secret parameter values."""
    try:
        parts = urlsplit(link)
        host = parts.netloc.rpartition("@")[2]
    except ValueError:
        return REDACTED
    if parts.scheme.lower() == "magnet":
        return urlunsplit(parts._replace(query=_redact_pairs(parts.query, MAGNET_SECRET_NAMES)))
    return urlunsplit(
        parts._replace(
            netloc=host,
            query=_redact_pairs(parts.query),
            fragment=_redact_pairs(parts.fragment),
        )
    )


def redact_text(text: str) -> str:
    """`text` with every URL in it redacted as `redact_link` does (for log lines)."""
    if "://" not in text and "magnet:" not in text:
        return text
    return _URL.sub(lambda found: redact_link(found.group(0)), text)

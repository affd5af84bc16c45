"""Onezone token codec for the integration tests, written from the format
description (docs/reference: libmacaroons V1 packets, base64url, Onezone's
six-character escaping) and independent of the daemon's code.

Standard library only (run with /usr/bin/python3).
"""

import base64
import hashlib
import hmac

# Onezone escaping: each of these characters of the base64 text becomes a
# two-character sequence starting with "0" (so "0" itself becomes "00").
_ESCAPES = {"0": "00", "_": "01", "-": "02", "/": "03", "+": "04", "=": "05"}
_UNESCAPES = {value[1]: key for key, value in _ESCAPES.items()}

SIGNATURE_BYTES = 32


class TokenFormatError(ValueError):
    """The text is not a token in the expected format."""


def onezone_escape(text):
    return "".join(_ESCAPES.get(c, c) for c in text)


def onezone_unescape(text):
    out = []
    i = 0
    while i < len(text):
        c = text[i]
        if c == "0":
            if i + 1 >= len(text) or text[i + 1] not in _UNESCAPES:
                raise TokenFormatError("bad escape at %d" % i)
            out.append(_UNESCAPES[text[i + 1]])
            i += 2
        else:
            out.append(c)
            i += 1
    return "".join(out)


def b64url_decode(text):
    text = text.replace("+", "-").replace("/", "_").rstrip("=")
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (ValueError, base64.binascii.Error) as error:
        raise TokenFormatError("not base64: %s" % error)


def b64url_encode(data):
    return base64.urlsafe_b64encode(data).decode("ascii").rstrip("=")


def _packet(key, value):
    body = key + b" " + value + b"\n"
    return b"%04x" % (len(body) + 4) + body


def parse_packets(raw):
    """[(key bytes, value bytes)] of a V1 serialization."""
    packets = []
    i = 0
    while i < len(raw):
        try:
            length = int(raw[i:i + 4], 16)
        except ValueError:
            raise TokenFormatError("bad packet header at %d" % i)
        packet = raw[i + 4:i + length]
        if length < 6 or i + length > len(raw) or not packet.endswith(b"\n"):
            raise TokenFormatError("bad packet at %d" % i)
        key, space, value = packet[:-1].partition(b" ")
        if not space:
            raise TokenFormatError("packet without a space at %d" % i)
        packets.append((key, value))
        i += length
    return packets


class Macaroon:
    """A decoded V1 macaroon with first-party caveats only."""

    def __init__(self, location, identifier, caveats, signature):
        self.location = location        # bytes
        self.identifier = identifier    # bytes
        self.caveats = list(caveats)    # [bytes]
        self.signature = signature      # 32 raw bytes

    def serialize_raw(self):
        raw = _packet(b"location", self.location)
        raw += _packet(b"identifier", self.identifier)
        for caveat in self.caveats:
            raw += _packet(b"cid", caveat)
        raw += _packet(b"signature", self.signature)
        return raw

    def serialize(self):
        """Onezone form: base64url without padding, then escaped."""
        return onezone_escape(b64url_encode(self.serialize_raw()))

    def time_caveats(self):
        """The N of every `time < N` caveat, in order."""
        limits = []
        for caveat in self.caveats:
            text = caveat.decode("utf-8", "replace")
            if text.startswith("time < "):
                limits.append(int(text[len("time < "):]))
        return limits


def decode_token(token):
    """Decodes an Onezone-escaped (or plain base64url) V1 token."""
    text = token.strip()
    try:
        raw = b64url_decode(onezone_unescape(text))
        packets = parse_packets(raw)
    except TokenFormatError:
        # Onezone also accepted tokens that were not escaped.
        raw = b64url_decode(text)
        packets = parse_packets(raw)
    keys = [key for key, _ in packets]
    if (len(packets) < 3 or keys[0] != b"location" or keys[1] != b"identifier"
            or keys[-1] != b"signature"
            or any(key != b"cid" for key in keys[2:-1])):
        raise TokenFormatError("unexpected packet order %r" % keys)
    signature = packets[-1][1]
    if len(signature) != SIGNATURE_BYTES:
        raise TokenFormatError("signature of %d bytes" % len(signature))
    return Macaroon(packets[0][1], packets[1][1],
                    [value for _, value in packets[2:-1]], signature)


def attenuate(token, caveat):
    """The token with one more first-party caveat, as any holder can make it:
    new signature = HMAC-SHA256(key = old signature, message = caveat)."""
    macaroon = decode_token(token)
    caveat = caveat.encode() if isinstance(caveat, str) else caveat
    macaroon.caveats.append(caveat)
    macaroon.signature = hmac.new(macaroon.signature, caveat,
                                  hashlib.sha256).digest()
    return macaroon.serialize()


def with_signature(token, signature):
    """The token with its signature replaced (a forgery)."""
    macaroon = decode_token(token)
    macaroon.signature = signature
    return macaroon.serialize()


def plain_base64url(token):
    """The token re-encoded without Onezone escaping."""
    return b64url_encode(decode_token(token).serialize_raw())


def mint_seed_token(master, identifier, expiry):
    """A seed token for `identifier` (bytes) with the caveat "time <
    `expiry`", signed as the service signs it from its master secret
    (README, "How tokens, keys and passwords are kept"): the per-token root
    key is an HMAC of the identifier under the master secret, and the
    macaroon key is derived from that as libmacaroons derives it."""
    root = hmac.new(master, b"onezone-tokend/v1 root\0" + identifier,
                    hashlib.sha256).digest()
    key = hmac.new(b"macaroons-key-generator".ljust(32, b"\0"), root,
                   hashlib.sha256).digest()
    caveat = b"time < %d" % expiry
    signature = hmac.new(key, identifier, hashlib.sha256).digest()
    signature = hmac.new(signature, caveat, hashlib.sha256).digest()
    return Macaroon(b"onezone", identifier, [caveat], signature).serialize()

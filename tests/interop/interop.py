"""Interop checks: tokens cross between onezone-tokend, pymacaroons and
libmacaroons, in both directions, and a wrong root secret fails everywhere.

Run by tests/interop/run with Debian's /usr/bin/python3 (pymacaroons is a
Debian package) as:  interop.py TOKEND_CLI LIBMACAROONS_CLI
Prints one line per check and ends with "interop: N passed, N failed".
"""
import base64
import os
import subprocess
import sys
import time
import traceback

from pymacaroons import Caveat, Macaroon, MACAROON_V1, MACAROON_V2, Verifier
from pymacaroons.serializers import BinarySerializer

TOKEND, LIBMACAROONS = sys.argv[1], sys.argv[2]

# Onezone's escaping, written here independently of src/base64.cpp.
ESCAPES = {'0': '00', '_': '01', '-': '02', '/': '03', '+': '04', '=': '05'}
UNESCAPES = {pair: char for char, pair in ESCAPES.items()}


def onezone_escape(text):
    return ''.join(ESCAPES.get(c, c) for c in text)


def onezone_unescape(text):
    out, i = [], 0
    while i < len(text):
        if text[i] == '0':
            out.append(UNESCAPES[text[i:i + 2]])
            i += 2
        else:
            out.append(text[i])
            i += 1
    return ''.join(out)


passed = 0
failed = 0


def check(name, ok, detail=''):
    global passed, failed
    if ok:
        passed += 1
        print('PASS', name)
    else:
        failed += 1
        print('FAIL', name + (': ' + detail if detail else ''))
    return ok


def run(program, *args):
    """Runs a CLI; returns (exit status, stdout stripped)."""
    result = subprocess.run([program] + list(args), capture_output=True, text=True)
    if result.stderr:
        sys.stderr.write(result.stderr)
    return result.returncode, result.stdout.strip()


def tokend(*args):
    return run(TOKEND, *args)


def libmacaroons(*args):
    return run(LIBMACAROONS, *args)


def field(inspect_output, key):
    for line in inspect_output.splitlines():
        if line.startswith(key + ' '):
            return line[len(key) + 1:]
    return None


NOW = int(time.time())
DEADLINE = 'time < %d' % (NOW + 3600)
ACCOUNT = 'interop = yes'
ROOT = os.urandom(32)
WRONG_ROOT = os.urandom(32)
# Onezone's identifiers: base64url of 32 random bytes, 43 characters.
IDENTIFIER = base64.urlsafe_b64encode(os.urandom(32)).decode().rstrip('=')


def py_verifier(*exact):
    verifier = Verifier()
    for predicate in exact:
        verifier.satisfy_exact(predicate)

    def time_holds(predicate):
        if not predicate.startswith('time < '):
            return False
        deadline = predicate[len('time < '):]
        return deadline.isdigit() and NOW < int(deadline)
    verifier.satisfy_general(time_holds)
    return verifier


def py_verifies(macaroon, root, *exact):
    try:
        return py_verifier(*exact).verify(macaroon, root)
    except Exception:  # pymacaroons raises on any failure
        return False


def to_v2(macaroon):
    """The same macaroon (same signature), serialized as V2 from now on."""
    copy = Macaroon(location=macaroon.location, identifier=macaroon.identifier,
                    signature=macaroon.signature, version=MACAROON_V2)
    copy.caveats = [Caveat(caveat_id=c.caveat_id_bytes, version=MACAROON_V2)
                    for c in macaroon.caveats]
    return copy


def ours_verify(token, root=ROOT, *exact):
    return tokend('verify', root.hex(), token, *exact)


def main():
    # (a) we mint; pymacaroons and libmacaroons read, verify and attenuate.
    status, ours = tokend('mint', ROOT.hex(), 'onezone', IDENTIFIER, DEADLINE, ACCOUNT)
    check('tokend mints a token with two caveats', status == 0 and ours, ours)
    _, inspected = tokend('inspect', ours)
    our_signature = field(inspected, 'signature')
    plain = onezone_unescape(ours)
    check('our token is Onezone-escaped base64url (no "-_+/=" left)',
          not any(c in ours for c in '-_+/='), ours)

    try:
        py = Macaroon.deserialize(plain)
        py_ok = True
    except Exception as error:  # report, then carry on with what works
        py, py_ok = None, False
        check('pymacaroons parses our token', False, repr(error))
    if py_ok:
        check('pymacaroons parses our token',
              py.location == 'onezone' and py.identifier == IDENTIFIER and
              [c.caveat_id for c in py.caveats] == [DEADLINE, ACCOUNT],
              py.inspect())
        check('pymacaroons reads our signature', py.signature == our_signature,
              '%s != %s' % (py.signature, our_signature))
        check('pymacaroons verifies our token with the root secret',
              py_verifies(py, ROOT, ACCOUNT))
        check('pymacaroons refuses our token when a caveat is not satisfied',
              not py_verifies(py, ROOT))

    status, out = libmacaroons('inspect', plain)
    check('libmacaroons parses our token',
          status == 0 and field(out, 'location') == 'onezone' and
          field(out, 'identifier') == IDENTIFIER, out)
    check('libmacaroons reads our signature', field(out, 'signature') == our_signature,
          out)
    status, out = libmacaroons('verify', ROOT.hex(), plain, ACCOUNT)
    check('libmacaroons verifies our token with the root secret', status == 0, out)
    status, out = libmacaroons('verify', ROOT.hex(), plain)
    check('libmacaroons refuses our token when a caveat is not satisfied',
          status == 1, out)

    # (b) what they produce, we parse and verify.
    if py_ok:
        attenuated = py.copy().add_first_party_caveat('attenuated = py')
        v1 = attenuated.serialize()
        status, out = ours_verify(v1, ROOT, ACCOUNT, 'attenuated = py')
        check('tokend verifies pymacaroons V1 attenuation', status == 0, out)
        status, out = ours_verify(onezone_escape(v1), ROOT, ACCOUNT, 'attenuated = py')
        check('tokend verifies pymacaroons V1 attenuation, Onezone-escaped',
              status == 0, out)

        v2 = to_v2(py).add_first_party_caveat('attenuated = py2')
        v2_token = v2.serialize(BinarySerializer())
        check('pymacaroons V2 output really is V2',
              BinarySerializer().serialize_raw(v2)[:1] == b'\x02')
        status, out = ours_verify(v2_token, ROOT, ACCOUNT, 'attenuated = py2')
        check('tokend verifies pymacaroons V2 attenuation', status == 0, out)
        status, out = tokend('inspect', v2_token)
        check('tokend reads every caveat of pymacaroons V2',
              out.count('\ncid ') == 3 and field(out, 'signature') == v2.signature, out)

        expired = py.copy().add_first_party_caveat('time < 1000')
        status, out = ours_verify(expired.serialize(), ROOT, ACCOUNT)
        check('tokend enforces a time caveat pymacaroons appended',
              status == 1 and out.startswith('tokenCaveatUnverified'), out)
        status, out = libmacaroons('verify', ROOT.hex(), expired.serialize(), ACCOUNT)
        check('libmacaroons enforces the same expired time caveat', status == 1, out)

    status, by_lib = libmacaroons('attenuate', plain, 'attenuated = c')
    check('libmacaroons attenuates our token', status == 0 and by_lib, by_lib)
    status, out = ours_verify(by_lib, ROOT, ACCOUNT, 'attenuated = c')
    check('tokend verifies libmacaroons attenuation', status == 0, out)
    status, out = ours_verify(by_lib, ROOT, ACCOUNT)
    check('tokend reports the caveat libmacaroons added as unknown',
          status == 1 and 'tokenCaveatUnknown' in out and 'attenuated = c' in out, out)

    # All three append the same caveat: the signatures must agree.
    _, ours_attenuated = tokend('attenuate', ours, 'same = caveat')
    _, ours_attenuated_info = tokend('inspect', ours_attenuated)
    _, lib_attenuated = libmacaroons('attenuate', plain, 'same = caveat')
    _, lib_attenuated_info = libmacaroons('inspect', lib_attenuated)
    signatures = {field(ours_attenuated_info, 'signature'),
                  field(lib_attenuated_info, 'signature')}
    if py_ok:
        signatures.add(py.copy().add_first_party_caveat('same = caveat').signature)
    check('all three attenuate to the same signature',
          len(signatures) == 1 and None not in signatures, repr(signatures))
    check('libmacaroons and tokend attenuations serialize the same',
          lib_attenuated == onezone_unescape(ours_attenuated),
          '%s != %s' % (lib_attenuated, onezone_unescape(ours_attenuated)))
    if py_ok:
        check('pymacaroons verifies a token tokend attenuated',
              py_verifies(Macaroon.deserialize(onezone_unescape(ours_attenuated)),
                          ROOT, ACCOUNT, 'same = caveat'))
    status, out = libmacaroons('verify', ROOT.hex(), onezone_unescape(ours_attenuated),
                               ACCOUNT, 'same = caveat')
    check('libmacaroons verifies a token tokend attenuated', status == 0, out)

    # Tokens they mint from scratch.
    fresh_root = os.urandom(32)
    for version, name in ((MACAROON_V1, 'V1'), (MACAROON_V2, 'V2')):
        minted = Macaroon(location='onezone', identifier='py-' + name,
                          key=fresh_root, version=version)
        minted.add_first_party_caveat(DEADLINE)
        status, out = ours_verify(minted.serialize(), fresh_root)
        check('tokend verifies a token pymacaroons minted as ' + name, status == 0, out)
    status, minted = libmacaroons('mint', fresh_root.hex(), 'onezone', 'lib-id', DEADLINE)
    status, out = ours_verify(minted, fresh_root)
    check('tokend verifies a token libmacaroons minted', status == 0, out)

    # (c) a wrong root secret fails in every implementation.
    status, out = ours_verify(ours, WRONG_ROOT, ACCOUNT)
    check('tokend refuses its own token under a wrong root secret',
          status == 1 and out.startswith('tokenInvalid'), out)
    if py_ok:
        check('pymacaroons refuses our token under a wrong root secret',
              not py_verifies(py, WRONG_ROOT, ACCOUNT))
    status, out = libmacaroons('verify', WRONG_ROOT.hex(), plain, ACCOUNT)
    check('libmacaroons refuses our token under a wrong root secret', status == 1, out)
    if py_ok:
        status, out = ours_verify(v2_token, WRONG_ROOT, ACCOUNT, 'attenuated = py2')
        check('tokend refuses pymacaroons V2 under a wrong root secret',
              status == 1 and out.startswith('tokenInvalid'), out)
        status, out = ours_verify(v1, WRONG_ROOT, ACCOUNT, 'attenuated = py')
        check('tokend refuses pymacaroons V1 under a wrong root secret',
              status == 1 and out.startswith('tokenInvalid'), out)
    status, out = ours_verify(by_lib, WRONG_ROOT, ACCOUNT, 'attenuated = c')
    check('tokend refuses libmacaroons attenuation under a wrong root secret',
          status == 1 and out.startswith('tokenInvalid'), out)

    # A caveat stripped by a client breaks the signature everywhere.
    if py_ok:
        stripped = py.copy()
        stripped.caveats = stripped.caveats[1:]
        status, out = ours_verify(stripped.serialize(), ROOT, ACCOUNT)
        check('tokend refuses a token whose expiry was stripped',
              status == 1 and out.startswith('tokenInvalid'), out)
        status, out = libmacaroons('verify', ROOT.hex(), stripped.serialize(), ACCOUNT)
        check('libmacaroons refuses the same stripped token', status == 1, out)

    caveats_of_issue_14()

    print('interop: %d passed, %d failed' % (passed, failed))
    return 0 if failed == 0 else 1


# (d) The caveats of Onezone 20.02 (issue 14) that clients append themselves:
# ip, interface and time, added by pymacaroons as V1 and as V2, are honoured
# or refused by the service's own caveat checks (tokend_cli check: the
# ParseCaveat and CaveatHolds of include/tokend/token/caveat.h, in a context
# like the one a request or a verify call gives). The same tokens through a
# live stack (nginx, GET /user and /tokens/verify_access_token) are in
# tests/integration/test_caveats.py.
CAVEAT_CASES = [
    # (caveat, context that satisfies it, context that does not)
    ('ip = 10.0.0.0/8', ['peer_ip=10.1.2.3'], ['peer_ip=192.0.2.1']),
    ('ip = 10.0.0.0/8', ['peer_ip=10.1.2.3'], []),
    ('ip = ::1/128|127.0.0.1', ['peer_ip=::1'], ['peer_ip=::2']),
    ('ip = ::1/128|127.0.0.1', ['peer_ip=127.0.0.1'], ['peer_ip=127.0.0.2']),
    ('ip = 2001:db8::/32', ['peer_ip=2001:db8:ffff::1'], ['peer_ip=2001:db9::1']),
    ('interface = oneclient', ['interface=oneclient'], ['interface=rest']),
    ('interface = rest', ['interface=rest'], []),
    ('time < %d' % (NOW + 600), [], None),
    ('time < %d' % (NOW - 1), None, []),
]


def caveats_of_issue_14():
    status, minted = tokend('mint', ROOT.hex(), 'onezone', IDENTIFIER, DEADLINE)
    if not check('tokend mints a token for the caveat checks', status == 0, minted):
        return
    status, out = tokend('check', ROOT.hex(), minted)
    check('tokend check accepts a token with only a future time caveat',
          status == 0 and out == 'ok', out)
    base = Macaroon.deserialize(onezone_unescape(minted))
    for version in ('V1', 'V2'):
        start = base if version == 'V1' else to_v2(base)
        for caveat, good, bad in CAVEAT_CASES:
            token = start.copy().add_first_party_caveat(caveat).serialize()
            label = 'pymacaroons %s `%s`' % (version, caveat)
            if good is not None:
                status, out = tokend('check', ROOT.hex(), token, *good)
                check('%s holds with %s' % (label, good or 'no context'),
                      status == 0 and out == 'ok', out)
            if bad is not None:
                status, out = tokend('check', ROOT.hex(), token, *bad)
                check('%s is refused with %s' % (label, bad or 'no context'),
                      status == 1 and out.startswith('tokenCaveatUnverified'), out)
        # All three at once: each must hold.
        token = (start.copy().add_first_party_caveat('ip = 10.0.0.0/8')
                 .add_first_party_caveat('interface = oneclient')
                 .add_first_party_caveat('time < %d' % (NOW + 600)).serialize())
        status, out = tokend('check', ROOT.hex(), token, 'peer_ip=10.0.0.1',
                             'interface=oneclient')
        check('pymacaroons %s ip, interface and time all holding' % version,
              status == 0 and out == 'ok', out)
        status, out = tokend('check', ROOT.hex(), token, 'peer_ip=10.0.0.1',
                             'interface=graphsync')
        check('pymacaroons %s ip, interface and time, the interface not holding'
              % version, status == 1 and out.startswith('tokenCaveatUnverified')
              and 'interface' in out, out)
        # A malformed ip caveat is not one the service knows.
        token = start.copy().add_first_party_caveat('ip = 10.0.0.300').serialize()
        status, out = tokend('check', ROOT.hex(), token, 'peer_ip=10.0.0.1')
        check('pymacaroons %s `ip = 10.0.0.300` is an unknown caveat' % version,
              status == 1 and out.startswith('tokenCaveatUnknown'), out)
        # The signature still counts: a caveat dropped breaks it.
        confined = start.copy().add_first_party_caveat('ip = 10.0.0.0/8')
        stripped = Macaroon(location=start.location, identifier=start.identifier,
                            signature=confined.signature, version=start.version)
        stripped.caveats = list(start.caveats)
        status, out = tokend('check', ROOT.hex(), stripped.serialize(), 'peer_ip=192.0.2.1')
        check('pymacaroons %s token with its ip caveat stripped is tokenInvalid'
              % version, status == 1 and out.startswith('tokenInvalid'), out)


if __name__ == '__main__':
    try:
        sys.exit(main())
    except Exception:  # still end with the summary line run-all reads
        traceback.print_exc()
        failed += 1
        print('interop: %d passed, %d failed' % (passed, failed))
        sys.exit(1)

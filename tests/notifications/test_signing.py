from __future__ import annotations

import time

from souk.notifications.signing import compute, sign, verify

BODY = b'{"id":"e1","kind":"order_cancelled"}'


def test_a_fresh_signature_verifies():
    assert verify("whsec_a", sign("whsec_a", int(time.time()), BODY), BODY)


def test_a_changed_body_or_a_wrong_secret_does_not_verify():
    header = sign("whsec_a", int(time.time()), BODY)
    assert not verify("whsec_a", header, BODY + b" ")
    assert not verify("whsec_b", header, BODY)


def test_an_old_signature_is_a_replay_and_does_not_verify():
    then = int(time.time()) - 301
    assert not verify("whsec_a", sign("whsec_a", then, BODY), BODY)
    assert verify("whsec_a", sign("whsec_a", then, BODY), BODY, tolerance=600)


def test_the_header_is_t_then_v1_hex_hmac_of_timestamp_dot_body():
    header = sign("whsec_a", 1700000000, BODY)
    assert header == f"t=1700000000,v1={compute('whsec_a', 1700000000, BODY)}"
    import hashlib
    import hmac

    assert compute("whsec_a", 1700000000, BODY) == hmac.new(
        b"whsec_a", b"1700000000." + BODY, hashlib.sha256).hexdigest()


def test_any_matching_v1_is_enough_and_malformed_headers_fail():
    now = int(time.time())
    good = compute("whsec_a", now, BODY)
    assert verify("whsec_a", f"t={now},v1={'0' * 64},v1={good}", BODY)
    for header in ("", "garbage", f"v1={good}", f"t=soon,v1={good}", f"t={now}"):
        assert not verify("whsec_a", header, BODY)

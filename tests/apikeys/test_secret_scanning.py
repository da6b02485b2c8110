"""GitHub's secret scanning partner endpoint: signed reports revoke genuine keys, once.

GitHub's public keys are served by a tiny HTTP server on loopback, from key pairs made here:
the real fetch, cache and refetch code runs, and nothing reaches the internet.
"""

from __future__ import annotations

import base64
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from django.core import mail
from rest_framework.test import APIClient

from apikeys import conf, keys
from apikeys.api.views.leaks import (
    BODY_TOO_LARGE,
    KEYS_UNAVAILABLE,
    REPORT_NOT_JSON,
    SIGNATURE_REFUSED,
)
from apikeys.models import KeyStatus
from apikeys.services.leaked import REPORTERS
from core.models import AuditAction, AuditEvent
from tests.helpers import assert_json_error

pytestmark = pytest.mark.django_db

URL = "/api/secret-scanning/github/"
FOUND_AT = "https://github.com/octo/app/blob/abc123/settings.py"


class GitHubKey:
    """A signing key pair standing in for one of GitHub's."""

    def __init__(self, identifier: str) -> None:
        self.identifier = identifier
        self.private = ec.generate_private_key(ec.SECP256R1())

    @property
    def published(self) -> dict:
        pem = self.private.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        return {"key_identifier": self.identifier, "key": pem.decode(), "is_current": True}

    def sign(self, body: bytes) -> str:
        return base64.b64encode(self.private.sign(body, ec.ECDSA(hashes.SHA256()))).decode()


class KeysServer:
    """GitHub's `meta/public_keys/secret_scanning`, on loopback, counting its requests."""

    def __init__(self) -> None:
        self.published: list[GitHubKey] = []
        self.hits = 0
        self.failing = False
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                server.hits += 1
                if server.failing:
                    self.send_error(502)
                    return
                body = json.dumps({"public_keys": [k.published for k in server.published]})
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(body.encode())

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_port}/meta/public_keys/secret_scanning"
        self.thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self.thread.start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def github(settings):
    server = KeysServer()
    server.published.append(GitHubKey("github-key-1"))
    settings.SECRET_SCANNING_GITHUB_KEYS_URL = server.url
    yield server
    server.close()


@pytest.fixture
def send(github, django_capture_on_commit_callbacks):
    """POST a report signed by GitHub's first key (or as told); on-commit mail is sent."""

    def post(body, *, key=None, identifier=None, signature=None, headers=None, **extra):
        raw = body if isinstance(body, bytes) else json.dumps(body).encode()
        key = key or github.published[0]
        signed = {
            "Github-Public-Key-Identifier": key.identifier if identifier is None else identifier,
            "Github-Public-Key-Signature": key.sign(raw) if signature is None else signature,
        }
        extra.setdefault("content_type", "application/json")
        client = extra.pop("client", None) or APIClient()
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(URL, raw, headers={**signed, **(headers or {})}, **extra)

    return post


def match(token, url=FOUND_AT, source="content"):
    return {"token": token, "type": "keyportal_api_key", "url": url, "source": source}


def reported_events(key):
    return list(
        AuditEvent.objects.filter(api_key=key, action=AuditAction.KEY_REPORTED_LEAKED).order_by(
            "created_at", "id"
        )
    )


# A genuine key is revoked, audited and its owners told -----------------------------------


def test_a_signed_report_revokes_the_genuine_key_and_labels_every_token(send, make_key, owner, org):
    key, raw = make_key(name="Lab sync")
    stranger = keys.generate(conf.brand(), "live")[0]  # well-formed, never issued here

    response = send([match(raw), match("ghp_notours"), match(stranger)])

    assert response.status_code == 200
    assert response.json() == [
        {"token_raw": raw, "token_type": "keyportal_api_key", "label": "true_positive"},
        {"token_raw": "ghp_notours", "token_type": "keyportal_api_key", "label": "false_positive"},
        {"token_raw": stranger, "token_type": "keyportal_api_key", "label": "false_positive"},
    ]
    key.refresh_from_db()
    assert key.status == KeyStatus.REVOKED and key.revoked_by is None
    (event,) = reported_events(key)
    assert event.actor is None and event.organization == org
    assert event.details == {
        "reporter": "github",
        "source": "content",
        "url": FOUND_AT,
        "revoked": True,
    }
    revoked = AuditEvent.objects.get(api_key=key, action=AuditAction.KEY_REVOKED)
    assert revoked.details == {"reason": "reported_leaked", "reporter": "github"}
    assert [m.to for m in mail.outbox] == [[owner.email]]
    assert REPORTERS["github"] in mail.outbox[0].body and FOUND_AT in mail.outbox[0].body


def test_the_key_itself_is_never_stored_in_the_audit_trail(send, make_key):
    key, raw = make_key()

    send([match(raw)])

    for event in AuditEvent.objects.filter(api_key=key):
        assert raw not in json.dumps(event.details)


def test_a_revoked_key_is_refused_on_the_next_request(send, make_key):
    _, raw = make_key()
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert client.get("/api/auth/me/").status_code == 200

    send([match(raw)])

    assert client.get("/api/auth/me/").status_code == 401


@pytest.mark.parametrize("status", ["paused", "expired"])
def test_a_paused_or_expired_key_is_revoked_too(send, make_key, owner, status):
    from datetime import timedelta

    from django.utils import timezone

    from apikeys import services

    key, raw = make_key()
    if status == "paused":
        services.api_key_pause(key=key, actor=owner, acting_key=None)
    else:
        type(key).objects.filter(pk=key.pk).update(expires_at=timezone.now() - timedelta(1))

    assert send([match(raw)]).json()[0]["label"] == "true_positive"

    key.refresh_from_db()
    assert key.status == KeyStatus.REVOKED and len(mail.outbox) == 1


# Replays and keys already revoked: nothing twice, and nothing revealed --------------------


def test_a_replayed_report_revokes_and_mails_nothing_twice(send, github, make_key):
    key, raw = make_key()
    body = json.dumps([match(raw)]).encode()
    signature = github.published[0].sign(body)

    first = send(body, signature=signature)
    key.refresh_from_db()
    revoked_at = key.revoked_at
    replay = send(body, signature=signature)

    assert first.status_code == replay.status_code == 200
    assert first.json() == replay.json()
    key.refresh_from_db()
    assert key.revoked_at == revoked_at
    assert AuditEvent.objects.filter(api_key=key, action=AuditAction.KEY_REVOKED).count() == 1
    assert [e.details["revoked"] for e in reported_events(key)] == [True, False]
    assert len(mail.outbox) == 1


def test_a_key_already_revoked_is_labelled_as_any_genuine_key_and_mails_nobody(
    send, make_key, owner
):
    from apikeys import services

    revoked, revoked_raw = make_key(name="Old")
    active, active_raw = make_key(name="New")
    services.api_key_revoke(key=revoked, actor=owner, acting_key=None)

    labels = [entry["label"] for entry in send([match(revoked_raw), match(active_raw)]).json()]

    assert labels == ["true_positive", "true_positive"]
    assert [e.details["revoked"] for e in reported_events(revoked)] == [False]
    assert [m.subject for m in mail.outbox] == [
        f"Keyportal: API key New ({active.prefix}) leaked and revoked"
    ]


def test_a_token_reported_twice_in_one_report_is_handled_once(send, make_key):
    key, raw = make_key()

    labels = send([match(raw), match(raw, url="https://gist.github.com/x")]).json()

    assert [entry["label"] for entry in labels] == ["true_positive", "true_positive"]
    assert len(reported_events(key)) == 1 and len(mail.outbox) == 1


def test_a_lookalike_of_a_genuine_key_is_a_false_positive_and_changes_nothing(send, make_key):
    key, raw = make_key()
    # Same brand, mode and public prefix, a different secret part and a valid checksum.
    head = raw[: -keys.CHECKSUM_LENGTH]
    forged_head = head[:-1] + ("A" if head[-1] != "A" else "B")
    forged = forged_head + keys.checksum(forged_head)
    assert keys.parse(forged, conf.brand()).prefix == key.prefix

    assert send([match(forged)]).json()[0]["label"] == "false_positive"

    key.refresh_from_db()
    assert key.status == KeyStatus.ACTIVE and not reported_events(key) and not mail.outbox


# Signatures: 401 and nothing else ---------------------------------------------------------


def _assert_refused(response):
    assert_json_error(response, 401)
    assert response.json() == {"detail": SIGNATURE_REFUSED}
    assert "WWW-Authenticate" not in response


def test_a_signature_over_another_body_is_401_and_changes_nothing(send, github, make_key):
    key, raw = make_key()
    signature = github.published[0].sign(b"[]")

    _assert_refused(send([match(raw)], signature=signature))

    key.refresh_from_db()
    assert key.status == KeyStatus.ACTIVE
    assert (
        not AuditEvent.objects.filter(api_key=key).exclude(action=AuditAction.KEY_CREATED).exists()
    )
    assert not mail.outbox


def test_a_signature_by_a_key_github_does_not_publish_is_401(send, make_key):
    key, raw = make_key()
    impostor = GitHubKey("github-key-1")  # claims GitHub's identifier, signs with its own key

    _assert_refused(send([match(raw)], key=impostor))

    key.refresh_from_db()
    assert key.status == KeyStatus.ACTIVE


@pytest.mark.parametrize(
    "headers",
    [
        {"identifier": ""},
        {"signature": ""},
        {"identifier": "", "signature": ""},
        {"signature": "not base64!"},
        {"signature": base64.b64encode(b"not a DER signature").decode()},
    ],
)
def test_a_missing_or_malformed_signature_is_401(send, make_key, headers):
    key, raw = make_key()

    _assert_refused(send([match(raw)], **headers))

    key.refresh_from_db()
    assert key.status == KeyStatus.ACTIVE


def test_the_signature_is_checked_before_the_body_is_read(send):
    # Not JSON, not a list, wrong content type: an unsigned body is refused for that alone.
    _assert_refused(send(b"{not json", signature="", content_type="text/plain"))


def test_an_unknown_identifier_is_401_after_one_refetch_at_most(send, github, make_key):
    _, raw = make_key()
    stranger = GitHubKey("not-a-github-key")
    send([match("ghp_notours")])  # GitHub's keys are cached now
    assert github.hits == 1

    _assert_refused(send([match(raw)], key=stranger))
    _assert_refused(send([match(raw)], key=stranger))

    assert github.hits == 2  # one refetch, then the refetch waits its interval


def test_a_key_github_rotated_in_is_fetched_on_its_first_report(send, github, make_key):
    _, raw = make_key()
    send([match("ghp_notours")])
    rotated = GitHubKey("github-key-2")
    github.published.append(rotated)

    response = send([match(raw)], key=rotated)

    assert response.status_code == 200 and response.json()[0]["label"] == "true_positive"
    assert github.hits == 2


def test_the_public_keys_are_fetched_once_and_cached(send, github):
    for _ in range(3):
        assert send([match("ghp_notours")]).status_code == 200

    assert github.hits == 1


def test_unreachable_public_keys_answer_503_with_retry_after(send, github, settings, make_key):
    key, raw = make_key()
    github.close()  # nothing listens there any more
    settings.SECRET_SCANNING_GITHUB_FETCH_TIMEOUT = 1

    response = send([match(raw)])

    assert_json_error(response, 503)
    assert response.json() == {"detail": KEYS_UNAVAILABLE}
    assert int(response["Retry-After"]) > 0
    key.refresh_from_db()
    assert key.status == KeyStatus.ACTIVE


def test_after_a_failed_fetch_reports_wait_before_the_next_one(send, github):
    github.failing = True

    first, second = send([match("ghp_notours")]), send([match("ghp_notours")])

    assert first.status_code == second.status_code == 503
    assert github.hits == 1


def test_a_keys_url_that_is_not_http_is_never_read(send, settings, tmp_path):
    document = tmp_path / "keys.json"
    document.write_text(json.dumps({"public_keys": []}))
    settings.SECRET_SCANNING_GITHUB_KEYS_URL = document.as_uri()

    assert send([match("ghp_notours")]).status_code == 503


# Input: JSON only, bounded, in GitHub's shape ---------------------------------------------


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"[{not json", REPORT_NOT_JSON),
        (b"[" * 100_000, REPORT_NOT_JSON),
        (b'{"token": "x"}', "Expected a list of items"),
        (b'[{"type": "x"}]', "Entry 0: token: This field is required."),
        (b'[{"token": "a"}, {"token": 12}]', "Entry 1: token: Not a valid string."),
    ],
)
def test_a_malformed_report_is_400_and_changes_nothing(send, body, message):
    response = send(body)

    assert_json_error(response, 400)
    assert message in response.json()["detail"]
    assert not AuditEvent.objects.exclude(action=AuditAction.KEY_CREATED).exists()


def test_a_report_with_too_many_tokens_is_400(send, settings, make_key):
    settings.SECRET_SCANNING_MAX_TOKENS = 3
    key, raw = make_key()

    response = send([match(raw)] + [match(f"ghp_{n}") for n in range(3)])

    assert_json_error(response, 400)
    assert "no more than 3" in response.json()["detail"]
    key.refresh_from_db()
    assert key.status == KeyStatus.ACTIVE


def test_a_body_over_the_upload_limit_is_400(send, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1024

    response = send([match("ghp_" + "x" * 2000)])

    assert_json_error(response, 400)
    assert response.json()["detail"] == BODY_TOO_LARGE


def test_a_signed_body_that_is_not_json_is_415(send):
    assert_json_error(send(b"token=ghp_x", content_type="application/x-www-form-urlencoded"), 415)


def test_fields_github_adds_later_are_ignored_rather_than_refused(send, make_key):
    key, raw = make_key()
    entry = {**match(raw), "repository": "octo/app", "url": None}

    assert send([entry]).json()[0]["label"] == "true_positive"

    assert reported_events(key)[0].details["url"] == ""


def test_an_empty_report_is_an_empty_answer(send):
    response = send([])

    assert (response.status_code, response.json()) == (200, [])


# Nobody authenticates here, and nothing else gets in the way ------------------------------


def test_credentials_and_csrf_play_no_part(send, make_key, owner):
    key, raw = make_key()
    browser = APIClient(enforce_csrf_checks=True)
    browser.force_login(owner)

    response = send(
        [match(raw)], client=browser, headers={"Authorization": "Bearer kp_live_garbage"}
    )

    assert response.status_code == 200 and response.json()[0]["label"] == "true_positive"
    key.refresh_from_db()
    assert key.status == KeyStatus.REVOKED


def test_the_path_works_without_its_trailing_slash(
    github, make_key, django_capture_on_commit_callbacks
):
    key, raw = make_key()
    body = json.dumps([match(raw)]).encode()
    headers = {
        "Github-Public-Key-Identifier": "github-key-1",
        "Github-Public-Key-Signature": github.published[0].sign(body),
    }

    response = APIClient().post(
        URL.rstrip("/"), body, content_type="application/json", headers=headers
    )

    assert response.status_code == 200
    key.refresh_from_db()
    assert key.status == KeyStatus.REVOKED

"""The Twilio-compatible test server keeps the contract the sync and archive tests rely on."""

from __future__ import annotations

import io
import time
import wave

import requests

from tests.twilio_server import DAY, TwilioServer, populate, twilio_server, utc  # noqa: F401


def get(server: TwilioServer, path: str, auth: tuple[str, str], **params: object) -> requests.Response:
    return requests.get(server.url + path, params=params, auth=auth, timeout=30)


def test_auth_errors_have_twilios_shape(twilio_server: TwilioServer) -> None:
    family = populate(twilio_server.store, subaccounts=1, recordings=0)
    response = get(twilio_server, "/2010-04-01/Accounts.json", (family.parent.sid, "wrong"))
    assert response.status_code == 401
    assert response.json() == {"code": 20003, "message": "Authenticate",
                               "more_info": "https://www.twilio.com/docs/errors/20003", "status": 401}
    sub = family.subaccounts[0]
    # A subaccount's own token reaches only that subaccount.
    assert get(twilio_server, f"/2010-04-01/Accounts/{family.parent.sid}/Recordings.json",
               (sub.sid, sub.auth_token)).status_code == 403
    listed = get(twilio_server, "/2010-04-01/Accounts.json", (family.key.sid, family.key.secret)).json()
    assert [a["sid"] for a in listed["accounts"]] == [family.parent.sid, sub.sid]
    assert listed["accounts"][1]["auth_token"] == sub.auth_token


def test_paging_filters_and_page_size_limit(twilio_server: TwilioServer) -> None:
    store = twilio_server.store
    family = populate(store, subaccounts=0, recordings=0)
    auth = (family.parent.sid, family.parent.auth_token)
    for day in (1, 2, 3):
        for i in range(3):
            store.add_recording(family.parent.sid, utc(2026, 5, day, 10, i))
    path = f"/2010-04-01/Accounts/{family.parent.sid}/Recordings.json"

    assert get(twilio_server, path, auth, PageSize=1001).status_code == 400
    assert get(twilio_server, path, auth).json()["page_size"] == 50
    page = get(twilio_server, path, auth, PageSize=4, **{"DateCreated>": "2026-05-02"}).json()
    # Newest first; days 2 and 3 (inclusive): 6 items over two pages of 4.
    assert [r["date_created"] for r in page["recordings"]] == [
        "Sun, 03 May 2026 10:02:00 +0000", "Sun, 03 May 2026 10:01:00 +0000",
        "Sun, 03 May 2026 10:00:00 +0000", "Sat, 02 May 2026 10:02:00 +0000"]
    assert page["next_page_uri"].startswith(path + "?")
    second = requests.get(twilio_server.url + page["next_page_uri"], auth=auth, timeout=30).json()
    assert len(second["recordings"]) == 2 and second["next_page_uri"] is None
    assert len(get(twilio_server, path, auth, DateCreated="2026-05-01").json()["recordings"]) == 3
    assert len(get(twilio_server, path, auth, **{"DateCreated<": "2026-05-01"}).json()["recordings"]) == 3


def test_delete_is_soft_for_40_days(twilio_server: TwilioServer) -> None:
    store = twilio_server.store
    family = populate(store, subaccounts=0, recordings=0)
    auth = (family.parent.sid, family.parent.auth_token)
    rec = store.add_recording(family.parent.sid, int(time.time()) - 3 * DAY)
    one = f"/2010-04-01/Accounts/{family.parent.sid}/Recordings/{rec.sid}.json"
    listing = f"/2010-04-01/Accounts/{family.parent.sid}/Recordings.json"

    assert requests.delete(twilio_server.url + one, auth=auth, timeout=30).status_code == 204
    gone = requests.delete(twilio_server.url + one, auth=auth, timeout=30)
    assert gone.status_code == 404 and gone.json()["code"] == 20404
    assert get(twilio_server, one, auth).status_code == 404
    assert get(twilio_server, one, auth, IncludeSoftDeleted="true").json()["status"] == "deleted"
    assert get(twilio_server, listing, auth).json()["recordings"] == []
    assert len(get(twilio_server, listing, auth, IncludeSoftDeleted="true").json()["recordings"]) == 1
    store.now = time.time() + 41 * DAY  # past Twilio's 40 days: gone even with the flag
    assert get(twilio_server, listing, auth, IncludeSoftDeleted="true").json()["recordings"] == []


def test_media_matches_the_metadata(twilio_server: TwilioServer) -> None:
    store = twilio_server.store
    family = populate(store, subaccounts=0, recordings=0)
    auth = (family.parent.sid, family.parent.auth_token)
    rec = store.add_recording(family.parent.sid, utc(2026, 5, 1), duration=7, channels=2)
    base = f"/2010-04-01/Accounts/{family.parent.sid}/Recordings/{rec.sid}"

    wav = get(twilio_server, base + ".wav", auth)
    assert wav.headers["Content-Type"] == "audio/x-wav"
    assert int(wav.headers["Content-Length"]) == len(wav.content) == 44 + 7 * 8000 * 2 * 2
    with wave.open(io.BytesIO(wav.content)) as audio:
        assert (audio.getnchannels(), audio.getsampwidth(), audio.getframerate(), audio.getnframes()) == (2, 2, 8000, 56000)
    mono = get(twilio_server, base, auth, RequestedChannels=1)
    assert len(mono.content) == 44 + 7 * 8000 * 2
    mp3 = get(twilio_server, base + ".mp3", auth)
    # 32 kbps: 4,000 bytes a second, in 144-byte frames of 36 ms each starting 0xFFFB.
    assert len(mp3.content) == round(7 / 0.036) * 144
    assert mp3.content[:2] == b"\xff\xfb" and mp3.content[144:146] == b"\xff\xfb"
    assert requests.get(twilio_server.url + base + ".wav", timeout=30).status_code == 401


def test_usage_records_by_month(twilio_server: TwilioServer) -> None:
    store = twilio_server.store
    store.now = utc(2026, 6, 15)
    parent = store.add_account(date_created=utc(2026, 5, 1))
    store.add_recording(parent.sid, utc(2026, 5, 10), duration=90)   # 2 minutes
    auth = (parent.sid, parent.auth_token)
    monthly = get(twilio_server, f"/2010-04-01/Accounts/{parent.sid}/Usage/Records/Monthly.json",
                  auth, Category="recordings", StartDate="2026-05-01", EndDate="2026-06-15").json()
    assert [(r["start_date"], r["end_date"], r["usage"], r["price"]) for r in monthly["usage_records"]] == [
        ("2026-05-01", "2026-05-31", "2", "0.00500"), ("2026-06-01", "2026-06-30", "0", "0.00000")]

"""Notifications from real cycles: what is told, once, and never the webhook's secret."""

from __future__ import annotations

import json
import logging
from datetime import timedelta

import httpx
import respx

from sync.runtime import Runtime
from tests.sync.conftest import settings_for

HOOK = "https://hooks.example/services/T000/B000/very-secret-token"
CRO_HOOK = "https://hooks.example/services/T000/B001/cro-secret"


def posts(router: respx.MockRouter) -> list[tuple[str, dict]]:
    return [(str(c.request.url), json.loads(c.request.content)) for c in router.calls
            if c.request.url.host == "hooks.example"]


def test_cycles_notify_new_severe_escalations_tier_rises_and_breaches_once(sandbox, redis_url, caplog):
    caplog.set_level(logging.DEBUG)
    routes = {"default": [HOOK], "role:cro": [CRO_HOOK]}
    # go_live=notify: the book's history escalations are each told (the default, quiet, sends one digest)
    rt = Runtime(settings_for(sandbox, redis_url, notify_webhooks=routes, go_live="notify"), clock=sandbox.clock.now)
    with respx.mock(assert_all_called=False) as router:
        router.route(host="hooks.example").mock(return_value=httpx.Response(200, text="ok"))
        router.route().pass_through()
        rt.cycle()
        first = posts(router)
        texts = [p["text"] for _, p in first]
        # SEV-1/2 openings are told; Soylent's SEV-3 opening is not
        assert any("Wayne Enterprises" in t for t in texts) and not any("Soylent" in t and "new" in t.lower()
                                                                        for t in texts)
        assert any("Vandelay" in t and "tier" in t.lower() for t in texts)  # 2 -> 3, multi-customer
        assert any(url == CRO_HOOK for url, _ in first)  # tier 4 engages the CRO's channel
        rt.cycle()
        assert posts(router) == first  # nothing new decided, nothing new told
        before = len(first)
        sandbox.clock.advance(int(timedelta(days=1).total_seconds()))
        rt.watch()
        breach_posts = posts(router)[before:]
        assert breach_posts and any("breach" in p["text"].lower() for _, p in breach_posts)
        rt.watch()
        assert len(posts(router)) == before + len(breach_posts)  # each breach told once
    logged = caplog.text + json.dumps([r.args for r in caplog.records], default=str)
    assert "very-secret-token" not in logged and "cro-secret" not in logged

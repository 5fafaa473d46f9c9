"""Who wrote a comment: the vendor or the customer, whether or not Jira shows the e-mail.

Jira Cloud leaves ``emailAddress`` out for accounts whose profile hides it; Jira Data Center
leaves it out of every user object when "User email visibility" is hidden (pycontribs/jira
issue #170: group members without ``emailAddress`` on Jira Server 6.4). The user objects below
are in those shapes. The vendor's people are never read as customers and a customer is never
read as one of ours, e-mail or not.
"""

from __future__ import annotations

import pytest

from connectors.jira_tickets import person, ticket_from_issue, vendor_names

DOMAINS = frozenset({"vendor.example"})
NAMES = vendor_names(["Ana Silva", "Dana  Reyes"])


def dc_user(name: str, username: str, email: str | None = None) -> dict:
    out = {"self": f"https://jira.example/rest/api/2/user?username={username}", "name": username,
           "key": f"JIRAUSER{abs(hash(username)) % 10000}", "displayName": name, "active": True,
           "timeZone": "Europe/Berlin"}
    if email:
        out["emailAddress"] = email
    return out


def cloud_user(name: str, kind: str, email: str | None = None) -> dict:
    out = {"accountId": f"712020:{abs(hash(name)) % 10**8}", "accountType": kind, "displayName": name, "active": True}
    if email:
        out["emailAddress"] = email
    return out


@pytest.mark.parametrize("user,customer", [
    (cloud_user("Ana Silva", "atlassian", "ana@vendor.example"), False),
    (cloud_user("Ana Silva", "atlassian"), False),                      # hidden by her profile
    (cloud_user("Kim Ops", "customer", "kim@acme.example"), True),
    (cloud_user("Automation for Jira", "app"), False),
    (dc_user("Ana Silva", "ana", "ana@vendor.example"), False),
    (dc_user("Ana Silva", "ana"), False),                               # e-mails hidden site-wide
    (dc_user("dana reyes", "dreyes"), False),                           # names compared folded
    (dc_user("Kim Ops", "kim", "kim@acme.example"), True),
    (dc_user("Kim Ops", "kim"), True),                                  # not one of ours: a customer
])
def test_the_vendor_and_the_customer_are_told_apart_with_or_without_the_email(user, customer) -> None:
    who = person(user, DOMAINS, NAMES)
    assert who.customer is customer
    assert who.name == user["displayName"]


def test_a_data_center_ticket_with_hidden_emails_keeps_the_customer_words_and_our_reply_apart() -> None:
    issue = {"key": "SUP-1", "fields": {
        "created": "2026-11-20T12:00:00.000+0100", "summary": "Export fails",
        "reporter": dc_user("Kim Ops", "kim"),
        "comment": {"total": 2, "comments": [
            {"id": "1", "created": "2026-11-20T12:05:00.000+0100", "author": dc_user("Kim Ops", "kim"),
             "body": "We will cancel if this goes on"},
            {"id": "2", "created": "2026-11-20T12:30:00.000+0100", "author": dc_user("Ana Silva", "ana"),
             "body": "Fix deployed, please retry"}]}}}
    t = ticket_from_issue(issue, {}, DOMAINS, NAMES)
    assert t.reporter.customer
    assert [(c.author.name, c.author.customer) for c in t.comments] == [("Kim Ops", True), ("Ana Silva", False)]

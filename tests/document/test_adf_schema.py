"""Every epic description the connector writes is a valid ADF document (Atlassian's own schema),
holds seed 004's sections, and fits Jira's 32,767-character limit; Data Center gets wiki markup."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from connectors.jira_document import DESCRIPTION_LIMIT, adf, epic_document, size
from rules.communication import LogEntry
from rules.models import Breach, Escalation, ExecSponsor, PlanStep, Role, Severity, TimelineEntry, Trigger, User
from sandbox.jira_render import from_adf
from tests.document.conftest import adf_errors, book_of, escalations_of, example_books

SECTIONS = ("Issue Summary", "Timeline of Events", "Root Cause", "Resolution Plan",
            "Customer Communication Log", "Internal Stakeholders Notified", "Resolution Summary",
            "Post-Escalation Actions")
FACTS = ("Escalation ID", "Customer", "ARR", "Severity", "Status", "Owner", "Opened", "Target Resolution")
T0 = datetime(2026, 11, 18, 9, 0, tzinfo=UTC)


def headings(doc: dict) -> list[str]:
    return ["".join(t["text"] for t in n.get("content", [])) for n in doc["content"] if n["type"] == "heading"]


def nodes(doc: dict, kind: str) -> list[dict]:
    found = []

    def walk(n: dict) -> None:
        if n.get("type") == kind:
            found.append(n)
        for c in n.get("content", []) or []:
            walk(c)

    walk(doc)
    return found


def escalation(**kw) -> Escalation:
    base = dict(id="ESC-001-20261118T090000Z", account="001", account_name="Acme Corp", opened=T0,
                severity=Severity.SEV2, tier=2, owner="lee@vendor.example",
                stakeholders=("dana@vendor.example",),
                triggers=(Trigger(id="t1", kind="keyword", account="001", at=T0, tickets=("SUP-101",),
                                  reason="'cancel' in a customer's ticket"),),
                tickets=("SUP-101",),
                plan=(PlanStep(step="intake", owner="lee@vendor.example", due=T0 + timedelta(hours=1)),
                      PlanStep(step="solution_design", owner="lee@vendor.example", due=T0 + timedelta(hours=4)),
                      PlanStep(step="closure", owner="lee@vendor.example", due=None)),
                timeline=(TimelineEntry(at=T0, text="Opened: keyword"),),
                summary="Reports fail to export since the upgrade")
    base.update(kw)
    return Escalation(**base)


# --- the example books ----------------------------------------------------------------------

@pytest.mark.parametrize("path", example_books(), ids=lambda p: p.name)
def test_every_example_escalation_is_valid_adf_with_the_tracking_sections(path) -> None:
    escs = escalations_of(path)
    assert escs, f"{path.name} opens no escalation"
    arr = {a.id: a.arr for a in book_of(path).accounts}
    for esc in escs:
        keys = {p.step: f"ESC-{10 + i}" for i, p in enumerate(esc.plan)}
        doc = epic_document(esc, cloud=True, plan_keys=keys, jira_url="https://acme.atlassian.net",
                            arr=arr[esc.account])
        assert adf_errors(doc) == [], esc.id
        assert headings(doc) == list(SECTIONS)
        text = from_adf(doc) or ""
        for label in FACTS:
            assert f"|{label}|" in text.replace("||", "|"), (esc.id, label)
        assert esc.id in text and esc.account_name in text and f"${arr[esc.account]:,.0f}" in text
        hrefs = {m["attrs"]["href"] for t in nodes(doc, "text") for m in t.get("marks", []) if m["type"] == "link"}
        linked = {*keys.values(), *(c.ticket for c in esc.communications if c.ticket)}  # plan issues, replies' tickets
        assert hrefs == {f"https://acme.atlassian.net/browse/{k}" for k in linked}
        assert size(doc) <= DESCRIPTION_LIMIT


@pytest.mark.parametrize("path", example_books(), ids=lambda p: p.name)
def test_data_center_gets_wiki_markup_with_the_same_sections(path) -> None:
    for esc in escalations_of(path):
        wiki = epic_document(esc, cloud=False, plan_keys={"intake": "ESC-7"})
        assert isinstance(wiki, str)
        assert [ln[4:] for ln in wiki.splitlines() if ln.startswith("h2. ")] == list(SECTIONS)
        assert "||Step||Action||Owner||Due||Plan issue||" in wiki and "[ESC-7]" in wiki
        assert "{panel:title=Executive sponsor" in wiki
        assert "edits here are overwritten" in wiki


# --- what the document says -------------------------------------------------------------------

def test_severity_and_sponsor_panels_follow_the_escalation() -> None:
    sev1 = escalation(severity=Severity.SEV1, exec_sponsor=ExecSponsor(
        required=True, due=T0 + timedelta(hours=24), reasons=("ARR over 100K",)),
        breaches=(Breach(clock="acknowledge", due=T0, at=T0 + timedelta(hours=2)),))
    panels = [(p["attrs"]["panelType"], from_adf({"type": "doc", "content": p["content"]}))
              for p in nodes(epic_document(sev1, cloud=True), "panel")]
    kinds = [k for k, _ in panels]
    assert kinds[:1] == ["info"] and "error" in kinds and "warning" in kinds
    text = " ".join(t for _, t in panels)
    assert "SEV-1, tier 2" in text and "acknowledge was due 2026-11-18 09:00 UTC" in text
    assert "Executive sponsor required by 2026-11-19 09:00 UTC: ARR over 100K." in text
    calm = nodes(epic_document(escalation(severity=Severity.SEV4), cloud=True), "panel")
    assert [p["attrs"]["panelType"] for p in calm] == ["info", "info", "success"]


def test_plan_rows_link_to_their_issues_only_once_those_exist() -> None:
    doc = epic_document(escalation(), cloud=True, plan_keys={"intake": "ESC-2"}, jira_url="https://x.example/")
    text = from_adf(doc) or ""
    assert "|1|Intake and ownership: acknowledge the customer|lee@vendor.example|2026-11-18 10:00 UTC|ESC-2|" in text
    assert "|3|Closure message once the fix is in|lee@vendor.example|once resolved|not created yet|" in text
    links = [m["attrs"]["href"] for t in nodes(doc, "text") for m in t.get("marks", []) if m["type"] == "link"]
    assert links == ["https://x.example/browse/ESC-2"]


def test_a_long_timeline_keeps_the_newest_entries_and_says_how_many_it_left_out() -> None:
    timeline = tuple(TimelineEntry(at=T0 + timedelta(minutes=i), text=f"entry {i:04d} " + "x" * 150)
                     for i in range(600))
    esc = escalation(timeline=timeline)
    for cloud in (True, False):
        doc = epic_document(esc, cloud=cloud)
        assert size(doc) <= DESCRIPTION_LIMIT
        text = doc if isinstance(doc, str) else (from_adf(doc) or "")
        assert "entry 0599" in text and "entry 0000" not in text
        shown = sum(f"entry {i:04d}" in text for i in range(600))
        assert f"{600 - shown} earlier entries are not shown here" in text
        assert shown > 50, "the fit keeps as much as fits, not a token few"
    assert adf_errors(epic_document(esc, cloud=True)) == []


def test_a_short_timeline_is_shown_whole() -> None:
    text = from_adf(epic_document(escalation(), cloud=True)) or ""
    assert "earlier entries" not in text and "|2026-11-18 09:00 UTC|Opened: keyword|" in text


def test_the_communication_log_is_a_table_of_time_channel_author_and_first_line() -> None:
    log = (LogEntry(at=T0, channel="email", author="Sam Agent", summary="We are on it", ticket="SUP-101"),)
    text = from_adf(epic_document(escalation(), cloud=True, communications=log)) or ""
    assert "||When||Channel||Author||Said||" in text
    assert "|2026-11-18 09:00 UTC|email, SUP-101|Sam Agent|We are on it|" in text
    assert "No public reply" in (from_adf(epic_document(escalation(), cloud=True)) or "")


def test_wiki_text_from_people_cannot_break_the_markup() -> None:
    esc = escalation(summary="a|b {code} [link|http://evil] *bold*", timeline=(
        TimelineEntry(at=T0, text="line one\nline | two"),))
    wiki = epic_document(esc, cloud=False)
    assert "a\\|b \\{code\\} \\[link\\|http://evil\\] \\*bold\\*" in wiki
    assert "|2026-11-18 09:00 UTC|line one line \\| two|" in wiki


def test_the_minimal_adf_helper_is_valid_too() -> None:
    assert adf_errors(adf("one\n\ntwo")) == [] and adf_errors(adf("")) == []


# --- any escalation (hypothesis) ---------------------------------------------------------------

words = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=80)
moments = st.datetimes(min_value=datetime(2025, 1, 1), max_value=datetime(2027, 1, 1), timezones=st.just(UTC))
steps = st.lists(st.builds(PlanStep, step=st.sampled_from(["intake", "investigation", "solution_design",
                                                           "closure", "custom_step", "week1_stabilise"]),
                           owner=st.one_of(st.none(), st.emails()), due=st.one_of(st.none(), moments)),
                 max_size=8)


@st.composite
def escalations(draw) -> Escalation:
    opened = draw(moments)
    resolved = draw(st.one_of(st.none(), moments))
    return escalation(
        opened=opened, severity=draw(st.sampled_from(list(Severity))), tier=draw(st.integers(1, 4)),
        owner=draw(st.one_of(st.none(), st.emails())), summary=draw(words),
        status=draw(st.sampled_from(["Open", "In Progress", "Resolved", "Closed"])),
        stakeholders=tuple(draw(st.lists(st.emails(), max_size=5, unique=True))),
        triggers=tuple(Trigger(id=f"t{i}", kind=k, account="001", at=opened, reason=r)
                       for i, (k, r) in enumerate(draw(st.lists(st.tuples(st.sampled_from(
                           ["keyword", "ticket_burst", "health_drop", "social"]), words), max_size=3)))),
        plan=tuple(draw(steps)), recovery=tuple(draw(steps)) if resolved else (),
        timeline=tuple(TimelineEntry(at=a, text=t) for a, t in draw(
            st.lists(st.tuples(moments, words), max_size=40))),
        exec_sponsor=draw(st.builds(ExecSponsor, required=st.booleans(), due=st.one_of(st.none(), moments),
                                    reasons=st.lists(words, max_size=2).map(tuple))),
        root_cause=draw(st.one_of(st.none(), words)), resolved_at=resolved,
        resolution_summary=draw(words), concession_given=draw(st.one_of(st.none(), st.booleans())))


logs = st.lists(st.builds(LogEntry, at=moments, channel=st.sampled_from(["email", "portal", "epic"]),
                          author=words, summary=words, ticket=st.one_of(st.none(), st.just("SUP-1"))), max_size=6)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(esc=escalations(), log=logs, arr=st.one_of(st.none(), st.floats(0, 1e9)),
       keys=st.dictionaries(st.sampled_from(["intake", "closure", "week1_stabilise"]),
                            st.from_regex(r"\AESC-[1-9][0-9]{0,4}\Z")))
def test_any_escalation_renders_to_valid_adf_under_the_limit(esc, log, arr, keys) -> None:
    doc = epic_document(esc, cloud=True, plan_keys=keys, communications=log, arr=arr, jira_url="https://j.example")
    assert adf_errors(doc) == []
    assert size(doc) <= DESCRIPTION_LIMIT
    assert json.loads(json.dumps(doc)) == doc
    wiki = epic_document(esc, cloud=False, plan_keys=keys, communications=log, arr=arr)
    assert isinstance(wiki, str) and size(wiki) <= DESCRIPTION_LIMIT
    assert wiki.count("{panel") == 4  # two panels, each opened and closed: user text cannot add one


def test_the_schema_refuses_what_jira_refuses() -> None:
    """The validator is not a rubber stamp: an empty text node, an unknown panel type, a missing
    version are each an error."""
    good = epic_document(escalation(), cloud=True)
    assert adf_errors(good) == []
    empty = {**good, "content": [*good["content"], {"type": "paragraph", "content": [{"type": "text", "text": ""}]}]}
    panel = {**good, "content": [{"type": "panel", "attrs": {"panelType": "purple"}, "content": []}]}
    unversioned = {k: v for k, v in good.items() if k != "version"}
    assert adf_errors(empty) and adf_errors(panel) and adf_errors(unversioned)


def test_wiki_facts_are_header_label_and_plain_value_rows() -> None:
    wiki = epic_document(escalation(), cloud=False, arr=250_000)
    assert "||Escalation ID|ESC-001-20261118T090000Z|" in wiki and "||ARR|$250,000|" in wiki
    assert "*SEV-2*, tier 2: high: major functionality degraded" in wiki


def test_an_escalation_whose_texts_alone_are_too_long_is_shortened_and_says_so() -> None:
    """The Salesforce test's extreme escalation: 20,000-character resolution summary, 40
    stakeholders, 400 timeline entries of 500 characters."""
    from tests.test_salesforce_metadata import extreme

    esc = extreme()
    log = tuple(LogEntry(at=T0 + timedelta(minutes=i), channel="email", author="Sam", summary="y" * 190)
                for i in range(300))
    doc = epic_document(esc, cloud=True, communications=log)
    assert size(doc) <= DESCRIPTION_LIMIT and adf_errors(doc) == [] and headings(doc) == list(SECTIONS)
    text = from_adf(doc) or ""
    assert "Long texts are shortened here" in text and "more stakeholders" not in text
    assert "28 stakeholders are not shown" in text  # 40 listed, 12 shown
    wiki = epic_document(esc, cloud=False, communications=log)  # wiki is compact: the texts fit whole
    assert isinstance(wiki, str) and size(wiki) <= DESCRIPTION_LIMIT and "R" * 20_000 in wiki
    assert "earlier entries are not shown" in wiki


def test_a_huge_communication_log_is_cut_to_its_newest_entries() -> None:
    log = tuple(LogEntry(at=T0 + timedelta(minutes=i), channel="email", author="Sam",
                         summary=f"reply {i:04d} " + "z" * 150) for i in range(400))
    doc = epic_document(escalation(), cloud=True, communications=log)
    text = from_adf(doc) or ""
    assert size(doc) <= DESCRIPTION_LIMIT and "reply 0399" in text and "reply 0000" not in text
    assert "earlier communications are not shown" in text and "Long texts are shortened" not in text


def test_before_the_writer_knows_the_plan_issues_the_table_points_at_the_child_issues() -> None:
    first = from_adf(epic_document(escalation(), cloud=True)) or ""
    assert "|see the epic's child issues|" in first and "not created yet" not in first
    later = from_adf(epic_document(escalation(), cloud=True, plan_keys={})) or ""
    assert "|not created yet|" in later
    assert "|see the epic's child issues|" in epic_document(escalation(), cloud=False)


def test_the_arr_the_escalation_carries_is_shown_when_the_writer_passes_none() -> None:
    text = from_adf(epic_document(escalation(arr=1_250_000), cloud=True)) or ""
    assert "|ARR|$1,250,000|" in text


def test_plan_rows_name_their_owner_when_the_writer_knows_the_people() -> None:
    people = {"lee@vendor.example": User(email="lee@vendor.example", name="Lee Park", role=Role.CSM)}
    named = from_adf(epic_document(escalation(), cloud=True, people=people)) or ""
    assert "|1|Intake and ownership: acknowledge the customer|Lee Park|" in named
    unknown = from_adf(epic_document(escalation(), cloud=True)) or ""
    assert "|1|Intake and ownership: acknowledge the customer|lee@vendor.example|" in unknown
    wiki = epic_document(escalation(), cloud=False, people=people)
    row = next(line for line in str(wiki).splitlines() if "Intake and ownership" in line)
    assert "Lee Park" in row and "lee@vendor.example" not in row

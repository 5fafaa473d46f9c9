"""``doctor``'s people checks: who the connector cannot find in Jira, and why.

Jira Cloud hides e-mail addresses by profile visibility, so a person is found by the user search
matching the e-mail (with no e-mail to confirm it) or by an explicit mapping
(:mod:`connectors.jira_people`). Every Salesforce user with an escalation role can be made an
owner, a plan-step owner or a watcher; each one that resolves to no Jira account is listed with
the reason and the fix.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from connectors.jira_people import people_for

if TYPE_CHECKING:
    from sync.runtime import Runtime


def people_checks(rt: Runtime) -> Iterator[Any]:
    from sync.doctor import Check

    s = rt.settings
    people = people_for(rt.jira)
    users = rt.salesforce.users()
    field = s.salesforce_jira_account_field
    fix = (f"set the Salesforce User field {field} to the person's Jira account id" if field else
           "set SALESFORCE_JIRA_ACCOUNT_FIELD") + ", or list them in JIRA_PEOPLE_FILE (email,account_id)"
    people.mapping()
    for problem in people.problems:
        yield Check("jira people", False, problem, f"deploy salesforce/ (User.{field}) or set "
                    "SALESFORCE_JIRA_ACCOUNT_FIELD='' to use only the search and JIRA_PEOPLE_FILE", warning=True)
    how: Counter[str] = Counter()
    unresolved = 0
    for user in sorted(users, key=lambda u: u.email):
        found = people.resolve(user.email)
        if found.account_id is None:
            unresolved += 1
            yield Check("jira people", False, f"{user.email} ({user.role.value}) has no Jira account: {found.problem}",
                        fix, warning=True)
        else:
            how[found.how] += 1
    detail = ", ".join(f"{n} by {h}" for h, n in sorted(how.items()))
    yield Check("jira people", unresolved == 0, f"{len(users) - unresolved} of {len(users)} people with an escalation "
                f"role found in Jira ({detail or 'none'})", fix, warning=True)

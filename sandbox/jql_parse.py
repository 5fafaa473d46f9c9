"""``POST /rest/api/3/jql/parse``: Jira's own JQL parser and validator, as an endpoint.

Body ``{"queries": [...]}``, query parameter ``validation`` = ``strict`` (the default: every
problem is an error), ``warn`` (unknown values become warnings, as Jira's example shows
``project = INVALID`` with a warning) or ``none`` (syntax only). Each query comes back with its
``structure`` or its ``errors``/``warnings`` in Jira's wording (the OpenAPI example's shapes).
"""

from __future__ import annotations

from typing import Any

from sandbox import jql
from sandbox.jql_eval import Evaluator
from sandbox.site import JiraError, Site

_VALUE_PROBLEMS = ("does not exist for the field", "does not exist for field", "for field")


def _operand(values: list[jql.Value], op: str) -> dict[str, Any]:
    def one(v: jql.Value) -> dict[str, Any]:
        if v.function:
            return {"function": v.function, "arguments": list(v.args),
                    "encodedOperand": f"{v.function}({', '.join(v.args)})"}
        encoded = '"' + v.text.replace("\\", "\\\\").replace('"', '\\"') + '"' if v.quoted else v.text
        return {"value": v.text, "encodedValue": encoded}

    if op in ("IN", "NOT IN") and len(values) != 1 or (op in ("IN", "NOT IN") and not values[0].function):
        items = [one(v) for v in values]
        return {"values": items, "encodedOperand": "(" + ", ".join(str(i.get("encodedValue", i.get(
            "encodedOperand"))) for i in items) + ")"}
    if not values:
        return {"keyword": "EMPTY"}
    return one(values[0])


def _name(text: str) -> dict[str, str]:
    plain = all(ch.isalnum() or ch in "_[]." for ch in text)
    return {"name": text, "encodedName": text if plain else '"' + text.replace('"', '\\"') + '"'}


def structure(node: Any) -> dict[str, Any]:
    """A parsed clause tree in the shape of Jira's ``JqlQueryClause``."""
    if isinstance(node, (jql.And, jql.Or)):
        return {"clauses": [structure(n) for n in node.items],
                "operator": "and" if isinstance(node, jql.And) else "or"}
    if isinstance(node, jql.Not):
        return {"clauses": [structure(node.item)], "operator": "not"}
    assert isinstance(node, jql.Clause)
    out: dict[str, Any] = {"field": _name(node.field), "operator": node.op.lower()}
    if node.op in ("IS", "IS NOT"):
        out["operand"] = {"keyword": "empty"}
    else:
        out["operand"] = _operand(node.values, node.op)
    return out


def parse_one(site: Site, text: str, validation: str, text_equals: bool) -> dict[str, Any]:
    try:
        query = jql.parse(text)
    except jql.JqlError as err:
        return {"query": text, "errors": [str(err)]}
    out: dict[str, Any] = {"query": text, "structure": {}}
    if query.where is not None:
        out["structure"]["where"] = structure(query.where)
    if query.order:
        out["structure"]["orderBy"] = {"fields": [
            {"field": _name(s.field), **({"direction": "desc" if s.desc else "asc"} if s.desc is not None else {})}
            for s in query.order]}
    if validation != "none":
        try:
            Evaluator(site, text_equals).compile(query.where)
        except jql.JqlError as err:
            message = str(err)
            if validation == "warn" and any(p in message for p in _VALUE_PROBLEMS):
                out["warnings"] = [message]
            else:
                return {"query": text, "errors": [message]}
    return out


def parse_queries(site: Site, body: Any, validation: str | None, text_equals: bool) -> dict[str, Any]:
    mode = (validation or "strict").lower()
    if mode not in ("strict", "warn", "none"):
        raise JiraError(400, [f"Invalid validation level '{validation}'."])
    queries = body.get("queries") if isinstance(body, dict) else None
    if not isinstance(queries, list) or not queries or not all(isinstance(q, str) for q in queries):
        raise JiraError(400, ["queries: must not be empty and must be a list of JQL strings."])
    return {"queries": [parse_one(site, q, mode, text_equals) for q in queries]}

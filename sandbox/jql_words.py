"""Jira's reserved JQL words: an unquoted one as a field name or value is refused.

The list is ``JqlStringSupportImpl.RESERVED_WORDS`` as Jira's own unit test states it
(``TestJqlStringSupportImpl.testReservedWords``, read in the public mirror
``turgaycelik/mysource``, ``jira-project/jira-components/jira-tests-parent/jira-tests-unit/src/test/
java/com/atlassian/jira/jql/util/TestJqlStringSupportImpl.java``). The refusal's wording is the
one real sites answer, e.g. "Error in the JQL Query: 'for' is a reserved JQL word. You must
surround it in quotation marks to use it in a query. (line 1, character 40)" (a Jira Cloud error
recorded in a monitoring plug-in's test data, found with the code search).
"""

from __future__ import annotations

_WORDS = """
abort access add after alias all alter and any as asc audit avg before begin between boolean break by
byte catch cf changed char character check checkpoint collate collation column commit connect continue
count create current date decimal declare decrement default defaults define delete delimiter desc
difference distinct divide do double drop else empty encoding end equals escape exclusive exec execute
exists explain false fetch file field first float for from function go goto grant greater group having
identified if immediate in increment index initial inner inout input insert int integer intersect
intersection into is isempty isnull join last left less like limit lock long max min minus mode modify
modulo more multiply next noaudit not notin nowait null number object of on option or order outer output
power previous prior privileges public raise raw remainder rename resource return returns revoke right
row rowid rownum rows select session set share size sqrt start strict string subtract sum synonym table
then to trans transaction trigger true uid union unique update user validate values view was when
whenever where while with
"""
RESERVED = frozenset(_WORDS.split())

# words the grammar itself reads where a value stands (``assignee = EMPTY``, ``IS NULL``)
VALUE_KEYWORDS = frozenset({"empty", "null"})


def reserved_message(word: str, pos: int) -> str:
    """Jira's refusal of an unquoted reserved word at 0-based ``pos``."""
    return (f"Error in the JQL Query: '{word}' is a reserved JQL word. You must surround it in quotation "
            f"marks to use it in a query. (line 1, character {pos + 1})")

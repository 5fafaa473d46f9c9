"""A local, stateful emulator of the Salesforce and Jira REST APIs (tests, demo, benchmarks).

Start it with ``escalation-sync sandbox [--book B] [--port N] [--print-env] [--flavour F]`` or in
process with ``sandbox.server.Sandbox(book=..., flavour="cloud")`` (a context manager; see
``sandbox.testing`` for clients wired to it). The real client libraries talk to it over real
HTTP(S). This docstring is the contract a connector may rely on; the sandbox keeps it stable.

The book
    Loaded through ``rules.book`` and shifted so that ``book.now`` is the wall clock. Events dated
    after ``now`` (tickets, comments, health samples) are scheduled and appear when the sandbox
    clock reaches them (``schedule_future=False`` loads everything at once). The clock moves
    with wall time and with ``POST /clock``; every server timestamp comes from it.

Settings (``Sandbox.env()``, ``--print-env``)
    ``SALESFORCE_INSTANCE_URL`` = ``SALESFORCE_LOGIN_URL`` (``https://127.0.0.1:<port>``, no
    trailing slash), ``SALESFORCE_CLIENT_ID``/``SALESFORCE_CLIENT_SECRET`` (client credentials),
    ``JIRA_URL`` (``http://127.0.0.1:<port>``), ``JIRA_EMAIL``/``JIRA_API_TOKEN`` (Cloud basic
    auth; Data Center also prints ``JIRA_PAT``, the same token, for bearer auth),
    ``REQUESTS_CA_BUNDLE``/``SSL_CERT_FILE`` (the sandbox CA plus the public roots),
    ``SANDBOX_ADMIN_URL``. ``Sandbox.ca_path`` holds the sandbox CA alone. Note that requests
    lets ``REQUESTS_CA_BUNDLE`` in the environment override ``session.verify``.

Salesforce (``/services/data/v42.0`` .. ``v62.0``; v59.0 semantics)
    - Token endpoint ``POST /services/oauth2/token``: ``client_credentials`` (Basic auth or form
      fields) and JWT bearer (RS256, ``iss`` = client id, ``sub`` = a User's ``Username``, i.e.
      the e-mail; signature checked when the sandbox has ``jwt_public_key``). Success carries
      ``access_token``, ``signature``, ``scope``, ``instance_url``, ``id``, ``token_type``,
      ``issued_at`` and ``api_instance_url`` (``https://api.salesforce.com``). Failures are 400
      ``{"error": "invalid_client"|"invalid_grant", "error_description"}``.
    - Sessions expire after ``token_ttl_seconds`` of sandbox time (default 7200) or on
      ``POST /expire-tokens``: 401 ``[{"message": "Session expired or invalid",
      "errorCode": "INVALID_SESSION_ID"}]``. A newly issued token is always accepted.
    - Objects: ``Account`` (``Name``, ``OwnerId`` -> ``Owner``, ``ARR__c``, ``Segment__c``
      (enterprise|mid_market|smb), ``Customer_Since__c``, ``Renewal_Date__c``,
      ``Email_Domains__c`` (comma- OR semicolon-separated: split on both),
      ``Health_Score__c`` (latest sample), ``SystemModstamp``, ``LastModifiedDate``);
      ``User`` (``Email``, ``Username``, ``Name``, ``Title``, ``ManagerId`` -> ``Manager``,
      ``IsActive``, ``Escalation_Role__c`` = the book role, ``Jira_Account_Id__c`` = empty, for
      the people mapping); ``AccountHistory`` (``AccountId``
      -> ``Account``, ``Field`` = ``'Health_Score__c'``, ``OldValue``/``NewValue`` as numbers,
      ``CreatedDate``; no ``SystemModstamp``; Old/NewValue cannot be filtered);
      ``Escalation__c`` (see ``sandbox.sf_schema``: ``External_Id__c`` is the external id,
      unique, case-insensitive; ``Account__c`` -> ``Account__r``; ``Severity__c`` and
      ``Status__c`` are restricted picklists; ``Tier__c`` is a number; ``Name`` is an
      auto-number). Find the external id field through describe (``externalId: true``).
    - Ids are 18 characters with key prefixes ``001`` Account, ``005`` User, ``017``
      AccountHistory, ``a0X`` Escalation__c; 15-character ids are accepted on input.
    - Values: datetimes ``2026-11-20T12:00:00.000+0000`` (UTC), dates ``2026-11-20``, numbers
      as JSON floats, relationship fields nested (``"Owner": {"attributes": ..., "Email": ...}``).
    - SOQL: see ``sandbox.soql``. Paging by ``nextRecordsUrl``
      (``/services/data/vXX.X/query/01g...-<offset>``) in batches of 2000, or
      ``Sforce-Query-Options: batchSize=N`` (200..2000); with ``short_pages=True`` batches
      shrink with row size (about 150 KB of JSON each, 200 rows at least), as real orgs return
      fewer rows than asked for wide records. ``queryAll`` includes deleted rows.
    - Upsert ``PATCH /sobjects/Escalation__c/External_Id__c/<url-quoted value>``: 201
      ``{"id", "success", "errors", "created": true}``; on update 200 with ``"created": false``
      (``upsert_update_status=204`` makes it 204; always 204 below v46.0); 300 with a list of
      record URLs when several records match; an ``Id`` in the body is 400 INVALID_FIELD.
      Accept 200, 201 and 204.
    - sObject Collections (``/composite/sobjects``, ``.../Escalation__c/External_Id__c``):
      at most 200 records (else 400 ``EXCEEDED_ID_LIMIT``), HTTP 200 with per-record results in
      input order, item errors use ``statusCode``; ``allOrNone`` failures roll the others back
      with ``ALL_OR_NONE_OPERATION_ROLLED_BACK``. A record naming a field the object does not
      have makes the whole request 400 ``[{"message": "No such column ...", "errorCode":
      "INVALID_FIELD"}]`` before any record is written (the request is not well formed).
    - Every data response carries ``Sforce-Limit-Info: api-usage=N/MAX``; past the daily budget
      every call is 403 ``REQUEST_LIMIT_EXCEEDED`` (no 429, no Retry-After). ``/limits/`` has
      ``DailyApiRequests``.
    - Errors are JSON lists of ``{"message", "errorCode", "fields"?}``.

Jira (Cloud by default; ``flavour="datacenter"`` for Data Center)
    - Projects: ``SUP`` (every support ticket of the book, keeping its book key even with another
      prefix; type "Support Request", also "Task";
      initial status "Open", resolved status "Resolved"), ``ESC`` (escalations: "Epic"
      hierarchyLevel 1, "Task" 0, "Sub-task" -1; "To Do" -> "In Progress" -> "Done"), ``OPS``
      ("Task", "Sub-task"). Transitions are named "Start work", "Stop work", "Resolve",
      "Reopen" (not the status names); ids are strings in GET, ints or strings in POST.
    - Hierarchy: a Sub-task needs ``parent`` = a level-0 issue of the same project (an Epic as
      parent is 400). On Cloud a Task's ``parent`` may be an Epic. On Data Center epics are
      joined through the "Epic Link" custom field (``customfield_10014``, or the agile
      ``POST /rest/agile/1.0/epic/{key}/issue``) and an Epic needs "Epic Name"
      (``customfield_10015``); neither field exists on Cloud.
    - Custom fields (find them by name through ``GET /rest/api/2/field``; ids are stable here
      but not on real sites): "Channel" (``customfield_10010``, select:
      ``{"value": "portal"|"email"|"phone"|"social"|"executive_email"}``), "Salesforce Account
      Id" (``customfield_10011``, text: the ticket's explicit account or null), "Reporter Title"
      (``customfield_10012``, text), "Escalation External Id" (``customfield_10013``, text,
      free for the connector's use), "Root Cause" and "Resolution Summary" (``customfield_10016``,
      ``customfield_10018``, multi-line text: ADF on v3), "Concession Given"
      (``customfield_10017``, select ``{"value": "Yes"|"No"}``). Text fields take ``~`` in
      JQL; ``=`` on them is refused as real Jira refuses it (``jql_text_equals=True`` allows
      it). For an exact key lookup use a label (``labels = x``), an issue property (read by
      key; not JQL-searchable) or ``~``.
    - Users: book users are ``accountType: "atlassian"``; customer reporters and comment authors
      are ``"customer"``. Cloud ``accountId`` is ``712020:<uuid>`` (customers ``qm:...``),
      derived from the e-mail, so stable across runs. ``user/search?query=`` matches e-mail,
      name words and accountId. Data Center users have ``name``/``key`` instead.
    - Hidden e-mails (Cloud): ``emailAddress`` is left out of every user object (user search,
      assignee, reporter, creator, comment and changelog authors, watchers) of an Atlassian
      account whose profile hides it; ``/myself`` and portal-only customers keep theirs; the
      user search still matches on the hidden e-mail. ``jira_email_privacy``: ``"some"``
      (default; a stable third of the users, ``sandbox.site.hides_email_by_default``),
      ``"all"`` or ``"none"``.
    - Comment visibility: every comment carries a top-level ``jsdPublic`` bool (true = visible
      to the customer). To write an internal comment send ``properties:
      [{"key": "sd.public.comment", "value": {"internal": true}}]`` (what
      ``JIRA.add_comment(is_internal=True)`` sends), ``jsdPublic: false``, or a
      ``visibility`` restriction. ``?expand=properties`` on the comment list adds the property.
    - Timestamps: ``2026-11-19T11:00:00.000+0100``, in the API user's time zone (``myself``
      ``timeZone``, default ``Europe/Berlin``). JQL date literals are read in that zone at
      minute precision; seconds or offsets are a 400.
    - Search: Cloud ``GET/POST /rest/api/{2,3}/search/jql`` (``nextPageToken``, ``isLast``, no
      ``total``; default fields ``id`` only; ``maxResults`` default 50, capped at 100 when
      fields are asked for and 5000 for ids only; an unrestricted query is 400); Cloud
      ``/search`` is 410 Gone. Data Center ``/rest/api/2/search`` (``startAt``, ``total``).
      Search trails writes by ``search_lag_seconds`` (default 0); GET by key never lags.
      No ORDER BY means ``key DESC``; dates sort DESC by default when no direction is given.
      With ``short_pages=True`` an enhanced-search page holds about 1,000 field values (fewer
      issues than ``maxResults`` when many fields or a changelog are asked for), as Jira says a
      page "may" be shorter; follow ``nextPageToken``.
    - JQL: an unquoted reserved word (``sandbox.jql_words``: Jira's list) as a field or value is
      400 "Error in the JQL Query: 'SET' is a reserved JQL word. You must surround it in
      quotation marks to use it in a query. (line 1, character 11)". ``POST
      /rest/api/{2,3}/jql/parse?validation=strict|warn|none`` answers ``{"queries": [{"query",
      "structure"} | {"query", "errors"}, "warnings"?]}`` in Jira's words.
    - Rate limits: 429 with integer ``Retry-After`` and ``X-RateLimit-*``/``RateLimit-Reason``.
    - Errors: ``{"errorMessages": [...], "errors": {...}}``. A 401 for bad credentials is plain
      text on Cloud ("Client must be authenticated to access this resource."), or
      ``{"message", "status-code": 401}`` with ``site.unauthorized_shape = "json"``; Data
      Center keeps ``errorMessages``.
    - Other Cloud shapes: ``serverInfo.defaultLocale``, ``issuetype.entityId`` (a stable UUID),
      ``untranslatedName`` on custom fields in ``/field``.

Fidelity options (``Sandbox(...)`` keywords and ``configure(...)`` / ``PUT /config``)
    ``jira_email_privacy`` ("some" | "all" | "none"; default ``$SANDBOX_JIRA_EMAIL_PRIVACY`` or
    "some", so ``SANDBOX_JIRA_EMAIL_PRIVACY=all pytest tests/sync`` runs a whole suite with every
    e-mail hidden), ``short_pages`` (bool, both systems).
    ``tests/fidelity/compare.py`` scores the sandbox against recorded real responses.

Admin surface (``SANDBOX_ADMIN_URL``): see ``sandbox.admin``. In process, the same controls are
methods of ``Sandbox`` (``issue_token``, ``expire_tokens``, ``requests``, ``clear_requests``,
``faults.add``, ``configure``, ``add_ticket``, ``world.set_health``, ``world.transition``,
``state``, ``escalations``, ``clock.advance``); hold ``Sandbox.lock`` to read ``org``/``site``.
"""

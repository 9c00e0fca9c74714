"""Outgoing mail, the whole path and its tables, one module per step:

    mailer → render → compose → sign → queue ─ runner → transport ─→ remote server
                                               │          (checks: the send test)
    intake (a bounce report) → bounces ────────┘

- ``mailer``: the one entry the helpdesk uses (automations, relay, postmaster, accounts):
  a person, a template and its context in, a queued message out.
- ``render``: templates (sandboxed Jinja2, ``mailtemplates/``) and the admin's appearance
  around them, text and HTML from one source.
- ``compose``: MIME bytes with our Message-ID, threading, RFC 3834 and loop headers.
- ``sign``: DKIM (the last edit of a message), its keys and the DNS records to publish.
- ``queue``: the outgoing queue in the database (enqueue, suppress, purge) and how a
  message's status follows from its recipients'.
- ``runner``: the queue runner: claims due mail, sends it, records each attempt, schedules
  the retry or gives up (Mailman's word: one runner per queue).
- ``transport``: the SMTP client: where a recipient's mail goes (smarthost or MX) and one
  session that carries it.  It knows nothing of the queue.
- ``bounces``: a bounce report for our mail marks its recipients bounced.
- ``checks``: the send test of ``appliance outbound test`` and the panel.
- ``settings``: what a run reads of the settings and the ini, as one typed value.
- ``models``: the ``Outgoing*`` tables.

Below this package: the helpdesk's data (``helpdesk.models``, ``settingstore``,
``context``, ``sandbox``) and the shared bottom; nothing here imports the helpdesk's flow
(intake, automations, relay), the web panel or the CLI, and ``appliance.mta`` (inbound)
imports nothing from here.
"""

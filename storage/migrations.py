"""Forward-only schema migrations, applied in order and tracked in ``PRAGMA user_version``.

Migration N brings a database from version N-1 to version N. Never edit a migration that
has shipped: add a new one at the end of :data:`MIGRATIONS` instead.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.keylike import sql_keylike


@dataclass(frozen=True)
class Migration:
    version: int
    description: str
    script: str  # SQL statements; run inside one transaction together with the version bump
    # A table other tables reference is rebuilt (SQLite cannot drop a constraint): run with
    # foreign keys off and check them before committing, as SQLite's docs prescribe.
    rebuilds_tables: bool = False


_V1_CORE_TABLES = """
CREATE TABLE profiles (
    user_id           INTEGER PRIMARY KEY,
    lang              TEXT    NOT NULL DEFAULT 'fa',
    last_sender       TEXT,
    last_sender_label TEXT,
    last_selections   TEXT    NOT NULL DEFAULT '[]',   -- JSON list of PhonebookSelection
    updated_at        TEXT    NOT NULL
);

CREATE TABLE api_keys (
    user_id      INTEGER PRIMARY KEY,
    token        TEXT    NOT NULL,   -- Fernet token of {"owner": user_id, "key": api_key}
    hint         TEXT    NOT NULL,   -- "••••" + last 4 characters
    account_name TEXT,
    updated_at   TEXT    NOT NULL
);

CREATE TABLE drafts (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    owner_id     INTEGER NOT NULL,
    sender       TEXT,
    sender_label TEXT,
    selections   TEXT    NOT NULL DEFAULT '[]',       -- JSON list of PhonebookSelection
    text         TEXT    NOT NULL DEFAULT '',
    send_at      TEXT,                                -- ISO-8601 UTC, NULL means "now"
    step         TEXT    NOT NULL,
    version      INTEGER NOT NULL DEFAULT 1,
    created_at   TEXT    NOT NULL,
    updated_at   TEXT    NOT NULL
);
CREATE INDEX drafts_by_owner ON drafts (owner_id, updated_at);

CREATE TABLE approval_requests (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    draft_id     INTEGER NOT NULL,   -- no FK: the request outlives its draft
    requester_id INTEGER NOT NULL,
    snapshot     TEXT    NOT NULL,   -- JSON, immutable
    content_hash TEXT    NOT NULL,
    state        TEXT    NOT NULL CHECK (state IN
                     ('pending', 'approved', 'rejected', 'expired', 'withdrawn')),
    created_at   TEXT    NOT NULL,
    expires_at   TEXT    NOT NULL,
    decided_by   INTEGER,
    decided_at   TEXT,
    reason       TEXT
);
CREATE INDEX requests_by_draft ON approval_requests (draft_id, state);

CREATE TABLE request_messages (
    request_id INTEGER NOT NULL REFERENCES approval_requests (id) ON DELETE CASCADE,
    chat_id    INTEGER NOT NULL,
    message_id INTEGER NOT NULL,
    PRIMARY KEY (request_id, chat_id, message_id)
) WITHOUT ROWID;

CREATE TABLE broadcasts (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    request_id   INTEGER UNIQUE REFERENCES approval_requests (id),  -- one send per approval
    requester_id INTEGER NOT NULL,
    approver_id  INTEGER,
    snapshot     TEXT    NOT NULL,
    state        TEXT    NOT NULL CHECK (state IN
                     ('sending', 'sent', 'failed', 'unknown', 'cancelled')),
    outbox_ids   TEXT    NOT NULL DEFAULT '[]',
    error        TEXT,
    attempts     INTEGER NOT NULL DEFAULT 1,
    created_at   TEXT    NOT NULL,
    updated_at   TEXT    NOT NULL
);

CREATE TABLE audit_log (
    id       INTEGER PRIMARY KEY AUTOINCREMENT,
    at       TEXT    NOT NULL,
    actor_id INTEGER,
    action   TEXT    NOT NULL,
    subject  TEXT,
    detail   TEXT                -- JSON object or NULL
);
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only');
END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only');
END;
"""

_V2_PERSISTENCE_AND_INDEXES = """
-- python-telegram-bot persistence (conversations, user/chat/bot data, callback data).
CREATE TABLE persistence (
    namespace  TEXT NOT NULL,
    key        TEXT NOT NULL,
    value      TEXT NOT NULL,   -- tagged JSON, see storage/codec.py
    updated_at TEXT NOT NULL,
    PRIMARY KEY (namespace, key)
) WITHOUT ROWID;

-- At most one pending request per draft. Version 1 did not enforce this, so keep only the
-- newest pending request of each draft before adding the constraint.
UPDATE approval_requests
   SET state = 'withdrawn', reason = COALESCE(reason, 'superseded')
 WHERE state = 'pending'
   AND id NOT IN (SELECT MAX(id) FROM approval_requests
                   WHERE state = 'pending' GROUP BY draft_id);
CREATE UNIQUE INDEX requests_one_pending_per_draft
    ON approval_requests (draft_id) WHERE state = 'pending';

CREATE INDEX requests_pending_by_expiry ON approval_requests (expires_at) WHERE state = 'pending';
CREATE INDEX requests_by_decider ON approval_requests (decided_by, decided_at);
CREATE INDEX broadcasts_by_requester ON broadcasts (requester_id, created_at);
CREATE INDEX broadcasts_by_approver ON broadcasts (approver_id, created_at);
CREATE INDEX broadcasts_by_state ON broadcasts (state);
CREATE INDEX audit_log_by_actor ON audit_log (actor_id, id);
"""

_V3_MONEY_GUARDS = """
-- A direct send (approvals off) is keyed by its draft id and version, so a second tap,
-- even after a restart, finds the first row instead of sending again.
ALTER TABLE broadcasts ADD COLUMN direct_key TEXT;
CREATE UNIQUE INDEX broadcasts_one_per_direct_key
    ON broadcasts (direct_key) WHERE direct_key IS NOT NULL;

-- A provider row (outbox id) found by reconcile belongs to exactly one broadcast.
CREATE TABLE outbox_claims (
    outbox_id    INTEGER PRIMARY KEY,
    broadcast_id INTEGER NOT NULL REFERENCES broadcasts (id),
    claimed_at   TEXT    NOT NULL
);
"""

_NOW = "strftime('%Y-%m-%dT%H:%M:%f', 'now') || '000+00:00'"
_REASON = "json_extract(detail, '$.reason')"
_REDACTED = "'[redacted]'"

# A key pasted as a reject reason was stored in clear, in the request and in the audit log.
# The audit log's append-only trigger is lifted for this one UPDATE (inside the migration's
# transaction) and put back exactly as it was; the redaction itself is audited.
_V4_SCRUB_KEYS_AND_STRANGER_COUNTS = f"""
INSERT INTO audit_log (at, actor_id, action, subject, detail)
SELECT {_NOW}, NULL, 'key_like_reasons_redacted', NULL, NULL
 WHERE EXISTS (SELECT 1 FROM approval_requests WHERE reason IS NOT NULL AND {sql_keylike("reason")})
    OR EXISTS (SELECT 1 FROM audit_log WHERE json_valid(detail)
                  AND json_type(detail, '$.reason') = 'text' AND {sql_keylike(_REASON)});
UPDATE approval_requests SET reason = {_REDACTED}
 WHERE reason IS NOT NULL AND {sql_keylike("reason")};
DROP TRIGGER audit_log_no_update;
UPDATE audit_log SET detail = json_set(detail, '$.reason', {_REDACTED})
 WHERE json_valid(detail) AND json_type(detail, '$.reason') = 'text' AND {sql_keylike(_REASON)};
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only');
END;

-- The strangers' audit: one row per stranger per day with a count (not in audit_log, whose
-- rows nobody can delete: anyone may write to the bot).
CREATE TABLE stranger_days (
    user_id    INTEGER NOT NULL,
    day        TEXT    NOT NULL,   -- UTC date, YYYY-MM-DD
    count      INTEGER NOT NULL DEFAULT 0,
    first_kind TEXT    NOT NULL,   -- message, command, callback, other
    PRIMARY KEY (user_id, day)
) WITHOUT ROWID;
"""

# team rules: saved texts (shared by the team) and the credit watch. Broadcast costs live in
# their own table rather than a column of broadcasts, so the send path stays untouched: the
# credit watch writes one row per broadcast after the send, from the provider's price.
_V5_SAVED_TEXTS_AND_CREDIT_WATCH = """
CREATE TABLE saved_texts (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    name       TEXT    NOT NULL,
    name_key   TEXT    NOT NULL UNIQUE,   -- casefolded name: one text per name
    text       TEXT    NOT NULL,
    saved_by   INTEGER NOT NULL,
    saved_name TEXT,                      -- the saver's first name at save time
    created_at TEXT    NOT NULL,
    updated_at TEXT    NOT NULL
);
CREATE INDEX saved_texts_newest ON saved_texts (created_at, id);

-- What the watch last told each key's owner, so a crossing or a failure is told once,
-- across restarts. key_stamp is api_keys.updated_at: a new key starts a fresh record.
CREATE TABLE credit_watch (
    user_id     INTEGER PRIMARY KEY,
    key_stamp   TEXT    NOT NULL,
    low_told    INTEGER NOT NULL DEFAULT 0,   -- 1 while credit stays below the threshold
    failure     TEXT,                         -- 'auth' or 'error' once told; NULL when fine
    credit      REAL,
    threshold   REAL,
    checked_at  TEXT
);

CREATE TABLE broadcast_costs (
    broadcast_id  INTEGER PRIMARY KEY,        -- broadcasts.id; one estimate per send
    owner_id      INTEGER NOT NULL,           -- whose key paid
    per_recipient REAL    NOT NULL,
    recipients    INTEGER NOT NULL,
    cost          REAL    NOT NULL,
    sent_at       TEXT    NOT NULL            -- the broadcast's created_at
);
CREATE INDEX broadcast_costs_by_owner ON broadcast_costs (owner_id, sent_at);
"""

# screens: people by name. The gate records each admin's first name and @username as
# Telegram last showed them, so /history and the cards can name people who have not
# written since a restart.
_V6_PROFILE_NAMES = """
ALTER TABLE profiles ADD COLUMN first_name TEXT;
ALTER TABLE profiles ADD COLUMN username TEXT;
"""

# test SMS to one's own phone: the number Telegram vouched for (a shared own contact), and
# one row per test send, written before its POST. The limit per text is counted from these
# rows in the same statement that adds one, so no restart or double tap can pass it.
_V7_TEST_SENDS = """
ALTER TABLE profiles ADD COLUMN test_phone TEXT;   -- E.164, personal data: never logged in full

CREATE TABLE test_sends (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    owner_id      INTEGER NOT NULL,   -- who asked, whose key paid
    draft_id      INTEGER NOT NULL,   -- no FK: the record outlives its draft
    draft_version INTEGER NOT NULL,
    content_hash  TEXT    NOT NULL,   -- sha256 of sender line and exact final text
    sender        TEXT    NOT NULL,
    recipient     TEXT    NOT NULL,
    message       TEXT    NOT NULL,
    state         TEXT    NOT NULL CHECK (state IN ('sending', 'sent', 'failed', 'unknown')),
    outbox_ids    TEXT    NOT NULL DEFAULT '[]',
    error         TEXT,
    created_at    TEXT    NOT NULL,
    updated_at    TEXT    NOT NULL
);
CREATE INDEX test_sends_by_text ON test_sends (draft_id, content_hash);
CREATE INDEX test_sends_by_owner ON test_sends (owner_id, created_at);
"""

# approval rules: a request needs approvals_needed distinct approvals, fixed when it is
# submitted (a later change of APPROVAL_RULES never changes a pending request). Existing
# requests keep needing one. One row per person per request: the primary key is what makes
# "one person counts once" hold even against two presses at the same moment.
_V8_APPROVAL_RULES = """
ALTER TABLE approval_requests
    ADD COLUMN approvals_needed INTEGER NOT NULL DEFAULT 1 CHECK (approvals_needed >= 1);
-- the rule that set approvals_needed, as written (NULL: the default of one)
ALTER TABLE approval_requests ADD COLUMN approval_rule TEXT;
-- 1: the price was unknown at submit, so the strictest cost rule applied
ALTER TABLE approval_requests ADD COLUMN cost_unknown INTEGER NOT NULL DEFAULT 0;
-- JSON cost and credit at submit, so a redrawn card still shows them
ALTER TABLE approval_requests ADD COLUMN money TEXT;

CREATE TABLE approvals (
    request_id  INTEGER NOT NULL REFERENCES approval_requests (id) ON DELETE CASCADE,
    approver_id INTEGER NOT NULL,
    at          TEXT    NOT NULL,
    PRIMARY KEY (request_id, approver_id)
) WITHOUT ROWID;
"""

# words: one public number per broadcast, shown to people on every card, result, report
# and /history line. It is allocated when a draft is submitted (the request's number) or
# sent directly (approvals off), and a request's broadcast carries its request's number.
# Existing rows: a request keeps its id; its broadcast takes the request's number; a
# broadcast without a request gets a number past every request id, so none collide.
_V9_PUBLIC_NUMBERS = """
ALTER TABLE approval_requests ADD COLUMN public_no INTEGER;
ALTER TABLE broadcasts ADD COLUMN public_no INTEGER;
UPDATE approval_requests SET public_no = id;
UPDATE broadcasts SET public_no = request_id WHERE request_id IS NOT NULL;
UPDATE broadcasts
   SET public_no = id + COALESCE((SELECT MAX(id) FROM approval_requests), 0)
 WHERE request_id IS NULL;
CREATE UNIQUE INDEX requests_by_public_no ON approval_requests (public_no);
CREATE INDEX broadcasts_by_public_no ON broadcasts (public_no);
"""

# gradual sending: a draft remembers its batch size and interval; a plan's batches are
# broadcast rows of their own, numbered per request (batch_no 0 is an ordinary send), so
# UNIQUE(request_id) becomes UNIQUE(request_id, batch_no). SQLite cannot drop a column's
# UNIQUE, so the table is rebuilt; outbox_claims references broadcasts(id), hence the
# deferred foreign keys (checked at commit, when the rebuilt table has every id again).
# plan_key groups a plan's rows (approved or direct) and keeps each batch single.
_V10_GRADUAL_SENDING = """
ALTER TABLE drafts ADD COLUMN gradual TEXT;   -- JSON {"batch": n, "every": minutes} or NULL
CREATE TABLE broadcasts_v10 (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    request_id   INTEGER REFERENCES approval_requests (id),
    requester_id INTEGER NOT NULL,
    approver_id  INTEGER,
    snapshot     TEXT    NOT NULL,
    state        TEXT    NOT NULL CHECK (state IN
                     ('sending', 'sent', 'failed', 'unknown', 'cancelled')),
    outbox_ids   TEXT    NOT NULL DEFAULT '[]',
    error        TEXT,
    attempts     INTEGER NOT NULL DEFAULT 1,
    created_at   TEXT    NOT NULL,
    updated_at   TEXT    NOT NULL,
    direct_key   TEXT,
    batch_no     INTEGER NOT NULL DEFAULT 0,   -- 0: a single send; 1..n: a plan's batch
    plan_key     TEXT,                         -- 'r<request>' or 'd<draft>:<version>'
    public_no    INTEGER,                      -- the number people see (v9)
    UNIQUE (request_id, batch_no)              -- one send per approval, one row per batch
);
INSERT INTO broadcasts_v10 (id, request_id, requester_id, approver_id, snapshot, state,
                           outbox_ids, error, attempts, created_at, updated_at, direct_key,
                           public_no)
SELECT id, request_id, requester_id, approver_id, snapshot, state,
       outbox_ids, error, attempts, created_at, updated_at, direct_key, public_no
  FROM broadcasts;
DROP TABLE broadcasts;
ALTER TABLE broadcasts_v10 RENAME TO broadcasts;
CREATE UNIQUE INDEX broadcasts_one_per_direct_key
    ON broadcasts (direct_key) WHERE direct_key IS NOT NULL;
CREATE UNIQUE INDEX broadcasts_one_per_batch
    ON broadcasts (plan_key, batch_no) WHERE plan_key IS NOT NULL;
CREATE INDEX broadcasts_by_requester ON broadcasts (requester_id, created_at);
CREATE INDEX broadcasts_by_approver ON broadcasts (approver_id, created_at);
CREATE INDEX broadcasts_by_state ON broadcasts (state);
CREATE INDEX broadcasts_by_public_no ON broadcasts (public_no);
"""

# lifecycle: a plan's state lives with its batches, not in the conversation persistence
# table, and changes in the same transaction as the batch row that changes it. Existing
# plans keep their state: a "cancelled by a person" mark (persistence namespace
# 'plan_halted') becomes state 'halted'; a plan with a batch not certainly sent is
# 'stopped' there; every batch posted and sent is 'done'; otherwise it was cut off between
# two batches and is 'running' (resumed at start-up). A batch moved by "continue from now"
# keeps its own time in broadcasts.send_at (NULL: the approved plan's time).
_V11_PLAN_STATE = """
CREATE TABLE plans (
    plan_key   TEXT    PRIMARY KEY,   -- broadcasts.plan_key
    state      TEXT    NOT NULL CHECK (state IN ('running', 'stopped', 'halted', 'done')),
    batches    INTEGER NOT NULL,      -- batches in the approved plan
    at_batch   INTEGER,               -- stopped: the batch that stopped it
    reason     TEXT,                  -- a code: failed, unknown, cancelled, late, halted
    halted_by  INTEGER,               -- who cancelled the rest (NULL: not known)
    shift_s    INTEGER NOT NULL DEFAULT 0,  -- "continue from now": seconds added to the
                                            -- times of batches not posted yet
    updated_at TEXT    NOT NULL
) WITHOUT ROWID;
ALTER TABLE broadcasts ADD COLUMN send_at TEXT;

-- the plan cards shown to people, so they are edited in place when the plan changes
CREATE TABLE plan_messages (
    plan_key   TEXT    NOT NULL,
    chat_id    INTEGER NOT NULL,
    message_id INTEGER NOT NULL,
    PRIMARY KEY (plan_key, chat_id, message_id)
) WITHOUT ROWID;

INSERT INTO plans (plan_key, state, batches, at_batch, reason, halted_by, updated_at)
SELECT b.plan_key,
       CASE
         WHEN h.key IS NOT NULL THEN 'halted'
         WHEN SUM(b.state <> 'sent') > 0 THEN 'stopped'
         WHEN COUNT(*) >= MAX(json_array_length(b.snapshot, '$.plan.batches')) THEN 'done'
         ELSE 'running'
       END,
       COALESCE(MAX(json_array_length(b.snapshot, '$.plan.batches')), COUNT(*)),
       MIN(CASE WHEN b.state <> 'sent' THEN b.batch_no END),
       CASE
         WHEN h.key IS NOT NULL THEN 'halted'
         WHEN SUM(b.state <> 'sent') > 0 THEN
              (SELECT x.state FROM broadcasts x WHERE x.plan_key = b.plan_key
                  AND x.state <> 'sent' ORDER BY x.batch_no LIMIT 1)
       END,
       CASE WHEN h.key IS NOT NULL AND json_valid(h.value)
                 AND json_extract(h.value, '$') LIKE 'cancelled by %'
            THEN CAST(substr(json_extract(h.value, '$'), 14) AS INTEGER) END,
       strftime('%Y-%m-%dT%H:%M:%f', 'now') || '000+00:00'
  FROM broadcasts b
  LEFT JOIN persistence h ON h.namespace = 'plan_halted' AND h.key = b.plan_key
 WHERE b.plan_key IS NOT NULL
 GROUP BY b.plan_key;
DELETE FROM persistence WHERE namespace = 'plan_halted';
"""

# campaign guardrails (#22): the follow-up after a send, scheduled in the store so a restart
# neither loses nor repeats it. One row per send (a single broadcast "b<id>", or a plan by
# its plan key); the compare-and-set from 'due' to 'sent' or 'skipped' makes it once.
_V12_FOLLOW_UPS = """
CREATE TABLE follow_ups (
    send_key   TEXT    PRIMARY KEY,
    public_no  INTEGER NOT NULL,
    due_at     TEXT    NOT NULL,
    state      TEXT    NOT NULL DEFAULT 'due' CHECK (state IN ('due', 'sent', 'skipped')),
    done_at    TEXT
) WITHOUT ROWID;
CREATE INDEX follow_ups_due ON follow_ups (state, due_at);
"""

# a year of use (#23): no query the bot runs reads a table that only grows from end to end.
# The last audit row of a subject (a cancel pressed twice) is found by subject; /history,
# the credit watch and the pruning job read an admin's or a period's rows from an index;
# an unknown send stops being polled after a while (``given_up_at``, it stays unknown and
# is told to a person once); and the provider rows a send returned are a table of their
# own, kept by triggers, so "is this outbox id owned?" is one index look-up instead of
# ``broadcasts × json_each(outbox_ids)``.
_V13_A_YEAR_OF_USE = """
CREATE INDEX audit_log_by_subject ON audit_log (subject, id) WHERE subject IS NOT NULL;

DROP INDEX broadcasts_by_requester;
DROP INDEX broadcasts_by_approver;
DROP INDEX broadcasts_by_state;
CREATE INDEX broadcasts_by_requester ON broadcasts (requester_id, created_at, batch_no);
CREATE INDEX broadcasts_by_approver ON broadcasts (approver_id, created_at, batch_no);
CREATE INDEX broadcasts_by_state ON broadcasts (state, created_at);
ALTER TABLE broadcasts ADD COLUMN given_up_at TEXT;   -- unknown: polling stopped then
CREATE INDEX broadcasts_unknown_polled ON broadcasts (created_at)
    WHERE state = 'unknown' AND given_up_at IS NULL;

CREATE INDEX plans_by_state ON plans (state, updated_at);
CREATE INDEX drafts_by_age ON drafts (updated_at);
CREATE INDEX requests_by_decided_at ON approval_requests (decided_at, state);
CREATE INDEX test_sends_by_age ON test_sends (created_at);
CREATE INDEX test_sends_in_flight ON test_sends (state) WHERE state = 'sending';
-- the child side of a foreign key: without it every new broadcast row plans a scan
CREATE INDEX outbox_claims_by_broadcast ON outbox_claims (broadcast_id);

CREATE TABLE broadcast_outbox (
    outbox_id    INTEGER NOT NULL,
    broadcast_id INTEGER NOT NULL,
    PRIMARY KEY (outbox_id, broadcast_id)
) WITHOUT ROWID;
CREATE INDEX broadcast_outbox_by_broadcast ON broadcast_outbox (broadcast_id);
INSERT OR IGNORE INTO broadcast_outbox (outbox_id, broadcast_id)
SELECT CAST(j.value AS INTEGER), b.id FROM broadcasts b, json_each(b.outbox_ids) j;
CREATE TRIGGER broadcasts_outbox_insert AFTER INSERT ON broadcasts
WHEN NEW.outbox_ids <> '[]'
BEGIN
    INSERT OR IGNORE INTO broadcast_outbox (outbox_id, broadcast_id)
    SELECT CAST(value AS INTEGER), NEW.id FROM json_each(NEW.outbox_ids);
END;
CREATE TRIGGER broadcasts_outbox_update AFTER UPDATE OF outbox_ids ON broadcasts
WHEN NEW.outbox_ids IS NOT OLD.outbox_ids
BEGIN
    DELETE FROM broadcast_outbox WHERE broadcast_id = NEW.id;
    INSERT OR IGNORE INTO broadcast_outbox (outbox_id, broadcast_id)
    SELECT CAST(value AS INTEGER), NEW.id FROM json_each(NEW.outbox_ids);
END;
"""

# Test SMS outbox ids are owned like a broadcast's (never evidence for another send): a
# mirror table kept by triggers, as for broadcasts; and the lookups of reconciliation and
# of the test-send rules (in flight, same text near a time) by index, not by scan.
_V14_TEST_SEND_OUTBOX = """
CREATE TABLE test_send_outbox (
    outbox_id    INTEGER NOT NULL,
    test_send_id INTEGER NOT NULL,
    PRIMARY KEY (outbox_id, test_send_id)
) WITHOUT ROWID;
INSERT OR IGNORE INTO test_send_outbox (outbox_id, test_send_id)
SELECT CAST(j.value AS INTEGER), t.id FROM test_sends t, json_each(t.outbox_ids) j;
CREATE TRIGGER test_sends_outbox_update AFTER UPDATE OF outbox_ids ON test_sends
WHEN NEW.outbox_ids IS NOT OLD.outbox_ids
BEGIN
    DELETE FROM test_send_outbox WHERE test_send_id = NEW.id;
    INSERT OR IGNORE INTO test_send_outbox (outbox_id, test_send_id)
    SELECT CAST(value AS INTEGER), NEW.id FROM json_each(NEW.outbox_ids);
END;
CREATE INDEX test_sends_by_state ON test_sends (state);
CREATE INDEX test_sends_by_line_text ON test_sends (content_hash, created_at);
"""

# One name per feature (issue 20): the test SMS is "trial" and gradual sending is "plan" in
# the tables too. RENAME keeps every row and SQLite (>= 3.25, legacy_alter_table off) rewrites
# the references in the trigger's body; the trigger and the indexes are recreated only so that
# their own names say the same.
_V15_ONE_NAME_PER_FEATURE = """
DROP TRIGGER test_sends_outbox_update;
DROP INDEX test_sends_by_text;
DROP INDEX test_sends_by_owner;
DROP INDEX test_sends_by_age;
DROP INDEX test_sends_in_flight;
DROP INDEX test_sends_by_state;
DROP INDEX test_sends_by_line_text;
ALTER TABLE test_sends RENAME TO trial_sends;
ALTER TABLE test_send_outbox RENAME TO trial_send_outbox;
ALTER TABLE trial_send_outbox RENAME COLUMN test_send_id TO trial_send_id;
ALTER TABLE profiles RENAME COLUMN test_phone TO trial_phone;
ALTER TABLE drafts RENAME COLUMN gradual TO plan;
CREATE TRIGGER trial_sends_outbox_update AFTER UPDATE OF outbox_ids ON trial_sends
WHEN NEW.outbox_ids IS NOT OLD.outbox_ids
BEGIN
    DELETE FROM trial_send_outbox WHERE trial_send_id = NEW.id;
    INSERT OR IGNORE INTO trial_send_outbox (outbox_id, trial_send_id)
    SELECT CAST(value AS INTEGER), NEW.id FROM json_each(NEW.outbox_ids);
END;
CREATE INDEX trial_sends_by_text ON trial_sends (draft_id, content_hash);
CREATE INDEX trial_sends_by_owner ON trial_sends (owner_id, created_at);
CREATE INDEX trial_sends_by_age ON trial_sends (created_at);
CREATE INDEX trial_sends_in_flight ON trial_sends (state) WHERE state = 'sending';
CREATE INDEX trial_sends_by_state ON trial_sends (state);
CREATE INDEX trial_sends_by_line_text ON trial_sends (content_hash, created_at);
"""

# a year of use, part two (#23): what the bot reads on every approver's card and at
# start-up walks what is going out or still in flight, never the year behind it.
# ``goes_at``: when a row goes (or went) out, in Unix seconds and never before it was
# written: its own time (a moved batch), else its batch's or its snapshot's time, else its
# creation; the guardrails ask for the rows going out since a moment. ``started``: the
# request has a broadcast row (kept by a trigger), so "approved but never started" is
# read from a partial index of those alone. Seconds are read with strftime('%s', …), not
# unixepoch(), which needs SQLite 3.38 (Ubuntu 22.04's Python has 3.37).
_V16_SEND_TIMES = """
ALTER TABLE broadcasts ADD COLUMN goes_at INTEGER GENERATED ALWAYS AS (
    MAX(CAST(strftime('%s', created_at) AS INTEGER), COALESCE(
        CAST(strftime('%s', send_at) AS INTEGER),
        CASE WHEN json_valid(snapshot) THEN CAST(strftime('%s', COALESCE(
            CASE WHEN batch_no > 0
                THEN json_extract(snapshot, '$.plan.batches[' || (batch_no - 1) || '].send_at')
            END,
            json_extract(snapshot, '$.send_at')
        )) AS INTEGER) END,
        0
    ))
) VIRTUAL;
CREATE INDEX broadcasts_by_goes_at ON broadcasts (goes_at);

ALTER TABLE approval_requests ADD COLUMN started INTEGER NOT NULL DEFAULT 0;
UPDATE approval_requests SET started = 1
WHERE id IN (SELECT request_id FROM broadcasts WHERE request_id IS NOT NULL);
CREATE TRIGGER broadcasts_start_request AFTER INSERT ON broadcasts
WHEN NEW.request_id IS NOT NULL
BEGIN
    UPDATE approval_requests SET started = 1 WHERE id = NEW.request_id AND started = 0;
END;
CREATE INDEX requests_approved_unstarted ON approval_requests (id)
    WHERE state = 'approved' AND started = 0;
"""

MIGRATIONS: tuple[Migration, ...] = (
    Migration(1, "core tables and append-only audit log", _V1_CORE_TABLES),
    Migration(
        2,
        "persistence table, one pending request per draft, lookup indexes",
        _V2_PERSISTENCE_AND_INDEXES,
    ),
    Migration(
        3,
        "direct sends keyed by draft version; provider outbox ids claimed once",
        _V3_MONEY_GUARDS,
    ),
    Migration(
        4,
        "redact key-looking reject reasons; per-day stranger counts",
        _V4_SCRUB_KEYS_AND_STRANGER_COUNTS,
    ),
    Migration(
        5,
        "team rules: saved texts, credit watch state, broadcast costs",
        _V5_SAVED_TEXTS_AND_CREDIT_WATCH,
    ),
    Migration(6, "screens: first name and @username in profiles", _V6_PROFILE_NAMES),
    Migration(
        7,
        "test SMS: the owner's own mobile on the profile, test sends counted per text",
        _V7_TEST_SENDS,
    ),
    Migration(
        8,
        "approval rules: approvals needed per request, one approval row per person",
        _V8_APPROVAL_RULES,
    ),
    Migration(9, "words: one public number per broadcast", _V9_PUBLIC_NUMBERS),
    Migration(
        10,
        "gradual sending: draft batch settings; broadcast rows per plan batch",
        _V10_GRADUAL_SENDING,
        rebuilds_tables=True,
    ),
    Migration(11, "lifecycle: plan state stored with its batches", _V11_PLAN_STATE),
    Migration(12, "guardrails: follow-ups after a send, scheduled and sent once", _V12_FOLLOW_UPS),
    Migration(
        13,
        "a year of use: indexes, owned outbox ids, unknown sends given up",
        _V13_A_YEAR_OF_USE,
    ),
    Migration(14, "test SMS outbox ids owned; test-send lookups by index", _V14_TEST_SEND_OUTBOX),
    Migration(
        15,
        "one name per feature: trial_sends, profiles.trial_phone, drafts.plan",
        _V15_ONE_NAME_PER_FEATURE,
    ),
    Migration(
        16,
        "a year of use: send times by index, approved requests never started",
        _V16_SEND_TIMES,
    ),
)

SCHEMA_VERSION = MIGRATIONS[-1].version

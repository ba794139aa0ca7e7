#!/usr/bin/env python3
"""An independent reading of RunRecords.csv and `runrec stale`'s core rules.

Written from SCHEMA.md (sections 2, 5, 6 and 8.3) and docs/SCHEMA_EVOLUTION.md
("Annotations"), not from runrec's code, so that tests/stale_oracle_test.ts can
compare the two. Standard library only.

    stale_oracle.py records <RunRecords.csv>   the file's records, decoded (JSON)
    stale_oracle.py stale <del-dir>...         each agent's baseline and verdict (JSON)
    stale_oracle.py propagate <root>           `stale --propagate`'s STALE and RETIRED entries,
                                               cycles, warnings and exit code (JSON)
    stale_oracle.py propagate-alone <root> ID  one deliverable named alone (JSON)
    stale_oracle.py log <target>... [options]  `log`'s table or `--format md` (text)

`propagate` and `log` follow docs/TUTORIAL.md ("Which deliverables are out of date") and
`stale --help` / `log --help`; tests/propagate_oracle_test.ts compares them.

What it covers of `stale` (the rest it leaves out; the test compares only this):
the baseline (latest SUCCESS or PARTIAL run by RunTimestamp, then the later end,
then the checksum that sorts last; NO_BASELINE when two stamped and ended alike
read other inputs), annotations (invalidates, supersedes, withdrawals), the
governed inputs (InputFiles, _REFERENCES.md and the local files it lists, resolved
against the deliverable folder), the `_REFERENCES.md` edit of its ContentHash lines
only that keeps the same references (a note), inputs the baseline wrote itself, and the outputs rule: an
output whose bytes are another good run's of the same agent (that run wrote after
the baseline, or overlapped it) has that run's inputs compared too (`since`).
Folders given as inputs are walked again. It does not cover `_STATUS.md` lifecycle
edits, URLs' notes, copies, line-ending reasons, unreadable files (every file here is
readable or absent) or `--propagate`.
"""

import csv
import hashlib
import io
import json
import os
import re
import sys
from datetime import datetime, timezone

COLUMNS = (
    "SchemaVersion,RunID,DeliverableID,AgentName,AgentType,RunTimestamp,RunDuration,RunStatus,"
    "RunPassDirective,InputContextSHA,InputFiles,OutputFiles,StatusBefore,StatusAfter,ErrorSummary,"
    "Notes,InputHashes,OutputHashes,GitHead,Host,RecordChecksum"
).split(",")
LISTS = {"InputFiles", "OutputFiles"}
HASHES = {"InputHashes", "OutputHashes"}
ANNOTATOR = "RUNREC_ANNOTATE"
GOOD = {"SUCCESS", "PARTIAL"}
REFERENCES = "_REFERENCES.md"


# --- The codec (SCHEMA.md 6.2) -------------------------------------------------------------


def unescape(text):
    """Replaces each %XX by the character U+00XX."""
    return re.sub(r"%([0-9A-F]{2})", lambda m: chr(int(m.group(1), 16)), text)


def decode_field(name, raw):
    if name in LISTS:
        return [unescape(item) for item in raw.split(";")] if raw else []
    if name in HASHES:
        pairs = {}
        for pair in raw.split(";") if raw else []:
            key, _, value = pair.partition("=")
            pairs[unescape(key)] = value
        return pairs
    return unescape(raw)


def read_records(path):
    """The file's valid v1.0 records, each once (a repeated line is one record), with its line."""
    with open(path, "rb") as f:
        data = f.read()
    records, seen = [], set()
    for number, raw in enumerate(data.split(b"\n"), start=1):
        if raw.endswith(b"\r"):
            raw = raw[:-1]
        if not raw.startswith(b"v1.0,RUN-") or raw in seen:
            continue
        head, _, checksum = raw.rpartition(b",")
        if hashlib.sha256(head).hexdigest() != checksum.decode("ascii", "replace"):
            continue
        seen.add(raw)
        [cells] = list(csv.reader(io.StringIO(raw.decode("utf-8"), newline="")))
        if len(cells) != len(COLUMNS):
            continue
        record = {name: decode_field(name, cell) for name, cell in zip(COLUMNS, cells)}
        records.append({"record": record, "line": number})
    return records


# --- Times (SCHEMA.md 2.1, RunTimestamp and RunDuration) -----------------------------------


def start_ns(record):
    m = re.fullmatch(r"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?Z", record["RunTimestamp"])
    seconds = datetime.strptime(m.group(1), "%Y-%m-%dT%H:%M:%S").replace(tzinfo=timezone.utc)
    fraction = (m.group(2) or "").ljust(9, "0")
    return int(seconds.timestamp()) * 10**9 + int(fraction)


def duration_ns(record):
    m = re.fullmatch(
        r"P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)(?:\.(\d{1,3}))?S)?)?",
        record["RunDuration"],
    )
    days, hours, minutes, seconds = (int(g or 0) for g in m.groups()[:4])
    millis = int((m.group(5) or "").ljust(3, "0"))
    total_ms = (((days * 24 + hours) * 60 + minutes) * 60 + seconds) * 1000 + millis
    return total_ms * 10**6


def end_ns(record):
    return start_ns(record) + duration_ns(record)


# --- Annotations (docs/SCHEMA_EVOLUTION.md) ------------------------------------------------

ANNOTATION = re.compile(r"annotates=(RUN-[0-9A-Z-]+); (?:(invalidates)|supersedes=(RUN-[0-9A-Z-]+)); note=")
RECORD_NOTE = re.compile(r"(?<!\(note\) )record (RUN-[0-9A-Z-]+) checksum ([0-9a-f]{16,64})")


def annotation_effects(records):
    """(invalidated, superseded): for each record's index, the RunIDs of what marks it."""
    annotations = []
    for index, entry in enumerate(records):
        r = entry["record"]
        if r["AgentName"] != ANNOTATOR:
            continue
        m = ANNOTATION.match(r["Notes"])
        if not m:
            continue
        targets = dict(RECORD_NOTE.findall(r["Notes"][m.end():]))
        annotations.append({
            "index": index,
            "id": r["RunID"],
            "subject": m.group(1),
            "invalidates": m.group(2) is not None,
            "old": m.group(3),
            "targets": targets,
        })

    def named(run_id, targets):
        """The indexes of the records an annotation names by RunID (and checksum, when it says)."""
        prefix = targets.get(run_id)
        return [
            i for i, e in enumerate(records)
            if e["record"]["RunID"] == run_id
            and (prefix is None or e["record"]["RecordChecksum"].startswith(prefix))
        ]

    applies = {}

    def applying(a, trail=()):
        # An annotation applies unless an annotation that applies invalidates it.
        if a["index"] in applies:
            return applies[a["index"]]
        if a["index"] in trail:
            return True
        result = True
        for other in annotations:
            marked = named(other["subject"], other["targets"])
            # One that names a RunID of several records alone withdraws none of them.
            if other["subject"] not in other["targets"] and len(marked) > 1:
                continue
            if other["invalidates"] and a["index"] in marked:
                if applying(other, trail + (a["index"],)):
                    result = False
                    break
        applies[a["index"]] = result
        return result

    invalidated, superseded = {}, {}
    for a in annotations:
        if not applying(a):
            continue
        if a["invalidates"]:
            for i in named(a["subject"], a["targets"]):
                invalidated.setdefault(i, []).append(a["id"])
        else:
            for i in named(a["old"], a["targets"]):
                superseded.setdefault(i, []).append(a["subject"])
    return invalidated, superseded


# --- Governed inputs (SCHEMA.md 5.1) -------------------------------------------------------

SUFFIXES = (".md", ".txt", ".csv", ".json", ".yml", ".yaml", ".py", ".ts", ".tsx", ".js", ".mjs")


def looks_like_path(text):
    return (
        text.startswith(("./", "../", "/", "~")) or "/" in text or text.endswith(SUFFIXES)
    )


def referenced(text):
    """The local paths and the URLs a _REFERENCES.md lists, as written."""
    paths, urls = [], []
    for line in text.split("\n"):
        stripped = line.strip()
        if not re.match(r"[-*+] ", stripped):
            continue
        body = stripped[2:].strip()
        found = None
        link = re.search(r"\[[^\]]*\]\(([^)]*)\)", body)
        if link:
            found = link.group(1)
        else:
            for code in re.findall(r"`([^`]*)`", body):
                if looks_like_path(code):
                    found = code
                    break
            if found is None:
                words = body.split()
                if words and (looks_like_path(words[0]) or re.match(r"[a-z][a-z0-9+.-]*:", words[0])):
                    found = words[0]
        if found is None:
            continue
        found = found.rstrip(".,;")
        if re.match(r"[A-Za-z][A-Za-z0-9+.-]*:", found):
            urls.append(found)
            continue
        found = re.split(r"[#?]", found)[0]
        if found and found not in ("TBD", "location TBD"):
            paths.append(found)
    return paths, urls


def normal(path):
    return os.path.normpath(path).replace(os.sep, "/")


INPUT_FOLDER = re.compile(r'(?<!\(agent\) )input folder ("(?:[^"\\]|\\.)*")')


def input_folders(notes):
    """The folders a run was given as inputs, as its Notes name them (SCHEMA.md 5.2)."""
    found = []
    for quoted in INPUT_FOLDER.findall(notes):
        try:
            found.append(json.loads(quoted))
        except ValueError:
            pass  # free text that is not JSON is no such note
    return found


def files_beneath(folder, path):
    found = []
    for dirpath, dirnames, filenames in os.walk(os.path.join(folder, path)):
        dirnames[:] = [d for d in dirnames if d not in (".git", "node_modules")]
        for name in filenames:
            full = os.path.join(dirpath, name)
            # Every entry but a folder: a FIFO or a dangling link is governed and unreadable.
            found.append(normal(os.path.relpath(full, folder)))
    return found


def governed_now(folder, record):
    """The governed inputs a run with the baseline's InputFiles would have now."""
    paths = set()
    for path in record["InputFiles"]:
        # Worked out again as the run would now (`stale --help`): a folder stands for its files.
        if os.path.isdir(os.path.join(folder, path)) and not os.path.islink(os.path.join(folder, path)):
            paths.update(files_beneath(folder, path))
        else:
            paths.add(path)
    # A folder given as an input is walked again: a file added to it is governed now. One that
    # is a file now is that input, as a run given its name would read it.
    for path in input_folders(record["Notes"]):
        full = os.path.join(folder, path)
        if os.path.lexists(full) and not os.path.isdir(full):
            paths.add(normal(path))
        else:
            paths.update(files_beneath(folder, path))
    references = os.path.join(folder, REFERENCES)
    if os.path.isfile(references):
        paths.add(REFERENCES)
        with open(references, encoding="utf-8") as f:
            listed, _ = referenced(f.read())
        for path in (normal(p) for p in listed):
            # A referenced folder stands for the files beneath it (SCHEMA.md 5.1).
            full = os.path.join(folder, path)
            if os.path.isdir(full) and not os.path.islink(full):
                paths.update(files_beneath(folder, path))
            else:
                paths.add(path)
    return paths


def references_of(folder, text):
    listed, urls = referenced(text)
    return sorted({normal(p) for p in listed}), sorted(set(urls))


# Set by `--as-other`: the checker is another user, whom a file without read permission for
# others stops (the test runs runrec as user nobody then; root reads everything).
AS_OTHER = False
# What the rules beyond a plain hash comparison decided, counted for the test's tally.
NOTED = {}


def noted(what):
    NOTED[what] = NOTED.get(what, 0) + 1


def state_now(folder, path):
    """("hash", sha256) | ("missing", None) | ("unreadable", why) for a governed path now."""
    full = os.path.join(folder, path)
    try:
        os.lstat(full)
    except (FileNotFoundError, NotADirectoryError):
        return ("missing", None)
    except OSError as error:
        # A folder on the way that is a link loop: cannot be read now (TUTORIAL "Unreadable").
        return ("unreadable", {40: "loop", 13: "permission"}.get(error.errno, str(error.errno)))
    if os.path.islink(full):
        try:
            os.stat(full)
        except OSError as error:
            return ("unreadable", "loop" if error.errno == 40 else "dangling")
    if not os.path.isfile(full):
        return ("unreadable", "not regular")
    if AS_OTHER and not os.stat(full).st_mode & 0o004:
        return ("unreadable", "permission")
    with open(full, "rb") as f:
        return ("hash", hashlib.sha256(f.read()).hexdigest())


def hash_now(folder, path):
    kind, value = state_now(folder, path)
    return value if kind == "hash" else None


def reason_then(run, path):
    """Why the run could not hash `path` (SCHEMA.md 5.2: the reason goes into Notes)."""
    for note in run["Notes"].split(" | "):
        # `--input P: why`, `P: why`, `_REFERENCES.md line N: P cannot be read: why`.
        # `… P not a regular file`, `… P not found`.
        at = max(note.find(f"{path}: "), note.find(f"{path} "))
        if at >= 0 and (at == 0 or note[at - 1] == " "):
            text = note[at + len(path):]
            if "dangling" in text:
                return "dangling"
            if "not a regular file" in text:
                return "not regular"
            if "symbolic links" in text or "loop" in text:
                return "loop"
            if "ermission" in text:
                return "permission"
    return "missing"


# --- Staleness (SCHEMA.md 8.3, docs/TUTORIAL.md "stale in detail") -------------------------


def compare(folder, run, paths, expected_of):
    """The (path, change) of each governed input of `run` that is not as it read it."""
    changes = []
    for path in sorted(paths | set(run["InputHashes"])):
        kind, now = state_now(folder, path)
        if path not in run["InputHashes"]:
            if kind != "hash" and any(k.startswith(path + "/") for k in run["InputHashes"]):
                continue  # a folder then, gone or unreadable now: its files say so, each
            changes.append((path, "unreadable" if kind == "unreadable" else "added"))
            continue
        then = expected_of(path)
        if path not in paths:
            changes.append((path, "removed"))
        elif then == "DELETED" or (then == "TBD" and reason_then(run, path) == "missing"):
            if kind != "missing":  # missing at the run, there now: readable or not
                changes.append((path, "added" if kind == "hash" else "unreadable"))
        elif then == "TBD":
            # Unreadable at the run: no change only when unreadable now for the same reason, or
            # gone; readable now, its content is new to the baseline (TUTORIAL "Unreadable").
            if kind == "hash":
                changes.append((path, "changed"))
            elif kind == "unreadable" and now != reason_then(run, path):
                changes.append((path, "unreadable"))
            else:
                noted("unreadable then, unreadable alike or gone now")
        elif kind == "missing":
            changes.append((path, "removed"))
        elif kind == "unreadable":
            changes.append((path, "unreadable"))
        elif now != then:
            changes.append((path, "changed"))
    # _STATUS.md moved on to another lifecycle state is a note (SCHEMA.md 5.4).
    if ("_STATUS.md", "changed") in changes and lifecycle_only(folder, run, expected_of("_STATUS.md")):
        changes.remove(("_STATUS.md", "changed"))
        noted("_STATUS.md lifecycle only")
    # _REFERENCES.md edited in its ContentHash lines only, with the same references, is a note
    # (SCHEMA.md 5.4).
    if any(p == REFERENCES for p, _ in changes) and hash_now(folder, REFERENCES) is not None:
        if same_references(folder, run) and content_hashes_only(folder, expected_of(REFERENCES)):
            changes = [(p, c) for p, c in changes if p != REFERENCES]
    return changes


STATE = re.compile(r"^(\*\*Current State:\*\*) *(.*?) *$")
UPDATED = re.compile(r"^(\*\*Last Updated:\*\*) *(.*?) *$")
DATE = re.compile(r"\d{4}-\d\d-\d\d")


def lifecycle_only(folder, run, then):
    """Whether _STATUS.md differs from the version the run read only as a change of state does:
    `**Current State:**`, the date of `**Last Updated:**`, rows added to `## History` at its end
    (or its start, newest first). The version the run saw is rebuilt (StatusBefore or StatusAfter,
    those rows taken off, the date of a remaining row) and its SHA-256 compared (SCHEMA.md 5.4)."""
    full = os.path.join(folder, "_STATUS.md")
    with open(full, "rb") as f:
        data = f.read()
    if len(data) > 16 * 1024:
        return False
    lines = data.decode("utf-8").split("\n")
    try:
        start = next(i for i, l in enumerate(lines) if l.strip() == "## History") + 1
    except StopIteration:
        start = len(lines)
    rows = [
        i for i in range(start, len(lines))
        if lines[i].startswith("- ") or (lines[i].startswith("|") and DATE.search(lines[i]))
    ]
    if len(rows) > 20:
        return False
    states = {run["StatusBefore"], run["StatusAfter"]} - {"TBD", ""}
    for state in states:
        for k in range(len(rows) + 1):
            for taken in ({*rows[len(rows) - k:]}, {*rows[:k]}):
                kept = [l for i, l in enumerate(lines) if i not in taken]
                dates = {d for i in rows if i not in taken for d in DATE.findall(lines[i])[:1]}
                for date in dates | {None}:
                    version = []
                    for l in kept:
                        if STATE.match(l):
                            l = STATE.sub(lambda m: f"{m.group(1)} {state}", l)
                        elif UPDATED.match(l) and date:
                            l = UPDATED.sub(lambda m: f"{m.group(1)} {date}", l)
                        version.append(l)
                    if hashlib.sha256("\n".join(version).encode()).hexdigest() == then:
                        return True
    return False


CONTENT_HASH = re.compile(r"^(\s*[-*+]\s+ContentHash:)")


def content_hashes_only(folder, then):
    """Whether _REFERENCES.md differs from the version the run read (SHA-256 `then`) only in the
    values of its `ContentHash:` lines: each tried as now, `TBD` or absent (the walk writes few)."""
    with open(os.path.join(folder, REFERENCES), "rb") as f:
        lines = f.read().decode("utf-8").split("\n")
    at = [i for i, line in enumerate(lines) if CONTENT_HASH.match(line)]
    for mix in range(3 ** len(at) if len(at) <= 6 else 0):
        version = list(lines)
        for k, i in enumerate(at):
            choice = mix // 3**k % 3
            if choice == 1:
                version[i] = CONTENT_HASH.match(lines[i]).group(1) + " TBD"
            elif choice == 2:
                version[i] = None
        text = "\n".join(line for line in version if line is not None)
        if hashlib.sha256(text.encode()).hexdigest() == then:
            return True
    return False


def same_references(folder, run):
    """Whether the same files are governed now as at the run, those of the folders it was given as
    inputs aside (SCHEMA.md 5.4): a reference added, removed or re-pointed, or a governed file
    that became a folder, makes `_REFERENCES.md` changed too."""
    folders = input_folders(run["Notes"])

    def aside(path):
        return any(f == "." or path == f or path.startswith(f + "/") for f in folders)

    now = {p for p in governed_now(folder, run) if not aside(p)}
    then = {p for p in run["InputHashes"] if not aside(p)}
    return now == then


def input_changes(folder, run):
    return compare(folder, run, governed_now(folder, run), lambda p: run["InputHashes"][p])


def order_key(entry):
    r = entry["record"]
    return (start_ns(r), end_ns(r), r["RecordChecksum"])


def check_agent(folder, agent, entries, invalidated, superseded, copied=()):
    # Records naming another deliverable that has its own folder are a copy's (TUTORIAL "Copies").
    runs = [
        (i, e) for i, e in entries
        if e["record"]["AgentName"] == agent and e["record"]["DeliverableID"] not in copied
    ]
    usable = [
        (i, e) for i, e in runs
        if e["record"]["RunStatus"] in GOOD and i not in invalidated and i not in superseded
    ]
    result = {"agent": agent, "verdict": "NO_BASELINE", "baseline": None, "inputs": []}
    if current_state(folder) == "RETIRED":
        # Retired: its last good run (if any) is shown, nothing compared (TUTORIAL).
        usable.sort(key=lambda ie: order_key(ie[1]))
        result.update(verdict="RETIRED", baseline=usable[-1][1]["record"]["RunID"] if usable else None)
        return result
    if not usable:
        return result
    usable.sort(key=lambda ie: order_key(ie[1]))
    index, entry = usable[-1]
    base = entry["record"]
    tied = [
        e for _, e in usable[:-1]
        if start_ns(e["record"]) == start_ns(base) and end_ns(e["record"]) == end_ns(base)
        and e["record"]["InputHashes"] != base["InputHashes"]
    ]
    if tied:
        return result
    result["baseline"] = base["RunID"]

    def expected(path):
        # An input the baseline wrote itself is compared with the bytes it left.
        return base["OutputHashes"].get(path, base["InputHashes"][path])

    changes = [(p, c, None) for p, c in compare(folder, base, governed_now(folder, base), expected)]

    # An output on disk as another good run of the agent recorded it was made from what that run
    # read (superseded since or not; an invalidated run is never compared): its inputs count too.
    made = [
        (i, e) for i, e in runs
        if i != index and e["record"]["RunStatus"] in GOOD and i not in invalidated
    ]
    outputs = {
        p: h for p, h in base["OutputHashes"].items() if hash_now(folder, p) not in (None, h)
    }
    # So do the outputs the baseline did not write of such a run that ended after it started.
    for _, e in made:
        r = e["record"]
        if end_ns(r) > start_ns(base):
            outputs.update({
                p: h for p, h in r["OutputHashes"].items()
                if p not in base["OutputHashes"] and hash_now(folder, p) == h
            })
    since = {}
    for path in sorted(outputs):
        now = hash_now(folder, path)
        holders = [(i, e) for i, e in made if e["record"]["OutputHashes"].get(path) == now]
        current = [(i, e) for i, e in holders if i not in superseded]
        holders = current or holders
        compared = [(e, input_changes(folder, e["record"])) for _, e in holders]
        # Bytes that a run made from the inputs as they are now are up to date.
        if not compared or any(not c for _, c in compared):
            continue
        latest, found = max(compared, key=lambda ec: order_key(ec[0]))
        since[latest["record"]["RunID"]] = found
    for run_id, found in since.items():
        for path, change in found:
            # A path already listed is listed once, for the first run that lists it.
            if not any(p == path for p, _, _ in changes):
                changes.append((path, change, run_id))
    result["inputs"] = sorted(set(changes), key=lambda c: (c[0], c[1], c[2] or ""))
    result["verdict"] = "DIRTY" if changes else "CLEAN"
    return result


def current_state(folder):
    if state_now(folder, "_STATUS.md")[0] != "hash":
        return None  # missing or unreadable (a FIFO would block the read): TBD, not RETIRED
    try:
        with open(os.path.join(folder, "_STATUS.md"), encoding="utf-8") as f:
            for line in f:
                m = STATE.match(line.rstrip("\n"))
                if m:
                    return m.group(2)
    except OSError:
        pass
    return None


DELIVERABLE = re.compile(r"(DEL-\d{2,}-\d{2,})(?:_|$)")


def deliverable_folders(root):
    """The deliverable folders beneath an execution root, but those in folders named `_…`."""
    found = []
    for dirpath, dirnames, _ in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith((".", "_")))
        for d in dirnames:
            if DELIVERABLE.match(d):
                found.append(os.path.join(dirpath, d))
    return found


def stale(folder, ids_here=()):
    file = os.path.join(folder, "RunRecords.csv")
    entries = list(enumerate(read_records(file))) if os.path.isfile(file) else []
    invalidated, superseded = annotation_effects([e for _, e in entries])
    own = DELIVERABLE.match(os.path.basename(folder)).group(1)
    copied = set(ids_here) - {own}
    # A copy's records are no runs of this deliverable: its agents are not checked here.
    agents = sorted(
        {e["record"]["AgentName"] for _, e in entries if e["record"]["DeliverableID"] not in copied}
        - {ANNOTATOR}
    )
    if not agents:
        # No runs recorded: one check for the deliverable, naming no agent.
        verdict = "RETIRED" if current_state(folder) == "RETIRED" else "NO_BASELINE"
        noted_copy = {"copy's records left out": 1} if entries else {}
        return [{"agent": "", "verdict": verdict, "baseline": None, "inputs": [], "noted": noted_copy}]
    checks = []
    for agent in agents:
        NOTED.clear()
        check = check_agent(folder, agent, entries, invalidated, superseded, copied)
        checks.append({**check, "noted": dict(NOTED)})
    if copied & {e["record"]["DeliverableID"] for _, e in entries}:
        checks[0]["noted"]["copy's records left out"] = 1
    return checks


def stale_root(root):
    """`stale ROOT`: each deliverable folder's checks, keyed by folder."""
    folders = deliverable_folders(root)
    ids = {DELIVERABLE.match(os.path.basename(f)).group(1) for f in folders}
    return {f: stale(f, ids) for f in folders}


def records_json(path):
    records = read_records(path)
    invalidated, superseded = annotation_effects(records)
    out = []
    for index, entry in enumerate(records):
        out.append({
            **entry["record"],
            "invalidatedBy": sorted(invalidated.get(index, [])),
            "supersededBy": sorted(superseded.get(index, [])),
            "line": entry["line"],
        })
    return out


# --- Propagation (docs/TUTORIAL.md "Which deliverables are out of date", `stale --help`) --------


def register_rows(root, folder):
    """The edges (producer, consumer, DependencyID, file, line) of a folder's Dependencies.csv, and
    its warnings: v3.1 rows, ACTIVE, TargetType DELIVERABLE when present, read by column name."""
    file = os.path.join(folder, "Dependencies.csv")
    if not os.path.isfile(file):
        return [], []
    with open(file, encoding="utf-8") as f:
        lines = f.read().split("\n")
    header = next(csv.reader([lines[0]]))
    edges, warnings = [], []
    needed = ("RegisterSchemaVersion", "FromDeliverableID", "Direction", "TargetDeliverableID", "Status")
    missing = [name for name in needed if name not in header]
    if missing:
        # A register without the v3.1 columns (as the simplified one in examples/): no edges.
        return [], [f"{file}: not a v3.1 register layout (no {', '.join(missing)} columns); "
                    "its rows are not followed"]
    for number, text in enumerate(lines[1:], start=2):
        if not text.strip():
            continue
        if text.count('"') % 2 == 1:
            warnings.append(f"{file} line {number}: a quoted field is never closed; that row is skipped")
            continue
        cells = dict(zip(header, next(csv.reader([text]))))
        version = cells.get("RegisterSchemaVersion")
        if version != "v3.1":
            warnings.append(f"{file} line {number}: RegisterSchemaVersion {json.dumps(version)} is not v3.1; skipped")
            continue
        if cells.get("Status") != "ACTIVE":
            continue
        if cells.get("TargetType", "DELIVERABLE") != "DELIVERABLE":
            continue
        frm, target = cells.get("FromDeliverableID", ""), cells.get("TargetDeliverableID", "")
        direction = cells.get("Direction", "")
        if direction in ("UPSTREAM", "INBOUND"):
            edge = (target, frm)
        elif direction in ("DOWNSTREAM", "OUTBOUND"):
            edge = (frm, target)
        else:
            continue
        edges.append({"edge": edge, "id": cells.get("DependencyID", ""), "file": file, "line": number,
                      "target": target})
    return edges, warnings


def elementary_cycles(nodes, succ):
    """Every elementary cycle, each begun at its smallest node, in order."""
    found = []
    order = sorted(nodes)
    for start in order:
        def walk(node, path):
            for nxt in sorted(succ.get(node, ())):
                if nxt == start and len(path) > 1:
                    found.append(path + [start])
                elif nxt > start and nxt not in path:
                    walk(nxt, path + [nxt])
        walk(start, [start])
    return found


def run_ref(entry):
    return {"RunID": entry["record"]["RunID"], "line": entry["line"]}


def under(folder, path, producer):
    full = os.path.realpath(os.path.join(folder, path))
    return full == producer or full.startswith(producer + "/")


def propagate(root, checked=None):
    """The root's answer; with `checked`, only those deliverables' own inputs are checked (the
    others are never DIRTY), as when they are named alone."""
    root = os.path.abspath(root)
    folders = deliverable_folders(root)
    ids = {DELIVERABLE.match(os.path.basename(f)).group(1): f for f in folders}
    checks = {i: stale(f, ids) for i, f in ids.items() if checked is None or i in checked}
    NOTED.clear()  # from here, what propagation's rules decided
    dirty = {i for i, cs in checks.items() if any(c["verdict"] == "DIRTY" for c in cs)}
    retired = {i for i, f in ids.items() if current_state(f) == "RETIRED"}
    warnings, rows = [], []
    for f in folders:
        found, said = register_rows(root, f)
        warnings += said
        for row in found:
            if row["target"] not in ids:
                warnings.append(f"{row['file']} line {row['line']}: TargetDeliverableID {row['target']} "
                                f"names no deliverable under {root}; row not followed")
                continue
            if row["edge"][0] == row["edge"][1]:
                # A cycle of one: warned about, never followed (TUTORIAL).
                warnings.append(f"{row['file']} line {row['line']}: {row['target']} depends on itself "
                                "(a cycle of one); row not followed: remove it")
            rows.append(row)
    edges = {}
    for row in rows:
        edges.setdefault(row["edge"], row["id"])  # a row repeated is one edge
    succ = {}
    for (p, c) in edges:
        if p != c:
            succ.setdefault(p, set()).add(c)
    # Cycles of one first, then every elementary cycle, each begun at its smallest member.
    cycles = [[p, p] for (p, c) in sorted(edges) if p == c] + elementary_cycles(ids, succ)
    in_cycle = {}
    for cycle in cycles:
        for a in cycle:
            in_cycle.setdefault(a, set()).update(cycle)

    # Each deliverable's records, with its annotations' effects.
    runs = {}
    for i, f in ids.items():
        file = os.path.join(f, "RunRecords.csv")
        entries = read_records(file) if os.path.isfile(file) else []
        invalidated, superseded = annotation_effects(entries)
        def annotation(k):
            # The first annotation that invalidates it: its RunID and note (its own words).
            if k not in invalidated:
                return None
            first = invalidated[k][0]
            notes = next(e["record"]["Notes"] for e in entries if e["record"]["RunID"] == first)
            note = notes.split("; note=", 1)[1].split(" | record ")[0]
            return {"RunID": first, "note": note}

        runs[i] = [
            {**e, "invalidated": k in invalidated, "superseded": k in superseded, "annotation": annotation(k)}
            for k, e in enumerate(entries) if e["record"]["AgentName"] != ANNOTATOR
        ]

    def good(e):
        return e["record"]["RunStatus"] in GOOD and not e["invalidated"]

    def reads_of(c, p, e):
        return [x for x in e["record"]["InputFiles"] if under(ids[c], x, os.path.realpath(ids[p]))]

    def compared_runs(c, p):
        """The consumer's runs a producer's runs are compared with: per agent, its latest good
        run that read a file of the producer; when none ever did, its latest good run."""
        usable = [e for e in runs[c] if good(e) and not e["superseded"]]
        # A run superseded since still read the producer: it ends its agent's comparison (neither
        # that agent's earlier runs nor the consumer's other runs count in its place).
        readers = [e for e in runs[c] if good(e) and reads_of(c, p, e)]
        if not readers:
            return [max(usable, key=order_key)] if usable else []
        chosen = []
        for agent in sorted({e["record"]["AgentName"] for e in readers}):
            mine = sorted((e for e in readers if e["record"]["AgentName"] == agent), key=order_key)
            if mine[-1]["superseded"]:
                noted("a superseded run read the producer last")
                continue
            chosen.append(mine[-1])
            # An earlier run that read the producer, while it is still the last good run to have
            # written one of its outputs (one still there) and no later run of the agent read
            # again every file of the producer it read.
            for k, e in enumerate(mine[:-1]):
                files = set(reads_of(c, p, e))
                if e["superseded"] or any(files <= set(reads_of(c, p, later)) for later in mine[k + 1:]):
                    continue
                if any(last_writer(c, f) is e for f in e["record"]["OutputFiles"]
                       if os.path.lexists(os.path.join(ids[c], f))):
                    chosen.append(e)
                    noted("an earlier run compared too")
        return chosen

    def last_writer(c, f):
        writers = [e for e in runs[c] if good(e) and f in e["record"]["OutputFiles"]]
        return max(writers, key=order_key) if writers else None

    def read_from(p, rel, start):
        """The invalidated runs whose bytes of `rel` a run of a consumer that started at `start`
        read: the last SUCCESS or PARTIAL run of the producer to write it before, when that run is
        invalidated; or, when it is not, the invalidated runs that wrote it and overlapped it."""
        writers = [g for g in runs[p] if g["record"]["RunStatus"] in GOOD
                   and rel in g["record"]["OutputFiles"] and start_ns(g["record"]) < start]
        if not writers:
            return []
        last = max(writers, key=order_key)
        if last["invalidated"]:
            return [last]
        overlapped = [v for v in writers if v["invalidated"]
                      and start_ns(v["record"]) < end_ns(last["record"])
                      and start_ns(last["record"]) < end_ns(v["record"])]
        if overlapped:
            noted("an invalidated run overlapped the good one")
        return overlapped

    direct = []  # (consumer, chain, cause, extra, origins), in the registers' edge order

    def add(c, chain, cause, extra, origins):
        direct.append((c, chain, cause, extra, origins))

    for (p, c), dep in edges.items():
        if p == c:
            continue
        if p in dirty:
            # A cycle member DIRTY only through files of one member it consumes starts its chains
            # there: a chain back to that member is no reason (it made the change).
            changed = [path for check in checks[p] for path, _, _ in check["inputs"]]
            origins = {p}
            for m in in_cycle.get(p, set()) - {p}:
                if (m, p) in edges and changed and all(
                    under(ids[p], path, os.path.realpath(ids[m])) for path in changed
                ):
                    origins.add(m)
                    noted("DIRTY through a cycle member only")
            add(c, [(p, c, dep)], "dirty", None, origins)
        producer_good = [e for e in runs[p] if good(e)]
        cyclic = c in in_cycle.get(p, set()) and p in in_cycle.get(c, set())
        for r in compared_runs(c, p):
            start = start_ns(r["record"])
            # A superseded run of the producer is no run since: it was taken back.
            current = [e for e in producer_good if not e["superseded"]]
            since = False
            if current:
                last = max(current, key=lambda e: (end_ns(e["record"]), order_key(e)))
                since = end_ns(last["record"]) > start
                files = None
                named = last
                if since and cyclic:
                    # In a cycle: only a file the consumer's run read, rewritten since with other
                    # bytes by the last run to write it, counts (the run that ended last named);
                    # unless a run since names no output: anywhere else's rule, that run named.
                    files = reads_of(c, p, r)
                    later = [e for e in current if end_ns(e["record"]) > start]
                    silent = [e for e in later if not e["record"]["OutputFiles"]]
                    if files and silent:
                        named = max(silent, key=lambda e: (end_ns(e["record"]), order_key(e)))
                        noted("in a cycle, a run since wrote nothing")
                    elif files:
                        since = False
                        for x in files:
                            rel = normal(os.path.relpath(os.path.join(ids[c], x), ids[p]))
                            writers = [e for e in producer_good if rel in e["record"]["OutputFiles"]]
                            if writers:
                                w = max(writers, key=order_key)
                                if end_ns(w["record"]) > start and w["record"]["OutputHashes"].get(rel) != r["record"]["InputHashes"].get(x):
                                    since = True
                        if since:
                            noted("in a cycle, a file rewritten since")
                        else:
                            noted("in a cycle, no file rewritten since")
                if since:
                    add(c, [(p, c, dep)], "ranSince", {**run_ref(named), "consumerRun": run_ref(r)}, {p})
            for v in runs[p]:
                # Only a SUCCESS or PARTIAL run taken back: no consumer read a FAILED one as made.
                if not v["invalidated"] or v["record"]["RunStatus"] not in GOOD:
                    continue
                files = reads_of(c, p, r)
                outs = v["record"]["OutputFiles"]
                hit = False
                if files and outs:
                    for x in files:
                        rel = normal(os.path.relpath(os.path.join(ids[c], x), ids[p]))
                        if rel in outs and v in read_from(p, rel, start):
                            # Rewritten since by a good run, and the producer ran since: that
                            # reason says it instead (none given, this one is: never silently clean).
                            if since and any(rel in g["record"]["OutputFiles"] and end_ns(g["record"]) > start
                                             for g in current):
                                noted("invalidated bytes rewritten since")
                                continue
                            hit = True
                else:
                    if end_ns(r["record"]) > start_ns(v["record"]):
                        # Cleared by a good run of the producer that ended after the invalidated
                        # one did (one that ended while it ran may be what it overwrote), when the
                        # consumer ran after that.
                        cleared = any(end_ns(g["record"]) > end_ns(v["record"]) and start > end_ns(g["record"])
                                      for g in producer_good)
                        hit = not cleared
                if hit:
                    add(c, [(p, c, dep)], "invalidated",
                        {**run_ref(v), "consumerRun": run_ref(r), "annotation": v["annotation"]}, {p})

    # Chains passed on downstream; none through a RETIRED deliverable, none back to its start. Each
    # reason (where it starts, its cause, the runs it names) reaches a deliverable once, by its
    # shortest chain (breadth first; of two alike, the first in the order the registers give the
    # edges: folders by path, each register row by row).
    reasons = {}
    groups = {}
    for c, chain, cause, extra, origins in direct:
        key = (chain[0][0], cause, json.dumps(extra, sort_keys=True))
        groups.setdefault(key, {"origins": origins, "cause": cause, "extra": extra, "starts": []})
        groups[key]["starts"].append((c, chain))
    for key in sorted(groups):
        group = groups[key]
        reached = set()
        frontier = list(group["starts"])
        while frontier:
            following = []
            for c, chain in frontier:
                if c in reached or c in group["origins"]:
                    continue
                reached.add(c)
                reasons.setdefault(c, []).append((chain, group["cause"], group["extra"]))
                if c in retired:
                    continue
                for (p2, d), dep in edges.items():
                    if p2 == c and d != c:
                        following.append((d, chain + [(c, d, dep)]))
            frontier = following

    def entry(i):
        # Its last run: the latest SUCCESS or PARTIAL one no annotation took back.
        own = [e for e in runs[i] if good(e) and not e["superseded"]]
        last = max(own, key=order_key) if own else None
        out = []
        for chain, cause, extra in reasons[i]:
            reason = {"cause": cause, "chain": [{"producer": p, "consumer": c, "dependencyId": d} for p, c, d in chain]}
            if extra:
                reason[cause] = extra
            out.append(reason)
        return {"deliverableId": i, "lastRun": run_ref(last) if last else None, "reasons": out}

    # A DIRTY deliverable is listed DIRTY, not STALE too; its chains pass on all the same.
    stale_list = [entry(i) for i in sorted(reasons) if i not in retired and i not in dirty]
    retired_list = [entry(i) for i in sorted(reasons) if i in retired]
    code = 1 if stale_list or dirty else 0
    return {"stale": stale_list, "retired": retired_list, "cycles": cycles, "warnings": warnings, "code": code,
            "noted": dict(NOTED), "edges": [list(e) for e in edges if e[0] != e[1]]}


def propagate_alone(root, target):
    """`stale DEL --propagate` for one deliverable: its own entry as the root's answer gives it,
    the deliverables upstream of it (checked too), the deliverables downstream of it with only the
    reasons that pass through it (their own inputs not checked), and the cycles of it and of those
    upstream or downstream of it (TUTORIAL)."""
    whole = propagate(root)
    edges = whole["edges"]

    def reach(start, forward):
        found, todo = set(), [start]
        while todo:
            node = todo.pop()
            for p, c in edges:
                a, b = (p, c) if forward else (c, p)
                if a == node and b not in found:
                    found.add(b)
                    todo.append(b)
        return found - {start}

    upstream, downstream = reach(target, False), reach(target, True)
    near = upstream | downstream | {target}
    entry = next((dict(e, part=part) for part in ("stale", "retired") for e in whole[part]
                  if e["deliverableId"] == target), None)
    part = propagate(root, upstream | {target})
    # Its own check counts in the exit code; those upstream of it do not (`stale --help`).
    ids = {DELIVERABLE.match(os.path.basename(f)).group(1): f for f in deliverable_folders(os.path.abspath(root))}
    dirty = any(c["verdict"] == "DIRTY" for c in stale(ids[target], ids))
    downstream_entries = []
    for kind in ("stale", "retired"):
        for e in part[kind]:
            through = [r for r in e["reasons"]
                       if any(target in (edge["producer"], edge["consumer"]) for edge in r["chain"])]
            if through and e["deliverableId"] != target:
                downstream_entries.append(dict(e, part=kind, reasons=through))
    return {"entry": entry, "upstream": sorted(upstream), "downstream": downstream_entries,
            "code": int(dirty or any(e.get("part") == "stale" for e in [entry or {}] + downstream_entries)),
            "cycles": [c for c in whole["cycles"] if set(c) & near]}


# --- log's views (`log --help`) -------------------------------------------------------------


def first_line(text):
    """The Error cell: the first non-empty line of ErrorSummary, ending in `…` when more follows
    or past 60 characters (`log --help`)."""
    lines = text.split("\n")
    for k, line in enumerate(lines):
        if line.strip():
            rest = "\n".join(lines[k + 1:])
            return line[:60] + ("…" if rest.strip() or len(line) > 60 else "")
    return ""


def md_escape(text):
    """Markdown shown as written: its punctuation escaped, `<` and `&` as entities, a line break
    as <br>."""
    out = ""
    for ch in text:
        if ch in "\\`*_[]|":
            out += "\\" + ch
        elif ch == "<":
            out += "&lt;"
        elif ch == "&":
            out += "&amp;"
        elif ch == "\n":
            out += "<br>"
        else:
            out += ch
    return out


def marks(entry, records, invalidated, superseded, index):
    """What log puts after the status: a run's marks, or what an annotation does."""
    r = entry["record"]
    if r["AgentName"] == ANNOTATOR:
        said = []
        m = ANNOTATION.match(r["Notes"])
        if index in invalidated:
            # One withdrawn does nothing: what it did is not said (`log --help`: "or").
            return [f"withdrawn by {w}" for w in invalidated[index]]
        if m:
            subject_is_annotation = any(
                e["record"]["RunID"] == m.group(1) and e["record"]["AgentName"] == ANNOTATOR for e in records
            )
            if m.group(2) and subject_is_annotation:
                said.append(f"withdraws {m.group(1)}")
            elif m.group(2):
                said.append(f"marks {m.group(1)} INVALIDATED")
            else:
                said.append(f"marks {m.group(3)} SUPERSEDED")
        return said
    # In the order of the annotations (their lines).
    events = []
    for w in invalidated.get(index, []):
        events.append((annotation_line(records, w), "INVALIDATED"))
    for by in superseded.get(index, []):
        events.append((supersede_line(records, by, r["RunID"]), f"SUPERSEDED by {by}"))
    return [text for _, text in sorted(events)]


def annotation_line(records, run_id):
    return min(e["line"] for e in records if e["record"]["RunID"] == run_id)


def supersede_line(records, subject, old):
    lines = [
        e["line"] for e in records
        if e["record"]["AgentName"] == ANNOTATOR and e["record"]["Notes"].startswith(f"annotates={subject}; supersedes={old};")
    ]
    return min(lines) if lines else 0


def instant_ns(text):
    """`--since`/`--until`'s T as nanoseconds since the epoch (`log --help`): a date is its
    midnight UTC; a date-time with `Z`, an offset, or no zone (read as UTC), to nine decimals."""
    m = re.fullmatch(r"(\d{4}-\d\d-\d\d)(?:T(\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?(Z|[+-]\d\d:\d\d)?)?", text)
    day, time, fraction, zone = m.groups()
    seconds = datetime.strptime(f"{day}T{time or '00:00:00'}", "%Y-%m-%dT%H:%M:%S").replace(tzinfo=timezone.utc)
    offset = 0
    if zone and zone != "Z":
        offset = (1 if zone[0] == "+" else -1) * (int(zone[1:3]) * 60 + int(zone[4:6])) * 60
    return (int(seconds.timestamp()) - offset) * 10**9 + int((fraction or "").ljust(9, "0"))


def log_rows(targets, by="time", limit=None, agents=None, statuses=None, since=None, until=None):
    """The records `log TARGET...` lists, each with its cells and record file: a deliverable
    folder named is itself, an execution root its deliverable folders by path; files in the order
    named. With the Folder column's values when two files hold records of one deliverable."""
    folders = []
    for target in targets:
        target = os.path.abspath(target)
        folders += [target] if DELIVERABLE.match(os.path.basename(target)) else sorted(deliverable_folders(target))
    listing, files_of = [], {}
    for order, folder in enumerate(folders):
        file = os.path.join(folder, "RunRecords.csv")
        if not os.path.isfile(file):
            continue
        records = read_records(file)
        for entry in records:
            files_of.setdefault(entry["record"]["DeliverableID"], set()).add(file)
        invalidated, superseded = annotation_effects(records)
        for index, entry in enumerate(records):
            r = entry["record"]
            if agents and r["AgentName"].upper() not in agents:
                continue
            if statuses and r["RunStatus"].upper() not in statuses:
                continue
            # At or after --since, before --until.
            if since is not None and start_ns(r) < since or until is not None and start_ns(r) >= until:
                continue
            said = marks(entry, records, invalidated, superseded, index)
            listing.append({
                "key": (start_ns(r), order, entry["line"]),
                "record": r,
                "line": entry["line"],
                "file": file,
                "status": r["RunStatus"] + (f" [{'; '.join(said)}]" if said else ""),
            })
    if by == "time":
        listing.sort(key=lambda x: x["key"])
    if limit is not None:
        # The last N: all of them when fewer match.
        listing = listing[max(0, len(listing) - limit):] if limit else []
    # The folder of each record file, from the current folder (`log --help`), whatever the filters
    # leave.
    shown = any(len(files) > 1 for files in files_of.values())
    for x in listing:
        x["folder"] = [os.path.relpath(os.path.dirname(x["file"]))] if shown else []
    return listing, shown


def log_table(listing, shown):
    header = ["RunID", "RunTimestamp", "Agent", "Status", "Pass", "Before→After", "Duration", "Outputs", "Error"]
    header = ["Folder"] * shown + header
    rows = [x["folder"] + [
        x["record"]["RunID"], x["record"]["RunTimestamp"], x["record"]["AgentName"], x["status"],
        # A line break shown as ↵, a tab as a space: one row a line, the columns aligned.
        x["record"]["RunPassDirective"].replace("\n", "↵").replace("\t", " "),
        f"{x['record']['StatusBefore']}→{x['record']['StatusAfter']}", x["record"]["RunDuration"],
        str(len(x["record"]["OutputFiles"])), first_line(x["record"]["ErrorSummary"]).replace("\t", " "),
    ] for x in listing]
    widths = [max(len(row[k]) for row in [header] + rows) for k in range(len(header))]
    lines = []
    for row in [header] + rows:
        cells = [
            cell.rjust(widths[k]) if k == len(header) - 2 and row is not header else cell.ljust(widths[k])
            for k, cell in enumerate(row)
        ]
        lines.append("  ".join(cells).rstrip())
    return "\n".join(lines) + "\n"


def log_md(listing, shown):
    lines = ["| " + "Folder | " * shown + "RunID | Timestamp | Agent | Status | Pass | Before→After | Duration | Error |",
             "|---" * (8 + shown) + "|"]
    for x in listing:
        r = x["record"]
        # A cell not of free text has only what would break the table escaped.
        folder = [re.sub(r"\r\n|\r|\n", "<br>", f.replace("&", "&amp;").replace("\\", "\\\\")
                         .replace("|", "\\|").replace("<", "&lt;")) for f in x["folder"]]
        cells = folder + [r["RunID"], r["RunTimestamp"], r["AgentName"], x["status"], md_escape(r["RunPassDirective"]),
                 f"{r['StatusBefore']}→{r['StatusAfter']}", r["RunDuration"], md_escape(first_line(r["ErrorSummary"]))]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def log_main(argv):
    targets = [a for a in argv if not a.startswith("-")][:1]
    options = argv[1:]
    while options and not options[0].startswith("-"):
        targets.append(options.pop(0))
    by, limit, agents, statuses, fmt, since, until = "time", None, None, None, "table", None, None
    while options:
        name, value, options = options[0], options[1], options[2:]
        if name == "--by":
            by = value
        elif name == "-n":
            limit = int(value)
        elif name == "--agent":
            agents = {a.strip().upper() for a in value.split(",")}
        elif name == "--status":
            statuses = {a.strip().upper() for a in value.split(",")}
        elif name == "--format":
            fmt = value
        elif name == "--since":
            since = instant_ns(value)
        elif name == "--until":
            until = instant_ns(value)
    listing, shown = log_rows(targets, by, limit, agents, statuses, since, until)
    sys.stdout.write(log_table(listing, shown) if fmt == "table" else log_md(listing, shown))


def main(argv):
    global AS_OTHER
    if argv[:1] == ["--as-other"]:
        AS_OTHER, argv = True, argv[1:]
    if len(argv) >= 2 and argv[0] == "records":
        json.dump(records_json(argv[1]), sys.stdout)
    elif len(argv) >= 2 and argv[0] == "stale":
        json.dump({folder: stale(folder) for folder in argv[1:]}, sys.stdout)
    elif len(argv) >= 2 and argv[0] == "log":
        log_main(argv[1:])
    elif len(argv) == 3 and argv[0] == "propagate-alone":
        json.dump(propagate_alone(argv[1], argv[2]), sys.stdout)
    elif len(argv) == 2 and argv[0] == "propagate":
        json.dump(propagate(argv[1]), sys.stdout)
    elif len(argv) == 2 and argv[0] == "stale-root":
        json.dump(stale_root(argv[1]), sys.stdout)
    else:
        sys.stderr.write("usage: stale_oracle.py [--as-other] records FILE | stale DIR... | stale-root ROOT | propagate ROOT | propagate-alone ROOT ID | log ROOT [OPTIONS]\n")
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

"""Header detection: split a raw line into its header fields and its message.

No configuration: the scanner walks the start of the line field by field, the way a person
reads it, and stops at the first thing that is not header-like. It knows the conventions that
most loggers share, not any one system:

* a timestamp in one of many shapes (see :mod:`logsum.core.timestamps`), possibly in brackets,
  possibly preceded by one short tag;
* a level keyword (``INFO``, ``[error]``, ``<warn>``, ``W``...);
* a process id (a bare number, ``[123]``), a host after a syslog timestamp, upper-case facility
  words just before a level;
* a component: ``name:``, ``name[pid]:``, ``name(detail)[pid]:``, a dotted logger name after the
  level, a bracketed thread or logger ``[main]``;
* separators: ``|``, `` - ``, ``,``.

A header is only accepted when it holds a timestamp or a level; otherwise the whole line is the
message. A user may instead give a Loghub-style format (``<Date> <Time> <Level> <Content>``), see
:class:`LogFormat`. The layouts that replay a scanned header on the next lines of a source, and
the detector that keeps them, are in :mod:`logsum.core.layouts`.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import NamedTuple

from logsum.core.model import Header
from logsum.core.timestamps import (
    compact_field_time,
    match_timestamp,
    match_timestamp_shape,
)

LEVELS: dict[str, str] = {
    # keyword (upper case) -> canonical level name
    "TRACE": "TRACE",
    "FINEST": "TRACE",
    "FINER": "DEBUG",
    "FINE": "DEBUG",
    "DEBUG": "DEBUG",
    "DBG": "DEBUG",
    "VERBOSE": "DEBUG",
    "CONFIG": "INFO",
    "INFO": "INFO",
    "INF": "INFO",
    "INFORMATION": "INFO",
    "NOTICE": "NOTICE",
    "WARN": "WARNING",
    "WARNING": "WARNING",
    "WRN": "WARNING",
    "ERR": "ERROR",
    "ERROR": "ERROR",
    "ERRO": "ERROR",
    "SEVERE": "ERROR",
    "CRIT": "CRITICAL",
    "CRITICAL": "CRITICAL",
    "ALERT": "CRITICAL",
    "EMERG": "CRITICAL",
    "EMERGENCY": "CRITICAL",
    "FATAL": "CRITICAL",
    "PANIC": "CRITICAL",
    # Four-letter and three-letter abbreviations of Go and .NET loggers (logrus, Serilog)
    "DEBU": "DEBUG",
    "TRAC": "TRACE",
    "VRB": "TRACE",
    "FATA": "CRITICAL",
    # supervisord
    "DEBG": "DEBUG",
    "BLAT": "TRACE",
    # Microsoft.Extensions.Logging's console: "fail: Category[12]"
    "FAIL": "ERROR",
    "DBUG": "DEBUG",
    # dnf and yum's finer debug levels
    "DDEBUG": "DEBUG",
    "SUBDEBUG": "DEBUG",
    "TRCE": "TRACE",
    "FTL": "CRITICAL",
    # PostgreSQL writes its informational messages as LOG; MySQL's [Note]
    "LOG": "INFO",
    "NOTE": "NOTICE",
}
_SINGLE_LETTER_LEVELS = {"V": "DEBUG", "D": "DEBUG", "I": "INFO", "W": "WARNING", "E": "ERROR"}
_SINGLE_LETTER_LEVELS["F"] = "CRITICAL"
# Level words that are also ordinary words: a level only in upper case or in brackets
# ("Config loaded from ..." and "Log file rotated" open messages).
_UPPER_ONLY_LEVELS = frozenset({"CONFIG", "FINE", "FINER", "FINEST", "LOG", "NOTE", "FAIL", "BLAT"})
# A level letter before a pipe, then the package (etcd's capnslog: "I | etcdserver: ...";
# N is NOTICE, C CRITICAL, T TRACE there).
_LETTER_PIPE = re.compile(r"([TDINWEC]) \|(?=\s)")
_LETTER_PIPE_LEVELS = {**_SINGLE_LETTER_LEVELS, "T": "TRACE", "N": "NOTICE", "C": "CRITICAL"}
_BRACKET_LETTERS = _LETTER_PIPE_LEVELS  # a level letter opening a bracket with the time
# A channel or logger with the level glued behind a dot (PHP Monolog: "app.INFO: ...").
_CHANNEL_LEVEL = re.compile(r"([A-Za-z_][\w\-]*(?:\.[A-Za-z_][\w\-]*)*)\.([A-Z]{3,9}):(?=\s)")
# The process after the level, in parentheses: "(1) :" (HAProxy), "(4211 on web-1):" and
# "(app/4211 on web-1):" (pino-pretty).
_PAREN_PID = re.compile(r"\((?:[\w.\-]+/)?(\d{1,10})(?: on [\w.\-]+)?\) ?:(?=\s)")
# A logger name of any characters padded to its column, then " : " (Spring Boot abbreviates
# loggers to "o.a.c.c.C.[.[.[/].[dispatcherServlet]")
_PADDED_LOGGER = re.compile(r"([A-Za-z_][^\s]{0,79}) +:(?=\s)")
# A debug level written as a hex mask in parentheses after bracketed fields (sssd: "(0x4000):")
_HEX_LEVEL = re.compile(r"\(0x[0-9a-fA-F]{1,8}\):(?=\s)")
# A record's head line: after the time, only a class and its method (java.util.logging's
# SimpleFormatter, whose "LEVEL: message" line follows)
_RECORD_HEAD = re.compile(r"([A-Za-z_][\w$]*(?:\.[A-Za-z_][\w$]*){2,} [A-Za-z_$<][\w$<>]*)\s*")
# ... and after a 12-hour time (its "AM"/"PM" ends the time), a class with at most one package
# name before it and its method ("Mar 2, 2026 10:15:03 PM Main main"). Without a package the
# class is in CamelCase or the method is main, a constructor or in camelCase: "Server started"
# is a message.
_CLASS_HEAD = re.compile(
    r"((?:[A-Z][\w$]*\.[A-Za-z_][\w$]*|[A-Z][a-z\d$]*[A-Z][\w$]*) [a-z_$<][\w$<>]*"
    r"|[A-Z][\w$]* (?:main|<c?init>|[a-z_$][a-z\d_$]*[A-Z][\w$]*))\s*"
)
# An Erlang process id after the level (RabbitMQ, Elixir: "[info] <0.230.0> Starting ...").
_ERLANG_PID = re.compile(r"<\d{1,6}\.\d{1,9}\.\d{1,6}>(?=\s)")
# A Java logger printed after the message (log4j "%m (%c)%n", Kafka): "... started
# (kafka.server.KafkaServer)": lower-case package names, then a class name.
_TRAILING_LOGGER = re.compile(r"\s+\(((?:[a-z_][\w]*\.)+[A-Z][\w$]*)(?::\d{1,6})?\)$")
# A process tag glued to a pipe right after the time (Squid's "kid1|").
_PIPE_TAG = re.compile(r"[A-Za-z][\w\-]{0,31}\|(?=\s)")

_WS = re.compile(r"\s*")
_LEVEL_WORD = re.compile(r"(?:[<\[(]([A-Za-z]{1,11}) *[>\])]|([A-Za-z]{1,11}))(?=[\s:|,\[\]-]|$)")
_BRACKET = re.compile(r"\[[^\[\]]*(?:\[[^\[\]]*\][^\[\]]*)*\]")
_COMPONENT_COLON = re.compile(
    # Not an error code (AH00126:, ORA-00942:), which opens the message.
    r"(?![A-Z]{1,6}-?\d{3,}:)"
    # a program name, possibly a path or user@host, with a detail in parentheses
    r"(?P<comp>[A-Za-z_/][\w.$@/\-]*(?:::[A-Za-z_]\w*)*(?:#[\w$]+)?(?:\([\w.:@\-/ ]*\))?"
    # ids in angle brackets after it (Dovecot's "imap(user)<pid><session>:")
    r"(?:<[\w+/=.\-]{1,64}>){0,3})"
    r"(?:\[(?P<pid>\w[\w.\-]*(?::\d{1,6})?)\])?(?:\s\([^()]*\))?:(?=\s|$)"
    # a program name with one space before its [pid] (macOS "Microsoft Word[123]:")
    r"|(?P<comp2>[A-Za-z_][\w.\-]* [\w.\-]+)\[(?P<pid2>\d+)\](?:\s\([^()]*\))?:(?=\s|$)"
)
_PROGRAM_DASH = re.compile(r"(?P<comp>[\w./][^\s\[\]]*(?: [^\s\[\]-]+)?)\s+-\s")
_DOTTED_LOGGER = re.compile(r"[A-Za-z_][\w$]*(?:\.[A-Za-z_][\w$]*)+(?=\s)")
_PID = re.compile(r"\d{1,10}(?=\s)")
_HOSTLIKE = re.compile(r"[\w][\w.:\-]*(?=\s)|[\w.\-]+@[\w][\w.\-]*(?=\s)")
# A host name: a name with a digit, a dot or a dash in it, not a number (build-3, web1.lan)
_HOST_NAME = re.compile(r"(?=[\w.\-]*[\d.\-])(?![\d.]+$)[A-Za-z0-9][\w.\-]{0,62}|[\w.\-]+@[\w.\-]+")
# A dotted logger and its colon after a bracket: "[AsyncDispatcher event handler] org.x.Y: ..."
_LOGGER_AHEAD = re.compile(r"\s+[A-Za-z_][\w$]*(?:\.[A-Za-z_][\w$]*)+:\s")
_LONG_LOGGER_AHEAD = re.compile(r"\s+[a-z_][\w$]*(?:\.[a-z_][\w$]*){2,}\.[A-Z][\w$]*\s")
_HEADERISH = re.compile(
    # a facility word, a number, a name with digits, or user@database ([unknown]@[unknown]).
    # The name with digits looks ahead for its digit once: written as 'run, digit, run' it
    # tried every digit of a long token with no space after it (quadratic: 22 s on one line).
    r"(?:[A-Z][A-Z0-9_]{1,15}|\d{1,10}|(?=[\w.:\-]*\d)[\w.:\-]+|[\w.\-\[\]]+@[\w.\-\[\]]*)(?=\s)"
)
# A thread name: one word, not a level (tested by the caller)
# ("Thread-2 (serve)": Python's name of a thread started with a target function)
_THREAD_NAME = re.compile(r"[A-Za-z_][\w.\-]{0,63}(?: \([\w.<>]{1,64}\))?(?=[ \t])")
# A label of a few words and its colon before a time that ends the line ("Log started:")
_TIME_LABEL = re.compile(r"[A-Z][\w\-]{0,31}(?: [\w\-]{1,32}){1,3}:(?=\s)")
# A debug or trace level with its verbosity and a colon, opening the line ("debug2: ...")
_NUMBERED_LEVEL = re.compile(r"(debug|DEBUG|trace|TRACE|verbose|VERBOSE)[1-9]:(?=\s)")
# A dotted logger and function with the line number, then " - " (Python's
# "%(name)s.%(funcName)s:%(lineno)d - "; the function may be "<module>")
_LOGGER_LINE = re.compile(r"([A-Za-z_]\w*(?:\.(?:[A-Za-z_]\w*|<\w+>))+):\d{1,6} - ")
# Extensions of source files: "Main.java:12" is a file and its line, not a logger's function
_SOURCE_EXT = frozenset(
    [
        "c",
        "cc",
        "cpp",
        "cxx",
        "h",
        "hpp",
        "java",
        "kt",
        "scala",
        "go",
        "rs",
        "py",
        "rb",
        "js",
        "ts",
        "cs",
        "m",
        "mm",
        "swift",
        "php",
        "pl",
        "lua",
        "erl",
        "ex",
    ]
)
# An upper-case label and its colon, which a line's part opens with ("DETAIL:  ...")
_UPPER_LABEL = re.compile(r"[A-Z][A-Z_]{2,15}:(?=\s)")
_TAG = re.compile(r"\S{1,64}(?=\s)")
# Fields before a timestamp (a client address, a record id, a node name, "-" for none).
_LEAD_FIELD = re.compile(r"[^\s\"'=\[\]()<>{}]{1,64}(?=\s)")
_DOTTED_NAME = re.compile(r"[a-z]\w*\.[A-Za-z]\w*\.")  # a module path: "org.example.App"
# GLib's default log handler: "(prgname:pid): Domain-LEVEL **: HH:MM:SS.mmm: message" (the
# time of day alone, so no timestamp; the domain is left out when the program logs without one)
_GLIB_HEAD = re.compile(
    r"\((?P<prg>[^\s():]{1,64}):(?P<pid>\d{1,10})\): (?:(?P<dom>[\w.\-]{1,64})-)?"
    r"(?P<lvl>[A-Z]{4,8}|Message) \*\*: (?:\d{2}:\d{2}:\d{2}\.\d{3}: )?"
)
# (after its metadata's key=value pairs, when it has any)
_SOURCE_MODULE = re.compile(r"(?:[\w.\-]{1,64}=\S{1,256}\s+){0,8}\[[A-Za-z_][\w.\-]{0,63}\](?=\s)")
# Android logcat's brief format: "L/tag(  pid): message" (no time; F fatal, A assert)
_LOGCAT_BRIEF = re.compile(r"([VDIWEFA])/([^\s(][^()]{0,63}?) *\( *(\d{1,10})\): ")
_LOGCAT_LEVELS = {"V": "DEBUG", "D": "DEBUG", "I": "INFO", "W": "WARNING", "E": "ERROR"}
_LOGCAT_LEVELS |= {"F": "CRITICAL", "A": "CRITICAL"}
_BRACKET_NAME = re.compile(r"\[[A-Za-z][\w.\-]{0,31}\]")
_LEAD_WORD = re.compile(r"[^\s\"'=\[\]()<>{}]{1,64}")
_SLASHED_HOST = re.compile(r"[\w][\w.\-]*/[\w.\-]+(?=\s)")
# A name padded to a column width after the level (Windows CBS: "Info   CBS    Loaded ...").
_COLUMN = re.compile(r"([A-Za-z][\w.\-]{0,31})(?=  +\S)")
_PIPE_FIELD = re.compile(r"\| *([^\s|]*)(?=\|)")
# A level padded to its column between pipes (loguru: "| INFO     |")
_PIPE_PADDED_LEVEL = re.compile(r"\| *([A-Za-z]{3,9}) +(?=\|)")
# After the last pipe, loguru's "{name}:{function}:{line} - " before the message
# A source position in a column of its own between pipes ("| app:<module>:16 |")
_PIPE_CALLER_COLUMN = re.compile(r"\| *([\w.<>\-]+(?::[\w.<>\-]+)?:\d{1,6}) *(?=\|)")
_PIPE_CALLER = re.compile(r" *([\w.<>\-]+:[\w.<>\-]+:\d{1,6}) - ")
# syslog's priority (<34>), with RFC 5424's version after it (<165>1)
_PRI = re.compile(r"<\d{1,3}>(?P<version>\d{1,2}\s)?")
# RFC 5424 after the timestamp: HOSTNAME APP-NAME PROCID MSGID STRUCTURED-DATA
_RFC5424 = re.compile(
    r"(?P<host>\S+) (?P<app>\S+) (?P<procid>\S+) (?P<msgid>\S+)"
    r" (?P<sd>-|(?:\[(?:[^\]\"\\]|\"(?:[^\"\\]|\\.)*\")*\])+)(?=\s|$)"
)
# glog and klog: a level letter glued to the date (I0302 10:00:00.583000)
_GLOG_LETTER = re.compile(r"[IWEF](?=\d{4}\s+\d{1,2}:\d\d)")
# After the level: a pid with its thread (nginx 1234#1234:), a source position (main.go:42,
# file.cc:87]), separators (Spring's ---, Ruby's --).
_PID_TID = re.compile(r"(\d{1,10})#\d{1,10}:?(?=\s)")
_CALLER = re.compile(r"[\w.\-/]*\w\.[A-Za-z]\w{0,7}:\d{1,6}\]?:?(?=\s)")
_SEPARATOR = re.compile(r"-{2,3}(?=\s)|:(?=\s)")
_PID_BEFORE = re.compile(r"\d{1,10}(?=\s+(?:---|\[|[\w.\-/]+\.\w+:\d+\]))")
# What may follow a logger name: the source position in parentheses, then " - " (log4j's
# "%c (%F:%M(%L)) - %m").
_LOGGER_SOURCE = re.compile(r"\s*\((?:[^()\s]|\([^()]*\))*\)(?=\s+-\s|:\s)")
_KV = re.compile(r"[\w.\-@]+=\S*")
_KV_COLON = re.compile(r"[A-Za-z_][\w.\-]{0,31}:[^\s:]+")
# A structured-data id, name@enterprise-number (RFC 5424's SD-ID), heading key=value params
_SD_ID = re.compile(r"[A-Za-z][\w.\-]{0,31}@\d{1,9}")
# key=value metadata between the time and the level (Elixir's "$time $metadata[$level]")
_KV_RUN = re.compile(
    r"[\w.\-@]+=[^\s\[\]]*(?:[ \t]+[\w.\-@]+=[^\s\[\]]*){0,7}(?=[ \t]+(?:\[|[A-Z]{3,9}(?::?\s|\|)))"
)
# A source column padded with 3 spaces or more right after the time (SQL Server's errorlog:
# "2026-03-02 10:00:01.45 spid12s     Starting up database 'master'.")
_TIME_COLUMN = re.compile(r"([A-Za-z][\w.\-]{0,31})(?=   +\S)")
# A bracketed process field: [pid 1234:tid 5678], [pid 42]
_NAMED_FIELD = re.compile(r"pid \d+(?::tid \d+)?")
_GLUED_NAME = re.compile(r"[A-Za-z_][\w.\-]{0,63}:(?=\S)")
_CRI_STREAM = re.compile(r"(?:stdout|stderr) [FP](?=\s)")
_NAME_DASH = re.compile(r"([A-Za-z_][\w$]{0,63}(?:::[A-Za-z_]\w{0,63}){0,8})\s+[-:]\s")
_UPTIME = re.compile(r"\s+(\[ *\d{1,9}\.\d{3,9}\])(?=\s)")
_PRE_LEVEL = re.compile(r"\d{1,10}(?=\s)|\[[^\[\]\s]{1,64}\](?=\s)")
_EVENT_NAME = re.compile(r"\s*([A-Za-z_][\w.$]*\[\d{1,9}\])\s*$")
# tracing's spans before the target, with or without fields: "request{method=GET}:",
# "outbound:proxy{addr=10.0.0.5:8080}:", "daemon:identity:" (a brace or two names at least)
_SPANS = re.compile(
    r"(?:[A-Za-z_]\w*\{[^{}]*\}(?::[A-Za-z_]\w*(?:\{[^{}]*\})?)*"
    r"|[A-Za-z_]\w*(?::[A-Za-z_]\w*(?:\{[^{}]*\})?)+):(?=\s)"
)
# A thread named with its number after the level ("ThreadId(01)"), before a target or spans
_NAMED_THREAD = re.compile(r"[A-Za-z]\w{0,31}\(\d{1,10}\)(?=\s)")
# (after the time: "info:", "info hostd[123] ", "info [", a padded column before its colon
# "info     : ", a dotted logger's name with its colon "info com.example.api: ")
_LOWER_LEVEL = re.compile(
    r"([a-z]{3,9})(?::(?=\s)|(?=\s+[\w.\-]+\[\d+\]\s|\s+\[| +:\s"
    r"|\s+[A-Za-z_][\w\-]*(?:\.[A-Za-z_][\w\-]*)+:\s))"
)
_PROGRAM_PID = re.compile(r"([A-Za-z_][\w.\-]*)\[(\d{1,10})(?::\d{1,6})?\](?=\s)")
_THREAD_PARENS = re.compile(r"\([^()]{1,64}\)(?=\s)")
_UPTIME_START = re.compile(r"\[ *\d{1,9}\.\d{3,9}s?\](?=\s)")  # "[   12.345678]", "[ 0.01s]"
_BRACE_CALLER = re.compile(r"\{[\w.\-/]+:\d{1,6}\}(?=\s)")
_GLUED_ID = re.compile(r"\d{1,10}:(?=\d)")
# A field glued to the timestamp that follows it: a run of marks ("####<Mar 2, 2026 ...>"),
# a CSV column ("Information,3/2/2026 10:00:00 AM,..."), a file name before grep's colon
# ("/var/log/syslog:Mar  2 10:00:00 ...", with -n its line number: "app.log:12:2026-03-02 ...").
_GLUED_LEAD = re.compile(
    r"[^\s,:\"'<>\[\]()]{1,128}(?:,|:(?:\d{1,9}:)?)(?=[<\[(\"\w])"
    r"|[^\w\s<\[(\"+\-]{1,8}(?=[<\[(\"\w])|[^\w\s<\[(\"]{2,8}(?=[<\[(\"\w])"
)
_LONE_MARK = re.compile(r"[*#](?=\s)")
# A module, a process id and a long thread id right after the time (Python's
# "%(asctime)s %(module)s %(process)d %(thread)d %(message)s"; a thread id has 8 or more digits:
# "<time> copied 3 1024 bytes" is a message)
_NAME_PID_TID = re.compile(r"([A-Za-z_]\w{0,63}) (\d{1,10}) \d{8,20}(?=\s)")
# A one-character level mark after the time: "#" warning, "*" notice; after a tag and a time
# ("1:M <time> - ...") also "-" verbose and "." debug.
_MARK_LEVELS = {"#": "WARNING", "*": "NOTICE", "-": "DEBUG", ".": "DEBUG"}
_TAGGED_MARK = re.compile(r"[-.](?=\s)")
# A network device's message mnemonic, %FACILITY-SEVERITY-MNEMONIC: (Cisco IOS and NX-OS,
# ASA, and the devices that copy them); the severity digit is syslog's (0 emergency ... 7 debug).
_MNEMONIC = re.compile(
    r"%([A-Z][A-Z0-9_]{0,31}(?:-[A-Z][A-Z0-9_]{0,31})?)-([0-7])-[A-Z0-9_]{1,48}:(?=\s)"
)
# A context id in braces before the level ("{}" when none, "{9f0c2a61-...}"): a query or
# request id
_BRACE_ID = re.compile(r"\{[\w\-]{0,64}\}(?=\s)")
# A processor and thread id closed by a parenthesis glued to the message, right after the time
# (a hypervisor kernel's "cpu2:1234)Vol3: ...")
_CPU_WORLD = re.compile(r"[a-z]{2,8}\d{1,4}:(\d{1,10})\)(?=\S)")
# A correlation id in brackets after a thread in parentheses (oVirt: "(thread) [7a1b2c3d] ")
_CORRELATION = re.compile(r"\s+(\[[\w\-]{0,64}\])(?=\s)")
# A source position in parentheses after the thread (log4j "(%F:%L)": "(Server.java:42)")
_PAREN_SOURCE = re.compile(r"\([\w$.\-]+\.\w{1,8}:\d{1,6}\)(?=\s)")
# Flask's "in module:" after the level
_IN_MODULE = re.compile(r"in ([A-Za-z_][\w.]{0,63}):(?=\s)")
# Seconds since the process started, with a colon, after the time (JDK 8 GC logs:
# "2026-03-02T10:00:00.123+0000: 12.345: [GC ...")
_UPTIME_COLON = re.compile(r"\d{1,9}\.\d{3}:(?=\s)")
# A worker number after the level and its colon ("[info]: #0 starting worker")
_WORKER = re.compile(r"#\d{1,6}(?=\s)")
# A logger padded to its column, then its [pid] and a colon (fail2ban's
# "%(name)-24s[%(process)d]: %(levelname)-7s %(message)s")
_PADDED_PROGRAM = re.compile(r"([A-Za-z_][\w.\-]{0,63}) +\[(\d{1,10})\]:(?=\s)")
# A record's head line that holds only a source position and function after the time
# (Samba: "[2026/03/02 10:00:00.123456,  0] ../source3/smbd/server.c:1741(main)"; the text
# follows on the next, indented line)
_SOURCE_HEAD = re.compile(r"([\w./\-]*\w\.\w{1,4}:\d{1,6}\(\w*\))\s*")
# Two-word error titles in the level's place (PHP's "PHP Fatal error:  ...")
_TITLE_LEVEL = re.compile(r"(Fatal|Parse|Catchable fatal|Recoverable fatal) error:(?=\s)")
_TITLE_LEVELS = {"Fatal": "CRITICAL"}
# A level word in lower case and a logger name, each closed by a tab (zap's console encoder
# with lower-case levels: "2026-03-02T10:00:00.123Z\tinfo\tads\tnew connection")
_TAB_LEVEL = re.compile(r"([a-z]{3,9})(?=\t)")
_TAB_NAME = re.compile(r"[A-Za-z_][\w.\-/]{0,63}(?=\t)")
# A level word in lower case with its colon after a category ("general: info: ...")
# ";" after the time, then the ";"-closed columns that hold a digit
_SEMI_FIELDS = re.compile(r";(?:(?=[^;\s]*\d)[^;\s]{1,64};){1,6}")
_LOWER_LEVEL_COLON = re.compile(r"([a-z]{3,9})(?: \d{1,2})?:(?=\s)")  # "debug 3:" too

_MAX_FIELDS = 12

CONVENTIONS: tuple[str, ...] = (
    # Recognisers of one library's or server's own field (a letter before a pipe, a channel
    # with its level, a pid in parentheses, a padded Spring logger...): each a module global.
    *("_LETTER_PIPE", "_CHANNEL_LEVEL", "_PAREN_PID", "_PADDED_LOGGER", "_HEX_LEVEL"),
    *("_RECORD_HEAD", "_CLASS_HEAD", "_ERLANG_PID", "_TRAILING_LOGGER", "_PIPE_TAG"),
    *("_NUMBERED_LEVEL", "_LOGGER_LINE", "_PIPE_PADDED_LEVEL", "_PIPE_CALLER_COLUMN"),
    *("_PIPE_CALLER", "_PRI", "_RFC5424", "_GLOG_LETTER", "_PID_TID", "_PID_BEFORE"),
    *("_LOGGER_SOURCE", "_SD_ID", "_KV_RUN", "_TIME_COLUMN", "_NAMED_FIELD", "_GLUED_NAME"),
    *("_CRI_STREAM", "_UPTIME", "_UPTIME_START", "_PRE_LEVEL", "_EVENT_NAME", "_SPANS"),
    *("_NAMED_THREAD", "_PROGRAM_PID", "_THREAD_PARENS", "_CORRELATION", "_PAREN_SOURCE"),
    *("_BRACE_CALLER", "_BRACE_ID", "_GLUED_ID", "_LONE_MARK", "_TAGGED_MARK", "_NAME_PID_TID"),
    *("_MNEMONIC", "_CPU_WORLD", "_IN_MODULE", "_UPTIME_COLON", "_WORKER", "_PADDED_PROGRAM"),
    *("_SOURCE_HEAD", "_TITLE_LEVEL", "_TIME_LABEL", "_CALLER", "_BRACKET_SOURCE"),
    *("_LETTER_LEVEL", "_LETTER_BEFORE_NAME", "_UPPER_LABEL", "_PADDED_CONTEXT"),
    *("_GLIB_HEAD", "_SOURCE_MODULE", "_LOGCAT_BRIEF"),
)
"""The scanner's recognisers of named conventions: each reads one library's or server's own
field, as opposed to the general mechanisms (timestamps of common shapes, level words,
brackets, ``|``, tab, `` - `` and ``: `` separators, pids, hosts, dotted or padded names, the
fields before a timestamp, and the layouts learned from a source's own lines).
``bench/corpus.py --generic-only`` swaps each for an expression that never matches (and empties
:data:`CONVENTION_TABLES`, drops :data:`CONVENTION_LEVELS`), so that every format of the corpus
is one the engine was never told about: what is left is what an unknown format gets."""
CONVENTION_TABLES: tuple[str, ...] = (
    *("_SINGLE_LETTER_LEVELS", "_BRACKET_ONLY_LEVELS", "_BRACKET_LETTERS"),
)
"""Tables of one convention's level letters or words (logcat's ``D``, MySQL's ``[System]``)."""
CONVENTION_LEVELS: tuple[str, ...] = (
    *("DEBG", "BLAT", "FAIL", "DBUG", "DDEBUG", "SUBDEBUG", "LOG", "NOTE"),
)
"""Level words of :data:`LEVELS` that one program's logs use (supervisord's ``BLAT``,
PostgreSQL's ``LOG``...), unlike the level words loggers share."""


def _level_at(line: str, pos: int) -> tuple[str, int] | None:
    """A level keyword at ``pos`` (bare upper/Capitalised, or any case in brackets)."""
    m = _LEVEL_WORD.match(line, pos)
    if m is None:
        return None
    word = m.group(1) or m.group(2)
    bracketed = m.group(1) is not None
    upper = word.upper()
    level = LEVELS.get(upper)
    if level is None:
        return None
    end = m.end()
    lower_prefix = pos == 0 and end < len(line) and line[end] == ":"  # "info: Connecting..."
    if not bracketed and word not in (upper, upper.capitalize()) and not lower_prefix:
        return None
    if not bracketed and not lower_prefix and word != upper and upper in _UPPER_ONLY_LEVELS:
        return None
    if end < len(line) and line[end] == ":":
        end += 1
    return level, end


_LETTER_LEVEL = re.compile(r"([VDIWEF])(?= +[^\s:]+: )")
_LETTER_BEFORE_NAME = re.compile(r"([VDIWEF])(?= +[A-Z][A-Z_]{2,15}\s)")


def _letter_level_at(line: str, pos: int, before_name: bool = False) -> tuple[str, int] | None:
    """A one-letter level as logcat writes it after the process and thread ids
    (``1702  2395 D WindowManager: ...``), or right after the time before an upper-case
    component (``I NETWORK  [listener] ...``)."""
    m = (_LETTER_BEFORE_NAME if before_name else _LETTER_LEVEL).match(line, pos)
    return (_SINGLE_LETTER_LEVELS[m.group(1)], m.end()) if m else None


def _level_soon(line: str, pos: int, within: int = 3) -> bool:
    """True when a level keyword starts one of the next ``within`` whitespace-separated tokens."""
    for _ in range(within):
        pos = _WS.match(line, pos).end()  # type: ignore[union-attr]
        if _level_at(line, pos) is not None:
            return True
        nxt = line.find(" ", pos)
        if nxt < 0:
            return False
        pos = nxt
    return False


# A source file and line at a bracket's end: "file.cc(52)]", "dir/file.cc:210]"
_BRACKET_SOURCE = re.compile(r"[:/][\w.\-/]*\w\.[A-Za-z]{1,7}(?:\(\d{1,6}\)|:\d{1,6})\]$")
_BRACKET_ONLY_LEVELS = {"SYSTEM": "INFO"}  # MySQL's [System]
_BRACKET_PARTS = re.compile(r"[:/]")


def _bracket_level(inner: str) -> str | None:
    """The level named by a bracketed field: ``[error]``, ``[core:error]`` (module:level),
    ``[main/INFO]`` (thread/level), ``[12:34:0302/100000.1:ERROR:file.cc(52)]``. A word
    that is a level only in brackets (MySQL's ``[System]``) must be the whole field, and an
    address (``[akka://shop/system/errors]``) names no level."""
    if "://" in inner:
        return None
    only = _BRACKET_ONLY_LEVELS.get(inner.strip().upper())
    if only is not None:
        return only
    for part in _BRACKET_PARTS.split(inner):
        word = part.strip()
        if word.isalnum() and not word.isalpha() and len(word) > 4:
            word = word.rstrip("0123456789")  # a level with its verbosity: "VERBOSE1"
            if len(word) < 4 or not word.isupper():
                continue
        if word.isalpha():
            level = LEVELS.get(word.upper())
            if level is not None:
                return level
    return None


def _without_context(message: str) -> str:
    """The message without trailing columns of context fields: a JSON object (zap's console
    encoder, winston's simple format: ``starting server\t{"port": 8080}``), two JSON columns
    of which the last may be an empty list (PHP Monolog's ``%context% %extra%``: ``User logged
    in {"user":"bob"} []``), ``key=value`` pairs after a padded column (structlog's console:
    ``worker started          queue=default``), or a Java logger in parentheses (log4j's
    ``%m (%c)``: ``started (kafka.server.KafkaServer)``). (A trailing time since the logger's
    previous line, NestJS's ``initialized +14ms``, stays: messages end so too, Android's
    ``Displayed .../.MainActivity: +7720ms``.)"""
    last = message[-1:]
    if last == ")" and (message[-2:-1].isalnum() or message.endswith("$)")):
        logger = _TRAILING_LOGGER.search(message)
        if logger is not None:
            return message[: logger.start()]
    if last == "]" and message.endswith(("\t[]", " []")):
        rest = message[:-2].rstrip()
        if rest.endswith(("\t[]", " []")):
            return rest[:-2].rstrip()  # "message [] []"
        cut = _json_tail(rest)
        return message if cut is None else cut
    if last == "}":
        cut = _json_tail(message)
        if cut is None:
            return message
        if cut.endswith("}") or cut.endswith(("\t[]", " []")):
            second = _json_tail(cut) if cut.endswith("}") else cut[:-2].rstrip()
            return cut if second is None else second  # "message {context} {extra}"
        return cut
    if "  " in message and "=" in message:
        padded = _PADDED_CONTEXT.fullmatch(message)
        if padded is not None:
            return padded.group(1)
    return message


# A message, a padding run, and key=value pairs only (the message itself has no "=").
_PADDED_CONTEXT = re.compile(
    r"([^=\s](?:[^=]*[^=\s])?) {2,}"
    r"[\w.\-]+=(?:'[^']*'|\"[^\"]*\"|\S*)(?: [\w.\-]+=(?:'[^']*'|\"[^\"]*\"|\S*))*"
)


def _json_tail(message: str) -> str | None:
    """``message`` without the JSON object that ends it, or None when it does not end with
    one (or the object is a value the message assigns or names: ``payload = {...}``)."""
    at = max(message.rfind(' {"'), message.rfind('\t{"'))
    before = message[:at].rstrip()
    if at <= 0 or before[-1:] in ("=", ":") or before.endswith("=>"):
        return None
    try:
        value = json.loads(message[at + 1 :])
    except ValueError:
        return None
    return message[:at].rstrip() if isinstance(value, dict) else None


_SYSLOG_SEVERITIES = ("CRITICAL",) * 3 + ("ERROR", "WARNING", "NOTICE", "INFO", "DEBUG")


def _pri_level(text: str) -> str:
    """The level in syslog's priority: facility * 8 + severity (RFC 5424, 6.2.1)."""
    return _SYSLOG_SEVERITIES[int(text[1 : text.index(">")]) % 8]


def _pipe_level(text: str) -> str | None:
    """A level in a pipe-separated field: a name, or one letter (``|I|``)."""
    if len(text) == 1:
        return "CRITICAL" if text == "C" else _SINGLE_LETTER_LEVELS.get(text)
    return _bracket_level(text)


def _header_bracket(inner: str, line: str, end: int, after_logger: bool) -> bool:
    """Whether a bracketed group after the level belongs to the header: a thread or logger
    name, a padded column (``[    main]``), context of ``key=value`` pairs, named fields
    naming the process (``[pid 12:tid 3]``), or anything followed by a separator."""
    if not any(c.isspace() for c in inner) or after_logger:
        return True
    if inner.strip() and not any(c.isspace() for c in inner.strip()):
        return True
    if line.startswith((" - ", ": ", " | "), end):
        return True
    if _LOGGER_AHEAD.match(line, end) or _LONG_LOGGER_AHEAD.match(line, end):
        # a thread named with spaces before the logger ([IPC Server handler 5]), with its
        # colon or a package path of three or more names (logback's "%logger{40} %msg")
        return True
    words = inner.split()
    if len(words) > 1 and _SD_ID.fullmatch(words[0]):
        words = words[1:]  # "[Originator@6876 sub=Vimsvc opID=5a1c]": an id, then its params
    # (pairs with "=", or with ":" as a logging context's MDC keys: "[c:films s:shard1]")
    return all(_KV.fullmatch(w) or _KV_COLON.fullmatch(w) or w == "-" for w in words) or bool(
        _NAMED_FIELD.fullmatch(inner)
    )


def _bracket_context(text: str) -> tuple[str | None, str | None, str | None]:
    """Level, component and pid from the rest of a bracket that opened with a timestamp:
    ``[2026-03-02T10:00:00Z ERROR my_crate::module]``, ``[2026-03-02T10:00:00 #1234]``,
    ``[2026-03-02 10:00:00,101: INFO/MainProcess]`` (a level and the process after a slash)."""
    level = component = pid = None
    for word in text.strip().rstrip("]").split():
        if not any(c.isalnum() for c in word):
            continue
        head, slash, rest = word.partition("/")
        if slash and head.isdigit() and pid is None:
            pid = head  # "pid/Tthread": "[ N <time> 2567/T1 file.cpp:12 ]" (Passenger)
            continue
        if slash and level is None and head.isupper() and head.isalpha() and head in LEVELS:
            level = LEVELS[head]  # "LEVEL/process": "[<time>: INFO/MainProcess]"
            component = component or rest or None
            continue
        lvl = LEVELS.get(word.upper()) if word.isalpha() else None
        if lvl is not None and level is None and word in (word.upper(), word.capitalize()):
            level = lvl
        elif word[:1] == "#" and word[1:].isdigit():
            pid = pid or word[1:]
        elif word.isdigit():
            pid = pid or word
        elif component is None:
            component = word
    return level, component, pid


@dataclass(slots=True)
class _Scan:
    line: str
    default_year: int
    pos: int = 0
    timestamp_end: int = -1
    syslog_host_due: bool = False
    syslog_stamp: bool = False  # a syslog time was read (a program names itself after it)
    timestamp: object = None
    has_timestamp: bool = False
    level: str | None = None
    host: str | None = None
    component: str | None = None
    pid: str | None = None
    tentative: bool = False  # the component is a thread named before the level
    done: bool = False  # a fixed layout (RFC 5424) read the whole header
    priority: str | None = None  # the level a <PRI> or a letter tag gives, when no word does
    run: tuple[str, ...] = ()  # the kinds of a run of general fields' tokens (_field_run)
    # How far runs of general fields looked (an exclusive index; len(line) + 1: up to the
    # line's end): a probe's answer holds for any line equal up to there (layouts' probes)
    reach: int = 0
    spans: list[tuple[int, int, str]] = field(default_factory=list)

    def mark(self, start: int, end: int, kind: str) -> None:
        self.spans.append((start, end, kind))


def _scan(line: str, default_year: int) -> tuple[tuple[Header, str], _Scan] | None:
    s = _Scan(line, default_year)
    _leading_timestamps(s)
    for _ in range(_MAX_FIELDS):
        if s.done or not _next_field(s):
            break
    if (
        not s.has_timestamp
        and s.level is None
        # fields, then a level, opening the line ("0 [main] INFO  app.Sort  - message")
        and (s.spans or not _field_run(s, _WS.match(line).end(), need_level=True))  # type: ignore[union-attr]
    ):
        return None
    message = _without_context(line[s.pos :].strip())
    if not message and s.spans and s.spans[0][2] == "tag":
        message = line[s.spans[0][0] : s.spans[0][1]]  # "Start-Date: <time>": the tag says what
    header = Header(
        timestamp=s.timestamp,  # type: ignore[arg-type]
        level=s.level or s.priority,
        host=s.host,
        component=s.component,
        pid=s.pid,
    )
    return (header, message), s


def _try_timestamp(s: _Scan, pos: int) -> bool:
    line = s.line
    bracket = pos < len(line) and line[pos] == "["
    paren = pos < len(line) and line[pos] in '(<"'
    start = pos + 1 if bracket or paren else pos
    letter = None
    lpos = pos + 2 if bracket and line[pos + 1 : pos + 2] == " " else pos + 1
    if bracket and line[lpos + 1 : lpos + 2] == " " and line[lpos : lpos + 1].isalpha():
        # "[I 2026-03-02 10:00:00.123 ServerApp]" (Tornado, Jupyter), "[ N 2026-03-02
        # 10:00:00.1234 12/T1 file.cpp:12 ]:" (Phusion Passenger: N notice, C critical)
        letter = line[lpos]
        start = lpos + 2
    found = match_timestamp_shape(line, start, s.default_year)
    if found is None:
        return False
    value, end, shape = found
    context = -1
    if paren and not line.startswith(_CLOSING[line[pos]], end):
        return False
    if bracket:
        if end < len(line) and line[end] == "]" and letter is None:
            end += 1
        else:
            # A bracket that opens with the timestamp and holds more header fields.
            close = line.find("]", end, end + 160)
            if (
                close < 0
                or (line[end] not in " \t," and not line.startswith(": ", end))
                or "[" in line[end:close]
            ):
                return False  # (": " after the time: "[<time>: INFO/MainProcess]")
            context = close + 1
    if (value is not None and (s.timestamp is None)) or (
        value is not None and s.timestamp is not None and _is_time_only_fix(s, value)
    ):
        s.timestamp = value
    s.has_timestamp = True
    if not bracket and host_follows(line, start, end):
        s.syslog_host_due = True  # syslog convention: the host follows "Mon dd hh:mm:ss"
        s.syslog_stamp = True
    if context >= 0:
        s.mark(pos, start, "bopen" if letter is None else "bletter")
        if letter is not None:  # (a letter no table knows is a field: no level)
            s.level = s.level or _BRACKET_LETTERS.get(letter)
        s.mark(start, end, f"ts{shape}")
        s.mark(end, context, "bctx")
        level, component, pid = _bracket_context(line[end:context])
        s.level = s.level or level
        s.component = s.component or component
        s.pid = s.pid or pid
        end = context
    elif paren:  # "(2026-03-02 10:00:00): ...", "<Mar 2, 2026 10:00:00 AM UTC> <Info> ..."
        opening, closing = _ENCLOSING_KINDS[line[pos]]
        s.mark(pos, start, opening)
        s.mark(start, end, f"ts{shape}")
        s.mark(end, end + 1, closing)
        end += 1
    else:
        s.mark(pos, end, f"[ts{shape}" if bracket else f"ts{shape}")
    if stamp_colon(line, end) if context < 0 else line.startswith(": ", end):
        end += 1  # "... 14:36:53: run with ...", "...,123:DEBUG:certbot.main:...", "... ]: "
    s.pos = end
    s.timestamp_end = end
    return True


def stamp_colon(line: str, end: int) -> bool:
    """Whether the colon at ``end``, right after a timestamp, belongs to it: it is followed by
    a space or a level (``... 14:36:53: run with ...``, ``...,123:DEBUG:certbot.main:...``)."""
    return line.startswith(":", end) and (
        line.startswith(": ", end) or _level_at(line, end + 1) is not None
    )


def host_follows(line: str, start: int, end: int) -> bool:
    """Whether a host name may follow the timestamp ``line[start:end]``: syslog's
    ``Mon dd hh:mm:ss`` (a month name first), not a C ``ctime()`` stamp that ends with its
    year (``Mon Mar  2 10:00:00 2026``, whose message follows at once)."""
    return line[start].isalpha() and not (
        end - start > 5 and line[end - 5] == " " and line[end - 4 : end].isdigit()
    )


def _is_time_only_fix(s: _Scan, value: object) -> bool:
    return (
        isinstance(s.timestamp, datetime)
        and isinstance(value, datetime)
        and (_date_only_fix(s.timestamp, value))
    )


def _date_only_fix(old: datetime, value: datetime) -> bool:
    # A later timestamp with a time of day replaces an earlier date-only one.
    return old.hour == 0 and old.minute == 0 and bool(value.hour or value.minute)


def _leading_timestamps(s: _Scan) -> None:
    line = s.line
    pos = _WS.match(line, 0).end()  # type: ignore[union-attr]
    pri = _PRI.match(line, pos)
    if pri is not None:
        s.mark(pos, pri.end(), "pri")
        s.priority = _pri_level(line[pos : pri.end()])
        pos = _WS.match(line, pri.end()).end()  # type: ignore[union-attr]
        if pri.group("version") and _try_timestamp(s, pos):
            _rfc5424(s)
            return
    letter = _GLOG_LETTER.match(line, pos)
    if letter is not None and _try_timestamp(s, pos + 1):
        s.level = _SINGLE_LETTER_LEVELS[letter.group(0)]
        s.spans.insert(0, (pos, pos + 1, "letter"))
        _after_level(s)
        s.done = True
        return
    if _try_timestamp(s, pos):
        return
    brief = _LOGCAT_BRIEF.match(line, pos)
    if brief is not None:
        logcat_header(s, brief)
        s.mark(pos, brief.end(), "lcbrief")
        s.pos = brief.end()
        s.done = True
        return
    glib = _GLIB_HEAD.match(line, pos)
    if glib is not None:
        glib_header(s, glib)
        s.mark(pos, glib.end(), "glib")
        s.pos = glib.end()
        s.done = True
        return
    numbered = _NUMBERED_LEVEL.match(line, pos)
    if numbered is not None:  # "debug1: Reading configuration data ...": a verbosity level
        s.level = LEVELS[numbered.group(1).upper()]
        s.mark(pos, numbered.end(), "nlevel")
        s.pos = numbered.end()
        s.done = True
        return
    glued = _GLUED_ID.match(line, pos)
    if glued is not None and _try_timestamp(s, glued.end()):  # "1234:20260302:100000.123 ..."
        s.spans.insert(len(s.spans) - 1, (pos, glued.end(), "gpid"))
        s.pid = glued.group(0)[:-1]
        return
    glued = _GLUED_LEAD.match(line, pos)
    first = len(s.spans)
    if glued is not None and _dated_at(s, glued.end()) and _try_timestamp(s, glued.end()):
        # a file name or source glued to the line it prefixes ("/var/log/syslog:Mar  2 ..."),
        # marks ("####<Mar 2, 2026 ...>"), a CSV column
        s.spans.insert(first, (pos, glued.end(), "glead"))
        word = glued.group(0)[:-1]  # "Information,3/2/2026 10:00:00 AM,...": a level
        if word.isalpha() and word in (word.upper(), word.capitalize()):
            s.priority = LEVELS.get(word.upper())
        return
    label = _TIME_LABEL.match(line, pos)
    if label is not None:
        after = _WS.match(line, label.end()).end()  # type: ignore[union-attr]
        labelled = match_timestamp(line, after, s.default_year)
        if labelled is not None and not line[labelled[1] :].strip() and _try_timestamp(s, after):
            # "Log started: 2026-03-02  10:00:00": a label and the time alone; the label says
            # what happened then
            s.spans.insert(len(s.spans) - 1, (pos, label.end(), "tag"))
            return
    # Fields before the timestamp: one short tag of any kind (a label, a severity letter),
    # or up to four plain fields the first of which is an id, an address or "-".
    at = pos
    strict = False  # the fields so far are a fixed form: only its own next field may follow
    for n in range(4):
        tag = (_TAG if n == 0 else _LEAD_FIELD).match(line, at)
        if tag is not None and n == 1 and not _plain_lead(line[pos:at].strip()):
            first_field = line[pos:at].strip()
            # "ERROR - 2026-03-02 10:00:00 --> ...": a level and a dash (CodeIgniter's files);
            # "[Nest] 19096  - 03/25/2026, ...": a bracketed name, a pid and a dash (NestJS)
            strict = (tag.group() == "-" and _tag_level(first_field) is not None) or (
                tag.group().isdigit() and _BRACKET_NAME.fullmatch(first_field) is not None
            )
        if tag is None or (
            n == 1 and not _plain_lead(line[pos:at].strip()) and tag.group() != "|" and not strict
        ):  # ("api    | 2026-03-02 ...": a service's name and a pipe before its lines)
            break
        if strict and n > 1 and not (n == 2 and tag.group() == "-"):
            break  # ("INFO - some words <time>": words, not such a form)
        if n == 0 and tag.group()[0] == "[" and "]" not in line[tag.start() :]:
            break  # a bracket never closed: a line cut short ("[2026-03-02 10:00:00")
        after = _WS.match(line, tag.end()).end()  # type: ignore[union-attr]
        if line[after : after + 1] in ("*", ".") and line[after + 1 : after + 2].isalpha():
            after += 1  # "000041: *Mar  2 10:00:00.118": the clock is not synchronised
        if _try_timestamp(s, after):
            first = len(s.spans) - (3 if s.spans[-1][2] in _AFTER_ENCLOSED else 1)
            if n == 1 and tag.group() == "-" and not _plain_lead(line[pos:at].strip()):
                lend = _TAG.match(line, pos).end()  # type: ignore[union-attr]
                s.spans[first:first] = [(pos, lend, "level"), (tag.start(), tag.end(), "lead")]
                s.level = _tag_level(line[pos:lend])
                return
            s.spans.insert(first, (pos, tag.end(), "tag" if n == 0 else "lead"))
            if n == 0:
                s.priority = _tag_level(tag.group(0))
                if tag.group()[0] == "[" and "]" not in tag.group() and line.startswith("]", s.pos):
                    s.mark(s.pos, s.pos + 1, "bclose")  # "[UTC Mar 31 09:00:00] ..." (Monit)
                    s.pos = s.timestamp_end = s.pos + 1
                    s.syslog_host_due = s.syslog_stamp = False  # (no host in the bracket)
            return
        at = after
    uptime = _UPTIME_START.match(line, pos)
    if uptime is not None:  # the kernel's seconds since boot (dmesg): time-like, no date
        s.mark(pos, uptime.end(), "uptime")
        s.has_timestamp = True
        s.pos = uptime.end()
        return
    if line[pos : pos + 1] == "[":
        br = _BRACKET.match(line, pos)
        level = _bracket_level(br.group(0)[1:-1]) if br is not None else None
        if br is not None and level is not None:  # "[1234:5678:0302/10..:ERROR:gpu.cc(52)] ..."
            s.level = level
            s.mark(pos, br.end(), "blevel")
            s.pos = br.end()
            stamp = compact_field_time(br.group(0)[1:-1], s.default_year)
            if stamp is not None:
                s.timestamp, s.has_timestamp = stamp, True
            # a source position closes the header: "...:INFO:file.cc(52)] Name(): message"
            s.done = _BRACKET_SOURCE.search(br.group(0)) is not None
            return
    # A relative time or thread id and a thread name before the level (log4j's TTCC:
    # "176 [main] INFO  org.example.Foo - message").
    at, found = pos, []
    for _ in range(2):
        field_ = _PRE_LEVEL.match(line, at)
        if field_ is None:
            break
        found.append(field_)
        at = _WS.match(line, field_.end()).end()  # type: ignore[union-attr]
        if _level_at(line, at) is not None:
            for f in found:
                text = f.group(0)
                s.mark(f.start(), f.end(), "pid" if text.isdigit() else "bracket")
                _set_component_or_pid(s, text.strip("[]"))
            s.tentative = s.component is not None
            s.pos = at
            return
    s.pos = pos


_CLOSING = {"(": ")", "<": ">", '"': '"'}
_AFTER_ENCLOSED = ("bctx", "pclose", "aclose", "qclose")
_ENCLOSING_KINDS = {"(": ("popen", "pclose"), "<": ("aopen", "aclose"), '"': ("qopen", "qclose")}


def glib_header(s: _Scan, m: re.Match[str]) -> None:
    """Level, component and pid of a GLib handler's head (:data:`_GLIB_HEAD`)."""
    word = m.group("lvl").upper()
    s.level = LEVELS.get(word, "INFO" if word == "MESSAGE" else None)
    s.component = m.group("dom") or m.group("prg")
    s.pid = m.group("pid")


def logcat_header(s: _Scan, m: re.Match[str]) -> None:
    """Level, tag and pid of a logcat brief head (:data:`_LOGCAT_BRIEF`)."""
    s.level = _LOGCAT_LEVELS[m.group(1)]
    s.component = m.group(2)
    s.pid = m.group(3)


# A time of day somewhere in a line (a cheap test before looking for a framed timestamp)
_CLOCK = re.compile(r"\d:\d\d:\d\d")
# What may follow a timestamp that ends a line: a closing run of marks ("... <time> ===")
_CLOSING_MARKS = re.compile(r"\s*(?:[=*#~-]{1,16}\s*)?$")
_FRAMED_REACH = 240
_AFTER_BRACKET = re.compile(r"(?<=\[)[^\W_]")
_FIELD_START = re.compile(r"(?<=[\s\[=*#~-])[^\W_]")
_LONGEST_STAMP = 40  # from a timestamp's start to its time: "Wednesday, September 30, 2026 "


def framed_timestamp(line: str, default_year: int) -> datetime | None:
    """The time of a line that no header opens, when the line frames a full timestamp (a
    year, a date and a time of day): alone in brackets (``... {34 vars in 456 bytes} [Mon Mar
    2 10:00:00 2026] GET / ...``, a request line of fields before its time), or ending the
    line, maybe before a closing run of marks (``=INFO REPORT==== 2-Mar-2026::10:00:00 ===``,
    ``>>>  Section start 2026/03/02 10:00:00.123``). ``None`` otherwise: a number alone
    (epoch digits), a date or a time alone, or a date inside a sentence."""
    head = line[:_FRAMED_REACH].rstrip()
    if _CLOCK.search(head) is None:
        return None
    starts = [m.start() for m in _AFTER_BRACKET.finditer(head, 1)]
    if len(line.rstrip()) <= _FRAMED_REACH:
        # a timestamp ending the line holds its last time of day and starts shortly before
        clock = max(m.start() for m in _CLOCK.finditer(head))
        starts += [
            m.start()
            for m in _FIELD_START.finditer(head, max(1, clock - _LONGEST_STAMP), clock + 1)
            if head[m.start() - 1] != "["
        ]
    for i in starts:
        before = head[i - 1]
        found = match_timestamp_shape(head, i, default_year)
        if found is None or found[0] is None:
            continue
        value, end, _ = found
        text = head[i:end]
        if ":" not in text or not any(len(run) == 4 for run in re.findall(r"\d+", text)):
            continue  # a full timestamp names its year and its time of day
        if before == "[":
            if head.startswith("]", end):
                return value
        elif _CLOSING_MARKS.match(head, end) is not None:
            return value
    return None


def _dated_at(s: _Scan, pos: int) -> bool:
    """Whether a timestamp with a date (not a time of day alone) starts at ``pos``, bare or
    in brackets."""
    line = s.line
    start = pos + 1 if line[pos : pos + 1] in ("[", "(", "<", '"') else pos
    found = match_timestamp(line, start, s.default_year)
    return found is not None and found[0] is not None


def _names_something(bracket: str) -> bool:
    """Whether a bracketed field holds a name or number, or is the empty field ``[-]``."""
    return bracket == "[-]" or any(c.isalnum() for c in bracket)


def _tag_level(tag: str) -> str | None:
    """A level letter as the tag before the time (Ruby's ``I,``, CUPS's ``E [...]``), or a
    level word in brackets (``[info] 2026-03-02T10:00:00Z ...``)."""
    letter = tag.rstrip(",")
    if len(letter) == 1:
        return _SINGLE_LETTER_LEVELS.get(letter)
    if letter[:1] == "[" and letter[-1:] == "]" and letter[1:-1].strip().isalpha():
        return LEVELS.get(letter[1:-1].strip().upper())
    if letter.isalpha() and letter.isupper():  # Django's verbose "INFO 2026-03-02 ..."
        return LEVELS.get(letter)
    if letter.isalpha() and letter.istitle():  # a CSV record's level column ("Warning,")
        return LEVELS.get(letter.upper())
    return None


def _plain_lead(first: str) -> bool:
    return first == "-" or (
        any(c.isdigit() for c in first) and _LEAD_WORD.fullmatch(first) is not None
    )


def _rfc5424(s: _Scan) -> None:
    """The fixed fields of RFC 5424 after its timestamp; ``-`` is an empty field."""
    pos = _WS.match(s.line, s.pos).end()  # type: ignore[union-attr]
    m = _RFC5424.match(s.line, pos)
    if m is None:
        return
    host, app, procid = (None if v == "-" else v for v in m.group("host", "app", "procid"))
    s.host, s.component, s.pid = host, app, procid
    s.mark(pos, m.end(), "rfc5424")
    s.pos = m.end()
    s.done = True
    s.syslog_host_due = False


def _next_field(s: _Scan) -> bool:
    """Consume one header field at ``s.pos``; False when the message starts here."""
    line = s.line
    pos = _WS.match(line, s.pos).end()  # type: ignore[union-attr]
    if pos >= len(line):
        s.pos = pos
        return False
    ch = line[pos]
    if ch == "%" and s.level is None and s.has_timestamp:
        mnemonic = _MNEMONIC.match(line, pos)
        if mnemonic is not None:  # "%LINK-3-UPDOWN: Interface ..."
            s.level = _SYSLOG_SEVERITIES[int(mnemonic.group(2))]
            s.component = s.component or mnemonic.group(1)
            s.mark(pos, mnemonic.end(), "mnemonic")
            s.pos = mnemonic.end()
            return False
    # Separators between header fields.
    if ch in "|,":
        pipe = _PIPE_FIELD.match(line, pos) if ch == "|" else None
        if pipe is None and ch == "|" and s.level is None:
            padded = _PIPE_PADDED_LEVEL.match(line, pos)
            if padded is not None and padded.group(1).upper() in LEVELS:
                pipe = padded
            elif (
                padded is not None
                and s.has_timestamp
                and _PIPE_CALLER.match(line, padded.end() + 1)
            ):
                # a level of the logger's own naming in the level's column, before the
                # caller (loguru's "| SUCCESS  | app.jobs:finish:55 - ..."): no level known
                s.mark(pos, padded.end(), "plevel")
                s.pos = padded.end()
                return True
        if pipe is None and ch == "|" and (s.has_timestamp or s.level):
            column = _PIPE_CALLER_COLUMN.match(line, pos)
            if column is not None:  # "| app:<module>:16 |": module, function, line number
                s.component = s.component or column.group(1)
                s.mark(pos, column.end(), "pcolumn")
                s.pos = column.end()
                return True
        if pipe is not None and (s.has_timestamp or s.level):
            named = _pipe_level(pipe.group(1)) if s.level is None else None
            if named is not None:
                s.level = named
            else:
                _set_component_or_pid(s, pipe.group(1))
            s.mark(pos, pipe.end(), "pipe" if named is None else "plevel")
            s.pos = pipe.end()
            return True
        if s.has_timestamp or s.level:
            s.pos = pos + 1
            # The last "|" of a pipe-separated header: the message follows.
            caller = _PIPE_CALLER.match(line, s.pos) if ch == "|" else None
            if caller is not None:  # loguru: "| INFO     | app.main:startup:42 - message"
                s.component = s.component or caller.group(1)
                s.mark(pos, caller.end(), "pcaller")
                s.pos = caller.end()
            return ch == ","
        return False
    if ch == "-" and line.startswith("- ", pos):
        # " - " continues the header only when a level or timestamp follows, or a name and
        # then a level (Python's "%(asctime)s - %(name)s - %(levelname)s - %(message)s").
        after = _WS.match(line, pos + 1).end()  # type: ignore[union-attr]
        if _level_at(line, after) is not None or _try_timestamp(s, after):
            s.pos = after
            return True
        if s.has_timestamp and s.level is None and s.component is None:
            dash = _PROGRAM_DASH.match(line, after)
            # (or two names: "%(asctime)s - %(threadName)s - %(name)s - %(levelname)s -
            # %(message)s", botocore's debug format; the name nearest the level is the logger)
            second = _PROGRAM_DASH.match(line, dash.end()) if dash is not None else None
            for one in (dash,) if second is None else (dash, second):
                if one is not None and _level_at(line, one.end()) is not None:
                    if one is second:
                        s.mark(after, dash.end(), "dash")  # type: ignore[union-attr]
                    s.component = one.group("comp")
                    s.mark(one.start(), one.end(), "dash")
                    s.pos = one.end()
                    return True
        if s.timestamp_end == pos - 1 and len(s.spans) == 2 and s.spans[0][2] == "tag":
            s.mark(pos, pos + 1, "mark")  # "1:S <time> - message": the verbose mark
            s.priority = s.priority or _MARK_LEVELS["-"]
        if s.has_timestamp or s.level:
            s.pos = after
        return False
    if ch == ";" and s.timestamp_end == pos and s.level is None:
        # Fields separated by ";" right after the time (a batch scheduler's
        # "<time>;0080;Server.1234;Job;12.head;Job deleted ..."): the columns that hold a digit
        # (an event code, a daemon with its pid) are header; the first without one (an object
        # type, a word) opens the message.
        semi = _SEMI_FIELDS.match(line, pos)
        end = semi.end() if semi is not None else pos + 1
        for text in line[pos + 1 : end].split(";")[:-1]:
            name, dot, number = text.rpartition(".")
            if dot and number.isdigit() and name:
                s.component, s.pid = s.component or name, s.pid or number
            elif not text.isdigit():
                s.component = s.component or text
        s.mark(pos, end, "semi")
        s.pos = end
        return False
    if ch == ":" and s.timestamp_end == pos and line.startswith(": ", pos):
        s.pos = pos + 1  # "2026-03-02 10:00:00: (server.c.1513) server started"
        return True
    if ch == ":" and (s.has_timestamp or s.level) and _level_at(line, pos + 1) is not None:
        s.pos = pos + 1  # "2026-03-02 10:00:00,123:DEBUG:name:message"
        return True
    more_time = s.timestamp_end == pos or (
        s.has_timestamp and s.level is None and s.component is None
    )
    if more_time and _try_timestamp(s, pos):
        return True
    if s.timestamp_end == pos - 1 and s.component is None and s.pid is None:
        ids = _NAME_PID_TID.match(line, pos)
        if ids is not None:  # "<time> views 48213 140234567890112 message"
            s.component, s.pid = ids.group(1), ids.group(2)
            s.mark(pos, ids.end(), "npidtid")
            s.pos = ids.end()
            return False  # the message follows
    if s.timestamp_end == pos - 1 and s.level is None:
        stream = _CRI_STREAM.match(line, pos)
        if stream is not None:  # the container runtime's "stdout F" before the program's line
            s.mark(pos, stream.end(), "stream")
            s.pos = stream.end()
            s.timestamp_end = -1
            return True
        mark = _LONE_MARK.match(line, pos)
        if mark is None and len(s.spans) == 2 and s.spans[0][2] == "tag":
            mark = _TAGGED_MARK.match(line, pos)
        if mark is not None:  # a one-character role or level mark after the time
            s.mark(pos, mark.end(), "mark")
            s.priority = s.priority or _MARK_LEVELS[mark.group()]
            s.pos = mark.end()
            return False  # the message follows the mark
    if s.level is None and s.timestamp_end >= 0 and not line[s.timestamp_end : pos].strip():
        uptime = _UPTIME_COLON.match(line, pos) if ch.isdigit() else None
        if uptime is not None:  # "...+0000: 12.345: [GC (Allocation Failure) ..."
            s.mark(pos, uptime.end(), "uptimec")
            s.pos = uptime.end()
            return False
        paren = _PAREN_PID.match(line, pos) if ch == "(" else None
        if paren is not None:  # "2026/03/02 10:00:00 (12345): loaded configuration"
            s.pid = paren.group(1)
            s.mark(pos, paren.end(), "ppid")
            s.pos = paren.end()
            return _level_soon(line, s.pos, 1)
        world = _CPU_WORLD.match(line, pos) if s.component is None else None
        if world is not None:  # "cpu2:1234)Vol3: ...": the processor and the world (thread)
            s.pid = world.group(1)
            s.mark(pos, world.end(), "cpuworld")
            s.pos = world.end()
            return False
        caller = _CALLER.match(line, pos) if s.component is None else None
        if caller is not None and (
            line[caller.end() - 1] == ":"
            or (
                line.startswith("  ", caller.end())
                and caller.group(0).rsplit(":", 1)[0].rsplit(".", 1)[1] in _SOURCE_EXT
            )
        ):
            # a source position right after the time (Go's log.Lshortfile: "main.go:42: ...";
            # a source file's position padded to a column: "git.c:455      trace: ...")
            s.component = caller.group(0).removesuffix(":")
            s.mark(pos, caller.end(), "caller")
            s.pos = caller.end()
            return _level_soon(line, s.pos, 1)
        if s.component is None and line[s.timestamp_end - 2 : s.timestamp_end] in ("AM", "PM"):
            head = _CLASS_HEAD.fullmatch(line, pos)
            if head is not None:  # "Mar 2, 2026 10:15:03 PM Main main": a record's head
                s.component = head.group(1)
                s.mark(pos, head.end(1), "chead")
                s.pos = len(line)
                return False
        read = _after_time(s, pos)
        if read is not None:
            return read and _after_level(s)
        source = _SOURCE_HEAD.fullmatch(line, pos) if s.component is None else None
        if source is not None:  # a record's head: a source position and function only
            s.component = source.group(1)
            s.mark(pos, source.end(1), "shead")
            s.pos = len(line)
            return False
        head = _RECORD_HEAD.fullmatch(line, pos) if s.component is None else None
        if head is not None:  # java.util.logging: "<time> com.example.Servlet doGet", text next
            s.component = head.group(1)
            s.mark(pos, head.end(1), "rhead")
            s.pos = len(line)
            return False
        padded = _PADDED_PROGRAM.match(line, pos) if s.component is None else None
        if padded is not None:  # "fail2ban.actions        [1234]: NOTICE  [sshd] Ban ..."
            s.component, s.pid = padded.group(1), s.pid or padded.group(2)
            s.mark(pos, padded.end(), "pprogram")
            s.pos = padded.end()
            at = _WS.match(line, s.pos).end()  # type: ignore[union-attr]
            lvl = _level_at(line, at)
            if lvl is not None and line[at : lvl[1]].rstrip(":").isupper():
                s.level, s.pos = lvl
                s.mark(at, s.pos, "clevel")  # the message follows the level column
            return False
        column = _TIME_COLUMN.match(line, pos) if s.component is None else None
        if (
            column is not None
            and _level_at(line, pos) is None
            and _LOWER_LEVEL.match(line, pos) is None  # "info     : message": a level column
        ):
            s.component = column.group(1)
            s.mark(pos, column.end(), "tcolumn")
            s.pos = column.end()
            return False
    title = _TITLE_LEVEL.match(line, pos) if s.level is None and s.has_timestamp else None
    if title is not None:  # "Fatal error:  Uncaught Error: ..."
        s.level = _TITLE_LEVELS.get(title.group(1), "ERROR")
        s.mark(pos, title.end(), "tlevel")
        s.pos = title.end()
        return False
    lvl = _level_at(line, pos)
    if lvl is None and s.timestamp_end >= 0 and not line[s.timestamp_end : pos].strip():
        low = _LOWER_LEVEL.match(line, pos)  # "... info hostd[123] ...", "... warning: ..."
        if low is None and line[pos - 1] == "\t":
            low = _TAB_LEVEL.match(line, pos)  # "<time>\tinfo\tads\t...": tab-separated
        if low is not None and low.group(1).upper() in LEVELS:
            lvl = (LEVELS[low.group(1).upper()], low.end())
    if lvl is None and s.level is None and (s.pid is not None or s.timestamp_end == pos - 1):
        lvl = _letter_level_at(line, pos, s.pid is None)
    if lvl is not None and s.level is None and (s.has_timestamp or pos == 0 or s.spans):
        s.level, s.pos = lvl
        s.mark(pos, s.pos, "level")
        if line[s.pos - 1] == ":":
            event = _EVENT_NAME.match(line, s.pos)
            if event is not None:  # "info: Category[14]" heads a record whose text follows
                s.component = event.group(1)
                s.mark(event.start(1), event.end(1), "event")
                s.pos = event.end()
                return False
            glued = _GLUED_NAME.match(line, s.pos)
            if glued is not None:  # Python's default "%(levelname)s:%(name)s:%(message)s"
                s.component = glued.group(0)[:-1]
                s.mark(s.pos, glued.end(), "glued")
                s.pos = glued.end()
                return False
            at = _WS.match(line, s.pos).end()  # type: ignore[union-attr]
            worker = _WORKER.match(line, at)
            if worker is not None:  # "[info]: #0 starting worker": the worker's number
                s.mark(at, worker.end(), "worker")
                s.pos = worker.end()
            return False
        return _after_level(s)
    if not (s.has_timestamp or s.level):
        return False
    if s.host is None and s.level is None and _host_level_program(s, pos):
        return s.component is None  # the program is read next, unless it was read here
    if s.syslog_host_due and s.level is None:
        s.syslog_host_due = False
        host = _HOSTLIKE.match(line, pos) or _SLASHED_HOST.match(line, pos)
        comp = _COMPONENT_COLON.match(line, pos)
        if host is not None and (comp is None or comp.group("comp2")):
            s.host = s.host or host.group(0)
            s.mark(pos, host.end(), "host")
            s.pos = host.end()
            return True
    comp = _COMPONENT_COLON.match(line, pos)
    if comp is not None and comp.group("comp2") and s.host is None and s.level is None:
        host = _HOSTLIKE.match(line, pos)
        if host is not None:  # "host program[pid]:" after a timestamp of any shape
            s.host = host.group(0)
            s.mark(pos, host.end(), "host")
            s.pos = host.end()
            return True
    if (
        comp is None
        and s.host is None
        and s.level is None
        and s.pid is None
        and s.timestamp_end >= 0
        and not line[s.timestamp_end : pos].strip()
    ):
        host = _HOSTLIKE.match(line, pos)
        if host is not None and _HOST_NAME.fullmatch(host.group(0)):
            after = _WS.match(line, host.end()).end()  # type: ignore[union-attr]
            program = _COMPONENT_COLON.match(line, after)
            if (
                program is not None
                and not program.group("comp2")
                and _level_at(line, after) is None
            ):
                s.host = host.group(0)  # "host program:" after a timestamp of any shape
                s.mark(pos, host.end(), "host")
                s.pos = host.end()
                return True
    if comp is None and s.level is None and s.component is None and ch.isalpha():
        program = _PROGRAM_PID.match(line, pos)
        at = _WS.match(line, program.end()).end() if program else 0  # type: ignore[union-attr]
        lvl = (_level_at(line, at) or _lower_level_colon(line, at)) if program else None
        if (
            program is not None
            and lvl is not None
            and (line[lvl[1] - 1] == ":" or line[at : lvl[1]].isupper())
        ):
            # "unbound[812:0] notice: ...", "shop.orders[4821] INFO ...": program, pid, level
            s.component, s.pid = program.group(1), s.pid or program.group(2)
            s.mark(pos, program.end(), "program")
            s.level, s.pos = lvl
            s.mark(at, s.pos, "level")
            return False
    if comp is not None and not _level_soon(line, pos, 1):
        if _opens_message(s, comp):
            s.pos = pos
            # unless a level follows the name ("Puppet (info): ..."): a run of fields then
            _field_run(s, pos, need_level=True)
            return False
        _take_component(s, comp)
        if s.level is None:
            at = _WS.match(line, s.pos).end()  # type: ignore[union-attr]
            lvl = _level_at(line, at)
            if lvl is None and s.host is None and not s.syslog_stamp:
                lvl = _lower_level_colon(line, at)  # "general: info: ...", "unbound[8:0] info:"
            # "imap-login: Info: Login: ..." (a program's own log); after a host, a level
            # word is the message's ("host Preview[11512]: WARNING: Type1 font data ...")
            if lvl is not None and line[lvl[1] - 1] == ":" and s.host is None:
                s.level, s.pos = lvl
                s.mark(at, s.pos, "level")
        return False
    if ch == "(" and s.has_timestamp and s.spans and s.spans[-1][2] == "bracket":
        mask = _HEX_LEVEL.match(line, pos)
        if mask is not None:  # sssd: "[sssd] [sbus_dispatch] (0x4000): dbus conn: ..."
            s.mark(pos, mask.end(), "hexlevel")
            s.pos = mask.end()
            return False
    if ch == "(" and s.level is not None and s.pid is None:
        paren = _PAREN_PID.match(line, pos)
        if paren is not None:  # "[NOTICE]   (1) : haproxy version is 2.8.3"
            s.pid = paren.group(1)
            s.mark(pos, paren.end(), "ppid")
            s.pos = paren.end()
            return False
    if ch == "[":
        br = _BRACKET.match(line, pos)
        # a bracket of marks only ("[**]") decorates the message; "[-]" is an empty field
        if (
            br is not None
            and s.level is None
            and _names_something(br.group(0))
            and not line.startswith("@", br.end())  # "[unknown]@[unknown]": one user@database
        ):
            inner = br.group(0)[1:-1]
            level = _bracket_level(inner)
            s.mark(pos, br.end(), "bracket" if level is None else "blevel")
            s.pos = br.end()
            if level is not None:
                s.level = level
                return _after_level(s)
            had = s.component
            _set_component_or_pid(s, inner)
            if inner.isdigit() and s.has_timestamp and line.startswith(": ", br.end()):
                s.mark(br.end(), br.end() + 1, "sep")  # "<time> [2101]: message": a pid
                s.pos = br.end() + 1
                return False
            # a thread, until a logger follows the level (also after a second bracket of
            # context: "[thread=main] [req=8a2b, org=ACME] INFO  org.x.Filter - ...")
            s.tentative = s.component is not had or s.tentative
            return True
    if s.level is None:
        brace_id = _BRACE_ID.match(line, pos) if ch == "{" else None
        if brace_id is not None and _level_soon(line, brace_id.end(), 1):
            s.mark(pos, brace_id.end(), "braceid")  # "{} <Information> ..." (a query id)
            s.pos = brace_id.end()
            return True
        brace = _BRACE_CALLER.match(line, pos)
        if brace is not None and _level_soon(line, brace.end(), 1):
            s.component = brace.group(0)[1:-1]  # "{scheduler_job.py:123} INFO - ..."
            s.mark(pos, brace.end(), "bcaller")
            s.pos = brace.end()
            return True
        dash = _PROGRAM_DASH.match(line, pos)
        if dash is not None and _level_at(line, dash.end()) is None:
            s.component = dash.group("comp")
            s.mark(pos, dash.end(), "dash")
            s.pos = dash.end()
            return False
        kv = _KV_RUN.match(line, pos) if s.has_timestamp else None
        if kv is not None and _level_soon(line, kv.end(), 1):
            s.mark(pos, kv.end(), "kvctx")  # "10:00:03.512 request_id=F4s1 [info] GET /"
            s.pos = kv.end()
            return True
        if s.component is None and s.spans and s.spans[-1][2] == "pid":
            column = _TIME_COLUMN.match(line, pos)
            if column is not None and _level_at(line, pos) is None:
                # "<time> 1234  5678  Agent           *** START ***": a padded source column
                s.component = column.group(1)
                s.mark(pos, column.end(), "tcolumn")
                s.pos = column.end()
                return False
            tab = _TAB_NAME.match(line, pos) if line[pos - 1] == "\t" else None
            if tab is not None and _level_at(line, pos) is None:
                # "<date>\t<time>\t 1234\t 5678\tAgent\t* Found ...": the same, in columns
                s.component = tab.group(0)
                s.mark(pos, tab.end(), "tabname")
                s.pos = tab.end()
                return False
        pid = _PID.match(line, pos)
        if pid is not None and _after_epoch(s) and not _level_soon(line, pid.end(), 1):
            pid = None  # "1772445600.123    195 10.0.0.41 ...": a count (Squid's elapsed ms)
        if pid is not None and _counts_words(line, pid.end()):
            pid = None  # "<time> 3 workers started": the message's count, not a process
        if pid is not None:
            s.pid = s.pid or pid.group(0)
            s.mark(pos, pid.end(), "pid")
            s.pos = pid.end()
            return True
        if s.spans and s.spans[-1][2] == "pid" and _thread_before_level(line, pos):
            end = _THREAD_NAME.match(line, pos).end()  # type: ignore[union-attr]
            s.mark(pos, end, "thread")  # "<time> 14322 MainThread DEBUG app.db: ..."
            s.pos = end
            return True
        if _anchor_ahead(line, pos) or _user_label_ahead(line, pos):
            tok = _HEADERISH.match(line, pos)
            if tok is not None and _titled_level(line, tok):
                s.pos = pos  # "SERVICE ALERT: ...": the message's own title, no level
                return False
            if tok is not None:
                word = tok.group(0)
                if word.isupper() and word.isalpha():
                    s.component = word  # facility words before a level (KERNEL INFO)
                elif s.host is None:
                    s.host = word
                s.mark(pos, tok.end(), "headerish")
                s.pos = tok.end()
                return True
    s.pos = pos
    _field_run(s, pos)
    return False


# A plain lower-case word (a plural "(s)" allowed) and a space: what a count is followed by in
# a sentence ("3 workers started", "1 location(s) to search"), never a header's next field.
_COUNTED_WORD = re.compile(r"\s+[a-z]{2,}(?:\(s\))?\s")


# A host, a lower-case syslog level (a facility before it allowed) and the program, right after
# the time: syslog daemons' templates with the level ("<time> web1 err app[77]: ...",
# "<time> web1 daemon.err app[77]: ...").
_HOST_LEVEL = re.compile(
    r"([\w][\w.:\-]*)\s+([a-z][a-z0-9]{1,8}\.)?([a-z]{3,9})\s+"
    r"(?=([A-Za-z_][\w.\-/]*)(\[\d{0,10}\])?:\s)"
)


def _host_level_program(s: _Scan, pos: int) -> bool:
    """Read a host and a level at ``pos`` when they stand between the time and a program
    (``name[pid]:``, ``name[]:`` or ``name:``), and the level is a level word; True when read
    (the program too when its pid field is empty, which the component rules do not take)."""
    if s.timestamp_end < 0 or s.pid is not None or s.line[s.timestamp_end : pos].strip():
        return False
    m = _HOST_LEVEL.match(s.line, pos)
    if m is None:
        return False
    word = m.group(3).upper()
    if word not in LEVELS or word in _UPPER_ONLY_LEVELS:
        return False
    # Without a [pid], a facility or a host name with a digit, dot or dash must say it is a
    # header: "sending alert email: ..." is a message.
    if m.group(5) is None and m.group(2) is None and not _HOST_NAME.fullmatch(m.group(1)):
        return False
    s.host, s.level = m.group(1), LEVELS[word]
    s.mark(pos, m.end(1), "host")
    s.mark(m.start(3) if m.group(2) is None else m.start(2), m.end(3), "level")
    s.pos = m.end(3)
    if m.group(5) == "[]":  # "app[]:": a template's program with an empty pid field
        s.component = m.group(4)
        s.mark(m.start(4), m.end(5) + 1, "program")
        s.pos = m.end(5) + 1
    return True


def _counts_words(line: str, end: int) -> bool:
    """Whether the number ending at ``end`` counts the words after it: a plain lower-case word
    follows, and no level within the next three tokens."""
    return _COUNTED_WORD.match(line, end) is not None and not _level_soon(line, end, 3)


def _after_epoch(s: _Scan) -> bool:
    """Whether the line opens with a timestamp in epoch seconds (digits, a fraction), the
    only field read so far (not fields then an epoch, whose flags may follow it)."""
    if len(s.spans) != 1 or not s.spans[0][2].lstrip("[").startswith("ts"):
        return False
    start, end, _ = s.spans[-1]
    return s.line[start:end].strip("[]").replace(".", "", 1).isdigit()


def _after_time(s: _Scan, pos: int) -> bool | None:
    """Fields that only follow a timestamp directly: a level letter before a pipe (``I |
    etcdserver: ...``), a channel with its level (``app.INFO: ...``), a process tag glued to a
    pipe (``kid1| ...``). None when none is there; True when the rest of the header may
    follow the level, False when the message starts at ``s.pos``."""
    line = s.line
    letter = _LETTER_PIPE.match(line, pos)
    if letter is not None:
        s.level = _LETTER_PIPE_LEVELS[letter.group(1)]
        s.mark(pos, letter.end(), "lpipe")
        s.pos = letter.end()
        return True
    channel = _CHANNEL_LEVEL.match(line, pos)
    if channel is not None and channel.group(2) in LEVELS:
        s.level = LEVELS[channel.group(2)]
        s.component = channel.group(1)
        s.mark(pos, channel.end(), "chlevel")
        s.pos = channel.end()
        return False  # the message follows "channel.LEVEL:"
    tag = _PIPE_TAG.match(line, pos)
    if tag is not None:
        s.mark(pos, tag.end(), "ptag")
        s.pos = _WS.match(line, tag.end()).end()  # type: ignore[union-attr]
        lvl = _level_at(line, s.pos)
        if lvl is not None and line[lvl[1] - 1] == ":":  # "kid1| WARNING: ..."
            start = s.pos
            s.level, s.pos = lvl
            s.mark(start, s.pos, "level")
        return False
    return None


def _after_level(s: _Scan) -> bool:
    """After the level: bracketed groups, a pid, separators, then a component (``name:``, a
    dotted logger, a source position)."""
    line = s.line
    # A bracket after the level ([main], [thread-1]) names a thread until a logger follows.
    tentative = s.tentative
    after_logger = False  # a bracket right after a logger holds context ([req-1 user -])
    for _ in range(6):
        pos = _WS.match(line, s.pos).end()  # type: ignore[union-attr]
        if pos >= len(line):
            s.pos = pos
            return False
        ch = line[pos]
        if ch == "i" and s.component is None and s.spans and s.spans[-1][2] == "level":
            module = _IN_MODULE.match(line, pos)
            if module is not None:  # Flask: "%(levelname)s in %(module)s: %(message)s"
                s.component = module.group(1)
                s.mark(pos, module.end(), "inmodule")
                s.pos = module.end()
                return False
        if (ch.isalpha() or ch == "_") and (s.component is None or tentative):
            named = _LOGGER_LINE.match(line, pos)
            if named is not None and named.group(1).rsplit(".", 1)[1] not in _SOURCE_EXT:
                # "[INFO] shop.api.create_order:11 - message" (not a file: "Main.java:12 - ")
                s.component = named.group(1)
                s.mark(pos, named.end(), "lline")
                s.pos = named.end()
                return False
        if ch == "[":
            br = _BRACKET.match(line, pos)
            if br is None:
                break
            inner = br.group(0)[1:-1]
            if not _header_bracket(inner, line, br.end(), after_logger):
                break
            tentative = tentative or s.component is None
            if s.pid is None and inner.startswith("pid "):
                s.pid = inner[4:].split(":")[0].strip() or None
            else:
                _set_component_or_pid(s, inner.strip())
            s.mark(pos, br.end(), "bracket")
            s.pos = br.end()
            continue
        if ch in "-|" and line.startswith(("- ", "| "), pos):
            s.pos = pos + 2
            caller = _CALLER.match(line, s.pos) if ch == "-" else None
            if caller is not None and line.startswith(" - ", caller.end()):
                # "- ERROR - orders.py:88 - message": the source position in its own column
                s.component = s.component or caller.group(0).rstrip(":]")
                s.mark(s.pos, caller.end() + 3, "dcaller")
                s.pos = caller.end() + 3
            return False
        if ch == "<" and s.pid is None:
            erlang = _ERLANG_PID.match(line, pos)
            if erlang is not None:
                s.pid = erlang.group(0)
                s.mark(pos, erlang.end(), "epid")
                s.pos = erlang.end()
                return False
        if ch == "(" and s.pid is None:
            paren = _PAREN_PID.match(line, pos)
            if paren is not None:  # "INFO (4211 on web-1): server listening"
                s.pid = paren.group(1)
                s.mark(pos, paren.end(), "ppid")
                s.pos = paren.end()
                return False
        if ch == "(" and s.spans and s.spans[-1][2] == "level":
            thread = _THREAD_PARENS.match(line, pos)
            if thread is not None and line.startswith(" [", thread.end()):
                s.mark(pos, thread.end(), "tparen")  # vdsm: "INFO  (jsonrpc/0) [api.host] ..."
                s.pos = thread.end()
                continue
        if ch == "(" and s.spans and s.spans[-1][2] == "bracket":
            source = _PAREN_SOURCE.match(line, pos)
            if source is not None:  # log4j "%-5p [%t] (%F:%L) - %m": the source position
                s.mark(pos, source.end(), "psource")
                s.pos = source.end()
                continue
        if ch == "(" and s.spans and s.spans[-1][2] == "bracket" and s.component is not None:
            thread = _THREAD_PARENS.match(line, pos)
            if thread is not None:  # "[org.jboss.as] (MSC service thread 1-2)"
                s.mark(pos, thread.end(), "tparen")
                s.pos = thread.end()
                corr = _CORRELATION.match(line, s.pos)
                if corr is not None:  # "(thread) [7a1b2c3d] ...", "[]": a correlation id
                    s.mark(corr.start(1), corr.end(), "corr")
                    s.pos = corr.end()
                return False
        if not s.has_timestamp and _try_timestamp(s, pos):
            continue  # the time after the level and thread (INFO  [main] 2026-03-02 ...)
        sep = _SEPARATOR.match(line, pos)
        if sep is not None and ch == "-":
            at = _WS.match(line, sep.end()).end()  # type: ignore[union-attr]
            if line[at : at + 1] not in ("[", ":") and _COMPONENT_COLON.match(line, at) is None:
                break  # "INFO --- logging initialized ---": dashes that open the message
        if sep is not None:
            s.mark(pos, sep.end(), "sep")
            s.pos = sep.end()
            if ch == ":":
                at = _WS.match(line, s.pos).end()  # type: ignore[union-attr]
                worker = _WORKER.match(line, at) if s.spans[-2][2] in ("level", "blevel") else None
                if worker is not None:  # "[info]: #0 starting worker": the worker's number
                    s.mark(at, worker.end(), "worker")
                    s.pos = worker.end()
                return False  # "logger : message"
            continue
        pidtid = _PID_TID.match(line, pos)
        if pidtid is None and s.pid is None and (s.component is None or tentative):
            pidtid = _PID_BEFORE.match(line, pos)  # (after "[app,trace,span]": Sleuth)
        if pidtid is not None:
            s.pid = s.pid or pidtid.group(pidtid.lastindex or 0)
            s.mark(pos, pidtid.end(), "pidtid")
            s.pos = pidtid.end()
            if line[s.pos - 1] == ":":
                return False
            continue
        if ch.isalpha() and s.component is None:
            thread = _NAMED_THREAD.match(line, pos)
            at = _WS.match(line, thread.end()).end() if thread else 0  # type: ignore[union-attr]
            if thread is not None and (
                _COMPONENT_COLON.match(line, at) or _SPANS.match(line, at)
            ):  # "INFO ThreadId(01) linkerd2_proxy: ..."
                s.mark(pos, thread.end(), "nthread")
                s.pos = thread.end()
                continue
        comp = _COMPONENT_COLON.match(line, pos)
        if comp is not None and "0x" in comp.group(0):
            break  # "C-0x55d0c2a1e0a0: ...": an object's address opens the message
        if comp is not None and (s.component is None or tentative):
            if _names_itself(s, comp):
                break
            _take_component(s, comp)
            source = _SOURCE_MODULE.match(line, _WS.match(line, s.pos).end())  # type: ignore[union-attr]
            if (
                source is not None
                and len(s.spans) > 1
                and s.spans[-2][2] == "level"
                and line[s.spans[-2][0] : s.spans[-2][1]].islower()
            ):
                # swift-log's "<time> info com.example.api: [App] message": a lower-case level,
                # the logger's label, its metadata, then the module that logged in brackets
                s.mark(source.start(), source.end(), "msource")
                s.pos = source.end()
            return False
        span = _SPANS.match(line, pos)
        if span is not None:  # tracing's spans before the target: request{method=GET}:
            s.mark(pos, span.end(), "spans")
            s.pos = span.end()
            continue
        caller = _CALLER.match(line, pos)
        if caller is not None and (s.component is None or tentative):
            tentative = False
            s.component = caller.group(0).rstrip(":]")
            s.mark(pos, caller.end(), "caller")
            s.pos = caller.end()
            continue
        if line[pos - 1] == "\t" and (
            s.component is None
            or (s.spans[-1][2] == "tabname" and (len(s.spans) < 2 or s.spans[-2][2] != "tabname"))
        ):
            tab = _TAB_NAME.match(line, pos)
            # "info\tads\tmessage": a logger's tab-separated column; a thread's column, then
            # the logger's ("INFO\tmain\tio.example.Server\tmessage", Airlift's server.log)
            if tab is not None:
                s.component = tab.group(0)
                s.mark(pos, tab.end(), "tabname")
                s.pos = tab.end()
                continue
        padded = _PADDED_LOGGER.match(line, pos) if tentative else None
        if padded is not None:  # Spring Boot: "[main] o.a.c.c.C.[.[.[/].[dispatcher]    : "
            s.component = padded.group(1)
            s.mark(pos, padded.end(), "plogger")
            s.pos = padded.end()
            return False
        named = _NAME_DASH.match(line, pos)
        if named is not None and (s.component is None or tentative):
            s.component = named.group(1)  # a logger's simple name before " - "
            s.mark(pos, named.end(), "ndash")
            s.pos = named.end()
            return False
        program = _PROGRAM_PID.match(line, pos)
        if program is not None and (s.component is None or tentative):
            s.component, s.pid = program.group(1), s.pid or program.group(2)
            s.mark(pos, program.end(), "program")
            s.pos = program.end()
            tentative = False
            continue
        column = _COLUMN.match(line, pos)
        if column is not None and s.component is None and not after_logger:
            s.component = column.group(1)
            s.mark(pos, pos + len(column.group(1)), "column")
            s.pos = pos + len(column.group(1))
            continue
        logger = _DOTTED_LOGGER.match(line, pos)
        if logger is not None and (
            s.component is None or tentative or line.startswith("  ", logger.end())
        ):  # (a logger padded to its column names itself: "[main] c.v.v.Launcher  Started")
            tentative = False
            after_logger = True
            s.component = logger.group(0)
            s.mark(pos, logger.end(), "logger")
            s.pos = logger.end()
            source = _LOGGER_SOURCE.match(line, s.pos)
            if source is not None:
                s.mark(s.pos, source.end(), "source")
                s.pos = source.end()
            continue
        # (after a logger only a run closed by a separator of its own: "com.x.Filter user=bob -
        # message"; pairs, a "{...}" or an exception's "Name:" after it are the message's)
        _field_run(s, pos, need_sep=bool(s.spans) and s.spans[-1][2] == "logger")
        break
    s.pos = _WS.match(line, s.pos).end()  # type: ignore[union-attr]
    return False


def _names_itself(s: _Scan, comp: re.Match[str]) -> bool:
    """Whether a ``name:`` after the level and its bracketed fields is the message's opening
    words: a program's own path (``/usr/sbin/daemon: ready for connections``; loggers are not
    paths) or the name of a bracketed field read just before it, written again by the
    message (``[Storage] Storage: pool loaded``)."""
    name = comp.group("comp") or ""
    if name.startswith("/") and not comp.group("pid"):
        return True
    last = s.spans[-1] if s.spans else None
    if last is None or last[2] != "bracket":
        return False
    return s.line[last[0] + 1 : last[1] - 1].strip().lower() == name.lower()


def _opens_message(s: _Scan, comp: re.Match[str]) -> bool:
    """Whether a bare ``name:`` right after a timestamp, with no level, host or pid read,
    opens the message rather than naming a program: ``2026/03/02 10:00:12 http: TLS handshake
    error``, ``[...] sched: Allocate JobId=...``. A program names itself with a pid, a detail
    or a path (``cron[12]:``, ``sshd(pam_unix):``), follows a syslog stamp, or is followed by
    a level (``auth: Warning: ...``)."""
    if s.level is not None or s.host is not None or s.pid is not None or s.spans[-1][2] == "tag":
        return False
    if comp.group("pid") or comp.group("comp2") or not s.spans[-1][2].lstrip("[").startswith("ts"):
        return False
    if s.syslog_stamp:
        return False  # after a syslog stamp a program names itself ("Mar  2 10:00:00 kernel: ...")
    name = comp.group("comp")
    if any(c in name for c in "(/<@"):
        return False
    if s.priority is not None and _DOTTED_NAME.search(name) is not None:
        return False  # a logger after a level tag: "INFO  [<time>] org.example.App: ..."
    at = _WS.match(s.line, comp.end()).end()  # type: ignore[union-attr]
    return _level_at(s.line, at) is None and _lower_level_colon(s.line, at) is None


def _lower_level_colon(line: str, pos: int) -> tuple[str, int] | None:
    """A level word in lower case with its colon, as a category's severity: ``general: info:
    ...`` (BIND's print-category and print-severity)."""
    m = _LOWER_LEVEL_COLON.match(line, pos)
    if m is None:
        return None
    upper = m.group(1).upper()
    level = LEVELS.get(upper)
    return None if level is None or upper in _UPPER_ONLY_LEVELS else (level, m.end())


def component_level(name: str) -> tuple[str | None, str]:
    """The level a ``severity/facility`` component names, and the facility (Icinga's
    ``warning/ApiListener:``); ``(None, name)`` when the name holds no level."""
    first, slash, rest = name.partition("/")
    if not slash or not rest or not first.isalpha() or first.upper() in _UPPER_ONLY_LEVELS:
        return None, name
    level = LEVELS.get(first.upper())
    return (level, rest) if level is not None else (None, name)


def _take_component(s: _Scan, comp: re.Match[str]) -> None:
    s.component = comp.group("comp") or comp.group("comp2")
    if s.level is None and "/" in s.component:
        level, facility = component_level(s.component)
        if level is not None:
            s.level, s.component = level, facility
    s.pid = comp.group("pid") or comp.group("pid2") or s.pid
    s.mark(comp.start(), comp.end(), "comp")
    s.pos = comp.end()
    uptime = _UPTIME.match(s.line, s.pos)
    if uptime is not None:  # the kernel's seconds since boot: "kernel: [   12.345678]"
        s.mark(uptime.start(1), uptime.end(), "uptime")
        s.pos = uptime.end()


# An IPv4 address with its port: the peer a message is about ("10.0.0.9:51234 TLS Error: ..."),
# never a header's host (a host field names the machine that logs, without a port).
_PEER = re.compile(r"(?:\d{1,3}\.){3}\d{1,3}:\d{1,5}")


def _anchor_ahead(line: str, pos: int, within: int = 5) -> bool:
    """True when, within the next ``within`` tokens, all header-like, a level or a timestamp
    starts: the tokens before it (hosts, node names, facility words) belong to the header."""
    for _ in range(within):
        tok = _HEADERISH.match(line, pos)  # ends where whitespace (a space, a tab) starts
        if tok is None or _PEER.fullmatch(tok.group(0)):
            return False
        pos = _WS.match(line, tok.end()).end()  # type: ignore[union-attr]
        if _level_at(line, pos) is not None or match_timestamp(line, pos, 2000) is not None:
            return True
        if _TITLE_LEVEL.match(line, pos) is not None:
            return True
    return False


def _titled_level(line: str, tok: re.Match[str]) -> bool:
    """True at one upper-case word, right after the time, that a level word and its colon
    qualify (``SERVICE ALERT: host;...``, ``HOST ALERT: ...``): the two words title the
    message, as a label does, rather than name a facility and its level (``KERNEL INFO``)."""
    word = tok.group(0)
    if not (word.isupper() and word.isalpha()) or LEVELS.get(word) is not None:
        return False
    at = _WS.match(line, tok.end()).end()  # type: ignore[union-attr]
    level = _level_at(line, at)
    return (
        level is not None
        and line[at : level[1]].rstrip(":").isupper()
        and line[level[1] - 1] == ":"
        and line[level[1] : level[1] + 1] == " "
    )


def _thread_before_level(line: str, pos: int) -> bool:
    """True at a thread name (one word) after the process id, followed by an upper-case level
    word (Python logging's ``%(process)d %(threadName)s %(levelname)s``)."""
    tok = _THREAD_NAME.match(line, pos)
    if tok is None:
        return False
    at = _WS.match(line, tok.end()).end()  # type: ignore[union-attr]
    level = _level_at(line, at)
    return level is not None and line[at : level[1]].rstrip(":").isupper()


def _user_label_ahead(line: str, pos: int) -> bool:
    """True at ``user@database`` followed by an upper-case label and its colon (``app@shop
    DETAIL:  ...``): the label names the line's part, as a level would."""
    tok = _HEADERISH.match(line, pos)
    if tok is None or "@" not in tok.group(0):
        return False
    return _UPPER_LABEL.match(line, _WS.match(line, tok.end()).end()) is not None  # type: ignore[union-attr]


def _set_component_or_pid(s: _Scan, text: str) -> None:
    if text.isdigit():
        s.pid = s.pid or text
    elif s.component is None and text:
        s.component = text


class LogFormat:
    """A user-given header layout in the Loghub style: ``<Field>`` markers separated by literal
    text (regex syntax allowed between markers; spaces match any run of whitespace). The field
    named ``Content`` is the message. Fields named like a timestamp, level, host, component or
    pid fill the :class:`Header`."""

    _FIELD = re.compile(r"<(\w+)>")

    def __init__(self, fmt: str, default_year: int) -> None:
        if "<Content>" not in fmt:
            raise ValueError("a log format needs a <Content> field")
        parts = self._FIELD.split(fmt)
        regex = ""
        self.fields: list[str] = []
        for i, part in enumerate(parts):
            if i % 2 == 0:
                regex += re.sub(r" +", r"\\s+", part)
            else:
                self.fields.append(part)
                regex += f"(?P<{part}>.*)" if part == "Content" else f"(?P<{part}>.*?)"
        try:
            self.regex = re.compile("^" + regex + "$")
        except re.error as exc:
            raise ValueError(f"invalid log format: {exc}") from exc
        self.default_year = default_year

    def split(self, line: str) -> tuple[Header, str] | None:
        """Header and message of ``line``, or ``None`` when the line does not fit the format."""
        m = self.regex.match(line)
        if m is None:
            return None
        g = m.groupdict()
        stamp_text = " ".join(
            g[f] for f in self.fields if f.lower() in _TIME_FIELDS and g.get(f) is not None
        )
        timestamp = None
        if stamp_text:
            found = match_timestamp(stamp_text, 0, self.default_year)
            timestamp = found[0] if found else None
        level = _first(g, ("level", "severity", "type"))
        canon = LEVELS.get(level.upper()) if level else None
        header = Header(
            timestamp=timestamp,
            level=canon or level,
            host=_first(g, ("host", "node", "hostname", "user")),
            component=_first(g, ("component", "program", "logger", "source")),
            pid=_first(g, ("pid", "process", "thread")),
        )
        return header, g["Content"].strip()


_TIME_FIELDS = {"date", "time", "timestamp", "datetime", "month", "day", "year"}


def _first(groups: dict[str, str | None], names: tuple[str, ...]) -> str | None:
    for key, value in groups.items():
        if key.lower() in names and value:
            return value
    return None


# -- General header fields ---------------------------------------------------------------------
# What a format nobody coded still shows: after the fields the scanner knows, a few tokens that
# are not words of a sentence (ids, numbers, names with dots, slashes or "::", key=value pairs,
# groups in brackets, a level word) up to a separator (": ", "| ", " - ", "---", a closing
# bracket) are header; the message follows the last separator.

_RUN_TOKENS = 6
"""Tokens a run of general header fields may hold."""
_RUN_SEPARATORS = frozenset({"-", "--", "---", "|", ":", "::", "->", "=>", ">"})
_SEPARATOR_MARKS = frozenset("-=>|:~")
_NON_SPACE = re.compile(r"\S*")
_GROUP_LEVEL = re.compile(r"[(\[]([A-Za-z]{3,11})[)\]]$")
_OPENERS = {"(": ")", "[": "]", "{": "}"}
_FIELD_MARKS = re.compile(r"[\d=_@#]|[\w)\]][.:/][\w(\[]|[a-z][A-Z]")
_SENTENCE_END = re.compile(r"[.!?,;]$")
_PID_GROUP = re.compile(r"[^\s(\[](?:\[[^\[\]]+\]|\([^()]+\))$")  # "unbound[812:0]", "app(sub)[12]"


def _token_end(line: str, pos: int) -> int:
    """Where the token at ``pos`` ends: at whitespace outside brackets (``[   main]``,
    ``(4211 on web-1)`` and ``request{a=1 b=2}:`` are one token each), at most 160
    characters; an unclosed bracket ends at the first whitespace."""
    return _token_span(line, pos)[0]


def _token_span(line: str, pos: int) -> tuple[int, int]:
    """:func:`_token_end`, and how far it looked (an exclusive index; ``len(line) + 1`` when
    it saw the line end)."""
    closers: list[str] = []
    limit = min(len(line), pos + 160)
    i = pos
    reach = pos + 1
    if line.startswith("<", pos):
        close = line.find(">", pos, limit)
        reach = close + 1 if close >= 0 else limit + 1
        if close > pos + 1 and " " not in line[pos:close]:
            i = close + 1
    while i < limit:
        c = line[i]
        if c in _OPENERS:
            closers.append(_OPENERS[c])
        elif closers and c == closers[-1]:
            closers.pop()
        elif c.isspace() and not closers:
            return i, max(reach, i + 1)
        i += 1
    if closers or i == limit < len(line):
        end = _NON_SPACE.match(line, pos).end()  # type: ignore[union-attr]
        return end, max(reach, i, end + 1)
    return i, max(reach, i + 1)


def _closes(token: str) -> bool:
    """Whether a field ends the header by its own last character: a bracket it did not open
    (glog's ``file.cc:87]``) or a group glued to a name (``unbound[812:0]``, ``app(sub)``)."""
    last = token[-1:]
    if last in "}>":
        return True
    if last not in ")]":
        return False
    opener = "(" if last == ")" else "["
    return token.count(opener) < token.count(last) or _PID_GROUP.search(token) is not None


def _run_kind(token: str, glued: str) -> tuple[str, str | None]:
    """The kind of one token of a run (``sep``, ``level``, ``field`` or ``word``) and, for a
    level, its canonical name. ``glued``: the separator glued to its end (``:``, ``|``) or
    ``""``."""
    if token in _RUN_SEPARATORS or (token and set(token) <= _SEPARATOR_MARKS):
        return "sep", None  # "-", "---", "|", ">>", "=>", "::"
    first, last = token[:1], token[-1:]
    enclosed = (first in _OPENERS and last == _OPENERS[first]) or (first == "<" and last == ">")
    inner = token[1:-1].strip() if enclosed else token
    if inner.isalpha():
        level = LEVELS.get(inner.upper())
        # bare, a level word is upper case or capitalised ("Config" is a word, "CONFIG" a level)
        plain = inner in (inner.upper(), inner.capitalize()) and (
            inner.isupper() or inner.upper() not in _UPPER_ONLY_LEVELS
        )
        if level is not None and (enclosed or glued or plain):
            return "level", level
    if enclosed:
        if not inner and first in "[{":
            return "field", None  # an empty context group ("{}", "[]"): a field left unset
        if not any(c.isalnum() for c in inner):
            return "word", None  # marks ("[**]") decorate the message
        if not any(c.isspace() for c in inner) or glued:  # "(4211 on web-1):"
            return "field", None
        words = inner.split()
        return ("field" if all(_KV.fullmatch(w) for w in words) else "word"), None
    if first in "/\\\"'" or "://" in token or _SENTENCE_END.search(token):
        return "word", None
    if _FIELD_MARKS.search(token):
        return "field", None
    return "word", None


class _RunToken(NamedTuple):
    kind: str
    """``f`` a field, ``F`` a field that closes the header (``name:``, ``[logger]``,
    ``file.cc:87]``), ``l`` a level, ``s`` a separator; then the bracket a bracketed field
    opens with, and the separator glued to it."""
    end: int
    level: str | None
    name: str | None


def _run_tokens(
    line: str, pos: int, level_known: bool, limit: int = _RUN_TOKENS
) -> tuple[list[_RunToken], int]:
    """The tokens of a run of general header fields at ``pos``, up to the first word of a
    sentence, a second level word or ``limit`` tokens; and how far the reading looked (an
    exclusive index: the tokens' ends, the space after them, the words read ahead)."""
    tokens: list[_RunToken] = []
    at = pos
    reach = pos + 1  # (at the line's end: len(line) + 1, its end was looked at)
    while len(tokens) < limit and at < len(line):
        end, looked = _token_span(line, at)
        reach = max(reach, looked)
        if end <= at:
            break
        token = line[at:end]
        glued = ""
        if len(token) > 1 and token[-1] in ":|" and token not in _RUN_SEPARATORS:
            glued, token = token[-1], token[:-1]
        kind, named = _run_kind(token, glued)
        if kind == "sep" and len(token) > 3 and line.rstrip().endswith(token[0] * 4):
            kind = "word"  # a banner's marks on both sides: "======== SERVER STARTED ========"
        if kind == "word" and not level_known:
            ahead, looked = _level_after_words(line, at, tokens)
            reach = max(reach, looked)
            if ahead:
                kind = "field"  # "Puppet (info): ...", "NCCL INFO", "daemon [12] (main) notice:"
        if (
            kind == "word"
            and glued == ":"
            and token.isalpha()
            and tokens
            and tokens[-1].kind == "l"
        ):
            kind = "field"  # a name with its colon right after the level: "<Debug> Context: ..."
        if kind == "word" or (kind == "level" and level_known):
            break  # (a second level word is the message's)
        if kind == "sep" and not tokens and not level_known:
            break  # a separator must follow a field
        name = None
        group = _GROUP_LEVEL.search(token) if kind == "field" else None
        if group is not None and group.start() and not level_known:
            # a level in a group glued to a name: "krb5kdc[1204](info):"
            named = LEVELS.get(group.group(1).upper())
            if named is not None and group.group(1).upper() not in _UPPER_ONLY_LEVELS:
                kind, name = "level", token[: group.start()]
        if kind == "field":
            bracketed = token[:1] in "([{<"
            kind = "F" if glued or bracketed or _closes(token) else "f"
            name = None if bracketed else token
        after_level = bool(tokens) and tokens[-1].kind == "l"
        if after_level and kind in ("f", "F") and "/" in token and "." not in token:
            break  # after a bare level, "NET/Socket :" opens the message; a logger has dots
        level_known = level_known or kind == "level"
        # a bracketed field's kind names its bracket: a source's "<0.7.0>" is not another
        # source's "[main]" (interleaved sources keep their own runs)
        opener = token[0] if kind == "F" and token[0] in "([{<" else ""
        tokens.append(_RunToken(kind[0] + opener + glued, end, named, name))
        if kind == "level" and glued:
            break  # "LEVEL: message", "LEVEL| message"
        at = _WS.match(line, end).end()  # type: ignore[union-attr]
        reach = max(reach, at + 1)
    return tokens, reach


_LEVEL_HINT = re.compile(
    r"(?<![\w.])(?:" + "|".join(sorted(LEVELS, key=len, reverse=True)) + r")(?![\w.])",
    re.IGNORECASE,
)
"""A level word somewhere (any case): a quick test before reading tokens one by one."""


def _closing(token: _RunToken) -> bool:
    """Whether a run's token may end the header: a closing field, a level, a separator."""
    return token.kind[0] in "Fls" or len(token.kind) > 1


def _level_after_words(line: str, pos: int, tokens: list[_RunToken]) -> tuple[bool, int]:
    """Whether the words at ``pos`` (at most two) are a header's names before its level: the
    level in brackets with a separator glued to it (``Puppet (info):``), in upper case after
    upper-case words (``NCCL INFO``), or with its colon after a bracketed field of the run
    (``pacemakerd [1402] (main)  notice:``). Words before a level in a sentence (``Connection
    error: ...``, ``Disk ERROR on sda``) are none of these. Also how far it looked (see
    :func:`_run_tokens`)."""
    if _LEVEL_HINT.search(line, pos, pos + _HINT_CHARS) is None:
        # no level word ahead at all (most lines): no need to read the tokens
        return False, pos + _HINT_CHARS if pos + _HINT_CHARS <= len(line) else len(line) + 1
    words: list[str] = []
    at = pos
    reach = pos + 1
    bracketed = any(t.kind[0] == "F" and t.name is None for t in tokens)
    while sum(w[:1] not in "([{<" for w in words) <= 2 and len(words) < 5 and at < len(line):
        end, looked = _token_span(line, at)
        reach = max(reach, looked)
        if end <= at:
            return False, reach
        token = line[at:end]
        glued = token[-1] if len(token) > 1 and token[-1] in ":|" else ""
        core = token[:-1] if glued else token
        kind, _ = _run_kind(core, glued)
        if kind == "level":
            if not words:
                return False, reach
            if core[:1] in "([<" and glued:
                return True, reach
            if core.isupper() and all(w.isupper() and w.isalpha() for w in words):
                return True, reach
            return bool(glued) and (bracketed or any(w[:1] in "([" for w in words)), reach
        if kind == "sep":
            return False, reach
        words.append(core)
        at = _WS.match(line, end).end()  # type: ignore[union-attr]
        reach = max(reach, at + 1)
    return False, reach


_HINT_CHARS = 200  # characters searched for a level word before reading words one by one


def _field_run(s: _Scan, pos: int, need_level: bool = False, need_sep: bool = False) -> bool:
    """Read a run of general header fields at ``pos`` (see above) up to its last separator;
    True when one was read (``s.pos`` then stands where the message starts). ``need_level``:
    only a run that names a level counts (at the start of a line, where nothing else says it
    is a header). ``need_sep``: only a run that ends with a separator token (or a bracketed
    group with its colon) counts."""
    line = s.line
    tokens, reach = _run_tokens(line, pos, s.level is not None)
    s.reach = max(s.reach, reach)
    n = len(tokens)
    while n and not _closing(tokens[n - 1]):
        n -= 1
    last = tokens[n - 1].kind if n else ""
    if not n or (need_sep and last[0] != "s" and not (last[1:2] in _OPENERS and last[-1] == ":")):
        return False  # (after a logger: a separator, or a group with its colon "(Merger):")
    level = next((t.level for t in tokens[:n] if t.level), None)
    if need_level and level is None:
        return False
    if level is None and s.level is None and s.priority is None:
        # with no level anywhere, one line's shape is no evidence: "e1000e 0000:00:1f.6 eno1:
        # NIC Link is Up" and "203.0.113.9:51234 TLS: Initial packet ..." are messages. Columns
        # that stay alike across a source's lines are learned by its layout instead.
        return False
    close = tokens[n - 1].end
    follows = _WS.match(line, close).end()  # type: ignore[union-attr]
    s.reach = max(s.reach, follows + 1)
    if follows >= len(line):
        return False  # a message must follow
    known = "L" if s.level is not None else "P" if s.priority is not None else ""
    s.run = (known, *(t.kind for t in tokens[:n]))
    if level is not None:
        s.level = level
    if s.component is None:
        s.component = _run_name(tokens[:n])
    s.mark(pos, close, "run")
    s.pos = close
    return True


def replay_run(
    line: str, pos: int, kinds: tuple[str, ...]
) -> tuple[int, str | None, str | None] | None:
    """A layout's run of general header fields (``kinds`` as :func:`_field_run` left them in
    ``_Scan.run``) read again at ``pos``: where it ends, its level and first name. The line's
    run may go on (``kid1| storeDirWriteCleanLogs: Starting...`` after ``kid1| Starting``):
    its source's layout says where the message starts; but a level word there is the line's
    say, and the scanner reads it. None when the run differs."""
    learned = kinds[1:]
    n = len(learned)
    # (the whole run only where the run's length decides: no level known before it)
    tokens, _ = _run_tokens(line, pos, kinds[0] == "L", _RUN_TOKENS if not kinds[0] else n + 1)
    if len(tokens) < n or tuple(t.kind for t in tokens[:n]) != learned:
        return None
    if not kinds[0] and not any(t.level for t in tokens):
        closing = len(tokens)
        while closing and not _closing(tokens[closing - 1]):
            closing -= 1
        if closing > 2:
            return None  # the scanner reads no header there: neither does the layout
    if len(tokens) > n and (tokens[n].kind[0] == "l" or tokens[n].kind == learned[-1]):
        return None  # a level, or more fields of the same kind: the scanner reads them
    end = tokens[n - 1].end
    if _WS.match(line, end).end() >= len(line):  # type: ignore[union-attr]
        return None
    level = next((t.level for t in tokens[:n] if t.level), None)
    return end, level, _run_name(tokens[:n])


def _run_name(tokens: list[_RunToken]) -> str | None:
    """The component a run names: its last name closed by a separator (the logger nearest
    the message: ``net.conn:``), else its first name that is not a ``key=value`` pair."""
    names = [t for t in tokens if t.name and "=" not in t.name]
    closed = [t for t in names if t.kind[0] == "F"]
    pick = closed[-1] if closed else names[0] if names else None
    return pick.name if pick is not None else None

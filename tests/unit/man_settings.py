#!/usr/bin/env python3
"""s3mpu.conf(5) documents exactly the settings src/config.c accepts: the names in
SETTING_NAMES against the entries of the man page's SETTINGS section (a .TP, then
the name alone on a .B line), both ways, each entry with its default. A setting
added to config.c without its entry fails here."""
import os
import re
import sys
import unittest

SRC = os.environ.get("srcdir") or os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
sys.path.insert(0, os.path.join(SRC, "tests", "lib"))
from testrun import run_tests  # noqa: E402


def config_settings():
    with open(os.path.join(SRC, "src", "config.c")) as f:
        text = f.read()
    m = re.search(r"SETTING_NAMES\[[^\]]*\]\s*=\s*\{(.*?)\};", text, re.S)
    if not m:
        raise AssertionError("no SETTING_NAMES array in src/config.c")
    return re.findall(r'"([a-z0-9_]+)"', m.group(1))


def man_settings():
    """{name: entry text} for each .TP entry of the SETTINGS section."""
    with open(os.path.join(SRC, "man", "s3mpu.conf.5.in")) as f:
        lines = f.read().splitlines()
    start = lines.index(".SH SETTINGS")
    end = next(i for i in range(start + 1, len(lines)) if lines[i].startswith(".SH "))
    entries, names = {}, []
    section = lines[start + 1:end]
    for i, line in enumerate(section):
        if line != ".TP":
            continue
        m = re.fullmatch(r"\.B ([a-z0-9_]+)", section[i + 1] if i + 1 < len(section) else "")
        if not m:
            raise AssertionError(".TP in SETTINGS not followed by '.B name': %r" % section[i + 1:i + 2])
        body = []
        for nxt in section[i + 2:]:
            if nxt == ".TP":
                break
            body.append(nxt)
        names.append(m.group(1))
        entries[m.group(1)] = "\n".join(body)
    return names, entries


class ManSettings(unittest.TestCase):
    def test_same_settings_both_ways(self):
        accepted = config_settings()
        self.assertGreater(len(accepted), 10)
        names, _ = man_settings()
        self.assertEqual(len(names), len(set(names)), "a setting documented twice")
        self.assertEqual(sorted(set(accepted) - set(names)), [],
                         "accepted by src/config.c but not in s3mpu.conf(5)")
        self.assertEqual(sorted(set(names) - set(accepted)), [],
                         "in s3mpu.conf(5) but not accepted by src/config.c")

    def test_each_entry_states_its_default(self):
        _, entries = man_settings()
        for name, body in entries.items():
            self.assertRegex(body, r"(?i)default", "%s: no default stated" % name)


if __name__ == "__main__":
    sys.exit(run_tests(sys.modules[__name__]))

#!/usr/bin/env python3
"""s3mpu.conf(5) documents exactly the settings s3mpu accepts: the settings table
as `s3mpu settings` prints it (name, type, default, bounds, summary) against the
entries of the man page's SETTINGS section (a .TP, then the name alone on a .B
line), both ways; each entry states a default, and the numeric ones the table's
default and bounds. A setting added to the table without its entry fails here."""
import os
import re
import subprocess
import sys
import unittest

SRC = os.environ.get("srcdir") or os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
sys.path.insert(0, os.path.join(SRC, "tests", "lib"))
from testrun import run_tests  # noqa: E402


def config_settings():
    """{name: (type, default, min, max, summary)} from `s3mpu settings`."""
    binary = os.environ.get("S3MPU_BIN") or os.path.join(SRC, "src", "s3mpu")
    out = subprocess.run([binary, "settings"], capture_output=True, text=True, check=True).stdout
    table = {}
    for line in out.splitlines():
        name, *fields = line.split("\t")
        if len(fields) != 5:
            raise AssertionError("s3mpu settings: not six tab-separated fields: %r" % line)
        table[name] = tuple(fields)
    return table


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

    def test_numbers_agree_with_the_table(self):
        _, entries = man_settings()
        for name, (_, default, low, high, _) in config_settings().items():
            text = entries.get(name, "").replace("\\-", "-").replace("\\&", "")
            for figure in (default, low, high):
                if re.fullmatch(r"\d+[KMGT]?", figure):
                    with self.subTest(setting=name, figure=figure):
                        self.assertRegex(text, r"(?<![\d.])%s(?![\d])" % re.escape(figure),
                                         "%s: the table says %s, the man page does not" % (name, figure))


if __name__ == "__main__":
    sys.exit(run_tests(sys.modules[__name__]))

"""s3mpu's /api/metrics, scraped through nginx and parsed, with its format checked."""
import re

from curl import curl

SAMPLE = re.compile(r'^([a-z0-9_]+)(\{[^}]*\})? (\S+)$')


def scrape(base_url):
    """The metrics as {(name, frozenset of labels): value}, with the format checked."""
    status, hdrs, body = curl("GET", base_url + "/api/metrics")
    assert status == 200, (status, body[:300])
    assert hdrs["content-type"] == "text/plain; version=0.0.4; charset=utf-8", hdrs
    samples = {}
    for line in body.decode().splitlines():
        if line.startswith("#"):
            assert re.match(r"^# (HELP|TYPE) s3mpu_\w+ ", line), line
            continue
        m = SAMPLE.match(line)
        assert m, line
        labels = frozenset(re.findall(r'(\w+)="([^"]*)"', m.group(2) or ""))
        samples[(m.group(1), labels)] = float(m.group(3))
    return samples


def value(samples, name, **labels):
    return samples.get((name, frozenset(labels.items())), 0.0)

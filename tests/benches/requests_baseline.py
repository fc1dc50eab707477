"""What many users run today: Python `requests` listing Magpie tokens, as the vendor's seed
page shows it (an Authorization header with the `token` scheme word), once without and once
with a `requests.Session`. Prints the median latency of each, in microseconds, as JSON.

usage: python3 requests_baseline.py URL CALLS
"""

import json
import statistics
import sys
import time

import requests


def median_us(get, url, calls):
    headers = {"Authorization": "token s"}
    for _ in range(max(calls // 10, 1)):
        get(url, headers=headers).json()
    samples = []
    for _ in range(calls):
        started = time.perf_counter()
        get(url, headers=headers).json()
        samples.append((time.perf_counter() - started) * 1e6)
    return statistics.median(samples)


def main():
    url, calls = sys.argv[1], int(sys.argv[2])
    with requests.Session() as session:
        session_median = median_us(session.get, url, calls)
    print(json.dumps({
        "requests_median_us": median_us(requests.get, url, calls),
        "session_median_us": session_median,
    }))


if __name__ == "__main__":
    main()

"""A Python client of the Huiqi decision service (huiqi serve; docs/serve.md), on the
standard library only.

    python3 examples/python/serve_client.py http://127.0.0.1:8080 data/enterprises/01-quanzhi-software.json 2026-06-30 [TOKEN]

Matches the profile (POST /v1/match, default envelope), prints the counts and each eligible
or undetermined policy with its benefit and what is missing; then asks the service which
ruleset answered (GET /v1/ruleset). A failure envelope is printed with each error's path.
"""
import json
import sys
import urllib.error
import urllib.request


def call(base: str, path: str, body: object | None = None, token: str | None = None) -> tuple[int, dict, str]:
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    data = None if body is None else json.dumps(body, ensure_ascii=False).encode()
    req = urllib.request.Request(base + path, data=data, headers=headers, method="GET" if body is None else "POST")
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, json.load(r), r.headers.get("huiqi-revision", "")
    except urllib.error.HTTPError as e:  # a failure envelope comes with a 4xx/5xx status
        return e.code, json.load(e), e.headers.get("huiqi-revision", "")


def main() -> int:
    if len(sys.argv) < 4:
        print(__doc__, file=sys.stderr)
        return 2
    base, profile_file, as_of = sys.argv[1:4]
    token = sys.argv[4] if len(sys.argv) > 4 else None
    with open(profile_file, encoding="utf-8") as f:
        profile = json.load(f)
    status, env, revision = call(base, "/v1/match", {"profile": profile, "as_of": as_of}, token)
    if env["type"] == "failure":
        for e in env["errors"]:
            print(f"{status} {e['kind']}: {e.get('path', '')} {e['message']}")
        return 1
    r = env["result"]
    s = r["summary"]
    print(f"{r.get('enterprise', '')}: eligible {s['eligible']}, undetermined {s['undetermined']}, ineligible {s['ineligible']}, not in force {s['not_in_force']} (revision {revision})")
    for p in r["policies"]:
        missing = "、".join(f["label"] for f in p.get("missing_fields", []))
        print(f"  {p['verdict']:<12} {p['id']}: {p['benefit']['display']}" + (f" (missing: {missing})" if missing else ""))
    _, ruleset, _ = call(base, "/v1/ruleset", None, token)
    print(f"ruleset {ruleset['result']['revision']}: {ruleset['result']['policies']} policies from {ruleset['result']['source']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

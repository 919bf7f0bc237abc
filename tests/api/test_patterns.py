"""Stored patterns through real HTTP: accumulation, paging, filters, tenant isolation."""

from __future__ import annotations

from .conftest import Server, envelope

ERRORS = [f"2024-02-01 08:00:{i:02d} ERROR Disk quota exceeded on volume {i}" for i in range(4)]
INFOS = [f"2024-02-01 08:01:{i:02d} INFO Request {i} served in {i * 3} ms" for i in range(6)]


def test_counts_accumulate_across_requests_and_tenants_are_isolated(api: Server) -> None:
    with api.client(api.keys["b"]) as b:
        first = b.post("/v1/analyze", json={"logs": ERRORS + INFOS}).json()["patterns"]
        second = b.post("/v1/analyze", json={"logs": INFOS}).json()["patterns"]
        assert sorted(p["count"] for p in first) == [4, 6]
        assert [p["count"] for p in second] == [6]
        info_id = second[0]["id"]
        assert info_id in {p["id"] for p in first}  # same template, same id

        listing = b.get("/v1/patterns").json()
        assert set(listing) == {"patterns", "total", "limit", "offset"}
        assert listing["limit"] == 50 and listing["offset"] == 0
        by_id = {p["id"]: p for p in listing["patterns"]}
        assert by_id[info_id]["count"] == 12
        assert listing["total"] == len(listing["patterns"])

        one = b.get(f"/v1/patterns/{info_id}")
        assert one.status_code == 200
        assert one.json()["count"] == 12
        assert one.headers["x-ratelimit-limit"]
        envelope(b.get("/v1/patterns/p_doesnotexist"), 404, "not_found")
        envelope(b.get("/v1/patterns/" + "z" * 300), 404, "not_found")

    # Key "a" never sees or changes b's patterns.
    with api.client(api.keys["a"]) as a:
        envelope(a.get(f"/v1/patterns/{info_id}"), 404, "not_found")
        a.post("/v1/analyze", json={"logs": INFOS})
        # a's own pattern for the same template counts only a's lines.
        assert a.get(f"/v1/patterns/{info_id}").json()["count"] == 6
    with api.client(api.keys["b"]) as b:
        assert b.get(f"/v1/patterns/{info_id}").json()["count"] == 12


def test_order_paging_and_severity_filter(api: Server) -> None:
    with api.client(api.keys["b"]) as b:
        everything = b.get("/v1/patterns?limit=500").json()
        pats = everything["patterns"]
        assert len(pats) == everything["total"] >= 2
        keys = [(-p["count"], p["id"]) for p in pats]
        assert keys == sorted(keys)  # count desc, id asc

        page1 = b.get("/v1/patterns?limit=1&offset=0").json()
        page2 = b.get("/v1/patterns?limit=1&offset=1").json()
        assert page1["total"] == page2["total"] == everything["total"]
        assert [page1["patterns"][0]["id"], page2["patterns"][0]["id"]] == [
            pats[0]["id"],
            pats[1]["id"],
        ]
        beyond = b.get(f"/v1/patterns?offset={everything['total']}").json()
        assert beyond["patterns"] == [] and beyond["total"] == everything["total"]

        for sev in ("critical", "error", "warning", "info", "debug"):
            filtered = b.get(f"/v1/patterns?severity={sev}&limit=500").json()
            expected = [p for p in pats if p["severity"] == sev]
            assert filtered["total"] == len(expected)
            assert [p["id"] for p in filtered["patterns"]] == [p["id"] for p in expected]


def test_anomalies_cite_line_numbers_of_their_own_request(api: Server) -> None:
    history = [f"2024-05-01 09:00:{i:02d} INFO Job {i} finished in {i} ms" for i in range(40)]
    batch = [
        "2024-05-01 09:01:00 INFO Job 41 finished in 3 ms",
        "2024-05-01 09:01:01 INFO Job 42 finished in 4 ms",
        "2024-05-01 09:01:02 ERROR Volume /dev/sdz9 lost quorum after 3 votes",
        "2024-05-01 09:01:03 ERROR Volume /dev/sdz8 lost quorum after 5 votes",
    ]
    with api.client(api.keys["a"]) as c:
        assert c.post("/v1/analyze", json={"logs": history}).status_code == 200
        body = c.post("/v1/analyze", json={"logs": batch}).json()
    new = [a for a in body["anomalies"] if a["type"] == "new_pattern"]
    assert new, body["anomalies"]
    assert new[0]["lines"] == [3, 4]
    for anomaly in body["anomalies"]:
        assert all(1 <= n <= len(batch) for n in anomaly["lines"])


def test_a_request_does_not_continue_the_previous_requests_record(api: Server) -> None:
    trace = [
        "2024-05-02 10:00:00 ERROR Request failed",
        "java.lang.IllegalStateException: boom",
        "    at com.example.Worker.run(Worker.java:10)",
    ]
    with api.client(api.keys["a"]) as c:
        first = c.post("/v1/analyze", json={"logs": trace}).json()["patterns"]
        assert sum(p["count"] for p in first) == 1  # one record of three lines
        second = c.post(
            "/v1/analyze", json={"logs": ["    at com.example.Worker.run(Worker.java:11)"]}
        ).json()["patterns"]
    assert [p["count"] for p in second] == [1]  # its own record, not the last request's

-- wrk script: POST a no-op task with the benchmark's API key.
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer " .. (os.getenv("BENCH_KEY") or "ssk_bench")
wrk.body = '{"swarm": "noop", "input": {"n": 1}}'

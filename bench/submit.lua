-- wrk script: POST a no-op task with the benchmark's API key (to BENCH_SWARM, default noop).
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer " .. (os.getenv("BENCH_KEY") or "ssk_bench")
wrk.body = '{"swarm": "' .. (os.getenv("BENCH_SWARM") or "noop") .. '", "input": {"n": 1}}'

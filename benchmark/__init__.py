"""Benchmark for ECInstruct: tolerant parsing, honest metrics, baselines, runner, leaderboard."""

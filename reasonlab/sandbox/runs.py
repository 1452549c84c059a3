"""The kinds of run the sandbox's sub-judge serves (stdlib only; inlined into the judge's
script after values.py and worker.py, before harness.py): assert tests (the program's worker
reports each candidate operand), stdin/stdout cases, and the references — the expected sides,
evaluated once nothing that ran the program is alive, in a worker that runs the setup alone.
``Judge`` (harness.py) supplies the process handling they use: ``watch``, ``kill_others``,
``workdir``."""

import os
import time

from reasonlab.sandbox.values import output_digest
from reasonlab.sandbox.worker import asserts_target, describe_status, io_target, start_worker

HEAD = 300                     # characters of a program's stdout kept for a failure's detail
MAX_RUN_REPORT_BYTES = 24 << 20  # values one run may send back (the host reads up to 64 MiB)


class RunKinds:
    # -- one run of assert tests

    def run_asserts(self, job):
        limits = job["limits"]
        exprs = job["exprs"]
        n = len(exprs)
        tests = [None] * n
        state = {"load": None, "stage": -1, "mark": time.monotonic(), "start": 0}
        timeouts = 0
        spent = 0
        # One budget for the whole run: reloading the program after every failing test must not
        # stretch a run past what the host waits for (that would read as "undecided").
        budget = limits["time"] * (n + 2)
        end_all = time.monotonic() + budget
        while state["load"] is None or state["start"] < n:
            if spent > MAX_RUN_REPORT_BYTES or time.monotonic() >= end_all:
                why = ("results too large" if spent > MAX_RUN_REPORT_BYTES
                       else f"not run: the run's time budget ({budget:g}s) is spent")
                if state["load"] is None:
                    state["load"] = {"ok": False, "error": why}
                for rest in range(state["start"], n):
                    tests[rest] = {"fail": why}
                break
            worker = start_worker(
                asserts_target(job["setup"], job["program"], exprs, state["start"]),
                dict(limits, cpu_s=limits["time"] * (n - state["start"] + 1)))
            state["stage"], state["mark"] = -1, time.monotonic()

            def on_line(line):
                if not isinstance(line, list) or not line:
                    return None
                kind = line[0]
                if kind == "X":
                    return "stop"
                if state["stage"] == -1:
                    if kind == "E" and len(line) in (2, 3):
                        state["load"] = {"ok": False, "error": str(line[1])[:1000],
                                         "setup": len(line) == 3}
                        return "stop"
                    if kind == "L":
                        state["load"] = state["load"] or {"ok": True}
                        state["stage"], state["mark"] = state["start"], time.monotonic()
                        return "stop" if state["stage"] >= n else None
                    return None
                if (kind == "T" and len(line) == 3 and line[1] == state["stage"]
                        and isinstance(line[2], list)):
                    tests[state["stage"]] = {"values": line[2]}
                    state["stage"] += 1
                    state["mark"] = time.monotonic()
                    return "stop" if state["stage"] >= n else None
                return None

            outcome = self.watch(worker, lambda: min(state["mark"] + limits["time"], end_all),
                                 on_line)
            stage = state["stage"]
            reason = None
            if outcome != "stop" or stage != n:
                reason = {"timeout": "time limit exceeded ({:g}s)".format(limits["time"]),
                          "stop": "the program flooded its report channel"}.get(outcome)
            self.kill_others(worker)
            worker.close()
            spent += worker.rep_total
            if state["load"] is not None and not state["load"]["ok"]:
                if state["load"].get("setup"):
                    # The program could forge this line to dodge a wrong verdict; only a
                    # setup that also fails without the program is the item's fault.
                    state["load"]["setup"] = self.setup_fails(job)
                break
            if stage == -1:  # died or hung while loading
                if reason is None:
                    reason = "exited while loading ({}){}".format(
                        describe_status(worker.reap()),
                        ": " + worker.stderr_tail() if worker.stderr_tail() else "")
                state["load"] = {"ok": False, "error": reason}
                break
            if stage >= n:
                break
            if reason is None:
                reason = "the program {} during this test{}".format(
                    describe_status(worker.reap()),
                    ": " + worker.stderr_tail() if worker.stderr_tail() else "")
            tests[stage] = {"fail": reason}
            timeouts += outcome == "timeout"
            state["start"] = stage + 1
            if timeouts >= limits["max_timeouts"]:
                for rest in range(stage + 1, n):
                    tests[rest] = {"fail": f"not run after {timeouts} timeouts"}
                break
        return {"load": state["load"], "tests": tests}

    def setup_fails(self, job):
        flags = {"failed": False}

        def on_line(line):
            if isinstance(line, list) and len(line) == 3 and line[0] == "E":
                flags["failed"] = True
            return "stop" if isinstance(line, list) and line[:1] in (["E"], ["L"]) else None

        limits = job["limits"]
        worker = start_worker(asserts_target(job["setup"], "", [], 0),
                              dict(limits, cpu_s=limits["time"]))
        end = time.monotonic() + limits["time"]
        self.watch(worker, lambda: end, on_line)
        self.kill_others(worker)
        worker.close()
        return flags["failed"]

    # -- one run of stdin/stdout cases

    def run_io(self, job):
        limits = job["limits"]
        cases = []
        timeouts = 0
        for index, text in enumerate(job["inputs"]):
            if timeouts >= limits["max_timeouts"]:
                cases.append({"fail": f"not run after {timeouts} timeouts"})
                continue
            path = os.path.join(self.workdir, f".stdin-{index}")
            with open(path, "w", encoding="utf-8", errors="surrogatepass") as handle:
                handle.write(text)
            stdin_fd = os.open(path, os.O_RDONLY)
            os.unlink(path)
            worker = start_worker(io_target(job.get("setup", ""), job["program"]),
                                  dict(limits, cpu_s=limits["time"]), stdin_fd=stdin_fd,
                                  capture_stdout=True)
            end = time.monotonic() + limits["time"]
            outcome = self.watch(worker, lambda end=end: end, lambda line: None,
                                 out_cap=limits["output_bytes"])
            self.kill_others(worker)
            worker.close()
            if outcome == "timeout":
                timeouts += 1
                cases.append({"fail": "time limit exceeded ({:g}s)".format(limits["time"])})
            elif outcome == "output":
                cases.append({"fail": f"output limit exceeded ({limits['output_bytes']} bytes)"})
            else:
                status = worker.reap()
                out = worker.out_buf.decode("utf-8", "replace")
                cases.append({"status": describe_status(status), "ok": status == 0,
                              "digest": output_digest(out), "head": out[:HEAD],
                              "stderr": worker.stderr_tail()})
        return {"cases": cases}

    # -- the secret part, read by a fresh child once nothing untrusted is alive

    def references(self, job, secret, refs, deadline_s, candidates=None):
        """Evaluate the expected sides that need Python (not literals) in a fresh worker that
        runs the item's setup but never the program; ``candidates`` (each test's reported
        candidate values) are what the setup's code applied to the program's answers reads."""
        results = [None] * len(refs)
        worker = start_worker(
            asserts_target(secret.get("setup", ""), "", refs, 0,
                           auto_import=secret.get("imports", []), bindings=candidates),
            dict(job["limits"], cpu_s=deadline_s))
        state = {"load": None}

        def on_line(line):
            if isinstance(line, list) and line and line[0] == "E":
                state["load"] = line[1] if len(line) > 1 else "setup failed"
                return "stop"
            if isinstance(line, list) and len(line) == 3 and line[0] == "T":
                if isinstance(line[1], int) and 0 <= line[1] < len(results):
                    results[line[1]] = {"values": line[2]}
            return None

        end = time.monotonic() + deadline_s
        outcome = self.watch(worker, lambda: end, on_line)
        self.kill_others(worker)
        worker.close()
        for index, value in enumerate(results):
            if value is None:
                why = state["load"] or ("time limit exceeded" if outcome == "timeout"
                                        else "reference evaluation failed")
                results[index] = {"fail": f"setup/reference: {why}"}
        return results

#!/usr/bin/env python3
"""Runs a command, copies its standard error (the node's log with --printtoconsole) to a file, and
sends it a signal the moment a line matching a pattern appears (or when a trigger file appears).

scripts/reliability/sigterm-phases uses it to SIGTERM dilithion-node right after a given lifecycle
log line: reading the pipe directly reacts within microseconds of the write, far closer than
polling a log file. Prints one JSON object on standard output:
    {"exit": N, "signalled": true|false, "signal_after": "<line that triggered>",
     "phase_at_signal": "<last lifecycle line logged before the node logged the shutdown request>",
     "seconds_to_exit": S}
"exit" is the command's exit status (negative: killed by that signal; "timeout" if it had to be
killed after --exit-timeout seconds); "trigger_timeout" is true when the trigger never came and
the signal was sent after --trigger-timeout seconds anyway.
"""
import argparse
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time

LIFECYCLE = ["starting", "data directory locked", "store opened", "rpc listening", "reactor started",
             "dispatcher started", "metrics listening", "running"]


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pattern", help="regular expression; signal after the first matching line")
    parser.add_argument("--trigger-file", help="signal once this file exists (checked every 10 ms)")
    parser.add_argument("--signal", default="TERM", help="signal name without SIG (default TERM)")
    parser.add_argument("--delay", type=float, default=0.0, help="seconds between the trigger and the signal")
    parser.add_argument("--log", required=True, help="file that receives the command's standard error")
    parser.add_argument("--pid-file", help="file that receives the command's pid")
    parser.add_argument("--exit-timeout", type=float, default=90.0, help="bound after the signal (default 90)")
    parser.add_argument("--trigger-timeout", type=float, default=120.0,
                        help="signal anyway after this many seconds without a trigger (reported; default 120)")
    parser.add_argument("command", nargs=argparse.REMAINDER)
    arguments = parser.parse_args()
    command = arguments.command[1:] if arguments.command[:1] == ["--"] else arguments.command
    if not command:
        parser.error("no command")
    signal_number = getattr(signal, "SIG" + arguments.signal)
    pattern = re.compile(arguments.pattern) if arguments.pattern else None

    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    if arguments.pid_file:
        with open(arguments.pid_file, "w") as handle:
            handle.write(f"{process.pid}\n")
    state = {"trigger_timeout": False, "signalled": False, "signal_after": None, "signalled_at": None, "phase": None, "phase_at_signal": None}
    lock = threading.Lock()

    def send(reason):
        with lock:
            if state["signalled"]:
                return
            if arguments.delay > 0:
                time.sleep(arguments.delay)
            try:
                os.kill(process.pid, signal_number)
            except ProcessLookupError:
                return
            state["signalled"] = True
            state["signal_after"] = reason
            state["signalled_at"] = time.monotonic()

    def watch_trigger():
        while process.poll() is None and not state["signalled"]:
            if os.path.exists(arguments.trigger_file):
                send("trigger file " + arguments.trigger_file)
                return
            time.sleep(0.01)

    def watchdog():
        started = time.monotonic()
        while process.poll() is None:
            now = time.monotonic()
            if not state["signalled"] and now - started > arguments.trigger_timeout:
                state["trigger_timeout"] = True
                send("trigger timeout")
            if state["signalled"] and now - state["signalled_at"] > arguments.exit_timeout:
                state["exit_timeout"] = True
                process.kill()
                return
            time.sleep(0.05)

    if arguments.trigger_file:
        threading.Thread(target=watch_trigger, daemon=True).start()
    threading.Thread(target=watchdog, daemon=True).start()

    with open(arguments.log, "ab") as log:
        for raw in process.stderr:
            log.write(raw)
            log.flush()
            line = raw.decode("utf-8", "replace").rstrip("\n")
            if "shutdown requested" in line and state["phase_at_signal"] is None:
                state["phase_at_signal"] = state["phase"]
            for phase in LIFECYCLE:
                if re.search(r"\] " + re.escape(phase) + r"( |$)", line):
                    state["phase"] = phase
            if pattern and not state["signalled"] and pattern.search(line):
                send(line)
    status = process.wait()
    if state.get("exit_timeout"):
        status = "timeout"
    seconds = None
    if state["signalled_at"] is not None:
        seconds = round(time.monotonic() - state["signalled_at"], 3)
    print(json.dumps({"exit": status, "signalled": state["signalled"], "signal_after": state["signal_after"],
                      "phase_at_signal": state["phase_at_signal"], "seconds_to_exit": seconds,
                      "trigger_timeout": state["trigger_timeout"]}))
    return 0


if __name__ == "__main__":
    sys.exit(main())

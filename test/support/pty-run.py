#!/usr/bin/python3
"""Runs a program on a pseudo-terminal as a person at a keyboard would: it types each step's keys
(Ctrl-C is \\x03, Ctrl-D \\x04), after waiting for the step's text on the screen when one is given.
Usage: pty-run.py STEPS_JSON TIMEOUT_S PROGRAM [ARG...]; STEPS_JSON is [{"wait": REGEX?, "send": KEYS}].
Prints one JSON line: the exit code (or signal) and everything the terminal showed."""
import fcntl, json, os, re, select, signal, struct, subprocess, sys, termios, time


def main() -> None:
    steps = json.loads(sys.argv[1])
    deadline = time.monotonic() + float(sys.argv[2])
    master, slave = os.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))

    def controlling_terminal() -> None:
        os.setsid()
        fcntl.ioctl(0, termios.TIOCSCTTY, 0)

    child = subprocess.Popen(sys.argv[3:], stdin=slave, stdout=slave, stderr=slave, preexec_fn=controlling_terminal, close_fds=True)
    os.close(slave)
    screen = b""

    def read(wait: float) -> str:
        """Reads what the terminal shows within `wait` seconds: "data", "idle" or "closed"."""
        nonlocal screen
        ready, _, _ = select.select([master], [], [], wait)
        if not ready:
            return "idle"
        try:
            data = os.read(master, 65536)
        except OSError:
            return "closed"
        screen += data
        return "data" if data else "closed"

    timed_out = False
    for step in steps:
        pattern = step.get("wait")
        while pattern and not re.search(pattern.encode(), screen):
            if time.monotonic() > deadline or read(0.1) == "closed":
                timed_out = time.monotonic() > deadline
                break
        if timed_out:
            break
        os.write(master, step["send"].encode())
    while child.poll() is None and time.monotonic() < deadline:
        read(0.1)
    if child.poll() is None:
        timed_out = True
        child.send_signal(signal.SIGKILL)
        child.wait()
    while read(0.05) == "data":
        pass
    code = child.returncode
    print(json.dumps({"code": code if code >= 0 else None, "signal": -code if code < 0 else None, "timedOut": timed_out, "screen": screen.decode("utf-8", "replace")}))


main()

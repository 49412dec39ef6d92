#!/usr/bin/python3
"""The agent under hostile HTTP clients, on the libvirt test driver's demo host, traffic to 127.0.0.0/8 only.

Three phases, each while a separate well-behaved scraper (127.0.0.2, one kept-alive connection as Prometheus
keeps) fetches /metrics once a second:
  flood      one client (127.0.0.3) tries to hold --flood connections, opening them again once a second as
             the server closes them
  slowloris  --slow connections from 8 addresses each trickle a header line every 2 s, reconnecting when closed
  idle       --idle connections from 20 addresses each make one request, then hold the kept-alive connection
For each: the scraper's slowest answer (target < 1 s, no failure), the agent's CPU over the phase from
/proc/PID/stat (target < 10 % of a core), resident memory before, at its peak during, and after the clients
left (target: within 10 MB of before). Exits 1 if a target is missed.

Usage: bench/abuse.py [--agent PATH] [--seconds 20] [--flood 3000] [--slow 400] [--idle 1000]
"""
import argparse
import http.client
import os
import resource
import socket
import subprocess
import sys
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
AGENT = os.environ.get("KVM_AGENT_BINARY", os.path.join(ROOT, ".build-deb/release/kvm-agent"))
PORT = 19863
TICK = os.sysconf("SC_CLK_TCK")
# As deploy/kvm-agent.service sets it.
AGENT_NOFILE = 2048


def cpu_seconds(pid):
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK


def rss_mb(pid):
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def fds(pid):
    return len(os.listdir(f"/proc/{pid}/fd"))


def connect(source, timeout=2.0):
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.settimeout(timeout)
    try:
        sock.bind((source, 0))
        sock.connect(("127.0.0.1", PORT))
    except OSError:
        sock.close()
        raise
    return sock


def open_by_server(sock):
    """False once the server has closed the connection."""
    try:
        sock.setblocking(False)
        return sock.recv(1, socket.MSG_PEEK) != b""
    except BlockingIOError:
        return True
    except OSError:
        return False


class Scraper(threading.Thread):
    """GET /metrics once a second on one kept-alive connection from 127.0.0.2; reconnects when it is closed."""

    def __init__(self):
        super().__init__(daemon=True)
        self.latencies, self.failures, self.stopping = [], 0, threading.Event()
        self.connection = None

    def scrape(self):
        if self.connection is None:
            self.connection = http.client.HTTPConnection("127.0.0.1", PORT, timeout=5, source_address=("127.0.0.2", 0))
        started = time.perf_counter()
        self.connection.request("GET", "/metrics")
        response = self.connection.getresponse()
        body = response.read()
        if response.status != 200:
            raise OSError(f"status {response.status}")
        return time.perf_counter() - started, body.decode()

    def run(self):
        while not self.stopping.wait(1.0 - time.monotonic() % 1.0):
            try:
                latency, _ = self.scrape()
                self.latencies.append(latency)
            except (OSError, http.client.HTTPException):
                self.failures += 1
                self.connection = None

    def reset(self):
        self.latencies, self.failures = [], 0


def flood(stop, held, source="127.0.0.3", limit=3000):
    """Opens `limit` connections as fast as it can and holds them; once a second it opens a new one for each
    that the server has closed, so that it always tries to hold `limit`."""
    live = []
    while not stop.is_set():
        live = [sock for sock in live if open_by_server(sock) or sock.close()]
        for _ in range(limit - len(live)):
            if stop.is_set():
                break
            try:
                live.append(connect(source))
                held.append(live[-1])
            except OSError:
                pass
        stop.wait(1.0)


def slowloris(stop, held, count):
    sources = [f"127.0.0.{10 + n}" for n in range(8)]
    conns = []
    for n in range(count):
        try:
            sock = connect(sources[n % len(sources)])
            sock.sendall(b"GET /metrics HTTP/1.1\r\n")
            conns.append([sock, sources[n % len(sources)], 0])
        except OSError:
            pass
    held.extend(c[0] for c in conns)
    while not stop.wait(2.0):
        for entry in conns:
            sock, source, line = entry
            try:
                sock.setblocking(True)
                sock.settimeout(1)
                sock.sendall(f"X-Trickle-{line}: x\r\n".encode())
                entry[2] += 1
            except OSError:
                sock.close()
                try:
                    entry[0] = connect(source)
                    entry[0].sendall(b"GET /metrics HTTP/1.1\r\n")
                    held.append(entry[0])
                except OSError:
                    pass


def idle(stop, held, count):
    sources = [f"127.0.0.{30 + n}" for n in range(20)]
    for n in range(count):
        try:
            sock = connect(sources[n % len(sources)], timeout=5)
            sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: agent\r\n\r\n")
            sock.recv(4096)
            held.append(sock)
        except OSError:
            pass


def open_connections(scraper):
    try:
        _, body = scraper.scrape()
    except (OSError, http.client.HTTPException):
        return None
    for line in body.splitlines():
        if line.startswith("kvm_agent_http_connections_open "):
            return int(float(line.split()[1]))
    return None


def phase(name, attack, agent, scraper, seconds):
    time.sleep(1)
    before_rss, before_fds = rss_mb(agent.pid), fds(agent.pid)
    scraper.reset()
    stop, held = threading.Event(), []
    thread = threading.Thread(target=attack, args=(stop, held), daemon=True)
    cpu0, wall0 = cpu_seconds(agent.pid), time.monotonic()
    thread.start()
    peak_rss, peak_fds, still_open = before_rss, before_fds, 0
    while time.monotonic() - wall0 < seconds:
        time.sleep(0.5)
        peak_rss, peak_fds = max(peak_rss, rss_mb(agent.pid)), max(peak_fds, fds(agent.pid))
    still_open = sum(1 for s in list(held) if open_by_server(s))
    cpu = (cpu_seconds(agent.pid) - cpu0) / (time.monotonic() - wall0)
    stop.set()
    thread.join(10)
    for sock in held:
        sock.close()
    latencies, failures = list(scraper.latencies), scraper.failures
    # The clients have gone: wait (bounded) for the agent to see every connection closed, then settle.
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline and (open_connections(scraper) or 99) > 1:
        time.sleep(0.2)
    time.sleep(3)
    after_rss, after_fds = rss_mb(agent.pid), fds(agent.pid)
    slowest = max(latencies) if latencies else float("inf")
    result = {
        "phase": name, "held": f"{still_open}/{len(held)}", "scrapes": len(latencies), "failures": failures,
        "slowest_ms": slowest * 1000, "cpu_pct": cpu * 100, "rss_before": before_rss, "rss_peak": peak_rss,
        "rss_after": after_rss, "fds": f"{before_fds}/{peak_fds}/{after_fds}",
    }
    missed = []
    if failures or slowest >= 1.0:
        missed.append("scrape within 1 s")
    if cpu >= 0.10:
        missed.append("CPU < 10 %")
    if after_rss - before_rss >= 10:
        missed.append("RSS back within 10 MB")
    result["missed"] = ", ".join(missed) or "none"
    print(
        f"{name:10} open at end {result['held']:>10}  scrapes {len(latencies):3} failed {failures}  "
        f"slowest {result['slowest_ms']:7.1f} ms  CPU {result['cpu_pct']:5.1f} %  RSS {before_rss:.1f} -> "
        f"{peak_rss:.1f} -> {after_rss:.1f} MB  fds {result['fds']}  missed: {result['missed']}",
        flush=True)
    return not missed


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--agent", default=AGENT)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--flood", type=int, default=3000)
    parser.add_argument("--slow", type=int, default=400)
    parser.add_argument("--idle", type=int, default=1000)
    parser.add_argument("--max-connections", type=int, default=1100)
    args = parser.parse_args()
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, 8192), hard))
    command = [
        args.agent, f"--web.listen-address=127.0.0.1:{PORT}",
        f"--libvirt.uri=test://{ROOT}/demo/demo-host.xml", "--collector.interval=15s",
        f"--web.max-connections={args.max_connections}",
    ]
    print("agent: " + " ".join(command[1:]) + f" (LimitNOFILE {AGENT_NOFILE})", flush=True)
    agent = subprocess.Popen(
        command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        preexec_fn=lambda: resource.setrlimit(resource.RLIMIT_NOFILE, (AGENT_NOFILE, AGENT_NOFILE)))
    try:
        scraper = Scraper()
        deadline = time.monotonic() + 30
        while True:
            try:
                scraper.scrape()
                break
            except (OSError, http.client.HTTPException):
                scraper.connection = None
                if time.monotonic() > deadline:
                    sys.exit("the agent did not answer within 30 s")
                time.sleep(0.2)
        # Warm up: a few scrapes so that the baseline is not the first one's.
        for _ in range(5):
            scraper.scrape()
        scraper.start()
        results = [
            phase("flood", lambda stop, held: flood(stop, held, limit=args.flood), agent, scraper, args.seconds),
            phase("slowloris", lambda stop, held: slowloris(stop, held, args.slow), agent, scraper, args.seconds),
            phase("idle", lambda stop, held: idle(stop, held, args.idle), agent, scraper, args.seconds),
        ]
        scraper.stopping.set()
        _, body = scraper.scrape()
        for line in body.splitlines():
            if line.startswith(("kvm_agent_http_connections", "kvm_agent_http_read_header")):
                print(line)
    finally:
        agent.terminate()
        agent.wait(10)
    sys.exit(0 if all(results) else 1)


if __name__ == "__main__":
    main()

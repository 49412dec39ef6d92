import Foundation

/// A webhook relay between one Alertmanager and the agent that can leave that Alertmanager hanging: it passes
/// each request on and, for the first request any relay sharing `holdFlag` sees, keeps the agent's answer to
/// itself and never replies. The Alertmanager is then mid-notification: the agent has acted, and the
/// Alertmanager has not logged the notification as sent, so it has told its peers nothing. At that moment the
/// relay also removes `gate`: every relay sharing it passes nothing on until the test puts it back (once the
/// agent has restarted), so that no other delivery can come in between. Written in Python
/// because a test needs it as its own process (so the Alertmanager can be killed while it waits), and
/// Python's standard library has the HTTP server and client for it.
struct HoldingProxy {
    let daemon: Daemon
    let port: Int

    init(to target: Int, holdFlag: String, gate: String, directory: URL) throws {
        port = try AgentProcess.freePort()
        let script = directory.appending(path: "holding-proxy.py").path
        try Self.source.write(toFile: script, atomically: true, encoding: .utf8)
        daemon = try Daemon(
            "proxy", which("python3") ?? "/usr/bin/python3",
            ["-u", script, String(port), "http://127.0.0.1:\(target)", holdFlag, gate])
    }

    /// Requests passed on so far, and whether the first one was held.
    var forwarded: Int { daemon.log.components(separatedBy: "forwarded ").count - 1 }
    var held: Bool { daemon.log.contains("held") }

    func stop() { daemon.stop() }

    static let source = """
        import http.server, os, sys, threading, time, urllib.request

        port, target, flag, gate = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]

        class Relay(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                while not os.path.exists(gate):
                    time.sleep(0.05)
                headers = {k: v for k, v in self.headers.items() if k.lower() in ("authorization", "content-type")}
                request = urllib.request.Request(target + self.path, data=body, headers=headers, method="POST")
                try:
                    with urllib.request.urlopen(request, timeout=10) as answer:
                        status, reply = answer.status, answer.read()
                except urllib.error.HTTPError as error:
                    status, reply = error.code, error.read()
                print("forwarded", status, flush=True)
                try:
                    os.close(os.open(flag, os.O_CREAT | os.O_EXCL))
                    os.unlink(gate)
                    print("held", flush=True)
                    threading.Event().wait()
                except FileExistsError:
                    pass
                self.send_response(status)
                self.send_header("Content-Length", str(len(reply)))
                self.end_headers()
                self.wfile.write(reply)

            def log_message(self, *args):
                pass

        http.server.ThreadingHTTPServer(("127.0.0.1", port), Relay).serve_forever()
        """
}

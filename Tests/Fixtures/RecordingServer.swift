import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A Python server script run for one test: started with posix_spawn, ready once it wrote its
/// port to a file, killed by PID. It appends one JSON object per line to a record file for
/// each thing it saw, which the test reads back.
public final class RecordingServer: @unchecked Sendable {
    /// Debian's interpreter, where python3-aiosmtpd is installed (not a pyenv or venv one).
    public static let python = "/usr/bin/python3"

    public let directory: String
    public let port: Int
    private let record: String
    private var pid: pid_t?

    /// Runs `script` with `arguments` after the record and port file paths; waits up to 10 s.
    public init(script: String, name: String, arguments: [String] = [], directory: String) throws {
        guard FileManager.default.isExecutableFile(atPath: Self.python) else {
            throw FixtureError("\(Self.python) is missing: run scripts/install-deps.sh")
        }
        self.directory = directory
        // Not "<module>.py": a script named like a module it imports would shadow it.
        let scriptPath = directory + "/\(name).py"
        record = directory + "/\(name).jsonl"
        let portFile = directory + "/\(name).port"
        let log = directory + "/\(name).log"
        try script.write(toFile: scriptPath, atomically: true, encoding: .utf8)

        let child = try Spawn.start([Self.python, "-u", scriptPath, record, portFile] + arguments, log: log)
        pid = child

        let deadline = Date().addingTimeInterval(10)
        var found: Int?
        while Date() < deadline {
            if Spawn.exited(child) {
                pid = nil
                throw FixtureError("\(name) server exited: \(Self.text(log))")
            }
            if let text = try? String(contentsOfFile: portFile, encoding: .utf8), let number = Int(text) {
                found = number
                break
            }
            usleep(20_000)
        }
        guard let found else {
            Spawn.kill(child)
            pid = nil
            throw FixtureError("\(name) server did not start within 10 s: \(Self.text(log))")
        }
        port = found
    }

    deinit { stop() }

    /// Kills the server (SIGKILL, by PID) and reaps it.
    public func stop() {
        guard let pid else { return }
        Spawn.kill(pid)
        self.pid = nil
    }

    /// Every record so far.
    public func entries() throws -> [[String: Any]] {
        guard let text = try? String(contentsOfFile: record, encoding: .utf8) else { return [] }
        return try text.split(separator: "\n").map { line in
            guard let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else {
                throw FixtureError("record line is not an object: \(line)")
            }
            return object
        }
    }

    private static func text(_ path: String) -> String {
        (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
    }
}

extension RecordingServer {
    /// An HTTP/1.1 server on 127.0.0.1 that records method, path, headers and body of every
    /// request, then answers 200; `/status/N...` answers N, `/stall...` never answers (for 60 s).
    public static func http(directory: String) throws -> RecordingServer {
        try RecordingServer(script: httpScript, name: "http-recorder", directory: directory)
    }

    /// An SMTP server on 127.0.0.1 (aiosmtpd) that accepts `user`/`password` only and records
    /// each AUTH (with whether the connection was encrypted) and each message.
    /// - mode: "starttls" (STARTTLS offered and required), "implicit" (TLS from the first
    ///   byte, for smtps://) or "plain" (no TLS at all, AUTH accepted in clear text).
    public static func smtp(directory: String, mode: String, certificate: String, key: String, user: String, password: String) throws -> RecordingServer {
        try RecordingServer(
            script: smtpScript, name: "smtp-recorder-\(mode)", arguments: [mode, certificate, key, user, password], directory: directory)
    }

    public static let httpScript = #"""
        import http.server, json, os, sys, threading, time
        record, port_file = sys.argv[1], sys.argv[2]
        lock = threading.Lock()

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def handle_any(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                entry = {"method": self.command, "path": self.path,
                         "headers": {k.lower(): v for k, v in self.headers.items()},
                         "body": body.decode("utf-8", "replace")}
                with lock, open(record, "a") as f:
                    f.write(json.dumps(entry) + "\n")
                if self.path.startswith("/stall"):
                    time.sleep(60)
                status = int(self.path.split("/")[2]) if self.path.startswith("/status/") else 200
                out = b"ok\n"
                self.send_response(status)
                self.send_header("Content-Length", str(len(out)))
                self.end_headers()
                self.wfile.write(out)

            do_GET = do_POST = do_HEAD = do_PUT = handle_any

            def log_message(self, *args):
                pass

        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        server.daemon_threads = True
        with open(port_file + ".tmp", "w") as f:
            f.write(str(server.server_address[1]))
        os.rename(port_file + ".tmp", port_file)
        server.serve_forever()
        """#

    public static let smtpScript = #"""
        import json, os, socket, ssl, sys, threading, time
        from aiosmtpd.controller import Controller
        from aiosmtpd.smtp import AuthResult, LoginPassword
        record, port_file, mode, cert, key, user, password = sys.argv[1:8]
        lock = threading.Lock()

        def write(entry):
            with lock, open(record, "a") as f:
                f.write(json.dumps(entry) + "\n")

        def encrypted(server):
            return server.transport is not None and server.transport.get_extra_info("ssl_object") is not None

        class Handler:
            async def handle_DATA(self, server, session, envelope):
                write({"event": "data", "mail_from": envelope.mail_from, "rcpt_tos": envelope.rcpt_tos,
                       "content": envelope.content.decode("utf-8", "replace"),
                       "tls": encrypted(server), "authenticated": bool(session.authenticated)})
                return "250 OK"

        def authenticator(server, session, envelope, mechanism, data):
            if not isinstance(data, LoginPassword):
                write({"event": "auth", "mechanism": mechanism, "ok": False})
                return AuthResult(success=False)
            login, secret = data.login.decode(), data.password.decode()
            ok = login == user and secret == password
            write({"event": "auth", "mechanism": mechanism, "login": login, "password": secret,
                   "tls": encrypted(server), "ok": ok})
            return AuthResult(success=ok)

        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(cert, key)
        probe = socket.socket()
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
        probe.close()
        options = dict(hostname="127.0.0.1", port=port, authenticator=authenticator)
        if mode == "starttls":
            options.update(tls_context=context, require_starttls=True, auth_require_tls=True)
        elif mode == "implicit":
            # aiosmtpd sees no STARTTLS on an implicit TLS connection: its own TLS check for
            # AUTH would refuse it, so the record's "tls" field (from the socket) tells instead.
            options.update(ssl_context=context, auth_require_tls=False)
        else:
            options.update(auth_require_tls=False)
        controller = Controller(Handler(), **options)
        controller.start()
        with open(port_file + ".tmp", "w") as f:
            f.write(str(port))
        os.rename(port_file + ".tmp", port_file)
        while True:
            time.sleep(3600)
        """#
}

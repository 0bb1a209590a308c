"""JSON calls over moted's Unix socket, for the console's test scripts."""
import http.client, json, socket


class UDS(http.client.HTTPConnection):
    """An HTTP connection to a Unix socket."""

    def __init__(self, path, timeout=120):
        super().__init__("localhost", timeout=timeout)
        self.path = path

    def connect(self):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.connect(self.path)


def call(sock, method, path, body=None, check=True):
    """One JSON call; its parsed answer (raises on an error status when `check`)."""
    c = UDS(sock)
    c.request(method, path, body=None if body is None else json.dumps(body), headers={"Content-Type": "application/json"})
    r = c.getresponse()
    data = r.read()
    if check and r.status >= 300:
        raise SystemExit(f"{method} {path}: {r.status} {data[:300]}")
    return json.loads(data) if data else None

#!/usr/bin/env python3
"""Capture real SDP offers and answers from headless Chromium / Firefox ESR.

Runs itself inside a new network namespace (`unshare --net`, root needed) with only `lo`
up (plus a veth pair that stays inside the namespace, for Firefox, which does not gather
loopback), serves page.html on 127.0.0.1, starts the browser on it and writes every SDP
the page POSTs to OUT_DIR/<name>. Nothing leaves the namespace.

usage: capture.py --browser chromium|firefox --out DIR [--peer NAME] [--quick] [--timeout S]
Exit status 0 when the page reported `done`, 1 on a page error or timeout.
"""

import argparse
import http.server
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
INSIDE = "OXRTC_SDP_CAPTURE_NS"

CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--use-fake-device-for-media-stream",
    "--use-fake-ui-for-media-stream",
    "--allow-loopback-in-peer-connection",
    "--disable-features=WebRtcHideLocalIpsWithMdns",
]

FIREFOX_PREFS = {
    "media.navigator.streams.fake": "true",
    "media.navigator.permission.disabled": "true",
    "media.peerconnection.ice.loopback": "true",
    "media.peerconnection.ice.obfuscate_host_addresses": "false",
    "media.peerconnection.ice.default_address_only": "false",
    "browser.shell.checkDefaultBrowser": "false",
    "app.update.enabled": "false",
    "toolkit.telemetry.enabled": "false",
    "datareporting.policy.dataSubmissionEnabled": "false",
    "network.captive-portal-service.enabled": "false",
    "network.connectivity-service.enabled": "false",
}


def reexec_in_namespace(argv):
    """Runs this script again inside `unshare --net` with lo (and a private veth) up."""
    setup = (
        "set -e; ip link set lo up; "
        "ip link add veth0 type veth peer name veth1; "
        "ip addr add 10.99.0.1/24 dev veth0; ip link set veth0 up; ip link set veth1 up; "
        "ip route add default dev veth0; "
        'exec "$@"'
    )
    env = dict(os.environ, **{INSIDE: "1"})
    cmd = ["unshare", "--net", "bash", "-c", setup, "capture", sys.executable] + argv
    return subprocess.call(cmd, env=env)


class State:
    def __init__(self, out_dir):
        self.out_dir = out_dir
        self.finished = threading.Event()
        self.error = None


def make_handler(state):
    class Handler(http.server.BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def _send(self, code, body=b"", ctype="text/plain"):
            self.send_response(code)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self):
            path = self.path.split("?", 1)[0]
            if path in ("/", "/index.html"):
                with open(os.path.join(HERE, "page.html"), "rb") as f:
                    self._send(200, f.read(), "text/html")
            elif path.startswith("/peer/"):
                name = os.path.basename(path[len("/peer/"):])
                file = os.path.join(state.out_dir, name)
                if os.path.isfile(file):
                    with open(file, "rb") as f:
                        self._send(200, f.read())
                else:
                    self._send(404)
            else:
                self._send(404)

        def do_POST(self):
            length = int(self.headers.get("Content-Length", "0"))
            body = self.rfile.read(min(length, 1 << 20))
            name = os.path.basename(self.path[len("/sdp/"):]) if self.path.startswith("/sdp/") else ""
            self._send(200)
            if name == "done":
                state.finished.set()
            elif name == "error":
                state.error = body.decode("utf-8", "replace")
                state.finished.set()
            elif name.endswith(".sdp"):
                with open(os.path.join(state.out_dir, name), "wb") as f:
                    f.write(body)

    return Handler


def browser_command(browser, url, profile):
    if browser == "chromium":
        return ["chromium"] + CHROMIUM_FLAGS + ["--user-data-dir=" + profile, url]
    with open(os.path.join(profile, "user.js"), "w") as f:
        for key, value in FIREFOX_PREFS.items():
            f.write('user_pref("%s", %s);\n' % (key, value))
    return ["firefox-esr", "--headless", "--no-remote", "--profile", profile, url]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--browser", choices=["chromium", "firefox"], required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--peer")
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--timeout", type=float, default=40.0)
    args = parser.parse_args()

    if os.environ.get(INSIDE) != "1":
        return reexec_in_namespace(sys.argv)

    os.makedirs(args.out, exist_ok=True)
    state = State(os.path.abspath(args.out))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), make_handler(state))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    port = server.server_address[1]
    query = "browser=%s" % args.browser
    if args.peer:
        query += "&peer=%s" % args.peer
    if args.quick:
        query += "&quick=1"
    url = "http://127.0.0.1:%d/?%s" % (port, query)

    profile = tempfile.mkdtemp(prefix="oxrtc-sdp-%s-" % args.browser)
    env = dict(os.environ, HOME=profile, MOZ_HEADLESS="1")
    proc = subprocess.Popen(
        browser_command(args.browser, url, profile),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=env,
        start_new_session=True,
    )
    started = time.time()
    ok = state.finished.wait(args.timeout)
    try:
        os.killpg(proc.pid, 9)
    except ProcessLookupError:
        pass
    proc.wait()
    server.shutdown()
    shutil.rmtree(profile, ignore_errors=True)
    if not ok:
        print("capture timed out after %.0f s" % args.timeout, file=sys.stderr)
        return 1
    if state.error:
        print("page error: " + state.error, file=sys.stderr)
        return 1
    print("captured in %.1f s" % (time.time() - started), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())

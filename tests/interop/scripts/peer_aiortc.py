"""aiortc as the independent WebRTC data-channel peer of tests/peer_aiortc.rs.

Commands arrive one JSON object per line, on stdin or (with `--control-tcp`) on a TCP
connection to the `127.0.0.1` port this script prints as `control: 127.0.0.1:<port>`.
The TCP form exists because the Rust harness's child process has no stdin.

Commands:

    {"cmd": "channel", <spec>}             create a data channel (before an offer or live)
    {"cmd": "offer", "channels": [<spec>]} create channels, then print the complete offer
    {"cmd": "answer", "sdp": "..."}        take a remote offer, print the complete answer
    {"cmd": "remote_answer", "sdp": "..."} take the remote answer to our offer
    {"cmd": "send", "label": L, "text": T} send a text message on channel L
    {"cmd": "send", "label": L, "hex": H}  send a binary message on channel L
    {"cmd": "close_channel", "label": L}   close channel L
    {"cmd": "close"}                       close the peer connection

    <spec> = "label", and optionally "ordered" (true), "max_retransmits",
             "max_packet_life_time", "protocol" (""), "negotiated" (a pre-agreed id)

Output, one line each, `key: <json>` so the harness can pick lines by key:

    sdp: {"type": "offer"|"answer", "sdp": "..."}
    event: {"event": "state", "state": <connection state>}
    event: {"event": "channel", "label", "id", "protocol", "ordered", "max_retransmits",
            "max_packet_life_time", "negotiated"}               (opened by the remote)
    event: {"event": "open", "label", "id"}
    event: {"event": "message", "label", "id", "binary": bool, "hex": <payload bytes>}
    event: {"event": "close", "label", "id"}
    event: {"event": "error", "error": "..."}                   (a command failed)

Every message received is echoed back on its channel with its type (unless `--no-echo`),
after its `message` event is printed. Text payloads are reported as their UTF-8 bytes.
"""

import argparse
import asyncio
import json
import logging
import sys

import aioice.ice
from aiortc import RTCConfiguration, RTCPeerConnection, RTCSessionDescription

# aioice leaves out loopback addresses; these tests must stay on 127.0.0.1.
aioice.ice.get_host_addresses = lambda use_ipv4, use_ipv6: ["127.0.0.1"]


def emit(key, value):
    print(f"{key}: {json.dumps(value)}", flush=True)


def event(name, **fields):
    emit("event", {"event": name, **fields})


class Peer:
    def __init__(self, echo):
        self.echo = echo
        # No ICE servers: host candidates on loopback only.
        self.pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
        self.channels = {}

        @self.pc.on("connectionstatechange")
        def on_state():
            event("state", state=self.pc.connectionState)

        @self.pc.on("datachannel")
        def on_datachannel(channel):
            event(
                "channel",
                label=channel.label,
                id=channel.id,
                protocol=channel.protocol,
                ordered=channel.ordered,
                max_retransmits=channel.maxRetransmits,
                max_packet_life_time=channel.maxPacketLifeTime,
                negotiated=channel.negotiated,
            )
            self.watch(channel)
            # aiortc announces a remote channel already open, without an "open" event;
            # report one so either side's channels read the same to the harness.
            if channel.readyState == "open":
                event("open", label=channel.label, id=channel.id)

    def watch(self, channel):
        self.channels[channel.label] = channel

        @channel.on("open")
        def on_open():
            event("open", label=channel.label, id=channel.id)

        @channel.on("message")
        def on_message(message):
            binary = isinstance(message, bytes)
            payload = message if binary else message.encode("utf-8")
            event("message", label=channel.label, id=channel.id, binary=binary, hex=payload.hex())
            if self.echo:
                # An exception here would unwind into aiortc's SCTP receive path; report
                # it instead, so the harness fails on it.
                try:
                    channel.send(message)
                except Exception as e:
                    event("error", error=f"echo on {channel.label!r}: {type(e).__name__}: {e}")

        @channel.on("close")
        def on_close():
            event("close", label=channel.label, id=channel.id)

    def create_channel(self, spec):
        negotiated = spec.get("negotiated")
        channel = self.pc.createDataChannel(
            spec["label"],
            ordered=spec.get("ordered", True),
            maxRetransmits=spec.get("max_retransmits"),
            maxPacketLifeTime=spec.get("max_packet_life_time"),
            protocol=spec.get("protocol", ""),
            negotiated=negotiated is not None,
            id=negotiated,
        )
        self.watch(channel)

    def print_local_description(self):
        description = self.pc.localDescription
        emit("sdp", {"type": description.type, "sdp": description.sdp})

    async def run(self, command):
        cmd = command["cmd"]
        if cmd == "channel":
            self.create_channel(command)
        elif cmd == "offer":
            for spec in command.get("channels", []):
                self.create_channel(spec)
            # aiortc's setLocalDescription returns once gathering is complete, so the
            # description then holds every candidate (no trickle needed).
            await self.pc.setLocalDescription(await self.pc.createOffer())
            self.print_local_description()
        elif cmd == "answer":
            await self.pc.setRemoteDescription(RTCSessionDescription(command["sdp"], "offer"))
            await self.pc.setLocalDescription(await self.pc.createAnswer())
            self.print_local_description()
        elif cmd == "remote_answer":
            await self.pc.setRemoteDescription(RTCSessionDescription(command["sdp"], "answer"))
        elif cmd == "send":
            channel = self.channels[command["label"]]
            if "text" in command:
                channel.send(command["text"])
            else:
                channel.send(bytes.fromhex(command["hex"]))
        elif cmd == "close_channel":
            self.channels[command["label"]].close()
        elif cmd == "close":
            await self.pc.close()
        else:
            raise ValueError(f"unknown command {cmd!r}")


async def control_reader(use_tcp):
    loop = asyncio.get_running_loop()
    if not use_tcp:
        reader = asyncio.StreamReader(limit=1 << 24)
        await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
        return reader
    connected = loop.create_future()

    async def on_connection(reader, writer):
        if not connected.done():
            connected.set_result(reader)

    server = await asyncio.start_server(on_connection, "127.0.0.1", 0, limit=1 << 24)
    host, port = server.sockets[0].getsockname()[:2]
    print(f"control: {host}:{port}", flush=True)
    reader = await connected
    # One controller only: nobody else may drive this peer.
    server.close()
    return reader


async def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--control-tcp", action="store_true")
    parser.add_argument("--no-echo", action="store_true")
    parser.add_argument("--debug", action="store_true")
    args = parser.parse_args()
    if args.debug:
        logging.basicConfig(level=logging.DEBUG, stream=sys.stderr)

    peer = Peer(echo=not args.no_echo)
    reader = await control_reader(args.control_tcp)
    try:
        # Commands run one after another in arrival order, so a "send" right after an
        # "answer" acts on the state that answer left behind.
        while line := await reader.readline():
            if not line.strip():
                continue
            try:
                await peer.run(json.loads(line))
            except Exception as e:
                event("error", error=f"{type(e).__name__}: {e}")
    finally:
        await peer.pc.close()


if __name__ == "__main__":
    asyncio.run(main())

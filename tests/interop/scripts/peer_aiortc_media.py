#!/usr/bin/env python3
"""aiortc as a browser sending media to a reflecting server and decoding what comes back.

usage: peer_aiortc_media.py URL VIDEO_CODEC [--audio]

Offers one video track (aiortc's synthetic 640x480 frames) with only VIDEO_CODEC (VP8 or
H264) allowed, and with --audio an Opus track too; POSTs the offer as JSON to URL and
applies the JSON answer. Prints `video: WIDTHxHEIGHT` for each of the first 30 frames
decoded from the track the server sends back, `audio: SAMPLES` for the first 20 audio
frames, then `done: ok`. Loopback only: aioice is told 127.0.0.1 is the one address.
"""

import asyncio
import json
import sys
import urllib.request

import aioice.ice

aioice.ice.get_host_addresses = lambda use_ipv4, use_ipv6: ["127.0.0.1"]

from aiortc import (  # noqa: E402
    AudioStreamTrack,
    RTCPeerConnection,
    RTCSessionDescription,
    VideoStreamTrack,
)
from aiortc.rtcrtpsender import RTCRtpSender  # noqa: E402

VIDEO_FRAMES = 30
AUDIO_FRAMES = 20


def say(key, value):
    print(f"{key}: {value}", flush=True)


async def pull(track, kind, count):
    for _ in range(count):
        frame = await track.recv()
        if kind == "video":
            say("video", f"{frame.width}x{frame.height}")
        else:
            say("audio", frame.samples)


async def main(url, codec, with_audio):
    pc = RTCPeerConnection()
    video = pc.addTransceiver(VideoStreamTrack(), direction="sendrecv")
    caps = RTCRtpSender.getCapabilities("video")
    video.setCodecPreferences([c for c in caps.codecs if c.mimeType == f"video/{codec}"])
    if with_audio:
        pc.addTransceiver(AudioStreamTrack(), direction="sendrecv")
    pulls = []

    @pc.on("track")
    def on_track(track):
        count = VIDEO_FRAMES if track.kind == "video" else AUDIO_FRAMES
        pulls.append(asyncio.ensure_future(pull(track, track.kind, count)))

    await pc.setLocalDescription(await pc.createOffer())
    body = json.dumps({"type": pc.localDescription.type, "sdp": pc.localDescription.sdp})
    request = urllib.request.Request(url, data=body.encode(), method="POST")
    loop = asyncio.get_running_loop()
    reply = await loop.run_in_executor(None, lambda: urllib.request.urlopen(request).read())
    answer = json.loads(reply)
    await pc.setRemoteDescription(RTCSessionDescription(sdp=answer["sdp"], type=answer["type"]))
    while len(pulls) < (2 if with_audio else 1):
        await asyncio.sleep(0.05)
    await asyncio.gather(*pulls)
    say("done", "ok")
    await pc.close()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2], "--audio" in sys.argv[3:]))

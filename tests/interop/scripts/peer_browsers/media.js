// The media suite of page.html (?suite=media&codecs=VP8,VP9,...), played against
// tests/interop/tests/peer_browsers/media.rs. It uses page.html's helpers (request,
// progress, awaitServer, timeout, gathered, watchStates, check, fail, log, facts), which
// exist by the time mediaSuite() runs. Cases, each with its own time limits, and each run
// even when one before it failed:
//   reflect-<codec>  the fake camera, only <codec> left by setCodecPreferences, offered to
//                    oxrtc, which sends it back from the second keyframe on (the first
//                    is withheld): the receiver here must ask for a keyframe, oxrtc pass
//                    the request to the sender here, and the returned track decode.
//   reflect-opus     the same with the fake microphone.
//   recvonly         oxrtc offers to receive video (and a data channel); this page answers
//                    with its camera; oxrtc checks the RTP and that PLIs bring keyframes.
'use strict';

// Frames the returned video must decode (one second of the fake camera at 30 fps).
const FRAMES_NEEDED = 30;
// Audio packets that must come back: one second of 20 ms Opus packets.
const AUDIO_PACKETS_NEEDED = 50;
// From setRemoteDescription to enough decoded media.
const DECODE_LIMIT_MS = 10000;
// Past this (since the page loaded) no new case starts, so the verdict still reaches the
// test before its own budget runs out (MEDIA_PAGE_BUDGET, 75 s from the browser's start)
// even when every case fails on its time limits.
const MEDIA_DEADLINE_MS = 35000;
// PLIs oxrtc sends in the receive-only case (PLI_ROUNDS in media.rs).
const PLI_ROUNDS = 2;

const sleep = (millis) => new Promise((resolve) => setTimeout(resolve, millis));

function describeCodec(c) {
  return c.mimeType + '/' + c.clockRate + (c.channels ? '/' + c.channels : '') +
    (c.sdpFmtpLine ? ' ' + c.sdpFmtpLine : '');
}

// Every receivable codec entry of `mimeType`, in the browser's order: H.264 has one per
// profile and packetization mode, and oxrtc takes those it supports.
function onlyCodec(kind, mimeType) {
  return RTCRtpReceiver.getCapabilities(kind).codecs
    .filter((c) => c.mimeType.toLowerCase() === mimeType.toLowerCase());
}

// The RTP stats of one direction and kind, with the codec they name.
function rtpStats(report, type, kind) {
  let rtp = null;
  report.forEach((s) => {
    if (s.type === type && s.kind === kind) rtp = s;
  });
  const codec = rtp && rtp.codecId ? report.get(rtp.codecId) : undefined;
  return { rtp, codec };
}

// What a failure report needs from getStats(): both RTP directions with their codecs
// and the transport.
async function snapshot(pc, kind) {
  const report = await pc.getStats();
  const out = {};
  for (const type of ['inbound-rtp', 'outbound-rtp']) {
    const { rtp, codec } = rtpStats(report, type, kind);
    if (rtp) out[type] = rtp;
    if (codec) out[type + '-codec'] = codec;
  }
  report.forEach((s) => {
    if (s.type === 'transport') out.transport = s;
  });
  return out;
}

// Polls getStats() until the inbound stream of `kind` satisfies `enough`.
async function inboundUntil(pc, kind, enough, what) {
  const t = ms();
  for (;;) {
    const report = await pc.getStats();
    const { rtp, codec } = rtpStats(report, 'inbound-rtp', kind);
    if (rtp && enough(rtp)) return { rtp, codec, after: ms() - t };
    if (ms() - t > DECODE_LIMIT_MS) {
      throw new Error('timed out after ' + DECODE_LIMIT_MS + ' ms: ' + what +
        '; last inbound-rtp ' + JSON.stringify(rtp));
    }
    await sleep(100);
  }
}

function camera() {
  return navigator.mediaDevices.getUserMedia({ video: { frameRate: 30 } });
}

// Sends one track to oxrtc and checks that what comes back decodes as `name`.
async function reflectCase(kind, name) {
  await progress('reflect-' + name);
  const key = 'reflect_' + name;
  const mimeType = kind + '/' + name;
  const preferences = onlyCodec(kind, mimeType);
  facts[key + '_preferences'] = preferences.map(describeCodec);
  if (!check(preferences.length > 0, 'the browser cannot receive ' + mimeType)) return;
  const stream = kind === 'video' ? await camera()
    : await navigator.mediaDevices.getUserMedia({ audio: true });
  const pc = new RTCPeerConnection();
  const states = watchStates(pc, key);
  let player = null;
  try {
    const sent = stream.getTracks()[0];
    facts[key + '_source'] = sent.getSettings();
    const transceiver = pc.addTransceiver(sent, { direction: 'sendrecv', streams: [stream] });
    transceiver.setCodecPreferences(preferences);
    const remote = new Promise((resolve) => {
      pc.ontrack = (e) => resolve(e.track);
    });
    await pc.setLocalDescription(await pc.createOffer());
    await gathered(pc);
    facts[key + '_offer'] = pc.localDescription.sdp;
    const answer = JSON.parse(await request('POST', '/media/offer?' + name,
      JSON.stringify(pc.localDescription)));
    facts[key + '_answer'] = answer.sdp;
    await pc.setRemoteDescription(answer);
    const track = await timeout(remote, 5000, 'track event');
    check(track.kind === kind, 'returned track is ' + track.kind);
    if (kind === 'audio') {
      // Chromium decodes received audio only while something plays it: without a
      // player its inbound-rtp counts packets (and discards them) but no samples.
      player = new Audio();
      player.muted = true;
      player.srcObject = new MediaStream([track]);
      await timeout(player.play(), 5000, 'play() of the returned audio');
    }
    const got = kind === 'video'
      ? await inboundUntil(pc, kind,
        (r) => r.framesDecoded >= FRAMES_NEEDED && r.frameWidth > 0,
        FRAMES_NEEDED + ' decoded frames')
      : await inboundUntil(pc, kind,
        (r) => r.packetsReceived >= AUDIO_PACKETS_NEEDED && r.totalSamplesReceived > 0,
        AUDIO_PACKETS_NEEDED + ' audio packets and samples');
    facts[key + '_decoded_ms'] = got.after;
    const inboundMime = got.codec ? got.codec.mimeType : 'no codec stats';
    check(inboundMime.toLowerCase() === mimeType.toLowerCase(),
      'inbound codec is ' + inboundMime + ', the page chose ' + mimeType);
    if (kind === 'video') {
      // oxrtc withheld the first keyframe: this receiver must have asked for one.
      const requests = (got.rtp.pliCount || 0) + (got.rtp.firCount || 0);
      check(requests >= 1, 'no keyframe request (PLI, FIR) from the receiver: ' +
        JSON.stringify(got.rtp));
      await awaitServer('reflect-' + name + ':keyframe-request#1');
    }
    if (kind === 'audio') {
      // Samples the decoder made from packets rather than concealment.
      const decoded = got.rtp.totalSamplesReceived - (got.rtp.concealedSamples || 0);
      check(decoded > 0, 'every received sample was concealment: ' + JSON.stringify(got.rtp));
    }
    log(name + ' back and decoding after ' + got.after + ' ms (' + inboundMime +
      (kind === 'video' ? ' ' + got.rtp.frameWidth + 'x' + got.rtp.frameHeight : '') +
      '); states ' + states.join(' '));
    const packets = kind === 'video' ? FRAMES_NEEDED : AUDIO_PACKETS_NEEDED;
    await awaitServer('reflect-' + name + ':rtp>=' + packets);
  } finally {
    facts[key + '_stats'] = await snapshot(pc, kind).catch((e) => String(e));
    if (player) player.srcObject = null;
    stream.getTracks().forEach((t) => t.stop());
    pc.close();
    await request('POST', '/media/close?' + name, '').catch((e) => log('close: ' + e));
  }
}

// oxrtc offers to receive video; this page answers with its camera.
async function recvonlyCase() {
  await progress('recvonly');
  const offer = JSON.parse(await request('GET', '/media/offer'));
  facts.recvonly_offer = offer.sdp;
  const stream = await camera();
  const pc = new RTCPeerConnection();
  watchStates(pc, 'recvonly');
  const channel = new Promise((resolve) => {
    pc.ondatachannel = (e) => resolve(e.channel);
  });
  try {
    await pc.setRemoteDescription(offer);
    // Takes the transceiver the offer made (its sender never sent), so the answer is
    // sendonly in oxrtc's section.
    pc.addTrack(stream.getVideoTracks()[0], stream);
    await pc.setLocalDescription(await pc.createAnswer());
    await gathered(pc);
    facts.recvonly_answer = pc.localDescription.sdp;
    const directions = pc.getTransceivers().map((t) => t.currentDirection);
    check(JSON.stringify(directions) === '["sendonly"]', 'transceivers ' + JSON.stringify(directions));
    await request('POST', '/media/answer', JSON.stringify(pc.localDescription));
    const dc = await timeout(channel, 10000, 'datachannel event');
    check(dc.label === 'recvonly', 'channel label ' + dc.label);
    await awaitServer('recvonly:rtp>=' + FRAMES_NEEDED);
    for (let round = 1; round <= PLI_ROUNDS; round++) {
      await awaitServer('recvonly:pli-answered-' + round);
    }
    const { rtp } = rtpStats(await pc.getStats(), 'outbound-rtp', 'video');
    facts.recvonly_outbound_pli_count = rtp && rtp.pliCount;
    facts.recvonly_outbound_key_frames = rtp && rtp.keyFramesEncoded;
    // The encoder saw them as PLIs, not as something else that made it send keyframes.
    check(rtp && rtp.pliCount >= PLI_ROUNDS, 'outbound-rtp pliCount ' + (rtp && rtp.pliCount));
  } finally {
    facts.recvonly_stats = await snapshot(pc, 'video').catch((e) => String(e));
    stream.getTracks().forEach((t) => t.stop());
    pc.close();
    await request('POST', '/media/close?recvonly', '').catch((e) => log('close: ' + e));
  }
}

async function mediaSuite() {
  facts.video_capabilities = RTCRtpReceiver.getCapabilities('video').codecs.map(describeCodec);
  facts.audio_capabilities = RTCRtpReceiver.getCapabilities('audio').codecs.map(describeCodec);
  const codecs = (params.get('codecs') || '').split(',').filter(Boolean);
  const cases = codecs.map((name) => ['reflect-' + name, () => reflectCase('video', name)]);
  cases.push(['reflect-opus', () => reflectCase('audio', 'opus')]);
  cases.push(['recvonly', recvonlyCase]);
  for (const [name, run] of cases) {
    if (ms() > MEDIA_DEADLINE_MS) {
      step = name;
      fail('not run: the suite is past ' + MEDIA_DEADLINE_MS + ' ms');
      continue;
    }
    try {
      await run();
    } catch (e) {
      fail('exception: ' + describeError(e));
    }
  }
}

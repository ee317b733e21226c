"""libsrtp (through pylibsrtp) as the independent SRTP peer of tests/srtp_libsrtp.rs.

Reads commands on stdin, one per line, and answers each with one line on stdout:

    session <profile> <master key hex> <master salt hex>   -> "ok"
    protect_rtp <hex> | protect_rtcp <hex>                 -> "ok <hex>" | "err <why>"
    unprotect_rtp <hex> | unprotect_rtcp <hex>             -> "ok <hex>" | "err <why>"

`session` starts a fresh pair of libsrtp sessions under one master key: an outbound one
that protects and an inbound one that unprotects, both for any SSRC.
"""

import sys

from pylibsrtp import Error, Policy, Session

PROFILES = {
    "SRTP_AES128_CM_HMAC_SHA1_80": Policy.SRTP_PROFILE_AES128_CM_SHA1_80,
    "SRTP_AES128_CM_HMAC_SHA1_32": Policy.SRTP_PROFILE_AES128_CM_SHA1_32,
    "SRTP_AEAD_AES_128_GCM": Policy.SRTP_PROFILE_AEAD_AES_128_GCM,
    "SRTP_AEAD_AES_256_GCM": Policy.SRTP_PROFILE_AEAD_AES_256_GCM,
}


def session(profile, key_and_salt, ssrc_type):
    policy = Policy(key=key_and_salt, ssrc_type=ssrc_type, srtp_profile=PROFILES[profile])
    # The browsers' SRTP replay window (libwebrtc), as oxrtc's default.
    policy.window_size = 1024
    return Session(policy=policy)


def main():
    outbound = inbound = None
    for line in sys.stdin:
        words = line.split()
        if not words:
            continue
        command = words[0]
        if command == "session":
            key_and_salt = bytes.fromhex(words[2]) + bytes.fromhex(words[3])
            outbound = session(words[1], key_and_salt, Policy.SSRC_ANY_OUTBOUND)
            inbound = session(words[1], key_and_salt, Policy.SSRC_ANY_INBOUND)
            print("ok", flush=True)
            continue
        handler = {
            "protect_rtp": lambda p: outbound.protect(p),
            "protect_rtcp": lambda p: outbound.protect_rtcp(p),
            "unprotect_rtp": lambda p: inbound.unprotect(p),
            "unprotect_rtcp": lambda p: inbound.unprotect_rtcp(p),
        }.get(command)
        if handler is None:
            print("err unknown command " + command, flush=True)
            continue
        try:
            print("ok " + handler(bytes.fromhex(words[1])).hex(), flush=True)
        except Error as error:
            print("err " + str(error).replace("\n", " "), flush=True)


if __name__ == "__main__":
    main()

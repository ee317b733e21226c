// Command pion-dtls-srtp is the Pion side of tests/interop/tests/dtls_srtp_pion.rs: a DTLS-SRTP
// peer made of pion/dtls v2 and pion/srtp v2 on one UDP socket on 127.0.0.1, as a browser
// runs a call: DTLS and SRTP/SRTCP share the 5-tuple and are told apart by their first
// byte (RFC 7983 §7: 20..63 DTLS, 128..191 RTP/RTCP).
//
// After the handshake it derives its SRTP keys the way Pion's PeerConnection does
// (srtp.Config.ExtractSessionKeysFromDTLS), decrypts every SRTP and SRTCP packet with the
// peer's key, and sends the plaintext back encrypted with its own key: an echo.
//
// It prints `key: value` lines on stdout:
//
//	fingerprint: sha-256 AB:CD:..      our certificate (before the handshake)
//	listening: 127.0.0.1:PORT          our socket (both roles)
//	srtp-profile: SRTP_..              after the handshake
//	rtp: <hex>                         each RTP packet decrypted, then echoed
//	rtcp: <hex>                        each compound RTCP packet decrypted, then echoed
//	rtp-error: <why>                   a packet that did not decrypt (not echoed)
//	rtcp-error: <why>
//	closed: <why>                      when the DTLS connection ends
package main

import (
	"context"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"net"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/pion/dtls/v2"
	"github.com/pion/dtls/v2/pkg/crypto/selfsign"
	"github.com/pion/srtp/v2"
	"github.com/pion/transport/v2/packetio"
)

// The SRTP profiles by their OpenSSL names, as oxrtc's SrtpProfile::openssl_name prints
// them. pion/srtp 2.0.12 implements these three (no AEAD_AES_256_GCM).
var srtpProfiles = map[string]dtls.SRTPProtectionProfile{
	"SRTP_AES128_CM_SHA1_80": dtls.SRTP_AES128_CM_HMAC_SHA1_80,
	"SRTP_AES128_CM_SHA1_32": dtls.SRTP_AES128_CM_HMAC_SHA1_32,
	"SRTP_AEAD_AES_128_GCM":  dtls.SRTP_AEAD_AES_128_GCM,
}

// srtpProfile maps the negotiated DTLS profile to pion/srtp's, as pion/webrtc v3's
// DTLSTransport does (by name, not by number).
func srtpProfile(p dtls.SRTPProtectionProfile) (srtp.ProtectionProfile, error) {
	switch p {
	case dtls.SRTP_AES128_CM_HMAC_SHA1_80:
		return srtp.ProtectionProfileAes128CmHmacSha1_80, nil
	case dtls.SRTP_AES128_CM_HMAC_SHA1_32:
		return srtp.ProtectionProfileAes128CmHmacSha1_32, nil
	case dtls.SRTP_AEAD_AES_128_GCM:
		return srtp.ProtectionProfileAeadAes128Gcm, nil
	}
	return 0, fmt.Errorf("no pion/srtp profile for DTLS profile %#04x", uint16(p))
}

func fail(format string, args ...interface{}) {
	fmt.Fprintf(os.Stderr, "pion-dtls-srtp: "+format+"\n", args...)
	os.Exit(1)
}

// outMu serializes stdout lines written by several goroutines.
var outMu sync.Mutex

func say(key, format string, args ...interface{}) {
	outMu.Lock()
	defer outMu.Unlock()
	fmt.Printf("%s: %s\n", key, fmt.Sprintf(format, args...))
}

func fingerprint(der []byte) string {
	sum := sha256.Sum256(der)
	pairs := make([]string, len(sum))
	for i, b := range sum {
		pairs[i] = fmt.Sprintf("%02X", b)
	}
	return "sha-256 " + strings.Join(pairs, ":")
}

// dtlsConn is the net.Conn pion/dtls runs on: it reads the DTLS datagrams the demultiplexer
// queued and writes to the shared socket. packetio.Buffer gives Read the deadline support
// pion/dtls relies on to stop a read.
type dtlsConn struct {
	socket *net.UDPConn
	remote *net.UDPAddr
	queue  *packetio.Buffer
}

func (c *dtlsConn) Read(p []byte) (int, error) { return c.queue.Read(p) }
func (c *dtlsConn) Write(p []byte) (int, error) {
	return c.socket.WriteToUDP(p, c.remote)
}
func (c *dtlsConn) Close() error                       { return c.queue.Close() }
func (c *dtlsConn) LocalAddr() net.Addr                { return c.socket.LocalAddr() }
func (c *dtlsConn) RemoteAddr() net.Addr               { return c.remote }
func (c *dtlsConn) SetDeadline(t time.Time) error      { return c.queue.SetReadDeadline(t) }
func (c *dtlsConn) SetReadDeadline(t time.Time) error  { return c.queue.SetReadDeadline(t) }
func (c *dtlsConn) SetWriteDeadline(t time.Time) error { return nil }

// demultiplex reads the socket and sorts datagrams from the peer by first byte
// (RFC 7983 §7): DTLS to the DTLS connection, RTP/RTCP to media. It starts with `first`,
// the datagram that told a server who its peer is.
func demultiplex(socket *net.UDPConn, remote *net.UDPAddr, first []byte, queue *packetio.Buffer, media chan<- []byte) {
	sort := func(packet []byte) {
		switch b := packet[0]; {
		case b >= 20 && b <= 63:
			if _, err := queue.Write(packet); err != nil {
				fmt.Fprintf(os.Stderr, "pion-dtls-srtp: dtls queue: %v\n", err)
			}
		case b >= 128 && b <= 191:
			media <- packet
		default:
			say("ignored", "%x", packet)
		}
	}
	if first != nil {
		sort(first)
	}
	for {
		buf := make([]byte, 1<<16)
		n, from, err := socket.ReadFromUDP(buf)
		if err != nil {
			close(media)
			return
		}
		if n == 0 || !from.IP.Equal(remote.IP) || from.Port != remote.Port {
			continue
		}
		sort(buf[:n])
	}
}

func main() {
	role := flag.String("role", "", "client or server")
	addr := flag.String("addr", "", "client: the server's address")
	profileName := flag.String("srtp-profile", "SRTP_AES128_CM_SHA1_80", "the one SRTP profile offered")
	peerFingerprint := flag.String("peer-fingerprint", "", "the sha-256 fingerprint the peer's certificate must have")
	timeout := flag.Duration("timeout", 30*time.Second, "give up after this long")
	flag.Parse()

	dtlsProfile, ok := srtpProfiles[*profileName]
	if !ok {
		fail("unknown SRTP profile %q", *profileName)
	}
	certificate, err := selfsign.GenerateSelfSigned()
	if err != nil {
		fail("certificate: %v", err)
	}
	config := &dtls.Config{
		Certificates:           []tls.Certificate{certificate},
		ExtendedMasterSecret:   dtls.RequireExtendedMasterSecret,
		ClientAuth:             dtls.RequireAnyClientCert,
		SRTPProtectionProfiles: []dtls.SRTPProtectionProfile{dtlsProfile},
		// Self-signed certificates: trust comes from the fingerprint, as in WebRTC.
		InsecureSkipVerify: true,
		VerifyPeerCertificate: func(rawCerts [][]byte, _ [][]*x509.Certificate) error {
			if len(rawCerts) == 0 {
				return errors.New("no peer certificate")
			}
			if !strings.EqualFold(fingerprint(rawCerts[0]), *peerFingerprint) {
				return fmt.Errorf("peer fingerprint %s, expected %s", fingerprint(rawCerts[0]), *peerFingerprint)
			}
			return nil
		},
		ConnectContextMaker: func() (context.Context, func()) {
			return context.WithTimeout(context.Background(), *timeout)
		},
	}

	socket, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		fail("listen: %v", err)
	}
	say("fingerprint", "%s", fingerprint(certificate.Certificate[0]))
	say("listening", "%s", socket.LocalAddr())
	time.AfterFunc(*timeout, func() {
		say("closed", "timeout")
		os.Exit(2)
	})

	var remote *net.UDPAddr
	var first []byte
	switch *role {
	case "client":
		remote, err = net.ResolveUDPAddr("udp4", *addr)
		if err != nil {
			fail("address %q: %v", *addr, err)
		}
	case "server":
		// The first datagram (the ClientHello) names the peer.
		buf := make([]byte, 1<<16)
		n, from, err := socket.ReadFromUDP(buf)
		if err != nil {
			fail("read: %v", err)
		}
		remote, first = from, buf[:n]
	default:
		fail("-role must be client or server")
	}
	if !remote.IP.IsLoopback() {
		fail("refusing non-loopback peer %v", remote)
	}

	queue := packetio.NewBuffer()
	// Media waits here until the keys exist: the peer may send SRTP as soon as it is
	// connected, before our side of the handshake has finished.
	media := make(chan []byte, 256)
	go demultiplex(socket, remote, first, queue, media)
	next := &dtlsConn{socket: socket, remote: remote, queue: queue}

	var conn *dtls.Conn
	if *role == "client" {
		conn, err = dtls.Client(next, config)
	} else {
		conn, err = dtls.Server(next, config)
	}
	if err != nil {
		fail("handshake: %v", err)
	}

	negotiated, ok := conn.SelectedSRTPProtectionProfile()
	if !ok {
		fail("no SRTP profile negotiated")
	}
	profile, err := srtpProfile(negotiated)
	if err != nil {
		fail("%v", err)
	}
	srtpConfig := srtp.Config{Profile: profile}
	state := conn.ConnectionState()
	if err := srtpConfig.ExtractSessionKeysFromDTLS(&state, *role == "client"); err != nil {
		fail("SRTP keys: %v", err)
	}
	keys := srtpConfig.Keys
	encrypt, err := srtp.CreateContext(keys.LocalMasterKey, keys.LocalMasterSalt, profile)
	if err != nil {
		fail("SRTP context: %v", err)
	}
	decrypt, err := srtp.CreateContext(keys.RemoteMasterKey, keys.RemoteMasterSalt, profile,
		srtp.SRTPReplayProtection(64), srtp.SRTCPReplayProtection(64))
	if err != nil {
		fail("SRTP context: %v", err)
	}
	for name, p := range srtpProfiles {
		if p == negotiated {
			say("srtp-profile", "%s", name)
		}
	}

	// The DTLS connection keeps running beside the media: its Read sees the peer's
	// close_notify.
	go func() {
		buf := make([]byte, 1<<16)
		for {
			if _, err := conn.Read(buf); err != nil {
				say("closed", "%v", err)
				os.Exit(0)
			}
		}
	}()

	for packet := range media {
		// RFC 5761 §4: RTCP packet types 192..223 are payload types 64..95 with the
		// marker bit set, which RTP on a muxed port must not use.
		if packet[1] >= 192 && packet[1] <= 223 {
			plain, err := decrypt.DecryptRTCP(nil, packet, nil)
			if err != nil {
				say("rtcp-error", "%v", err)
				continue
			}
			say("rtcp", "%s", hex.EncodeToString(plain))
			echo, err := encrypt.EncryptRTCP(nil, plain, nil)
			if err != nil {
				fail("encrypt RTCP: %v", err)
			}
			if _, err := socket.WriteToUDP(echo, remote); err != nil {
				fail("write: %v", err)
			}
		} else {
			plain, err := decrypt.DecryptRTP(nil, packet, nil)
			if err != nil {
				say("rtp-error", "%v", err)
				continue
			}
			say("rtp", "%s", hex.EncodeToString(plain))
			echo, err := encrypt.EncryptRTP(nil, plain, nil)
			if err != nil {
				fail("encrypt RTP: %v", err)
			}
			if _, err := socket.WriteToUDP(echo, remote); err != nil {
				fail("write: %v", err)
			}
		}
	}
	say("closed", "socket")
}

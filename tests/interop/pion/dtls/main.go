// Command pion-dtls is the Pion side of tests/interop/tests/dtls_pion.rs: a DTLS 1.2
// client or server (pion/dtls v2) on 127.0.0.1 with a fresh self-signed ECDSA P-256
// certificate, mutual authentication and use_srtp.
//
// It prints `key: value` lines on stdout, in this order:
//
//	fingerprint: sha-256 AB:CD:..       our certificate (before the handshake)
//	listening: 127.0.0.1:PORT           (server only)
//	cipher: TLS_ECDHE_..                after the handshake
//	srtp-profile: SRTP_..
//	keying-material: <hex>              EXTRACTOR-dtls_srtp, length from the profile
//	peer-fingerprint: sha-256 AB:CD:..
//	received: <text>                    each application data record
//	closed: <why>                       when the connection ends
//
// After the handshake it sends the text of -send (if any), and answers every record it
// receives with "echo: " followed by the record. It exits when the peer closes, on an
// error, or after -timeout.
package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/gob"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"net"
	"os"
	"strings"
	"time"

	"github.com/pion/dtls/v2"
	"github.com/pion/dtls/v2/pkg/crypto/elliptic"
	"github.com/pion/dtls/v2/pkg/crypto/selfsign"
)

// The SRTP profiles by their OpenSSL names (what oxrtc's SrtpProfile::openssl_name prints),
// with the length of their DTLS-SRTP keying material: RFC 5764 §4.2, two master keys and
// two master salts.
var srtpProfiles = map[string]struct {
	id     dtls.SRTPProtectionProfile
	keyLen int
}{
	"SRTP_AES128_CM_SHA1_80": {dtls.SRTP_AES128_CM_HMAC_SHA1_80, 2 * (16 + 14)},
	"SRTP_AES128_CM_SHA1_32": {dtls.SRTP_AES128_CM_HMAC_SHA1_32, 2 * (16 + 14)},
	"SRTP_AEAD_AES_128_GCM":  {dtls.SRTP_AEAD_AES_128_GCM, 2 * (16 + 12)},
	"SRTP_AEAD_AES_256_GCM":  {dtls.SRTP_AEAD_AES_256_GCM, 2 * (32 + 12)},
}

var cipherSuites = map[string]dtls.CipherSuiteID{
	"TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256": dtls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
	"TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384": dtls.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
}

var curves = map[string]elliptic.Curve{
	"X25519": elliptic.X25519,
	"P-256":  elliptic.P256,
	"P-384":  elliptic.P384,
}

func fail(format string, args ...interface{}) {
	fmt.Fprintf(os.Stderr, "pion-dtls: "+format+"\n", args...)
	os.Exit(1)
}

// fingerprint formats a certificate's SHA-256 as SDP's a=fingerprint writes it.
func fingerprint(der []byte) string {
	sum := sha256.Sum256(der)
	pairs := make([]string, len(sum))
	for i, b := range sum {
		pairs[i] = fmt.Sprintf("%02X", b)
	}
	return "sha-256 " + strings.Join(pairs, ":")
}

// negotiatedSuite reads the cipher suite id out of the connection state. pion/dtls v2
// keeps it private, but State.MarshalBinary gob-encodes it as the field CipherSuiteID, and
// gob matches fields by name, so decoding into a struct with just that field recovers it.
func negotiatedSuite(state dtls.State) (dtls.CipherSuiteID, error) {
	raw, err := state.MarshalBinary()
	if err != nil {
		return 0, err
	}
	var fields struct{ CipherSuiteID uint16 }
	if err := gob.NewDecoder(bytes.NewReader(raw)).Decode(&fields); err != nil {
		return 0, err
	}
	return dtls.CipherSuiteID(fields.CipherSuiteID), nil
}

func main() {
	role := flag.String("role", "", "client or server")
	addr := flag.String("addr", "127.0.0.1:0", "server: address to listen on; client: address to connect to")
	profiles := flag.String("srtp-profiles", "SRTP_AES128_CM_SHA1_80", "comma-separated SRTP profiles, preferred first")
	suites := flag.String("cipher-suites", "", "comma-separated cipher suites (default: Pion's)")
	curveNames := flag.String("curves", "", "comma-separated ECDHE groups: X25519, P-256, P-384 (default: Pion's)")
	mtu := flag.Int("mtu", 0, "largest datagram (0: Pion's default)")
	peerFingerprint := flag.String("peer-fingerprint", "", "the sha-256 fingerprint the peer's certificate must have")
	send := flag.String("send", "", "text to send once connected")
	timeout := flag.Duration("timeout", 30*time.Second, "give up after this long")
	flag.Parse()

	udpAddr, err := net.ResolveUDPAddr("udp4", *addr)
	if err != nil {
		fail("address %q: %v", *addr, err)
	}
	if !udpAddr.IP.IsLoopback() {
		fail("refusing non-loopback address %v", udpAddr)
	}

	certificate, err := selfsign.GenerateSelfSigned()
	if err != nil {
		fail("certificate: %v", err)
	}
	config := &dtls.Config{
		Certificates:         []tls.Certificate{certificate},
		ExtendedMasterSecret: dtls.RequireExtendedMasterSecret,
		ClientAuth:           dtls.RequireAnyClientCert,
		// Self-signed certificates: trust comes from the fingerprint, as in WebRTC.
		InsecureSkipVerify: true,
		VerifyPeerCertificate: func(rawCerts [][]byte, _ [][]*x509.Certificate) error {
			if len(rawCerts) == 0 {
				return errors.New("no peer certificate")
			}
			if *peerFingerprint != "" && !strings.EqualFold(fingerprint(rawCerts[0]), *peerFingerprint) {
				return fmt.Errorf("peer fingerprint %s, expected %s", fingerprint(rawCerts[0]), *peerFingerprint)
			}
			return nil
		},
		MTU: *mtu,
		ConnectContextMaker: func() (context.Context, func()) {
			return context.WithTimeout(context.Background(), *timeout)
		},
	}
	for _, name := range strings.Split(*profiles, ",") {
		p, ok := srtpProfiles[name]
		if !ok {
			fail("unknown SRTP profile %q", name)
		}
		config.SRTPProtectionProfiles = append(config.SRTPProtectionProfiles, p.id)
	}
	if *suites != "" {
		for _, name := range strings.Split(*suites, ",") {
			id, ok := cipherSuites[name]
			if !ok {
				fail("unknown cipher suite %q", name)
			}
			config.CipherSuites = append(config.CipherSuites, id)
		}
	}
	if *curveNames != "" {
		for _, name := range strings.Split(*curveNames, ",") {
			c, ok := curves[name]
			if !ok {
				fail("unknown curve %q", name)
			}
			config.EllipticCurves = append(config.EllipticCurves, c)
		}
	}

	fmt.Printf("fingerprint: %s\n", fingerprint(certificate.Certificate[0]))
	time.AfterFunc(*timeout, func() {
		fmt.Println("closed: timeout")
		os.Exit(2)
	})

	var conn *dtls.Conn
	switch *role {
	case "server":
		listener, err := dtls.Listen("udp4", udpAddr, config)
		if err != nil {
			fail("listen: %v", err)
		}
		fmt.Printf("listening: %s\n", listener.Addr())
		accepted, err := listener.Accept()
		if err != nil {
			fail("handshake: %v", err)
		}
		conn = accepted.(*dtls.Conn)
	case "client":
		conn, err = dtls.Dial("udp4", udpAddr, config)
		if err != nil {
			fail("handshake: %v", err)
		}
	default:
		fail("-role must be client or server")
	}

	state := conn.ConnectionState()
	suite, err := negotiatedSuite(state)
	if err != nil {
		fail("connection state: %v", err)
	}
	fmt.Printf("cipher: %s\n", dtls.CipherSuiteName(suite))
	profile, ok := conn.SelectedSRTPProtectionProfile()
	if !ok {
		fail("no SRTP profile negotiated")
	}
	profileName := ""
	for name, p := range srtpProfiles {
		if p.id == profile {
			profileName = name
		}
	}
	fmt.Printf("srtp-profile: %s\n", profileName)
	material, err := state.ExportKeyingMaterial("EXTRACTOR-dtls_srtp", nil, srtpProfiles[profileName].keyLen)
	if err != nil {
		fail("export keying material: %v", err)
	}
	fmt.Printf("keying-material: %s\n", hex.EncodeToString(material))
	fmt.Printf("peer-fingerprint: %s\n", fingerprint(state.PeerCertificates[0]))

	if *send != "" {
		if _, err := conn.Write([]byte(*send)); err != nil {
			fail("write: %v", err)
		}
	}
	buf := make([]byte, 1<<16)
	for {
		n, err := conn.Read(buf)
		if err != nil {
			fmt.Printf("closed: %v\n", err)
			return
		}
		text := string(buf[:n])
		fmt.Printf("received: %s\n", text)
		if !strings.HasPrefix(text, "echo: ") {
			if _, err := conn.Write([]byte("echo: " + text)); err != nil {
				fail("write: %v", err)
			}
		}
	}
}

//! Established DTLS 1.2 pairs, handshaken in memory: oxrtc-dtls and rtc-dtls 0.21
//! (webrtc-rs's sans-IO DTLS), with the same choices (ECDHE, ECDSA P-256 mutual
//! authentication, extended_master_secret, use_srtp) and certificates generated once.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;

use oxrtc_dtls::{Certificate, Config, Connection, Event, HashAlgorithm};

/// A client and a server configuration, each with its own fresh certificate and the
/// other's fingerprint, shared by every connection as a server would share them.
pub fn oxrtc_configs() -> (Arc<Config>, Arc<Config>) {
    let cc = Certificate::generate().unwrap();
    let sc = Certificate::generate().unwrap();
    let mut c = Config::new(cc.clone());
    c.expected_peer_fingerprints = vec![sc.fingerprint(HashAlgorithm::Sha256)];
    c.rng_seed = Some([1; 32]);
    let mut s = Config::new(sc);
    s.expected_peer_fingerprints = vec![cc.fingerprint(HashAlgorithm::Sha256)];
    s.rng_seed = Some([2; 32]);
    (Arc::new(c), Arc::new(s))
}

/// Runs a full handshake in memory; returns the connected pair (client, server) with
/// every event drained.
pub fn oxrtc_handshake(c: &Arc<Config>, s: &Arc<Config>) -> (Connection, Connection) {
    let now = Instant::now();
    let mut client = Connection::client(c.clone(), now);
    let mut server = Connection::server(s.clone());
    let (mut client_up, mut server_up) = (false, false);
    while !(client_up && server_up) {
        let mut moved = false;
        while let Some(d) = client.poll_transmit() {
            server.handle_receive(now, &d).unwrap();
            moved = true;
        }
        while let Some(d) = server.poll_transmit() {
            client.handle_receive(now, &d).unwrap();
            moved = true;
        }
        while let Some(e) = client.poll_event() {
            client_up |= matches!(e, Event::Connected { .. });
        }
        while let Some(e) = server.poll_event() {
            server_up |= matches!(e, Event::Connected { .. });
        }
        assert!(moved || (client_up && server_up), "handshake stalled");
    }
    (client, server)
}

/// rtc-dtls 0.21, set up like [`oxrtc_configs`] and [`oxrtc_handshake`].
pub mod rtc {
    use super::*;
    use rtc_dtls::config::{
        ClientAuthType, ConfigBuilder, ExtendedMasterSecretType, HandshakeConfig,
    };
    use rtc_dtls::crypto::Certificate;
    use rtc_dtls::endpoint::{Endpoint, EndpointEvent};
    use rtc_dtls::extension::extension_use_srtp::SrtpProtectionProfile;

    /// Client and server configurations, each with its own self-signed certificate.
    pub fn configs() -> (Arc<HandshakeConfig>, Arc<HandshakeConfig>) {
        let provider = rtc_dtls::crypto_provider::default_provider().unwrap();
        let cert = |p: &Arc<dyn rtc_dtls::crypto_provider::RTCCryptoProvider>| {
            Certificate::generate_self_signed(vec!["oxrtc".to_owned()], p.crypto()).unwrap()
        };
        let base = || {
            ConfigBuilder::default()
                .with_crypto_provider(provider.clone())
                .with_insecure_skip_verify(true)
                .with_extended_master_secret(ExtendedMasterSecretType::Require)
                .with_srtp_protection_profiles(vec![
                    SrtpProtectionProfile::Srtp_Aead_Aes_128_Gcm,
                    SrtpProtectionProfile::Srtp_Aes128_Cm_Hmac_Sha1_80,
                ])
        };
        let client = base()
            .with_certificates(vec![cert(&provider)])
            .build(true, None)
            .unwrap();
        let server = base()
            .with_certificates(vec![cert(&provider)])
            .with_client_auth(ClientAuthType::RequireAnyClientCert)
            .build(false, None)
            .unwrap();
        (Arc::new(client), Arc::new(server))
    }

    /// Runs a full handshake in memory; returns the two endpoints (client, server), each
    /// holding its one established connection.
    pub fn handshake(c: &Arc<HandshakeConfig>, s: &Arc<HandshakeConfig>) -> (Endpoint, Endpoint) {
        let now = Instant::now();
        let ca: SocketAddr = "127.0.0.1:5000".parse().unwrap();
        let sa: SocketAddr = "127.0.0.1:6000".parse().unwrap();
        let mut client = Endpoint::new(ca, rtc_shared::TransportProtocol::UDP, None);
        let mut server = Endpoint::new(sa, rtc_shared::TransportProtocol::UDP, Some(s.clone()));
        client.connect(now, sa, c.clone(), None).unwrap();
        let (mut client_up, mut server_up) = (false, false);
        while !(client_up && server_up) {
            let mut moved = false;
            while let Some(t) = client.poll_transmit() {
                for e in server.read(now, ca, None, t.message).unwrap() {
                    server_up |= matches!(e, EndpointEvent::HandshakeComplete);
                }
                moved = true;
            }
            while let Some(t) = server.poll_transmit() {
                for e in client.read(now, sa, None, t.message).unwrap() {
                    client_up |= matches!(e, EndpointEvent::HandshakeComplete);
                }
                moved = true;
            }
            assert!(
                moved || (client_up && server_up),
                "rtc-dtls handshake stalled"
            );
        }
        (client, server)
    }
}

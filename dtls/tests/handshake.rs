//! Client ↔ server handshakes under a virtual clock: every suite and group, certificates,
//! SRTP export, application data, close, and the failures WebRTC cares about.

mod common;

use common::*;
use oxrtc_dtls::{
    AlertDescription, Certificate, CipherSuite, CloseReason, Error, Event, HashAlgorithm,
    NamedGroup, SrtpProfile,
};

fn connected_info(events: &[Event]) -> (CipherSuite, NamedGroup, Option<SrtpProfile>, Vec<u8>) {
    for e in events {
        if let Event::Connected {
            cipher_suite,
            group,
            srtp_profile,
            srtp_keying_material,
            ..
        } = e
        {
            return (
                *cipher_suite,
                *group,
                *srtp_profile,
                srtp_keying_material
                    .as_ref()
                    .map(|k| k.as_bytes().to_vec())
                    .unwrap_or_default(),
            );
        }
    }
    panic!("not connected: {events:?}");
}

#[test]
fn every_ecdsa_suite_and_group() {
    let client_cert = Certificate::generate().unwrap();
    let server_cert = Certificate::generate().unwrap();
    for suite in [
        CipherSuite::EcdheEcdsaWithAes128GcmSha256,
        CipherSuite::EcdheEcdsaWithAes256GcmSha384,
        CipherSuite::EcdheEcdsaWithChacha20Poly1305Sha256,
    ] {
        for group in NamedGroup::ALL {
            let (mut c, mut s) = configs(client_cert.clone(), server_cert.clone());
            c.cipher_suites = vec![suite];
            c.groups = vec![group];
            s.groups = NamedGroup::ALL.to_vec();
            let mut pair = Pair::perfect(c, s);
            pair.handshake();
            let client = connected_info(&pair.client_events);
            let server = connected_info(&pair.server_events);
            assert_eq!(client.0, suite);
            assert_eq!(client.1, group);
            assert_eq!(client, server, "both sides agree, keying material included");
            assert_eq!(client.3.len(), client.2.unwrap().keying_material_len());
            // Application data both ways.
            pair.client.send_application_data(b"ping").unwrap();
            pair.server.send_application_data(b"pong").unwrap();
            pair.flush();
            pair.drive_until(std::time::Duration::from_secs(1), |p| {
                !app_data(&p.server_events).is_empty() && !app_data(&p.client_events).is_empty()
            });
            assert_eq!(app_data(&pair.server_events), vec![b"ping".to_vec()]);
            assert_eq!(app_data(&pair.client_events), vec![b"pong".to_vec()]);
        }
    }
}

#[test]
fn server_preference_wins_and_first_suite_is_aes128() {
    let (c, s) = default_configs();
    let mut pair = Pair::perfect(c, s);
    pair.handshake();
    let (suite, group, profile, _) = connected_info(&pair.client_events);
    assert_eq!(suite, CipherSuite::EcdheEcdsaWithAes128GcmSha256);
    assert_eq!(group, NamedGroup::X25519);
    assert_eq!(profile, Some(SrtpProfile::AeadAes128Gcm));
}

#[test]
fn rsa_server_certificate_with_ecdhe_rsa_suites() {
    let client_cert = Certificate::generate().unwrap();
    for suite in [
        CipherSuite::EcdheRsaWithAes128GcmSha256,
        CipherSuite::EcdheRsaWithAes256GcmSha384,
    ] {
        let (mut c, mut s) = configs(client_cert.clone(), rsa_certificate());
        c.cipher_suites = vec![suite];
        s.groups = vec![NamedGroup::Secp256r1];
        let mut pair = Pair::perfect(c, s);
        pair.handshake();
        assert_eq!(connected_info(&pair.client_events).0, suite);
    }
}

#[test]
fn rsa_and_p384_client_certificates_are_verified() {
    for client_cert in [rsa_certificate(), Certificate::generate_p384().unwrap()] {
        let (c, s) = configs(client_cert, Certificate::generate_p384().unwrap());
        let mut pair = Pair::perfect(c, s);
        pair.handshake();
    }
}

#[test]
fn every_srtp_profile_and_mki() {
    for profile in SrtpProfile::ALL {
        let (mut c, mut s) = default_configs();
        c.srtp_profiles = vec![profile];
        c.srtp_mki = vec![0xab, 0xcd];
        s.srtp_profiles = SrtpProfile::ALL.to_vec();
        let mut pair = Pair::perfect(c, s);
        pair.handshake();
        let client = connected_info(&pair.client_events);
        assert_eq!(client.2, Some(profile));
        assert_eq!(client, connected_info(&pair.server_events));
        let mki = pair.server_events.iter().find_map(|e| match e {
            Event::Connected { srtp_mki, .. } => Some(srtp_mki.clone()),
            _ => None,
        });
        assert_eq!(mki, Some(vec![0xab, 0xcd]));
        // The exporter gives the same bytes on demand.
        let again = pair
            .client
            .export_keying_material("EXTRACTOR-dtls_srtp", None, profile.keying_material_len())
            .unwrap();
        assert_eq!(again, client.3);
    }
}

#[test]
fn without_srtp_in_common_connects_without_profile() {
    let (mut c, mut s) = default_configs();
    c.srtp_profiles = vec![SrtpProfile::AeadAes256Gcm];
    s.srtp_profiles = vec![SrtpProfile::Aes128CmHmacSha1_80];
    let mut pair = Pair::perfect(c, s);
    pair.handshake();
    assert_eq!(connected_info(&pair.client_events).2, None);
}

#[test]
fn keying_material_layout_matches_roles() {
    let (c, s) = default_configs();
    let mut pair = Pair::perfect(c, s);
    pair.handshake();
    let km = |events: &[Event]| {
        events
            .iter()
            .find_map(|e| match e {
                Event::Connected {
                    srtp_keying_material: Some(k),
                    ..
                } => Some(k.clone()),
                _ => None,
            })
            .unwrap()
    };
    let (ck, sk) = (km(&pair.client_events), km(&pair.server_events));
    assert_eq!(ck.local(), sk.remote());
    assert_eq!(ck.remote(), sk.local());
    assert_ne!(ck.local(), ck.remote());
}

#[test]
fn server_fingerprint_mismatch_fails_client_with_clear_error() {
    let (mut c, s) = default_configs();
    c.expected_peer_fingerprints = vec![Certificate::generate()
        .unwrap()
        .fingerprint(HashAlgorithm::Sha256)];
    let mut pair = Pair::perfect(c, s);
    pair.drive_until(std::time::Duration::from_secs(5), |p| {
        closed_reason(&p.server_events).is_some()
    });
    let reason = closed_reason(&pair.client_events).expect("client closed");
    let CloseReason::Error(Error::FingerprintMismatch { actual }) = reason else {
        panic!("unexpected reason {reason:?}");
    };
    assert!(actual.starts_with("sha-256 "));
    assert!(reason_string(reason).contains("fingerprint"));
    // The server learns through a bad_certificate alert.
    assert_eq!(
        closed_reason(&pair.server_events),
        Some(&CloseReason::Error(Error::PeerAlert {
            description: AlertDescription::BadCertificate
        }))
    );
    assert!(!has_connected(&pair.client_events));
    assert!(!has_connected(&pair.server_events));
}

fn reason_string(reason: &CloseReason) -> String {
    match reason {
        CloseReason::Error(e) => e.to_string(),
        other => format!("{other:?}"),
    }
}

#[test]
fn client_fingerprint_mismatch_fails_server() {
    let (c, mut s) = default_configs();
    let other = Certificate::generate().unwrap();
    s.expected_peer_fingerprints = vec![
        other.fingerprint(HashAlgorithm::Sha1),
        other.fingerprint(HashAlgorithm::Sha512),
    ];
    let mut pair = Pair::perfect(c, s);
    pair.drive_until(std::time::Duration::from_secs(5), |p| {
        closed_reason(&p.client_events).is_some()
    });
    assert!(matches!(
        closed_reason(&pair.server_events),
        Some(CloseReason::Error(Error::FingerprintMismatch { .. }))
    ));
    assert!(matches!(
        closed_reason(&pair.client_events),
        Some(CloseReason::Error(Error::PeerAlert { .. }))
    ));
}

#[test]
fn other_fingerprint_hashes_accepted() {
    for alg in [
        HashAlgorithm::Sha1,
        HashAlgorithm::Sha384,
        HashAlgorithm::Sha512,
    ] {
        let cc = Certificate::generate().unwrap();
        let sc = Certificate::generate().unwrap();
        let (mut c, mut s) = configs(cc.clone(), sc.clone());
        c.expected_peer_fingerprints = vec![sc.fingerprint(alg)];
        s.expected_peer_fingerprints = vec![cc.fingerprint(alg)];
        Pair::perfect(c, s).handshake();
    }
}

#[test]
fn no_common_suite_alerts() {
    let (mut c, s) = default_configs();
    c.cipher_suites = vec![CipherSuite::EcdheRsaWithAes128GcmSha256];
    let mut pair = Pair::perfect(c, s);
    pair.drive_until(std::time::Duration::from_secs(5), |p| {
        closed_reason(&p.client_events).is_some()
    });
    assert_eq!(
        closed_reason(&pair.server_events),
        Some(&CloseReason::Error(Error::NoCommonCipherSuite))
    );
    assert_eq!(
        closed_reason(&pair.client_events),
        Some(&CloseReason::Error(Error::PeerAlert {
            description: AlertDescription::HandshakeFailure
        }))
    );
}

#[test]
fn close_notify_both_ways() {
    let (c, s) = default_configs();
    let mut pair = Pair::perfect(c, s);
    pair.handshake();
    pair.client.close();
    pair.flush();
    pair.drive_until(std::time::Duration::from_secs(1), |p| {
        closed_reason(&p.server_events).is_some()
    });
    assert_eq!(
        closed_reason(&pair.client_events),
        Some(&CloseReason::Local)
    );
    assert_eq!(
        closed_reason(&pair.server_events),
        Some(&CloseReason::PeerClosed)
    );
    assert_eq!(pair.client.send_application_data(b"x"), Err(Error::Closed));
    assert!(pair.server.is_closed());
}

#[test]
fn app_data_before_connect_is_refused() {
    let (c, s) = default_configs();
    let mut pair = Pair::perfect(c, s);
    assert_eq!(
        pair.client.send_application_data(b"x"),
        Err(Error::NotConnected)
    );
    assert_eq!(
        pair.server.send_application_data(b"x"),
        Err(Error::NotConnected)
    );
    pair.handshake();
    let too_big = vec![0u8; oxrtc_dtls::MAX_APPLICATION_DATA + 1];
    assert!(matches!(
        pair.client.send_application_data(&too_big),
        Err(Error::DataTooLarge { .. })
    ));
}

#[test]
fn ems_required_by_default() {
    // A client that does not offer extended_master_secret is refused.
    let (mut c, s) = default_configs();
    c.client_hello_encoder = Some(|hello, out| {
        let mut h = hello.clone();
        h.extensions.extended_master_secret = false;
        h.encode(out);
    });
    let mut pair = Pair::perfect(c, s);
    pair.drive_until(std::time::Duration::from_secs(5), |p| {
        closed_reason(&p.server_events).is_some()
    });
    assert_eq!(
        closed_reason(&pair.server_events),
        Some(&CloseReason::Error(Error::ExtendedMasterSecretRequired))
    );
}

#[test]
fn without_ems_when_allowed() {
    let (mut c, mut s) = default_configs();
    c.require_extended_master_secret = false;
    s.require_extended_master_secret = false;
    c.client_hello_encoder = Some(|hello, out| {
        let mut h = hello.clone();
        h.extensions.extended_master_secret = false;
        h.encode(out);
    });
    let mut pair = Pair::perfect(c, s);
    pair.handshake();
    assert_eq!(
        connected_info(&pair.client_events).3,
        connected_info(&pair.server_events).3
    );
}

#[test]
fn small_mtu_fragments_every_flight() {
    let (mut c, mut s) = default_configs();
    c.mtu = 200;
    s.mtu = 200;
    let mut pair = Pair::perfect(c, s);
    pair.handshake();
    assert!(pair.client_sent.iter().all(|(_, d)| d.len() <= 200));
    assert!(pair.server_sent.iter().all(|(_, d)| d.len() <= 200));
    assert!(
        pair.server_sent.len() > 3,
        "flight 4 needed several datagrams"
    );
}

#[test]
fn owned_buffer_receive_path_handshakes_and_delivers_zero_copy() {
    use bytes::BytesMut;
    use std::sync::Arc;
    use std::time::Instant;
    let (c, s) = default_configs();
    let now = Instant::now();
    let mut client = oxrtc_dtls::Connection::client(Arc::new(c), now);
    let mut server = oxrtc_dtls::Connection::server(Arc::new(s));
    for _ in 0..6 {
        while let Some(d) = client.poll_transmit() {
            server
                .handle_receive_buf(now, BytesMut::from(&d[..]))
                .unwrap();
        }
        while let Some(d) = server.poll_transmit() {
            client
                .handle_receive_buf(now, BytesMut::from(&d[..]))
                .unwrap();
        }
    }
    assert!(client.is_established() && server.is_established());
    while server.poll_event().is_some() {}
    // Two records in one datagram, then a replay of the whole datagram.
    client.send_application_data(b"first").unwrap();
    client.send_application_data(b"second").unwrap();
    let mut datagram = client.poll_transmit().unwrap();
    datagram.extend(client.poll_transmit().unwrap());
    for _ in 0..2 {
        server
            .handle_receive_buf(now, BytesMut::from(&datagram[..]))
            .unwrap();
    }
    let got: Vec<Event> = std::iter::from_fn(|| server.poll_event()).collect();
    assert_eq!(
        got,
        vec![
            Event::ApplicationData("first".into()),
            Event::ApplicationData("second".into())
        ]
    );
    // Tampered: dropped.
    let last = datagram.len() - 1;
    datagram[last] ^= 0x80;
    client.send_application_data(b"third").unwrap();
    let third = client.poll_transmit().unwrap();
    server
        .handle_receive_buf(now, BytesMut::from(&datagram[..]))
        .unwrap();
    server
        .handle_receive_buf(now, BytesMut::from(&third[..]))
        .unwrap();
    let got: Vec<Event> = std::iter::from_fn(|| server.poll_event()).collect();
    assert_eq!(got, vec![Event::ApplicationData("third".into())]);
}

#[test]
fn dtls10_only_client_gets_protocol_version_alert() {
    let (mut c, s) = default_configs();
    c.client_hello_encoder = Some(|hello, out| {
        let mut h = hello.clone();
        h.version = 0xfeff;
        h.encode(out);
    });
    let mut pair = Pair::perfect(c, s);
    pair.drive_until(std::time::Duration::from_secs(5), |p| {
        closed_reason(&p.client_events).is_some()
    });
    assert_eq!(
        closed_reason(&pair.server_events),
        Some(&CloseReason::Error(Error::ProtocolVersion {
            version: 0xfeff
        }))
    );
    assert_eq!(
        closed_reason(&pair.client_events),
        Some(&CloseReason::Error(Error::PeerAlert {
            description: AlertDescription::ProtocolVersion
        }))
    );
}

#[test]
fn without_cookie_exchange_the_handshake_is_one_round_trip_shorter() {
    let (c, mut s) = default_configs();
    s.hello_verify = false;
    let mut pair = Pair::perfect(c, s);
    pair.handshake();
    // ClientHello, flight 5 — no second ClientHello.
    assert_eq!(pair.client_sent.len(), 2);
}

//! The agent and the gathering helpers over real UDP sockets on 127.0.0.1: host
//! addresses from the interface list (loopback only because asked), sockets bound in a
//! port range, a server-reflexive query to a STUN binding server on loopback, then two
//! agents connect and exchange data.

use std::net::{SocketAddr, UdpSocket};
use std::time::{Duration, Instant};

use oxrtc_ice::gather::{
    bind_udp, host_candidates, local_addresses, GatherEvent, HostConfig, PortRange, SrflxConfig,
    SrflxGatherer,
};
use oxrtc_ice::stun::BindingServer;
use oxrtc_ice::{Agent, AgentConfig, Datagram, Received, Role};

fn loopback_socket() -> UdpSocket {
    let ips = local_addresses(&HostConfig {
        include_loopback: true,
        ipv6: false,
        ip_filter: Some(Box::new(|ip| ip.is_loopback())),
        ..HostConfig::default()
    })
    .unwrap();
    let ip = ips.first().expect("a loopback interface").1;
    let s = bind_udp(
        ip,
        Some(PortRange {
            min: 41000,
            max: 41999,
        }),
    )
    .unwrap();
    s.set_nonblocking(true).unwrap();
    s
}

fn pump(agent: &mut Agent, sock: &UdpSocket, now: Instant, data: &mut Vec<Vec<u8>>) {
    let local = sock.local_addr().unwrap();
    let mut buf = [0u8; 2048];
    while let Ok((n, from)) = sock.recv_from(&mut buf) {
        if let Ok(Received::Data { .. }) =
            agent.handle_receive(now, Datagram::udp(local, from, &buf[..n]))
        {
            data.push(buf[..n].to_vec());
        }
    }
    if agent.poll_timeout().is_some_and(|t| t <= now) {
        agent.handle_timeout(now);
    }
    while let Some(t) = agent.poll_transmit() {
        assert_eq!(t.local, local);
        sock.send_to(&t.data, t.remote).unwrap();
    }
}

#[test]
fn agents_connect_over_loopback_sockets() {
    // A STUN binding server on loopback; from loopback the mapped address is the base
    // itself, so the gatherer correctly yields no srflx candidate.
    let stun_sock = UdpSocket::bind("127.0.0.1:0").unwrap();
    stun_sock.set_nonblocking(true).unwrap();
    let stun_addr = stun_sock.local_addr().unwrap();
    let mut stun = BindingServer::new();

    let (sa, sb) = (loopback_socket(), loopback_socket());
    let (la, lb): (SocketAddr, SocketAddr) = (sa.local_addr().unwrap(), sb.local_addr().unwrap());
    let mut a = Agent::new(AgentConfig {
        rng_seed: Some([1; 32]),
        ..AgentConfig::default()
    });
    let mut b = Agent::new(AgentConfig {
        role: Role::Controlled,
        rng_seed: Some([2; 32]),
        ..AgentConfig::default()
    });

    let mut g = SrflxGatherer::new(SrflxConfig {
        rng_seed: Some([3; 32]),
        ..SrflxConfig::default()
    });
    g.add_query(la, stun_addr);
    let start = Instant::now();
    g.handle_timeout(start);
    let mut buf = [0u8; 2048];
    let mut done = false;
    while !done {
        assert!(start.elapsed() < Duration::from_secs(5));
        let now = Instant::now();
        while let Some(t) = g.poll_transmit() {
            sa.send_to(&t.data, t.remote).unwrap();
        }
        while let Ok((n, from)) = stun_sock.recv_from(&mut buf) {
            stun.handle_receive(from, &buf[..n]).unwrap();
        }
        while let Some(t) = stun.poll_transmit() {
            stun_sock.send_to(&t.contents, t.destination).unwrap();
        }
        while let Ok((n, from)) = sa.recv_from(&mut buf) {
            assert!(g.handle_receive(now, Datagram::udp(la, from, &buf[..n])));
        }
        if g.poll_timeout().is_some_and(|t| t <= now) {
            g.handle_timeout(now);
        }
        while let Some(e) = g.poll_event() {
            match e {
                GatherEvent::Done => done = true,
                GatherEvent::Candidate(c) => panic!("no NAT on loopback, got {c}"),
                GatherEvent::Timeout { .. } => panic!("the binding server did not answer"),
            }
        }
        std::thread::sleep(Duration::from_millis(1));
    }

    a.set_remote_credentials(b.local_credentials().clone())
        .unwrap();
    b.set_remote_credentials(a.local_credentials().clone())
        .unwrap();
    for (c, _) in host_candidates(&[la], None) {
        a.add_local_candidate(c.clone()).unwrap();
        b.add_remote_candidate(c).unwrap();
    }
    for (c, _) in host_candidates(&[lb], None) {
        b.add_local_candidate(c.clone()).unwrap();
        a.add_remote_candidate(c).unwrap();
    }
    let now = Instant::now();
    a.handle_timeout(now);
    b.handle_timeout(now);

    let (mut data_a, mut data_b) = (Vec::new(), Vec::new());
    let start = Instant::now();
    let mut sent = false;
    loop {
        assert!(start.elapsed() < Duration::from_secs(10), "no connection");
        let now = Instant::now();
        pump(&mut a, &sa, now, &mut data_a);
        pump(&mut b, &sb, now, &mut data_b);
        if !sent {
            if let (Some(pa), Some(pb)) = (a.send_path(now), b.send_path(now)) {
                assert_eq!((pa.local, pa.remote), (la, lb));
                sa.send_to(&[23, 1], pa.remote).unwrap();
                sb.send_to(&[23, 2], pb.remote).unwrap();
                sent = true;
            }
        }
        if data_a.contains(&vec![23, 2]) && data_b.contains(&vec![23, 1]) {
            break;
        }
        std::thread::sleep(Duration::from_millis(2));
    }
}

//! Many connections on one UDP port: a server's way to run thousands of PeerConnections
//! behind one firewall rule.
//!
//! A datagram from an address the mux knows goes to that address's connection. A
//! datagram from a new address is routed only if it is a STUN Binding request whose
//! USERNAME names a registered connection's ufrag (RFC 8445 §7.3: the first check
//! from a peer always carries it); the connection's ICE agent then authenticates it as
//! usual. Anything else is dropped.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, Weak};
use std::time::Instant;

use crate::callbacks::lock;
use crate::peer_connection::Shared;
use crate::socket::Socket;

/// Remote addresses kept per connection: a peer has a few candidates, an attacker
/// who learned a ufrag could otherwise grow the table without bound.
const MAX_ADDRESSES_PER_CONNECTION: usize = 32;

/// One UDP socket shared by many [`PeerConnection`](crate::PeerConnection)s
/// ([`RtcConfiguration::udp_mux`](crate::RtcConfiguration::udp_mux)). Cheap to clone.
///
/// ```
/// use oxrtc::{PeerConnection, RtcConfiguration, UdpMux};
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), oxrtc::Error> {
/// let mux = UdpMux::bind("127.0.0.1:0".parse().unwrap()).await?;
/// let config = RtcConfiguration { udp_mux: Some(mux.clone()), ..RtcConfiguration::default() };
/// let (first, second) = (PeerConnection::new(config.clone())?, PeerConnection::new(config)?);
/// // Both offer the mux's address as their one host candidate.
/// # Ok(())
/// # }
/// ```
#[derive(Clone)]
pub struct UdpMux {
    inner: Arc<MuxInner>,
}

impl std::fmt::Debug for UdpMux {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UdpMux")
            .field("local", &self.inner.local)
            .finish_non_exhaustive()
    }
}

pub(crate) struct MuxInner {
    pub(crate) socket: Socket,
    pub(crate) local: SocketAddr,
    routes: Mutex<Routes>,
}

#[derive(Default)]
struct Routes {
    by_ufrag: HashMap<String, Weak<Shared>>,
    by_addr: HashMap<SocketAddr, Route>,
}

struct Route {
    ufrag: String,
    connection: Weak<Shared>,
}

impl UdpMux {
    /// Binds the shared socket and starts its receive task (call within a tokio
    /// runtime). The address must be specific: it is every connection's host candidate.
    pub async fn bind(addr: SocketAddr) -> Result<Self, crate::Error> {
        if addr.ip().is_unspecified() {
            return Err(crate::Error::InvalidArgument(
                "a mux address must be specific: a wildcard is not a candidate",
            ));
        }
        let socket = Socket::bind(addr, crate::socket::SHARED_RECEIVE_BUFFER)?;
        let local = socket.addr;
        let inner = Arc::new(MuxInner {
            socket,
            local,
            routes: Mutex::default(),
        });
        tokio::spawn(receive(Arc::downgrade(&inner)));
        Ok(Self { inner })
    }

    /// The shared socket's address.
    pub fn local_addr(&self) -> SocketAddr {
        self.inner.local
    }

    /// Connections currently registered.
    pub fn connection_count(&self) -> usize {
        self.inner
            .routes()
            .by_ufrag
            .values()
            .filter(|c| c.strong_count() > 0)
            .count()
    }

    pub(crate) fn inner(&self) -> &Arc<MuxInner> {
        &self.inner
    }
}

impl MuxInner {
    fn routes(&self) -> std::sync::MutexGuard<'_, Routes> {
        lock(&self.routes)
    }

    pub(crate) fn register(&self, ufrag: &str, connection: &Arc<Shared>) {
        let mut routes = self.routes();
        routes.by_ufrag.retain(|_, c| c.strong_count() > 0);
        routes
            .by_ufrag
            .insert(ufrag.to_owned(), Arc::downgrade(connection));
    }

    pub(crate) fn unregister(&self, ufrag: &str) {
        let mut routes = self.routes();
        routes.by_ufrag.remove(ufrag);
        routes.by_addr.retain(|_, r| r.ufrag != ufrag);
    }

    /// The connection a datagram from `from` belongs to, learning the address from a
    /// Binding request that names a registered ufrag.
    fn route(&self, from: SocketAddr, data: &[u8]) -> Option<Arc<Shared>> {
        let mut routes = self.routes();
        if let Some(route) = routes.by_addr.get(&from) {
            if let Some(connection) = route.connection.upgrade() {
                return Some(connection);
            }
            routes.by_addr.remove(&from);
        }
        let ufrag = oxrtc_ice::binding_request_ufrag(data)?;
        let connection = routes.by_ufrag.get(ufrag)?.upgrade()?;
        let known = routes.by_addr.values().filter(|r| r.ufrag == ufrag).count();
        if known < MAX_ADDRESSES_PER_CONNECTION {
            let ufrag = ufrag.to_owned();
            routes.by_addr.insert(
                from,
                Route {
                    ufrag,
                    connection: Arc::downgrade(&connection),
                },
            );
        }
        Some(connection)
    }
}

/// Reads the shared socket in batches and hands each datagram to its connection's
/// session, then wakes each connection that got one to send what it produced. Ends
/// with the last [`UdpMux`] clone.
async fn receive(mux: Weak<MuxInner>) {
    let mut touched: Vec<Arc<Shared>> = Vec::new();
    loop {
        let Some(inner) = mux.upgrade() else {
            return;
        };
        // Hold the mux only while waiting, re-taken each second, so dropping every
        // UdpMux ends the task.
        let received = tokio::select! {
            r = std::future::poll_fn(|cx| {
                let now = Instant::now();
                inner.socket.poll_receive(cx, &mut |from, data| {
                    let Some(connection) = inner.route(from, data) else {
                        return;
                    };
                    connection.with_session(|s| s.handle_receive(now, inner.local, from, data));
                    if !touched.iter().any(|c| Arc::ptr_eq(c, &connection)) {
                        touched.push(connection);
                    }
                })
            }) => r,
            () = tokio::time::sleep(std::time::Duration::from_secs(1)) => continue,
        };
        if let Err(e) = received {
            log::debug!("mux receive error: {e}");
        }
        for connection in touched.drain(..) {
            connection.wake_driver();
        }
    }
}

/// A handle's view of the mux for the driver: where to send from, what to unregister.
pub(crate) struct MuxBinding {
    pub(crate) mux: Arc<MuxInner>,
    pub(crate) ufrag: String,
}

impl Drop for MuxBinding {
    fn drop(&mut self) {
        self.mux.unregister(&self.ufrag);
    }
}

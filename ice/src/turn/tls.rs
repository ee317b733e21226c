//! TURN over TLS (`turns:`, RFC 8656 §3.1): a [`Client`] whose byte stream runs through
//! a rustls [`ClientConnection`], still sans-IO.

use std::io::{Read, Write};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;

use rustls::pki_types::ServerName;
use rustls::ClientConnection;

use super::{Client, ClientConfig, ClientTransport, Event, TurnError};
use crate::stun::Transmit;

/// A TLS failure (certificate, handshake, record layer), comparable for tests.
#[derive(Debug, Clone, PartialEq)]
pub struct TlsError(pub rustls::Error);

impl Eq for TlsError {}

impl std::fmt::Display for TlsError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

/// A TURN client over TLS. The caller owns the TCP connection to the server: it writes
/// the bytes of [`poll_transmit`](Self::poll_transmit) to it and passes what it reads to
/// [`handle_receive`](Self::handle_receive). Everything else is [`Client`]'s API, through
/// [`client`](Self::client) / [`client_mut`](Self::client_mut).
///
/// ```
/// use std::sync::Arc;
/// use oxrtc_ice::turn::{ClientConfig, TlsClient};
///
/// let roots = rustls::RootCertStore::empty(); // add the server's CA here
/// let tls = rustls::ClientConfig::builder()
///     .with_root_certificates(roots)
///     .with_no_client_auth();
/// let server = "127.0.0.1:5349".parse().unwrap();
/// let name = "turn.example.org".try_into().unwrap();
/// let mut client = TlsClient::new(ClientConfig::new(server, "u", "p"), Arc::new(tls), name)?;
/// client.client_mut().allocate(std::time::Instant::now())?;
/// let hello = client.poll_transmit().unwrap(); // the TLS ClientHello
/// assert_eq!(hello.contents[0], 22); // handshake record
/// # Ok::<(), oxrtc_ice::turn::TurnError>(())
/// ```
#[derive(Debug)]
pub struct TlsClient {
    tls: ClientConnection,
    client: Client,
    server: SocketAddr,
}

impl TlsClient {
    /// A client of `config.server` (its transport is forced to
    /// [`ClientTransport::Stream`]), verifying the server as `server_name`.
    pub fn new(
        mut config: ClientConfig,
        tls: Arc<rustls::ClientConfig>,
        server_name: ServerName<'static>,
    ) -> Result<Self, TurnError> {
        config.transport = ClientTransport::Stream;
        let server = config.server;
        let tls =
            ClientConnection::new(tls, server_name).map_err(|e| TurnError::Tls(TlsError(e)))?;
        Ok(Self {
            tls,
            client: Client::new(config),
            server,
        })
    }

    /// The TURN client inside.
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// The TURN client inside, for `allocate`, `create_permission`, `send_to`, ...
    pub fn client_mut(&mut self) -> &mut Client {
        &mut self.client
    }

    /// Whether the TLS handshake is still going on.
    pub fn is_handshaking(&self) -> bool {
        self.tls.is_handshaking()
    }

    /// Handles bytes read from the TCP connection.
    pub fn handle_receive(
        &mut self,
        now: Instant,
        from: SocketAddr,
        mut data: &[u8],
    ) -> Result<(), TurnError> {
        if from != self.server {
            return Err(TurnError::UnexpectedSource(from));
        }
        let mut plain = [0u8; 16 * 1024];
        while !data.is_empty() {
            // `read_tls` from a slice only fails when rustls' buffer is full, which
            // `process_new_packets` below drains.
            let n = self
                .tls
                .read_tls(&mut data)
                .map_err(|_| TurnError::BufferOverflow)?;
            if n == 0 {
                break;
            }
            self.tls
                .process_new_packets()
                .map_err(|e| TurnError::Tls(TlsError(e)))?;
            loop {
                match self.tls.reader().read(&mut plain) {
                    Ok(0) => break,
                    Ok(n) => self.client.handle_receive(now, self.server, &plain[..n])?,
                    Err(_) => break, // WouldBlock: no plaintext right now
                }
            }
        }
        Ok(())
    }

    /// Runs the client's timers.
    pub fn handle_timeout(&mut self, now: Instant) {
        self.client.handle_timeout(now);
    }

    /// The next bytes to write to the TCP connection.
    pub fn poll_transmit(&mut self) -> Option<Transmit> {
        while let Some(t) = self.client.poll_transmit() {
            // Buffered by rustls until the handshake completes; writing to its
            // in-memory plaintext buffer does not fail.
            let _ = self.tls.writer().write_all(&t.contents);
        }
        if !self.tls.wants_write() {
            return None;
        }
        let mut contents = Vec::new();
        while self.tls.wants_write() {
            if self.tls.write_tls(&mut contents).is_err() {
                break;
            }
        }
        Some(Transmit {
            destination: self.server,
            contents,
        })
    }

    /// The client's next event.
    pub fn poll_event(&mut self) -> Option<Event> {
        self.client.poll_event()
    }

    /// When to call [`handle_timeout`](Self::handle_timeout).
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.client.poll_timeout()
    }

    /// Deallocates, then ends the TLS session (close_notify after the Refresh).
    pub fn close(&mut self, now: Instant) {
        self.client.close(now);
    }

    /// Sends TLS close_notify; call after [`Event::Closed`].
    pub fn send_close_notify(&mut self) {
        self.tls.send_close_notify();
    }
}

//! UDP with batching: `recvmmsg` with GRO to read many datagrams per system call, GSO
//! (`UDP_SEGMENT`) to send a run of equal-sized datagrams to one peer in one call,
//! through `quinn-udp`, the QUIC field's socket layer. Plain UDP system calls cap
//! loopback at about 220k datagrams per second on a small machine; a data channel at
//! full speed needs more.

use std::cell::RefCell;
use std::io::{self, IoSliceMut};
use std::net::SocketAddr;
use std::task::{Context, Poll};

use quinn_udp::{RecvMeta, UdpSocketState};
use tokio::io::Interest;
use tokio::net::UdpSocket;

/// Datagrams read per system call at most.
const RECEIVE_BATCH: usize = 8;
/// Room per received buffer: a GRO super-datagram holds up to 64 KiB.
const GRO_BUFFER: usize = 64 * 1024;
/// Room per received buffer without GRO: one datagram, above any MTU we use.
const PLAIN_BUFFER: usize = 2048;
/// Kernel receive buffer of a connection's own socket.
pub(crate) const CONNECTION_RECEIVE_BUFFER: usize = 2 * 1024 * 1024;
/// Kernel receive buffer of a socket many connections share.
pub(crate) const SHARED_RECEIVE_BUFFER: usize = 8 * 1024 * 1024;
/// Largest GSO batch in bytes (the UDP length field).
const MAX_GSO_BYTES: usize = 64_000;

thread_local! {
    /// Receive buffers are per worker thread, not per connection: they are only used
    /// between a read and the session handling it, with no await in between.
    static RECEIVE_BUFFERS: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
}

/// A bound UDP socket of one connection.
pub(crate) struct Socket {
    pub(crate) addr: SocketAddr,
    io: UdpSocket,
    state: UdpSocketState,
}

impl Socket {
    /// Binds `addr`, asking for `receive_buffer` bytes of kernel receive buffer (a
    /// limit, not an allocation; the kernel caps it at `net.core.rmem_max`).
    pub(crate) fn bind(addr: SocketAddr, receive_buffer: usize) -> io::Result<Self> {
        let std = std::net::UdpSocket::bind(addr)?;
        std.set_nonblocking(true)?;
        let io = UdpSocket::from_std(std)?;
        let state = UdpSocketState::new((&io).into())?;
        // The default (about 208 KiB on Linux) overflows when a burst arrives while the
        // task is busy; a lost datagram costs an SCTP retransmission timeout.
        if let Err(e) = state.set_recv_buffer_size((&io).into(), receive_buffer) {
            log::debug!("receive buffer of {receive_buffer} B refused: {e}");
        }
        Ok(Self {
            addr: io.local_addr()?,
            io,
            state,
        })
    }

    /// Reads what is waiting (up to one batch) and hands each datagram to `handle`;
    /// `Pending` once nothing is left (the waker is registered).
    pub(crate) fn poll_receive(
        &self,
        cx: &mut Context<'_>,
        handle: &mut dyn FnMut(SocketAddr, &[u8]),
    ) -> Poll<io::Result<usize>> {
        loop {
            if let Err(e) = std::task::ready!(self.io.poll_recv_ready(cx)) {
                return Poll::Ready(Err(e));
            }
            let read = self
                .io
                .try_io(Interest::READABLE, || self.receive_batch(handle));
            match read {
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => continue,
                other => return Poll::Ready(other),
            }
        }
    }

    fn receive_batch(&self, handle: &mut dyn FnMut(SocketAddr, &[u8])) -> io::Result<usize> {
        let chunk = if self.state.gro_segments() > 1 {
            GRO_BUFFER
        } else {
            PLAIN_BUFFER
        };
        RECEIVE_BUFFERS.with(|cell| {
            let mut buffers = cell.borrow_mut();
            if buffers.len() < chunk * RECEIVE_BATCH {
                buffers.resize(chunk * RECEIVE_BATCH, 0);
            }
            let mut metas = [RecvMeta::default(); RECEIVE_BATCH];
            let count = {
                let mut slices: Vec<IoSliceMut<'_>> = buffers
                    .chunks_mut(chunk)
                    .take(RECEIVE_BATCH)
                    .map(IoSliceMut::new)
                    .collect();
                self.state
                    .recv((&self.io).into(), &mut slices, &mut metas)?
            };
            let mut datagrams = 0;
            for (meta, buffer) in metas.iter().zip(buffers.chunks(chunk)).take(count) {
                let stride = meta.stride.max(1);
                for datagram in buffer[..meta.len].chunks(stride) {
                    datagrams += 1;
                    handle(meta.addr, datagram);
                }
            }
            Ok(datagrams)
        })
    }

    /// Sends `datagrams` (all to `to`): equal-sized runs as GSO batches.
    pub(crate) async fn send_run(
        &self,
        to: SocketAddr,
        datagrams: &[&[u8]],
        scratch: &mut Vec<u8>,
    ) {
        let max_segments = self.state.max_gso_segments().max(1);
        let mut rest = datagrams;
        while let Some(first) = rest.first() {
            let size = first.len();
            // A run: datagrams of the first one's size; the last may be shorter.
            let mut n = 1;
            let mut bytes = size;
            while n < rest.len() && n < max_segments && bytes + rest[n].len() <= MAX_GSO_BYTES {
                let len = rest[n].len();
                if len > size {
                    break;
                }
                n += 1;
                bytes += len;
                if len < size {
                    break;
                }
            }
            let (run, tail) = rest.split_at(n);
            rest = tail;
            let (contents, segment_size): (&[u8], Option<usize>) = if n == 1 {
                (first, None)
            } else {
                scratch.clear();
                for d in run {
                    scratch.extend_from_slice(d);
                }
                (scratch, Some(size))
            };
            let transmit = quinn_udp::Transmit {
                destination: to,
                ecn: None,
                contents,
                segment_size,
                src_ip: None,
            };
            loop {
                let sent = self.io.try_io(Interest::WRITABLE, || {
                    self.state.try_send((&self.io).into(), &transmit)
                });
                match sent {
                    Ok(()) => break,
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                        if self.io.writable().await.is_err() {
                            break;
                        }
                    }
                    Err(e) => {
                        log::debug!("send to {to} failed: {e}");
                        break;
                    }
                }
            }
        }
    }
}

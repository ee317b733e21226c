/*
 * A WebRTC data channel peer made of usrsctp (the SCTP stack inside Firefox), for
 * tests/interop/tests/sctp_usrsctp.rs.
 *
 * usrsctp runs in AF_CONN mode, configured the way Firefox's DataChannelConnection
 * configures it. Where Firefox hands SCTP packets to DTLS, this program sends them as
 * UDP datagrams to the Rust test on 127.0.0.1 (RFC 8261 without the DTLS layer), and
 * every datagram it receives goes to usrsctp_conninput. No raw socket, no UDP
 * encapsulation (usrsctp_init port 0).
 *
 * On top it speaks a minimal DCEP (RFC 8832): it answers DATA_CHANNEL_OPEN with
 * DATA_CHANNEL_ACK, echoes every user message on its stream with the same PPID and the
 * channel's ordering and reliability, opens channels of its own on command, and answers
 * a stream reset by resetting its side (RFC 8831 §6.7).
 *
 * usage: peer <rust-udp-port> <connect|listen> <idata 0|1> <dtls-client 0|1>
 *
 * stdin, one command a line:
 *   open <label> <ordered 0|1> <max-retransmits, -1 = reliable>
 *   close <stream>
 *   shutdown                              graceful end (SHUTDOWN, RFC 9260 §9.2)
 *   abort                                 usrsctp_close under SO_LINGER 0, as Firefox
 *                                         closes: ABORT
 * stdout, one event a line (flushed at once):
 *   port <udp-port>                       first line: where to send our packets
 *   connected idata=<0|1> pr=<0|1> reconfig=<0|1> in=<n> out=<n>
 *   opened <stream> <channel-type> <param> <label>   the peer opened a channel
 *   opening <stream>                      our open sent (with a greeting after it)
 *   acked <stream>                        the peer acked our open
 *   msg <stream> <ppid> <len> <unordered 0|1>
 *   reset-in <stream> / reset-out <stream> / closed <stream>
 *   lost <why>                            the association ended
 *   error <what>
 */

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <usrsctp.h>

/* usrsctp.h of 0.9.5 does not export these; the values are usrsctp's netinet/sctp.h. */
#ifndef SCTP_INTERLEAVING_SUPPORTED
#define SCTP_INTERLEAVING_SUPPORTED 0x00001206
#endif
#ifndef SCTP_ENABLE_CHANGE_ASSOC_REQ
#define SCTP_ENABLE_CHANGE_ASSOC_REQ 0x00000004
#endif

#define PPID_DCEP 50
#define DCEP_ACK 0x02
#define DCEP_OPEN 0x03
#define STREAMS 2048
#define LOCAL_PORT 5000
#define REMOTE_PORT 5000
/* Firefox cuts outgoing messages into 16 KiB pieces under SCTP_EXPLICIT_EOR. */
#define PIECE 16384

/* One channel, by stream id. */
struct channel {
    int open;
    int unordered;
    uint16_t pr_policy;
    uint32_t pr_value;
    int reset_in;
    int reset_out;
    int reset_requested;
    /* A reset waiting for our queued messages on this stream to go out first. */
    int reset_wanted;
    /* A message arriving in pieces (partial delivery), joined here. */
    uint8_t *partial;
    size_t partial_len;
};

/* Something the receive callback saw, handed to the main loop. */
struct inbound {
    struct inbound *next;
    int notification;
    uint16_t sid;
    uint32_t ppid;
    int unordered;
    int eor;
    uint8_t *data;
    size_t len;
};

/* A message to send, sent piece by piece as the send buffer allows. */
struct outbound {
    struct outbound *next;
    uint16_t sid;
    uint32_t ppid;
    int unordered;
    uint16_t pr_policy;
    uint32_t pr_value;
    uint8_t *data;
    size_t len;
    size_t off;
};

static int udp_fd = -1;
static int conn_handle; /* its address is our AF_CONN address */
static struct socket *master;
static struct socket *sock; /* the association's socket (master, or the accepted one) */
static int dtls_client;
static struct channel channels[STREAMS];

static pthread_mutex_t in_lock = PTHREAD_MUTEX_INITIALIZER;
static struct inbound *in_head, *in_tail;
static struct outbound *out_head, *out_tail;

static void say(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    putchar('\n');
    fflush(stdout);
}

static void die(const char *what) {
    say("error %s: %s", what, strerror(errno));
    exit(1);
}

/* usrsctp's output: one SCTP packet becomes one UDP datagram to the test. */
static int conn_output(void *addr, void *buf, size_t len, uint8_t tos, uint8_t set_df) {
    (void)addr;
    (void)tos;
    (void)set_df;
    if (send(udp_fd, buf, len, 0) < 0) {
        /* Like a lossy link: SCTP retransmits. */
        return 0;
    }
    return 0;
}

/* Runs inside usrsctp (in conninput or its timer thread): only queue, never send. */
static int receive_cb(struct socket *s, union sctp_sockstore addr, void *data, size_t len,
                      struct sctp_rcvinfo rcv, int flags, void *ulp_info) {
    (void)s;
    (void)addr;
    (void)ulp_info;
    struct inbound *in = calloc(1, sizeof(*in));
    if (in == NULL) {
        abort();
    }
    if (data == NULL) {
        /* The association is gone. */
        in->notification = 1;
        in->data = NULL;
    } else {
        in->notification = (flags & MSG_NOTIFICATION) != 0;
        in->sid = rcv.rcv_sid;
        in->ppid = ntohl(rcv.rcv_ppid);
        in->unordered = (rcv.rcv_flags & SCTP_UNORDERED) != 0;
        in->eor = (flags & MSG_EOR) != 0;
        /* usrsctp allocated data with malloc; it is ours now. */
        in->data = data;
        in->len = len;
    }
    pthread_mutex_lock(&in_lock);
    if (in_tail != NULL) {
        in_tail->next = in;
    } else {
        in_head = in;
    }
    in_tail = in;
    pthread_mutex_unlock(&in_lock);
    return 1;
}

static void queue_send(uint16_t sid, uint32_t ppid, const uint8_t *data, size_t len,
                       int unordered, uint16_t pr_policy, uint32_t pr_value) {
    struct outbound *out = calloc(1, sizeof(*out));
    if (out == NULL || (out->data = malloc(len ? len : 1)) == NULL) {
        abort();
    }
    memcpy(out->data, data, len);
    out->sid = sid;
    out->ppid = ppid;
    out->len = len;
    out->unordered = unordered;
    out->pr_policy = pr_policy;
    out->pr_value = pr_value;
    if (out_tail != NULL) {
        out_tail->next = out;
    } else {
        out_head = out;
    }
    out_tail = out;
}

static int queued_for(uint16_t sid);
static void reset_outgoing(uint16_t sid);

/* Hands queued messages to usrsctp until its send buffer is full. Messages go whole and
 * in order: under explicit EOR a message must end before the next one starts. */
static void flush_sends(void) {
    while (sock != NULL && out_head != NULL) {
        struct outbound *out = out_head;
        size_t piece = out->len - out->off;
        if (piece > PIECE) {
            piece = PIECE;
        }
        int last = out->off + piece == out->len;
        struct sctp_sendv_spa spa;
        memset(&spa, 0, sizeof(spa));
        spa.sendv_flags = SCTP_SEND_SNDINFO_VALID;
        spa.sendv_sndinfo.snd_sid = out->sid;
        spa.sendv_sndinfo.snd_ppid = htonl(out->ppid);
        spa.sendv_sndinfo.snd_flags = (out->unordered ? SCTP_UNORDERED : 0) | (last ? SCTP_EOR : 0);
        if (out->pr_policy != SCTP_PR_SCTP_NONE) {
            spa.sendv_flags |= SCTP_SEND_PRINFO_VALID;
            spa.sendv_prinfo.pr_policy = out->pr_policy;
            spa.sendv_prinfo.pr_value = out->pr_value;
        }
        ssize_t n = usrsctp_sendv(sock, out->data + out->off, piece, NULL, 0, &spa,
                                  (socklen_t)sizeof(spa), SCTP_SENDV_SPA, 0);
        if (n < 0) {
            if (errno == EWOULDBLOCK || errno == EAGAIN) {
                return;
            }
            die("usrsctp_sendv");
        }
        out->off += (size_t)n;
        if (out->off == out->len) {
            out_head = out->next;
            if (out_head == NULL) {
                out_tail = NULL;
            }
            if (channels[out->sid].reset_wanted && !queued_for(out->sid)) {
                reset_outgoing(out->sid);
            }
            free(out->data);
            free(out);
        }
    }
}

static int queued_for(uint16_t sid) {
    for (struct outbound *out = out_head; out != NULL; out = out->next) {
        if (out->sid == sid) {
            return 1;
        }
    }
    return 0;
}

/* RFC 8831 §6.7: the reset follows the data already queued on the stream, so that data
 * still belongs to the closing channel. */
static void reset_outgoing(uint16_t sid) {
    struct channel *ch = &channels[sid];
    if (ch->reset_requested) {
        return;
    }
    if (queued_for(sid)) {
        ch->reset_wanted = 1;
        return;
    }
    ch->reset_wanted = 0;
    ch->reset_requested = 1;
    size_t size = sizeof(struct sctp_reset_streams) + sizeof(uint16_t);
    struct sctp_reset_streams *srs = calloc(1, size);
    if (srs == NULL) {
        abort();
    }
    srs->srs_assoc_id = SCTP_ALL_ASSOC;
    srs->srs_flags = SCTP_STREAM_RESET_OUTGOING;
    srs->srs_number_streams = 1;
    srs->srs_stream_list[0] = sid;
    if (usrsctp_setsockopt(sock, IPPROTO_SCTP, SCTP_RESET_STREAMS, srs, (socklen_t)size) < 0) {
        die("SCTP_RESET_STREAMS");
    }
    free(srs);
}

static void channel_closed_check(uint16_t sid) {
    struct channel *ch = &channels[sid];
    if (ch->reset_in && ch->reset_out) {
        say("closed %u", sid);
        free(ch->partial);
        memset(ch, 0, sizeof(*ch));
    }
}

static void handle_notification(const union sctp_notification *n, size_t len) {
    if (len < sizeof(n->sn_header)) {
        return;
    }
    switch (n->sn_header.sn_type) {
    case SCTP_ASSOC_CHANGE: {
        const struct sctp_assoc_change *sac = &n->sn_assoc_change;
        if (sac->sac_state == SCTP_COMM_UP || sac->sac_state == SCTP_RESTART) {
            int idata = 0, pr = 0, reconfig = 0;
            for (size_t i = 0; i + sizeof(*sac) < sac->sac_length; i++) {
                switch (sac->sac_info[i]) {
                case SCTP_ASSOC_SUPPORTS_INTERLEAVING:
                    idata = 1;
                    break;
                case SCTP_ASSOC_SUPPORTS_PR:
                    pr = 1;
                    break;
                case SCTP_ASSOC_SUPPORTS_RE_CONFIG:
                    reconfig = 1;
                    break;
                }
            }
            say("connected idata=%d pr=%d reconfig=%d in=%u out=%u", idata, pr, reconfig,
                sac->sac_inbound_streams, sac->sac_outbound_streams);
        } else if (sac->sac_state == SCTP_COMM_LOST || sac->sac_state == SCTP_CANT_STR_ASSOC) {
            say("lost state=%u error=%u", sac->sac_state, sac->sac_error);
        } else if (sac->sac_state == SCTP_SHUTDOWN_COMP) {
            say("lost shutdown");
        }
        break;
    }
    case SCTP_STREAM_RESET_EVENT: {
        const struct sctp_stream_reset_event *ev = &n->sn_strreset_event;
        size_t count = (ev->strreset_length - sizeof(*ev)) / sizeof(uint16_t);
        for (size_t i = 0; i < count; i++) {
            uint16_t sid = ev->strreset_stream_list[i];
            if (sid >= STREAMS) {
                continue;
            }
            if (ev->strreset_flags & (SCTP_STREAM_RESET_DENIED | SCTP_STREAM_RESET_FAILED)) {
                say("error stream reset of %u failed (flags %#x)", sid, ev->strreset_flags);
                continue;
            }
            if (ev->strreset_flags & SCTP_STREAM_RESET_INCOMING_SSN) {
                say("reset-in %u", sid);
                channels[sid].reset_in = 1;
                /* RFC 8831 §6.7: the peer closed; reset our side too. */
                reset_outgoing(sid);
            }
            if (ev->strreset_flags & SCTP_STREAM_RESET_OUTGOING_SSN) {
                say("reset-out %u", sid);
                channels[sid].reset_out = 1;
            }
            channel_closed_check(sid);
        }
        break;
    }
    case SCTP_SEND_FAILED_EVENT:
        /* Expected on partially reliable channels: a message was abandoned. */
        break;
    case SCTP_REMOTE_ERROR:
        say("error remote error %u", n->sn_remote_error.sre_error);
        break;
    case SCTP_SHUTDOWN_EVENT:
        say("lost peer shutdown");
        break;
    default:
        break;
    }
}

static void handle_dcep(uint16_t sid, const uint8_t *m, size_t len) {
    struct channel *ch = &channels[sid];
    if (len >= 1 && m[0] == DCEP_ACK) {
        say("acked %u", sid);
        return;
    }
    if (len < 12 || m[0] != DCEP_OPEN) {
        say("error bad DCEP message on %u (%zu bytes)", sid, len);
        return;
    }
    uint8_t type = m[1];
    uint32_t param = ((uint32_t)m[4] << 24) | ((uint32_t)m[5] << 16) | ((uint32_t)m[6] << 8) | m[7];
    size_t label_len = ((size_t)m[8] << 8) | m[9];
    size_t proto_len = ((size_t)m[10] << 8) | m[11];
    if (12 + label_len + proto_len > len) {
        say("error truncated DATA_CHANNEL_OPEN on %u", sid);
        return;
    }
    ch->open = 1;
    ch->unordered = (type & 0x80) != 0;
    switch (type & 0x7f) {
    case 0x00:
        ch->pr_policy = SCTP_PR_SCTP_NONE;
        break;
    case 0x01:
        ch->pr_policy = SCTP_PR_SCTP_RTX;
        break;
    case 0x02:
        ch->pr_policy = SCTP_PR_SCTP_TTL;
        break;
    default:
        say("error unknown channel type %#x on %u", type, sid);
        return;
    }
    ch->pr_value = param;
    const uint8_t ack = DCEP_ACK;
    queue_send(sid, PPID_DCEP, &ack, 1, 0, SCTP_PR_SCTP_NONE, 0);
    say("opened %u %#x %u %.*s", sid, type, param, (int)label_len, (const char *)m + 12);
}

static void handle_message(uint16_t sid, uint32_t ppid, const uint8_t *data, size_t len,
                           int unordered) {
    if (ppid == PPID_DCEP) {
        handle_dcep(sid, data, len);
        return;
    }
    say("msg %u %u %zu %d", sid, ppid, len, unordered);
    struct channel *ch = &channels[sid];
    queue_send(sid, ppid, data, len, ch->unordered, ch->pr_policy, ch->pr_value);
}

static void drain_inbound(void) {
    for (;;) {
        pthread_mutex_lock(&in_lock);
        struct inbound *in = in_head;
        if (in != NULL) {
            in_head = in->next;
            if (in_head == NULL) {
                in_tail = NULL;
            }
        }
        pthread_mutex_unlock(&in_lock);
        if (in == NULL) {
            return;
        }
        if (in->notification) {
            if (in->data == NULL) {
                say("lost socket closed");
            } else {
                handle_notification((const union sctp_notification *)in->data, in->len);
            }
        } else if (in->sid < STREAMS) {
            struct channel *ch = &channels[in->sid];
            if (!in->eor || ch->partial != NULL) {
                /* Partial delivery: join the pieces of this stream's message. */
                uint8_t *joined = realloc(ch->partial, ch->partial_len + in->len);
                if (joined == NULL) {
                    abort();
                }
                memcpy(joined + ch->partial_len, in->data, in->len);
                ch->partial = joined;
                ch->partial_len += in->len;
                if (in->eor) {
                    handle_message(in->sid, in->ppid, ch->partial, ch->partial_len, in->unordered);
                    free(ch->partial);
                    ch->partial = NULL;
                    ch->partial_len = 0;
                }
            } else {
                handle_message(in->sid, in->ppid, in->data, in->len, in->unordered);
            }
        } else {
            say("error message on stream %u beyond %u", in->sid, STREAMS);
        }
        free(in->data);
        free(in);
    }
}

static void open_channel(const char *label, int ordered, long max_rtx) {
    uint16_t sid = dtls_client ? 0 : 1;
    while (sid < STREAMS && (channels[sid].open || channels[sid].reset_requested)) {
        sid += 2;
    }
    if (sid >= STREAMS) {
        say("error no free stream");
        return;
    }
    struct channel *ch = &channels[sid];
    ch->open = 1;
    ch->unordered = !ordered;
    ch->pr_policy = max_rtx < 0 ? SCTP_PR_SCTP_NONE : SCTP_PR_SCTP_RTX;
    ch->pr_value = max_rtx < 0 ? 0 : (uint32_t)max_rtx;
    size_t label_len = strlen(label);
    uint8_t *m = calloc(1, 12 + label_len);
    if (m == NULL) {
        abort();
    }
    m[0] = DCEP_OPEN;
    m[1] = (uint8_t)((max_rtx < 0 ? 0x00 : 0x01) | (ordered ? 0 : 0x80));
    /* priority 0, as Firefox sends it */
    m[4] = (uint8_t)(ch->pr_value >> 24);
    m[5] = (uint8_t)(ch->pr_value >> 16);
    m[6] = (uint8_t)(ch->pr_value >> 8);
    m[7] = (uint8_t)ch->pr_value;
    m[8] = (uint8_t)(label_len >> 8);
    m[9] = (uint8_t)label_len;
    memcpy(m + 12, label, label_len);
    queue_send(sid, PPID_DCEP, m, 12 + label_len, 0, SCTP_PR_SCTP_NONE, 0);
    free(m);
    /* RFC 8832 §6: before the ACK, messages go ordered. */
    static const char greeting[] = "hello from usrsctp";
    queue_send(sid, 51, (const uint8_t *)greeting, sizeof(greeting) - 1, 0, ch->pr_policy,
               ch->pr_value);
    say("opening %u", sid);
}

static void handle_command(char *line) {
    char label[256];
    int ordered;
    long max_rtx;
    unsigned sid;
    if (sscanf(line, "open %255s %d %ld", label, &ordered, &max_rtx) == 3) {
        open_channel(label, ordered, max_rtx);
    } else if (sock == NULL) {
        say("error no association for: %s", line);
    } else if (sscanf(line, "close %u", &sid) == 1 && sid < STREAMS) {
        reset_outgoing((uint16_t)sid);
    } else if (strcmp(line, "shutdown") == 0) {
        if (usrsctp_shutdown(sock, SHUT_WR) < 0) {
            die("usrsctp_shutdown");
        }
    } else if (strcmp(line, "abort") == 0) {
        usrsctp_close(sock);
        if (sock == master) {
            master = NULL;
        }
        sock = NULL;
        say("aborted");
    } else {
        say("error unknown command: %s", line);
    }
}

static void set_int(struct socket *s, int level, int name, int value, const char *what) {
    if (usrsctp_setsockopt(s, level, name, &value, (socklen_t)sizeof(value)) < 0) {
        die(what);
    }
}

/* The socket options of Firefox's DataChannelConnection::Init. */
static struct socket *make_socket(int idata) {
    struct socket *s = usrsctp_socket(AF_CONN, SOCK_STREAM, IPPROTO_SCTP, receive_cb, NULL, 0,
                                      &conn_handle);
    if (s == NULL) {
        die("usrsctp_socket");
    }
    set_int(s, SOL_SOCKET, SO_RCVBUF, 1024 * 1024, "SO_RCVBUF");
    set_int(s, SOL_SOCKET, SO_SNDBUF, 1024 * 1024, "SO_SNDBUF");
    if (usrsctp_set_non_blocking(s, 1) < 0) {
        die("usrsctp_set_non_blocking");
    }
    struct linger l = {.l_onoff = 1, .l_linger = 0};
    if (usrsctp_setsockopt(s, SOL_SOCKET, SO_LINGER, &l, (socklen_t)sizeof(l)) < 0) {
        die("SO_LINGER");
    }
    set_int(s, IPPROTO_SCTP, SCTP_REUSE_PORT, 1, "SCTP_REUSE_PORT");
    set_int(s, IPPROTO_SCTP, SCTP_NODELAY, 1, "SCTP_NODELAY");
    set_int(s, IPPROTO_SCTP, SCTP_EXPLICIT_EOR, 1, "SCTP_EXPLICIT_EOR");
    set_int(s, IPPROTO_SCTP, SCTP_RECVRCVINFO, 1, "SCTP_RECVRCVINFO");

    struct sctp_assoc_value av;
    memset(&av, 0, sizeof(av));
    av.assoc_id = SCTP_FUTURE_ASSOC;
    av.assoc_value = idata ? 1 : 0;
    /* I-DATA needs fragment interleave level 2 (the sysctl set in main). */
    if (usrsctp_setsockopt(s, IPPROTO_SCTP, SCTP_INTERLEAVING_SUPPORTED, &av,
                           (socklen_t)sizeof(av)) < 0) {
        die("SCTP_INTERLEAVING_SUPPORTED");
    }
    av.assoc_id = SCTP_ALL_ASSOC;
    av.assoc_value = SCTP_ENABLE_RESET_STREAM_REQ | SCTP_ENABLE_CHANGE_ASSOC_REQ;
    if (usrsctp_setsockopt(s, IPPROTO_SCTP, SCTP_ENABLE_STREAM_RESET, &av,
                           (socklen_t)sizeof(av)) < 0) {
        die("SCTP_ENABLE_STREAM_RESET");
    }
    static const uint16_t events[] = {
        SCTP_ASSOC_CHANGE,          SCTP_PEER_ADDR_CHANGE,       SCTP_REMOTE_ERROR,
        SCTP_SHUTDOWN_EVENT,        SCTP_ADAPTATION_INDICATION, SCTP_PARTIAL_DELIVERY_EVENT,
        SCTP_SEND_FAILED_EVENT,     SCTP_STREAM_RESET_EVENT,     SCTP_STREAM_CHANGE_EVENT,
    };
    for (size_t i = 0; i < sizeof(events) / sizeof(events[0]); i++) {
        struct sctp_event ev;
        memset(&ev, 0, sizeof(ev));
        ev.se_assoc_id = SCTP_ALL_ASSOC;
        ev.se_type = events[i];
        ev.se_on = 1;
        if (usrsctp_setsockopt(s, IPPROTO_SCTP, SCTP_EVENT, &ev, (socklen_t)sizeof(ev)) < 0) {
            die("SCTP_EVENT");
        }
    }
    struct sctp_initmsg init;
    memset(&init, 0, sizeof(init));
    socklen_t len = (socklen_t)sizeof(init);
    if (usrsctp_getsockopt(s, IPPROTO_SCTP, SCTP_INITMSG, &init, &len) < 0) {
        die("get SCTP_INITMSG");
    }
    init.sinit_num_ostreams = STREAMS;
    init.sinit_max_instreams = STREAMS;
    if (usrsctp_setsockopt(s, IPPROTO_SCTP, SCTP_INITMSG, &init, (socklen_t)sizeof(init)) < 0) {
        die("SCTP_INITMSG");
    }
    return s;
}

static struct sockaddr_conn conn_addr(uint16_t port) {
    struct sockaddr_conn a;
    memset(&a, 0, sizeof(a));
    a.sconn_family = AF_CONN;
    a.sconn_port = htons(port);
    a.sconn_addr = &conn_handle;
    return a;
}

/* Firefox: path MTU 1200 and no PMTU discovery, once connect has started. */
static void fix_mtu(struct socket *s) {
    struct sctp_paddrparams pp;
    memset(&pp, 0, sizeof(pp));
    struct sockaddr_conn remote = conn_addr(REMOTE_PORT);
    memcpy(&pp.spp_address, &remote, sizeof(remote));
    socklen_t len = (socklen_t)sizeof(pp);
    if (usrsctp_getsockopt(s, IPPROTO_SCTP, SCTP_PEER_ADDR_PARAMS, &pp, &len) < 0) {
        die("get SCTP_PEER_ADDR_PARAMS");
    }
    pp.spp_pathmtu = 1200;
    pp.spp_flags &= ~SPP_PMTUD_ENABLE;
    pp.spp_flags |= SPP_PMTUD_DISABLE;
    if (usrsctp_setsockopt(s, IPPROTO_SCTP, SCTP_PEER_ADDR_PARAMS, &pp, (socklen_t)sizeof(pp)) < 0) {
        die("SCTP_PEER_ADDR_PARAMS");
    }
}

int main(int argc, char **argv) {
    if (argc != 5) {
        fprintf(stderr, "usage: %s <rust-udp-port> <connect|listen> <idata 0|1> <dtls-client 0|1>\n",
                argv[0]);
        return 2;
    }
    int rust_port = atoi(argv[1]);
    int listening = strcmp(argv[2], "listen") == 0;
    int idata = atoi(argv[3]);
    dtls_client = atoi(argv[4]);

    udp_fd = socket(AF_INET, SOCK_DGRAM, 0);
    if (udp_fd < 0) {
        die("socket");
    }
    struct sockaddr_in local = {.sin_family = AF_INET, .sin_port = 0};
    local.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(udp_fd, (struct sockaddr *)&local, sizeof(local)) < 0) {
        die("bind");
    }
    struct sockaddr_in rust = {.sin_family = AF_INET, .sin_port = htons((uint16_t)rust_port)};
    rust.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(udp_fd, (struct sockaddr *)&rust, sizeof(rust)) < 0) {
        die("connect");
    }
    int big = 4 * 1024 * 1024;
    setsockopt(udp_fd, SOL_SOCKET, SO_RCVBUF, &big, sizeof(big));
    setsockopt(udp_fd, SOL_SOCKET, SO_SNDBUF, &big, sizeof(big));
    fcntl(udp_fd, F_SETFL, fcntl(udp_fd, F_GETFL) | O_NONBLOCK);
    socklen_t local_len = sizeof(local);
    if (getsockname(udp_fd, (struct sockaddr *)&local, &local_len) < 0) {
        die("getsockname");
    }

    /* Firefox's global setup. Port 0: no UDP encapsulation socket. */
    usrsctp_init(0, conn_output, NULL);
    usrsctp_sysctl_set_sctp_blackhole(2);
    usrsctp_sysctl_set_sctp_ecn_enable(0);
    usrsctp_sysctl_set_sctp_default_frag_interleave(2);
    usrsctp_register_address(&conn_handle);

    master = make_socket(idata);
    struct sockaddr_conn addr = conn_addr(LOCAL_PORT);
    if (usrsctp_bind(master, (struct sockaddr *)&addr, (socklen_t)sizeof(addr)) < 0) {
        die("usrsctp_bind");
    }
    say("port %u", ntohs(local.sin_port));
    if (listening) {
        if (usrsctp_listen(master, 1) < 0) {
            die("usrsctp_listen");
        }
    } else {
        struct sockaddr_conn remote = conn_addr(REMOTE_PORT);
        if (usrsctp_connect(master, (struct sockaddr *)&remote, (socklen_t)sizeof(remote)) < 0 &&
            errno != EINPROGRESS) {
            die("usrsctp_connect");
        }
        fix_mtu(master);
        sock = master;
    }

    char line[512];
    size_t line_len = 0;
    uint8_t packet[65536];
    for (;;) {
        struct pollfd fds[2] = {{.fd = udp_fd, .events = POLLIN}, {.fd = 0, .events = POLLIN}};
        /* Short timeout: the accept poll and the send buffer draining need a tick. */
        poll(fds, 2, 5);
        for (;;) {
            ssize_t n = recv(udp_fd, packet, sizeof(packet), 0);
            if (n < 0) {
                break;
            }
            usrsctp_conninput(&conn_handle, packet, (size_t)n, 0);
        }
        if (fds[1].revents & (POLLIN | POLLHUP)) {
            ssize_t n = read(0, line + line_len, sizeof(line) - 1 - line_len);
            if (n <= 0) {
                /* The test is done with us. */
                break;
            }
            line_len += (size_t)n;
            char *nl;
            while ((nl = memchr(line, '\n', line_len)) != NULL) {
                *nl = 0;
                handle_command(line);
                line_len -= (size_t)(nl + 1 - line);
                memmove(line, nl + 1, line_len);
            }
            if (line_len == sizeof(line) - 1) {
                line_len = 0;
            }
        }
        if (listening && sock == NULL && master != NULL) {
            struct socket *s = usrsctp_accept(master, NULL, NULL);
            if (s != NULL) {
                usrsctp_set_non_blocking(s, 1);
                fix_mtu(s);
                sock = s;
            }
        }
        drain_inbound();
        flush_sends();
    }
    if (sock != NULL && sock != master) {
        usrsctp_close(sock);
    }
    if (master != NULL) {
        usrsctp_close(master);
    }
    usrsctp_deregister_address(&conn_handle);
    return 0;
}

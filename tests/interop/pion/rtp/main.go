// Command pion-rtp is the Pion side of tests/interop/tests/rtp_pion.rs (pion/rtp 1.7 and
// pion/rtcp 1.2 from Debian).
//
//	pion-rtp marshal   prints, for every test packet built with Pion's types,
//	                   `packet <label> <hex>` and `describe <label> <description>`; for
//	                   every test frame `frame <label> <hex>`, then the payloads Pion's
//	                   payloader cuts it into: `payload <label> <hex>`.
//	pion-rtp decode    reads `<label> <hex>` lines on stdin. Labels starting with rtp- or
//	                   rtcp- are unmarshalled and answered with `describe <label> <..>`
//	                   (or `error <label> <why>`); labels starting with vp8-, vp9-, h264-
//	                   or opus- are payloads, depacketized with Pion's depacketizer and
//	                   concatenated, then printed as `frame <label> <hex>` at the end.
//
// A description is one line of `key=value` fields; the Rust test prints oxrtc's view of a
// packet in exactly the same format, so comparing descriptions compares every field.
package main

import (
	"bufio"
	"encoding/hex"
	"fmt"
	"os"
	"strings"

	"github.com/pion/rtcp"
	"github.com/pion/rtp"
	"github.com/pion/rtp/codecs"
)

func fail(format string, args ...interface{}) {
	fmt.Fprintf(os.Stderr, "pion-rtp: "+format+"\n", args...)
	os.Exit(1)
}

// pattern is deterministic media-like data without zero bytes (so no accidental H.264
// start codes): 1..250.
func pattern(n, seed int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte((i*7+seed)%250 + 1)
	}
	return b
}

type labelled struct {
	label string
	rtp   *rtp.Packet
	rtcp  []rtcp.Packet
}

func rtpPacket(h rtp.Header, extensions [][2]interface{}, payload []byte, padding byte) *rtp.Packet {
	h.Version = 2
	for _, e := range extensions {
		if err := h.SetExtension(e[0].(uint8), e[1].([]byte)); err != nil {
			fail("extension: %v", err)
		}
	}
	return &rtp.Packet{Header: h, Payload: payload, PaddingSize: padding}
}

func ext(id uint8, data []byte) [2]interface{} { return [2]interface{}{id, data} }

// twcc builds a transport-wide feedback packet from explicit chunks and deltas (in 250 µs
// ticks), filling in the header as pion/rtcp expects its caller to.
func twcc(chunks []rtcp.PacketStatusChunk, count uint16, deltas []int64) *rtcp.TransportLayerCC {
	t := &rtcp.TransportLayerCC{
		SenderSSRC:         0x01020304,
		MediaSSRC:          0x05060708,
		BaseSequenceNumber: 65530,
		PacketStatusCount:  count,
		ReferenceTime:      0x123456,
		FbPktCount:         9,
		PacketChunks:       chunks,
	}
	for _, d := range deltas {
		typ := rtcp.TypeTCCPacketReceivedSmallDelta
		if d < 0 || d > 255 {
			typ = rtcp.TypeTCCPacketReceivedLargeDelta
		}
		t.RecvDeltas = append(t.RecvDeltas, &rtcp.RecvDelta{Type: typ, Delta: d * rtcp.TypeTCCDeltaScaleFactor})
	}
	t.Header = rtcp.Header{
		Padding: unpaddedLen(t)%4 != 0,
		Count:   rtcp.FormatTCC,
		Type:    rtcp.TypeTransportSpecificFeedback,
		Length:  t.Len()/4 - 1,
	}
	return t
}

// unpaddedLen is the packet's length before padding to 32 bits (pion/rtcp's packetLen,
// which is private): header, fixed fields, chunks and deltas.
func unpaddedLen(t *rtcp.TransportLayerCC) int {
	n := 4 + 16 + 2*len(t.PacketChunks)
	for _, d := range t.RecvDeltas {
		if d.Type == rtcp.TypeTCCPacketReceivedSmallDelta {
			n++
		} else {
			n += 2
		}
	}
	return n
}

func packets() []labelled {
	report := func(ssrc uint32, n uint32) rtcp.ReceptionReport {
		return rtcp.ReceptionReport{
			SSRC:               ssrc,
			FractionLost:       uint8(25 * n),
			TotalLost:          3 * n,
			LastSequenceNumber: 0x00010005 + n,
			Jitter:             17 + n,
			LastSenderReport:   0x456789AB,
			Delay:              65536 + n,
		}
	}
	sdes := func(items ...interface{}) rtcp.SourceDescriptionChunk {
		c := rtcp.SourceDescriptionChunk{Source: items[0].(uint32)}
		for i := 1; i < len(items); i += 2 {
			c.Items = append(c.Items, rtcp.SourceDescriptionItem{Type: items[i].(rtcp.SDESType), Text: items[i+1].(string)})
		}
		return c
	}
	return []labelled{
		{label: "rtp-one-byte", rtp: rtpPacket(rtp.Header{
			Marker: true, PayloadType: 96, SequenceNumber: 65535, Timestamp: 90000, SSRC: 0x12345678,
		}, [][2]interface{}{ext(1, []byte("0")), ext(3, []byte{0xAA, 0xBB, 0xCC}), ext(14, pattern(16, 5))}, []byte("frame one"), 0)},
		{label: "rtp-two-byte", rtp: rtpPacket(rtp.Header{
			PayloadType: 111, SequenceNumber: 1, Timestamp: 0xFFFFFFFF, SSRC: 1, CSRC: []uint32{0xCAFE, 0xBEEF},
			Extension: true, ExtensionProfile: 0x1000,
		}, [][2]interface{}{ext(1, pattern(20, 1)), ext(200, []byte{}), ext(15, []byte{1, 2})}, []byte("two"), 0)},
		{label: "rtp-padding", rtp: rtpPacket(rtp.Header{
			PayloadType: 100, SequenceNumber: 7, Timestamp: 3000, SSRC: 99, CSRC: []uint32{1, 2, 3},
		}, nil, pattern(10, 2), 4)},
		{label: "rtp-csrcs-extension-padding", rtp: rtpPacket(rtp.Header{
			Marker: true, PayloadType: 127, SequenceNumber: 32768, Timestamp: 1, SSRC: 0xFFFFFFFF,
			CSRC: []uint32{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15},
		}, [][2]interface{}{ext(2, []byte{0x80, 0x01, 0x02}), ext(5, []byte{7})}, pattern(33, 3), 7)},
		{label: "rtp-empty-payload", rtp: rtpPacket(rtp.Header{
			PayloadType: 0, SequenceNumber: 0, Timestamp: 0, SSRC: 0,
		}, nil, []byte{}, 0)},

		{label: "rtcp-sr-sdes", rtcp: []rtcp.Packet{
			&rtcp.SenderReport{
				SSRC: 0x11111111, NTPTime: 0xE123456789ABCDEF, RTPTime: 123456, PacketCount: 42, OctetCount: 4200,
				Reports: []rtcp.ReceptionReport{report(0x22222222, 1)},
			},
			&rtcp.SourceDescription{Chunks: []rtcp.SourceDescriptionChunk{
				sdes(uint32(0x11111111), rtcp.SDESCNAME, "oxrtc-pion", rtcp.SDESTool, "interop"),
				sdes(uint32(0x33333333), rtcp.SDESCNAME, "x"),
			}},
		}},
		{label: "rtcp-rr", rtcp: []rtcp.Packet{
			&rtcp.ReceiverReport{SSRC: 0x44444444, Reports: []rtcp.ReceptionReport{report(0x55555555, 2), report(0x66666666, 3)}},
			&rtcp.SourceDescription{Chunks: []rtcp.SourceDescriptionChunk{sdes(uint32(0x44444444), rtcp.SDESCNAME, "receiver")}},
		}},
		{label: "rtcp-nack", rtcp: []rtcp.Packet{
			&rtcp.TransportLayerNack{SenderSSRC: 1, MediaSSRC: 2, Nacks: []rtcp.NackPair{
				{PacketID: 100, LostPackets: 0b1000000000000101}, {PacketID: 65535, LostPackets: 0},
			}},
		}},
		{label: "rtcp-pli", rtcp: []rtcp.Packet{&rtcp.PictureLossIndication{SenderSSRC: 3, MediaSSRC: 4}}},
		{label: "rtcp-fir", rtcp: []rtcp.Packet{
			&rtcp.FullIntraRequest{SenderSSRC: 5, MediaSSRC: 0, FIR: []rtcp.FIREntry{{SSRC: 0x55, SequenceNumber: 7}, {SSRC: 0x66, SequenceNumber: 255}}},
		}},
		// Both bitrates are exact in REMB's 18-bit mantissa: 150000 × 2^0, 250000 × 2^3.
		{label: "rtcp-remb", rtcp: []rtcp.Packet{
			&rtcp.ReceiverEstimatedMaximumBitrate{SenderSSRC: 6, Bitrate: 150000, SSRCs: []uint32{0xAAAA}},
			&rtcp.ReceiverEstimatedMaximumBitrate{SenderSSRC: 6, Bitrate: 2000000, SSRCs: []uint32{0xAAAA, 0xBBBB}},
		}},
		// Every chunk kind: a run of 20 small deltas, a 1-bit status vector, a 2-bit status
		// vector with large and negative deltas, a run of 10 losses, a run of 2 large deltas.
		{label: "rtcp-twcc", rtcp: []rtcp.Packet{twcc([]rtcp.PacketStatusChunk{
			&rtcp.RunLengthChunk{Type: rtcp.TypeTCCRunLengthChunk, PacketStatusSymbol: rtcp.TypeTCCPacketReceivedSmallDelta, RunLength: 20},
			&rtcp.StatusVectorChunk{Type: rtcp.TypeTCCStatusVectorChunk, SymbolSize: rtcp.TypeTCCSymbolSizeOneBit,
				SymbolList: []uint16{1, 0, 1, 1, 0, 0, 1, 0, 1, 0, 0, 0, 0, 1}},
			&rtcp.StatusVectorChunk{Type: rtcp.TypeTCCStatusVectorChunk, SymbolSize: rtcp.TypeTCCSymbolSizeTwoBit,
				SymbolList: []uint16{2, 1, 0, 2, 0, 0, 1}},
			&rtcp.RunLengthChunk{Type: rtcp.TypeTCCRunLengthChunk, PacketStatusSymbol: rtcp.TypeTCCPacketNotReceived, RunLength: 10},
			&rtcp.RunLengthChunk{Type: rtcp.TypeTCCRunLengthChunk, PacketStatusSymbol: rtcp.TypeTCCPacketReceivedLargeDelta, RunLength: 2},
		}, 20+14+7+10+2, []int64{
			0, 1, 2, 3, 4, 5, 10, 20, 40, 80, 160, 255, 0, 0, 7, 7, 7, 100, 200, 250, // run of 20
			1, 2, 3, 4, 5, 6, // 1-bit vector
			-4, 9, 1000, 3, // 2-bit vector
			-32768, 32767, // large run
		})}},
		// A feedback that ends with a short run (the last chunk is not full).
		{label: "rtcp-twcc-short", rtcp: []rtcp.Packet{twcc([]rtcp.PacketStatusChunk{
			&rtcp.RunLengthChunk{Type: rtcp.TypeTCCRunLengthChunk, PacketStatusSymbol: rtcp.TypeTCCPacketReceivedSmallDelta, RunLength: 3},
		}, 3, []int64{4, 5, 6})}},
	}
}

func describeRTP(p *rtp.Packet) string {
	var b strings.Builder
	fmt.Fprintf(&b, "rtp v=%d m=%t pt=%d seq=%d ts=%d ssrc=%d csrc=%s", p.Version, p.Marker, p.PayloadType,
		p.SequenceNumber, p.Timestamp, p.SSRC, joinU32(p.CSRC))
	if p.Extension {
		fmt.Fprintf(&b, " ext=%04x[", p.ExtensionProfile)
		for i, id := range p.GetExtensionIDs() {
			if i > 0 {
				b.WriteString(",")
			}
			fmt.Fprintf(&b, "%d:%x", id, p.GetExtension(id))
		}
		b.WriteString("]")
	}
	// PaddingSize: set by Unmarshal from the last byte, and what Marshal appends.
	fmt.Fprintf(&b, " pad=%d payload=%x", p.PaddingSize, p.Payload)
	return b.String()
}

func joinU32(v []uint32) string {
	parts := make([]string, len(v))
	for i, x := range v {
		parts[i] = fmt.Sprint(x)
	}
	return "[" + strings.Join(parts, ",") + "]"
}

func describeReports(reports []rtcp.ReceptionReport) string {
	parts := make([]string, len(reports))
	for i, r := range reports {
		parts[i] = fmt.Sprintf("%d/%d/%d/%d/%d/%d/%d", r.SSRC, r.FractionLost, r.TotalLost,
			r.LastSequenceNumber, r.Jitter, r.LastSenderReport, r.Delay)
	}
	return "[" + strings.Join(parts, ";") + "]"
}

// twccStatuses expands the chunks into one status per packet (n: not received,
// s<ticks>: small delta, l<ticks>: large delta), limited to PacketStatusCount.
func twccStatuses(t *rtcp.TransportLayerCC) string {
	var symbols []uint16
	for _, c := range t.PacketChunks {
		switch c := c.(type) {
		case *rtcp.RunLengthChunk:
			for i := uint16(0); i < c.RunLength; i++ {
				symbols = append(symbols, c.PacketStatusSymbol)
			}
		case *rtcp.StatusVectorChunk:
			symbols = append(symbols, c.SymbolList...)
		}
	}
	if len(symbols) > int(t.PacketStatusCount) {
		symbols = symbols[:t.PacketStatusCount]
	}
	parts := make([]string, len(symbols))
	next := 0
	for i, s := range symbols {
		switch s {
		case rtcp.TypeTCCPacketNotReceived:
			parts[i] = "n"
		case rtcp.TypeTCCPacketReceivedSmallDelta, rtcp.TypeTCCPacketReceivedLargeDelta:
			kind := "s"
			if s == rtcp.TypeTCCPacketReceivedLargeDelta {
				kind = "l"
			}
			if next >= len(t.RecvDeltas) {
				parts[i] = kind + "?"
				continue
			}
			parts[i] = fmt.Sprintf("%s%d", kind, t.RecvDeltas[next].Delta/rtcp.TypeTCCDeltaScaleFactor)
			next++
		default:
			parts[i] = fmt.Sprintf("reserved%d", s)
		}
	}
	return "[" + strings.Join(parts, ",") + "]"
}

func describeRTCP(packets []rtcp.Packet) string {
	parts := make([]string, len(packets))
	for i, p := range packets {
		switch p := p.(type) {
		case *rtcp.SenderReport:
			parts[i] = fmt.Sprintf("sr ssrc=%d ntp=%d rtp=%d packets=%d octets=%d reports=%s", p.SSRC, p.NTPTime,
				p.RTPTime, p.PacketCount, p.OctetCount, describeReports(p.Reports))
		case *rtcp.ReceiverReport:
			parts[i] = fmt.Sprintf("rr ssrc=%d reports=%s", p.SSRC, describeReports(p.Reports))
		case *rtcp.SourceDescription:
			chunks := make([]string, len(p.Chunks))
			for j, c := range p.Chunks {
				items := make([]string, len(c.Items))
				for k, it := range c.Items {
					items[k] = fmt.Sprintf("%d=%s", it.Type, it.Text)
				}
				chunks[j] = fmt.Sprintf("%d:%s", c.Source, strings.Join(items, ","))
			}
			parts[i] = "sdes [" + strings.Join(chunks, ";") + "]"
		case *rtcp.TransportLayerNack:
			pairs := make([]string, len(p.Nacks))
			for j, n := range p.Nacks {
				pairs[j] = fmt.Sprintf("%d/%d", n.PacketID, n.LostPackets)
			}
			parts[i] = fmt.Sprintf("nack sender=%d media=%d pairs=[%s]", p.SenderSSRC, p.MediaSSRC, strings.Join(pairs, ","))
		case *rtcp.PictureLossIndication:
			parts[i] = fmt.Sprintf("pli sender=%d media=%d", p.SenderSSRC, p.MediaSSRC)
		case *rtcp.FullIntraRequest:
			entries := make([]string, len(p.FIR))
			for j, e := range p.FIR {
				entries[j] = fmt.Sprintf("%d/%d", e.SSRC, e.SequenceNumber)
			}
			parts[i] = fmt.Sprintf("fir sender=%d media=%d entries=[%s]", p.SenderSSRC, p.MediaSSRC, strings.Join(entries, ","))
		case *rtcp.ReceiverEstimatedMaximumBitrate:
			parts[i] = fmt.Sprintf("remb sender=%d bitrate=%d ssrcs=%s", p.SenderSSRC, uint64(p.Bitrate), joinU32(p.SSRCs))
		case *rtcp.TransportLayerCC:
			parts[i] = fmt.Sprintf("twcc sender=%d media=%d base=%d ref=%d fb=%d statuses=%s", p.SenderSSRC, p.MediaSSRC,
				p.BaseSequenceNumber, p.ReferenceTime, p.FbPktCount, twccStatuses(p))
		default:
			parts[i] = fmt.Sprintf("other %T", p)
		}
	}
	return strings.Join(parts, " | ")
}

type frame struct {
	label   string
	data    []byte
	payload func(mtu uint16, frame []byte) [][]byte
}

// h264Frame is an Annex-B access unit: SPS, PPS and an IDR slice larger than the MTU.
func h264Frame() []byte {
	var au []byte
	for _, nal := range [][]byte{
		append([]byte{0x67}, pattern(20, 11)...),
		append([]byte{0x68}, pattern(5, 12)...),
		append([]byte{0x65}, pattern(3000, 13)...),
	} {
		au = append(au, 0, 0, 0, 1)
		au = append(au, nal...)
	}
	return au
}

// h264SmallFrame is two non-IDR slices that each fit one packet.
func h264SmallFrame() []byte {
	au := append([]byte{0, 0, 0, 1, 0x41}, pattern(300, 14)...)
	au = append(au, 0, 0, 0, 1, 0x41)
	return append(au, pattern(200, 15)...)
}

func frames() []frame {
	vp8 := &codecs.VP8Payloader{EnablePictureID: true}
	h264 := &codecs.H264Payloader{}
	opus := &codecs.OpusPayloader{}
	// A fixed first picture id keeps the output reproducible (Pion picks a random one).
	vp9 := &codecs.VP9Payloader{InitialPictureIDFn: func() uint16 { return 0x1234 }}
	// A VP8 keyframe starts with a frame tag whose bit 0 is 0.
	vp8Key := append([]byte{0x10, 0x02, 0x00, 0x9d, 0x01, 0x2a}, pattern(2500, 21)...)
	return []frame{
		{"vp8-keyframe", vp8Key, vp8.Payload},
		{"vp8-small", append([]byte{0x31}, pattern(300, 22)...), vp8.Payload},
		{"h264-idr", h264Frame(), h264.Payload},
		{"h264-slices", h264SmallFrame(), h264.Payload},
		{"opus-frame", pattern(160, 23), opus.Payload},
		// VP9 uncompressed headers: frame marker 2, profile 0, key frame (0x82) and inter
		// frame (0x86).
		{"vp9-keyframe", append([]byte{0x82, 0x49, 0x83, 0x42, 0x00}, pattern(2500, 24)...), vp9.Payload},
		{"vp9-inter", append([]byte{0x86}, pattern(400, 25)...), vp9.Payload},
	}
}

// The payload MTU both sides' payloaders use.
const mtu = 1000

func marshal() {
	for _, p := range packets() {
		var raw []byte
		var err error
		var desc string
		if p.rtp != nil {
			raw, err = p.rtp.Marshal()
			desc = describeRTP(p.rtp)
		} else {
			raw, err = rtcp.Marshal(p.rtcp)
			desc = describeRTCP(p.rtcp)
		}
		if err != nil {
			fail("marshal %s: %v", p.label, err)
		}
		fmt.Printf("packet %s %x\n", p.label, raw)
		fmt.Printf("describe %s %s\n", p.label, desc)
	}
	for _, f := range frames() {
		fmt.Printf("frame %s %x\n", f.label, f.data)
		for _, payload := range f.payload(mtu, f.data) {
			fmt.Printf("payload %s %x\n", f.label, payload)
		}
	}
}

func decode() {
	depacketizers := map[string]rtp.Depacketizer{}
	var order []string
	assembled := map[string][]byte{}
	scanner := bufio.NewScanner(os.Stdin)
	scanner.Buffer(make([]byte, 1<<20), 1<<20)
	for scanner.Scan() {
		fields := strings.Fields(scanner.Text())
		if len(fields) != 2 {
			fail("bad input line %q", scanner.Text())
		}
		label := fields[0]
		raw, err := hex.DecodeString(fields[1])
		if err != nil {
			fail("bad hex for %s: %v", label, err)
		}
		kind := strings.SplitN(label, "-", 2)[0]
		switch kind {
		case "rtp":
			p := &rtp.Packet{}
			if err := p.Unmarshal(raw); err != nil {
				fmt.Printf("error %s %v\n", label, err)
				continue
			}
			fmt.Printf("describe %s %s\n", label, describeRTP(p))
		case "rtcp":
			packets, err := rtcp.Unmarshal(raw)
			if err != nil {
				fmt.Printf("error %s %v\n", label, err)
				continue
			}
			fmt.Printf("describe %s %s\n", label, describeRTCP(packets))
		case "vp8", "vp9", "h264", "opus":
			d, ok := depacketizers[label]
			if !ok {
				switch kind {
				case "vp8":
					d = &codecs.VP8Packet{}
				case "vp9":
					d = &codecs.VP9Packet{}
				case "h264":
					d = &codecs.H264Packet{}
				default:
					d = &codecs.OpusPacket{}
				}
				depacketizers[label] = d
				order = append(order, label)
			}
			media, err := d.Unmarshal(raw)
			if err != nil {
				fmt.Printf("error %s %v\n", label, err)
				continue
			}
			assembled[label] = append(assembled[label], media...)
		default:
			fail("unknown label %q", label)
		}
	}
	if err := scanner.Err(); err != nil {
		fail("stdin: %v", err)
	}
	for _, label := range order {
		fmt.Printf("frame %s %x\n", label, assembled[label])
	}
}

func main() {
	if len(os.Args) != 2 {
		fail("usage: pion-rtp marshal|decode")
	}
	switch os.Args[1] {
	case "marshal":
		marshal()
	case "decode":
		decode()
	default:
		fail("unknown mode %q", os.Args[1])
	}
}

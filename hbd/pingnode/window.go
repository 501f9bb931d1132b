package pingnode

// nslot is ping_group.c's NSLOT: how far back sequence numbers are
// remembered to drop duplicate replies.
const nslot = 128

// window remembers the sequence numbers seen recently. ping_group.c keeps
// slot[seq % NSLOT] = seq; its zeroed table makes it drop the very first
// reply (seq 0) as a duplicate, which the valid flags here avoid.
type window struct {
	slot  [nslot]uint16
	valid [nslot]bool
}

// seen records seq and reports whether it was already recorded.
func (w *window) seen(seq uint16) bool {
	i := seq % nslot
	if w.valid[i] && w.slot[i] == seq {
		return true
	}
	w.slot[i], w.valid[i] = seq, true
	return false
}

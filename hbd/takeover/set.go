package takeover

// Set is a resource class bit set, heartbeat's HB_*_RSC (hb_resource.h):
// local groups are those whose haresources node is this node, foreign
// groups all the others. On the wire a Set is spelt "none", "local",
// "foreign" or "all" (rsc_msg[] in hb_resource.c).
type Set uint8

const (
	None    Set = 0 // HB_NO_RSC
	Local   Set = 1 // HB_LOCAL_RSC
	Foreign Set = 2 // HB_FOREIGN_RSC
	All     Set = Local | Foreign
)

var setNames = [...]string{"none", "local", "foreign", "all"}

// String is decode_resources.
func (s Set) String() string {
	if int(s) < len(setNames) {
		return setNames[s]
	}
	return "(undefined)"
}

// ParseSet is encode_resources: an unknown word is logged by heartbeat and
// taken as none; ok reports whether the word was known.
func ParseSet(word string) (s Set, ok bool) {
	for i, n := range setNames {
		if n == word {
			return Set(i), true
		}
	}
	return None, false
}

// flip maps a set named in the peer's terms to ours: the peer's local
// groups are our foreign ones (go_standby, the hb_takeover rc.d script).
func (s Set) flip() Set {
	switch s {
	case Local:
		return Foreign
	case Foreign:
		return Local
	}
	return s
}

// updateHeld is HB_UPD_RSC: a full update replaces the bits, a partial
// one adds to them, except that a partial "none" clears them.
func updateHeld(full bool, cur, upd Set) Set {
	switch {
	case full:
		return upd
	case upd == None:
		return None
	}
	return cur | upd
}

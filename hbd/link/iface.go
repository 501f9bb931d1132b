package link

import (
	"errors"
	"fmt"
	"net/netip"

	"golang.org/x/sys/unix"
)

// ifaceInfo is what the media need to know about an interface.
type ifaceInfo struct {
	exists bool
	index  int
	up     bool       // IFF_UP
	addr   netip.Addr // first IPv4 address (SIOCGIFADDR); invalid if none
	brd    netip.Addr // IPv4 broadcast address (SIOCGIFBRDADDR); invalid if none
}

// ready reports whether a medium of kind k can be opened on the interface:
// bcast needs a broadcast address and mcast an address (heartbeat's
// if_get_broadaddr and if_getaddr); ucast only the interface.
func (i ifaceInfo) ready(k Kind) error {
	switch {
	case !i.exists:
		return errNoIface
	case !i.up:
		return errIfaceDown
	case k == Bcast && !i.brd.IsValid():
		return errNoBroadcast
	case k == Mcast && !i.addr.IsValid():
		return errNoAddr
	}
	return nil
}

var (
	errNoIface     = errors.New("interface does not exist")
	errIfaceDown   = errors.New("interface is down")
	errNoBroadcast = errors.New("interface has no IPv4 broadcast address")
	errNoAddr      = errors.New("interface has no IPv4 address")
)

// lookupIface reads the interface's state with the same ioctls heartbeat
// uses, in the calling thread's network namespace. A missing interface is
// not an error: it reports exists=false.
func lookupIface(name string) (ifaceInfo, error) {
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return ifaceInfo{}, fmt.Errorf("socket for ioctl on %s: %w", name, err)
	}
	defer unix.Close(fd)
	ifr, err := unix.NewIfreq(name)
	if err != nil {
		return ifaceInfo{}, fmt.Errorf("interface %q: %w", name, err)
	}
	if err := unix.IoctlIfreq(fd, unix.SIOCGIFINDEX, ifr); err != nil {
		if errors.Is(err, unix.ENODEV) {
			return ifaceInfo{}, nil
		}
		return ifaceInfo{}, fmt.Errorf("SIOCGIFINDEX %s: %w", name, err)
	}
	info := ifaceInfo{exists: true, index: int(ifr.Uint32())}
	ifr, _ = unix.NewIfreq(name)
	if err := unix.IoctlIfreq(fd, unix.SIOCGIFFLAGS, ifr); err != nil {
		if errors.Is(err, unix.ENODEV) {
			return ifaceInfo{}, nil
		}
		return ifaceInfo{}, fmt.Errorf("SIOCGIFFLAGS %s: %w", name, err)
	}
	info.up = ifr.Uint16()&unix.IFF_UP != 0
	info.addr = ioctlAddr(fd, name, unix.SIOCGIFADDR)
	info.brd = ioctlAddr(fd, name, unix.SIOCGIFBRDADDR)
	return info, nil
}

// ioctlAddr returns the IPv4 address an SIOCGIF*ADDR ioctl reports, or the
// zero Addr when the interface has none (EADDRNOTAVAIL) or it is 0.0.0.0.
func ioctlAddr(fd int, name string, req uint) netip.Addr {
	ifr, err := unix.NewIfreq(name)
	if err != nil {
		return netip.Addr{}
	}
	if err := unix.IoctlIfreq(fd, req, ifr); err != nil {
		return netip.Addr{}
	}
	b, err := ifr.Inet4Addr()
	if err != nil {
		return netip.Addr{}
	}
	a := netip.AddrFrom4([4]byte(b))
	if a.IsUnspecified() {
		return netip.Addr{}
	}
	return a
}

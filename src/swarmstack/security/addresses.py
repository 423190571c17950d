"""Which address a request comes from, for per-source rate limits. Pure.

`X-Forwarded-For` is believed only as far as it was written by proxies the operator trusts
(`server.trusted_proxies`): starting from the peer that connected, each hop is trusted only if
the hop before it (to its right) was a trusted proxy. With no trusted proxies (the default) the
header is ignored, so a client cannot pick its own address by sending one.

IPv6 sources are counted per /64 prefix: one host usually holds a whole /64, so counting single
addresses would give it 2**64 buckets.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Sequence

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Address = ipaddress.IPv4Address | ipaddress.IPv6Address
UNKNOWN = "unknown"  # a peer without an address (a Unix socket, an in-process test client)


def networks(entries: Iterable[str]) -> tuple[Network, ...]:
    """Addresses and CIDR blocks as networks; ValueError names the entry that is neither."""
    found = []
    for entry in entries:
        try:
            found.append(ipaddress.ip_network(entry.strip(), strict=False))
        except ValueError as exc:
            raise ValueError(f"{entry!r} is not an IP address or CIDR block") from exc
    return tuple(found)


def client_address(
    peer: str | None, forwarded_for: Sequence[str], trusted: Sequence[Network]
) -> str:
    """The source to count a request against: `peer` (the address that connected), or the
    first address in `X-Forwarded-For` (read from the right) that no trusted proxy holds,
    when `peer` is a trusted proxy. `forwarded_for` holds each header line as sent."""
    address = _parse(peer)
    if address is None:
        return UNKNOWN if not peer else peer[:64]
    if _trusted(address, trusted):
        hops = [hop for line in forwarded_for for hop in line.split(",") if hop.strip()]
        for hop in reversed(hops):
            parsed = _parse(hop)
            if parsed is None:  # a token such as "unknown": keep the last proxy we trust
                break
            address = parsed
            if not _trusted(parsed, trusted):
                break
    return source_key(address)


def source_key(address: Address) -> str:
    """An IPv4 address as written; an IPv6 address as its /64 (an IPv4-mapped one as IPv4)."""
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.IPv6Network((address, 64), strict=False))
    return str(address)


def _parse(text: str | None) -> Address | None:
    """An address from a peer or a hop (`[v6]:port`, `v4:port` and zone ids tolerated)."""
    if not text:
        return None
    text = text.strip()
    if text.startswith("["):  # [2001:db8::1]:443
        text = text[1 : text.find("]")] if "]" in text else text[1:]
    elif text.count(":") == 1:  # 192.0.2.1:443
        text = text.split(":", 1)[0]
    try:
        return ipaddress.ip_address(text.split("%", 1)[0])
    except ValueError:
        return None


def _trusted(address: Address, trusted: Sequence[Network]) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return any(address.version == net.version and address in net for net in trusted)

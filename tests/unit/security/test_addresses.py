"""The source address of a request: X-Forwarded-For only through trusted proxies."""

from __future__ import annotations

import pytest

from swarmstack.security.addresses import UNKNOWN, client_address, networks

PROXIES = networks(["10.0.0.0/8", "2001:db8:ffff::/48"])


@pytest.mark.parametrize(
    ("peer", "forwarded", "trusted", "source"),
    [
        # no trusted proxy: the header is ignored, whatever it says
        ("203.0.113.9", ["198.51.100.1"], (), "203.0.113.9"),
        # a peer that is not a trusted proxy cannot speak for anyone else
        ("203.0.113.9", ["198.51.100.1"], PROXIES, "203.0.113.9"),
        # a trusted proxy: the address it saw
        ("10.1.2.3", ["198.51.100.1"], PROXIES, "198.51.100.1"),
        # a client's own (spoofed) entries sit left of what the proxy appended
        ("10.1.2.3", ["1.1.1.1, 2.2.2.2, 198.51.100.1"], PROXIES, "198.51.100.1"),
        # two trusted proxies in a row, and one header line per hop
        ("10.1.2.3", ["198.51.100.1, 10.9.9.9"], PROXIES, "198.51.100.1"),
        ("10.1.2.3", ["7.7.7.7, 198.51.100.1", "10.9.9.9"], PROXIES, "198.51.100.1"),
        # only trusted hops: the farthest one
        ("10.1.2.3", ["10.4.4.4, 10.5.5.5"], PROXIES, "10.4.4.4"),
        # a trusted proxy without the header: the proxy itself
        ("10.1.2.3", [], PROXIES, "10.1.2.3"),
        # a token that is no address stops the walk at the last trusted hop
        ("10.1.2.3", ["198.51.100.1, unknown"], PROXIES, "10.1.2.3"),
        ("10.1.2.3", ["garbage, 10.5.5.5"], PROXIES, "10.5.5.5"),
        # ports and brackets are tolerated
        ("10.1.2.3", ["198.51.100.1:5555"], PROXIES, "198.51.100.1"),
        ("10.1.2.3", ["[2001:db8::7]:443"], PROXIES, "2001:db8::/64"),
    ],
)
def test_forwarded_for_is_read_from_the_right_through_trusted_proxies_only(
    peer: str, forwarded: list[str], trusted: tuple[object, ...], source: str
) -> None:
    assert client_address(peer, forwarded, trusted) == source  # type: ignore[arg-type]


def test_ipv6_sources_count_per_64_and_mapped_ipv4_as_ipv4() -> None:
    assert client_address("2001:db8:1:2:aaaa::1", [], ()) == "2001:db8:1:2::/64"
    assert client_address("2001:db8:1:2:bbbb::9", [], ()) == "2001:db8:1:2::/64"
    assert client_address("::ffff:203.0.113.9", [], ()) == "203.0.113.9"
    assert client_address("::ffff:10.1.2.3", ["198.51.100.1"], PROXIES) == "198.51.100.1"
    assert client_address("2001:db8:ffff::1", ["198.51.100.1"], PROXIES) == "198.51.100.1"


def test_a_peer_without_an_address() -> None:
    assert client_address(None, ["198.51.100.1"], PROXIES) == UNKNOWN
    assert client_address("testclient", [], ()) == "testclient"


def test_networks_name_the_entry_that_is_not_an_address() -> None:
    assert [str(n) for n in networks([" 10.0.0.1 ", "192.168.0.0/16"])] == [
        "10.0.0.1/32",
        "192.168.0.0/16",
    ]
    with pytest.raises(ValueError, match=r"'proxy\.internal' is not an IP address"):
        networks(["proxy.internal"])

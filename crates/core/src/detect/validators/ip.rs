//! IP address literals, parsed the way Python's `ipaddress` does (which is
//! what the conformance oracle uses).

/// Dotted quad, each octet 0-255 in decimal without leading zeros.
pub fn ipv4(s: &str) -> bool {
    let mut parts = 0;
    for p in s.split('.') {
        parts += 1;
        if parts > 4 || !octet(p) {
            return false;
        }
    }
    parts == 4
}

/// In 198.51.100.0/24 (TEST-NET-2, RFC 5737): documentation space that
/// no host can have, and the space `scour mask --mode surrogate` draws IPv4
/// stand-ins from. TEST-NET-1 and -3 (192.0.2.0/24, 203.0.113.0/24) and
/// 2001:db8::/32 are not exempt: the shared conformance vectors require
/// them to be reported.
pub fn test_net_2(s: &str) -> bool {
    s.strip_prefix("198.51.100.").is_some_and(octet)
}

fn octet(p: &str) -> bool {
    let b = p.as_bytes();
    if b.is_empty() || b.len() > 3 || !b.iter().all(u8::is_ascii_digit) {
        return false;
    }
    if b.len() > 1 && b[0] == b'0' {
        return false;
    }
    p.parse::<u16>().is_ok_and(|v| v <= 255)
}

fn hex_group(g: &str) -> bool {
    (1..=4).contains(&g.len()) && g.bytes().all(|b| b.is_ascii_hexdigit())
}

/// Counts the 16-bit groups in a `:`-separated run (an IPv4 tail, allowed
/// only when `tail_ok`, counts as two); `None` when a group is malformed.
fn groups(s: &str, tail_ok: bool) -> Option<usize> {
    if s.is_empty() {
        return Some(0);
    }
    let mut n = 0;
    let mut it = s.split(':').peekable();
    while let Some(g) = it.next() {
        let last = it.peek().is_none();
        if last && tail_ok && g.contains('.') {
            if !ipv4(g) {
                return None;
            }
            n += 2;
        } else if hex_group(g) {
            n += 1;
        } else {
            return None;
        }
    }
    Some(n)
}

/// RFC 4291 text forms: eight groups, or fewer with one `::` standing for at
/// least one zero group, optionally ending in an embedded IPv4 address.
pub fn ipv6(s: &str) -> bool {
    if s.len() > 45 || s.len() < 2 {
        return false;
    }
    match s.split_once("::") {
        Some((left, right)) => {
            if right.contains("::") {
                return false;
            }
            let (Some(l), Some(r)) = (groups(left, false), groups(right, true)) else {
                return false;
            };
            l + r <= 7
        }
        None => groups(s, true) == Some(8),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn v4() {
        for ok in [
            "192.168.1.1",
            "8.8.8.8",
            "10.0.0.255",
            "0.0.0.0",
            "255.255.255.255",
        ] {
            assert!(ipv4(ok), "{ok}");
        }
        for bad in [
            "999.1.1.1",
            "256.1.1.1",
            "1.2.3",
            "1.2.3.4.5",
            "192.168.01.1",
            "1..2.3",
            "",
            "a.b.c.d",
            "1.2.3.4.",
        ] {
            assert!(!ipv4(bad), "{bad}");
        }
    }

    #[test]
    fn documentation_range() {
        for yes in ["198.51.100.0", "198.51.100.7", "198.51.100.255"] {
            assert!(test_net_2(yes), "{yes}");
        }
        for no in [
            "198.51.101.7",
            "198.51.10.7",
            "203.0.113.42",
            "192.0.2.128",
            "198.51.100.256",
            "198.51.100.07",
            "198.51.100.",
        ] {
            assert!(!test_net_2(no), "{no}");
        }
    }

    #[test]
    fn v6() {
        for ok in [
            "2001:db8::1",
            "::1",
            "::",
            "fe80::1ff:fe23:4567:890a",
            "2001:0db8:85a3:0000:0000:8a2e:0370:7334",
            "::ffff:192.0.2.128",
            "2001:db8:0:1::53",
            "64:ff9b::192.0.2.33",
            "1::",
            "1:2:3:4:5:6::8",
        ] {
            assert!(ipv6(ok), "{ok}");
        }
        for bad in [
            "2001:db8::1::2",
            "00:1a:2b:3c:4d:5e",
            "12:30:45",
            "1:2:3:4:5:6:7::8",
            "1:2:3:4:5:6:7",
            ":1:2:3:4:5:6:7",
            "1:2:3:4:5:6:7:8:9",
            "12345::1",
            "::1.2.3.4.5",
            "::1.2.3.4:1",
            "g::1",
            ":::",
            "",
        ] {
            assert!(!ipv6(bad), "{bad}");
        }
    }
}

//! E-mail addresses: RFC 5322 dot-atom local part, a domain of at least two
//! labels whose last one is alphabetic (or an IDNA `xn--` label).

/// Local part: non-empty dot-atom (no leading, trailing or doubled dot),
/// at most 64 bytes (RFC 5321). Its characters were already limited to
/// atext by the pattern.
pub fn local_ok(local: &str) -> bool {
    !local.is_empty()
        && local.len() <= 64
        && !local.starts_with('.')
        && !local.ends_with('.')
        && !local.contains("..")
}

fn label_ok(label: &str) -> bool {
    let n = label.chars().count();
    (1..=63).contains(&n)
        && !label.starts_with('-')
        && !label.ends_with('-')
        && label.chars().all(|c| c == '-' || c.is_alphanumeric())
}

fn tld_ok(label: &str) -> bool {
    if let Some(rest) = label
        .get(..4)
        .filter(|p| p.eq_ignore_ascii_case("xn--"))
        .and_then(|_| label.get(4..))
    {
        return (2..=59).contains(&rest.len())
            && rest.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-');
    }
    let n = label.chars().count();
    (2..=63).contains(&n) && label.chars().all(char::is_alphabetic)
}

/// Domain without trailing dots: two or more valid labels, at most 253
/// bytes, the last one a top-level label.
pub fn domain_ok(domain: &str) -> bool {
    if domain.len() > 253 {
        return false;
    }
    let mut labels = domain.split('.');
    let mut count = 0;
    let mut last = "";
    for l in labels.by_ref() {
        if !label_ok(l) {
            return false;
        }
        count += 1;
        last = l;
    }
    // `.invalid` (RFC 2606) can never resolve: an address under it
    // belongs to no one (`scour mask --mode surrogate` writes them).
    count >= 2 && tld_ok(last) && !last.eq_ignore_ascii_case("invalid")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locals() {
        for ok in [
            "alice",
            "bob.smith+tag",
            "o'connor",
            "jörg",
            "first.last-2024",
            "a!#$%&'*+/=?^`{|}~-",
        ] {
            assert!(local_ok(ok), "{ok}");
        }
        for bad in ["", ".alice", "alice.", "a..b", &"x".repeat(65)] {
            assert!(!local_ok(bad), "{bad}");
        }
    }

    #[test]
    fn domains() {
        for ok in [
            "example.com",
            "mail.example.co.uk",
            "müller.example.com",
            "EXAMPLE.COM",
            "xn--bcher-kva.xn--p1ai",
            "a-b.io",
            "invalid.example.com",
        ] {
            assert!(domain_ok(ok), "{ok}");
        }
        for no_one in ["qxmr.invalid", "a.b.INVALID"] {
            assert!(!domain_ok(no_one), "{no_one}");
        }
        for bad in [
            "localhost",
            "example..com",
            "example.c",
            "beta",
            "-a.com",
            "a-.com",
            "a_b.com",
            "example.c0m",
            "1.2.3.4",
            "example.xn--a",
            "",
        ] {
            assert!(!domain_ok(bad), "{bad}");
        }
    }
}
